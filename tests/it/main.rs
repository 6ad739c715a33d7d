//! constnet's integration tests: one test crate, one module per concern.

mod common;
mod grad;
mod train;
