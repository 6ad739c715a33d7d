//! Synthetic regression data, `y = f(x) + noise`, from a seeded RNG.

use nalgebra::{Const, Dyn, OMatrix};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};

use super::Dataset;
use crate::{Error, Real, Result};

/// `n` samples of `y = f(x) + ε` with `x ~ U(lo, hi)` and `ε ~ N(0, noise²)`.
///
/// The draws follow the NumPy reference: all `n` values of `x` first, then all `n` noise
/// values. Everything is computed in `f64`; `x` is rounded to `T` first and `f` is
/// evaluated at the rounded `x`, so `y − f(x)` is the noise (up to rounding `y` to `T`)
/// for `f32` data too. A seeded RNG gives the same data set, bit for bit.
///
/// ```
/// use constnet::data::synthetic;
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let data = synthetic::<f64, _>(100, 0.0, 1.0, 0.0, |x| 2.0 * x + 1.0, &mut rng)?;
/// let (x, y) = (data.x(), data.y());
/// assert!(x.iter().all(|&v| (0.0..1.0).contains(&v)));
/// assert!(x.iter().zip(y.iter()).all(|(&x, &y)| y == 2.0 * x + 1.0));
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] if `n` is 0, `lo` or `hi` is not finite, `lo ≥ hi`, or
/// `noise` is negative or not finite; [`Error::NonFinite`] (`what` `"y"`) if `f` returns
/// NaN or infinity, or a value that overflows `T`; [`Error::TooLarge`] if `n` samples
/// cannot be allocated (e.g. `usize::MAX`).
pub fn synthetic<T: Real, R: Rng + ?Sized>(
    n: usize,
    lo: f64,
    hi: f64,
    noise: f64,
    f: impl Fn(f64) -> f64,
    rng: &mut R,
) -> Result<Dataset<T, 1, 1>> {
    let invalid = |name, reason| Err(Error::InvalidParameter { name, reason });
    if n == 0 {
        return invalid("n", "must be at least 1");
    }
    if !(lo.is_finite() && hi.is_finite() && lo < hi && (hi - lo).is_finite()) {
        return invalid(
            "range",
            "lo and hi must be finite with lo < hi and hi - lo finite",
        );
    }
    if !(noise.is_finite() && noise >= 0.0) {
        return invalid("noise", "must be finite and >= 0");
    }
    let normal = Normal::new(0.0, noise).map_err(|_| Error::InvalidParameter {
        name: "noise",
        reason: "must be finite and >= 0",
    })?;
    // Reserved fallibly: `n` is the caller's and may be more than memory holds.
    let reserve = || {
        let mut v = Vec::<T>::new();
        v.try_reserve_exact(n)
            .map(|()| v)
            .map_err(|_| Error::TooLarge {
                what: "synthetic samples",
                count: n,
            })
    };
    let (mut x, mut y) = (reserve()?, reserve()?);
    x.extend((0..n).map(|_| T::cast(rng.random_range(lo..hi))));
    y.extend(
        x.iter()
            .map(|&x| T::cast(f(x.as_f64()) + normal.sample(rng))),
    );
    Dataset::new(
        OMatrix::<T, Const<1>, Dyn>::from_vec(x),
        OMatrix::<T, Const<1>, Dyn>::from_vec(y),
    )
}

/// The "cubic" regression data: `n` samples of `y = x³ + ε`, `x ~ U(−2, 2)`,
/// `ε ~ N(0, noise²)`; [`synthetic`] with that function and range.
///
/// ```
/// use constnet::data::cubic;
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let data = cubic::<f32, _>(1000, 0.1, &mut Xoshiro256PlusPlus::seed_from_u64(42))?;
/// assert_eq!(data.len(), 1000);
/// assert!(data.x().iter().all(|&x| (-2.0..2.0).contains(&x)));
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] if `n` is 0 or `noise` is negative or not finite.
pub fn cubic<T: Real, R: Rng + ?Sized>(
    n: usize,
    noise: f64,
    rng: &mut R,
) -> Result<Dataset<T, 1, 1>> {
    synthetic(n, -2.0, 2.0, noise, |x| x * x * x, rng)
}
