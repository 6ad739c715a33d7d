//! Layers and activations written outside the crate, and parametric activations: they work
//! everywhere the built-in ones do (networks, fusion, training, optimizers, model files,
//! export, the gradient checker).

use constnet::nalgebra::{Const, DimName, Dyn, OMatrix, SVector, U1};
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{
    Activation, Adam, Dense, Forward, Init, InitScheme, Layer, LeakyRelu, Momentum, Mse, Net,
    Network, Optimizer, Params, Real, Relu, Sgd, Trainer, export, gradcheck, net, persist,
};

/// SiLU, written as a user would: `f`, `df`, and the width line.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Swish;

impl<D: DimName, T: Real> Layer<D, T> for Swish {
    type Out = D;
}

impl Activation for Swish {
    fn f<T: Real>(&self, x: T) -> T {
        x * constnet::Sigmoid.f(x)
    }
    fn df<T: Real>(&self, x: T) -> T {
        let s = constnet::Sigmoid.f(x);
        s + x * s * (T::one() - s)
    }
}

type Leaky = net![Dense<1, 16>, LeakyRelu, Dense<16, 16>, Swish, Dense<16, 1>];

fn data(n: usize) -> (OMatrix<f32, Const<1>, Dyn>, OMatrix<f32, Const<1>, Dyn>) {
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(n, |_, j| j as f32 / n as f32 * 4.0 - 2.0);
    let y = x.map(|v| v * v * v);
    (x, y)
}

fn leaky(seed: u64, slope: f32) -> Leaky {
    let mut net: Leaky = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::He);
    net.first.first.first.second = LeakyRelu::new(slope);
    net
}

#[test]
fn leaky_relu_default_slope_and_the_slope_matters() {
    assert_eq!(LeakyRelu::<f32>::default(), LeakyRelu::new(0.01));
    let (a, b) = (leaky(1, 0.01), leaky(1, 0.5));
    let x = SVector::from([-1.5f32]);
    assert_ne!(
        a.forward(&x),
        b.forward(&x),
        "a negative input feels the slope"
    );
}

#[test]
fn training_never_changes_an_activation_constant_and_still_learns() {
    let (x, y) = data(64);
    let optimizers: [&mut dyn Optimizer<f32, Leaky>; 3] = [
        &mut Sgd::new(0.01).unwrap(),
        &mut Momentum::new(0.005, 0.9).unwrap(),
        &mut Adam::new(0.003).unwrap(),
    ];
    for opt in optimizers {
        let mut net = leaky(2, 0.2);
        let losses = Trainer::new(&x, &y)
            .epochs(200)
            .fit(&mut net, &mut OptRef(opt), &Mse)
            .unwrap()
            .train;
        assert_eq!(net.first.first.first.second, LeakyRelu::new(0.2));
        assert!(
            losses[199] < losses[0] / 4.0,
            "{} -> {}",
            losses[0],
            losses[199]
        );
    }
}

/// `&mut dyn Optimizer` as an optimizer (`Trainer::fit` takes one by value type).
struct OptRef<'a>(&'a mut dyn Optimizer<f32, Leaky>);

impl Optimizer<f32, Leaky> for OptRef<'_> {
    fn step(&mut self, net: &mut Leaky, grad: &Leaky) {
        self.0.step(net, grad);
    }
}

#[test]
fn model_files_keep_an_activation_constant() {
    let net = leaky(3, 0.25);
    let bytes = persist::encode(&net).unwrap();
    let back: Leaky = persist::decode(&bytes).unwrap();
    assert_eq!(back.first.first.first.second, LeakyRelu::new(0.25));
    let x = SVector::from([-0.7f32]);
    assert_eq!(back.forward(&x), net.forward(&x));
    // The slope is a parameter, frozen; the count of trainable scalars leaves it out.
    assert_eq!(<Leaky as Params<f32>>::num_params(), 32 + 272 + 17);
    assert!(<Leaky as Params<f32>>::frozen(2));
}

#[test]
fn a_custom_activation_gradchecks_and_exports() {
    let x = OMatrix::<f64, Const<3>, Dyn>::from_fn(5, |i, j| i as f64 - 0.7 * j as f64 + 0.1);
    let c = OMatrix::<f64, Const<3>, Dyn>::from_element(5, 1.0);
    assert!(gradcheck::check(&Swish, &x, &c).is_ok());
    let src = export::encode(&leaky(4, 0.5));
    assert!(src.contains("custom::Swish"), "the user's own path");
    assert!(src.contains("constnet::LeakyRelu { slope: f32::from_bits(0x3f000000) }"));
}

#[test]
fn a_custom_activation_fuses_with_the_same_bits_as_two_passes() {
    // Fused (the chain) against layer by layer, on a batch wide enough for the tiled
    // kernels and on one sample (the column kernels).
    let net = leaky(5, 0.1);
    for n in [1usize, 40] {
        let (x, _) = data(n);
        let fused = net.forward(&x);
        let h1 = net.first.first.first.first.forward(&x);
        let a1 = net.first.first.first.second.forward(&h1);
        let h2 = net.first.first.second.forward(&a1);
        let a2 = Swish.forward(&h2);
        let by_hand = net.second.forward(&a2);
        assert_eq!(
            fused.map(f32::to_bits),
            by_hand.map(f32::to_bits),
            "n = {n}"
        );
    }
}

/// A function returning part of a network keeps its widths with `impl Network`.
fn encoder() -> impl Network<1, 8> + Forward<f32, Const<1>, U1> {
    Dense::<1, 8>::zeros().then(Relu)
}

#[test]
fn an_impl_network_can_be_extended() {
    let model = encoder().then(Dense::<8, 1>::zeros());
    let y: SVector<f32, 1> = model.forward(&SVector::from([0.5]));
    assert_eq!(y[0], 0.0);
}

#[test]
fn training_passes_apply_a_valued_activation_with_the_same_bits_as_two_passes() {
    // A non-default slope and a custom activation through the fused training passes
    // (tiled kernels at 40 samples, column kernels at 3), against each layer on its own.
    let net = leaky(6, 0.3);
    for n in [3usize, 40] {
        let (x, y) = data(n);
        let (out, mut ws) = net.forward_train(&x);
        let g = &out - &y;
        let (gx, grad) = net.backward(&x, &mut ws, &g).unwrap();

        let (d1, a1, d2, a2, d3) = (
            &net.first.first.first.first,
            &net.first.first.first.second,
            &net.first.first.second,
            &net.first.second,
            &net.second,
        );
        let (h1, mut w1) = d1.forward_train(&x);
        let (z1, mut v1) = a1.forward_train(&h1);
        let (h2, mut w2) = d2.forward_train(&z1);
        let (z2, mut v2) = a2.forward_train(&h2);
        let (o, mut w3) = d3.forward_train(&z2);
        assert_eq!(
            o.map(f32::to_bits),
            out.map(f32::to_bits),
            "n = {n}: output"
        );
        let (g3x, g3) = d3.backward(&z2, &mut w3, &g).unwrap();
        let (g2z, _) = a2.backward(&h2, &mut v2, &g3x).unwrap();
        let (g2x, g2) = d2.backward(&z1, &mut w2, &g2z).unwrap();
        let (g1z, _) = a1.backward(&h1, &mut v1, &g2x).unwrap();
        let (g1x, g1) = d1.backward(&x, &mut w1, &g1z).unwrap();
        let bits = |d: &[f32]| d.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(grad.second.w.as_slice()),
            bits(g3.w.as_slice()),
            "n = {n}: dW3"
        );
        assert_eq!(
            bits(grad.first.first.second.w.as_slice()),
            bits(g2.w.as_slice()),
            "dW2"
        );
        assert_eq!(
            bits(grad.first.first.first.first.w.as_slice()),
            bits(g1.w.as_slice()),
            "dW1"
        );
        assert_eq!(bits(gx.as_slice()), bits(g1x.as_slice()), "n = {n}: dx");
        assert_eq!(
            grad.first.first.first.second.slope, 0.0,
            "a constant's gradient is zero"
        );
    }
}
