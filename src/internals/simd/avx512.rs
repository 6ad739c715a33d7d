//! Explicit 512-bit code for [`kernel::affine_cols`] on `f32`: the single-sample hot spot
//! (and every other column-kernel product: fixed and small batches, thin-input layers).
//!
//! The compiler's vector width is a tuning choice: built with `-C target-cpu=native` for
//! CPUs such as Sapphire Rapids, LLVM prefers 256-bit vectors even in code compiled for
//! AVX-512, which halves the multiply-add rate of a 64-wide layer (measured: 90 ns per
//! sample of the seed network instead of ~50). Intrinsics fix the width. The operations,
//! and their order, are those of the generic kernel, so the bits are the same (the tests
//! compare them).
//!
//! [`kernel::affine_cols`]: crate::kernel::affine_cols

use core::any::TypeId;
use core::arch::x86_64::{
    __m512, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mul_ps, _mm512_set1_ps,
    _mm512_storeu_ps,
};

use crate::{Activation, Real};

/// Lanes of an `f32` vector.
const L: usize = 16;

/// [`kernel::affine_cols`](crate::kernel::affine_cols) as explicit AVX-512 code, if `T` is
/// `f32`, `OUT` a multiple of 16 and the CPU has AVX-512F. Returns whether it ran.
#[inline]
pub(super) fn affine_cols<T: Real, A: Activation, const IN: usize, const OUT: usize>(
    act: &A,
    w: &[[T; OUT]; IN],
    b: &[T; OUT],
    xs: &[[T; IN]],
    ys: &mut [[T; OUT]],
    acts: &mut [[T; OUT]],
) -> bool {
    if TypeId::of::<T>() != TypeId::of::<f32>()
        || !OUT.is_multiple_of(L)
        || IN == 0
        || !std::arch::is_x86_feature_detected!("avx512f")
    {
        return false;
    }
    // SAFETY: `T` is `f32` (same type, so same layout): these are the same references.
    let (w, b, xs, ys, acts) = unsafe {
        (
            &*core::ptr::from_ref(w).cast::<[[f32; OUT]; IN]>(),
            &*core::ptr::from_ref(b).cast::<[f32; OUT]>(),
            &*(core::ptr::from_ref(xs) as *const [[f32; IN]]),
            &mut *(core::ptr::from_mut(ys) as *mut [[f32; OUT]]),
            &mut *(core::ptr::from_mut(acts) as *mut [[f32; OUT]]),
        )
    };
    // SAFETY: the CPU supports AVX-512F, the only feature `f32_cols` enables.
    unsafe { f32_cols(act, w, b, xs, ys, acts) };
    true
}

/// Sample `j` into `ys[j]` unless `ys` is empty, and `A` of it into `acts[j]` unless
/// `acts` is.
#[target_feature(enable = "avx512f")]
#[inline]
fn f32_cols<A: Activation, const IN: usize, const OUT: usize>(
    f: &A,
    w: &[[f32; OUT]; IN],
    b: &[f32; OUT],
    xs: &[[f32; IN]],
    ys: &mut [[f32; OUT]],
    acts: &mut [[f32; OUT]],
) {
    for (j, x) in xs.iter().enumerate() {
        let (mut y, mut a) = (ys.get_mut(j), acts.get_mut(j));
        // Four vectors of rows at a time (eight accumulators: enough chains to keep both
        // multiply-add units busy), else one.
        if OUT.is_multiple_of(4 * L) {
            for r0 in (0..OUT).step_by(4 * L) {
                rows::<A, IN, OUT, 4>(f, w, b, x, y.as_deref_mut(), a.as_deref_mut(), r0);
            }
        } else {
            for r0 in (0..OUT).step_by(L) {
                rows::<A, IN, OUT, 1>(f, w, b, x, y.as_deref_mut(), a.as_deref_mut(), r0);
            }
        }
    }
}

/// The 16 floats from `at` of `col`.
#[target_feature(enable = "avx512f")]
#[inline]
fn load<const N: usize>(col: &[f32; N], at: usize) -> __m512 {
    let lanes: &[f32; L] = col[at..at + L].try_into().unwrap();
    // SAFETY: reads the 16 floats of `lanes`.
    unsafe { _mm512_loadu_ps(lanes.as_ptr()) }
}

/// Rows `r0..r0 + V·16` of `y = W·x + b` into `y` and of `A(y)` into `act` (each if
/// given), in the generic
/// kernel's order: column `k` into sum `k mod 2`, the first term of each a product, then
/// `(even + odd) + b`.
#[target_feature(enable = "avx512f")]
#[inline]
#[allow(
    clippy::needless_range_loop,
    reason = "the same index into three arrays"
)]
fn rows<A: Activation, const IN: usize, const OUT: usize, const V: usize>(
    f: &A,
    w: &[[f32; OUT]; IN],
    b: &[f32; OUT],
    x: &[f32; IN],
    mut y: Option<&mut [f32; OUT]>,
    mut act: Option<&mut [f32; OUT]>,
    r0: usize,
) {
    let load = |col: &[f32; OUT], v: usize| load(col, r0 + v * L);
    let mut even = [_mm512_set1_ps(0.0); V];
    let mut odd = [_mm512_set1_ps(0.0); V];
    let x0 = _mm512_set1_ps(x[0]);
    for v in 0..V {
        even[v] = _mm512_mul_ps(load(&w[0], v), x0);
    }
    if IN > 1 {
        let x1 = _mm512_set1_ps(x[1]);
        for v in 0..V {
            odd[v] = _mm512_mul_ps(load(&w[1], v), x1);
        }
    }
    for k in 1..IN / 2 {
        let (xe, xo) = (_mm512_set1_ps(x[2 * k]), _mm512_set1_ps(x[2 * k + 1]));
        for v in 0..V {
            even[v] = madd(even[v], load(&w[2 * k], v), xe);
            odd[v] = madd(odd[v], load(&w[2 * k + 1], v), xo);
        }
    }
    if IN > 1 && IN % 2 == 1 {
        let xl = _mm512_set1_ps(x[IN - 1]);
        for v in 0..V {
            even[v] = madd(even[v], load(&w[IN - 1], v), xl);
        }
    }
    for v in 0..V {
        let sum = if IN > 1 {
            _mm512_add_ps(even[v], odd[v])
        } else {
            even[v]
        };
        let out = _mm512_add_ps(sum, load(b, v));
        if let Some(y) = y.as_deref_mut() {
            store(y, r0 + v * L, out);
        }
        if let Some(act) = act.as_deref_mut() {
            store(act, r0 + v * L, activate(f, out));
        }
    }
}

/// Writes the 16 floats from `at` of `col`.
#[target_feature(enable = "avx512f")]
#[inline]
fn store<const N: usize>(col: &mut [f32; N], at: usize, v: __m512) {
    let lanes: &mut [f32; L] = (&mut col[at..at + L]).try_into().unwrap();
    // SAFETY: writes the 16 floats of `lanes`.
    unsafe { _mm512_storeu_ps(lanes.as_mut_ptr(), v) };
}

/// `A` on each lane. Written as scalar code on a local array, which the compiler turns
/// into vector operations for the activations that have them (`Relu`: one `max`).
#[target_feature(enable = "avx512f")]
#[inline]
fn activate<A: Activation>(f: &A, v: __m512) -> __m512 {
    let mut lanes = [0.0f32; L];
    // SAFETY: writes the 16 floats of `lanes`.
    unsafe { _mm512_storeu_ps(lanes.as_mut_ptr(), v) };
    for l in &mut lanes {
        *l = f.f::<f32>(*l);
    }
    // SAFETY: reads the 16 floats of `lanes`.
    unsafe { _mm512_loadu_ps(lanes.as_ptr()) }
}

/// `acc + a·b`, rounded as the generic kernels' `madd`: once (FMA) where the build
/// targets FMA, else twice.
#[target_feature(enable = "avx512f")]
#[inline]
fn madd(acc: __m512, a: __m512, b: __m512) -> __m512 {
    if cfg!(target_feature = "fma") {
        _mm512_fmadd_ps(a, b, acc)
    } else {
        _mm512_add_ps(acc, _mm512_mul_ps(a, b))
    }
}
