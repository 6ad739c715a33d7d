//! Every analytic gradient against central finite differences, in f64, through the public
//! [`constnet::gradcheck`] (its module docs give the step, the tolerance and the kink rule).
//! The rest of these docs is the reasoning behind those settings.
//!
//! # Method
//! For a network `f` and a fixed random coefficient matrix `C` of the output's shape, the
//! scalar objective is `L(θ, x) = Σ C ⊙ f(x; θ)`, so `∂L/∂output = C`: one backward call
//! gives `∂L/∂x` and `∂L/∂θ`, which are compared, coordinate by coordinate, with
//! `(L(θ + h·e) − L(θ − h·e)) / 2h`.
//!
//! # Step size and tolerance
//! `h = 1e-6` in f64 (f32 central differences are useless on this network: its round-off,
//! ~1e-7·S/h, swamps the signal; in f64 `h = 1e-6` balances truncation against round-off,
//! where 1e-4 or 1e-8 leave ~1e-4 relative error). The truncation error is
//! `O(h²·f''') ≈ 1e-12`; the round-off error is about `ε·S/h` where `ε = 2.2e-16` and `S` is the
//! sum of the magnitudes of the terms of `L` (≈ 2e-10·S). A coordinate passes when
//! `|analytic − numeric| ≤ 1e-4·max(|analytic|, |numeric|) + 1e-8·S`: a 1e-4 relative
//! tolerance, plus an absolute floor 50× above the round-off estimate for coordinates whose
//! gradient is nearly zero. A wrong backward (missing transpose, factor 2, lost bias
//! gradient, wrong ReLU derivative) is off by O(1) relative and fails by orders of magnitude.
//!
//! # Kinks
//! A ReLU is not differentiable at 0. At a coordinate where the slope visibly changes
//! within ±h, the analytic value must lie between the two one-sided slopes (it is one
//! side's); elsewhere it must match the central difference. Nothing is skipped, and the
//! checker fails if it compared nothing or only zeros (`gradcheck_refuses_to_pass_vacuously`).

use constnet::gradcheck::GradCheck;
use constnet::{
    Dense, Forward, Identity, Init, InitScheme, Net, Optimizer, Params, Relu, Sgd, Sigmoid, Tanh,
    loss, net,
};
use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, DimName, Dyn, OMatrix, SVector, U1};
use proptest::prelude::*;
use proptest::sample::Index;
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

use crate::common::config;

// The loss is not a layer, so its gradient (`mse_gradient`) is checked here by hand, with
// the checker's own step and tolerance.
const H: f64 = GradCheck::DEFAULT.step;
const REL_TOL: f64 = GradCheck::DEFAULT.rel_tol;
const ABS_FLOOR: f64 = GradCheck::DEFAULT.abs_tol;

type SeedNet = net![
    Dense<1, 64, f64>,
    Relu,
    Dense<64, 64, f64>,
    Relu,
    Dense<64, 1, f64>
];

/// Which parameter coordinates to check: all, or a sample drawn by proptest.
enum Coords<'a> {
    All,
    Sample(&'a [Index]),
}

fn close(analytic: f64, numeric: f64, scale: f64) -> bool {
    (analytic - numeric).abs() <= REL_TOL * analytic.abs().max(numeric.abs()) + ABS_FLOOR * scale
}

/// The crate's own [`gradcheck`], as a proptest assertion: one checker, not two.
fn check<N, I, B>(
    net: &N,
    x: &OMatrix<f64, I, B>,
    c: &OMatrix<f64, N::Out, B>,
    coords: Coords,
) -> Result<(), TestCaseError>
where
    N: Forward<f64, I, B> + Clone,
    I: DimName,
    B: Dim,
    DefaultAllocator: Allocator<I, B> + Allocator<N::Out, B>,
{
    let mut config = GradCheck::default();
    if let Coords::Sample(ix) = coords {
        config.max_params = ix.len();
        config.seed = ix.iter().fold(0, |h, i| {
            h.wrapping_mul(31).wrapping_add(i.index(1 << 20) as u64)
        });
    }
    match config.check::<N, I, B>(net, x, c) {
        Ok(report) => {
            prop_assert!(report.checked > 0, "nothing checked");
            Ok(())
        }
        Err(failure) => Err(TestCaseError::fail(failure.to_string())),
    }
}

fn values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-2.0..2.0f64, n)
}

fn dense<const I: usize, const O: usize>() -> impl Strategy<Value = Dense<I, O, f64>> {
    (values(I * O), values(O)).prop_map(|(w, b)| Dense::from_slices(&w, &b).expect("sizes"))
}

fn batch<const R: usize>(n: usize) -> impl Strategy<Value = OMatrix<f64, Const<R>, Dyn>> {
    values(R * n).prop_map(OMatrix::<f64, Const<R>, Dyn>::from_vec)
}

/// The seed network with He weights and small random biases (so no pre-activation sits on
/// a kink by construction).
fn seed_net(seed: u64) -> SeedNet {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net: SeedNet = Init::init(&mut rng, InitScheme::He);
    let mut k = 0.0;
    for t in [1, 3, 5] {
        for b in net.tensor_mut(t) {
            k += 0.37;
            *b = 0.1 * f64::sin(k);
        }
    }
    net
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn dense_single_sample(layer in dense::<3, 4>(), x in values(3), c in values(4)) {
        let x = OMatrix::<f64, Const<3>, U1>::from_column_slice(&x);
        let c = OMatrix::<f64, Const<4>, U1>::from_column_slice(&c);
        check(&layer, &x, &c, Coords::All)?;
    }

    #[test]
    fn dense_fixed_batch(layer in dense::<5, 2>(), x in values(5 * 3), c in values(2 * 3)) {
        let x = OMatrix::<f64, Const<5>, Const<3>>::from_column_slice(&x);
        let c = OMatrix::<f64, Const<2>, Const<3>>::from_column_slice(&c);
        check(&layer, &x, &c, Coords::All)?;
    }

    #[test]
    fn dense_runtime_batch(
        (layer, x, c) in (1usize..=20).prop_flat_map(|n| (dense::<7, 6>(), batch::<7>(n), batch::<6>(n)))
    ) {
        check(&layer, &x, &c, Coords::All)?;
    }

    #[test]
    fn dense_seed_shapes(
            (l1, l3, x, c1, h, c3) in (1usize..=12).prop_flat_map(|n| {
            (dense::<1, 64>(), dense::<64, 1>(), batch::<1>(n), batch::<64>(n), batch::<64>(n), batch::<1>(n))
        })
    ) {
        check(&l1, &x, &c1, Coords::All)?;
        check(&l3, &h, &c3, Coords::All)?;
    }

    #[test]
    fn activations(
        (x, c) in (1usize..=16).prop_flat_map(|n| (batch::<5>(n), batch::<5>(n)))
    ) {
        let wide = x.map(|v| v * 4.0);
        check(&Relu, &x, &c, Coords::All)?;
        check(&Sigmoid, &wide, &c, Coords::All)?;
        check(&Tanh, &wide, &c, Coords::All)?;
        check(&Identity, &x, &c, Coords::All)?;
    }

    #[test]
    fn small_networks_every_coordinate(
        (a, b, x, c) in (1usize..=8).prop_flat_map(|n| (dense::<3, 5>(), dense::<5, 2>(), batch::<3>(n), batch::<2>(n)))
    ) {
        let tanh = a.clone().then(Tanh).then(b.clone());
        check(&tanh, &x, &c, Coords::All)?;
        let sigmoid = a.clone().then(Sigmoid).then(b.clone());
        check(&sigmoid, &x, &c, Coords::All)?;
        let relu = a.then(Relu).then(b);
        check(&relu, &x, &c, Coords::All)?;
    }

    #[test]
    fn seed_network_single_sample(
        seed in any::<u64>(), x in -2.0..2.0f64, c in -2.0..2.0f64,
        ix in proptest::collection::vec(any::<Index>(), 96),
    ) {
        let net = seed_net(seed);
        let x = OMatrix::<f64, U1, U1>::from([[x]]);
        let c = OMatrix::<f64, U1, U1>::from([[c]]);
        check(&net, &x, &c, Coords::Sample(&ix))?;
    }

    #[test]
    fn seed_network_runtime_batch(
        seed in any::<u64>(),
        (x, c) in (1usize..=16).prop_flat_map(|n| (batch::<1>(n), batch::<1>(n))),
        ix in proptest::collection::vec(any::<Index>(), 96),
    ) {
        check(&seed_net(seed), &x, &c, Coords::Sample(&ix))?;
    }

    #[test]
    fn training_path_gives_the_same_gradient(
        seed in any::<u64>(),
        (x, c) in (1usize..=16).prop_flat_map(|n| (batch::<1>(n), batch::<1>(n))),
    ) {
        // The `Trainer` calls `backward_params` (no ∂L/∂x); the checks above go through
        // `backward` (`backward_into`, with ∂L/∂x). Both must produce the same parameter
        // gradient.
        let net = seed_net(seed);
        let (_, mut ws) = net.forward_train(&x);
        let (_, checked) = net.backward(&x, &mut ws, &c).unwrap();
        let mut ws2 = <SeedNet as Forward<f64, Const<1>, Dyn>>::workspace(Dyn(x.ncols()));
        net.forward_into(&x, &mut ws2);
        let mut trained = SeedNet::zeros();
        net.backward_params(&x, &mut ws2, &c, &mut trained).unwrap();
        prop_assert_eq!(checked, trained);
    }

    #[test]
    fn mse_gradient((p, t) in (1usize..=10).prop_flat_map(|n| (batch::<2>(n), batch::<2>(n)))) {
        let g = loss::mse_grad(&p, &t).unwrap();
        for k in 0..p.len() {
            let (mut pp, mut pm) = (p.clone(), p.clone());
            pp[k] += H;
            pm[k] -= H;
            let numeric = (loss::mse(&pp, &t).unwrap() - loss::mse(&pm, &t).unwrap()) / (2.0 * H);
            let scale = 1.0 + loss::mse(&p, &t).unwrap();
            prop_assert!(close(g[k], numeric, scale), "dL/dpred[{k}]: {} vs {numeric}", g[k]);
        }
    }

    #[test]
    fn sgd_step_decreases_loss(
        seed in any::<u64>(),
        (x, y) in (1usize..=32).prop_flat_map(|n| (batch::<1>(n), batch::<1>(n))),
    ) {
        let mut net = seed_net(seed);
        let (pred, mut ws) = net.forward_train(&x);
        let before = loss::mse(&pred, &y).unwrap();
        let (_, grad) = net.backward(&x, &mut ws, &loss::mse_grad(&pred, &y).unwrap()).unwrap();
        let lr = 1e-6;
        let norm2: f64 = (0..SeedNet::TENSORS).flat_map(|t| grad.tensor(t).iter().map(|g| g * g)).sum();
        // First order the loss falls by lr·|g|²; only claim it where that exceeds f64 round-off.
        prop_assume!(lr * norm2 > 1e-12 * (1.0 + before));
        Sgd::new(lr).unwrap().step(&mut net, &grad);
        let after = loss::mse(&net.forward(&x), &y).unwrap();
        prop_assert!(after < before, "loss rose from {before} to {after}");
    }
}

/// A sigmoid with a wrong derivative (the sigmoid's own value instead of `s·(1 − s)`).
#[derive(Clone, Copy, Debug, Default)]
struct WrongSigmoid;

impl<D: DimName, T: constnet::Real> constnet::Layer<D, T> for WrongSigmoid {
    type Out = D;
}

impl constnet::Activation for WrongSigmoid {
    fn f<T: constnet::Real>(&self, x: T) -> T {
        Sigmoid.f(x)
    }
    fn df<T: constnet::Real>(&self, x: T) -> T {
        Sigmoid.f(x)
    }
}

#[test]
fn gradcheck_rejects_a_wrong_derivative() {
    let x = OMatrix::<f64, Const<3>, Dyn>::from_fn(4, |i, j| 0.4 * i as f64 - 0.3 * j as f64);
    let c = OMatrix::<f64, Const<3>, Dyn>::from_element(4, 1.0);
    assert!(constnet::gradcheck::check(&Sigmoid, &x, &c).is_ok());
    let failure = constnet::gradcheck::check(&WrongSigmoid, &x, &c).unwrap_err();
    assert!(
        matches!(failure, constnet::gradcheck::Failure::Input { .. }),
        "{failure}"
    );
    // Inside a network, fused into the Dense layers around it, it is caught too.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let a: Dense<3, 16, f64> = Init::init(&mut rng, InitScheme::XavierNormal);
    let b: Dense<16, 3, f64> = Init::init(&mut rng, InitScheme::XavierNormal);
    let good = a.clone().then(Sigmoid).then(b.clone());
    let bad = a.then(WrongSigmoid).then(b);
    assert!(constnet::gradcheck::check(&good, &x, &c).is_ok());
    assert!(constnet::gradcheck::check(&bad, &x, &c).is_err());
}

#[test]
fn gradcheck_checks_leaky_relu_away_from_its_kink() {
    let x =
        OMatrix::<f64, Const<4>, Dyn>::from_fn(6, |i, j| 0.37 * i as f64 - 0.21 * j as f64 + 0.055);
    let c = OMatrix::<f64, Const<4>, Dyn>::from_fn(6, |i, j| 1.0 + 0.1 * (i + j) as f64);
    let report = constnet::gradcheck::check(&constnet::LeakyRelu::new(0.2f64), &x, &c).unwrap();
    assert_eq!((report.checked, report.kinks), (24, 0));
}

/// `x²/2`, with a derivative that is wrong by 0.01 near 0 when `WRONG` (ten times the true
/// value there): a smooth function whose error a kink rule could mistake for a kink.
#[derive(Clone, Copy, Debug, Default)]
struct HalfSquare<const WRONG: bool>;

impl<D: DimName, T: constnet::Real, const W: bool> constnet::Layer<D, T> for HalfSquare<W> {
    type Out = D;
}

impl<const WRONG: bool> constnet::Activation for HalfSquare<WRONG> {
    fn f<T: constnet::Real>(&self, x: T) -> T {
        x * x / T::cast(2.0)
    }
    fn df<T: constnet::Real>(&self, x: T) -> T {
        let off = WRONG && x.abs() < T::cast(0.005);
        if off { x + T::cast(0.01) } else { x }
    }
}

#[test]
fn gradcheck_is_not_fooled_near_a_stationary_point() {
    let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[0.0, 0.001, 0.004, 0.008, 0.5]);
    let c = OMatrix::<f64, Const<1>, Dyn>::from_element(5, 1.0);
    let report = constnet::gradcheck::check(&HalfSquare::<false>, &x, &c).unwrap();
    assert_eq!((report.checked, report.kinks), (5, 0));
    let failure = constnet::gradcheck::check(&HalfSquare::<true>, &x, &c).unwrap_err();
    assert!(
        matches!(failure, constnet::gradcheck::Failure::Input { .. }),
        "{failure}"
    );
}

#[test]
fn gradcheck_accepts_a_kink_as_one_sides_slope_and_limits_them() {
    use constnet::gradcheck::{Failure, check};
    // One ReLU input exactly at 0 (ReLU'(0) = 0 is the left slope), four away from it.
    let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[0.0, -1.0, 0.5, 1.5, -0.3]);
    let c = OMatrix::<f64, Const<1>, Dyn>::from_element(5, 1.0);
    let report = check(&Relu, &x, &c).unwrap();
    assert_eq!((report.checked, report.kinks), (4, 1));
    // Every input at the kink: too many to say anything.
    let zeros = OMatrix::<f64, Const<1>, Dyn>::from_element(3, 0.0);
    let c3 = OMatrix::<f64, Const<1>, Dyn>::from_element(3, 1.0);
    assert!(matches!(
        check(&Relu, &zeros, &c3),
        Err(Failure::TooManyKinks { kinks: 3, .. })
    ));
}

#[test]
fn gradcheck_refuses_to_pass_vacuously() {
    use constnet::gradcheck::{Failure, GradCheck, check};
    let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[0.3, -0.7]);
    // Zero coefficients: L ≡ 0 cannot tell a wrong derivative from a right one.
    let zero = OMatrix::<f64, Const<1>, Dyn>::from_element(2, 0.0);
    assert!(matches!(
        check(&WrongSigmoid, &x, &zero),
        Err(Failure::Vacuous)
    ));
    // An empty batch checks nothing.
    let empty = OMatrix::<f64, Const<1>, Dyn>::zeros(0);
    assert!(matches!(
        check(&Sigmoid, &empty, &empty),
        Err(Failure::Vacuous)
    ));
    // Settings out of range.
    let mut bad = GradCheck::default();
    bad.step = 0.0;
    let c = OMatrix::<f64, Const<1>, Dyn>::from_element(2, 1.0);
    assert!(matches!(
        bad.check(&Sigmoid, &x, &c),
        Err(Failure::Setting { name: "step", .. })
    ));
}

/// `y = x + b`, whose backward pass doubles `∂L/∂b`: a wrong parameter gradient.
#[derive(Clone, Debug)]
struct BadBias(SVector<f64, 2>);

impl constnet::Layer<Const<2>, f64> for BadBias {
    type Out = Const<2>;
}

impl Params<f64> for BadBias {
    const TENSORS: usize = 1;
    fn shape(i: usize) -> (usize, usize) {
        if i == 0 { (2, 1) } else { (0, 0) }
    }
    fn tensor(&self, i: usize) -> &[f64] {
        if i == 0 { self.0.as_slice() } else { &[] }
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [f64] {
        if i == 0 {
            self.0.as_mut_slice()
        } else {
            &mut []
        }
    }
    fn zeros() -> Self {
        BadBias(SVector::zeros())
    }
}

impl Forward<f64, Const<2>, Dyn> for BadBias {
    type Workspace = constnet::layer::Buffers<f64, Const<2>, Const<2>, Dyn>;
    fn forward_into(&self, x: &OMatrix<f64, Const<2>, Dyn>, ws: &mut Self::Workspace) {
        ws.output = x.clone();
        for mut col in ws.output.column_iter_mut() {
            col += self.0;
        }
    }
    fn backward_into(
        &self,
        _: &OMatrix<f64, Const<2>, Dyn>,
        ws: &mut Self::Workspace,
        g: &OMatrix<f64, Const<2>, Dyn>,
        grad: &mut Self,
    ) -> constnet::Result<()> {
        grad.0 = g.column_sum() * 2.0;
        ws.grad_input = g.clone();
        Ok(())
    }
}

#[test]
fn gradcheck_rejects_a_wrong_parameter_gradient() {
    let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(3, |i, j| i as f64 - 0.5 * j as f64);
    let c = OMatrix::<f64, Const<2>, Dyn>::from_fn(3, |i, j| 1.0 + (i + j) as f64);
    let failure =
        constnet::gradcheck::check(&BadBias(SVector::from([0.1, -0.2])), &x, &c).unwrap_err();
    assert!(
        matches!(
            failure,
            constnet::gradcheck::Failure::Param { tensor: 0, .. }
        ),
        "{failure}"
    );
}
