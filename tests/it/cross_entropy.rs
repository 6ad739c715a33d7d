//! `CrossEntropy` against PyTorch's `CrossEntropyLoss` formula (`tools/ce_fixture.py`, NumPy,
//! `tests/it/fixtures/cross_entropy.json`: weights, label smoothing, both, logits up to
//! ±10⁴, mean reduction), and every classification loss at extreme logits against its
//! analytic limit.
//!
//! Regenerate the fixture with `python3 tools/ce_fixture.py` (numpy only).

use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::{BinaryCrossEntropy, CrossEntropy, Forward, Loss, Real, Softmax};
use serde_json::Value;

use crate::export::root;

fn num(v: &Value) -> f64 {
    v.as_str()
        .expect("numbers are repr() strings")
        .parse()
        .unwrap()
}

/// One fixture case: the loss's settings, logits, labels and PyTorch's answers.
struct Case {
    weights: Option<Vec<f64>>,
    smoothing: f64,
    logits: Vec<Vec<f64>>,
    labels: Vec<u16>,
    loss: f64,
    grad: Vec<Vec<f64>>,
}

fn cases() -> Vec<(usize, Case)> {
    let path = root().join("tests/it/fixtures/cross_entropy.json");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rows = |v: &Value| -> Vec<Vec<f64>> {
        let rows = v.as_array().unwrap().iter();
        rows.map(|r| r.as_array().unwrap().iter().map(num).collect())
            .collect()
    };
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let case = Case {
                weights: c["weights"].as_array().map(|w| w.iter().map(num).collect()),
                smoothing: num(&c["smoothing"]),
                logits: rows(&c["logits"]),
                labels: c["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as u16)
                    .collect(),
                loss: num(&c["loss"]),
                grad: rows(&c["grad"]),
            };
            (c["classes"].as_u64().unwrap() as usize, case)
        })
        .collect()
}

/// The loss a case describes.
fn loss_of<const K: usize>(case: &Case) -> CrossEntropy<K> {
    let mut ce = CrossEntropy::<K>::new();
    if let Some(w) = &case.weights {
        ce = ce.weights(w.as_slice().try_into().unwrap()).unwrap();
    }
    ce.label_smoothing(case.smoothing).unwrap()
}

/// The largest `|constnet − PyTorch formula| / tolerance` over a case's loss and gradient,
/// computed in `T` with loss `ce`.
///
/// Tolerance. Both sides evaluate the same formula in floating point, in different orders
/// (NumPy vectorised with pairwise sums, constnet one class after another) and with
/// different `exp` / `ln` (each within an ulp). With `m = 1 + max |z|` the logits' scale,
/// every `lse − z_k` carries an absolute error of at most about `(K + 3)·ε·m` (the sum of `K`
/// exponentials is within `K·ε` relative, so its log within `K·ε` absolute; `m + ln` and
/// `− z_k` add `ε·m` each), and every `p_k = e^{z_k − lse}` the same relative error. In `f32`
/// the logits themselves round first: `2·ε·m` more. The loss is a weighted mean of `n`
/// such terms (a sum of `n` more roundings), each sample's weights summing to at most
/// `W = Σ_k w_k`, over a count of at least `n·min w`; a gradient entry is one sample's
/// weighted probabilities over the same count. So either side is within
/// `(K + n + 8)·ε·m·W / min w` of the exact value, and the two within twice that. For the
/// unweighted 3-class case at scale 1 that is about 6e-14; a wrong weight, smoothing share
/// or count is off by 1e-3 or more (see `the_fixture_tells_the_variants_apart`).
fn worst_ratio<T: Real, const K: usize>(ce: &CrossEntropy<K>, case: &Case) -> f64 {
    let n = case.labels.len();
    let pred: Vec<[T; K]> = case
        .logits
        .iter()
        .map(|z| core::array::from_fn(|k| T::cast(z[k])))
        .collect();
    let count = Loss::<T, K>::count(ce, &case.labels);
    let mut grad = vec![[T::zero(); K]; n];
    let sum = ce.sum_and_grad(&pred, &case.labels, &mut grad, T::cast(count));
    // Validation and evaluation use `sum`: the same value, bit for bit.
    assert_eq!(ce.sum(&pred, &case.labels), sum);

    let eps = if T::BYTES == 8 {
        f64::EPSILON
    } else {
        f64::from(f32::EPSILON)
    };
    let m = 1.0
        + case
            .logits
            .iter()
            .flatten()
            .fold(0.0f64, |a, z| a.max(z.abs()));
    let w = case.weights.clone().unwrap_or(vec![1.0; K]);
    let (total, min) = (
        w.iter().sum::<f64>(),
        w.iter().copied().fold(f64::MAX, f64::min),
    );
    let tol = 2.0 * (K + n + 8) as f64 * eps * m * total / min;

    let mut worst = (sum.as_f64() / count - case.loss).abs() / tol;
    for (mine, theirs) in grad.iter().zip(&case.grad) {
        for (a, b) in mine.iter().zip(theirs) {
            worst = worst.max((a.as_f64() - b).abs() / tol);
        }
    }
    worst
}

/// Runs `f` with the case's number of classes as a type.
macro_rules! with_classes {
    ($k:expr, $f:ident, $case:expr) => {
        match $k {
            2 => $f::<2>($case),
            3 => $f::<3>($case),
            4 => $f::<4>($case),
            5 => $f::<5>($case),
            10 => $f::<10>($case),
            k => panic!("no fixture case has {k} classes: add it here"),
        }
    };
}

fn both_scalars<const K: usize>(case: &Case) -> (f64, f64) {
    let ce = loss_of::<K>(case);
    (
        worst_ratio::<f64, K>(&ce, case),
        worst_ratio::<f32, K>(&ce, case),
    )
}

#[test]
fn cross_entropy_equals_pytorchs_formula_to_rounding() {
    let cases = cases();
    assert_eq!(cases.len(), 8);
    let (mut w64, mut w32) = (0.0f64, 0.0f64);
    for (i, (k, case)) in cases.iter().enumerate() {
        let (a, b) = with_classes!(*k, both_scalars, case);
        assert!(
            a <= 1.0 && b <= 1.0,
            "case {i}: worst error / tolerance f64 {a}, f32 {b}"
        );
        (w64, w32) = (w64.max(a), w32.max(b));
    }
    eprintln!("worst |constnet - fixture| / tolerance: f64 {w64:.3e}, f32 {w32:.3e}");
}

/// The smallest miss, in tolerances, of the case computed without its weights (if it has
/// some) or without its smoothing (if it has some), everything else as the case says.
fn variants<const K: usize>(case: &Case) -> f64 {
    let smoothed = CrossEntropy::<K>::new()
        .label_smoothing(case.smoothing)
        .unwrap();
    let mut worst = f64::INFINITY;
    if case.weights.is_some() {
        worst = worst.min(worst_ratio::<f64, K>(&smoothed, case));
    }
    if case.smoothing > 0.0 {
        let mut weighted = CrossEntropy::<K>::new();
        if let Some(w) = &case.weights {
            weighted = weighted.weights(w.as_slice().try_into().unwrap()).unwrap();
        }
        worst = worst.min(worst_ratio::<f64, K>(&weighted, case));
    }
    worst
}

#[test]
fn the_fixture_tells_the_variants_apart() {
    // Every weighted or smoothed case, computed without its weights or without its
    // smoothing, misses the tolerance by far: the comparison above can fail.
    let mut seen = 0;
    for (k, case) in cases() {
        if case.weights.is_some() || case.smoothing > 0.0 {
            let ratio = with_classes!(k, variants, &case);
            assert!(
                ratio > 1e3,
                "{k} classes: a variant is within {ratio} tolerances"
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 4);
}

/// `sum_and_grad` of one sample with count 1, in `T`.
fn one<T: Real, const K: usize>(ce: &CrossEntropy<K>, z: [f64; K], c: u16) -> (f64, [f64; K]) {
    let z: [T; K] = z.map(T::cast);
    let mut g = [[T::zero(); K]];
    let l = ce.sum_and_grad(&[z], &[c], &mut g, T::one());
    assert!(l.finite() && g[0].iter().all(|v| v.finite()), "{z:?}");
    (l.as_f64(), g[0].map(|v| v.as_f64()))
}

/// At logits of ±10⁴ the softmax is 0, ½, ¼ or 1 (e^{-10⁴} is 0 in floating point), so the
/// analytic limit is known: `p` below, `lse = max + ln(#max)`, the loss
/// `(1 − ε)·w_c·(lse − z_c) + (ε/K)·Σ w_k (lse − z_k)` and the gradient
/// `(1 − ε)·w_c·(p − onehot) + (ε/K)·(W·p − w)`, `W = Σ w`. Computed, `lse` rounds to its
/// scalar's ulp at 10⁴ (`ε·10⁴`: 2e-12 in f64, 1e-3 in f32), which moves each `lse − z_k` by
/// that much and each `p_k` by that relative amount; weighted by at most `w_c + W`, with a
/// factor 4 for the few roundings of the products: tolerance `4·ε·m·(w_c + W)`, `m = 1 + 10⁴`.
fn extreme<T: Real>() {
    let eps_t = if T::BYTES == 8 {
        f64::EPSILON
    } else {
        f64::from(f32::EPSILON)
    };
    let w = [0.5, 2.0, 1.0, 3.0];
    let cases: [([f64; 4], u16, [f64; 4]); 4] = [
        ([1e4, -1e4, 0.0, -1e4], 1, [1.0, 0.0, 0.0, 0.0]),
        // Mixed: two huge logits tie, one small, one hugely negative.
        ([1e4, 1e4, 1e-4, -1e4], 2, [0.5, 0.5, 0.0, 0.0]),
        ([-1e4, -1e4, -1e4, -1e4], 3, [0.25; 4]),
        ([-1e4, 1e4, -1e4, -5.0], 1, [0.0, 1.0, 0.0, 0.0]),
    ];
    for (weights, eps) in [(None, 0.0), (Some(w), 0.0), (None, 0.1), (Some(w), 0.2)] {
        let mut ce = CrossEntropy::<4>::new().label_smoothing(eps).unwrap();
        if let Some(w) = weights {
            ce = ce.weights(w).unwrap();
        }
        let w = weights.unwrap_or([1.0; 4]);
        let total: f64 = w.iter().sum();
        for (z, c, p) in cases {
            let c_ = usize::from(c);
            let tol = 4.0 * eps_t * (1.0 + 1e4) * (w[c_] + total);
            let ties = p.iter().filter(|&&v| v > 0.0).count() as f64;
            let max = z.iter().copied().fold(f64::MIN, f64::max);
            let lse = max + ties.ln();
            let want_loss = (1.0 - eps) * w[c_] * (lse - z[c_])
                + eps / 4.0 * (0..4).map(|k| w[k] * (lse - z[k])).sum::<f64>();
            let (loss, grad) = one::<T, 4>(&ce, z, c);
            assert!(
                (loss - want_loss).abs() <= tol,
                "{z:?}: {loss} vs {want_loss}"
            );
            for k in 0..4 {
                let hot = f64::from(u8::from(k == c_));
                let want = (1.0 - eps) * w[c_] * (p[k] - hot) + eps / 4.0 * (total * p[k] - w[k]);
                assert!((grad[k] - want).abs() <= tol, "{z:?} [{k}]: {grad:?}");
            }
        }
    }
}

#[test]
fn cross_entropy_at_extreme_logits_is_its_analytic_limit() {
    extreme::<f64>();
    extreme::<f32>();
}

#[test]
fn binary_cross_entropy_at_extreme_logits_is_its_analytic_limit() {
    // ℓ = max(z, 0) − z·y + ln(1 + e^{−|z|}): at |z| = 10⁴ the log term is 0 and the loss is
    // |z| when the logit points the wrong way, 0 otherwise; ∂ℓ/∂z = σ(z) − y is −1, 0 or 1.
    for (z, y, loss, grad) in [
        (1e4, 0, 1e4, 1.0),
        (1e4, 1, 0.0, 0.0),
        (-1e4, 1, 1e4, -1.0),
        (-1e4, 0, 0.0, 0.0),
    ] {
        let mut g = [[0.0f64]];
        assert_eq!(
            BinaryCrossEntropy.sum_and_grad(&[[z]], &[y], &mut g, 1.0),
            loss
        );
        assert_eq!(g, [[grad]]);
        let mut g = [[0.0f32]];
        let l = BinaryCrossEntropy.sum_and_grad(&[[z as f32]], &[y], &mut g, 1.0);
        assert_eq!((l, g), (loss as f32, [[grad as f32]]));
    }
    // A confident right answer keeps its tiny loss: ln(1 + e^{−40}) = e^{−40}(1 − e^{−40}/2 …),
    // which a naive `ln(1 + e^{−z})` rounds to 0 (1 + 4e-18 is 1 in f64).
    let mut g = [[0.0f64]];
    let tiny = BinaryCrossEntropy.sum_and_grad(&[[40.0]], &[1], &mut g, 1.0);
    assert!(
        (tiny - (-40f64).exp()).abs() <= 2.0 * f64::EPSILON * tiny,
        "{tiny}"
    );
}

#[test]
fn softmax_at_extreme_logits_is_its_analytic_limit() {
    // p = (½, ½, 0, 0) and the backward pass p_j·(g_j − Σ g·p): exact in both scalars.
    fn check<T: Real>() {
        let z = [1e4, 1e4, 1e-4, -1e4].map(T::cast);
        let g = [0.5, -1.5, 3.0, 2.0].map(T::cast);
        let x = OMatrix::<T, Const<4>, Dyn>::from_column_slice(&z);
        let up = OMatrix::<T, Const<4>, Dyn>::from_column_slice(&g);
        let (p, mut ws) = Softmax.forward_train(&x);
        assert_eq!(p.as_slice(), [0.5, 0.5, 0.0, 0.0].map(T::cast));
        let (dx, _) = Softmax.backward(&x, &mut ws, &up).unwrap();
        // Σ g·p = −0.5; p_j·(g_j + 0.5) = (0.5, −0.5, 0, 0).
        assert_eq!(dx.as_slice(), [0.5, -0.5, 0.0, 0.0].map(T::cast));
    }
    check::<f64>();
    check::<f32>();
}
