//! A [`Chain`] has each activation applied inside the pass of the layer next to it
//! (`forward_after` / `backward_before`, see `constnet::layer`). Whatever kernels that
//! takes (tiled for 64- and 96-wide layers on batches, column kernels for single samples
//! and thin layers, a second pass where a kernel cannot), the values must be exactly those
//! of running every layer on its own, one pass each: checked here bit for bit.

use constnet::nalgebra::allocator::Allocator;
use constnet::nalgebra::{Const, DefaultAllocator, Dim, Dyn, OMatrix, U1};
use constnet::rand::rngs::Xoshiro256PlusPlus;
use constnet::rand::{RngExt, SeedableRng};
use constnet::{
    Activation, Chain, Dense, Forward, Identity, Init, InitScheme, Real, Relu, Sigmoid, Tanh,
};

use crate::common::bits;

/// `1 → H → A1 → H → A2 → 1`, the seed network's shape.
type Net<T, A1, A2, const H: usize> =
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
        panic!("{what}: value {i} differs: {a:?} (chain) vs {b:?} (layer by layer)");
    }
}

/// Chain and layer-by-layer runs of one forward and one backward pass on `batch` samples.
fn agree<T, A1, A2, const H: usize, B>(batch: B, seed: u64)
where
    T: Real,
    A1: Activation + Forward<T, Const<H>, B> + Init<T> + Default,
    A2: Activation + Forward<T, Const<H>, B> + Init<T> + Default,
    B: Dim,
    Net<T, A1, A2, H>: Forward<T, Const<1>, B, Out = Const<1>>,
    Dense<1, H, T>: Forward<T, Const<1>, B, Out = Const<H>>,
    Dense<H, H, T>: Forward<T, Const<H>, B, Out = Const<H>>,
    Dense<H, 1, T>: Forward<T, Const<H>, B, Out = Const<1>>,
    A1: constnet::Layer<Const<H>, Out = Const<H>>,
    A2: constnet::Layer<Const<H>, Out = Const<H>>,
    DefaultAllocator: Allocator<Const<1>, B> + Allocator<Const<H>, B>,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let net: Net<T, A1, A2, H> = Init::init(&mut rng, InitScheme::He);
    let x = OMatrix::<T, Const<1>, B>::from_fn_generic(Const, batch, |_, _| {
        T::cast(rng.random_range(-2.0..2.0))
    });
    let g = OMatrix::<T, Const<1>, B>::from_fn_generic(Const, batch, |_, _| {
        T::cast(rng.random_range(-1.0..1.0))
    });

    // The chain.
    let mut ws = Net::<T, A1, A2, H>::workspace(batch);
    net.forward_into(&x, &mut ws);
    let mut grad = Init::init(&mut rng, InitScheme::He); // overwritten
    net.backward_into(&x, &mut ws, &g, &mut grad, true).unwrap();

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
        &to_bits(Net::<T, A1, A2, H>::output(&ws)),
        &to_bits(out),
        "output",
    );

    let (mut g1, mut g2, mut g3) = (Dense::zeros(), Dense::zeros(), Dense::zeros());
    let (mut n1, mut n2) = (A1::default(), A2::default());
    d3.backward_into(A2::output(&wa2), &mut w3, &g, &mut g3, true)
        .unwrap();
    let h2 = Dense::<H, H, T>::output(&w2);
    a2.backward_into(
        h2,
        &mut wa2,
        Dense::<H, 1, T>::grad_input(&w3),
        &mut n2,
        true,
    )
    .unwrap();
    d2.backward_into(
        A1::output(&wa1),
        &mut w2,
        A2::grad_input(&wa2),
        &mut g2,
        true,
    )
    .unwrap();
    let h1 = Dense::<1, H, T>::output(&w1);
    a1.backward_into(
        h1,
        &mut wa1,
        Dense::<H, H, T>::grad_input(&w2),
        &mut n1,
        true,
    )
    .unwrap();
    d1.backward_into(&x, &mut w1, A1::grad_input(&wa1), &mut g1, true)
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
    let chain_dx = Net::<T, A1, A2, H>::grad_input(&ws);
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
