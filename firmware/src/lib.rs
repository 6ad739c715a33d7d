//! A `#![no_std]`, heap-free crate running a network trained with constnet.
//!
//! `src/model.rs` was written by `constnet::export::write_rs` from the network saved in
//! `model.cnet` (both committed; constnet's tests check that they agree and that
//! [`predict`] matches the loaded network bit for bit). The network is
//! `1 → 16 → ReLU → 16 → ReLU → 1`, trained on y = x³ for x in [−2, 2].
//!
//! Build for a Cortex-M4F: `cargo build -p firmware --target thumbv7em-none-eabihf`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use constnet::Forward;
use constnet::nalgebra::SVector;

include!("model.rs");

/// The network, stored once in read-only memory (using the `const` directly could copy
/// it at each use).
pub static NET: Model = MODEL;

/// The network's prediction for one input.
///
/// ```
/// // Trained on y = x³: close, not exact.
/// assert!((firmware::predict(1.5) - 3.375).abs() < 0.5);
/// ```
pub fn predict(x: f32) -> f32 {
    NET.forward(&SVector::from([x]))[0]
}
