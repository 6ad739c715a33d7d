//! Classification losses over logits: [`CrossEntropy<K>`] (softmax over `K` classes) and
//! [`BinaryCrossEntropy`] (one logit, sigmoid), both fused and numerically stable.
//!
//! # Cross-entropy over `K` logits
//!
//! For one sample with logits `z` (the last `Dense` layer's outputs, no activation after
//! it) and class `c`, the softmax `p_k = e^{z_k} / Σ_j e^{z_j}` gives each class a
//! probability, and the loss is `ℓ = −ln p_c`. Written with the log-sum-exp
//! `lse = m + ln Σ_j e^{z_j − m}` (`m = max_j z_j`, so no exponent overflows and at least one
//! term is 1):
//!
//! ```text
//! ℓ = lse − z_c            ∂ℓ/∂z_k = p_k − [k = c]        p_k = e^{z_k − lse}
//! ```
//!
//! The derivative: `∂lse/∂z_k = e^{z_k}/Σ_j e^{z_j} = p_k`, and `∂z_c/∂z_k` is 1 for
//! `k = c`, 0 otherwise. So the gradient is "softmax minus one-hot": the softmax and the
//! loss fused, with no division by a probability that may round to 0. Logits of ±10⁴ give
//! a finite loss and gradient.
//!
//! With label smoothing `ε`, the target is `q_k = (1 − ε)·[k = c] + ε/K` and
//! `ℓ = Σ_k q_k (lse − z_k)`, whose gradient is `p − q`: `∂/∂z_j` of `Σ_k q_k lse` is
//! `(Σ_k q_k)·p_j = p_j` (the `q_k` sum to 1), and of `−Σ_k q_k z_k` it is `−q_j`.
//!
//! With class weights `w`, PyTorch's `CrossEntropyLoss(weight=w, label_smoothing=ε)` weighs
//! the one-hot part by `w_c` and each smoothing term by `w_k`, and its mean divides by
//! `Σ_i w_{c_i}` over the batch:
//!
//! ```text
//! ℓ = (1 − ε)·w_c·(lse − z_c) + (ε/K)·Σ_k w_k (lse − z_k)
//! ∂ℓ/∂z_j = (1 − ε)·w_c·(p_j − [j = c]) + (ε/K)·(W·p_j − w_j),   W = Σ_k w_k
//! ```
//!
//! term by term as above: the one-hot part's gradient is `w_c` times `p − onehot`, and
//! `∂/∂z_j Σ_k w_k (lse − z_k) = (Σ_k w_k)·p_j − w_j`. That is what [`CrossEntropy`]
//! computes; `tests/it/cross_entropy.rs` checks it, loss and gradient, against NumPy's
//! evaluation of PyTorch's formula (`tools/ce_fixture.py`) to rounding, and against finite
//! differences (`tests/it/cls_grad.rs`). A sample's predicted class is its largest logit
//! (the first on a tie).
//!
//! [`CrossEntropy`] takes `e^x` and `ln x` from the `libm` crate on every target, with or
//! without `std`, so its loss and gradient — and a training step through it — are the same
//! bits on a PC and on a microcontroller (the platform's `exp` under `std` differs from
//! `libm`'s in the last bit now and then). [`BinaryCrossEntropy`] and the activations use
//! the platform's functions under `std`.
//!
//! # Binary cross-entropy over one logit
//!
//! For one logit `z` and a label `y ∈ {0, 1}`, `p = σ(z) = 1/(1 + e^{−z})` and
//! `ℓ = −y ln p − (1 − y) ln(1 − p) = max(z, 0) − z·y + ln(1 + e^{−|z|})` (PyTorch's
//! `BCEWithLogitsLoss`; `−ln p = ln(1 + e^{−z})` and `−ln(1 − p) = z + ln(1 + e^{−z})`, and
//! `ln(1 + e^{−z}) = max(−z, 0) + ln(1 + e^{−|z|})` keeps every exponent ≤ 0). With
//! `σ' = σ(1 − σ)`: `∂ℓ/∂z = −y(1 − p) + (1 − y)p = p − y`. It is the two-class softmax
//! cross-entropy with logits `(0, z)`. The class is 1 when `z > 0`.

use crate::{Activation, Error, Real, Result, Sigmoid};

use super::Loss;

/// Softmax cross-entropy over `K ≥ 2` logits with class labels `0..K` (`u16`), as PyTorch's
/// `CrossEntropyLoss`: optional class weights and label smoothing. A network feeding it
/// must end with `K` outputs (`Dense<_, K>`, no activation after it): any other width is a
/// compile error naming both.
///
/// ```
/// use constnet::{CrossEntropy, Loss};
/// let ce = CrossEntropy::<3>::new();
/// let logits = [[2.0f64, 0.0, 0.0]];
/// let mut grad = [[0.0; 3]];
/// let sum = ce.sum_and_grad(&logits, &[0], &mut grad, 1.0);
/// let p0 = 2f64.exp() / (2f64.exp() + 2.0);
/// assert!((sum - -p0.ln()).abs() < 1e-15);
/// assert!((grad[0][0] - (p0 - 1.0)).abs() < 1e-15); // softmax − one-hot
/// assert_eq!(ce.correct(&logits, &[0]), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrossEntropy<const K: usize> {
    weights: Option<[f64; K]>,
    smoothing: f64,
}

impl<const K: usize> Default for CrossEntropy<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const K: usize> CrossEntropy<K> {
    /// Fewer than two classes is no classification: caught when the type is used.
    const CLASSES: () = assert!(K >= 2, "CrossEntropy needs K >= 2 classes");

    /// Unweighted, no smoothing.
    #[must_use]
    pub const fn new() -> Self {
        let () = Self::CLASSES;
        CrossEntropy {
            weights: None,
            smoothing: 0.0,
        }
    }

    /// With class weights (PyTorch's `weight`): class `k`'s samples count `weights[k]`
    /// times, and a batch's mean divides by its samples' summed weights.
    ///
    /// ```
    /// use constnet::CrossEntropy;
    /// assert!(CrossEntropy::<2>::new().weights([1.0, 4.0]).is_ok());
    /// assert!(CrossEntropy::<2>::new().weights([1.0, 0.0]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless every weight is finite and > 0.
    pub fn weights(mut self, weights: [f64; K]) -> Result<Self> {
        if !weights.iter().all(|w| w.is_finite() && *w > 0.0) {
            return Err(Error::InvalidParameter {
                name: "class weights",
                reason: "must all be finite and > 0",
            });
        }
        self.weights = Some(weights);
        Ok(self)
    }

    /// With label smoothing `epsilon` (PyTorch's `label_smoothing`): the target puts
    /// `1 − ε + ε/K` on the true class and `ε/K` on each other.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 ≤ epsilon < 1`.
    pub fn label_smoothing(mut self, epsilon: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&epsilon) {
            return Err(Error::InvalidParameter {
                name: "label smoothing",
                reason: "must be in [0, 1)",
            });
        }
        self.smoothing = epsilon;
        Ok(self)
    }

    fn weight(&self, class: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[class])
    }
}

/// `e^v` from the `libm` crate, on every target: with `std`, `T::exp` is the platform's
/// (glibc's `expf` on Linux), which differs from `libm`'s — what a `no_std` build uses — in
/// the last bit on about 0.5% of the inputs ≤ 0 (measured over all of them, `libm` 0.2.16);
/// one shared implementation makes a training step the same bits on a PC and on a
/// microcontroller.
fn exp<T: Real>(v: T) -> T {
    // `Real` is sealed: `f32` (4 bytes) or `f64`. The conversions are exact.
    if T::BYTES == 4 {
        T::cast(f64::from(libm::expf(v.as_f64() as f32)))
    } else {
        T::cast(libm::exp(v.as_f64()))
    }
}

/// `ln v` from the `libm` crate on every target, as [`exp`] (glibc's `logf` and `libm`'s
/// differ on about 6% of the inputs in [1, 64]).
fn ln<T: Real>(v: T) -> T {
    if T::BYTES == 4 {
        T::cast(f64::from(libm::logf(v.as_f64() as f32)))
    } else {
        T::cast(libm::log(v.as_f64()))
    }
}

/// `(max, log-sum-exp)` of the logits: `m + ln Σ e^{z − m}`.
fn log_sum_exp<T: Real>(z: &[T]) -> (T, T) {
    let m = z.iter().fold(
        T::cast(f64::NEG_INFINITY),
        |m, &v| if v > m { v } else { m },
    );
    let sum = z.iter().fold(T::zero(), |s, &v| s + exp(v - m));
    (m, m + ln(sum))
}

/// The index of the largest logit, the first on a tie (NaN never wins).
pub(crate) fn argmax<T: Real>(z: &[T]) -> usize {
    let mut best = 0;
    for (k, &v) in z.iter().enumerate().skip(1) {
        // `z[best] != z[best]`: a NaN so far is beaten by any number.
        #[allow(clippy::eq_op)]
        if v > z[best] || (z[best] != z[best] && v == v) {
            best = k;
        }
    }
    best
}

impl<T: Real, const K: usize> Loss<T, K> for CrossEntropy<K> {
    type Target = u16;

    /// The samples, or their summed class weights.
    fn count(&self, target: &[u16]) -> f64 {
        match self.weights {
            None => target.len() as f64,
            Some(w) => target.iter().map(|&c| w[usize::from(c)]).sum(),
        }
    }

    fn sum_and_grad(&self, pred: &[[T; K]], target: &[u16], grad: &mut [[T; K]], count: T) -> T {
        let eps = T::cast(self.smoothing);
        let share = eps / T::cast(K as f64);
        let total_w = T::cast((0..K).map(|k| self.weight(k)).sum::<f64>());
        let mut sum = T::zero();
        for ((z, &c), g) in pred.iter().zip(target).zip(grad.iter_mut()) {
            let c = usize::from(c);
            let (_, lse) = log_sum_exp(z);
            let wc = T::cast(self.weight(c));
            let mut smooth = T::zero();
            for (k, (gk, &zk)) in g.iter_mut().zip(z).enumerate() {
                let wk = T::cast(self.weight(k));
                let p = exp(zk - lse);
                let hot = if k == c { T::one() } else { T::zero() };
                smooth += wk * (lse - zk);
                *gk = ((T::one() - eps) * wc * (p - hot) + share * (total_w * p - wk)) / count;
            }
            sum += (T::one() - eps) * wc * (lse - z[c]) + share * smooth;
        }
        sum
    }

    fn sum(&self, pred: &[[T; K]], target: &[u16]) -> T {
        let eps = T::cast(self.smoothing);
        let share = eps / T::cast(K as f64);
        let mut sum = T::zero();
        for (z, &c) in pred.iter().zip(target) {
            let c = usize::from(c);
            let (_, lse) = log_sum_exp(z);
            let smooth = (0..K).fold(T::zero(), |s, k| s + T::cast(self.weight(k)) * (lse - z[k]));
            sum += (T::one() - eps) * T::cast(self.weight(c)) * (lse - z[c]) + share * smooth;
        }
        sum
    }

    /// Every label below `K`.
    fn check(&self, target: &[u16], what: &'static str) -> Result<()> {
        check_labels(target, K, what)
    }

    const CLASSIFIES: bool = true;

    fn correct(&self, pred: &[[T; K]], target: &[u16]) -> usize {
        pred.iter()
            .zip(target)
            .filter(|(z, c)| argmax(&z[..]) == usize::from(**c))
            .count()
    }
}

/// [`Error::InvalidLabel`] for the first label not below `classes`.
fn check_labels(target: &[u16], classes: usize, what: &'static str) -> Result<()> {
    match target.iter().position(|&c| usize::from(c) >= classes) {
        None => Ok(()),
        Some(index) => Err(Error::InvalidLabel {
            what,
            index,
            label: usize::from(target[index]),
            classes,
        }),
    }
}

/// Binary cross-entropy over one logit with labels 0 and 1 (`u16`), as PyTorch's
/// `BCEWithLogitsLoss`: the sigmoid and the loss fused, stable for any finite logit. A
/// network feeding it ends with one output (`Dense<_, 1>`, no activation after it).
///
/// ```
/// use constnet::{BinaryCrossEntropy, Loss};
/// let mut grad = [[0.0f64]];
/// let sum = BinaryCrossEntropy.sum_and_grad(&[[0.0]], &[1], &mut grad, 1.0);
/// assert!((sum - 2f64.ln()).abs() < 1e-15); // σ(0) = ½
/// assert_eq!(grad, [[-0.5]]); // σ(z) − y
/// assert_eq!(BinaryCrossEntropy.correct(&[[0.3f64], [-2.0]], &[1, 1]), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BinaryCrossEntropy;

/// `max(z, 0) − z·y + ln(1 + e^{−|z|})`.
fn bce<T: Real>(z: T, y: T) -> T {
    let relu = if z > T::zero() { z } else { T::zero() };
    relu - z * y + (-z.abs()).exp().ln_1p()
}

impl<T: Real> Loss<T, 1> for BinaryCrossEntropy {
    type Target = u16;

    fn count(&self, target: &[u16]) -> f64 {
        target.len() as f64
    }

    fn sum_and_grad(&self, pred: &[[T; 1]], target: &[u16], grad: &mut [[T; 1]], count: T) -> T {
        let mut sum = T::zero();
        for ((&[z], &c), [g]) in pred.iter().zip(target).zip(grad.iter_mut()) {
            let y = T::cast(f64::from(c));
            sum += bce(z, y);
            *g = (Sigmoid.f(z) - y) / count;
        }
        sum
    }

    fn sum(&self, pred: &[[T; 1]], target: &[u16]) -> T {
        pred.iter()
            .zip(target)
            .fold(T::zero(), |s, (&[z], &c)| s + bce(z, T::cast(f64::from(c))))
    }

    /// Every label 0 or 1.
    fn check(&self, target: &[u16], what: &'static str) -> Result<()> {
        check_labels(target, 2, what)
    }

    const CLASSIFIES: bool = true;

    fn correct(&self, pred: &[[T; 1]], target: &[u16]) -> usize {
        pred.iter()
            .zip(target)
            .filter(|([z], c)| u16::from(*z > T::zero()) == **c)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_logits_give_a_finite_loss_and_gradient() {
        let ce = CrossEntropy::<3>::new();
        let z = [[1e4f32, -1e4, 0.0], [-1e4, -1e4, 1e4]];
        let mut g = [[0.0f32; 3]; 2];
        let sum = ce.sum_and_grad(&z, &[1, 2], &mut g, 2.0);
        assert!(sum.is_finite() && (sum - 2e4).abs() <= 2.0, "{sum}");
        assert!(g.as_flattened().iter().all(|v| v.is_finite()));
        assert_eq!(g[0], [0.5, -0.5, 0.0]);
        let mut gb = [[0.0f32]; 2];
        let sum = BinaryCrossEntropy.sum_and_grad(&[[1e4], [-1e4]], &[0, 0], &mut gb, 2.0);
        assert_eq!((sum, gb), (1e4, [[0.5], [0.0]]));
    }

    #[test]
    fn binary_cross_entropy_is_two_class_softmax_with_a_zero_logit() {
        for (z, y) in [(0.7f64, 1u16), (-3.0, 0), (2.5, 0), (-0.1, 1)] {
            let (mut gb, mut gc) = ([[0.0]], [[0.0; 2]]);
            let b = BinaryCrossEntropy.sum_and_grad(&[[z]], &[y], &mut gb, 1.0);
            let c = CrossEntropy::<2>::new().sum_and_grad(&[[0.0, z]], &[y], &mut gc, 1.0);
            assert!((b - c).abs() < 1e-14 && (gb[0][0] - gc[0][1]).abs() < 1e-14);
            assert!((Sigmoid.f(z) - (gc[0][1] + f64::from(y))).abs() < 1e-14);
        }
    }

    #[test]
    fn cross_entropy_takes_exp_and_ln_from_libm() {
        // Logits whose softmax needs `exp` at inputs where glibc's `expf` and `libm`'s
        // differ (−8.940697e-8: 0.99999994 vs 0.9999999), and `ln` at 1.0003263.
        let z = [[0.0f32, -8.940_697e-8, -3.0]];
        let mut g = [[0.0f32; 3]];
        let sum = CrossEntropy::<3>::new().sum_and_grad(&z, &[2], &mut g, 1.0);
        let e = [libm::expf(0.0), libm::expf(-8.940_697e-8), libm::expf(-3.0)];
        let lse = libm::logf(e[0] + e[1] + e[2]);
        assert_eq!(sum.to_bits(), (lse - -3.0).to_bits());
        for k in 0..3 {
            let p = libm::expf(z[0][k] - lse);
            let hot = if k == 2 { 1.0 } else { 0.0 };
            assert_eq!(
                g[0][k].to_bits(),
                ((1.0 * 1.0 * (p - hot) + 0.0 * (3.0 * p - 1.0)) / 1.0f32).to_bits()
            );
        }
        let (_, lse64) = log_sum_exp(&[0.5f64, -1.0]);
        assert_eq!(lse64, 0.5 + libm::log(libm::exp(0.0) + libm::exp(-1.5)));
    }

    #[test]
    fn labels_out_of_range_are_named() {
        let e = Loss::<f32, 3>::check(&CrossEntropy::<3>::new(), &[0, 2, 3], "targets");
        assert!(matches!(
            e,
            Err(Error::InvalidLabel {
                index: 2,
                label: 3,
                classes: 3,
                ..
            })
        ));
        assert!(Loss::<f32, 1>::check(&BinaryCrossEntropy, &[0, 1, 2], "y").is_err());
        assert_eq!(argmax(&[1.0f32, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 1.0]), 1);
    }
}
