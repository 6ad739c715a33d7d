//! A `#![no_std]`, heap-free crate running a network trained with constnet.
//!
//! `src/model.rs` and `model.cnet` are the seed experiment's trained network, written by
//! `cargo run --release -p constnet-cli -- fit --save firmware/model.cnet --export-rs firmware/src/model.rs`
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
/// `cargo run --release -p constnet-cli -- fit --load firmware/model.cnet --quantize int8
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

/// A handwritten-digit classifier (8×8 images, grey levels 0–16, digits 0–9) trained by the
/// `constnet` tool on `data/digits.csv`, as `f32` ([`digits::logits`]) and int8
/// ([`digits::int8::class`]). Regenerate its three files with the tool (built by
/// `cargo build --release -p constnet-cli`):
///
/// ```text
/// target/release/constnet fit --data data/digits.csv --classify --save firmware/digits.cnet \
///     --export-rs firmware/src/digits.rs --out target/fit-digits
/// target/release/constnet fit --data data/digits.csv --classify --quantize int8 \
///     --export-rs firmware/src/digits_int8.rs --out target/fit-digits-int8
/// ```
///
/// (the second run trains the same model again, the tool's `--load` not taking a
/// classifier; constnet's `tests/it/digits.rs` checks both exports are the committed
/// model's). The model standardises its 64 inputs itself, so it takes raw pixels.
pub mod digits {
    use constnet::Forward;
    use constnet::nalgebra::SVector;

    include!("digits.rs");

    /// The `f32` classifier, stored once in read-only memory.
    pub static NET: Model = MODEL;

    /// The 10 logits of one image (64 raw grey levels, row by row).
    #[must_use]
    pub fn logits(x: &[f32; 64]) -> [f32; 10] {
        NET.forward(&SVector::from(*x)).into()
    }

    /// The digit of one image: its largest logit, the first on a tie.
    #[must_use]
    pub fn class(x: &[f32; 64]) -> usize {
        let z = logits(x);
        let mut best = 0;
        for k in 1..z.len() {
            if z[k] > z[best] {
                best = k;
            }
        }
        best
    }

    /// The same classifier quantized to int8 (`digits_int8.rs`), its input standardisation
    /// folded into the int8 input edge: integer-only inference and an integer argmax
    /// (`QModel::class`) after one `f32` subtraction and division per pixel.
    pub mod int8 {
        include!("digits_int8.rs");

        /// The int8 classifier, stored once in read-only memory.
        pub static NET: QModel = QMODEL;

        /// The digit of one image of raw grey levels.
        #[must_use]
        pub fn class(x: &[f32; 64]) -> usize {
            NET.class(&NET.quantize_input(x))
        }

        /// The 10 logits in units of 2⁻¹⁶ of the output's int8 step, what [`class`]
        /// compares.
        #[must_use]
        pub fn logits(x: &[f32; 64]) -> [i32; 10] {
            NET.logits(&NET.quantize_input(x))
        }
    }
}

/// A regression in raw units trained by the `constnet` tool on `data/ethanol.csv` (engine
/// compression ratio and equivalence ratio → NOx emission, µg/J), as `f32` and int8: the
/// tool's `--data` defaults standardise inputs and target inside the model, and the int8
/// export folds both scalers into its edges, so both take and give raw units. Regenerate
/// with
///
/// ```text
/// target/release/constnet fit --data data/ethanol.csv --quantize int8 --save firmware/ethanol.cnet \
///     --export-rs firmware/src/ethanol_int8.rs --out target/fit-ethanol-int8
/// target/release/constnet fit --data data/ethanol.csv --load firmware/ethanol.cnet \
///     --export-rs firmware/src/ethanol.rs --out target/fit-ethanol
/// ```
pub mod ethanol {
    use constnet::Forward;
    use constnet::nalgebra::SVector;

    include!("ethanol.rs");

    /// The `f32` model, stored once in read-only memory.
    pub static NET: Model = MODEL;

    /// NOx (µg/J) at a compression ratio and an equivalence ratio.
    ///
    /// ```
    /// // The data's first row: 12, 0.907 → 3.741.
    /// assert!((firmware::ethanol::predict([12.0, 0.907]) - 3.741).abs() < 0.5);
    /// ```
    #[must_use]
    pub fn predict(x: [f32; 2]) -> f32 {
        NET.forward(&SVector::from(x))[0]
    }

    /// The int8 model (`ethanol_int8.rs`): raw units in and out, integers inside.
    pub mod int8 {
        include!("ethanol_int8.rs");

        /// The int8 model, stored once in read-only memory.
        pub static NET: QModel = QMODEL;

        /// NOx (µg/J) at a compression ratio and an equivalence ratio.
        ///
        /// ```
        /// assert!((firmware::ethanol::int8::predict([12.0, 0.907]) - 3.741).abs() < 0.5);
        /// ```
        #[must_use]
        pub fn predict(x: [f32; 2]) -> f32 {
            NET.predict(&x)[0]
        }
    }
}

pub mod wine;
