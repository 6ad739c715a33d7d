//! Mini-batch training steps of the seed network: Adam, momentum and SGD at batch 1, 8, 32
//! and 128, as the `Trainer` runs them (gather, forward, MSE, backward, update).
//!
//! Each timed call is one `Trainer::fit`, from a fresh model and optimizer (steps 1…1 024 of a run,
//! as the example's runs are), on N = 1 024 samples of the cubic with `epochs = batch`,
//! which is exactly 1 024 steps for every batch size here: **time per call ÷ 1 024 = time
//! per step** (`fit`'s one-off validation, buffers and final loss check are ~1% of a call).
//! Throughput is in FLOP ("elements", so `Gelem/s` reads as GFLOP/s), counting a multiply
//! and an add as one each and a division or square root as one:
//! - forward/backward/loss: 25 477 per sample (see `benches/train.rs`, `epoch_flops`);
//! - the update of the 4 353 parameters: SGD 2 each, momentum 4, Adam 14 (moments 7,
//!   `m / c1` and `v / c2` 2, `√v̂ + ε` 2, `p −= lr·m̂ / d` 3).
//!
//! So a step of batch B is 25 477·B + 4 353·k FLOP: at batch 1 with Adam, 86 419.
//!
//! Groups: `adam/B`, `momentum/B`, `sgd/B` for B ∈ {1, 8, 32, 128}, and `adam_full/1024`:
//! full-batch Adam epochs on the same data, 64 per call (the per-sample yardstick for the
//! batch-32 epoch: divide each by its samples per call).

use std::hint::black_box;
use std::time::Duration;

use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{
    Adam, Dense, Init, InitScheme, Momentum, Mse, Optimizer, Params, Relu, Sgd, Trainer, net,
};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
type Row = OMatrix<f32, Const<1>, Dyn>;

/// Samples per call; every batch size here divides it.
const N: usize = 1024;
const BATCHES: [usize; 4] = [1, 8, 32, 128];

/// FLOP of one forward/backward/loss pass per sample (`benches/train.rs`).
const PER_SAMPLE: u64 = 25_477;

fn cubic() -> (Row, Row) {
    let x = Row::from_fn(N, |_, j| 4.0 * j as f32 / N as f32 - 2.0);
    let y = x.map(|v| v * v * v);
    (x, y)
}

/// Benches `Trainer::fit` with `batch` for `epochs` epochs per call; `flops_per_param` per update.
fn bench<O: Optimizer<f32, SeedNet>>(
    c: &mut Criterion,
    name: &str,
    batches: &[usize],
    epochs: impl Fn(usize) -> usize,
    flops_per_param: u64,
    mut optimizer: impl FnMut() -> O,
) {
    let (x, y) = cubic();
    let params = <SeedNet as Params<f32>>::num_params() as u64;
    let mut group = c.benchmark_group(name);
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    for &batch in batches {
        let epochs = epochs(batch);
        let steps = (epochs * N / batch) as u64;
        let flops = steps * (PER_SAMPLE * batch as u64 + flops_per_param * params);
        group.throughput(Throughput::Elements(flops));
        let model: SeedNet = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(42), InitScheme::He);
        // A fresh model and optimizer per call (setup, not timed): every call runs steps
        // 1…1 024 of a run, as the example does, instead of a run criterion kept going
        // (Adam past step 17 321 would skip its second bias correction).
        group.bench_function(BenchmarkId::from_parameter(batch), |b| {
            b.iter_batched(
                || (model.clone(), optimizer()),
                |(mut model, mut opt)| {
                    Trainer::new(black_box(&x), &y)
                        .epochs(epochs)
                        .batch_size(batch)
                        .shuffle_seed(7)
                        .drop_last(false)
                        .fit(&mut model, &mut opt, &Mse)
                        .unwrap()
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn steps(c: &mut Criterion) {
    // Small learning rates keep every call's 1 024 steps far from divergence.
    bench(c, "adam", &BATCHES, |b| b, 14, || Adam::new(1e-4).unwrap());
    bench(
        c,
        "momentum",
        &BATCHES,
        |b| b,
        4,
        || Momentum::new(1e-4, 0.9).unwrap(),
    );
    bench(c, "sgd", &BATCHES, |b| b, 2, || Sgd::new(1e-4).unwrap());
    bench(
        c,
        "adam_full",
        &[N],
        |_| 64,
        14,
        || Adam::new(1e-4).unwrap(),
    );
}

criterion_group!(benches, steps);
criterion_main!(benches);
