//! The two-thread trainer against the one-thread one.

use super::*;
use crate::{Dense, Init, InitScheme, Mse, Params, Relu, Sgd};
use nalgebra::OMatrix;
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

type Small = crate::net![Dense<1, 16>, Relu, Dense<16, 1>];

/// Whichever thread computes a step's second half, the bits are the same: a run whose
/// calling thread computes every half equals one with a worker (which takes most).
#[test]
fn the_second_half_gives_the_same_bits_on_either_thread() {
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(1000, |_, j| j as f32 / 500.0 - 1.0);
    let y = x.map(|v| v * v * v);
    let run = |spawn| {
        let mut net: Small = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He);
        let mut sgd = Sgd::new(0.01).unwrap();
        let losses = Trainer::new(&x, &y)
            .epochs(20)
            .batch_size(600)
            .threads(2)
            .split(&mut net, &mut sgd, &Mse, spawn)
            .unwrap()
            .train;
        let bits: Vec<u32> = (0..<Small as Params<f32>>::TENSORS)
            .flat_map(|t| {
                net.tensor(t)
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            })
            .collect();
        (bits, losses)
    };
    assert_eq!(run(false), run(true));
}
