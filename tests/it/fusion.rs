//! A [`Chain`] has each activation applied inside the pass of the layer next to it
//! (`forward_after` / `backward_before` in training, `infer_after` in inference, see
//! `constnet::layer`). Whatever kernels that takes (tiled for 64- and 96-wide layers on
//! batches, column kernels for single samples and thin layers, a second pass where a kernel
//! cannot), the values must be exactly those of running every layer on its own, one pass
//! each: checked here bit for bit.

use constnet::layer::After;
use constnet::nalgebra::allocator::Allocator;
use constnet::nalgebra::{Const, DefaultAllocator, Dim, DimName, Dyn, OMatrix, U1};
use constnet::rand::rngs::Xoshiro256PlusPlus;
use constnet::rand::{RngExt, SeedableRng};
use constnet::{
    Activation, Chain, Dense, Forward, Identity, Init, InitScheme, Layer, Net, Params, Real, Relu,
    Sigmoid, Tanh,
};

use crate::common::bits;

/// `1 → H → A1 → H → A2 → 1`, the seed network's shape.
type Seedlike<T, A1, A2, const H: usize> =
    Chain<Chain<Chain<Chain<Dense<1, H, T>, A1>, Dense<H, H, T>>, A2>, Dense<H, 1, T>>;

fn to_bits<T: Real, R: Dim, B: Dim>(m: &OMatrix<T, R, B>) -> Vec<u64>
where
    DefaultAllocator: Allocator<R, B>,
{
    m.iter().map(|v| v.as_f64().to_bits()).collect()
}

/// Panics naming the first value that differs (the vectors are long).
fn same<V: PartialEq + std::fmt::Debug>(chain: &[V], by_hand: &[V], what: &str) {
    assert_eq!(chain.len(), by_hand.len(), "{what}: lengths");
    if let Some(i) = chain.iter().zip(by_hand).position(|(a, b)| a != b) {
        let (a, b) = (&chain[i], &by_hand[i]);
        panic!("{what}: value {i} differs: {a:?} (fused) vs {b:?} (layer by layer)");
    }
}

/// Chain and layer-by-layer runs of one forward and one backward pass on `batch` samples.
fn agree<T, A1, A2, const H: usize, B>(batch: B, seed: u64)
where
    T: Real,
    A1: Activation + Forward<T, Const<H>, B> + Init<T> + Default,
    A2: Activation + Forward<T, Const<H>, B> + Init<T> + Default,
    B: Dim,
    Seedlike<T, A1, A2, H>: Forward<T, Const<1>, B, Out = Const<1>>,
    Dense<1, H, T>: Forward<T, Const<1>, B, Out = Const<H>>,
    Dense<H, H, T>: Forward<T, Const<H>, B, Out = Const<H>>,
    Dense<H, 1, T>: Forward<T, Const<H>, B, Out = Const<1>>,
    A1: Layer<Const<H>, T, Out = Const<H>>,
    A2: Layer<Const<H>, T, Out = Const<H>>,
    DefaultAllocator: Allocator<Const<1>, B> + Allocator<Const<H>, B>,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let net: Seedlike<T, A1, A2, H> = Init::init(&mut rng, InitScheme::He);
    let x = OMatrix::<T, Const<1>, B>::from_fn_generic(Const, batch, |_, _| {
        T::cast(rng.random_range(-2.0..2.0))
    });
    let g = OMatrix::<T, Const<1>, B>::from_fn_generic(Const, batch, |_, _| {
        T::cast(rng.random_range(-1.0..1.0))
    });

    // The chain.
    let mut ws = Seedlike::<T, A1, A2, H>::workspace(batch);
    net.forward_into(&x, &mut ws);
    let mut grad = Init::init(&mut rng, InitScheme::He); // overwritten
    net.backward_into(&x, &mut ws, &g, &mut grad).unwrap();

    // Layer by layer, each in its own pass.
    let (d1, a1, d2) = (
        &net.first.first.first.first,
        A1::default(),
        &net.first.first.second,
    );
    let (a2, d3) = (A2::default(), &net.second);
    let mut w1 = <Dense<1, H, T> as Forward<T, Const<1>, B>>::workspace(batch);
    let mut wa1 = <A1 as Forward<T, Const<H>, B>>::workspace(batch);
    let mut w2 = <Dense<H, H, T> as Forward<T, Const<H>, B>>::workspace(batch);
    let mut wa2 = <A2 as Forward<T, Const<H>, B>>::workspace(batch);
    let mut w3 = <Dense<H, 1, T> as Forward<T, Const<H>, B>>::workspace(batch);
    d1.forward_into(&x, &mut w1);
    a1.forward_into(Dense::<1, H, T>::output(&w1), &mut wa1);
    d2.forward_into(A1::output(&wa1), &mut w2);
    a2.forward_into(Dense::<H, H, T>::output(&w2), &mut wa2);
    d3.forward_into(A2::output(&wa2), &mut w3);
    let out = Dense::<H, 1, T>::output(&w3);
    same(
        &to_bits(Seedlike::<T, A1, A2, H>::output(&ws)),
        &to_bits(out),
        "output",
    );
    // Inference fuses the same way, through values (`infer_after`).
    same(
        &to_bits(&net.forward(&x)),
        &to_bits(out),
        "forward (inference)",
    );

    let (mut g1, mut g2, mut g3) = (Dense::zeros(), Dense::zeros(), Dense::zeros());
    let (mut n1, mut n2) = (A1::default(), A2::default());
    d3.backward_into(A2::output(&wa2), &mut w3, &g, &mut g3)
        .unwrap();
    let h2 = Dense::<H, H, T>::output(&w2);
    a2.backward_into(h2, &mut wa2, Dense::<H, 1, T>::grad_input(&w3), &mut n2)
        .unwrap();
    d2.backward_into(A1::output(&wa1), &mut w2, A2::grad_input(&wa2), &mut g2)
        .unwrap();
    let h1 = Dense::<1, H, T>::output(&w1);
    a1.backward_into(h1, &mut wa1, Dense::<H, H, T>::grad_input(&w2), &mut n1)
        .unwrap();
    d1.backward_into(&x, &mut w1, A1::grad_input(&wa1), &mut g1)
        .unwrap();
    same(&bits(&grad.second), &bits(&g3), "∂θ of the last layer");
    same(
        &bits(&grad.first.first.second),
        &bits(&g2),
        "∂θ of the hidden layer",
    );
    same(
        &bits(&grad.first.first.first.first),
        &bits(&g1),
        "∂θ of the first layer",
    );
    let dx = Dense::<1, H, T>::grad_input(&w1);
    let chain_dx = Seedlike::<T, A1, A2, H>::grad_input(&ws);
    same(&to_bits(chain_dx), &to_bits(dx), "∂x");
}

fn all<T: Real>(seed: u64) {
    // Batches: tiled kernels (64 and 96 wide, > 5 samples), single samples and tiny
    // batches (column kernels), each with activations that differ in A and A'.
    for (k, n) in [1, 5, 6, 37, 300].into_iter().enumerate() {
        let s = seed + 10 * k as u64;
        agree::<T, Relu, Relu, 64, Dyn>(Dyn(n), s);
        agree::<T, Tanh, Sigmoid, 96, Dyn>(Dyn(n), s + 1);
        agree::<T, Sigmoid, Identity, 32, Dyn>(Dyn(n), s + 2);
        // 40 wide: no tiled kernel (not a multiple of 32), a second pass instead.
        agree::<T, Relu, Tanh, 40, Dyn>(Dyn(n), s + 3);
    }
    agree::<T, Relu, Relu, 64, U1>(U1, seed + 100);
    agree::<T, Tanh, Relu, 96, Const<7>>(Const::<7>, seed + 101);
}

#[test]
fn fused_chain_equals_layer_by_layer_bit_for_bit() {
    all::<f32>(0);
    all::<f64>(1000);
}

/// A layer with the trait's default neighbour hooks, i.e. never fused: wrapping every layer
/// of a network in it gives the reference for any chain shape.
#[derive(Clone, Debug, PartialEq)]
struct Unfused<L>(L);

impl<I: DimName, T: Real, L: Layer<I, T>> Layer<I, T> for Unfused<L> {
    type Out = L::Out;
}

impl<L: Net> Net for Unfused<L> {
    type In = L::In;
    type Scalar = L::Scalar;
}

impl<T: Real, L: Params<T>> Params<T> for Unfused<L> {
    const TENSORS: usize = L::TENSORS;
    fn shape(i: usize) -> (usize, usize) {
        L::shape(i)
    }
    fn tensor(&self, i: usize) -> &[T] {
        self.0.tensor(i)
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        self.0.tensor_mut(i)
    }
    fn frozen(i: usize) -> bool {
        L::frozen(i)
    }
    fn zeros() -> Self {
        Unfused(L::zeros())
    }
}

impl<T: Real, I: DimName, B: Dim, L: Forward<T, I, B>> Forward<T, I, B> for Unfused<L>
where
    DefaultAllocator: Allocator<I, B> + Allocator<L::Out, B>,
{
    type Workspace = L::Workspace;
    fn forward(&self, x: &OMatrix<T, I, B>) -> OMatrix<T, L::Out, B> {
        self.0.forward(x)
    }
    fn forward_into(&self, x: &OMatrix<T, I, B>, ws: &mut Self::Workspace) {
        self.0.forward_into(x, ws);
    }
    fn backward_into(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, L::Out, B>,
        grad: &mut Self,
    ) -> constnet::Result<()> {
        self.0.backward_into(x, ws, grad_out, &mut grad.0)
    }
    fn backward_params(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, L::Out, B>,
        grad: &mut Self,
    ) -> constnet::Result<()> {
        self.0.backward_params(x, ws, grad_out, &mut grad.0)
    }
}

/// `net` and its unfused twin (same parameters), one forward and one backward pass on a
/// random batch of `n` samples: output, ∂θ and ∂x agree bit for bit, and so do both
/// inference outputs (`forward`) with the training one.
fn twins<N, U, const IN: usize, const OUT: usize>(net: &N, twin: &U, n: usize, seed: u64)
where
    N: Forward<f32, Const<IN>, Dyn, Out = Const<OUT>> + Params<f32>,
    U: Forward<f32, Const<IN>, Dyn, Out = Const<OUT>> + Params<f32>,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut random =
        |rows| OMatrix::<f32, Dyn, Dyn>::from_fn(rows, n, |_, _| rng.random_range(-2.0..2.0));
    let x = OMatrix::<f32, Const<IN>, Dyn>::from_column_slice(random(IN).as_slice());
    let g = OMatrix::<f32, Const<OUT>, Dyn>::from_column_slice(random(OUT).as_slice());
    let (mut ws, mut ws_twin) = (N::workspace(Dyn(n)), U::workspace(Dyn(n)));
    let (mut grad, mut grad_twin) = (N::zeros(), U::zeros());
    net.forward_into(&x, &mut ws);
    twin.forward_into(&x, &mut ws_twin);
    same(
        &to_bits(N::output(&ws)),
        &to_bits(U::output(&ws_twin)),
        "output",
    );
    let out = to_bits(N::output(&ws));
    same(&to_bits(&net.forward(&x)), &out, "forward (inference)");
    same(
        &to_bits(&twin.forward(&x)),
        &out,
        "twin's forward (inference)",
    );
    net.backward_into(&x, &mut ws, &g, &mut grad).unwrap();
    twin.backward_into(&x, &mut ws_twin, &g, &mut grad_twin)
        .unwrap();
    same(&bits(&grad).concat(), &bits(&grad_twin).concat(), "∂θ");
    same(
        &to_bits(N::grad_input(&ws)),
        &to_bits(U::grad_input(&ws_twin)),
        "∂x",
    );
}

#[test]
fn other_chain_shapes_equal_their_unfused_twins() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let (d1, d2): (Dense<1, 64>, Dense<64, 64>) = (
        Init::init(&mut rng, InitScheme::He),
        Init::init(&mut rng, InitScheme::He),
    );
    let (mut d3, mut d4): (Dense<64, 32>, Dense<32, 1>) = (
        Init::init(&mut rng, InitScheme::He),
        Init::init(&mut rng, InitScheme::He),
    );
    let (mut thin, mut d5): (Dense<64, 4>, Dense<4, 1>) = (
        Init::init(&mut rng, InitScheme::He),
        Init::init(&mut rng, InitScheme::He),
    );
    // He leaves biases zero; where a bias enters a sum shows only if it is not.
    let (mut d1, mut d2) = (d1, d2);
    let mut bias = |b: &mut [f32]| b.iter_mut().for_each(|v| *v = rng.random_range(-0.5..0.5));
    bias(d1.b.as_mut_slice());
    bias(d2.b.as_mut_slice());
    bias(d3.b.as_mut_slice());
    bias(d4.b.as_mut_slice());
    bias(thin.b.as_mut_slice());
    bias(d5.b.as_mut_slice());
    for (k, n) in [1, 7, 300].into_iter().enumerate() {
        let s = 10 * k as u64;
        // Right-nested: an activation before a chain (`Chain::backward_activated`).
        // (Tanh first: its derivative at the activation's output differs from that at its
        // input, so passing the wrong one shows.)
        let net = Chain::new(
            Chain::new(d1.clone(), Tanh),
            Chain::new(Chain::new(d2.clone(), Tanh), d4_after(&d3, &d4)),
        );
        let twin = Chain::new(
            Chain::new(Unfused(d1.clone()), Unfused(Tanh)),
            Chain::new(
                Chain::new(Unfused(d2.clone()), Unfused(Tanh)),
                Chain::new(
                    Chain::new(Unfused(d3.clone()), Unfused(Sigmoid)),
                    Unfused(d4.clone()),
                ),
            ),
        );
        twins::<_, _, 1, 1>(&net, &twin, n, s);
        // Two activations in a row (the default `backward_activated`), then two more.
        let net = Chain::new(Chain::new(Chain::new(d1.clone(), Relu), Tanh), d2.clone())
            .then(Sigmoid)
            .then(Relu)
            .then(d3.clone())
            .then(d4.clone());
        let twin = Chain::new(
            Chain::new(
                Chain::new(Unfused(d1.clone()), Unfused(Relu)),
                Unfused(Tanh),
            ),
            Unfused(d2.clone()),
        )
        .then(Unfused(Sigmoid))
        .then(Unfused(Relu))
        .then(Unfused(d3.clone()))
        .then(Unfused(d4.clone()));
        twins::<_, _, 1, 1>(&net, &twin, n, s + 1);
        // Ending in a wide layer (its inference on the tiled kernels too), with an
        // activation applied through a chain (`Chain::infer_activated`).
        let net = Chain::new(d1.clone(), Relu)
            .then(d2.clone())
            .then(Chain::new(Chain::new(d2.clone(), Tanh), d2.clone()));
        let net = Chain::new(net, Sigmoid).then(d2.clone());
        let twin = Chain::new(Unfused(d1.clone()), Unfused(Relu))
            .then(Unfused(d2.clone()))
            .then(Chain::new(
                Chain::new(Unfused(d2.clone()), Unfused(Tanh)),
                Unfused(d2.clone()),
            ));
        let twin = Chain::new(twin, Unfused(Sigmoid)).then(Unfused(d2.clone()));
        twins::<_, _, 1, 64>(&net, &twin, n, s + 2);
        // A thin layer (dot-product kernels, no fused activation) before an activation.
        let net = Chain::new(Chain::new(d1.clone(), Relu), thin.clone())
            .then(Tanh)
            .then(d5.clone());
        let twin = Chain::new(
            Chain::new(Unfused(d1.clone()), Unfused(Relu)),
            Unfused(thin.clone()),
        )
        .then(Unfused(Tanh))
        .then(Unfused(d5.clone()));
        twins::<_, _, 1, 1>(&net, &twin, n, s + 3);
    }
}

/// `d3 → Sigmoid → d4` as one chain.
fn d4_after(
    d3: &Dense<64, 32>,
    d4: &Dense<32, 1>,
) -> Chain<Chain<Dense<64, 32>, Sigmoid>, Dense<32, 1>> {
    Chain::new(Chain::new(d3.clone(), Sigmoid), d4.clone())
}

#[test]
fn an_activation_whose_input_gradient_nobody_needs_skips_it() {
    // Reached only by calling the hook directly (a chain always asks an inner activation
    // for its input gradient): `next`'s ∂θ must still be right.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let next: Dense<64, 64> = Init::init(&mut rng, InitScheme::He);
    let n = 20;
    let z = OMatrix::<f32, Const<64>, Dyn>::from_fn(n, |_, _| rng.random_range(-2.0..2.0));
    let g = OMatrix::<f32, Const<64>, Dyn>::from_fn(n, |_, _| rng.random_range(-1.0..1.0));
    let mut ws = <Relu as Forward<f32, Const<64>, Dyn>>::workspace(Dyn(n));
    let mut ws_next = <Dense<64, 64> as Forward<f32, Const<64>, Dyn>>::workspace(Dyn(n));
    Relu.forward_into(&z, &mut ws);
    let mut grad_next = Dense::zeros();
    let after = After {
        layer: &next,
        ws: &mut ws_next,
        grad_out: &g,
        grad: &mut grad_next,
        grad_input: false,
    };
    Relu.backward_before(&z, &mut ws, after, &mut Relu).unwrap();
    let mut expected = Dense::zeros();
    let mut ws_alone = <Dense<64, 64> as Forward<f32, Const<64>, Dyn>>::workspace(Dyn(n));
    next.backward_params(
        <Relu as Forward<f32, Const<64>, Dyn>>::output(&ws),
        &mut ws_alone,
        &g,
        &mut expected,
    )
    .unwrap();
    assert_eq!(bits(&grad_next), bits(&expected));
}
