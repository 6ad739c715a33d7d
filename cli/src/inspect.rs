//! `constnet inspect`: what a model file holds.

use std::ffi::OsString;
use std::process::ExitCode;

/// `constnet inspect MODEL`.
pub fn main(raw: impl IntoIterator<Item = OsString>) -> ExitCode {
    let _ = raw.into_iter().count();
    crate::usage_error("inspect", "not yet")
}
