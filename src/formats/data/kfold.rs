//! K-fold cross-validation splits, as indices, and seeded sub-samples.

use rand::Rng;
use rand::seq::SliceRandom;

use super::Dataset;
use crate::{Error, Real, Result};

/// A shuffled k-fold split of `n` samples: scikit-learn's `KFold(n_splits=k, shuffle=True)`.
///
/// The protocol: a seeded permutation of `0..n` (rand's Fisher–Yates `shuffle`), cut into
/// `k` consecutive test folds, the first `n % k` of `n / k + 1` samples and the rest of
/// `n / k`; a fold's training part is every other sample. As in scikit-learn, both parts
/// list their sample indices in ascending order. (The permutation itself comes from `rng`,
/// not NumPy's, so the folds are not the same samples as scikit-learn's for a given seed.)
///
/// Only indices are held (`n` of them), never `k` copies of the data: materialise one fold
/// at a time with [`Dataset::fold`].
///
/// ```
/// use constnet::data::KFold;
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let folds = KFold::new(10, 3, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
/// assert_eq!(folds.k(), 3);
/// let sizes: Vec<usize> = (0..3).map(|i| folds.test(i).map(<[usize]>::len)).collect::<Result<_, _>>()?;
/// assert_eq!(sizes, [4, 3, 3]); // 10 = 4 + 3 + 3
/// assert_eq!(folds.train(0)?.len(), 6);
/// assert!(folds.test(3).is_err());
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KFold {
    /// The permutation, each fold's segment sorted ascending.
    order: Vec<usize>,
    k: usize,
}

impl KFold {
    /// Draws the split of `n` samples into `k` folds with `rng`.
    ///
    /// ```
    /// use constnet::data::KFold;
    /// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    ///
    /// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    /// assert!(KFold::new(5, 1, &mut rng).is_err()); // k < 2
    /// assert!(KFold::new(5, 6, &mut rng).is_err()); // k > n
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`name` `"k"`) if `k < 2` or `k > n`;
    /// [`Error::TooLarge`] if the `n` indices cannot be allocated (e.g. `usize::MAX`).
    pub fn new<R: Rng + ?Sized>(n: usize, k: usize, rng: &mut R) -> Result<Self> {
        if k < 2 {
            return Err(Error::InvalidParameter {
                name: "k",
                reason: "k-fold cross-validation needs at least 2 folds",
            });
        }
        if k > n {
            return Err(Error::InvalidParameter {
                name: "k",
                reason: "more folds than samples: a test fold would be empty",
            });
        }
        // `n` is the caller's: reserve it fallibly, so a count past memory is an error.
        let mut order = Vec::new();
        order.try_reserve_exact(n).map_err(|_| Error::TooLarge {
            what: "k-fold split (samples)",
            count: n,
        })?;
        order.extend(0..n);
        order.shuffle(rng);
        let mut folds = KFold { order, k };
        for i in 0..k {
            let range = folds.range(i);
            folds.order[range].sort_unstable();
        }
        Ok(folds)
    }

    /// The number of folds, `k`.
    ///
    /// ```
    /// # use constnet::data::KFold;
    /// # use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    /// let folds = KFold::new(4, 2, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
    /// assert_eq!((folds.k(), folds.samples()), (2, 4));
    /// # Ok::<(), constnet::Error>(())
    /// ```
    #[must_use]
    pub fn k(&self) -> usize {
        self.k
    }

    /// The number of samples split, `n`.
    ///
    /// ```
    /// # use constnet::data::KFold;
    /// # use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    /// let folds = KFold::new(7, 3, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
    /// assert_eq!(folds.samples(), 7);
    /// # Ok::<(), constnet::Error>(())
    /// ```
    #[must_use]
    pub fn samples(&self) -> usize {
        self.order.len()
    }

    /// Where fold `i` lies in the permutation.
    fn range(&self, i: usize) -> core::ops::Range<usize> {
        let (n, k) = (self.order.len(), self.k);
        let (size, extra) = (n / k, n % k);
        let start = i * size + i.min(extra);
        start..start + size + usize::from(i < extra)
    }

    /// The test indices of fold `i`, ascending.
    ///
    /// ```
    /// # use constnet::data::KFold;
    /// # use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    /// let folds = KFold::new(7, 3, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
    /// let mut all = Vec::new();
    /// for i in 0..3 {
    ///     all.extend_from_slice(folds.test(i)?);
    /// }
    /// all.sort();
    /// assert_eq!(all, [0, 1, 2, 3, 4, 5, 6]); // every sample in exactly one test fold
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`name` `"fold"`) if `i >= k()`.
    pub fn test(&self, i: usize) -> Result<&[usize]> {
        if i >= self.k {
            return Err(Error::InvalidParameter {
                name: "fold",
                reason: "past the last fold",
            });
        }
        Ok(&self.order[self.range(i)])
    }

    /// The training indices of fold `i` (every sample not in [`test(i)`](Self::test)),
    /// ascending.
    ///
    /// ```
    /// # use constnet::data::KFold;
    /// # use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    /// let folds = KFold::new(7, 3, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
    /// let train = folds.train(1)?;
    /// assert_eq!(train.len(), 5);
    /// assert!(train.iter().all(|j| !folds.test(1).unwrap().contains(j)));
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`test`](Self::test).
    pub fn train(&self, i: usize) -> Result<Vec<usize>> {
        let test = self.test(i)?;
        let mut held_out = vec![false; self.order.len()];
        for &j in test {
            held_out[j] = true;
        }
        Ok((0..self.order.len()).filter(|&j| !held_out[j]).collect())
    }
}

impl<T: Real, const IN: usize, const OUT: usize> Dataset<T, IN, OUT> {
    /// A shuffled k-fold split of this data set's samples (see [`KFold`]); take each fold
    /// with [`fold`](Self::fold).
    ///
    /// ```
    /// use constnet::data::Dataset;
    /// use nalgebra::{Const, Dyn, OMatrix};
    /// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    ///
    /// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(10, |_, j| j as f32);
    /// let data = Dataset::new(x.clone(), x)?;
    /// let folds = data.kfold(5, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
    /// for i in 0..folds.k() {
    ///     let (train, test) = data.fold(&folds, i)?;
    ///     assert_eq!((train.len(), test.len()), (8, 2));
    /// }
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`KFold::new`].
    pub fn kfold<R: Rng + ?Sized>(&self, k: usize, rng: &mut R) -> Result<KFold> {
        KFold::new(self.len(), k, rng)
    }

    /// Fold `i` of `folds` as `(train, test)` data sets, samples in ascending order.
    ///
    /// ```
    /// use constnet::data::{Dataset, KFold};
    /// use nalgebra::{Const, Dyn, OMatrix};
    /// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    ///
    /// let x = OMatrix::<f64, Const<1>, Dyn>::from_fn(4, |_, j| j as f64);
    /// let data = Dataset::new(x.clone(), x)?;
    /// let other = KFold::new(5, 2, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
    /// assert!(data.fold(&other, 0).is_err()); // a split of 5 samples, not 4
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `folds` splits another number of samples;
    /// [`Error::InvalidParameter`] (`name` `"fold"`) if `i >= folds.k()`.
    pub fn fold(&self, folds: &KFold, i: usize) -> Result<(Self, Self)> {
        if folds.samples() != self.len() {
            return Err(Error::LengthMismatch {
                what: "k-fold split (samples)",
                expected: self.len(),
                found: folds.samples(),
            });
        }
        Ok((self.select(&folds.train(i)?)?, self.select(folds.test(i)?)?))
    }

    /// At most `max` samples drawn without replacement, e.g. the points of a plot of huge
    /// data: every sample, in order, when there are at most `max` (so `rng` is not used);
    /// else `max` distinct samples chosen uniformly with `rng`, in ascending index order.
    ///
    /// ```
    /// use constnet::data::Dataset;
    /// use nalgebra::{Const, Dyn, OMatrix};
    /// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    ///
    /// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(1000, |_, j| j as f32);
    /// let data = Dataset::new(x.clone(), x)?;
    /// let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    /// assert_eq!(data.sample(20, &mut rng)?.len(), 20);
    /// assert_eq!(data.sample(5000, &mut rng)?, data);
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`name` `"max"`) if `max` is 0.
    pub fn sample<R: Rng + ?Sized>(&self, max: usize, rng: &mut R) -> Result<Self> {
        if max == 0 {
            return Err(Error::InvalidParameter {
                name: "max",
                reason: "a sample needs at least one point",
            });
        }
        if self.len() <= max {
            return Ok(self.clone());
        }
        let mut picked = rand::seq::index::sample(rng, self.len(), max).into_vec();
        picked.sort_unstable();
        self.select(&picked)
    }
}
