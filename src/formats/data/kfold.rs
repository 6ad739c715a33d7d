//! K-fold cross-validation splits, as indices, and seeded sub-samples.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::{Dataset, TargetSet};
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
    /// Every sample once, fold after fold, each fold's segment sorted ascending.
    order: Vec<usize>,
    /// Where each fold starts in `order`, and where the last ends (`k + 1` values).
    bounds: Vec<usize>,
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
        let (size, extra) = (n / k, n % k);
        let bounds = (0..=k).map(|i| i * size + i.min(extra)).collect();
        Ok(KFold::sorted(order, bounds))
    }

    /// The folds of `order` cut at `bounds`, each fold's indices sorted.
    fn sorted(mut order: Vec<usize>, bounds: Vec<usize>) -> Self {
        for w in bounds.windows(2) {
            order[w[0]..w[1]].sort_unstable();
        }
        KFold { order, bounds }
    }

    /// A stratified split of labelled samples into `k` folds: scikit-learn's
    /// `StratifiedKFold(n_splits=k, shuffle=True)` protocol, so every fold holds each class
    /// in about its share of the data.
    ///
    /// The protocol: classes are numbered in order of first appearance; the counts each
    /// fold takes of each class come from dealing the sorted labels round-robin over the
    /// folds (`bincount(sorted[i::k])`); then, class by class, the fold numbers of that
    /// class's samples (`[0, 0, …, 1, 1, …]` by those counts) are shuffled with `rng` and
    /// assigned to its samples in index order. The shuffles come from `rng`, not NumPy's, so
    /// the folds are not scikit-learn's for a given seed (write them out to run it on the
    /// same folds).
    ///
    /// ```
    /// use constnet::data::KFold;
    /// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    ///
    /// let labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    /// let folds = KFold::stratified(&labels, 3, &mut Xoshiro256PlusPlus::seed_from_u64(0))?;
    /// for i in 0..3 {
    ///     let classes: Vec<u16> = folds.test(i)?.iter().map(|&j| labels[j]).collect();
    ///     assert_eq!(classes.iter().filter(|&&c| c == 0).count(), 2); // 6 / 3
    ///     assert_eq!(classes.len(), 4);
    /// }
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`name` `"k"`) if `k < 2`, if `k` is more than the
    /// samples, or if it is more than every class's count (scikit-learn's error; more
    /// folds than *some* class has rows is allowed, and leaves that class out of some test
    /// folds); [`Error::TooLarge`] if the indices cannot be allocated.
    pub fn stratified<R: Rng + ?Sized>(labels: &[u16], k: usize, rng: &mut R) -> Result<Self> {
        let n = labels.len();
        // Validated as `new` would, without drawing from `rng`.
        if k < 2 || k > n {
            return KFold::new(n, k, &mut rand::rngs::Xoshiro256PlusPlus::seed_from_u64(0));
        }
        // Classes by order of first appearance, and each sample's class in that order.
        let mut seen: Vec<u16> = Vec::new();
        let encoded: Vec<usize> = labels
            .iter()
            .map(|c| match seen.iter().position(|s| s == c) {
                Some(i) => i,
                None => {
                    seen.push(*c);
                    seen.len() - 1
                }
            })
            .collect();
        let mut counts = vec![0usize; seen.len()];
        for &c in &encoded {
            counts[c] += 1;
        }
        if counts.iter().all(|&c| k > c) {
            return Err(Error::InvalidParameter {
                name: "k",
                reason: "more folds than any class has samples",
            });
        }
        // The sorted labels dealt round-robin: fold i takes sorted[i], sorted[i + k], ….
        let sorted: Vec<usize> = (0..counts.len())
            .flat_map(|c| core::iter::repeat_n(c, counts[c]))
            .collect();
        let mut allocation = vec![vec![0usize; counts.len()]; k];
        for (j, &c) in sorted.iter().enumerate() {
            allocation[j % k][c] += 1;
        }
        let mut fold_of = vec![0usize; n];
        for c in 0..counts.len() {
            let mut folds: Vec<usize> = allocation
                .iter()
                .enumerate()
                .flat_map(|(i, per_class)| core::iter::repeat_n(i, per_class[c]))
                .collect();
            folds.shuffle(rng);
            let members = (0..n).filter(|&j| encoded[j] == c);
            for (j, f) in members.zip(folds) {
                fold_of[j] = f;
            }
        }
        let mut order = Vec::new();
        order.try_reserve_exact(n).map_err(|_| Error::TooLarge {
            what: "k-fold split (samples)",
            count: n,
        })?;
        let mut bounds = vec![0];
        for i in 0..k {
            order.extend((0..n).filter(|&j| fold_of[j] == i));
            bounds.push(order.len());
        }
        Ok(KFold::sorted(order, bounds))
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
        self.bounds.len() - 1
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

    /// Where fold `i` lies in `order`.
    fn range(&self, i: usize) -> core::ops::Range<usize> {
        self.bounds[i]..self.bounds[i + 1]
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
        if i >= self.k() {
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

impl<T: Real, const IN: usize, const OUT: usize, Y: TargetSet> Dataset<T, IN, OUT, Y> {
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
