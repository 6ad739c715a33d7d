//! [`Labels<K>`]: class labels `0..K`, checked once, the targets of a classifier.

use alloc::vec::Vec;

use super::Targets;
use crate::{Error, Result};

/// Class labels, one `u16` per sample, each below `K`: the targets a
/// [`CrossEntropy<K>`](super::CrossEntropy) trains on (a plain `Vec<u16>` works too; this
/// type checks the range once, where the labels are made).
///
/// ```
/// use constnet::loss::Labels;
/// let labels = Labels::<3>::new(vec![0, 2, 1, 2])?;
/// assert_eq!(labels.counts(), [1, 1, 2]);
/// assert!(Labels::<3>::new(vec![0, 3]).is_err());
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels<const K: usize>(Vec<u16>);

impl<const K: usize> Labels<K> {
    /// Labels from class indices.
    ///
    /// # Errors
    /// [`Error::InvalidLabel`] (`what` `"labels"`) for the first label not below `K`.
    pub fn new(labels: Vec<u16>) -> Result<Self> {
        match labels.iter().position(|&c| usize::from(c) >= K) {
            None => Ok(Labels(labels)),
            Some(index) => Err(Error::InvalidLabel {
                what: "labels",
                index,
                label: usize::from(labels[index]),
                classes: K,
            }),
        }
    }

    /// The labels, in sample order.
    #[must_use]
    pub fn as_slice(&self) -> &[u16] {
        &self.0
    }

    /// The labels as a `Vec`.
    #[must_use]
    pub fn into_vec(self) -> Vec<u16> {
        self.0
    }

    /// How many samples there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many samples each class has.
    #[must_use]
    pub fn counts(&self) -> [usize; K] {
        let mut counts = [0; K];
        for &c in &self.0 {
            counts[usize::from(c)] += 1;
        }
        counts
    }

    /// The labels at `indices`, in that order.
    ///
    /// # Panics
    /// If an index is past the end.
    #[must_use]
    pub fn select(&self, indices: &[usize]) -> Self {
        Labels(indices.iter().map(|&i| self.0[i]).collect())
    }
}

impl<const K: usize> Targets for Labels<K> {
    type Sample = u16;
    fn samples(&self) -> &[u16] {
        &self.0
    }
}
