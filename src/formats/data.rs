//! Data sets: inputs and targets with one sample per column, checked once on the way in.
//!
//! A [`Dataset<T, IN, OUT>`](Dataset) holds `x` (`IN × n`) and `y` (`OUT × n`) as nalgebra
//! matrices with a runtime number of columns, ready to feed a network. Every way to build
//! one checks its input, so a `Dataset` always has at least one sample, as many targets as
//! inputs, and only finite values.
//!
//! | source | function |
//! |---|---|
//! | matrices | [`Dataset::new`] |
//! | CSV text or file | [`Dataset::from_csv_reader`], [`Dataset::from_csv_path`] |
//! | chosen CSV columns, by header name | [`Dataset::from_csv_columns_reader`], [`Dataset::from_csv_columns_path`] |
//! | synthetic `y = f(x) + noise` | [`synthetic`], [`cubic`] |
//!
//! and to carve it up: [`Dataset::split`] (seeded train/test split), [`Dataset::select`]
//! (any subset, e.g. a mini-batch), [`Dataset::kfold`] and [`Dataset::fold`] (seeded k-fold
//! cross-validation, [`KFold`]), [`Dataset::sample`] (at most so many points, e.g. for a plot).
//!
//! ```
//! use constnet::data::{cubic, Dataset};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
//! let data: Dataset<f32, 1, 1> = cubic(1000, 0.1, &mut rng)?;
//! let (train, test) = data.split(0.2, &mut rng)?;
//! assert_eq!((train.len(), test.len()), (800, 200));
//! # Ok::<(), constnet::Error>(())
//! ```

mod columns;
mod csv;
mod error;
mod kfold;
mod synthetic;

pub use error::{CsvError, CsvFields};
pub use kfold::KFold;
pub use synthetic::{cubic, synthetic};

use nalgebra::{Const, Dyn, OMatrix};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::{Error, Real, Result};

/// Inputs `x` (`IN × n`) and targets `y` (`OUT × n`), one sample per column, `n ≥ 1`, all
/// values finite.
///
/// ```
/// use constnet::data::Dataset;
/// use nalgebra::{Const, Dyn, OMatrix};
///
/// let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[0.0, 1.0, 2.0]);
/// let y = x.map(|v| v * v);
/// let data = Dataset::new(x, y)?;
/// assert_eq!(data.len(), 3);
/// assert_eq!(data.y().as_slice(), &[0.0, 1.0, 4.0]);
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<T: Real, const IN: usize, const OUT: usize> {
    x: OMatrix<T, Const<IN>, Dyn>,
    y: OMatrix<T, Const<OUT>, Dyn>,
}

impl<T: Real, const IN: usize, const OUT: usize> Dataset<T, IN, OUT> {
    /// Builds a data set from inputs and targets with one sample per column.
    ///
    /// ```
    /// use constnet::{data::Dataset, Error};
    /// use nalgebra::{Const, Dyn, OMatrix};
    ///
    /// let x = OMatrix::<f32, Const<1>, Dyn>::from_row_slice(&[0.0, 1.0]);
    /// let y = OMatrix::<f32, Const<1>, Dyn>::from_row_slice(&[0.0, f32::NAN]);
    /// let err = Dataset::new(x, y).unwrap_err();
    /// assert!(matches!(err, Error::NonFinite { what: "y", index: 1 }));
    /// ```
    ///
    /// # Errors
    /// - [`Error::InvalidParameter`] if `IN` or `OUT` is 0;
    /// - [`Error::LengthMismatch`] if `x` and `y` have different numbers of columns;
    /// - [`Error::EmptyData`] if there are no columns;
    /// - [`Error::NonFinite`] with `what` `"x"` or `"y"` and the index of the first NaN or
    ///   infinite value in that matrix's column-major storage (`sample · IN + feature`;
    ///   the sample index when there is one feature).
    pub fn new(x: OMatrix<T, Const<IN>, Dyn>, y: OMatrix<T, Const<OUT>, Dyn>) -> Result<Self> {
        check_widths::<IN, OUT>()?;
        if x.ncols() != y.ncols() {
            return Err(Error::LengthMismatch {
                what: "Dataset targets (samples)",
                expected: x.ncols(),
                found: y.ncols(),
            });
        }
        if x.ncols() == 0 {
            return Err(Error::EmptyData);
        }
        check_finite("x", x.as_slice())?;
        check_finite("y", y.as_slice())?;
        Ok(Dataset { x, y })
    }

    /// The inputs, `IN × n`.
    #[must_use]
    pub fn x(&self) -> &OMatrix<T, Const<IN>, Dyn> {
        &self.x
    }

    /// The targets, `OUT × n`.
    #[must_use]
    pub fn y(&self) -> &OMatrix<T, Const<OUT>, Dyn> {
        &self.y
    }

    /// Takes the data set apart into `(x, y)`.
    #[must_use]
    pub fn into_parts(self) -> (OMatrix<T, Const<IN>, Dyn>, OMatrix<T, Const<OUT>, Dyn>) {
        (self.x, self.y)
    }

    /// The number of samples (columns); at least 1.
    #[must_use]
    pub fn len(&self) -> usize {
        self.x.ncols()
    }

    /// Always `false`: a `Dataset` holds at least one sample.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new data set of the samples at `indices`, in that order; repeats are allowed.
    ///
    /// Use it for mini-batches: shuffle `0..len()` once per epoch and select consecutive
    /// chunks.
    ///
    /// ```
    /// use constnet::data::Dataset;
    /// use nalgebra::{Const, Dyn, OMatrix};
    ///
    /// let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[10.0, 11.0, 12.0]);
    /// let data = Dataset::new(x.clone(), x)?;
    /// assert_eq!(data.select(&[2, 0])?.x().as_slice(), &[12.0, 10.0]);
    /// assert!(data.select(&[3]).is_err());
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyData`] if `indices` is empty; [`Error::InvalidParameter`] if an index
    /// is `len()` or more.
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        if indices.is_empty() {
            return Err(Error::EmptyData);
        }
        if indices.iter().any(|&i| i >= self.len()) {
            return Err(Error::InvalidParameter {
                name: "select indices",
                reason: "an index is past the last sample",
            });
        }
        Ok(Dataset {
            x: self.x.select_columns(indices),
            y: self.y.select_columns(indices),
        })
    }

    /// Splits the samples at random into `(train, test)`, with `ceil(test_fraction · n)`
    /// samples in `test` (as scikit-learn's `train_test_split`).
    ///
    /// The samples are shuffled with `rng` (rand's Fisher–Yates `shuffle`), so a seeded RNG
    /// gives the same split every time. `test` takes the first `n_test` shuffled samples and
    /// `train` the rest, both in shuffled order.
    ///
    /// ```
    /// use constnet::data::Dataset;
    /// use nalgebra::{Const, Dyn, OMatrix};
    /// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    ///
    /// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(10, |_, j| j as f32);
    /// let data = Dataset::new(x.clone(), x)?;
    /// let (train, test) = data.split(0.25, &mut Xoshiro256PlusPlus::seed_from_u64(7))?;
    /// assert_eq!((train.len(), test.len()), (7, 3)); // ceil(2.5) = 3
    /// assert!(data.split(1.0, &mut Xoshiro256PlusPlus::seed_from_u64(7)).is_err());
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`name` `"test_fraction"`) if `test_fraction` is not
    /// strictly between 0 and 1, or if either part would be empty (e.g. one sample).
    pub fn split<R: Rng + ?Sized>(&self, test_fraction: f64, rng: &mut R) -> Result<(Self, Self)> {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(Error::InvalidParameter {
                name: "test_fraction",
                reason: "must be strictly between 0 and 1",
            });
        }
        let n = self.len();
        let n_test = (test_fraction * n as f64).ceil() as usize;
        if n_test == 0 || n_test >= n {
            return Err(Error::InvalidParameter {
                name: "test_fraction",
                reason: "leaves the train or test part empty for this data set size",
            });
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        let (test, train) = order.split_at(n_test);
        Ok((self.select(train)?, self.select(test)?))
    }
}

fn check_widths<const IN: usize, const OUT: usize>() -> Result<()> {
    if IN == 0 || OUT == 0 {
        return Err(Error::InvalidParameter {
            name: "Dataset width",
            reason: "IN and OUT must both be at least 1",
        });
    }
    Ok(())
}

fn check_finite<T: Real>(what: &'static str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !v.finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what, index }),
    }
}
