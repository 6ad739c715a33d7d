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
//! | the same, in blocks of rows (any file length, bounded memory) | [`csv_blocks`], [`csv_blocks_path`], [`csv_blocks_dyn`] |
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

mod blocks;
mod columns;
mod csv;
mod error;
mod kfold;
mod labels;
mod synthetic;

pub use crate::loss::Labels;
pub use blocks::{csv_blocks, csv_blocks_dyn, csv_blocks_path};
pub use columns::csv_header;
pub use error::{CsvError, CsvFields};
pub use kfold::KFold;
pub use labels::csv_classes;
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
///
/// A classifier's data set holds [`Labels<K>`] instead of a matrix of targets:
/// [`Labeled<T, IN, K>`] is `Dataset<T, IN, K, Labels<K>>`, built with
/// [`Dataset::labeled`] or read with [`Dataset::from_csv_labels_path`].
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<T: Real, const IN: usize, const OUT: usize, Y = OMatrix<T, Const<OUT>, Dyn>> {
    x: OMatrix<T, Const<IN>, Dyn>,
    y: Y,
}

/// A classifier's data set: inputs `IN × n` and a class label below `K` per sample.
pub type Labeled<T, const IN: usize, const K: usize> = Dataset<T, IN, K, Labels<K>>;

/// What a [`Dataset`] can hold as targets: a matrix of values (`OUT × n`) or
/// [`Labels<K>`]; what selecting samples needs of them.
pub trait TargetSet: Clone {
    /// How many samples there are.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The samples at `indices` (each below [`len`](Self::len)), in that order.
    fn select(&self, indices: &[usize]) -> Self;
}

impl<T: Real, const OUT: usize> TargetSet for OMatrix<T, Const<OUT>, Dyn> {
    fn len(&self) -> usize {
        self.ncols()
    }
    fn select(&self, indices: &[usize]) -> Self {
        self.select_columns(indices)
    }
}

impl<const K: usize> TargetSet for Labels<K> {
    fn len(&self) -> usize {
        Labels::len(self)
    }
    fn select(&self, indices: &[usize]) -> Self {
        Labels::select(self, indices)
    }
}

impl<T: Real, const IN: usize, const K: usize> Dataset<T, IN, K, Labels<K>> {
    /// A classifier's data set from inputs (one sample per column) and their labels.
    ///
    /// ```
    /// use constnet::data::Dataset;
    /// use constnet::loss::Labels;
    /// use nalgebra::{Const, Dyn, OMatrix};
    ///
    /// let x = OMatrix::<f32, Const<2>, Dyn>::from_row_slice(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    /// let data = Dataset::labeled(x, Labels::<2>::new(vec![0, 1, 1])?)?;
    /// assert_eq!(data.y().counts(), [1, 2]);
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`new`](Dataset::new): widths, sample counts, no samples, non-finite inputs.
    pub fn labeled(x: OMatrix<T, Const<IN>, Dyn>, y: Labels<K>) -> Result<Self> {
        check_widths::<IN, K>()?;
        check_samples(&x, y.len())?;
        check_finite("x", x.as_slice())?;
        Ok(Dataset { x, y })
    }
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
        check_samples(&x, y.ncols())?;
        check_finite("x", x.as_slice())?;
        check_finite("y", y.as_slice())?;
        Ok(Dataset { x, y })
    }
}

impl<T: Real, const IN: usize, const OUT: usize, Y: TargetSet> Dataset<T, IN, OUT, Y> {
    /// The inputs, `IN × n`.
    #[must_use]
    pub fn x(&self) -> &OMatrix<T, Const<IN>, Dyn> {
        &self.x
    }

    /// The targets: `OUT × n` values, or labels.
    #[must_use]
    pub fn y(&self) -> &Y {
        &self.y
    }

    /// Takes the data set apart into `(x, y)`.
    #[must_use]
    pub fn into_parts(self) -> (OMatrix<T, Const<IN>, Dyn>, Y) {
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
            y: self.y.select(indices),
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

/// As many targets as inputs, and at least one sample.
fn check_samples<T: Real, const IN: usize>(
    x: &OMatrix<T, Const<IN>, Dyn>,
    targets: usize,
) -> Result<()> {
    if x.ncols() != targets {
        return Err(Error::LengthMismatch {
            what: "Dataset targets (samples)",
            expected: x.ncols(),
            found: targets,
        });
    }
    if x.ncols() == 0 {
        return Err(Error::EmptyData);
    }
    Ok(())
}

fn check_finite<T: Real>(what: &'static str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !v.finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what, index }),
    }
}
