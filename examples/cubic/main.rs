//! The seed experiment: learn `y = x³ + ε` with a 1 → 64 → 64 → 1 ReLU network, plain SGD,
//! lr 0.01, 900 full-batch epochs, then report R² and draw the loss curve and the fit.
//!
//! `cargo run --release --example cubic` (add `-- --help` for the flags).

mod args;
mod outputs;
mod summary;

use std::process::ExitCode;
use std::time::Instant;

use constnet::data::{Dataset, cubic};
use constnet::train::{TrainConfig, fit};
use constnet::{
    AdamConfig, Dense, Error, Init, InitScheme, Momentum, Optimizer, Params, Relu, Sgd, metrics,
    net,
};
use nalgebra::{Const, Dyn, OMatrix};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use args::{Args, OptimizerKind};
use summary::Summary;

/// The seed network: its shape is its type.
type Model = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
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
    // if the run fails and it is still empty.
    let created = !args.out.exists();
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let result = run_in(args);
    if result.is_err() && created {
        let _ = std::fs::remove_dir(&args.out);
    }
    result
}

/// [`run`] once the `--out` folder exists.
fn run_in(args: &Args) -> RunResult<String> {
    // Before any work: an output that would overwrite an input, or land in a folder that
    // does not exist, is an error now rather than after training.
    outputs::check(args)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let (train, test) = load_data(args, &mut rng)?;
    let (model, losses, seconds) = match &args.load {
        Some(path) => {
            // Model-file errors do not carry the path: name it here.
            let loaded = constnet::safetensors::load_auto::<f32, Model>(path);
            let model = loaded.map_err(|e| match e {
                Error::Format(_) | Error::Safetensors(_) => {
                    format!("--load {}: {e}", path.display()).into()
                }
                other => Box::<dyn std::error::Error>::from(other),
            })?;
            (model, Vec::new(), 0.0)
        }
        None => {
            let mut model: Model = Init::init(&mut rng, InitScheme::He);
            let initial = model.clone();
            let started = Instant::now();
            let losses = train_model(&mut model, &train, args)?;
            let seconds = started.elapsed().as_secs_f64();
            if let Some(warning) = unchanged_warning(&initial, &model, args.lr) {
                warn(&warning);
            }
            (model, losses, seconds)
        }
    };

    let summary = Summary::new(args, &model, &train, &test, &losses, seconds)?;
    // Quantized on the training inputs (the data a deployment would calibrate on).
    let int8 = match args.quantize_int8 {
        true => Some(constnet::quant::quantize(&model, train.x())?),
        false => None,
    };
    outputs::write(args, &model, int8.as_ref(), &train, &losses, &summary)?;
    let line = summary.line(&args.out);
    match &int8 {
        Some(q) => Ok(format!("{line}; int8 test R² {:.4}", int8_r2(q, &test)?)),
        None => Ok(line),
    }
}

/// The int8 model, as quantized from [`Model`].
type Int8 = constnet::quant::QModel<<Model as constnet::quant::Quantize>::Q, 1, 1>;

/// Test R² of the int8 model (integer inference between float edges).
fn int8_r2(q: &Int8, test: &Data) -> constnet::Result<f64> {
    let pred: Vec<f32> = test.x().iter().map(|&x| q.predict(&[x])[0]).collect();
    metrics::r2(&pred, test.y().as_slice())
}

/// `‖θ − θ₀‖ / ‖θ₀‖` over every parameter.
fn relative_change(before: &Model, after: &Model) -> f64 {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for i in 0..Model::TENSORS {
        for (&a, &b) in before.tensor(i).iter().zip(after.tensor(i)) {
            diff += (f64::from(b) - f64::from(a)).powi(2);
            norm += f64::from(a).powi(2);
        }
    }
    (diff / norm).sqrt()
}

/// Training whose updates are all below the weights' resolution (e.g. `--lr 1e-30`)
/// leaves them as they were: say so rather than report an untrained model as trained.
fn unchanged_warning(before: &Model, after: &Model, lr: f64) -> Option<String> {
    let change = relative_change(before, after);
    (change < f64::from(f32::EPSILON)).then(|| {
        format!(
            "training changed the weights by {change:.1e} of their size, below f32 \
             resolution ({:.1e}): the learning rate {lr:e} is too small to have an effect",
            f32::EPSILON
        )
    })
}

/// The default synthetic data (train and held-out test drawn alike), or the user's CSV split
/// 80/20.
fn load_data(args: &Args, rng: &mut Xoshiro256PlusPlus) -> RunResult<(Data, Data)> {
    match &args.data {
        None => Ok((
            cubic(args.samples, args.noise, rng)?,
            cubic(args.samples, args.noise, rng)?,
        )),
        Some(path) => {
            // Errors that do not name the file (no data rows, a width mismatch) get its name.
            let data = Data::from_csv_path(path).map_err(|e| match e {
                Error::Io { .. } | Error::Csv { .. } => Box::<dyn std::error::Error>::from(e),
                other => format!("--data {}: {other}", path.display()).into(),
            })?;
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

/// Trains with the chosen optimizer, printing about ten progress lines to stderr.
fn train_model(model: &mut Model, train: &Data, args: &Args) -> constnet::Result<Vec<f64>> {
    let config = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        shuffle_seed: args.seed,
        drop_last: false,
        early_stopping: None,
    };
    let every = (args.epochs / 10).max(1);
    let progress = |epoch: usize, loss: f64| {
        if !args.quiet && ((epoch + 1).is_multiple_of(every) || epoch + 1 == args.epochs) {
            eprintln!("epoch {:>6}/{}  loss {loss:.6}", epoch + 1, args.epochs);
        }
    };
    let (x, y, t) = (train.x(), train.y(), args.threads);
    match args.optimizer {
        OptimizerKind::Sgd => fit_with(model, &mut Sgd::new(args.lr)?, x, y, &config, t, progress),
        OptimizerKind::Momentum => {
            let mut opt = Momentum::new(args.lr, args.momentum)?;
            fit_with(model, &mut opt, x, y, &config, t, progress)
        }
        OptimizerKind::Nesterov => {
            let mut opt = Momentum::nesterov(args.lr, args.momentum)?;
            fit_with(model, &mut opt, x, y, &config, t, progress)
        }
        OptimizerKind::Adam => {
            let adam = AdamConfig {
                lr: args.lr,
                ..AdamConfig::default()
            };
            fit_with(model, &mut adam.build()?, x, y, &config, t, progress)
        }
    }
}

/// [`fit`], or `fit_parallel` for `--threads 2`.
fn fit_with<O: Optimizer<f32, Model>>(
    model: &mut Model,
    opt: &mut O,
    x: &OMatrix<f32, Const<1>, Dyn>,
    y: &OMatrix<f32, Const<1>, Dyn>,
    config: &TrainConfig,
    threads: usize,
    progress: impl FnMut(usize, f64),
) -> constnet::Result<Vec<f64>> {
    match threads {
        #[cfg(feature = "parallel")]
        2 => constnet::train::fit_parallel(model, opt, x, y, config, progress),
        #[cfg(not(feature = "parallel"))]
        2 => Err(Error::InvalidParameter {
            name: "--threads",
            reason: "2 needs the example built with `--features parallel`",
        }),
        _ => fit(model, opt, x, y, config, progress),
    }
}

#[cfg(test)]
mod tests;
