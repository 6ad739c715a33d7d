//! The routing in `one_block` is a shortcut, not a different computation: on a batch of
//! one block, the direct path and the block-by-block path give the same bits. (So the
//! mutants that flip its conditions change only speed; they are listed as equivalent.)

use nalgebra::{Const, Dyn, OMatrix};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

use super::{BLOCK, Blocks, one_block};
use crate::{Dense, Init, InitScheme, Mse, Params, Relu, net};

type Net = net![Dense<2, 16, f32>, Relu, Dense<16, 16, f32>, Relu, Dense<16, 3, f32>];

fn data(n: usize, seed: u64) -> (OMatrix<f32, Const<2>, Dyn>, OMatrix<f32, Const<3>, Dyn>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = OMatrix::<f32, Const<2>, Dyn>::from_fn(n, |_, _| rng.random_range(-2.0..2.0));
    let y = OMatrix::<f32, Const<3>, Dyn>::from_fn(n, |_, _| rng.random_range(-1.0..1.0));
    (x, y)
}

fn bits(net: &Net) -> Vec<u32> {
    (0..Net::TENSORS)
        .flat_map(|i| {
            net.tensor(i)
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn one_block_routes_only_whole_batches_of_at_most_a_block() {
    assert!(one_block(10, &(0..10)));
    assert!(one_block(BLOCK, &(0..BLOCK)));
    assert!(!one_block(BLOCK + 1, &(0..BLOCK + 1)));
    assert!(!one_block(10, &(1..10)));
    assert!(!one_block(10, &(0..9)));
}

#[test]
fn direct_and_block_paths_give_the_same_bits_on_one_block() {
    let net: Net = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He);
    // Sizes on both sides of every kernel switch: thin (≤ 5), GEMM, a whole block.
    for n in [1, 5, 6, 7, 64, 100, BLOCK] {
        let (x, y) = data(n, n as u64);
        let count = (n * 3) as f32;
        let mut direct = Blocks::<f32, Net, 2, 3>::new(n);
        let mut blocked = Blocks::<f32, Net, 2, 3>::new(n);
        let ys = y.as_slice().as_chunks::<3>().0;
        let sse_direct = direct.gradient_of(&net, (&x, ys), 0..n, (&Mse, count));
        let sse_direct = sse_direct.unwrap().sum;
        let sse_blocked = blocked.blocks_gradient((&x, ys), &net, 0..n, (&Mse, count));
        let sse_blocked = sse_blocked.unwrap().sum;
        assert_eq!(sse_direct.to_bits(), sse_blocked.to_bits(), "N = {n}: loss");
        assert_eq!(bits(&direct.grad), bits(&blocked.grad), "N = {n}: gradient");
        let fwd_direct = direct.tally_of(&net, (&x, ys), 0..n, &Mse).sum;
        let fwd_blocked = blocked.blocks_tally(&net, (&x, ys), 0..n, &Mse).sum;
        assert_eq!(fwd_direct.to_bits(), fwd_blocked.to_bits(), "N = {n}: sse");
        assert_eq!(
            fwd_direct.to_bits(),
            sse_direct.to_bits(),
            "N = {n}: same loss"
        );
    }
}

/// Over several blocks (the last one ragged), the forward-only SSE takes each block's
/// targets at the same offsets as the gradient pass (`start * OUT`): the two sums are the
/// same bits. With one output, or one block, a wrong offset would go unnoticed.
#[test]
fn forward_and_gradient_passes_agree_over_several_blocks() {
    let net: Net = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(4), InitScheme::He);
    for n in [BLOCK + 1, 2 * BLOCK, 600] {
        let (x, y) = data(n, n as u64);
        let mut blocks = Blocks::<f32, Net, 2, 3>::new(n);
        let ys = y.as_slice().as_chunks::<3>().0;
        let count = (n * 3) as f32;
        let from_gradient = blocks.blocks_gradient((&x, ys), &net, 0..n, (&Mse, count));
        let from_gradient = from_gradient.unwrap().sum;
        let forward_only = blocks.blocks_tally(&net, (&x, ys), 0..n, &Mse).sum;
        assert_eq!(forward_only.to_bits(), from_gradient.to_bits(), "N = {n}");
    }
}
