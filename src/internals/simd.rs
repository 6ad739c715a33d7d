//! Run-time CPU feature dispatch for the [kernels](crate::kernel) and the tiled
//! [GEMM kernels](crate::gemm): with the optimizers' updates (`optim::update`, through
//! this module's `dispatched!`), the crate's only `unsafe` code.
//!
//! Each function here runs its kernel compiled for AVX-512F or AVX2 when the CPU has them
//! (std's cached detection, ~1 ns), otherwise as compiled for the build's baseline (SSE2 on
//! x86-64; always, without `std` or on other architectures). The kernels are
//! `#[inline(always)]` generic code, so every copy performs the same IEEE operations in the
//! same order, only on wider vectors: the results are bit-identical to the portable and
//! `no_std` builds. Whether a multiply and an add are fused is decided once for the whole
//! build (`madd` in the kernels, on the build's own target features), never by the copy,
//! and Rust never contracts `a * b + c` on its own. With `-C target-cpu=native` on such a
//! CPU the check is a compile-time constant.
//!
//! The copies are functions taking the kernel's own parameters (not closures): references
//! passed as parameters tell the compiler they do not overlap, which closure captures do
//! not, and without that it vectorises the dot products' partial sums poorly.
#![allow(unsafe_code)]

use crate::kernel;
use crate::{Activation, Real};

/// `fn $name[generics][generic args](params) => path::to::kernel`: a `pub(crate) fn $name`
/// that calls the kernel compiled for the widest vector unit of the CPU: AVX-512F, else
/// AVX2, else the build's baseline. The one dispatch macro of the crate (the column
/// kernels here, the optimizers' updates in `optim::update`). `force-avx2` (and the tests'
/// [`avx2_only`]) skip the AVX-512 copy, the tests' [`portable`] skips both, and tests
/// record which copy ran ([`last_ran`]).
macro_rules! dispatched {
    ($(#[$doc:meta])* fn $name:ident[$($gen:tt)*][$($garg:tt)*]($($arg:ident: $ty:ty),* $(,)?)
        => $($kernel:ident)::+) => {
        $(#[$doc])*
        #[inline]
        pub(crate) fn $name<$($gen)*>($($arg: $ty),*) {
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            {
                // `#[inline]`: a caller compiled with these features too (every caller, in a
                // `-C target-cpu=native` build) may inline the copy, call overhead and all.
                #[target_feature(enable = "avx512f")]
                #[inline]
                fn avx512<$($gen)*>($($arg: $ty),*) {
                    $($kernel)::+::<$($garg)*>($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                #[inline]
                fn avx2<$($gen)*>($($arg: $ty),*) {
                    $($kernel)::+::<$($garg)*>($($arg),*)
                }
                let portable = $crate::simd::forced_portable();
                if !portable
                    && !$crate::simd::forced_avx2()
                    && std::arch::is_x86_feature_detected!("avx512f")
                {
                    #[cfg(test)]
                    $crate::simd::ran("avx512");
                    // SAFETY: the CPU supports AVX-512F, the only feature `avx512` enables.
                    return unsafe { avx512::<$($garg)*>($($arg),*) };
                }
                if !portable && std::arch::is_x86_feature_detected!("avx2") {
                    #[cfg(test)]
                    $crate::simd::ran("avx2");
                    // SAFETY: the CPU supports AVX2, the only feature `avx2` enables.
                    return unsafe { avx2::<$($garg)*>($($arg),*) };
                }
            }
            #[cfg(all(test, feature = "std"))]
            $crate::simd::ran("baseline");
            $($kernel)::+::<$($garg)*>($($arg),*)
        }
    };
}
pub(crate) use dispatched;

/// [`kernel::affine_cols`]: explicit AVX-512 code where it applies (`f32`), else the kernel
/// compiled for the widest vector unit.
#[inline]
pub(crate) fn affine_cols<T: Real, A: Activation, const IN: usize, const OUT: usize>(
    act: &A,
    w: &[[T; OUT]; IN],
    b: &[T; OUT],
    xs: &[[T; IN]],
    ys: &mut [[T; OUT]],
    acts: &mut [[T; OUT]],
) {
    // The kernels skip an empty `ys` or `acts`; any other length is a caller's mistake.
    debug_assert!(
        ys.is_empty() || ys.len() == xs.len(),
        "ys: one per sample, or none"
    );
    debug_assert!(
        acts.is_empty() || acts.len() == xs.len(),
        "acts: one per sample, or none"
    );
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if !forced_portable() && avx512::affine_cols::<T, A, IN, OUT>(act, w, b, xs, ys, acts) {
        return;
    }
    affine_cols_compiled::<T, A, IN, OUT>(act, w, b, xs, ys, acts);
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512;

dispatched! {
    /// [`kernel::affine_cols`], compiled for the widest vector unit.
    fn affine_cols_compiled[T: Real, A: Activation, const IN: usize, const OUT: usize][T, A, IN, OUT](
        act: &A, w: &[[T; OUT]; IN], b: &[T; OUT], xs: &[[T; IN]], ys: &mut [[T; OUT]],
        acts: &mut [[T; OUT]]
    ) => kernel::affine_cols
}

dispatched! {
    /// [`kernel::affine_rows`].
    fn affine_rows[T: Real, const IN: usize, const OUT: usize][T, IN, OUT](
        rows: &[[T; IN]], b: &[T; OUT], xs: &[[T; IN]], ys: &mut [[T; OUT]]
    ) => kernel::affine_rows
}

dispatched! {
    /// [`kernel::broadcast`].
    fn broadcast[T: Real, const OUT: usize][T, OUT](b: &[T; OUT], ys: &mut [[T; OUT]])
        => kernel::broadcast
}

dispatched! {
    /// [`kernel::grad_params`].
    fn grad_params[T: Real, const IN: usize, const OUT: usize][T, IN, OUT](
        xs: &[[T; IN]], gs: &[[T; OUT]], dw: &mut [[T; OUT]; IN], db: &mut [T; OUT]
    ) => kernel::grad_params
}

dispatched! {
    /// [`kernel::sum_columns`].
    fn sum_columns[T: Real, const OUT: usize][T, OUT](gs: &[[T; OUT]], db: &mut [T; OUT])
        => kernel::sum_columns
}

dispatched! {
    /// [`kernel::grad_inputs`].
    fn grad_inputs[T: Real, A: Activation, const IN: usize, const OUT: usize][T, A, IN, OUT](
        act: &A, w: &[[T; OUT]; IN], gs: &[[T; OUT]], dxs: &mut [[T; IN]], zs: &[[T; IN]]
    ) => kernel::grad_inputs
}

dispatched! {
    /// [`kernel::activate`].
    fn activate[T: Real, A: Activation][T, A](act: &A, x: &[T], y: &mut [T]) => kernel::activate
}

dispatched! {
    /// [`kernel::activate_grad_in_place`].
    fn activate_grad_in_place[T: Real, A: Activation][T, A](act: &A, x: &[T], g: &mut [T])
        => kernel::activate_grad_in_place
}

dispatched! {
    /// [`kernel::activate_grad`].
    fn activate_grad[T: Real, A: Activation][T, A](act: &A, x: &[T], g: &[T], gx: &mut [T])
        => kernel::activate_grad
}

/// `fn $name[generics][generic args](params) => kernel`: a `pub(crate) fn $name -> bool`
/// that runs `gemm::kernel` with tiles of [`tile_rows`](crate::gemm::tile_rows) rows,
/// compiled for AVX-512F with FMA, or for `f32` with 16-row tiles for AVX2 with FMA, and
/// returns `true`; or returns `false` without running it for a shape the kernels do not
/// take, on a CPU without those features, or without `std`. All copies give the same bits
/// (each element is one chain of `fma`s in index order). [`portable`] does not switch
/// these off: they have no portable copy, and are tested against reference code instead.
macro_rules! dispatched_fma {
    ($(#[$doc:meta])* fn $name:ident[$($gen:tt)*][$($garg:tt)*]($($arg:ident: $ty:ty),* $(,)?)
        => $kernel:ident) => {
        $(#[$doc])*
        #[inline]
        #[must_use]
        pub(crate) fn $name<$($gen)*>($($arg: $ty),*) -> bool {
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            {
                #[target_feature(enable = "avx512f,fma")]
                fn avx512_32<$($gen)*>($($arg: $ty),*) {
                    crate::gemm::$kernel::<$($garg)*, 32>($($arg),*)
                }
                #[target_feature(enable = "avx512f,fma")]
                fn avx512_16<$($gen)*>($($arg: $ty),*) {
                    crate::gemm::$kernel::<$($garg)*, 16>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2_16<$($gen)*>($($arg: $ty),*) {
                    crate::gemm::$kernel::<$($garg)*, 16>($($arg),*)
                }
                let Some(rows) = crate::gemm::tile_rows(IN, OUT) else {
                    return false;
                };
                let fma = std::arch::is_x86_feature_detected!("fma");
                if fma && std::arch::is_x86_feature_detected!("avx512f") && !forced_avx2() {
                    if rows == 32 {
                        // SAFETY: the CPU supports AVX-512F and FMA, all `avx512_32` enables.
                        unsafe { avx512_32::<$($garg)*>($($arg),*) };
                    } else {
                        // SAFETY: as above.
                        unsafe { avx512_16::<$($garg)*>($($arg),*) };
                    }
                    return true;
                }
                // 16 rows of f64 would be 4 registers a column: 24 accumulators, too many.
                if fma && T::BYTES == 4 && std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 and FMA, all `avx2_16` enables.
                    unsafe { avx2_16::<$($garg)*>($($arg),*) };
                    return true;
                }
            }
            let _ = ($($arg),*);
            false
        }
    };
}

dispatched_fma! {
    /// [`gemm::affine`](crate::gemm::affine).
    fn gemm_affine[T: Real, A: Activation, const IN: usize, const OUT: usize][T, A, IN, OUT](
        act: &A, w: &[[T; OUT]; IN], b: &[T; OUT], xs: &[[T; IN]], ys: &mut [[T; OUT]],
        acts: &mut [[T; OUT]]
    ) => affine
}

dispatched_fma! {
    /// [`gemm::grad_weights`](crate::gemm::grad_weights).
    fn gemm_grad_weights[T: Real, const IN: usize, const OUT: usize][T, IN, OUT](
        xs: &[[T; IN]], gs: &[[T; OUT]], dw: &mut [[T; OUT]; IN], add: bool
    ) => grad_weights
}

dispatched_fma! {
    /// [`gemm::grad_inputs`](crate::gemm::grad_inputs).
    fn gemm_grad_inputs[T: Real, A: Activation, const IN: usize, const OUT: usize][T, A, IN, OUT](
        act: &A, w: &[[T; OUT]; IN], gs: &[[T; OUT]], dxs: &mut [[T; IN]], zs: &[[T; IN]]
    ) => grad_inputs
}

#[cfg(all(test, feature = "std"))]
mod tests;

#[cfg(all(test, feature = "std"))]
std::thread_local! {
    static PORTABLE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    static AVX2_ONLY: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    static RAN: core::cell::Cell<&'static str> = const { core::cell::Cell::new("") };
}

/// Tests: records which copy of a dispatched update ran on this thread.
#[cfg(all(test, feature = "std"))]
pub(crate) fn ran(copy: &'static str) {
    RAN.set(copy);
}

/// Tests: the copy of the last dispatched update on this thread.
#[cfg(all(test, feature = "std"))]
pub(crate) fn last_ran() -> &'static str {
    RAN.get()
}

/// Runs `f` with the tiled kernels taking their AVX2 copies on this thread (on a CPU with
/// AVX-512 too): tests check both.
#[cfg(all(test, feature = "std"))]
pub(crate) fn avx2_only<R>(f: impl FnOnce() -> R) -> R {
    AVX2_ONLY.set(true);
    let r = f();
    AVX2_ONLY.set(false);
    r
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn forced_avx2() -> bool {
    #[cfg(test)]
    return AVX2_ONLY.get();
    #[cfg(not(test))]
    cfg!(feature = "force-avx2")
}

/// Runs `f` with every kernel taking its portable copy on this thread: tests compare the
/// two.
#[cfg(all(test, feature = "std"))]
pub(crate) fn portable<R>(f: impl FnOnce() -> R) -> R {
    PORTABLE.set(true);
    let r = f();
    PORTABLE.set(false);
    r
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn forced_portable() -> bool {
    #[cfg(test)]
    return PORTABLE.get();
    #[cfg(not(test))]
    false
}
