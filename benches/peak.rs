//! Yardsticks for the kernels: the core's f32 multiply-add peak (independent 512-bit FMAs),
//! and the bare work of one sample through a 64×64 layer. AVX-512F only; prints a line
//! and measures nothing elsewhere.
//!
//! `cargo bench --bench peak`: throughput is FLOP (2 per lane per FMA), read `elem/s` as
//! FLOP/s.

use std::hint::black_box;

#[cfg(target_arch = "x86_64")]
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
#[cfg(target_arch = "x86_64")]
use constnet::{Dense, Init, InitScheme, Relu, net};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[cfg(target_arch = "x86_64")]
type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];

/// FMAs per call: 16 independent chains (more than latency × units), so only the number of
/// FMA units and the clock limit the rate.
const CHAINS: usize = 16;
const ROUNDS: usize = 100_000;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fma512(m: f32) -> f32 {
    use std::arch::x86_64::{
        _mm512_add_ps, _mm512_fmadd_ps, _mm512_reduce_add_ps, _mm512_set1_ps, _mm512_setzero_ps,
    };
    let (m, c) = (_mm512_set1_ps(m), _mm512_set1_ps(1e-6));
    let mut acc = [_mm512_set1_ps(1.0); CHAINS];
    for _ in 0..black_box(ROUNDS) {
        for a in &mut acc {
            *a = _mm512_fmadd_ps(*a, m, c);
        }
    }
    let sum = acc
        .iter()
        .fold(_mm512_setzero_ps(), |s, &a| _mm512_add_ps(s, a));
    _mm512_reduce_add_ps(sum)
}

/// The single-sample hidden layer's work and nothing else: `y = W·x` for a 64×64 `W`, as
/// bare intrinsics (two columns per step, eight accumulators), each call's input depending
/// on the last call's output as in a network. The floor that `infer/dense64x64` is judged
/// against.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn dense64_bare<const STREAM: bool>(w: &[[f32; 64]; 64], x: &[f32; 64], y: &mut [f32; 64]) {
    use std::arch::x86_64::{
        _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps,
        _mm512_storeu_ps,
    };
    let mut acc = [_mm512_setzero_ps(); 8];
    for k in (0..64).step_by(2) {
        let (x0, x1) = (_mm512_set1_ps(x[k]), _mm512_set1_ps(x[k + 1]));
        // Without STREAM, every step reads columns 0 and 1 again: 8 cache lines, not 256.
        let col = if STREAM { k } else { 0 };
        for v in 0..4 {
            // SAFETY: 16 floats from v·16 of a 64-float column.
            let (w0, w1) = unsafe {
                (
                    _mm512_loadu_ps(w[col][v * 16..].as_ptr()),
                    _mm512_loadu_ps(w[col + 1][v * 16..].as_ptr()),
                )
            };
            acc[v] = _mm512_fmadd_ps(w0, x0, acc[v]);
            acc[4 + v] = _mm512_fmadd_ps(w1, x1, acc[4 + v]);
        }
    }
    for v in 0..4 {
        // SAFETY: 16 floats from v·16 of `y`.
        unsafe { _mm512_storeu_ps(y[v * 16..].as_mut_ptr(), _mm512_add_ps(acc[v], acc[4 + v])) };
    }
}

/// The seed network `1 → 64 → ReLU → 64 → ReLU → 1` on one sample, hand-fused into one
/// function: the first layer's output in an aligned local array, the hidden layer's in
/// registers, the last layer a multiply-add into them and one reduction. Not the crate's
/// operation order (its bits differ in the last places), so a yardstick for `infer/seed`
/// rather than a bound.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn seed_fused((d1, d2, d3): (&Dense<1, 64>, &Dense<64, 64>, &Dense<64, 1>), x: f32) -> f32 {
    use std::arch::x86_64::{
        _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_max_ps, _mm512_reduce_add_ps,
        _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
    };
    #[repr(align(64))]
    struct Line([f32; 64]);
    // SAFETY (every load and store below): 16 floats from v·16 of a 64-float array.
    let load = |a: &[f32], v: usize| unsafe { _mm512_loadu_ps(a[v * 16..v * 16 + 16].as_ptr()) };
    let zero = _mm512_setzero_ps();
    let mut h = Line([0.0; 64]);
    for v in 0..4 {
        let y = _mm512_fmadd_ps(
            load(d1.w.as_slice(), v),
            _mm512_set1_ps(x),
            load(d1.b.as_slice(), v),
        );
        unsafe { _mm512_storeu_ps(h.0[v * 16..].as_mut_ptr(), _mm512_max_ps(y, zero)) };
    }
    let w = d2.w.as_slice();
    let (mut even, mut odd) = ([zero; 4], [zero; 4]);
    for k in (0..64).step_by(2) {
        let (x0, x1) = (_mm512_set1_ps(h.0[k]), _mm512_set1_ps(h.0[k + 1]));
        for v in 0..4 {
            even[v] = _mm512_fmadd_ps(load(&w[k * 64..], v), x0, even[v]);
            odd[v] = _mm512_fmadd_ps(load(&w[(k + 1) * 64..], v), x1, odd[v]);
        }
    }
    let mut out = zero;
    for v in 0..4 {
        let y = _mm512_add_ps(_mm512_add_ps(even[v], odd[v]), load(d2.b.as_slice(), v));
        out = _mm512_fmadd_ps(_mm512_max_ps(y, zero), load(d3.w.as_slice(), v), out);
    }
    _mm512_reduce_add_ps(out) + d3.b[0]
}

fn peak(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        let mut group = c.benchmark_group("peak");
        group.throughput(Throughput::Elements((ROUNDS * CHAINS * 16 * 2) as u64));
        // SAFETY: the CPU supports AVX-512F, the only feature `fma512` enables.
        group.bench_function("fma512_f32", |b| {
            b.iter(|| unsafe { fma512(black_box(0.999_999)) })
        });
        if std::arch::is_x86_feature_detected!("fma") {
            // Cache-line aligned, as a `Dense` keeps its weights: a `Box` of the bare array
            // lands 16 bytes off a line here, every load straddles two, and the loop takes
            // 92 ns instead of 52.
            #[repr(align(64))]
            struct Aligned([[f32; 64]; 64]);
            let w = Box::new(Aligned([[0.01f32; 64]; 64]));
            let (mut x, mut y) = ([0.5f32; 64], [0.0f32; 64]);
            group.throughput(Throughput::Elements(2 * 64 * 64));
            group.bench_function("dense64x64_bare", |b| {
                b.iter(|| {
                    // SAFETY: the CPU supports AVX-512F and FMA, all `dense64_bare` enables.
                    unsafe { dense64_bare::<true>(black_box(&w.0), &x, &mut y) };
                    x[0] = y[1] * 1e-3;
                })
            });
            group.bench_function("dense64x64_l1_hot", |b| {
                b.iter(|| {
                    // SAFETY: as above.
                    unsafe { dense64_bare::<false>(black_box(&w.0), &x, &mut y) };
                    x[0] = y[1] * 1e-3;
                })
            });
            let seed: Seed = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(42), InitScheme::He);
            let layers = (
                &seed.first.first.first.first,
                &seed.first.first.second,
                &seed.second,
            );
            let mut x = 0.0f32;
            group.throughput(Throughput::Elements(2 * (64 + 64 * 64 + 64)));
            group.bench_function("seed_fused", |b| {
                b.iter(|| {
                    // As `infer/seed`: a new input each time, within [−2, 2).
                    x = if x > 2.0 { -2.0 } else { x + 0.01 };
                    // SAFETY: the CPU supports AVX-512F and FMA, all `seed_fused` enables.
                    unsafe { seed_fused(layers, black_box(x)) }
                })
            });
        }
        group.finish();
        return;
    }
    let _ = c;
    println!("peak: no AVX-512F on this CPU, nothing measured");
}

criterion_group!(benches, peak);
criterion_main!(benches);
