//! Deployment: networks for cores without an FPU.
//!
//! - [`quant`](crate::quant): int8 post-training quantization, integer-only inference and
//!   its export as firmware source.

pub mod quant;
