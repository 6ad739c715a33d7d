//! A `#![no_std]`, heap-free crate running a network trained with constnet.
//!
//! `src/model.rs` and `model.cnet` are the cubic example's trained network, written by
//! `cargo run --release --example cubic -- --save firmware/model.cnet --export-rs firmware/src/model.rs`
//! (the seed network `1 → 64 → ReLU → 64 → ReLU → 1` between identity scalers, as the
//! unscaled run stores it; 900 epochs of SGD on y = x³ + ε,
//! test R² 0.9834). constnet's tests check that the two files agree and that [`predict`]
//! matches the trained network bit for bit on the example's whole test set.
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
/// // Trained on y = x³ + ε: close, not exact.
/// // The model's test RMSE is 0.39 (test MSE 0.151).
/// assert!((firmware::predict(1.0) - 1.0).abs() < 0.5);
/// assert!((firmware::predict(-1.5) + 3.375).abs() < 0.5);
/// ```
#[must_use]
pub fn predict(x: f32) -> f32 {
    NET.forward(&SVector::from([x]))[0]
}

/// The same network quantized to int8 (`model_int8.rs`, written by
/// `cargo run --release --example cubic -- --load firmware/model.cnet --quantize int8
/// --export-rs firmware/src/model_int8.rs`): integer-only inside, for cores without an FPU.
pub mod int8 {
    include!("model_int8.rs");

    /// The int8 network, stored once in read-only memory.
    pub static NET: QModel = QMODEL;

    /// The int8 network's prediction for one input: the input quantized (one `f32`
    /// division), integer inference, the output dequantized (one `f32` product).
    ///
    /// ```
    /// assert!((firmware::int8::predict(1.0) - 1.0).abs() < 0.5);
    /// assert!((firmware::int8::predict(-1.5) + 3.375).abs() < 0.5);
    /// ```
    pub fn predict(x: f32) -> f32 {
        NET.predict(&[x])[0]
    }
}

/// A network in raw units (`scaled::predict(x)` takes `x` in 1000…5000 and returns `y` in
/// ±10⁴): `model_scaled.rs`, the export of `model_scaled.cnet`, a
/// `constnet::Scaled<net![Dense<1, 16>, Relu, Dense<16, 1>], 1, 1>` trained by constnet's
/// `tests/it/scale_firmware.rs` on seeded raw data `y = 1250·((x − 3000)/1000)³ + noise`.
/// Its input standardisation and output rescaling are part of the model, so the device
/// needs no scaling code of its own.
pub mod scaled {
    use constnet::Forward;
    use constnet::nalgebra::SVector;

    include!("model_scaled.rs");

    /// The scaled network, stored once in read-only memory.
    pub static NET: Model = MODEL;

    /// The prediction for one raw input, in raw units.
    ///
    /// ```
    /// // Trained on y = 1250·u³ + noise, u = (x − 3000) / 1000: close, not exact.
    /// assert!((firmware::scaled::predict(4000.0) - 1250.0).abs() < 400.0);
    /// assert!((firmware::scaled::predict(1500.0) + 4218.75).abs() < 400.0);
    /// ```
    #[must_use]
    pub fn predict(x: f32) -> f32 {
        NET.forward(&SVector::from([x]))[0]
    }
}
