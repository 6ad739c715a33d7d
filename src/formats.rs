//! Formats: a model or its data, in and out of files.
//!
//! - [`persist`](crate::persist): constnet's own checked model files;
//! - [`safetensors`](mod@crate::safetensors): PyTorch `nn.Sequential` state dicts;
//! - [`export`](crate::export): a trained network as Rust source for firmware;
//! - [`data`](crate::data): [`Dataset`](crate::Dataset), CSV files, splits and folds;
//! - [`fsutil`](crate::fsutil): crash-safe writes of one file.

#[cfg(feature = "std")]
pub mod data;
pub mod export;
#[cfg(feature = "std")]
pub mod fsutil;
pub mod persist;
#[cfg(feature = "safetensors")]
pub mod safetensors;
