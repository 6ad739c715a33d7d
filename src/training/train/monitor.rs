//! Held-out monitoring and early stopping: [`EarlyStopping`], what the
//! [`Trainer`](super::Trainer) reports per epoch ([`Epoch`], [`EpochControl`]), and the
//! bookkeeping in between.

use crate::{Error, Params, Real, Result};

/// Stop training when the monitored loss has stopped improving, as Keras'
/// `EarlyStopping(monitor, patience, min_delta, restore_best_weights)` does.
///
/// The monitored value of epoch `e` is the validation loss after `e`'s update when
/// validation data are given, else the epoch's training loss. Epoch `e` *improves* when
/// `best − value > min_delta`, where `best` is the monitored value of the last improving
/// epoch (the first finite value always improves; NaN never does). Training stops after
/// `patience` consecutive epochs without an improvement.
///
/// Without validation data the monitored training loss is the one measured *during* the
/// epoch (for full batch: before its update), while `restore_best` restores the parameters
/// from the *end* of the best epoch: Keras does the same with `monitor="loss"`.
///
/// ```
/// use constnet::train::EarlyStopping;
/// let stopping = EarlyStopping { patience: 50, ..EarlyStopping::default() };
/// assert!(stopping.restore_best);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    /// Epochs without improvement before training stops (≥ 1).
    pub patience: usize,
    /// The least decrease that counts as an improvement (finite, ≥ 0).
    pub min_delta: f64,
    /// End with the parameters the network had at the end of the best epoch (Keras'
    /// `restore_best_weights`), whether training stopped early or ran every epoch.
    pub restore_best: bool,
}

impl Default for EarlyStopping {
    /// scikit-learn's `MLPRegressor` defaults (`n_iter_no_change=10`), with a `min_delta`
    /// of 0 (any decrease counts) and the best parameters restored.
    fn default() -> Self {
        EarlyStopping {
            patience: 10,
            min_delta: 0.0,
            restore_best: true,
        }
    }
}

impl EarlyStopping {
    /// Checks `patience` ≥ 1 and `min_delta` finite and ≥ 0.
    ///
    /// ```
    /// use constnet::train::EarlyStopping;
    /// assert!(EarlyStopping::default().check().is_ok());
    /// assert!(EarlyStopping { patience: 0, ..EarlyStopping::default() }.check().is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `patience` or `min_delta`.
    pub fn check(&self) -> Result<()> {
        if self.patience == 0 {
            return Err(Error::InvalidParameter {
                name: "patience",
                reason: "must be at least 1",
            });
        }
        if !(self.min_delta.is_finite() && self.min_delta >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "min_delta",
                reason: "must be finite and >= 0",
            });
        }
        Ok(())
    }
}

/// What the training loop reports after every epoch.
///
/// ```
/// use constnet::train::Epoch;
/// fn progress<N>(e: &Epoch<'_, N>) -> String {
///     match e.val_loss {
///         Some(v) => format!("epoch {}: loss {:.4}, validation {v:.4}", e.epoch + 1, e.loss),
///         None => format!("epoch {}: loss {:.4}", e.epoch + 1, e.loss),
///     }
/// }
/// let e = Epoch { epoch: 0, loss: 0.5, val_loss: None, accuracy: None, val_accuracy: None, net: &() };
/// assert_eq!(progress(&e), "epoch 1: loss 0.5000");
/// ```
#[derive(Debug)]
pub struct Epoch<'a, N> {
    /// The epoch, 0-based.
    pub epoch: usize,
    /// The mean training loss seen during the epoch (see [`History::train`](super::History)).
    pub loss: f64,
    /// The loss on the validation data after the epoch's update, if any were given.
    pub val_loss: Option<f64>,
    /// The share of training samples classified right during the epoch, for a loss that
    /// [classifies](crate::Loss::CLASSIFIES).
    pub accuracy: Option<f64>,
    /// The same on the validation data after the epoch's update.
    pub val_accuracy: Option<f64>,
    /// The network after the epoch's update (for diagnostics every few epochs).
    pub net: &'a N,
}

/// What an `on_epoch` callback returns: `()` to go on, or a
/// [`ControlFlow`](core::ops::ControlFlow) whose `Break` ends training after this epoch
/// (e.g. when diagnostics show a network that can no longer learn). The parameters are then
/// restored as at any other end of training.
///
/// ```
/// use core::ops::ControlFlow;
/// use constnet::{Dense, Init, InitScheme, Mse, Sgd, Trainer};
/// use constnet::nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut net: Dense<1, 1> = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(1), InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(8, |_, j| j as f32);
/// let h = Trainer::new(&x, &x)
///     .epochs(100)
///     .on_epoch(|e| if e.epoch == 4 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
///     .fit(&mut net, &mut Sgd::new(0.01)?, &Mse)?;
/// assert_eq!((h.epochs(), h.stopped_by_caller, h.stopped_early), (5, true, false));
/// # Ok::<(), constnet::Error>(())
/// ```
pub trait EpochControl {
    /// `true`: stop after this epoch.
    fn should_stop(&self) -> bool;
}

impl EpochControl for () {
    fn should_stop(&self) -> bool {
        false
    }
}

impl EpochControl for core::ops::ControlFlow<()> {
    fn should_stop(&self) -> bool {
        self.is_break()
    }
}

/// Tracks the best monitored value, the epochs since it, and (for `restore_best`) a copy
/// of the parameters it was reached with.
pub(super) struct Monitor<N> {
    stopping: Option<EarlyStopping>,
    best: f64,
    best_epoch: Option<usize>,
    wait: usize,
    /// A parameter copy through [`Params`] (not `Clone`, which not every network derives,
    /// and no allocation per improvement: it is overwritten in place).
    snapshot: Option<N>,
    /// The parameters before this epoch's update, when the monitored value is the
    /// full-batch training loss: that loss is measured on them, not on the updated ones.
    before_step: Option<N>,
}

impl<N> Monitor<N> {
    /// A monitor for `stopping` (checked here).
    pub(super) fn new<T: Real>(stopping: Option<EarlyStopping>) -> Result<Self>
    where
        N: Params<T>,
    {
        if let Some(s) = &stopping {
            s.check()?;
        }
        Ok(Monitor {
            snapshot: stopping.filter(|s| s.restore_best).map(|_| N::zeros()),
            before_step: None,
            stopping,
            best: f64::INFINITY,
            best_epoch: None,
            wait: 0,
        })
    }

    /// Monitors a loss measured *before* each epoch's update (full-batch training loss, no
    /// validation data): [`remember`](Self::remember) keeps the parameters it is measured
    /// on, and an improvement restores those.
    pub(super) fn monitor_before_step<T: Real>(&mut self)
    where
        N: Params<T>,
    {
        if self.snapshot.is_some() {
            self.before_step = Some(N::zeros());
        }
    }

    /// Called before each epoch's update: keeps `net` as the parameters the epoch's
    /// monitored loss will be measured on (only after
    /// [`monitor_before_step`](Self::monitor_before_step)).
    pub(super) fn remember<T: Real>(&mut self, net: &N)
    where
        N: Params<T>,
    {
        if let Some(before) = &mut self.before_step {
            copy_params(before, net);
        }
    }

    /// Records epoch `epoch`'s monitored `value`, measured on `net` (or, monitoring before
    /// the step, on the remembered parameters); returns `true` when training should stop.
    pub(super) fn observe<T: Real>(&mut self, epoch: usize, value: f64, net: &N) -> bool
    where
        N: Params<T>,
    {
        let min_delta = self.stopping.map_or(0.0, |s| s.min_delta);
        // `best` starts infinite: the first finite value improves; NaN never does.
        if self.best - value > min_delta {
            self.best = value;
            self.best_epoch = Some(epoch);
            self.wait = 0;
            if let Some(snapshot) = &mut self.snapshot {
                copy_params(snapshot, self.before_step.as_ref().unwrap_or(net));
            }
            return false;
        }
        self.wait += 1;
        self.stopping.is_some_and(|s| self.wait >= s.patience)
    }

    /// The best epoch; with `restore_best`, puts its parameters back into `net`.
    pub(super) fn finish<T: Real>(self, net: &mut N) -> Option<usize>
    where
        N: Params<T>,
    {
        if let (Some(snapshot), Some(_)) = (&self.snapshot, self.best_epoch) {
            copy_params(net, snapshot);
        }
        self.best_epoch
    }
}

/// `dst ← src`, every tensor (frozen ones too).
fn copy_params<T: Real, N: Params<T>>(dst: &mut N, src: &N) {
    for i in 0..N::TENSORS {
        dst.tensor_mut(i).copy_from_slice(src.tensor(i));
    }
}
