//! The core's f32 multiply-add peak: independent 512-bit FMAs (AVX-512F), as a yardstick
//! for the kernels' GFLOP/s. Prints nothing useful on a CPU without AVX-512F.
//!
//! `cargo bench --bench peak`: throughput is FLOP (2 per lane per FMA), read `elem/s` as
//! FLOP/s.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

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

fn peak(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        let mut group = c.benchmark_group("peak");
        group.throughput(Throughput::Elements((ROUNDS * CHAINS * 16 * 2) as u64));
        // SAFETY: the CPU supports AVX-512F, the only feature `fma512` enables.
        group.bench_function("fma512_f32", |b| {
            b.iter(|| unsafe { fma512(black_box(0.999_999)) })
        });
        group.finish();
        return;
    }
    let _ = c;
    println!("peak: no AVX-512F on this CPU, nothing measured");
}

criterion_group!(benches, peak);
criterion_main!(benches);
