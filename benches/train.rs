//! Training throughput of the seed network, and the machine's sgemm ceiling, in one run.
//!
//! Every training bench reports its throughput as FLOP ("elements" in criterion's output,
//! so `Gelem/s` reads as GFLOP/s). The count is exact for the network's shapes, see
//! [`epoch_flops`]; for the seed net it is 25 477·N + 8 706 ≈ 25 500·N per epoch.
//!
//! Groups:
//! - `epoch/N`: full-batch epochs (forward, MSE, backward, SGD step) of `Trainer::fit`,
//!   N ∈ {100, 1 000, 10 000, 100 000}; each timed call runs many epochs (~1e10 FLOP).
//! - `sgemm/N`: nalgebra's `gemm` (matrixmultiply) on 64×64 · 64×N, the ceiling.
//! - `width/H`: epochs of `1 → H → ReLU → H → ReLU → 1` at N = 1 000, H ∈ {16, 64, 256}.
//! - `fit900`: `Trainer::fit` for 900 epochs at N = 1 000, the example's loop.
//! - `epoch_par/N` (with `--features parallel`): `Trainer::threads(2)`, N ∈ {1 000,
//!   10 000, 100 000}.
//!
//! Compare the rates with `python3 benches/ratios.py` (see `benches/README.md`).

use std::hint::black_box;
use std::time::Duration;

use constnet::nalgebra::{Const, Dyn, OMatrix, SMatrix};
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::train::History;
use constnet::{Dense, Init, InitScheme, Mse, Relu, Sgd, Trainer, net};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

/// `1 → H → ReLU → H → ReLU → 1`, the seed network when `H = 64`.
type Mlp<const H: usize> = net![Dense<1, H>, Relu, Dense<H, H>, Relu, Dense<H, 1>];

/// Exact FLOP of one full-batch epoch of [`Mlp<H>`] on `n` samples, counting a multiply and
/// an add as one FLOP each:
/// - each `Dense<I, O>`: forward `W·x + b` is 2·I·O per sample (I·O products, O·(I − 1) sums,
///   O bias adds); backward `∂W = G·Xᵀ` is 2·I·O per sample (the one sum fewer per weight
///   per batch is ignored), `∂b` O, and `∂X = Wᵀ·G` 2·I·O except in the first layer (its
///   input gradient is never computed);
/// - ReLU backward: one product per element; MSE with gradient: 4 per output;
/// - SGD: 2 per parameter, once per epoch.
///
/// For H = 64: 25 477·N + 8 706.
fn epoch_flops(h: u64, n: u64) -> u64 {
    let dense = [(1, h), (h, h), (h, 1)];
    let mut per_sample = 0;
    for (i, &(fan_in, fan_out)) in dense.iter().enumerate() {
        let product = 2 * fan_in * fan_out;
        per_sample += product + product + fan_out; // forward, ∂W, ∂b
        if i > 0 {
            per_sample += product; // ∂X
        }
    }
    per_sample += 2 * h + 4; // two ReLU backwards, the loss
    let params: u64 = dense.iter().map(|&(i, o)| i * o + o).sum();
    per_sample * n + 2 * params
}

/// `n` inputs spread over [−2, 2) and their cubes, one sample per column.
fn cubic(n: usize) -> (OMatrix<f32, Const<1>, Dyn>, OMatrix<f32, Const<1>, Dyn>) {
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(n, |_, j| 4.0 * j as f32 / n as f32 - 2.0);
    let y = x.map(|v| v * v * v);
    (x, y)
}

/// Epochs per timed call of `fit`: about 1e10 FLOP (~0.1 s), and at least 10. `fit`'s
/// one-off work per call (validation, buffers, and the final divergence check: one forward
/// pass over the data, about a third of an epoch) is then at most ~3% of the time; with
/// the 3 epochs that 1e10 FLOP makes at N = 100 000 it was ~10%.
fn epochs_per_call(flops_per_epoch: u64) -> usize {
    (10_000_000_000 / flops_per_epoch).max(10) as usize
}

/// Benches `Trainer::fit` on `n` samples of the cubic for `1 → H → H → 1`, full batch, SGD,
/// with throughput = FLOP of all its epochs. The model keeps training from call to call
/// (a small learning rate keeps it finite), so nothing but `fit` is timed.
fn bench_fit<const H: usize>(group: &mut Group<'_>, id: BenchmarkId, n: usize) {
    bench_trainer::<H>(group, id, n, |m, o, x, y, epochs| {
        Trainer::new(x, y).epochs(epochs).fit(m, o, &Mse)
    });
}

/// Training for some epochs, on one thread or two, with the seed's data and SGD.
type Train<M> = fn(&mut M, &mut Sgd<f32>, &Data, &Data, usize) -> constnet::Result<History>;
type Data = OMatrix<f32, Const<1>, Dyn>;

/// [`bench_fit`] with the training function as a parameter.
fn bench_trainer<const H: usize>(
    group: &mut Group<'_>,
    id: BenchmarkId,
    n: usize,
    train: Train<Mlp<H>>,
) {
    let flops = epoch_flops(H as u64, n as u64);
    let epochs = epochs_per_call(flops);
    group.throughput(Throughput::Elements(epochs as u64 * flops));
    let (x, y) = cubic(n);
    // Boxed: a 256-wide model is 256 KiB of static weights.
    let mut model: Box<Mlp<H>> = Box::new(Init::init(
        &mut Xoshiro256PlusPlus::seed_from_u64(42),
        InitScheme::He,
    ));
    let mut sgd = Sgd::new(1e-4).unwrap();
    group.bench_function(id, |b| {
        b.iter(|| train(&mut model, &mut sgd, &x, &y, epochs).unwrap())
    });
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

const SIZES: [usize; 4] = [100, 1_000, 10_000, 100_000];

/// Few, flat samples (every call is ~0.1 s), so `cargo bench` stays within minutes on 2 cores.
fn configure(group: &mut Group<'_>) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

fn epoch(c: &mut Criterion) {
    let mut group = c.benchmark_group("epoch");
    configure(&mut group);
    for n in SIZES {
        bench_fit::<64>(&mut group, BenchmarkId::from_parameter(n), n);
    }
    group.finish();
}

/// `epoch_par/N`: as `epoch/N`, on two threads (feature `parallel`).
#[cfg(feature = "parallel")]
fn epoch_par(c: &mut Criterion) {
    let mut group = c.benchmark_group("epoch_par");
    configure(&mut group);
    for n in [1_000, 10_000, 100_000] {
        bench_trainer::<64>(
            &mut group,
            BenchmarkId::from_parameter(n),
            n,
            |m, o, x, y, epochs| Trainer::new(x, y).epochs(epochs).threads(2).fit(m, o, &Mse),
        );
    }
    group.finish();
}

#[cfg(not(feature = "parallel"))]
fn epoch_par(_: &mut Criterion) {}

fn sgemm(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgemm");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let w = SMatrix::<f32, 64, 64>::from_fn(|i, j| ((i * 7 + j * 3) % 11) as f32 / 11.0 - 0.5);
    for n in SIZES {
        group.throughput(Throughput::Elements(2 * 64 * 64 * n as u64));
        let h = OMatrix::<f32, Const<64>, Dyn>::from_fn(n, |i, j| ((i + j) % 5) as f32 - 2.0);
        let mut y = OMatrix::<f32, Const<64>, Dyn>::zeros(n);
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| y.gemm(1.0, black_box(&w), black_box(&h), 0.0))
        });
    }
    group.finish();
}

fn width(c: &mut Criterion) {
    let mut group = c.benchmark_group("width");
    configure(&mut group);
    bench_fit::<16>(&mut group, BenchmarkId::from_parameter(16), 1_000);
    bench_fit::<64>(&mut group, BenchmarkId::from_parameter(64), 1_000);
    bench_fit::<256>(&mut group, BenchmarkId::from_parameter(256), 1_000);
    group.finish();
}

fn fit900(c: &mut Criterion) {
    let mut group = c.benchmark_group("fit900");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    let n = 1_000;
    let (x, y) = cubic(n);
    group.throughput(Throughput::Elements(900 * epoch_flops(64, n as u64)));
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
            let mut model: Mlp<64> = Init::init(&mut rng, InitScheme::He);
            let mut sgd = Sgd::new(0.01).unwrap();
            // The Trainer's defaults: the seed's 900 full-batch epochs.
            let history = Trainer::new(&x, &y).fit(&mut model, &mut sgd, &Mse).ok();
            assert!(history.as_ref().is_none_or(|h| h.epochs() == 900));
            history
        })
    });
    group.finish();
}

criterion_group!(benches, epoch, epoch_par, sgemm, width, fit900);
criterion_main!(benches);
