//! `constnet fit`: train a network on the columns of a CSV file (or the synthetic cubic),
//! judge it, and write the model, its export, the plots and `summary.json` together.
//!
//! `constnet fit --help` lists the flags. The input width is a type: the run reads the
//! file's header, picks the columns, and runs the pipeline compiled for that width
//! ([`with_inputs!`](crate::with_inputs)).

mod args;
mod classify;
mod cv;
mod data;
mod fitting;
mod outputs;
mod summary;
mod verdict;

use std::ffi::OsString;
use std::process::ExitCode;

use constnet::data::Dataset;
use constnet::{Error, Params, metrics};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use crate::columns::Columns;
use crate::model::{self, Meta, RunResult, Task};
use crate::staging::Staging;
use crate::with_inputs;
use args::Args;
use data::{load_all, load_data};
use fitting::Regression;
use summary::{R2, Summary};

/// The regression network of `IN` inputs: its shape is its type.
pub(crate) type Net<const IN: usize> = model::Net<IN, 1>;
/// The network between its input and target scalers (identity, the data's own units, with
/// `--scale none`), so it takes and gives raw units.
pub(crate) type Model<const IN: usize> = model::Model<IN, 1>;
pub(crate) type Data<const IN: usize> = Dataset<f32, IN, 1>;
/// A trained regression model and what its training recorded.
pub(crate) type Trained<const IN: usize> = fitting::Trained<IN, 1, Regression>;

/// `constnet fit ARGS…`.
pub fn main(raw: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = match args::parse(raw) {
        Ok(args) => args,
        Err(message) => return crate::usage_error("fit", &message),
    };
    if args.help {
        print!("{}", args::help());
        return ExitCode::SUCCESS;
    }
    crate::finish("fit", run(&args))
}

fn warn(message: &str) {
    crate::warn("fit", message);
}

/// `constnet fit` with these flags (split at spaces), for the other commands' tests.
#[cfg(test)]
pub(crate) fn run_line(line: &str) -> RunResult<String> {
    run(&args::parse(line.split_whitespace())?)
}

/// Runs the experiment; returns the one-line human summary.
fn run(args: &Args) -> RunResult<String> {
    for flag in args.ignored() {
        warn(&format!(
            "--{flag} has no effect with {} (summary.json records it as null)",
            if args.load.is_some() && !matches!(flag, "samples" | "noise") {
                "--load"
            } else {
                "--data"
            }
        ));
    }
    // Created first, so that --save and --export-rs may point into it; removed again
    // (with the parents this run made) if the run fails and they are still empty.
    let created: Vec<std::path::PathBuf> = args
        .out
        .ancestors()
        .take_while(|dir| !dir.as_os_str().is_empty() && std::fs::symlink_metadata(dir).is_err())
        .map(std::path::Path::to_path_buf)
        .collect();
    let remove_created = || {
        // Deepest first; `remove_dir` leaves a folder that is not empty.
        for dir in &created {
            let _ = std::fs::remove_dir(dir);
        }
    };
    std::fs::create_dir_all(&args.out).map_err(|e| {
        remove_created();
        let out = args.out.display();
        let link = std::fs::symlink_metadata(&args.out).is_ok_and(|m| m.is_symlink());
        if args.out.exists() && !args.out.is_dir() {
            format!("--out {out}: exists and is not a folder (--out names the folder for the plots and summary)")
        } else if link && !args.out.exists() {
            format!(
                "--out {out}: is a symbolic link to {}, which does not exist (or is a loop of links)",
                std::fs::read_link(&args.out).unwrap_or_default().display()
            )
        } else {
            format!("--out {out}: {e}")
        }
    })?;
    let result = run_in(args);
    if result.is_err() {
        remove_created();
    }
    result
}

/// [`run`] once the `--out` folder exists: picks the columns (from the data's header, or
/// the loaded model's metadata), then runs the pipeline of that many inputs.
fn run_in(args: &Args) -> RunResult<String> {
    // Before any work: an output that would overwrite an input, or land in a folder that
    // does not exist, is an error now rather than after training.
    outputs::check(args)?;
    let columns = columns(args)?;
    if args.classify {
        return classify::run(args, &columns);
    }
    with_inputs!(columns.inputs.len(), run_typed, (args, &columns))
}

/// The columns a run reads: the synthetic cubic's, a loaded model's (its metadata), or the
/// ones the flags choose from the data's header.
fn columns(args: &Args) -> RunResult<Columns> {
    if let Some(load) = &args.load {
        let layout = model::layout(load, "--load")?;
        if let Some(meta) = layout.meta {
            if meta.task != Task::Regression {
                return Err(format!(
                    "--load {}: a classifier: `constnet predict --model {0} --data FILE.csv` \
                     gives its classes and probabilities",
                    load.display()
                )
                .into());
            }
            return Ok(Columns {
                inputs: meta.inputs,
                target: meta.target,
            });
        }
        // A file without the tool's metadata (a PyTorch state dict): the data's columns,
        // as the flags choose them, must match its width.
        if args.data.is_none() && layout.inputs != 1 {
            return Err(format!(
                "--load {}: a network of {} inputs, the synthetic cubic has 1 (give --data)",
                load.display(),
                layout.inputs
            )
            .into());
        }
    }
    match &args.data {
        None => Ok(Columns::cubic()),
        Some(path) => Columns::choose(path, args.inputs.as_deref(), args.target.as_deref()),
    }
}

/// The metadata a model trained on `columns` is saved with.
fn meta(columns: &Columns) -> Meta {
    Meta {
        task: Task::Regression,
        inputs: columns.inputs.clone(),
        target: columns.target.clone(),
    }
}

/// The run, for `IN` input columns.
fn run_typed<const IN: usize>(args: &Args, columns: &Columns) -> RunResult<String> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    if let Some(k) = args.folds {
        let data = load_all::<IN>(args, columns, &mut rng)?;
        return cv::run(args, columns, k, &data, &mut rng);
    }
    let (train, test) = load_data::<IN>(args, columns, &mut rng)?;
    let Some(load) = &args.load else {
        return train_and_report(args, columns, &train, &test, &mut rng);
    };
    let (model, _) = model::load::<IN, 1>(load, "--load")?;
    let mut staging = Staging::new();
    outputs::stage_model(&mut staging, args, &model, &meta(columns))?;
    let int8 = quantize(args, &model, &train, &test)?;
    outputs::stage_int8_export(&mut staging, args, int8.as_ref().map(|(q, _)| q))?;
    // The file's weights are the cause of a non-finite prediction: name it.
    let summary = Summary::new(args, &model, &train, &test, None)
        .map_err(|e| format!("--load {}: {e}", load.display()))?;
    // A model that predicts this data worse than its mean explains nothing of it: said, not
    // reported as a result (an all-zero network, another data set's model, other units).
    if let R2::Value(r2) = summary.test_r2()
        && *r2 < 0.0
    {
        return Err(format!(
            "--load {}: the model explains nothing of this data: it predicts the {} held-out \
             rows worse than their mean does (test R² {r2:.4}, below 0); is it the model of \
             this data, in these units?",
            load.display(),
            test.len()
        )
        .into());
    }
    outputs::write(staging, args, columns, (&model, &train), None, &summary)?;
    Ok(finish(summary.line(&args.out), int8.as_ref()))
}

/// Trains, judges, evaluates and plots, then writes the model, plots and summary together.
/// The one rule for what a run writes: only a run that succeeds writes anything. A run
/// that fails — training that diverged, a network that learned nothing, an output that
/// cannot be written — leaves every file as it was and says why on one line.
fn train_and_report<const IN: usize>(
    args: &Args,
    columns: &Columns,
    train: &Data<IN>,
    test: &Data<IN>,
    rng: &mut Xoshiro256PlusPlus,
) -> RunResult<String> {
    let trained = fitting::train::<IN, 1, Regression>(&Regression, args, columns, train, rng)
        .map_err(|failed| verdict::explain(args, failed.error.as_ref(), train))?;
    let h = &trained.history;
    let stopped = match h.stopped_by_caller {
        true => format!(
            " (training stopped at epoch {} of {})",
            h.epochs(),
            args.epochs
        ),
        false => String::new(),
    };
    let model = &trained.model;
    let summary = Summary::new(args, model, train, test, Some(&trained))?;
    let verdict = match unchanged(&trained, args) {
        Some(why) => Err(why),
        None => verdict::check(args, &trained, train)
            .and_then(|()| verdict::check_test(summary.test_r2(), train.len(), test.len())),
    };
    verdict.map_err(|why| format!("the network learned nothing{stopped}: {why}"))?;
    // Staged together, moved into place together: a run killed or failing before that
    // leaves the previous model beside the previous plots.
    let mut staging = Staging::new();
    outputs::stage_model(&mut staging, args, model, &meta(columns))?;
    let int8 = quantize(args, model, train, test)?;
    outputs::stage_int8_export(&mut staging, args, int8.as_ref().map(|(q, _)| q))?;
    outputs::write(
        staging,
        args,
        columns,
        (model, train),
        Some(&trained),
        &summary,
    )?;
    Ok(finish(summary.line(&args.out), int8.as_ref()))
}

/// The last line, with the int8 model's test R² if there is one.
fn finish<const IN: usize>(line: String, int8: Option<&(Int8<IN>, R2)>) -> String {
    match int8 {
        Some((_, r2)) => format!("{line}; int8 test R² {}", r2.show()),
        None => line,
    }
}

/// The int8 model of a [`Model`]: its scalers folded into the edges (raw units in and out).
pub(crate) type Int8<const IN: usize> =
    constnet::quant::QModel<<Net<IN> as constnet::quant::Quantize>::Q, IN, 1>;

/// At most this many training inputs calibrate the int8 ranges (a seeded sample of more):
/// quantization keeps every layer's activations for them.
const CALIBRATION_SAMPLES: usize = 20_000;

/// `--quantize int8`: the model quantized whole (its scalers folded into the int8 model's
/// edges), calibrated on (a sample of) the training inputs, the data a deployment would
/// calibrate on; and its test R².
fn quantize<const IN: usize>(
    args: &Args,
    model: &Model<IN>,
    train: &Data<IN>,
    test: &Data<IN>,
) -> RunResult<Option<(Int8<IN>, R2)>> {
    if !args.quantize_int8 {
        return Ok(None);
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let sample = train.sample(CALIBRATION_SAMPLES, &mut rng)?;
    let q = constnet::quant::quantize_scaled(model, sample.x())
        .map_err(|e| quantize_error(args, sample.len(), e))?;
    let pred: Vec<f32> = test
        .x()
        .column_iter()
        .map(|x| q.predict(&core::array::from_fn(|i| x[i]))[0])
        .collect();
    let r2 = match metrics::r2(&pred, test.y().as_slice()) {
        Ok(v) => R2::Value(v),
        // Constant test targets: undefined, as the float model's R² (not a failed run).
        Err(Error::Undefined(why)) => R2::Undefined(why),
        Err(e) => return Err(e.into()),
    };
    Ok(Some((q, r2)))
}

/// A failed `--quantize int8`, both causes named: the calibration rows (their range sets
/// the int8 scales), and the weights' file if the model was loaded.
pub(crate) fn quantize_error(args: &Args, rows: usize, e: Error) -> String {
    let model = match &args.load {
        Some(path) => format!("the model loaded from {}", path.display()),
        None => "the trained model".to_owned(),
    };
    let rows = match &args.data {
        Some(path) => format!("{rows} training rows of {}", path.display()),
        None => format!("{rows} training rows"),
    };
    format!("--quantize int8 of {model}, calibrated on {rows}: {e}")
}

/// `‖θ − θ₀‖ / ‖θ₀‖` over every parameter of the network.
fn relative_change<N: Params<f32>>(before: &N, after: &N) -> f64 {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for i in 0..N::TENSORS {
        for (&a, &b) in before.tensor(i).iter().zip(after.tensor(i)) {
            diff += (f64::from(b) - f64::from(a)).powi(2);
            norm += f64::from(a).powi(2);
        }
    }
    (diff / norm).sqrt()
}

/// A network that ends as it started learned nothing, whatever its R² (an untrained
/// network between fitted scalers can score well on near-linear data): the updates were
/// below the weights' resolution (e.g. `--lr 1e-30`), or early stopping went back to the
/// untrained weights because every step made the loss worse.
pub(crate) fn unchanged<const IN: usize, const OUT: usize, T: fitting::Task<IN, OUT>>(
    trained: &fitting::Trained<IN, OUT, T>,
    args: &Args,
) -> Option<String> {
    let change = relative_change(&trained.initial, &trained.model.net);
    if change >= f64::from(f32::EPSILON) {
        return None;
    }
    let lr = args.lr;
    let losses = trained.history.train.to_vec();
    // Every later loss above the first (or not finite): each step made it worse.
    let worse = losses.len() > 1 && losses[1..].iter().all(|&l| l > losses[0] || l.is_nan());
    Some(match trained.history.best_epoch {
        // One epoch with early stopping: its loss is measured before its update, so the
        // weights restored are the untrained ones, whatever the learning rate.
        Some(0) if args.patience.is_some() && change == 0.0 && losses.len() == 1 => format!(
            "--epochs {} with --patience: the one epoch's loss is the untrained network's \
             (measured before its update), so early stopping kept those weights; train more \
             epochs",
            args.epochs
        ),
        Some(0) if args.patience.is_some() && change == 0.0 && worse => format!(
            "no epoch improved on the untrained network's loss, so early stopping kept its \
             weights: the learning rate {} is likely too large (try --lr {})",
            verdict::flag_value(lr),
            verdict::flag_value(lr / 10.0)
        ),
        _ => format!(
            "training changed the weights by {change:.1e} of their size, below f32 \
             resolution ({:.1e}): the learning rate {} is too small to have an effect \
             (the default is --lr {})",
            f32::EPSILON,
            verdict::flag_value(lr),
            args.default_of("lr").unwrap_or("?"),
        ),
    })
}

#[cfg(test)]
mod tests;
