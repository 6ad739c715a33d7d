//! [`History`] and its [`Curve`]s: what a run records, in memory bounded whatever the
//! number of epochs.

use alloc::vec::Vec;

/// The most values a [`Curve`] keeps (512 KiB of `f64`): past this many epochs it keeps
/// every other one, then every fourth…, so a run of `usize::MAX` epochs cannot exhaust
/// memory through its record.
pub const CURVE_POINTS: usize = 1 << 16;

/// One value per epoch (a loss, an accuracy), kept exactly up to [`CURVE_POINTS`] epochs
/// and decimated beyond: then it keeps epochs `0, s, 2s, …` for a stride `s` (a power of
/// two), plus always the last epoch's value.
///
/// ```
/// use constnet::train::Curve;
/// let mut c = Curve::default();
/// for e in 0..5 { c.push(e as f64); }
/// assert_eq!((c.len(), c.first(), c.last(), c[3]), (5, Some(0.0), Some(4.0), 3.0));
/// assert_eq!(c.points().collect::<Vec<_>>()[1], (1, 1.0));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curve {
    /// Values of epochs `0, stride, 2·stride, …`.
    kept: Vec<f64>,
    stride: usize,
    /// Epochs recorded.
    len: usize,
    last: f64,
}

impl Curve {
    /// Records the next epoch's value. Never allocates past [`CURVE_POINTS`] values.
    pub fn push(&mut self, value: f64) {
        let epoch = self.len;
        self.len += 1;
        self.last = value;
        let stride = self.stride.max(1);
        if !epoch.is_multiple_of(stride) {
            return;
        }
        if self.kept.len() == CURVE_POINTS {
            // Keep epochs 0, 2s, 4s, …: half the values, twice the stride.
            let mut i = 0;
            self.kept.retain(|_| {
                i += 1;
                (i - 1) % 2 == 0
            });
            self.stride = stride * 2;
            if !epoch.is_multiple_of(self.stride) {
                return;
            }
        }
        if self.kept.capacity() == 0 {
            self.kept.reserve_exact(CURVE_POINTS.min(4096));
        }
        self.kept.push(value);
        if self.stride == 0 {
            self.stride = 1;
        }
    }

    /// Epochs recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Epochs between kept values: 1 until [`CURVE_POINTS`] epochs, then a power of two.
    #[must_use]
    pub fn stride(&self) -> usize {
        self.stride.max(1)
    }

    /// The value of `epoch` if it is kept (every epoch while the stride is 1; always the
    /// last).
    #[must_use]
    pub fn get(&self, epoch: usize) -> Option<f64> {
        if epoch + 1 == self.len {
            return Some(self.last);
        }
        if epoch >= self.len || !epoch.is_multiple_of(self.stride()) {
            return None;
        }
        self.kept.get(epoch / self.stride()).copied()
    }

    /// The first epoch's value.
    #[must_use]
    pub fn first(&self) -> Option<f64> {
        self.kept.first().copied()
    }

    /// The last epoch's value.
    #[must_use]
    pub fn last(&self) -> Option<f64> {
        (self.len > 0).then_some(self.last)
    }

    /// The kept `(epoch, value)` pairs in order, the last epoch included.
    pub fn points(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        let stride = self.stride();
        let kept = self
            .kept
            .iter()
            .enumerate()
            .map(move |(i, &v)| (i * stride, v));
        let last_kept = self.kept.len().saturating_sub(1) * stride;
        // `then`, not `then_some`: the last epoch `len − 1` exists only when `len > 0`.
        let extra = (self.len > 0 && self.len - 1 != last_kept).then(|| (self.len - 1, self.last));
        kept.chain(extra)
    }

    /// The kept values in order (every epoch's while the stride is 1), without the last
    /// epoch's if it falls between strides.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.kept
    }

    /// The kept values, the last epoch's included: what a plot draws.
    #[must_use]
    pub fn to_vec(&self) -> Vec<f64> {
        self.points().map(|(_, v)| v).collect()
    }
}

/// `curve[epoch]`, for a kept epoch.
///
/// # Panics
/// If `epoch` was not recorded or not kept (see [`Curve::get`]).
impl core::ops::Index<usize> for Curve {
    type Output = f64;
    fn index(&self, epoch: usize) -> &f64 {
        if epoch + 1 == self.len {
            return &self.last;
        }
        let stride = self.stride();
        assert!(
            epoch < self.len && epoch.is_multiple_of(stride),
            "epoch {epoch} is not kept (recorded {}, stride {stride})",
            self.len
        );
        &self.kept[epoch / stride]
    }
}

/// The record of a [`Trainer`](super::Trainer) run.
///
/// ```
/// use constnet::train::{Curve, History};
/// let mut train = Curve::default();
/// train.push(3.0);
/// train.push(2.0);
/// let h = History { train, best_epoch: Some(1), ..History::default() };
/// assert_eq!(h.epochs(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Training loss of every epoch that ran: the mean loss seen during the epoch (for full
    /// batch: before the epoch's update, as the classic loop records it).
    pub train: Curve,
    /// Validation loss after every epoch's update; empty without validation data.
    pub val: Curve,
    /// Training accuracy seen during every epoch; empty unless the loss
    /// [classifies](crate::Loss::CLASSIFIES).
    pub train_accuracy: Curve,
    /// Validation accuracy after every epoch's update; empty unless the loss classifies
    /// and validation data are given.
    pub val_accuracy: Curve,
    /// The 0-based epoch of the best monitored value: the last epoch that improved (see
    /// [`EarlyStopping`](super::EarlyStopping); with `min_delta` 0, or without early
    /// stopping, the first epoch of the lowest value). `None` only if no monitored value was
    /// finite.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before the configured epochs.
    pub stopped_early: bool,
    /// Whether the `on_epoch` callback ended training (by returning
    /// [`ControlFlow::Break`](core::ops::ControlFlow::Break), see
    /// [`EpochControl`](super::EpochControl)).
    pub stopped_by_caller: bool,
}

impl History {
    /// Epochs that ran.
    #[must_use]
    pub fn epochs(&self) -> usize {
        self.train.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_curve_has_no_points() {
        // `points` once computed `len - 1` for its last point before checking `len > 0`:
        // an overflow panic with overflow checks, a wrapped epoch without.
        let c = Curve::default();
        assert_eq!(c.points().count(), 0);
        assert!(c.to_vec().is_empty());
        assert_eq!((c.first(), c.last(), c.get(0)), (None, None, None));
    }

    #[test]
    fn one_value_is_one_point() {
        let mut c = Curve::default();
        c.push(2.5);
        assert_eq!(c.points().collect::<Vec<_>>(), [(0, 2.5)]);
    }

    #[test]
    fn a_curve_keeps_every_epoch_up_to_its_capacity_then_halves() {
        let mut c = Curve::default();
        for e in 0..CURVE_POINTS {
            c.push(e as f64);
        }
        assert_eq!((c.stride(), c.values().len()), (1, CURVE_POINTS));
        c.push(CURVE_POINTS as f64);
        assert_eq!(c.stride(), 2);
        assert_eq!(c.values().len(), CURVE_POINTS / 2 + 1);
        assert_eq!(c[CURVE_POINTS], CURVE_POINTS as f64);
        assert_eq!(c.get(2), Some(2.0));
        assert_eq!(c.get(3), None);
        for e in CURVE_POINTS + 1..5 * CURVE_POINTS + 3 {
            c.push(e as f64);
        }
        assert_eq!(c.len(), 5 * CURVE_POINTS + 3);
        assert!(c.values().len() <= CURVE_POINTS);
        let points: Vec<_> = c.points().collect();
        assert!(points.iter().all(|&(e, v)| e as f64 == v));
        let last = 5 * CURVE_POINTS + 2;
        assert_eq!(points.last(), Some(&(last, last as f64)));
    }
}
