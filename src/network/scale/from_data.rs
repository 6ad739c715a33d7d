//! Fitting the scalers on training data (needs `alloc`): scikit-learn's `StandardScaler.fit`.

use nalgebra::{Const, Dyn, OMatrix};

use super::{Rescale, Standardize};
use crate::{Error, Real, Result};

/// Per-row mean and population standard deviation (ddof 0) of `m`, computed in `f64` and
/// rounded to `T`. A row that is constant, by sklearn's rule for its own round-off
/// (`var ≤ n·ε·var + (n·mean·ε)²`, `_is_constant_feature`), or whose std is so small that
/// `1 / std` is not finite in `T`, gets std 1, as sklearn's `_handle_zeros_in_scale` does.
fn moments<T: Real, const N: usize>(
    m: &OMatrix<T, Const<N>, Dyn>,
    what: &'static str,
) -> Result<([T; N], [T; N])> {
    let n = m.ncols();
    if n == 0 {
        return Err(Error::EmptyData);
    }
    if let Some(index) = m.as_slice().iter().position(|v| !v.finite()) {
        return Err(Error::NonFinite { what, index });
    }
    let (mut mean, mut std) = ([T::ZERO; N], [T::ONE; N]);
    let count = n as f64;
    for (i, row) in m.row_iter().enumerate() {
        // Two passes: the deviations are taken from the mean, not from a running sum of
        // squares, so a large offset (x ≈ 10⁴ ± 1) costs no precision.
        let mu = row.iter().map(|v| v.as_f64()).sum::<f64>() / count;
        let var = row
            .iter()
            .map(|v| (v.as_f64() - mu) * (v.as_f64() - mu))
            .sum::<f64>()
            / count;
        // With finite data, a non-finite mean makes the variance non-finite too, and a
        // finite variance has a root at most the data's magnitude (std ≤ range / 2), so
        // the first and last tests only guard against rounding at the very edge:
        // mutating their `||` changes no outcome (cargo-mutants reports those as missed).
        if !mu.finite() || !var.finite() || !T::cast(sqrt(var)).finite() {
            return Err(Error::InvalidParameter {
                name: what,
                reason: "a feature's mean or spread overflows the scalar type",
            });
        }
        mean[i] = T::cast(mu);
        let eps = f64::EPSILON;
        let constant = var <= count * eps * var + (count * mu * eps) * (count * mu * eps);
        let s = T::cast(sqrt(var));
        if !constant && (T::one() / s).finite() {
            std[i] = s;
        }
    }
    Ok((mean, std))
}

fn sqrt(v: f64) -> f64 {
    // `f64::sqrt` is std-only; nalgebra's ComplexField uses libm without std.
    nalgebra::ComplexField::sqrt(v)
}

impl<const N: usize, T: Real> Standardize<N, T> {
    /// Fits the scaler to inputs `x` (one sample per column): each feature's mean and
    /// population standard deviation (ddof 0, as scikit-learn's `StandardScaler`), computed
    /// in `f64` and stored as `T`. A constant feature gets std 1 (it then passes through
    /// shifted to 0), as in sklearn. Fit on the training split only.
    ///
    /// ```
    /// use constnet::Standardize;
    /// use constnet::nalgebra::{Const, Dyn, OMatrix};
    ///
    /// let x = OMatrix::<f64, Const<2>, Dyn>::from_column_slice(&[1.0, 5.0, 3.0, 5.0]);
    /// let s = Standardize::from_data(&x)?;
    /// assert_eq!((s.mean[0], s.std[0]), (2.0, 1.0));
    /// assert_eq!((s.mean[1], s.std[1]), (5.0, 1.0)); // constant: std 1
    /// assert!(Standardize::<2, f64>::from_data(&OMatrix::<f64, Const<2>, Dyn>::zeros(0)).is_err());
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyData`] without samples; [`Error::NonFinite`] (`what`:
    /// `"Standardize::from_data data"`, the column-major index) for a NaN or infinite value;
    /// [`Error::InvalidParameter`] if a mean or std does not fit in `T`.
    pub fn from_data(x: &OMatrix<T, Const<N>, Dyn>) -> Result<Self> {
        let (mean, std) = moments(x, "Standardize::from_data data")?;
        Ok(Self::new(mean, std))
    }
}

impl<const N: usize, T: Real> Rescale<N, T> {
    /// Fits the scaler to raw targets `y` (one sample per column), as
    /// [`Standardize::from_data`]: afterwards [`to_training`](Self::to_training)`(y)` has mean 0
    /// and standard deviation 1 per output (up to rounding).
    ///
    /// ```
    /// use constnet::Rescale;
    /// use constnet::nalgebra::{Const, Dyn, OMatrix};
    ///
    /// let y = OMatrix::<f32, Const<1>, Dyn>::from_row_slice(&[-1e4, 0.0, 1e4, 2e4]);
    /// let r = Rescale::from_data(&y)?;
    /// let t = r.to_training(&y);
    /// assert!(t.mean().abs() < 1e-6 && (t.variance() - 1.0).abs() < 1e-6);
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Standardize::from_data`], with `what` `"Rescale::from_data data"`.
    pub fn from_data(y: &OMatrix<T, Const<N>, Dyn>) -> Result<Self> {
        let (mean, std) = moments(y, "Rescale::from_data data")?;
        Ok(Self::new(mean, std))
    }
}
