//! [`Confusion`]: a classifier's counts per (true class, predicted class), and the metrics
//! read off them.

use crate::{Error, Result};

/// The confusion matrix of a `K`-class classifier: `counts()[t][p]` samples of true class
/// `t` were predicted as class `p`. Fixed-size and without allocation, so a device can
/// score itself; add samples one at a time ([`add`](Self::add)) or merge blocks
/// ([`merge`](Self::merge)), in memory that does not grow with the data.
///
/// Precision, recall and F1 follow scikit-learn's `precision_recall_fscore_support`:
/// a class never predicted has precision 0, a class with no samples recall 0 (its
/// `zero_division=0`), and macro-F1 is the unweighted mean over the `K` classes.
///
/// ```
/// use constnet::metrics::Confusion;
/// let mut c = Confusion::<3>::new();
/// for (truth, pred) in [(0, 0), (0, 1), (1, 1), (2, 2), (2, 2), (1, 2)] {
///     c.add(truth, pred)?;
/// }
/// assert_eq!(c.total(), 6);
/// assert_eq!(c.accuracy()?, 4.0 / 6.0);
/// assert_eq!(c.recall(0), 0.5); // one of class 0's two samples found
/// assert_eq!(c.precision(2), 2.0 / 3.0); // two of three "class 2" answers right
/// assert_eq!(c.counts()[1], [0, 1, 1]);
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confusion<const K: usize> {
    counts: [[u64; K]; K],
}

impl<const K: usize> Default for Confusion<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const K: usize> Confusion<K> {
    /// No samples yet.
    #[must_use]
    pub const fn new() -> Self {
        Confusion {
            counts: [[0; K]; K],
        }
    }

    /// Counts one sample of class `truth` predicted as `predicted`.
    ///
    /// # Errors
    /// [`Error::InvalidLabel`] if either is not below `K`.
    pub fn add(&mut self, truth: usize, predicted: usize) -> Result<()> {
        for (what, label) in [("true class", truth), ("predicted class", predicted)] {
            if label >= K {
                return Err(Error::InvalidLabel {
                    what,
                    index: 0,
                    label,
                    classes: K,
                });
            }
        }
        self.counts[truth][predicted] += 1;
        Ok(())
    }

    /// Adds another matrix's counts (a block's, a fold's).
    pub fn merge(&mut self, other: &Self) {
        for (row, other) in self.counts.iter_mut().zip(&other.counts) {
            for (c, o) in row.iter_mut().zip(other) {
                *c += o;
            }
        }
    }

    /// The counts: row = true class, column = predicted class.
    #[must_use]
    pub fn counts(&self) -> &[[u64; K]; K] {
        &self.counts
    }

    /// Every sample counted.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Samples of true class `class` (its support).
    #[must_use]
    pub fn support(&self, class: usize) -> u64 {
        self.counts.get(class).map_or(0, |row| row.iter().sum())
    }

    /// Samples predicted as `class`.
    #[must_use]
    pub fn predicted(&self, class: usize) -> u64 {
        self.counts
            .iter()
            .map(|row| row.get(class).copied().unwrap_or(0))
            .sum()
    }

    /// Share of samples predicted right.
    ///
    /// # Errors
    /// [`Error::EmptyData`] before any sample.
    pub fn accuracy(&self) -> Result<f64> {
        let total = self.total();
        if total == 0 {
            return Err(Error::EmptyData);
        }
        let right: u64 = (0..K).map(|c| self.counts[c][c]).sum();
        Ok(right as f64 / total as f64)
    }

    /// Share of the samples predicted as `class` that are of that class; 0 if none were.
    #[must_use]
    pub fn precision(&self, class: usize) -> f64 {
        ratio(self.hits(class), self.predicted(class))
    }

    /// Share of the samples of `class` predicted as `class`; 0 if it has none.
    #[must_use]
    pub fn recall(&self, class: usize) -> f64 {
        ratio(self.hits(class), self.support(class))
    }

    /// The harmonic mean of precision and recall, `2·TP / (2·TP + FP + FN)`; 0 where both
    /// are 0.
    #[must_use]
    pub fn f1(&self, class: usize) -> f64 {
        let tp = self.hits(class);
        ratio(2 * tp, self.predicted(class) + self.support(class))
    }

    /// The mean of the `K` classes' F1 (each class counts the same, whatever its size).
    #[must_use]
    pub fn macro_f1(&self) -> f64 {
        (0..K).map(|c| self.f1(c)).sum::<f64>() / K as f64
    }

    /// The share of the most frequent true class: the accuracy of always answering it, the
    /// floor a classifier must beat to have learned anything.
    ///
    /// # Errors
    /// [`Error::EmptyData`] before any sample.
    pub fn majority_share(&self) -> Result<f64> {
        let total = self.total();
        if total == 0 {
            return Err(Error::EmptyData);
        }
        let most = (0..K).map(|c| self.support(c)).max().unwrap_or(0);
        Ok(most as f64 / total as f64)
    }

    fn hits(&self, class: usize) -> u64 {
        self.counts
            .get(class)
            .and_then(|r| r.get(class))
            .copied()
            .unwrap_or(0)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scikit-learn 1.9 on the same labels: `precision_recall_fscore_support(y, p)` and
    /// `f1_score(y, p, average="macro")` for y = [0,0,0,1,1,2,2,2,2,3], p = [0,1,0,1,2,2,2,0,2,0]
    /// (class 3 never predicted right: precision 0, recall 0, F1 0).
    #[test]
    fn metrics_match_scikit_learn() {
        let y = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3];
        let p = [0, 1, 0, 1, 2, 2, 2, 0, 2, 0];
        let mut c = Confusion::<4>::new();
        for (&t, &q) in y.iter().zip(&p) {
            c.add(t, q).unwrap();
        }
        assert_eq!(c.accuracy().unwrap(), 0.6);
        let precision = [0.5, 0.5, 0.75, 0.0];
        let recall = [2.0 / 3.0, 0.5, 0.75, 0.0];
        for k in 0..4 {
            assert!((c.precision(k) - precision[k]).abs() < 1e-15, "{k}");
            assert!((c.recall(k) - recall[k]).abs() < 1e-15, "{k}");
        }
        // F1: 4/7, 1/2, 3/4, 0 → macro 0.45535714285714285 (scikit-learn).
        assert!((c.macro_f1() - 0.45535714285714285).abs() < 1e-15);
        assert_eq!(c.majority_share().unwrap(), 0.4);
        assert!(c.add(4, 0).is_err() && c.add(0, 4).is_err());
        assert!(Confusion::<2>::new().accuracy().is_err());
    }
}
