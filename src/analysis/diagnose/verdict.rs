//! [`check_learned`]: did the network learn anything?

use core::fmt;

use super::Diagnostics;

/// Below this training R², [`check_learned`] says the network learned nothing.
///
/// A constant prediction at the targets' mean has R² exactly 0 on the data it is measured
/// on, and a network whose hidden layers died typically ends there (issue #11 measured
/// −0.0000 on the gagurine data). 0.1 leaves room for the little a nearly flat network
/// recovers by chance (its output bias and a last live unit), while every run that learned
/// the data's shape is far above it: the seed experiment reaches 0.97–0.99 over init seeds
/// 0–9, the gagurine data 0.6–0.7 held out. A model explaining under a tenth of the
/// variance of its own training data is no model a user wants to keep.
pub const MIN_TRAIN_R2: f64 = 0.1;

/// A loss that reached this many times the first epoch's loss exploded (see
/// [`check_learned`]).
///
/// Two orders of magnitude: the seed experiment, at the edge of stability, rises on ~250
/// of its 900 steps but never far above its start; the runs issue #11 describes (unscaled
/// real data, a large learning rate) jump by many orders of magnitude in a few epochs.
pub const EXPLOSION_FACTOR: f64 = 100.0;

/// Why [`check_learned`] refused a network. [`Display`](fmt::Display) names the cause; a
/// program adds the remedy (it knows its flags and its data's ranges).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Failure {
    /// A hidden activation layer with no unit active on any training sample.
    DeadLayer {
        /// Which hidden layer, from 1 (see [`Diagnostics::hidden_layers`]).
        hidden_layer: usize,
        /// Its width.
        units: usize,
    },
    /// The loss rose to at least [`EXPLOSION_FACTOR`] times the first epoch's and ended no
    /// lower than it started.
    Exploded {
        /// The first epoch's loss.
        first: f64,
        /// The largest loss (infinite if a loss was not finite).
        peak: f64,
        /// The epoch (from 0, as the history's index) of the peak.
        peak_epoch: usize,
        /// The last epoch's loss.
        last: f64,
    },
    /// The final training R² is below [`MIN_TRAIN_R2`] (or NaN).
    NoFit {
        /// The training R².
        train_r2: f64,
    },
}

/// One sentence naming the cause. Epochs are counted from 1, as a training run's progress
/// lines count them (`Exploded`'s `peak_epoch` 0 reads "epoch 1").
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::DeadLayer {
                hidden_layer,
                units,
            } => write!(
                f,
                "every unit of hidden layer {hidden_layer} ({units} units) is inactive on \
                 every training sample: no gradient passes it, the network predicts a constant"
            ),
            Failure::Exploded {
                first,
                peak,
                peak_epoch,
                last,
            } => write!(
                f,
                "the training loss exploded from {first:.4e} to {peak:.4e} (epoch {}) and \
                 ended at {last:.4e}, no lower than it started",
                peak_epoch + 1
            ),
            // A far-off fit (R² −4e52) in exponent notation, not 53 digits.
            Failure::NoFit { train_r2 } if train_r2.abs() >= 1e6 => write!(
                f,
                "the network explains almost none of its training data: train R² \
                 {train_r2:.4e} (below {MIN_TRAIN_R2})"
            ),
            Failure::NoFit { train_r2 } => write!(
                f,
                "the network explains almost none of its training data: train R² {train_r2:.4} \
                 (below {MIN_TRAIN_R2})"
            ),
        }
    }
}

impl core::error::Error for Failure {}

/// The verdict on a finished training run: `Ok` unless the network learned nothing, by
/// the first of these causes that holds:
///
/// 1. [`Failure::DeadLayer`]: a hidden activation layer of `diag` (diagnostics on the
///    training data) has no unit active on any sample ([`Diagnostics::dead_layers`]; the
///    first such layer is named).
/// 2. [`Failure::Exploded`]: the loss history `losses` (one entry per epoch) peaked at
///    ≥ [`EXPLOSION_FACTOR`] × its first entry and above it (a history that starts at 0
///    and stays there did not explode; one non-finite from the start did), and its last
///    entry is not below the first (after a non-finite first entry: is not finite):
///    it blew up and never recovered. (A loss that spiked and then fell below where it
///    started did recover: the run is judged by the other rules, which also refuse a run
///    that exploded and settled on a constant prediction a little below its first loss,
///    as x in [100, 104] at lr 0.01 does in the tests.) A NaN or infinite entry
///    counts as an infinite peak. An empty history is not judged by this rule.
/// 3. [`Failure::NoFit`]: `train_r2` is below [`MIN_TRAIN_R2`] or NaN.
///
/// ```
/// use constnet::diagnose::{check_learned, Diagnostics, Failure};
/// let healthy = Diagnostics { layers: vec![], samples: 10, loss: 0.01 };
/// assert!(check_learned(&[1.0, 0.1, 0.01], 0.95, &healthy).is_ok());
///
/// let verdict = check_learned(&[1.0, 5e3, 2.0], 0.95, &healthy);
/// assert!(matches!(verdict, Err(Failure::Exploded { peak_epoch: 1, .. })));
/// assert!(check_learned(&[1.0, 5e3, 0.5], 0.95, &healthy).is_ok()); // it recovered
///
/// let flat = check_learned(&[1.0, 0.99], -0.0, &healthy).unwrap_err();
/// assert_eq!(flat, Failure::NoFit { train_r2: 0.0 });
/// assert!(flat.to_string().contains("train R²"));
/// ```
///
/// # Errors
/// The [`Failure`], an error type of its own (a program reports it as "the network
/// learned nothing: …" with its remedy).
pub fn check_learned(losses: &[f64], train_r2: f64, diag: &Diagnostics) -> Result<(), Failure> {
    if let Some(&hidden_layer) = diag.dead_layers().first() {
        let units = diag
            .hidden_layers()
            .iter()
            .find(|&&(k, _)| k == hidden_layer)
            .and_then(|&(_, i)| diag.layers[i].activity.as_ref())
            .map_or(0, super::Activity::units);
        return Err(Failure::DeadLayer {
            hidden_layer,
            units,
        });
    }
    if let Some(failure) = exploded(losses) {
        return Err(failure);
    }
    // NaN fails too.
    if train_r2.is_nan() || train_r2 < MIN_TRAIN_R2 {
        return Err(Failure::NoFit { train_r2 });
    }
    Ok(())
}

fn exploded(losses: &[f64]) -> Option<Failure> {
    let (&first, &last) = (losses.first()?, losses.last()?);
    let (peak_epoch, peak) = losses
        .iter()
        .map(|&l| if l.is_finite() { l } else { f64::INFINITY })
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, l)| {
            if l > best.1 { (i, l) } else { best }
        });
    // A NaN start counts as ∞ too (NaN compares with nothing: [NaN, NaN] was no explosion).
    let start = if first.is_finite() {
        first
    } else {
        f64::INFINITY
    };
    let recovered = last.is_finite() && last < start;
    // A history that never rose above its start (all 0) did not explode; one that starts
    // non-finite (peak = start = ∞) did.
    let rose = peak > start || start == f64::INFINITY;
    (peak >= EXPLOSION_FACTOR * start && rose && !recovered).then_some(Failure::Exploded {
        first,
        peak,
        peak_epoch,
        last,
    })
}
