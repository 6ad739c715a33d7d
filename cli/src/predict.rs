//! `constnet predict`: a saved model's predictions for every row of a CSV file.

use std::ffi::OsString;
use std::process::ExitCode;

/// `constnet predict ARGS…`.
pub fn main(raw: impl IntoIterator<Item = OsString>) -> ExitCode {
    let _ = raw.into_iter().count();
    crate::usage_error("predict", "not yet")
}
