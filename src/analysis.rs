//! Analysis: how good a model is, and why it learned what it learned.
//!
//! - [`metrics`](crate::metrics): MSE, RMSE, MAE, R² of predictions;
//! - [`eval`](crate::eval): prediction and scores of a whole data set, in blocks;
//! - [`diagnose`](crate::diagnose): active units and gradient norms, why a network learned
//!   nothing;
//! - [`plot`](crate::plot): PNG loss and accuracy curves, predictions, diagnostics and
//!   confusion matrices.

#[cfg(feature = "alloc")]
pub mod diagnose;
#[cfg(feature = "alloc")]
pub mod eval;
pub mod metrics;
#[cfg(feature = "plot")]
pub mod plot;
