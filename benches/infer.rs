//! Single-sample inference of the seed network: `SVector<f32, 1>` in, `SVector<f32, 1>` out.

use std::hint::black_box;

use constnet::nalgebra::SVector;
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{Dense, Forward, Init, InitScheme, Relu, net};
use criterion::{Criterion, criterion_group, criterion_main};

type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];

fn infer(c: &mut Criterion) {
    let model: Seed = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(42), InitScheme::He);
    let mut x = 0.0f32;
    let mut group = c.benchmark_group("infer");
    group.bench_function("seed", |b| {
        b.iter(|| {
            // A new input each time (within [−2, 2)), so nothing is hoisted out of the loop.
            x = if x > 2.0 { -2.0 } else { x + 0.01 };
            model.forward(black_box(&SVector::from([x])))
        })
    });
    // The hidden 64×64 layer alone, on a fixed input: most of the network's time.
    let hidden = model.first.first.second.clone();
    let h = SVector::<f32, 64>::from_fn(|i, _| i as f32 / 64.0 - 0.5);
    group.bench_function("dense64x64", |b| b.iter(|| hidden.forward(black_box(&h))));
    group.finish();
}

criterion_group!(benches, infer);
criterion_main!(benches);
