//! The training loop: epochs of forward, loss, backward and optimizer step.
//!
//! [`fit`] trains any network on runtime-sized data (one sample per column), full batch by
//! default or in seeded, shuffled mini-batches. It validates everything up front and stops
//! with [`Error::Diverged`] the moment the loss stops being finite, so a bad learning rate is
//! a clear error rather than a network full of NaN.

use alloc::vec::Vec;

use nalgebra::{Const, Dyn, OMatrix};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use crate::{Error, Forward, Optimizer, Real, Result};

#[cfg(feature = "parallel")]
mod parallel;
mod step;
#[cfg(feature = "parallel")]
pub use parallel::fit_parallel;
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainConfig {
    /// Passes over the data (≥ 1).
    pub epochs: usize,
    /// Samples per step; `None` = the whole data set (full batch, no shuffling).
    pub batch_size: Option<usize>,
    /// Seed of the per-epoch shuffle of mini-batches (unused for full batch).
    pub shuffle_seed: u64,
    /// Drop the last, smaller mini-batch of each epoch instead of training on it.
    pub drop_last: bool,
}

impl Default for TrainConfig {
    /// The seed experiment's settings: 900 full-batch epochs.
    fn default() -> Self {
        TrainConfig {
            epochs: 900,
            batch_size: None,
            shuffle_seed: 0,
            drop_last: false,
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
///   [`Error::NonFinite`] (NaN or infinity in `x` or `y`): checked before any training.
/// - [`Error::Diverged`] with the epoch and value if the loss becomes NaN or infinite, or an
///   update makes a parameter NaN or infinite; the network then holds those parameters and
///   should be re-initialised. So `Ok` means every parameter is finite.
/// - [`Error::TooLarge`] if the loss history outgrows memory (it grows one entry an epoch;
///   no more than a few thousand entries are reserved up front, whatever `epochs` says).
pub fn fit<T, N, O, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    config: &TrainConfig,
    on_epoch: impl FnMut(usize, f64),
) -> Result<Vec<f64>>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    O: Optimizer<T, N>,
{
    let blocks = Blocks::<T, N, IN, OUT>::new;
    train(net, optimizer, x, y, config, blocks, on_epoch)
}

/// [`fit`]'s loop, with the batch gradient computed by a `G` that `gradient(batch)` makes
/// for batches of `batch` samples.
fn train<T, N, O, G, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    config: &TrainConfig,
    mut gradient: impl FnMut(usize) -> G,
    mut on_epoch: impl FnMut(usize, f64),
) -> Result<Vec<f64>>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    O: Optimizer<T, N>,
    G: Gradient<T, N, IN, OUT>,
{
    let n = validate(x, y, config)?;
    let batch = config.batch_size.unwrap_or(n);
    // Grown as epochs run: `epochs` is the caller's and may be far more than fits.
    let mut history = Vec::with_capacity(config.epochs.min(HISTORY_UPFRONT));
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.shuffle_seed);
    // Buffers for full batches, and for the smaller last batch if there is one: allocated
    // here, reused by every epoch.
    let gathers = batch < n;
    let mut full = Step::<T, G, IN, OUT>::new(gradient(batch), batch, gathers);
    let mut rest = Step::<T, G, IN, OUT>::new(gradient(n % batch), n % batch, gathers);
    for epoch in 0..config.epochs {
        let loss = if batch == n {
            full.run(net, optimizer, x, y)?
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
            }
            total / seen as f64
        };
        // A finite loss before the last update says nothing about the update itself.
        if !loss.is_finite() || !net.is_finite() {
            return Err(Error::Diverged { epoch, loss });
        }
        history.try_reserve(1).map_err(|_| Error::TooLarge {
            what: "loss history (epochs)",
            count: config.epochs,
        })?;
        history.push(loss);
        on_epoch(epoch, loss);
    }
    // The last update is never followed by a loss: measure it, so `Ok` promises a network
    // whose predictions on the data are finite (finite weights can still overflow). In
    // blocks through the step's buffers (resized once here after mini-batches): a
    // whole-batch `forward` would allocate every layer's output for all samples (≈ 50 MB
    // at N = 100 000, a third of an epoch's time).
    let sse = full.sse(net, x, y);
    let loss = sse.as_f64() / (n * OUT) as f64;
    if !loss.is_finite() {
        return Err(Error::Diverged {
            epoch: config.epochs - 1,
            loss,
        });
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
    if y.ncols() != n {
        return Err(Error::LengthMismatch {
            what: "targets (samples)",
            expected: n,
            found: y.ncols(),
        });
    }
    if let Some(index) = x.iter().position(|v| !v.finite()) {
        return Err(Error::NonFinite {
            what: "inputs",
            index,
        });
    }
    if let Some(index) = y.iter().position(|v| !v.finite()) {
        return Err(Error::NonFinite {
            what: "targets",
            index,
        });
    }
    match config.batch_size {
        Some(b) if b == 0 || b > n => Err(Error::InvalidBatchSize {
            batch_size: b,
            samples: n,
        }),
        _ => Ok(n),
    }
}
