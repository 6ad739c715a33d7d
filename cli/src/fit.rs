//! The seed experiment: learn `y = x³ + ε` with a 1 → 64 → 64 → 1 ReLU network, plain SGD,
//! lr 0.01, 900 full-batch epochs, then report R² and draw the loss curve and the fit.
//!
//! `cargo run --release --example cubic` (add `-- --help` for the flags).

mod args;
mod cv;
mod fitting;
mod outputs;
mod summary;
mod verdict;

use std::process::ExitCode;

use constnet::data::{Dataset, cubic};
use constnet::error::CsvFields;
use constnet::fsutil::Staging;
use constnet::{Dense, Error, Params, Relu, Scaled, metrics, net};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use args::Args;
use fitting::Trained;
use summary::{R2, Summary};

/// The seed network: its shape is its type.
type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
/// The model: the seed network between its input and target scalers (identity, the seed
/// experiment's raw units, with `--scale none`), so it takes and gives raw units.
type Model = Scaled<SeedNet, 1, 1>;
type Data = Dataset<f32, 1, 1>;
/// Any error of a run: the library's, or the example's own (a flag conflict, an output
/// that would overwrite an input), printed as one line.
type RunResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    let args = match args::parse(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("cubic: error: {}", one_line(&message));
            return ExitCode::from(2);
        }
    };
    if args.help {
        print!("{}", args::help());
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(line) => {
            println!("{}", one_line(&line));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cubic: error: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// A message on one line even if a path in it holds a line break.
fn one_line(message: &str) -> String {
    message.replace('\n', "\\n").replace('\r', "\\r")
}

fn warn(message: &str) {
    eprintln!("cubic: warning: {}", one_line(message));
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

/// [`run`] once the `--out` folder exists.
fn run_in(args: &Args) -> RunResult<String> {
    // Before any work: an output that would overwrite an input, or land in a folder that
    // does not exist, is an error now rather than after training.
    outputs::check(args)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    if let Some(k) = args.folds {
        let data = load_all(args, &mut rng)?;
        return cv::run(args, k, &data, &mut rng);
    }
    let (train, test) = load_data(args, &mut rng)?;
    let Some(load) = &args.load else {
        return train_and_report(args, &train, &test, &mut rng);
    };
    let model = load_model(load)?;
    let mut staging = Staging::new();
    outputs::stage_model(&mut staging, args, &model)?;
    let int8 = quantize(args, &model, &train, &test)?;
    outputs::stage_int8_export(&mut staging, args, int8.as_ref().map(|(q, _)| q))?;
    // The file's weights are the cause of a non-finite prediction: name it.
    let summary = Summary::new(args, &model, &train, &test, None, None)
        .map_err(|e| format!("--load {}: {e}", load.display()))?;
    outputs::write(staging, args, &model, &train, None, &summary)?;
    Ok(finish(summary.line(&args.out), int8.as_ref()))
}

/// Trains, judges, evaluates and plots, then writes the model, plots and summary together
/// (nothing if any of it fails). A network that learned nothing is not saved: the run
/// writes its plots and summary (so the user can look) and fails with the cause and the
/// remedy.
fn train_and_report(
    args: &Args,
    train: &Data,
    test: &Data,
    rng: &mut Xoshiro256PlusPlus,
) -> RunResult<String> {
    let trained = match fitting::train(args, train, rng) {
        Ok(trained) => trained,
        Err(failed) => {
            let why = verdict::explain(args, failed.error.as_ref(), train);
            // A run that got going failed for its dynamics: what it recorded up to the
            // failure is written, so the user can look. A setting rejected before the
            // first epoch (e.g. a negative learning rate) writes nothing.
            let dynamics = matches!(
                failed.error.downcast_ref::<Error>(),
                Some(Error::Diverged { .. } | Error::LossOverflow { .. })
            );
            if dynamics || !failed.losses.is_empty() {
                let summary = Summary::failed(args, train, test, &failed, &why);
                outputs::write_failed(args, &failed, &summary)?;
            }
            return Err(why.into());
        }
    };
    let verdict = match unchanged(&trained, args) {
        Some(why) => Err(why),
        None => verdict::check(args, &trained, train),
    };
    let model = &trained.model;
    // Staged now, moved into place with the plots and summary: a run killed or failing
    // before that leaves the previous model beside the previous plots.
    let mut staging = Staging::new();
    let int8 = match verdict {
        Ok(()) => {
            outputs::stage_model(&mut staging, args, model)?;
            let int8 = quantize(args, model, train, test)?;
            outputs::stage_int8_export(&mut staging, args, int8.as_ref().map(|(q, _)| q))?;
            int8
        }
        Err(_) => None,
    };
    let failure = verdict.as_ref().err().map(String::as_str);
    let summary = Summary::new(args, model, train, test, Some(&trained), failure)?;
    outputs::write(staging, args, model, train, Some(&trained), &summary)?;
    let h = &trained.history;
    let stopped = match h.stopped_by_caller {
        true => format!(
            " (training stopped at epoch {} of {})",
            h.train.len(),
            args.epochs
        ),
        false => String::new(),
    };
    verdict.map_err(|why| format!("the network learned nothing{stopped}: {why}"))?;
    Ok(finish(summary.line(&args.out), int8.as_ref()))
}

/// The last line, with the int8 model's test R² if there is one.
fn finish(line: String, int8: Option<&(Int8, R2)>) -> String {
    match int8 {
        Some((_, r2)) => format!("{line}; int8 test R² {}", r2.show()),
        None => line,
    }
}

/// Model files: a constnet model file or safetensors of [`Model`], or of the bare seed
/// network (a file from before the model held its scaling, or a PyTorch `nn.Sequential`
/// state dict), which loads with identity scaling.
fn load_model(path: &std::path::Path) -> RunResult<Model> {
    let named = |e: Error| -> Box<dyn std::error::Error> {
        match e {
            // Model-file errors do not carry the path: name it here.
            Error::Format(_) | Error::Safetensors(_) => {
                format!("--load {}: {e}", path.display()).into()
            }
            other => other.into(),
        }
    };
    match constnet::safetensors::load_auto::<f32, Model>(path) {
        Ok(model) => check_scalers(&model)
            .map(|()| model)
            .map_err(|why| format!("--load {}: {why}", path.display()).into()),
        Err(e @ (Error::Format(_) | Error::Safetensors(_))) => {
            match constnet::safetensors::load_auto::<f32, SeedNet>(path) {
                Ok(seed) => Ok(Model::new(seed)),
                // The file is neither: report it as the model it should have been.
                Err(_) => Err(named(e)),
            }
        }
        Err(e) => Err(named(e)),
    }
}

/// A model file's scalers must be usable: finite means, finite non-zero deviations (a file
/// checks its bytes, not what they mean; a zero `std` would make every prediction
/// infinite).
fn check_scalers(model: &Model) -> Result<(), String> {
    let parts = [
        (
            "input",
            model.input.mean.as_slice(),
            model.input.std.as_slice(),
        ),
        (
            "target",
            model.output.mean.as_slice(),
            model.output.std.as_slice(),
        ),
    ];
    for (what, mean, std) in parts {
        let bad_mean = mean.iter().any(|m| !m.is_finite());
        let bad_std = std
            .iter()
            .any(|s| !s.is_finite() || *s == 0.0 || !(1.0 / s).is_finite());
        if bad_mean || bad_std {
            return Err(format!(
                "the model's {what} scaling is unusable (mean {mean:?}, std {std:?}): \
                 means must be finite and standard deviations finite and non-zero"
            ));
        }
    }
    Ok(())
}

/// The int8 model of the seed network inside [`Model`].
type Int8 = constnet::quant::QModel<<SeedNet as constnet::quant::Quantize>::Q, 1, 1>;

/// At most this many training inputs calibrate the int8 ranges (a seeded sample of more):
/// quantization keeps every layer's activations for them.
const CALIBRATION_SAMPLES: usize = 20_000;

/// `--quantize int8`: the seed network quantized on (a sample of) the training inputs in
/// its own units, the data a deployment would calibrate on.
fn quantize(
    args: &Args,
    model: &Model,
    train: &Data,
    test: &Data,
) -> RunResult<Option<(Int8, R2)>> {
    if !args.quantize_int8 {
        return Ok(None);
    }
    // The int8 export is the bare network: a model that scales (one loaded from a file
    // trained with --scale standard) would run on the device in the wrong units.
    if args.export_rs.is_some() && !identity_scaling(model) {
        let from = match &args.load {
            Some(path) => format!("the model loaded from {}", path.display()),
            None => "this model".to_owned(),
        };
        return Err(format!(
            "--export-rs with --quantize int8 writes the int8 network without the model's \
             scaling, and {from} scales its inputs or targets: export the float model \
             (drop --quantize int8), or train one with --scale none"
        )
        .into());
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let sample = train.sample(CALIBRATION_SAMPLES, &mut rng)?;
    let x = constnet::Forward::forward(&model.input, sample.x());
    let q = constnet::quant::quantize(&model.net, &x)?;
    let r2 = match int8_r2(&q, model, test) {
        Ok(v) => R2::Value(v),
        // Constant test targets: undefined, as the float model's R² (not a failed run).
        Err(Error::Undefined(why)) => R2::Undefined(why),
        Err(e) => return Err(e.into()),
    };
    Ok(Some((q, r2)))
}

/// Whether the model's scalers pass every value through (mean 0, std 1).
fn identity_scaling(model: &Model) -> bool {
    let unit =
        |mean: &[f32], std: &[f32]| mean.iter().all(|&m| m == 0.0) && std.iter().all(|&s| s == 1.0);
    unit(model.input.mean.as_slice(), model.input.std.as_slice())
        && unit(model.output.mean.as_slice(), model.output.std.as_slice())
}

/// Test R² of the int8 model (integer inference between float edges), between the model's
/// float scalers.
fn int8_r2(q: &Int8, model: &Model, test: &Data) -> constnet::Result<f64> {
    use constnet::Forward;
    let x = model.input.forward(test.x());
    let pred: Vec<f32> = x
        .iter()
        .map(|&x| {
            let y = nalgebra::SVector::<f32, 1>::from([q.predict(&[x])[0]]);
            model.output.forward(&y)[0]
        })
        .collect();
    metrics::r2(&pred, test.y().as_slice())
}

/// `‖θ − θ₀‖ / ‖θ₀‖` over every parameter of the network.
fn relative_change(before: &SeedNet, after: &SeedNet) -> f64 {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for i in 0..SeedNet::TENSORS {
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
pub(crate) fn unchanged(trained: &Trained, args: &Args) -> Option<String> {
    let change = relative_change(&trained.initial, &trained.model.net);
    if change >= f64::from(f32::EPSILON) {
        return None;
    }
    let lr = args.lr;
    let losses = trained.history.train.to_vec();
    // Every later loss above the first (or not finite): each step made it worse.
    let worse = losses.len() > 1 && losses[1..].iter().all(|&l| l > losses[0] || l.is_nan());
    Some(match trained.history.best_epoch {
        Some(0) if args.patience.is_some() && change == 0.0 && worse => format!(
            "no epoch improved on the untrained network's loss, so early stopping kept its \
             weights: the learning rate {} is likely too large (try --lr {})",
            verdict::flag_value(lr),
            verdict::flag_value(lr / 10.0)
        ),
        _ => format!(
            "training changed the weights by {change:.1e} of their size, below f32 \
             resolution ({:.1e}): the learning rate {} is too small to have an effect \
             (the default is --lr 0.01)",
            f32::EPSILON,
            verdict::flag_value(lr),
        ),
    })
}

/// All the data, for cross-validation: the user's CSV, or one synthetic draw of
/// `--samples` points.
fn load_all(args: &Args, rng: &mut Xoshiro256PlusPlus) -> RunResult<Data> {
    match &args.data {
        None => Ok(synthetic(args, rng)?),
        Some(path) => read_csv(path),
    }
}

/// The CSV at `path`; errors that do not name the file (no data rows, a width mismatch)
/// get its name.
fn read_csv(path: &std::path::Path) -> RunResult<Data> {
    Data::from_csv_path(path).map_err(|e| match e {
        // More columns than `x,y` on the first line (header or first row): say what this
        // example is for, and where several inputs go. A ragged row further down is just
        // broken.
        Error::Csv {
            fields:
                Some(CsvFields {
                    found,
                    first_line: true,
                    ..
                }),
            ..
        } if found > 2 => format!(
            "{e}; this example learns one input column x -> one target y: for several \
             inputs, read the columns by name with the library \
             (Dataset::from_csv_columns_path; see examples/03_ethanol.rs)"
        )
        .into(),
        Error::Io { .. } | Error::Csv { .. } => Box::<dyn std::error::Error>::from(e),
        other => format!("--data {}: {other}", path.display()).into(),
    })
}

/// `--samples` points of `y = x³ + ε`; a draw beyond `f32` (`--noise 1e39`) is blamed on
/// `--noise`, not reported as a NaN in the targets.
fn synthetic(args: &Args, rng: &mut Xoshiro256PlusPlus) -> RunResult<Data> {
    cubic(args.samples, args.noise, rng).map_err(|e| match e {
        Error::NonFinite { what: "y", .. } => format!(
            "--noise {}: y = x³ + ε overflows f32 (at most {:e}) for noise this large; \
             use a smaller --noise",
            verdict::flag_value(args.noise),
            f32::MAX
        )
        .into(),
        other => other.into(),
    })
}

/// The default synthetic data (train and held-out test drawn alike), or the user's CSV split
/// 80/20.
fn load_data(args: &Args, rng: &mut Xoshiro256PlusPlus) -> RunResult<(Data, Data)> {
    match &args.data {
        None => Ok((synthetic(args, rng)?, synthetic(args, rng)?)),
        Some(path) => {
            let data = read_csv(path)?;
            // R² needs at least two held-out samples: ceil(20%) ≥ 2 from 6 rows on.
            if data.len() < 6 {
                return Err(Error::InvalidParameter {
                    name: "--data",
                    reason: "needs at least 6 rows (a fifth is held out to test on)",
                }
                .into());
            }
            Ok(data.split(0.2, rng)?)
        }
    }
}

#[cfg(test)]
mod tests;
