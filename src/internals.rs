//! Internals: the kernels under the layers. Nothing here is public.
//!
//! - `kernel`: fixed-order loops over contiguous storage (one sample at a time);
//! - `gemm`: register-tiled FMA kernels for runtime-sized batches (`std`);
//! - `simd`: run-time CPU dispatch of both (AVX-512, AVX2, baseline), with the same bits.

#[cfg(feature = "std")]
pub(crate) mod gemm;
pub(crate) mod kernel;
pub(crate) mod simd;
