//! The optimizers' element-wise updates over flat parameter slices, compiled for the
//! widest vector unit of the CPU.
//!
//! Each update is an `#[inline(always)]` loop over equal-length slices (the lengths are
//! matched once up front, so the loop body has no bounds checks and vectorises), and each
//! public function runs it as compiled for AVX-512F or AVX2 when the CPU has them (std's
//! cached detection, ~1 ns), otherwise for the build's baseline. As in [`crate::simd`],
//! every copy performs the same IEEE operations in the same order, only on wider vectors,
//! so the results are bit-identical across copies, CPUs and `no_std` builds; Rust never
//! fuses `a * b + c` on its own. Why: `perf` put 91% of a batch-1 Adam run of the example
//! in the earlier update loop, compiled for SSE2 only (4 lanes) and waiting on the divider
//! (three divisions and a square root per parameter); see `benches/minibatch.rs`.
#![allow(unsafe_code)] // run-time CPU feature dispatch, as in `crate::simd`

use crate::Real;

use crate::simd::dispatched;

dispatched! {
    /// SGD: `p ← p − lr·g`.
    fn sgd[T: Real][T](p: &mut [T], g: &[T], lr: T) => sgd_kernel
}

dispatched! {
    /// Momentum (PyTorch's form): `v ← μ·v + g`, then `p ← p − lr·v` (classic) or
    /// `p ← p − lr·(g + μ·v)` (Nesterov).
    fn momentum[T: Real, const NESTEROV: bool][T, NESTEROV](
        p: &mut [T], v: &mut [T], g: &[T], lr: T, mu: T
    ) => momentum_kernel
}

dispatched! {
    /// Adam's update of one tensor with its copy's constants fixed; see [`adam`].
    fn adam_copy[T: Real, const DECAY: bool, const UNIT_C1: bool, const UNIT_C2: bool]
        [T, DECAY, UNIT_C1, UNIT_C2](
        p: &mut [T], m: &mut [T], v: &mut [T], g: &[T], k: &AdamStep<T>
    ) => adam_kernel
}

/// Adam's update of one tensor; see [`AdamStep`]. A bias correction that has reached
/// exactly 1 (`1 − β₁ᵗ` from step 165 on in `f32` with β₁ = 0.9, `1 − β₂ᵗ` from step
/// 17 321 with β₂ = 0.999) divides by nothing: `x / 1 = x` exactly, so skipping it keeps
/// the bits and saves a division per parameter (the divider bounds this loop).
#[inline]
pub(crate) fn adam<T: Real>(
    p: &mut [T],
    m: &mut [T],
    v: &mut [T],
    g: &[T],
    k: &AdamStep<T>,
    decay: bool,
) {
    let one = T::one();
    match (decay, k.c1 == one, k.c2 == one) {
        (false, false, false) => adam_copy::<T, false, false, false>(p, m, v, g, k),
        (false, true, false) => adam_copy::<T, false, true, false>(p, m, v, g, k),
        (false, true, true) => adam_copy::<T, false, true, true>(p, m, v, g, k),
        (false, false, true) => adam_copy::<T, false, false, true>(p, m, v, g, k),
        (true, false, false) => adam_copy::<T, true, false, false>(p, m, v, g, k),
        (true, true, false) => adam_copy::<T, true, true, false>(p, m, v, g, k),
        (true, true, true) => adam_copy::<T, true, true, true>(p, m, v, g, k),
        (true, false, true) => adam_copy::<T, true, false, true>(p, m, v, g, k),
    }
}

/// The per-step constants of Adam's update, computed once per step (not per parameter).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdamStep<T> {
    /// β₁, 1 − β₁, β₂, 1 − β₂.
    pub b1: T,
    pub one_minus_b1: T,
    pub b2: T,
    pub one_minus_b2: T,
    /// The learning rate.
    pub lr: T,
    /// `1 − β₁ᵗ`, the first moment's bias correction: `m̂ = m / c1`.
    pub c1: T,
    /// `1 − β₂ᵗ`, the second moment's bias correction: `v̂ = v / c2`.
    pub c2: T,
    /// ε, added to `√v̂`.
    pub eps: T,
    /// `1 − lr·λ` (used only by the `DECAY` copy).
    pub decay: T,
}

#[inline(always)]
fn sgd_kernel<T: Real>(p: &mut [T], g: &[T], lr: T) {
    let g = &g[..p.len()];
    for (p, &g) in p.iter_mut().zip(g) {
        *p -= lr * g;
    }
}

#[inline(always)]
fn momentum_kernel<T: Real, const NESTEROV: bool>(p: &mut [T], v: &mut [T], g: &[T], lr: T, mu: T) {
    let n = p.len();
    let (v, g) = (&mut v[..n], &g[..n]);
    for i in 0..n {
        v[i] = mu * v[i] + g[i];
        let d = if NESTEROV { g[i] + mu * v[i] } else { v[i] };
        p[i] -= lr * d;
    }
}

/// Adam's textbook arithmetic, in the order constnet has always used: `m̂ = m / c1`,
/// `v̂ = v / c2`, `p −= lr·m̂ / (√v̂ + ε)`. PyTorch folds the corrections into two per-step
/// scalars (one division and one square root per parameter instead of three and one, the
/// divider being this loop's bottleneck), which changes results by rounding; this keeps
/// every earlier Adam run's bits (`tests/it/bits.rs`).
#[inline(always)]
fn adam_kernel<T: Real, const DECAY: bool, const UNIT_C1: bool, const UNIT_C2: bool>(
    p: &mut [T],
    m: &mut [T],
    v: &mut [T],
    g: &[T],
    k: &AdamStep<T>,
) {
    let n = p.len();
    let (m, v, g) = (&mut m[..n], &mut v[..n], &g[..n]);
    for i in 0..n {
        let gi = g[i];
        if DECAY {
            p[i] *= k.decay;
        }
        m[i] = k.b1 * m[i] + k.one_minus_b1 * gi;
        v[i] = k.b2 * v[i] + k.one_minus_b2 * gi * gi;
        let m_hat = if UNIT_C1 { m[i] } else { m[i] / k.c1 };
        let v_hat = if UNIT_C2 { v[i] } else { v[i] / k.c2 };
        p[i] -= k.lr * m_hat / (v_hat.sqrt() + k.eps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
        // A cheap deterministic spread of signs and magnitudes.
        (0..n)
            .map(|i| {
                let h = (i as u32 ^ seed).wrapping_mul(2_654_435_761);
                (h >> 8) as f32 / (1u32 << 24) as f32 * 4.0 - 2.0
            })
            .collect()
    }

    /// The dispatched copy (AVX-512 here) gives the baseline kernel's bits, including the
    /// tail that does not fill a vector.
    #[test]
    fn dispatched_copies_match_the_baseline_bits() {
        // The widest copy this CPU has, then AVX2 (a no-op switch on a CPU without AVX-512).
        same_bits_as_the_baseline();
        crate::simd::avx2_only(same_bits_as_the_baseline);
    }

    /// The tests' switches reach the updates (they took the AVX-512 copy regardless before).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_switches_pick_the_copy() {
        let p = &mut [1.0f32; 40][..];
        let step = |p: &mut [f32]| {
            sgd(p, &[0.5; 40], 0.1);
            crate::simd::last_ran()
        };
        if std::arch::is_x86_feature_detected!("avx2") {
            assert_eq!(crate::simd::avx2_only(|| step(p)), "avx2");
        }
        assert_eq!(crate::simd::portable(|| step(p)), "baseline");
        if std::arch::is_x86_feature_detected!("avx512f") {
            assert_eq!(step(p), "avx512");
        }
    }

    fn same_bits_as_the_baseline() {
        let n = 4353;
        let g = data(n, 1);
        let k = AdamStep {
            b1: 0.9,
            one_minus_b1: 0.1,
            b2: 0.999,
            one_minus_b2: 1.0 - 0.999,
            lr: 1e-3,
            c1: 0.1,
            c2: 1.0 - 0.999,
            eps: 1e-8,
            decay: 0.99,
        };
        let (mut p1, mut m1, mut v1) = (
            data(n, 2),
            data(n, 3),
            data(n, 4).iter().map(|x| x * x).collect::<Vec<_>>(),
        );
        let (mut p2, mut m2, mut v2) = (p1.clone(), m1.clone(), v1.clone());
        // Every pair of corrections, each below 1 or exactly 1 (where the dispatched copy
        // skips the division and the baseline divides by 1), with and without decay.
        for (c1, c2) in [(0.1, 1.0 - 0.999), (1.0, 0.25), (1.0, 1.0), (0.5, 1.0)] {
            for decay in [false, true] {
                let k = AdamStep { c1, c2, ..k };
                adam::<f32>(&mut p1, &mut m1, &mut v1, &g, &k, decay);
                if decay {
                    adam_kernel::<f32, true, false, false>(&mut p2, &mut m2, &mut v2, &g, &k);
                } else {
                    adam_kernel::<f32, false, false, false>(&mut p2, &mut m2, &mut v2, &g, &k);
                }
                assert_eq!(
                    (bits(&p1), bits(&m1), bits(&v1)),
                    (bits(&p2), bits(&m2), bits(&v2)),
                    "c1 {c1}, c2 {c2}, decay {decay}"
                );
            }
        }
        momentum::<f32, true>(&mut p1, &mut v1, &g, 0.01, 0.9);
        momentum_kernel::<f32, true>(&mut p2, &mut v2, &g, 0.01, 0.9);
        sgd(&mut p1, &g, 0.01);
        sgd_kernel(&mut p2, &g, 0.01);
        assert_eq!((bits(&p1), bits(&v1)), (bits(&p2), bits(&v2)));
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }
}
