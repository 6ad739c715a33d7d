//! # constnet — small neural networks whose shapes are checked by the compiler
//!
//! Layers are typed, [`Dense<IN, OUT>`](Dense), over nalgebra's statically sized matrices,
//! so `1 → 64 → 64 → 1` is a type and a network whose widths do not line up (or that
//! mixes `f32` and `f64` layers) is a compile error wherever its type is used. Backprop is
//! written by hand per layer and proven against finite differences by property tests
//! ([`gradcheck`], public for your own layers). The same layers build without `std` and
//! without a heap.
//!
//! ```
//! use constnet::{loss, net, Dense, Forward, Init, InitScheme, Optimizer, Relu, Sgd};
//! use nalgebra::SMatrix;
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! type Model = net![Dense<1, 16>, Relu, Dense<16, 1>];
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
//! let mut model: Model = Init::init(&mut rng, InitScheme::He);
//! let mut sgd = Sgd::new(0.05)?;
//!
//! // A fixed batch of 4 samples, one per column: learn y = 2x.
//! let x = SMatrix::<f32, 1, 4>::from([[-1.0], [-0.5], [0.5], [1.0]]);
//! let y = x * 2.0;
//! let first = loss::mse(&model.forward(&x), &y)?;
//! for _ in 0..200 {
//!     let (pred, mut workspace) = model.forward_train(&x);
//!     let grad_pred = loss::mse_grad(&pred, &y)?;
//!     let (_, grad) = model.backward(&x, &mut workspace, &grad_pred)?;
//!     sgd.step(&mut model, &grad);
//! }
//! assert!(loss::mse(&model.forward(&x), &y)? < first / 100.0);
//! # Ok::<(), constnet::Error>(())
//! ```
//!
//! The same step, with every buffer allocated once, mini-batches, validation, early
//! stopping and two threads, is the [`Trainer`]:
//!
//! ```
//! use constnet::{net, Dense, Init, InitScheme, Mse, Relu, Sgd, Trainer};
//! use constnet::nalgebra::{Const, Dyn, OMatrix};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
//! let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
//! let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(64, |_, j| j as f32 / 32.0 - 1.0);
//! let y = x.map(|v| 2.0 * v);
//! let history = Trainer::new(&x, &y).epochs(300).fit(&mut model, &mut Sgd::new(0.05)?, &Mse)?;
//! assert!(history.train.last().unwrap() < history.train[0] / 100.0);
//! # Ok::<(), constnet::Error>(())
//! ```
//!
//! ## Map of the crate
//!
//! The source is grouped by what things are; the modules are re-exported at the root.
//!
//! | group | module | idea |
//! |---|---|---|
//! | the network | [`layer`] | the traits a layer implements: shape ([`Layer`]), tensors ([`Params`], [`params!`]), passes ([`Forward`]); writing your own layer |
//! | | [`dense`], [`activation`], [`softmax`] | [`Dense`] (`y = W·x + b`); [`Activation`]: [`Relu`], [`LeakyRelu`], [`Sigmoid`], [`Tanh`], [`Identity`], yours; [`Softmax`] |
//! | | [`chain`](mod@chain) | composition: [`Chain`], [`net!`], [`chain!`] |
//! | | [`scale`] | scaling inside the model: [`Standardize`], [`Rescale`], [`Scaled`] (raw units in, raw units out) |
//! | | [`loss`] | the [`Loss`] trait: [`Mse`], [`CrossEntropy`], [`BinaryCrossEntropy`] |
//! | | [`init`], [`scalar`] | seeded He / Xavier initialisation; [`Real`]: `f32` or `f64` |
//! | training | [`train`] | the [`Trainer`]: epochs, mini-batches, validation, early stopping, threads (needs `alloc`) |
//! | | [`optim`] | the [`Optimizer`] trait: [`Sgd`], [`Momentum`], [`Adam`] |
//! | | [`gradcheck`] | finite-difference proof of any layer's backward pass (needs `alloc`) |
//! | formats | [`persist`] | model files: a checked binary format, atomic save, load |
//! | | [`safetensors`](mod@safetensors) | PyTorch `nn.Sequential` state dicts in and out (feature `safetensors`) |
//! | | [`export`] | a trained network as Rust source for `#![no_std]` firmware |
//! | | [`data`] | [`Dataset`]: CSV, synthetic `y = x³ + noise`, splits and folds (`std`) |
//! | | [`fsutil`] | crash-safe writes of one file: temporary, fsync, rename (`std`) |
//! | deployment | [`quant`] | int8 post-training quantization, integer-only inference, its export |
//! | analysis | [`metrics`] | MSE, RMSE, MAE and R² of predictions |
//! | | [`eval`] | prediction and scores of a whole data set in blocks, bounded memory (needs `alloc`) |
//! | | [`diagnose`] | why a network learned nothing: active units and gradient norm per layer (needs `alloc`) |
//! | | [`plot`] | PNG loss and accuracy curves, predictions, diagnostics, confusion matrices (feature `plot`) |
//! | | [`error`] | the core [`Error`]; file formats add their own ([`data::CsvError`]) |
//!
//! ## Features
//!
//! - `std` (default): fast products for runtime-sized (`Dyn`) batches (tiled FMA kernels,
//!   nalgebra's GEMM), run-time CPU dispatch, file I/O.
//! - `alloc`: runtime-sized batches without the rest of `std`.
//! - `plot` (default): PNG plots (loss and accuracy curves, predictions, diagnostics,
//!   confusion matrices), with a bundled font and no system library.
//! - `safetensors` (default): PyTorch weights in and out ([`safetensors`](mod@safetensors));
//!   needs `alloc` (file functions `std`).
//! - `parallel`: `Trainer::threads(2)`, training steps of more than
//!   256 samples split over two threads.
//! - `force-avx2`: a benchmarking aid, never needed in use (the training kernels take their
//!   AVX2 copies even on an AVX-512 CPU).
//!
//! With `--no-default-features` the crate is `#![no_std]` and needs no allocator.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)] // allowed only in `simd` and `optim::update`, for run-time CPU feature dispatch
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod analysis;
mod deploy;
pub mod error;
mod formats;
mod internals;
mod network;
mod training;

pub use analysis::metrics;
#[cfg(feature = "plot")]
pub use analysis::plot;
#[cfg(feature = "alloc")]
pub use analysis::{diagnose, eval};
pub use deploy::quant;
#[cfg(feature = "safetensors")]
pub use formats::safetensors;
#[cfg(feature = "std")]
pub use formats::{data, fsutil};
pub use formats::{export, persist};
#[cfg(feature = "std")]
pub(crate) use internals::gemm;
pub(crate) use internals::{kernel, simd};
pub use network::{activation, chain, dense, init, layer, loss, scalar, scale, softmax};
pub use training::optim;
#[cfg(feature = "alloc")]
pub use training::{gradcheck, train};

pub use activation::{Activation, Identity, LeakyRelu, Relu, Sigmoid, Tanh};
pub use chain::Chain;
#[cfg(feature = "std")]
pub use data::Dataset;
pub use dense::Dense;
pub use error::{Error, Result};
pub use init::{Init, InitScheme};
pub use layer::{Forward, Layer, Net, Network, OutOf, Params};
pub use loss::{BinaryCrossEntropy, CrossEntropy, Loss, Mse};
pub use optim::{Adam, AdamConfig, Momentum, Optimizer, Sgd};
pub use persist::FormatError;
pub use scalar::Real;
pub use scale::{Rescale, Scaled, Standardize};
pub use softmax::Softmax;
#[cfg(feature = "alloc")]
pub use train::Trainer;

/// The nalgebra this crate is built on (use it to build inputs with matching types).
pub use nalgebra;
/// The rand this crate draws from (use its seeded RNGs, e.g. `rngs::Xoshiro256PlusPlus`).
pub use rand;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
