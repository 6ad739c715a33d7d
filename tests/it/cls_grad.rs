//! Classification gradients against finite differences, in f64, through the public
//! [`constnet::gradcheck`] (its module docs give the step, the tolerance and the kink rule):
//! `CrossEntropy` (with weights and label smoothing), `BinaryCrossEntropy` and `Softmax`,
//! alone and at the end of a whole `Dense → ReLU → Dense` classifier.
//!
//! A loss is not a layer, so [`LossLayer`] makes it the last one: sample `j`'s output is its
//! loss. The checker's objective `Σ_j c_j·ℓ_j` then exercises the loss's gradient with
//! arbitrary per-sample coefficients, and through the network the product of it with every
//! layer's backward pass. The batch mean (the loss's `count`: samples, or summed class
//! weights) is checked by hand, with the checker's step and tolerance.

use constnet::gradcheck::{self, GradCheck};
use constnet::layer::{Buffers, check_batch};
use constnet::{
    BinaryCrossEntropy, CrossEntropy, Dense, Forward, Layer, Loss, Net, Params, Relu, Softmax, Tanh,
};
use nalgebra::{Const, Dyn, OMatrix, U1};
use proptest::prelude::*;

use crate::common::config;

/// A loss as the last layer of a network: output `ℓ_j` (the loss's `sum` over sample `j`
/// alone), backward `c_j · ∂ℓ_j/∂z_j` (its `sum_and_grad` with count 1).
#[derive(Clone, Debug, Default)]
struct LossLayer<L, const K: usize> {
    loss: L,
    labels: Vec<u16>,
}

impl<L, const K: usize> Layer<Const<K>, f64> for LossLayer<L, K> {
    type Out = U1;
}

impl<L: Default, const K: usize> Params<f64> for LossLayer<L, K> {
    const TENSORS: usize = 0;
    fn shape(_: usize) -> (usize, usize) {
        (0, 0)
    }
    fn tensor(&self, _: usize) -> &[f64] {
        &[]
    }
    fn tensor_mut(&mut self, _: usize) -> &mut [f64] {
        &mut []
    }
    fn zeros() -> Self {
        LossLayer {
            loss: L::default(),
            labels: Vec::new(),
        }
    }
}

impl<L, const K: usize> Forward<f64, Const<K>, Dyn> for LossLayer<L, K>
where
    L: Loss<f64, K, Target = u16> + Default,
{
    type Workspace = Buffers<f64, Const<K>, U1, Dyn>;

    fn forward_into(&self, x: &OMatrix<f64, Const<K>, Dyn>, ws: &mut Self::Workspace) {
        ws.resize(Dyn(x.ncols()));
        let z = x.as_slice().as_chunks::<K>().0;
        for (j, (z, &c)) in z.iter().zip(&self.labels).enumerate() {
            ws.output[j] = self.loss.sum(&[*z], &[c]);
        }
    }

    fn backward_into(
        &self,
        x: &OMatrix<f64, Const<K>, Dyn>,
        ws: &mut Self::Workspace,
        g: &OMatrix<f64, U1, Dyn>,
        _: &mut Self,
    ) -> constnet::Result<()> {
        check_batch(g.ncols(), x.ncols())?;
        ws.resize(Dyn(x.ncols()));
        let z = x.as_slice().as_chunks::<K>().0;
        for (j, (z, &c)) in z.iter().zip(&self.labels).enumerate() {
            let mut d = [[0.0; K]];
            self.loss.sum_and_grad(&[*z], &[c], &mut d, 1.0);
            for (k, v) in d[0].iter().enumerate() {
                ws.grad_input[(k, j)] = g[j] * v;
            }
        }
        Ok(())
    }
}

fn values(n: usize, r: f64) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-r..r, n)
}

fn batch<const R: usize>(n: usize, r: f64) -> impl Strategy<Value = OMatrix<f64, Const<R>, Dyn>> {
    values(R * n, r).prop_map(OMatrix::<f64, Const<R>, Dyn>::from_vec)
}

fn dense<const I: usize, const O: usize>() -> impl Strategy<Value = Dense<I, O, f64>> {
    (values(I * O, 1.5), values(O, 0.5)).prop_map(|(w, b)| Dense::from_slices(&w, &b).unwrap())
}

fn labels(n: usize, k: u16) -> impl Strategy<Value = Vec<u16>> {
    proptest::collection::vec(0..k, n)
}

/// A `CrossEntropy<K>`: no weights or weights in [0.1, 5), no smoothing or up to 0.5.
fn cross_entropy<const K: usize>() -> impl Strategy<Value = CrossEntropy<K>> {
    let weights = proptest::option::of(proptest::collection::vec(0.1..5.0f64, K));
    let smoothing = prop_oneof![Just(0.0), 0.0..0.5f64];
    (weights, smoothing).prop_map(|(w, eps)| {
        let ce = CrossEntropy::<K>::new().label_smoothing(eps).unwrap();
        match w {
            Some(w) => ce.weights(w.try_into().unwrap()).unwrap(),
            None => ce,
        }
    })
}

/// The crate's checker as a proptest assertion.
fn check<N>(
    net: &N,
    x: &OMatrix<f64, N::In, Dyn>,
    c: &OMatrix<f64, U1, Dyn>,
) -> Result<(), TestCaseError>
where
    N: Net<Scalar = f64> + Forward<f64, <N as Net>::In, Dyn, Out = U1> + Clone,
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<N::In, Dyn>,
{
    let report = gradcheck::check::<N, N::In, Dyn>(net, x, c)
        .map_err(|f| TestCaseError::fail(f.to_string()))?;
    prop_assert!(report.checked > 0);
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn cross_entropy_per_sample(
        ce in cross_entropy::<5>(),
        (z, y, c) in (1usize..=8).prop_flat_map(|n| (batch::<5>(n, 6.0), labels(n, 5), batch::<1>(n, 2.0))),
    ) {
        let layer = LossLayer::<_, 5> { loss: ce, labels: y };
        let report = gradcheck::check::<_, Const<5>, Dyn>(&layer, &z, &c)
            .map_err(|f| TestCaseError::fail(f.to_string()))?;
        prop_assert_eq!(report.checked, z.len()); // smooth: no kinks
    }

    #[test]
    fn binary_cross_entropy_per_sample(
        (z, y, c) in (1usize..=8).prop_flat_map(|n| (batch::<1>(n, 30.0), labels(n, 2), batch::<1>(n, 2.0))),
    ) {
        let layer = LossLayer::<BinaryCrossEntropy, 1> { loss: BinaryCrossEntropy, labels: y };
        let report = gradcheck::check::<_, Const<1>, Dyn>(&layer, &z, &c)
            .map_err(|f| TestCaseError::fail(f.to_string()))?;
        prop_assert_eq!(report.checked, z.len());
    }

    #[test]
    fn softmax_alone(
        (x, c) in (1usize..=8).prop_flat_map(|n| (batch::<4>(n, 8.0), batch::<4>(n, 2.0))),
    ) {
        let report = gradcheck::check::<_, Const<4>, Dyn>(&Softmax, &x, &c)
            .map_err(|f| TestCaseError::fail(f.to_string()))?;
        prop_assert_eq!(report.checked, x.len());
    }

    #[test]
    fn cross_entropy_classifier(
        (a, b, ce) in (dense::<4, 8>(), dense::<8, 3>(), cross_entropy::<3>()),
        (x, y, c) in (1usize..=6).prop_flat_map(|n| (batch::<4>(n, 2.0), labels(n, 3), batch::<1>(n, 2.0))),
    ) {
        let net = a.then(Relu).then(b).then(LossLayer::<_, 3> { loss: ce, labels: y });
        check(&net, &x, &c)?;
    }

    #[test]
    fn binary_cross_entropy_classifier(
        (a, b) in (dense::<4, 8>(), dense::<8, 1>()),
        (x, y, c) in (1usize..=6).prop_flat_map(|n| (batch::<4>(n, 2.0), labels(n, 2), batch::<1>(n, 2.0))),
    ) {
        let net = a.then(Relu).then(b).then(LossLayer::<BinaryCrossEntropy, 1> { loss: BinaryCrossEntropy, labels: y });
        check(&net, &x, &c)?;
    }

    #[test]
    fn softmax_classifier(
        (a, b) in (dense::<4, 8>(), dense::<8, 3>()),
        (x, c) in (1usize..=6).prop_flat_map(|n| (batch::<4>(n, 2.0), batch::<3>(n, 2.0))),
    ) {
        // Probabilities out, as an exported or PyTorch-style model runs it.
        let net = a.then(Tanh).then(b).then(Softmax);
        let report = gradcheck::check::<_, Const<4>, Dyn>(&net, &x, &c)
            .map_err(|f| TestCaseError::fail(f.to_string()))?;
        prop_assert!(report.checked > 0);
    }

    /// The batch mean the trainer minimises: `Σ ℓ / count`, `count` the samples or their
    /// summed class weights; its gradient is what `sum_and_grad` writes given that count.
    #[test]
    fn cross_entropy_batch_mean(
        ce in cross_entropy::<4>(),
        (z, y) in (1usize..=8).prop_flat_map(|n| (values(4 * n, 6.0), labels(n, 4))),
    ) {
        let pred: Vec<[f64; 4]> = z.as_chunks::<4>().0.to_vec();
        let count = Loss::<f64, 4>::count(&ce, &y);
        let mean = |p: &[[f64; 4]]| ce.sum(p, &y) / count;
        let mut grad = vec![[0.0; 4]; pred.len()];
        let sum = ce.sum_and_grad(&pred, &y, &mut grad, count);
        prop_assert_eq!(sum, ce.sum(&pred, &y));
        let (h, s) = (GradCheck::DEFAULT.step, 1.0 + mean(&pred).abs());
        for j in 0..pred.len() {
            for k in 0..4 {
                let (mut up, mut down) = (pred.clone(), pred.clone());
                up[j][k] += h;
                down[j][k] -= h;
                let numeric = (mean(&up) - mean(&down)) / (2.0 * h);
                let a = grad[j][k];
                let tol = GradCheck::DEFAULT.rel_tol * a.abs().max(numeric.abs()) + GradCheck::DEFAULT.abs_tol * s;
                prop_assert!((a - numeric).abs() <= tol, "[{}][{}]: {} vs {}", j, k, a, numeric);
            }
        }
    }
}

#[test]
fn the_adapter_catches_a_wrong_loss_gradient() {
    // The checks above can fail: a loss whose gradient forgets the smoothing term (its
    // value is CrossEntropy's with ε = 0.3, its gradient that of ε = 0) is refused.
    #[derive(Clone, Copy, Debug, Default)]
    struct Unsmoothed;
    impl Loss<f64, 3> for Unsmoothed {
        type Target = u16;
        fn count(&self, t: &[u16]) -> f64 {
            t.len() as f64
        }
        fn sum_and_grad(&self, p: &[[f64; 3]], t: &[u16], g: &mut [[f64; 3]], n: f64) -> f64 {
            CrossEntropy::<3>::new().sum_and_grad(p, t, g, n);
            self.sum(p, t)
        }
        fn sum(&self, p: &[[f64; 3]], t: &[u16]) -> f64 {
            let smoothed = CrossEntropy::<3>::new().label_smoothing(0.3).unwrap();
            Loss::<f64, 3>::sum(&smoothed, p, t)
        }
        fn check(&self, _: &[u16], _: &'static str) -> constnet::Result<()> {
            Ok(())
        }
    }
    let z = OMatrix::<f64, Const<3>, Dyn>::from_fn(4, |i, j| (i as f64 - 1.0) * (j as f64 + 0.5));
    let c = OMatrix::<f64, U1, Dyn>::from_element(4, 1.0);
    let labels = vec![0, 1, 2, 1];
    let good = LossLayer::<_, 3> {
        loss: CrossEntropy::<3>::new().label_smoothing(0.3).unwrap(),
        labels: labels.clone(),
    };
    assert!(gradcheck::check::<_, Const<3>, Dyn>(&good, &z, &c).is_ok());
    let bad = LossLayer::<_, 3> {
        loss: Unsmoothed,
        labels,
    };
    assert!(gradcheck::check::<_, Const<3>, Dyn>(&bad, &z, &c).is_err());
}
