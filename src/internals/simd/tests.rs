//! The dispatched kernels (AVX-512F or AVX2 on this machine) give exactly the bits of the
//! portable ones, on random inputs, for every kernel: forward (inference and training),
//! backward (parameter and input gradients), activations; thin and wide layers, tails of
//! the dot products' partial sums, f32 and f64, single samples and batches.

use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, DimName, Dyn, OMatrix, U1};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use super::portable;
use crate::{Dense, Forward, Identity, Params, Real, Relu, Sigmoid, Tanh, net};

type Seed<T> = net![Dense<1, 64, T>, Relu, Dense<64, 64, T>, Relu, Dense<64, 1, T>];

/// Odd widths: thin and wide layers, dot products longer than their 64 partial sums.
type Odd<T> = net![
    Dense<3, 70, T>,
    Tanh,
    Dense<70, 130, T>,
    Sigmoid,
    Dense<130, 2, T>,
    Identity,
    Dense<2, 9, T>,
    Relu,
    Dense<9, 1, T>
];

/// Widths that send `f32` single samples to the explicit AVX-512 kernel (outputs a multiple
/// of 16) with an odd number of inputs, 16 and 64 rows at a time.
type Explicit<T> = net![
    Dense<3, 32, T>,
    Relu,
    Dense<32, 65, T>,
    Tanh,
    Dense<65, 64, T>,
    Sigmoid,
    Dense<64, 33, T>,
    Identity,
    Dense<33, 16, T>,
    Relu,
    Dense<16, 1, T>
];

/// Values in [−2, 2), with exact zeros (both signs) mixed in: ReLU's kink.
fn value<T: Real>(rng: &mut Xoshiro256PlusPlus) -> T {
    match rng.random_range(0..20) {
        0 => T::zero(),
        1 => -T::zero(),
        _ => T::cast(rng.random_range(-2.0..2.0)),
    }
}

fn random_net<T: Real, N: Params<T>>(seed: u64) -> N {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut net = N::zeros();
    for i in 0..N::TENSORS {
        net.tensor_mut(i)
            .iter_mut()
            .for_each(|v| *v = value(&mut rng));
    }
    net
}

fn random_matrix<T: Real, R: DimName, B: Dim>(batch: B, seed: u64) -> OMatrix<T, R, B>
where
    DefaultAllocator: Allocator<R, B>,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    OMatrix::from_fn_generic(R::name(), batch, |_, _| value(&mut rng))
}

/// The bits of everything a forward and a backward pass compute.
fn everything<T, N, I, B>(net: &N, x: &OMatrix<T, I, B>, g: &OMatrix<T, N::Out, B>) -> Vec<u64>
where
    T: Real,
    N: Forward<T, I, B>,
    I: DimName,
    B: Dim,
    DefaultAllocator: Allocator<I, B> + Allocator<N::Out, B>,
{
    let mut bits = Vec::new();
    let mut push = |values: &[T]| bits.extend(values.iter().map(|v| v.as_f64().to_bits()));
    push(net.forward(x).as_slice());
    let mut ws = N::workspace(x.shape_generic().1);
    net.forward_into(x, &mut ws);
    push(N::output(&ws).as_slice());
    let mut grad = N::zeros();
    net.backward_into(x, &mut ws, g, &mut grad).unwrap();
    push(N::grad_input(&ws).as_slice());
    for i in 0..N::TENSORS {
        push(grad.tensor(i));
    }
    bits
}

/// Dispatched and portable runs of `N` on a random batch agree bit for bit.
fn agree<T, N, B>(batch: B, seed: u64)
where
    T: Real,
    N: Forward<T, N::In, B> + crate::Net,
    B: Dim,
    DefaultAllocator: Allocator<N::In, B> + Allocator<<N as crate::Layer<N::In, T>>::Out, B>,
{
    let net: N = random_net(seed);
    let x = random_matrix::<T, N::In, B>(batch, seed + 1);
    let g = random_matrix::<T, <N as crate::Layer<N::In, T>>::Out, B>(batch, seed + 2);
    let fast = everything(&net, &x, &g);
    let slow = portable(|| everything(&net, &x, &g));
    assert_eq!(fast.len(), slow.len());
    if let Some(i) = fast.iter().zip(&slow).position(|(a, b)| a != b) {
        panic!(
            "{} batch of {}: value {i} differs: {:#x} dispatched vs {:#x} portable",
            T::NAME,
            batch.value(),
            fast[i],
            slow[i]
        );
    }
}

fn all_batches<T: Real>(seed: u64) {
    // Single samples and fixed batches: kernels only.
    agree::<T, Seed<T>, U1>(U1, seed);
    agree::<T, Seed<T>, Const<8>>(Const::<8>, seed + 10);
    agree::<T, Odd<T>, U1>(U1, seed + 20);
    agree::<T, Odd<T>, Const<3>>(Const::<3>, seed + 30);
    agree::<T, Explicit<T>, U1>(U1, seed + 33);
    agree::<T, Explicit<T>, Const<2>>(Const::<2>, seed + 36);
    // Runtime-sized: ≤ 5 samples stay on the kernels; more send wide layers to GEMM.
    agree::<T, Seed<T>, Dyn>(Dyn(5), seed + 40);
    agree::<T, Seed<T>, Dyn>(Dyn(37), seed + 50);
    agree::<T, Odd<T>, Dyn>(Dyn(19), seed + 60);
}

#[test]
fn dispatched_kernels_match_portable_bit_for_bit() {
    // Says which copy the fast path was on this machine (the test is vacuous without one).
    #[cfg(target_arch = "x86_64")]
    println!(
        "avx512f: {}, avx2: {}",
        std::arch::is_x86_feature_detected!("avx512f"),
        std::arch::is_x86_feature_detected!("avx2")
    );
    for seed in [0, 1000, 2000] {
        all_batches::<f32>(seed);
        all_batches::<f64>(seed);
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn portable_switch_is_per_call() {
    // `portable` must restore dispatching, or the test above would compare portable with
    // portable after its first call.
    portable(|| ());
    assert!(!super::forced_portable());
}
