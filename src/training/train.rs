//! The training loop: epochs of forward, loss, backward and optimizer step, behind one
//! entry point, the [`Trainer`].
//!
//! ```text
//!  Trainer::new(&x, &y)                    the data: inputs, and targets of the loss's type
//!      .epochs(900).batch_size(32)         how to train (defaults: 900 full-batch epochs)
//!      .validation(&vx, &vy)               held-out data, measured after every epoch
//!      .early_stopping(EarlyStopping::default())
//!      .on_epoch(|e| …)                    progress, diagnostics, or stop
//!      .fit(&mut net, &mut optimizer, &loss)   → History
//! ```
//!
//! Every epoch runs forward passes, the [`Loss`]'s value and gradient, backward passes and
//! one optimizer step per batch; validation only reads the network. Everything is checked
//! before the first step, and a loss that stops being finite ends training with
//! [`Error::Diverged`], so a bad learning rate is a clear error rather than a network full
//! of NaN. Runs are bit-reproducible: the same data, seed and settings give the same bits.

use core::marker::PhantomData;

use nalgebra::{Const, Dyn};

#[cfg(doc)]
use crate::Error;
use crate::loss::{Loss, Targets};
use crate::{Forward, Optimizer, Real, Result};

mod history;
mod looping;
mod monitor;
#[cfg(feature = "parallel")]
mod parallel;
mod step;

pub use history::{CURVE_POINTS, Curve, History};
pub use monitor::{EarlyStopping, Epoch, EpochControl};
pub(crate) use step::BLOCK;
use step::{Blocks, Gradient, Inputs, Step};

/// Trains a network on inputs `x` (one sample per column) and targets of a [`Loss`]'s type:
/// configure with the builder methods, then [`fit`](Self::fit).
///
/// ```
/// use constnet::{net, Dense, Init, InitScheme, Mse, Relu, Sgd, Trainer};
/// use nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(64, |_, j| j as f32 / 32.0 - 1.0);
/// let y = x.map(|v| 3.0 * v);
/// let history = Trainer::new(&x, &y).epochs(300).fit(&mut model, &mut Sgd::new(0.05)?, &Mse)?;
/// assert!(history.train[299] < history.train[0] / 100.0);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// With held-out data and early stopping (Keras' `EarlyStopping(restore_best_weights=True)`):
///
/// ```
/// use constnet::{net, Adam, Dense, Init, InitScheme, Mse, Relu, Trainer};
/// use constnet::train::EarlyStopping;
/// use nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(64, |_, j| j as f32 / 32.0 - 1.0);
/// let y = x.map(|v| v * v);
/// let (vx, vy) = (x.map(|v| v * 0.9), x.map(|v| 0.81 * v * v));
/// let history = Trainer::new(&x, &y)
///     .epochs(5000)
///     .validation(&vx, &vy)
///     .early_stopping(EarlyStopping { patience: 20, ..EarlyStopping::default() })
///     .fit(&mut model, &mut Adam::new(0.01)?, &Mse)?;
/// let best = history.best_epoch.unwrap();
/// assert_eq!(history.val.len(), history.train.len());
/// assert!(history.val[best] < history.val[0] / 10.0);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// `N` is the network type the trainer will [`fit`](Self::fit) (inferred from that call);
/// it is a parameter of the trainer so that an [`on_epoch`](Self::on_epoch) callback's
/// argument type is known where the callback is written.
#[derive(Debug)]
#[must_use = "a Trainer does nothing until `fit`"]
pub struct Trainer<'a, T: Real, const IN: usize, Y: ?Sized, N, F = NoCallback, P = OneThread> {
    x: &'a Inputs<T, IN>,
    y: &'a Y,
    validation: Option<(&'a Inputs<T, IN>, &'a Y)>,
    epochs: usize,
    batch_size: Option<usize>,
    shuffle_seed: u64,
    drop_last: bool,
    early_stopping: Option<EarlyStopping>,
    on_epoch: F,
    threads: P,
    net: PhantomData<fn(&N)>,
}

/// The [`Trainer`]'s callback before [`on_epoch`](Trainer::on_epoch) sets one: nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCallback;

/// The [`Trainer`]'s threads before `threads` (feature `parallel`): training on the calling
/// thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct OneThread;

/// What the [`Trainer`] calls after every epoch: a closure `FnMut(&Epoch<N>) -> R` whose
/// `R` says whether to stop ([`EpochControl`]), or [`NoCallback`].
pub trait OnEpoch<N> {
    /// Called with the epoch's record; `true` stops training.
    fn call(&mut self, epoch: &Epoch<'_, N>) -> bool;
}

impl<N> OnEpoch<N> for NoCallback {
    fn call(&mut self, _: &Epoch<'_, N>) -> bool {
        false
    }
}

impl<N, F, R> OnEpoch<N> for F
where
    F: FnMut(&Epoch<'_, N>) -> R,
    R: EpochControl,
{
    fn call(&mut self, epoch: &Epoch<'_, N>) -> bool {
        self(epoch).should_stop()
    }
}

impl<'a, T: Real, const IN: usize, Y: Targets + ?Sized, N> Trainer<'a, T, IN, Y, N> {
    /// A trainer on inputs `x` (`IN × samples`) and targets `y` of the loss's type (a
    /// matrix `OUT × samples` for [`Mse`](crate::Mse)), with the seed experiment's
    /// defaults: 900 full-batch epochs, one thread, no validation, no early stopping.
    pub fn new(x: &'a Inputs<T, IN>, y: &'a Y) -> Self {
        Trainer {
            x,
            y,
            validation: None,
            epochs: 900,
            batch_size: None,
            shuffle_seed: 0,
            drop_last: false,
            early_stopping: None,
            on_epoch: NoCallback,
            threads: OneThread,
            net: PhantomData,
        }
    }
}

impl<'a, T: Real, const IN: usize, Y: Targets + ?Sized, N, F, P> Trainer<'a, T, IN, Y, N, F, P> {
    /// Passes over the data (≥ 1; default 900). Memory does not grow with it: the
    /// [`History`] keeps at most [`CURVE_POINTS`] values per curve.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Samples per step (1 to the number of samples): the data are shuffled every epoch
    /// (seeded by [`shuffle_seed`](Self::shuffle_seed)) and split into mini-batches. Without
    /// it, every step is the whole data set (full batch, no shuffling).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = Some(batch_size);
        self
    }

    /// Seed of the per-epoch shuffle of mini-batches (default 0; unused for full batch).
    pub fn shuffle_seed(mut self, seed: u64) -> Self {
        self.shuffle_seed = seed;
        self
    }

    /// Drops the last, smaller mini-batch of each epoch instead of training on it.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Held-out inputs and targets, measured after every epoch's update (forward passes
    /// only, in blocks of 256 samples through buffers of that size, on the calling thread):
    /// their loss is what [`early_stopping`](Self::early_stopping) monitors. Checked as the
    /// training data are.
    pub fn validation(mut self, x: &'a Inputs<T, IN>, y: &'a Y) -> Self {
        self.validation = Some((x, y));
        self
    }

    /// Stops when the monitored loss (validation, else training) stops improving, and by
    /// default restores the best parameters; see [`EarlyStopping`].
    pub fn early_stopping(mut self, stopping: EarlyStopping) -> Self {
        self.early_stopping = Some(stopping);
        self
    }

    /// Calls `f` after every epoch that runs (the one training stops in included, before
    /// any restore) with an [`Epoch`]: losses, accuracies and the network. `f` returns `()`
    /// to go on, or a [`ControlFlow`](core::ops::ControlFlow) whose `Break` ends training
    /// ([`History::stopped_by_caller`]); the parameters are then restored as at any other
    /// end.
    pub fn on_epoch<G, R>(self, f: G) -> Trainer<'a, T, IN, Y, N, G, P>
    where
        G: FnMut(&Epoch<'_, N>) -> R,
        R: EpochControl,
    {
        Trainer {
            x: self.x,
            y: self.y,
            validation: self.validation,
            epochs: self.epochs,
            batch_size: self.batch_size,
            shuffle_seed: self.shuffle_seed,
            drop_last: self.drop_last,
            early_stopping: self.early_stopping,
            on_epoch: f,
            threads: self.threads,
            net: PhantomData,
        }
    }
}

impl<'a, T, const IN: usize, Y, N, F> Trainer<'a, T, IN, Y, N, F, OneThread>
where
    T: Real,
    Y: Targets + ?Sized,
    F: OnEpoch<N>,
{
    /// Trains `net` with `optimizer` on `loss`; returns the [`History`].
    ///
    /// Single-threaded and bit-reproducible. A step on more than 256 samples runs forward
    /// and backward in blocks of that many and sums their gradients (the same step, with
    /// the buffers of one block kept in cache).
    ///
    /// Entry `e` of [`History::train`] is the mean training loss seen during epoch `e`
    /// (for full batch: the loss *before* that epoch's step, as the classic loop records
    /// it). With [`early_stopping`](Self::early_stopping) and `restore_best`, the network
    /// ends holding the parameters its best monitored value was measured on: those from
    /// the end of the best epoch — except for a full-batch training loss without
    /// validation data, which is measured *before* the epoch's update, so the parameters
    /// restored are those the best epoch started from.
    ///
    /// # Errors
    /// - [`Error::ZeroEpochs`], [`Error::EmptyData`], [`Error::InvalidBatchSize`] (0 or more
    ///   than the samples), [`Error::LengthMismatch`] (inputs and targets differ in samples),
    ///   [`Error::NonFinite`] (NaN or infinity in the inputs or targets, or the targets'
    ///   own check, e.g. a label out of range), [`Error::InvalidParameter`] (early stopping
    ///   with `patience` 0 or `min_delta` negative or not finite; validation data without
    ///   samples): checked before any training. Validation data are named `"validation
    ///   inputs"` and `"validation targets"`.
    /// - [`Error::LossOverflow`] if the loss before the first step is NaN or infinite
    ///   although data and parameters are finite (squared errors past `T`'s range). The
    ///   network is unchanged.
    /// - [`Error::Diverged`] with the (0-based) epoch and value if the loss becomes NaN or
    ///   infinite, or an update makes a parameter NaN or infinite; the network then holds
    ///   those parameters and should be re-initialised. So `Ok` means every parameter is
    ///   finite, and so are the network's predictions on the data.
    pub fn fit<O, L, const OUT: usize>(
        self,
        net: &mut N,
        optimizer: &mut O,
        loss: &L,
    ) -> Result<History>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
        O: Optimizer<T, N>,
        L: Loss<T, OUT, Target = Y::Sample>,
    {
        self.run(net, optimizer, loss, Blocks::<T, N, IN, OUT>::new)
    }
}
