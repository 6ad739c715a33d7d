//! Regression metrics over plain slices: [`mse`], [`rmse`], [`mae`] and [`r2`]; a
//! classifier's [`Confusion`] matrix with accuracy, precision, recall, F1 and macro-F1.
//!
//! Each takes predictions and targets of any [`Real`] type and computes in `f64`, so an
//! `f32` model is scored without `f32` rounding in the sums. Inputs are checked, never
//! trusted: the slices must have the same, non-zero length and hold only finite values.
//! A metric that would come out NaN or infinite is an error instead ([`Error::Undefined`]),
//! so a reported number is always a real one.
//!
//! To score a batch matrix, pass its column-major storage: `pred.as_slice()`. To score a
//! network on a data set too large to hold its predictions, use [`crate::eval::scores`].
//!
//! ```
//! use constnet::metrics;
//! let pred = [1.0f32, 2.0, 3.0];
//! let target = [1.0f32, 2.0, 4.0];
//! assert_eq!(metrics::mse(&pred, &target)?, 1.0 / 3.0);
//! assert_eq!(metrics::mae(&pred, &target)?, 1.0 / 3.0);
//! # Ok::<(), constnet::Error>(())
//! ```

use crate::{Error, Real, Result};

mod confusion;

pub use confusion::Confusion;

/// Checks lengths and finiteness; returns the number of values.
fn check<T: Real>(pred: &[T], target: &[T]) -> Result<usize> {
    if pred.len() != target.len() {
        return Err(Error::LengthMismatch {
            what: "metric target",
            expected: pred.len(),
            found: target.len(),
        });
    }
    if pred.is_empty() {
        return Err(Error::EmptyData);
    }
    finite("prediction", pred)?;
    finite("target", target)?;
    Ok(pred.len())
}

fn finite<T: Real>(what: &'static str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !v.finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what, index }),
    }
}

/// Why R² has no value for constant targets: the message of [`r2`]'s [`Error::Undefined`].
///
/// ```
/// use constnet::{metrics, Error};
/// let err = metrics::r2(&[1.0, 2.0], &[5.0, 5.0]).unwrap_err();
/// assert!(matches!(err, Error::Undefined(why) if why == metrics::CONSTANT_TARGETS));
/// ```
pub const CONSTANT_TARGETS: &str = "R² is undefined for constant targets (their variance is 0)";

/// `Ok(v)` if `v` is finite, else the overflow error (only reachable with huge `f64` inputs).
pub(crate) fn real(v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::Undefined("metric overflows f64 (values too large)"))
    }
}

fn sum_sq_err<T: Real>(pred: &[T], target: &[T]) -> f64 {
    pred.iter()
        .zip(target)
        .map(|(&p, &t)| {
            let d = p.as_f64() - t.as_f64();
            d * d
        })
        .sum()
}

/// Mean squared error, `mean((pred − target)²)`.
///
/// ```
/// use constnet::metrics::mse;
/// assert_eq!(mse(&[1.0, 3.0], &[0.0, 1.0])?, (1.0 + 4.0) / 2.0);
/// assert!(mse(&[1.0], &[1.0, 2.0]).is_err());
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if the slices differ in length, [`Error::EmptyData`] if they
/// are empty, [`Error::NonFinite`] (`what` is `"prediction"` or `"target"`) for a NaN or
/// infinite value, [`Error::Undefined`] if the result overflows `f64`.
pub fn mse<T: Real>(pred: &[T], target: &[T]) -> Result<f64> {
    let n = check(pred, target)?;
    real(sum_sq_err(pred, target) / n as f64)
}

/// Root mean squared error, `sqrt(mse)`, in the units of the target.
///
/// ```
/// use constnet::metrics::rmse;
/// assert_eq!(rmse(&[3.0, -3.0], &[0.0, 1.0])?, 3.5355339059327378); // sqrt((9 + 16) / 2)
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`mse`].
pub fn rmse<T: Real>(pred: &[T], target: &[T]) -> Result<f64> {
    // `f64::sqrt` is std-only; simba's ComplexField uses libm without std.
    mse(pred, target).map(nalgebra::ComplexField::sqrt)
}

/// Mean absolute error, `mean(|pred − target|)`.
///
/// ```
/// use constnet::metrics::mae;
/// assert_eq!(mae(&[1.0, 3.0], &[0.0, 1.0])?, (1.0 + 2.0) / 2.0);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`mse`].
pub fn mae<T: Real>(pred: &[T], target: &[T]) -> Result<f64> {
    let n = check(pred, target)?;
    let sum: f64 = pred
        .iter()
        .zip(target)
        .map(|(&p, &t)| (p.as_f64() - t.as_f64()).abs())
        .sum();
    real(sum / n as f64)
}

/// Coefficient of determination, `R² = 1 − SS_res / SS_tot`, where
/// `SS_res = Σ (target − pred)²` and `SS_tot = Σ (target − mean(target))²`.
///
/// 1 is a perfect fit, 0 is as good as always predicting the mean, and it is negative for a
/// model worse than that. Not symmetric: the second argument is the ground truth.
///
/// ```
/// use constnet::metrics::r2;
/// // target mean 2, SS_tot = 1 + 0 + 1 = 2; SS_res = 0 + 0 + 1 = 1.
/// assert_eq!(r2(&[1.0, 2.0, 4.0], &[1.0, 2.0, 3.0])?, 0.5);
/// // Constant targets leave R² undefined: an error, never NaN.
/// assert!(r2(&[1.0, 2.0], &[5.0, 5.0]).is_err());
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`mse`], and [`Error::Undefined`] if all targets are equal (`SS_tot = 0`).
pub fn r2<T: Real>(pred: &[T], target: &[T]) -> Result<f64> {
    let n = check(pred, target)?;
    let mean = real(target.iter().map(|t| t.as_f64()).sum::<f64>() / n as f64)?;
    let ss_tot = real(
        target
            .iter()
            .map(|t| {
                let d = t.as_f64() - mean;
                d * d
            })
            .sum(),
    )?;
    // Exactly equal targets can still give ss_tot > 0 through the mean's rounding.
    if ss_tot == 0.0 || target.iter().all(|t| *t == target[0]) {
        return Err(Error::Undefined(CONSTANT_TARGETS));
    }
    let ss_res = real(sum_sq_err(pred, target))?;
    Ok(1.0 - ss_res / ss_tot)
}
