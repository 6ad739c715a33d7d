//! The training loop: epochs of forward, loss, backward and optimizer step.
//!
//! [`fit`] trains any network on runtime-sized data (one sample per column), full batch by
//! default or in seeded, shuffled mini-batches. It validates everything up front and stops
//! with [`Error::Diverged`] the moment the loss stops being finite, so a bad learning rate is
//! a clear error rather than a network full of NaN.
//!
//! [`fit_validated`] is the same loop (the same bits) that also measures held-out
//! [`Validation`] data after every epoch and can stop early ([`EarlyStopping`]), returning a
//! [`History`]; [`fit`] is it without validation data.

use alloc::vec::Vec;

use nalgebra::{Const, Dyn, OMatrix};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use crate::{Error, Forward, Optimizer, Real, Result};

mod monitor;
#[cfg(feature = "parallel")]
mod parallel;
mod step;
use monitor::Monitor;
pub use monitor::{EarlyStopping, Epoch, Flow, History, Validation};
#[cfg(feature = "parallel")]
pub use parallel::{fit_parallel, fit_parallel_validated};
pub(crate) use step::BLOCK;
use step::{Blocks, Gradient, Step};

/// Loss-history entries reserved before training (32 KiB); more are added as epochs run.
const HISTORY_UPFRONT: usize = 4096;

/// How to train: epochs, batch size, shuffling.
///
/// ```
/// use constnet::train::TrainConfig;
/// let config = TrainConfig { epochs: 900, ..TrainConfig::default() };
/// assert_eq!(config.batch_size, None); // full batch
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Passes over the data (≥ 1).
    pub epochs: usize,
    /// Samples per step; `None` = the whole data set (full batch, no shuffling).
    pub batch_size: Option<usize>,
    /// Seed of the per-epoch shuffle of mini-batches (unused for full batch).
    pub shuffle_seed: u64,
    /// Drop the last, smaller mini-batch of each epoch instead of training on it.
    pub drop_last: bool,
    /// Stop when the monitored loss stops improving (`None`: run every epoch).
    pub early_stopping: Option<EarlyStopping>,
}

impl Default for TrainConfig {
    /// The seed experiment's settings: 900 full-batch epochs.
    fn default() -> Self {
        TrainConfig {
            epochs: 900,
            batch_size: None,
            shuffle_seed: 0,
            drop_last: false,
            early_stopping: None,
        }
    }
}

/// Trains `net` on inputs `x` and targets `y` (one sample per column) with MSE loss.
///
/// Calls `on_epoch(epoch, loss)` after every epoch and returns the loss history: entry `e`
/// is the mean training loss seen during epoch `e` (for full batch: the loss *before* that
/// epoch's step, as the classic loop records it).
///
/// Single-threaded and bit-reproducible. A step on more than 256 samples runs forward
/// and backward in blocks of that many and sums their gradients (the same step, with the
/// buffers of one block kept in cache); `fit_parallel` (feature `parallel`) splits the
/// blocks over two threads.
///
/// This is [`fit_validated`] without validation data: with
/// [`early_stopping`](TrainConfig::early_stopping) set, it monitors the training loss and
/// the history ends at the epoch it stopped in.
///
/// ```
/// use constnet::{net, train::{fit, TrainConfig}, Dense, Init, InitScheme, Relu, Sgd};
/// use nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(64, |_, j| j as f32 / 32.0 - 1.0);
/// let y = x.map(|v| 3.0 * v);
/// let config = TrainConfig { epochs: 300, ..TrainConfig::default() };
/// let losses = fit(&mut model, &mut Sgd::new(0.05)?, &x, &y, &config, |_, _| {})?;
/// assert!(losses[299] < losses[0] / 100.0);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// - [`Error::ZeroEpochs`], [`Error::EmptyData`], [`Error::InvalidBatchSize`] (0 or more
///   than the samples), [`Error::LengthMismatch`] (`x` and `y` differ in samples),
///   [`Error::NonFinite`] (NaN or infinity in `x` or `y`), [`Error::InvalidParameter`]
///   (`early_stopping` with `patience` 0, or `min_delta` negative or not finite): checked
///   before any training.
/// - [`Error::LossOverflow`] if the loss before the first step is NaN or infinite although
///   data and parameters are finite: the squared errors overflow `T` (targets around 10¹⁸
///   in `f32`). The network is unchanged.
/// - [`Error::Diverged`] with the (0-based) epoch and value if the loss becomes NaN or
///   infinite, or an update makes a parameter NaN or infinite; the network then holds those
///   parameters and should be re-initialised. So `Ok` means every parameter is finite.
/// - [`Error::TooLarge`] if the loss history outgrows memory (it grows one entry an epoch;
///   no more than a few thousand entries are reserved up front, whatever `epochs` says).
pub fn fit<T, N, O, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    config: &TrainConfig,
    mut on_epoch: impl FnMut(usize, f64),
) -> Result<Vec<f64>>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    O: Optimizer<T, N>,
{
    let blocks = Blocks::<T, N, IN, OUT>::new;
    let on_epoch = |e: &Epoch<'_, N>| on_epoch(e.epoch, e.loss);
    Ok(train(net, optimizer, x, y, None, config, blocks, on_epoch)?.train)
}

/// [`fit`], measuring `validation` data after every epoch and stopping early if
/// [`config.early_stopping`](TrainConfig::early_stopping) says so.
///
/// Training itself is [`fit`]'s, bit for bit: validation only reads the network. After
/// epoch `e`'s update, the validation loss is the MSE of the network on the validation
/// data, computed in blocks of 256 samples through buffers of that size (bounded memory,
/// forward passes only, on the calling thread), and `on_epoch` gets an [`Epoch`] with both
/// losses and the network. The *monitored* value is the validation loss, or the training
/// loss when `validation` is `None`. [`History::best_epoch`] is the epoch of the best
/// monitored value (see [`EarlyStopping`] for what counts as better); a validation loss that
/// is NaN or infinite is recorded and never counts as an improvement.
///
/// `on_epoch` is called for every epoch that runs, the one training stops in included,
/// before any restore. With early stopping, training ends after `patience` consecutive
/// epochs without improvement ([`History::stopped_early`]); with `restore_best`, the
/// network ends holding the parameters its best monitored value was measured on (Keras
/// `EarlyStopping(restore_best_weights=True)`, which also restores when every epoch ran):
/// those from the end of the best epoch, as after a run of `best_epoch + 1` epochs — except
/// for a full-batch training loss without validation data, which is measured *before* the
/// epoch's update, so the parameters restored are those the best epoch started from, as
/// after a run of `best_epoch` epochs. Without early stopping every epoch runs and nothing
/// is restored.
///
/// ```
/// use constnet::train::{fit_validated, EarlyStopping, TrainConfig, Validation};
/// use constnet::{net, Adam, Dense, Init, InitScheme, Relu};
/// use nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(64, |_, j| j as f32 / 32.0 - 1.0);
/// let y = x.map(|v| v * v);
/// let (vx, vy) = (x.map(|v| v * 0.9), x.map(|v| 0.81 * v * v));
/// let config = TrainConfig {
///     epochs: 5000,
///     early_stopping: Some(EarlyStopping { patience: 20, ..EarlyStopping::default() }),
///     ..TrainConfig::default()
/// };
/// let validation = Some(Validation { x: &vx, y: &vy });
/// let mut adam = Adam::new(0.01)?;
/// let history = fit_validated(&mut model, &mut adam, &x, &y, validation, &config, |_| {})?;
/// let best = history.best_epoch.unwrap();
/// assert_eq!(history.val.len(), history.train.len());
/// assert!(history.val[best] < history.val[0] / 10.0);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`fit`]; the validation data are checked before any training like the training
/// data: [`Error::InvalidParameter`] if they hold no sample, [`Error::LengthMismatch`]
/// (inputs and targets differ in samples), [`Error::NonFinite`] (`what` is
/// `"validation inputs"` or `"validation targets"`).
#[allow(clippy::too_many_arguments)]
pub fn fit_validated<T, N, O, R: Flow, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    validation: Option<Validation<'_, T, IN, OUT>>,
    config: &TrainConfig,
    on_epoch: impl FnMut(&Epoch<'_, N>) -> R,
) -> Result<History>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    O: Optimizer<T, N>,
{
    let blocks = Blocks::<T, N, IN, OUT>::new;
    train(net, optimizer, x, y, validation, config, blocks, on_epoch)
}

/// [`fit_validated`]'s loop, with the batch gradient computed by a `G` that
/// `gradient(batch)` makes for batches of `batch` samples.
#[allow(clippy::too_many_arguments)]
fn train<T, N, O, G, R: Flow, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    validation: Option<Validation<'_, T, IN, OUT>>,
    config: &TrainConfig,
    mut gradient: impl FnMut(usize) -> G,
    mut on_epoch: impl FnMut(&Epoch<'_, N>) -> R,
) -> Result<History>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    O: Optimizer<T, N>,
    G: Gradient<T, N, IN, OUT>,
{
    let n = validate(x, y, config)?;
    let val_n = validation.as_ref().map(Validation::check).transpose()?;
    let mut monitor = Monitor::new(config.early_stopping)?;
    let batch = config.batch_size.unwrap_or(n);
    // Grown as epochs run: `epochs` is the caller's and may be far more than fits.
    let upfront = config.epochs.min(HISTORY_UPFRONT);
    let mut history = History {
        train: Vec::with_capacity(upfront),
        val: Vec::with_capacity(if validation.is_some() { upfront } else { 0 }),
        best_epoch: None,
        stopped_early: false,
        stopped_by_caller: false,
    };
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.shuffle_seed);
    // Buffers for full batches, and for the smaller last batch if there is one: allocated
    // here, reused by every epoch. Validation has its own, sized for its data.
    let gathers = batch < n;
    let mut full = Step::<T, G, IN, OUT>::new(gradient(batch), batch, gathers);
    let mut rest = Step::<T, G, IN, OUT>::new(gradient(n % batch), n % batch, gathers);
    let mut val_blocks = val_n.map(Blocks::<T, N, IN, OUT>::new);
    // Whether any update has been made: a non-finite loss before the first one is overflow.
    let mut updated = false;
    let mut last = 0;
    // Full batch without validation data: the monitored loss is measured before the
    // update, on the parameters of the epoch's start, which are the ones to restore.
    if batch == n && validation.is_none() {
        monitor.monitor_before_step();
    }
    for epoch in 0..config.epochs {
        last = epoch;
        let loss = if batch == n {
            monitor.remember(net);
            let loss = full.run(net, optimizer, x, y)?;
            updated |= loss.is_finite();
            loss
        } else {
            order.shuffle(&mut rng);
            let (mut total, mut seen) = (0.0, 0usize);
            for indices in order.chunks(batch) {
                let step = if indices.len() == batch {
                    &mut full
                } else {
                    &mut rest
                };
                if indices.len() < batch && config.drop_last {
                    break;
                }
                step.gather(x, y, indices);
                let loss = step.run_gathered(net, optimizer)?;
                total += loss * indices.len() as f64;
                seen += indices.len();
                if !loss.is_finite() {
                    break;
                }
                updated = true;
            }
            total / seen as f64
        };
        // The network is untouched then: only its data can be at fault (or its own NaN).
        if !loss.is_finite() && !updated && net.is_finite() {
            return Err(Error::LossOverflow {
                loss,
                scalar: T::NAME,
            });
        }
        // A finite loss before the last update says nothing about the update itself.
        if !loss.is_finite() || !net.is_finite() {
            return Err(Error::Diverged { epoch, loss });
        }
        let too_large = |_| Error::TooLarge {
            what: "loss history (epochs)",
            count: config.epochs,
        };
        history.train.try_reserve(1).map_err(too_large)?;
        history.train.push(loss);
        let val_loss = match (&validation, &mut val_blocks, val_n) {
            (Some(v), Some(blocks), Some(m)) => {
                let loss = blocks.sse(net, v.x, v.y).as_f64() / (m * OUT) as f64;
                history.val.try_reserve(1).map_err(too_large)?;
                history.val.push(loss);
                Some(loss)
            }
            _ => None,
        };
        let stop = monitor.observe(epoch, val_loss.unwrap_or(loss), net);
        let asked = on_epoch(&Epoch {
            epoch,
            loss,
            val_loss,
            net,
        })
        .stop();
        if stop {
            history.stopped_early = epoch + 1 < config.epochs;
            break;
        }
        if asked {
            history.stopped_by_caller = epoch + 1 < config.epochs;
            break;
        }
    }
    history.best_epoch = monitor.finish(net);
    // The last update is never followed by a loss: measure it, so `Ok` promises a network
    // whose predictions on the data are finite (finite weights can still overflow). In
    // blocks through the step's buffers (resized once here after mini-batches): a
    // whole-batch `forward` would allocate every layer's output for all samples (≈ 50 MB
    // at N = 100 000, a third of an epoch's time).
    let sse = full.sse(net, x, y);
    let loss = sse.as_f64() / (n * OUT) as f64;
    if !loss.is_finite() {
        return Err(Error::Diverged { epoch: last, loss });
    }
    Ok(history)
}

/// Checks data and config; returns the number of samples.
fn validate<T: Real, const IN: usize, const OUT: usize>(
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    config: &TrainConfig,
) -> Result<usize> {
    let n = x.ncols();
    if config.epochs == 0 {
        return Err(Error::ZeroEpochs);
    }
    if n == 0 || IN == 0 || OUT == 0 {
        return Err(Error::EmptyData);
    }
    check_data(x, y, ["inputs", "targets", "targets (samples)"])?;
    match config.batch_size {
        Some(b) if b == 0 || b > n => Err(Error::InvalidBatchSize {
            batch_size: b,
            samples: n,
        }),
        _ => Ok(n),
    }
}

/// Checks that `y` has `x`'s samples and that both are finite; `names` (inputs, targets,
/// their sample count) name them in errors.
fn check_data<T: Real, const IN: usize, const OUT: usize>(
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    [inputs, targets, samples]: [&'static str; 3],
) -> Result<()> {
    if y.ncols() != x.ncols() {
        return Err(Error::LengthMismatch {
            what: samples,
            expected: x.ncols(),
            found: y.ncols(),
        });
    }
    for (what, values) in [(inputs, x.as_slice()), (targets, y.as_slice())] {
        if let Some(index) = values.iter().position(|v| !v.finite()) {
            return Err(Error::NonFinite { what, index });
        }
    }
    Ok(())
}
