//! Training one model: scalers fitted on the data trained on, the inner network trained on
//! scaled data (with a validation split and early stopping if asked), and diagnostics
//! snapshots along the way for `diagnostics.png`.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use constnet::data::Dataset;
use constnet::diagnose::{self, Diagnostics};
use constnet::loss::{Loss, Targets};
use constnet::train::{EarlyStopping, Epoch, History, OnEpoch};
use constnet::{Adam, AdamConfig, Error, Init, Momentum, Optimizer, Sgd, Trainer};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use super::args::{Args, OptimizerKind};
use crate::columns::Columns;
use crate::model::{Model, Net};

mod task;
pub use task::{Classification, MAX_CLASSES, Masked, Regression, Task};

/// Diagnostics are taken at about this many epochs of a run (and at its last).
const SNAPSHOTS: usize = 50;
/// … on at most this many training samples (a seeded sample), so that they cost a few
/// percent of a run whatever the data's size.
const SNAPSHOT_SAMPLES: usize = 512;
/// A hidden layer dead on every training row this many epochs later ends the run: Adam's
/// first moment (β₁ = 0.9) keeps under 10⁻⁴ of a step's gradient after 90 steps, so by
/// then nothing can revive it (plain SGD could not even start).
const DEAD_EPOCHS: usize = 90;

/// A trained model and what its training recorded.
pub struct Trained<const IN: usize, const OUT: usize, T: Task<IN, OUT>> {
    pub model: Model<IN, OUT>,
    /// The network before training (to tell a run whose steps changed nothing).
    pub initial: Net<IN, OUT>,
    pub history: History,
    /// `(epoch, diagnostics on a sample of the data trained on)`.
    pub snapshots: Vec<(usize, Diagnostics)>,
    /// Training time, without the diagnostics snapshots.
    pub seconds: f64,
    /// The data trained on, in the network's (scaled) units: what the verdict inspects.
    pub fitted: Dataset<f32, IN, OUT, T::Y>,
    /// Samples held out of `train` for validation.
    pub n_val: usize,
}

/// A training run that failed, and how far it got.
pub struct Failed {
    pub error: Box<dyn std::error::Error>,
    /// Epochs that completed (a count: memory stays bounded whatever --epochs is).
    pub epochs: usize,
}

impl std::fmt::Debug for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (after {} epochs)", self.error, self.epochs)
    }
}

impl<E: Into<Box<dyn std::error::Error>>> From<E> for Failed {
    /// A failure before the first epoch: nothing recorded.
    fn from(error: E) -> Self {
        Failed {
            error: error.into(),
            epochs: 0,
        }
    }
}

/// A value the scalers turn into infinity, `(x − mean) / std` overflowing `f32` for data
/// within a factor of two of `f32::MAX`, named as such with the file and the column (not
/// as "x holds a NaN or infinite value", which the file does not).
fn scaling_overflow(
    e: Error,
    args: &Args,
    columns: &Columns,
    n_in: usize,
) -> Box<dyn std::error::Error> {
    let (kind, column) = match e {
        Error::NonFinite { what: "x", index } => ("input", columns.inputs.get(index % n_in)),
        Error::NonFinite { what: "y", .. } => ("target", Some(&columns.target)),
        other => return other.into(),
    };
    let column = column.map_or(String::new(), |c| format!(" column `{c}`"));
    let source = args
        .data
        .as_ref()
        .map_or("the data".into(), |p| p.display().to_string());
    format!(
        "{source}: scaling the {kind}{column} ((v − mean) / std) overflows f32: a \
         value is within a factor of two of f32's largest ({:e}), or too far from the training \
         rows' mean for their spread; divide that column by a power of ten, or remove the row",
        f32::MAX
    )
    .into()
}

/// At least this many rows in the validation part and in the part trained on: a loss on
/// one row says nothing about generalisation, and R² needs two.
const MIN_ROWS: usize = 2;

/// Trains a fresh model on `train` as the flags say; `rng` draws the validation split and
/// the initial weights. `columns` (the data's) name a column whose scaling overflows.
pub fn train<const IN: usize, const OUT: usize, T: Task<IN, OUT>>(
    task: &T,
    args: &Args,
    columns: &Columns,
    train: &Dataset<f32, IN, OUT, T::Y>,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Trained<IN, OUT, T>, Failed> {
    let (fit_on, val) = match args.val_fraction {
        Some(f) => {
            let n = train.len();
            let n_val = (f * n as f64).ceil() as usize;
            if n_val < MIN_ROWS || n - n_val.min(n) < MIN_ROWS {
                return Err(format!(
                    "--val-fraction {} of {n} training rows leaves {n_val} for validation and \
                     {} to train on: each needs at least {MIN_ROWS}",
                    super::verdict::flag_value(f),
                    n - n_val.min(n)
                )
                .into());
            }
            let (rest, val) = train
                .split(f, rng)
                .map_err(|e| format!("--val-fraction {f}: {e}"))?;
            (rest, Some(val))
        }
        None => (train.clone(), None),
    };
    let net: Net<IN, OUT> = Init::init(rng, T::INIT);
    let initial = net.clone();
    // Scalers from the data trained on only: never from validation or test data.
    let mut model = T::model(net, &fit_on, args.scale)?;
    let scaled = |d| T::fitted(&model, d).map_err(|e| scaling_overflow(e, args, columns, IN));
    let fitted = scaled(&fit_on)?;
    let scaled_val = val.as_ref().map(scaled).transpose()?;
    let loss = task.loss();
    // Its own RNG: the sample must not change what training draws.
    let mut sample_rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let sample = fitted.sample(SNAPSHOT_SAMPLES, &mut sample_rng)?;
    let mut trainer = Trainer::new(fitted.x(), fitted.y())
        .epochs(args.epochs)
        .shuffle_seed(args.seed)
        .drop_last(false);
    // The real-data default (256) means "all of a smaller set"; a size the user gave is
    // checked by the library.
    match args.batch_size {
        Some(b) if !args.has("batch-size") => trainer = trainer.batch_size(b.min(fitted.len())),
        Some(b) => trainer = trainer.batch_size(b),
        None => {}
    }
    if let Some(patience) = args.patience {
        trainer = trainer.early_stopping(EarlyStopping {
            patience,
            min_delta: args.min_delta,
            restore_best: true,
        });
    }
    if let Some(v) = &scaled_val {
        trainer = trainer.validation(v.x(), v.y());
    }
    let mut every = (args.epochs / SNAPSHOTS).max(1);
    let mut epochs = 0;
    let progress_every = (args.epochs / 10).max(1);
    let mut snapshots = Vec::new();
    let mut inspecting = Duration::ZERO;
    let mut failed = None;
    let mut dead_since: Option<usize> = None;
    let on_epoch = |e: &Epoch<'_, Net<IN, OUT>>| {
        let n = e.epoch + 1;
        epochs = n;
        if !args.quiet && (n.is_multiple_of(progress_every) || n == args.epochs) {
            match e.val_loss {
                Some(v) => eprintln!(
                    "epoch {n:>6}/{}  loss {:.6}  val {v:.6}",
                    args.epochs, e.loss
                ),
                None => eprintln!("epoch {n:>6}/{}  loss {:.6}", args.epochs, e.loss),
            }
        }
        if !(e.epoch.is_multiple_of(every) || n == args.epochs) {
            return ControlFlow::Continue(());
        }
        let started = Instant::now();
        let mut flow = ControlFlow::Continue(());
        match diagnose::diagnose(e.net, sample.x(), sample.y(), &loss) {
            Ok(d) => {
                let dead = d.dead_layers().first().copied();
                match (dead, dead_since) {
                    (None, _) => dead_since = None,
                    (Some(layer), None) => {
                        // Confirmed on every training row (a sample can miss the rows
                        // that still fire), and said as it happens.
                        let all = sample.len() == fitted.len()
                            || diagnose::diagnose(e.net, fitted.x(), fitted.y(), &loss)
                                .is_ok_and(|f| f.dead_layers().contains(&layer));
                        if all {
                            dead_since = Some(e.epoch);
                            super::warn(&format!(
                                "epoch {n}: every unit of hidden layer {layer} is inactive on \
                                 every training row"
                            ));
                        }
                    }
                    // No gradient passes a dead ReLU layer; only an optimizer's momentum
                    // could still move the weights before it, and that has faded after
                    // DEAD_EPOCHS: the run is over.
                    (Some(_), Some(since)) if e.epoch - since >= DEAD_EPOCHS => {
                        flow = ControlFlow::Break(());
                    }
                    (Some(_), Some(_)) => {}
                }
                snapshots.push((e.epoch, d));
                // Early stopping can end a run long before `--epochs`: keep about
                // SNAPSHOTS..2·SNAPSHOTS of them, thinning as they come.
                if snapshots.len() >= 2 * SNAPSHOTS {
                    let mut k = 0;
                    snapshots.retain(|_| {
                        k += 1;
                        k % 2 == 1
                    });
                    every *= 2;
                }
            }
            Err(err) => failed = Some(err),
        }
        inspecting += started.elapsed();
        flow
    };
    let started = Instant::now();
    let result = fit_with(&mut model.net, args, trainer.on_epoch(on_epoch), &loss);
    let seconds = started.elapsed().saturating_sub(inspecting).as_secs_f64();
    let history = match (result, failed) {
        (Ok(history), None) => history,
        (Err(e), _) | (Ok(_), Some(e)) => {
            return Err(Failed {
                error: e.into(),
                epochs,
            });
        }
    };
    // The network the run ends with (the best epoch's, if restored) gets the last snapshot.
    let last = history.train.len() - 1;
    if snapshots.last().is_none_or(|(e, _)| *e != last) || history.stopped_early {
        snapshots.retain(|(e, _)| *e != last);
        snapshots.push((
            last,
            diagnose::diagnose(&model.net, sample.x(), sample.y(), &loss)?,
        ));
    }
    Ok(Trained {
        model,
        initial,
        history,
        snapshots,
        seconds,
        fitted,
        n_val: val.as_ref().map_or(0, Dataset::len),
    })
}

/// The optimizer the flags chose, as one type: the training loop is then compiled once per
/// network, not once per optimizer (with 180 network types, that is minutes of build).
enum Chosen<N> {
    Sgd(Sgd<f32>),
    Momentum(Momentum<f32, N>),
    Adam(Adam<f32, N>),
}

impl<N: constnet::Params<f32>> Optimizer<f32, N> for Chosen<N> {
    fn step(&mut self, net: &mut N, grad: &N) {
        match self {
            Chosen::Sgd(o) => o.step(net, grad),
            Chosen::Momentum(o) => o.step(net, grad),
            Chosen::Adam(o) => o.step(net, grad),
        }
    }
}

/// Trains with the chosen optimizer, on one thread or two (`--threads`).
fn fit_with<const IN: usize, const OUT: usize, Y, L>(
    net: &mut Net<IN, OUT>,
    args: &Args,
    trainer: Trainer<'_, f32, IN, Y, Net<IN, OUT>, impl OnEpoch<Net<IN, OUT>>>,
    loss: &L,
) -> constnet::Result<History>
where
    Y: Targets + Sync,
    L: Loss<f32, OUT, Target = Y::Sample> + Sync,
    Y::Sample: Send + Sync,
{
    let mut opt = match args.optimizer {
        OptimizerKind::Sgd => Chosen::Sgd(Sgd::new(args.lr)?),
        OptimizerKind::Momentum => Chosen::Momentum(Momentum::new(args.lr, args.momentum)?),
        OptimizerKind::Nesterov => Chosen::Momentum(Momentum::nesterov(args.lr, args.momentum)?),
        OptimizerKind::Adam => Chosen::Adam(
            AdamConfig {
                lr: args.lr,
                ..AdamConfig::default()
            }
            .build()?,
        ),
    };
    // One code path for both: one thread is `threads(1)`, the same loop.
    trainer.threads(args.threads).fit(net, &mut opt, loss)
}
