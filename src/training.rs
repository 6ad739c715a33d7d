//! Training: the loop, the optimizers, and the proof of every backward pass.
//!
//! - [`train`](crate::train): the [`Trainer`](crate::Trainer), one entry point for every
//!   way to train (full batch or mini-batches, validation, early stopping, two threads);
//! - [`optim`](crate::optim): [`Sgd`](crate::Sgd), [`Momentum`](crate::Momentum),
//!   [`Adam`](crate::Adam);
//! - [`gradcheck`](crate::gradcheck): finite differences against any layer's backward pass.

#[cfg(feature = "alloc")]
pub mod gradcheck;
pub mod optim;
#[cfg(feature = "alloc")]
pub mod train;
