//! The seed experiment: learn `y = x³ + ε` with a 1 → 64 → 64 → 1 ReLU network, plain SGD,
//! lr 0.01, 900 full-batch epochs, then report R² and draw the loss curve and the fit.
//!
//! `cargo run --release --example cubic` (add `-- --help` for the flags).

mod args;
mod summary;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use constnet::data::{Dataset, cubic};
use constnet::plot::{FitPlot, Series};
use constnet::train::{TrainConfig, fit};
use constnet::{
    AdamConfig, Dense, Error, Forward, Init, InitScheme, Momentum, Optimizer, Relu, Result, Sgd,
    metrics, net, persist, plot,
};
use nalgebra::{Const, Dyn, OMatrix};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use args::{Args, OptimizerKind};
use summary::Summary;

/// The seed network: its shape is its type.
type Model = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
type Data = Dataset<f32, 1, 1>;

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("cubic: error: {message}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        print!("{}", args::HELP);
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cubic: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the experiment; returns the one-line human summary.
fn run(args: &Args) -> Result<String> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let (train, test) = load_data(args, &mut rng)?;
    let (model, losses, seconds) = match &args.load {
        Some(path) => (persist::load::<f32, Model>(path)?, Vec::new(), 0.0),
        None => {
            let mut model: Model = Init::init(&mut rng, InitScheme::He);
            let started = Instant::now();
            let losses = train_model(&mut model, &train, args)?;
            (model, losses, started.elapsed().as_secs_f64())
        }
    };

    let summary = Summary::new(args, &model, &train, &test, &losses, seconds)?;
    // Quantized on the training inputs (the data a deployment would calibrate on).
    let int8 = match args.quantize_int8 {
        true => Some(constnet::quant::quantize(&model, train.x())?),
        false => None,
    };
    write_outputs(args, &model, int8.as_ref(), &train, &losses, &summary)?;
    let line = summary.line(&args.out);
    match &int8 {
        Some(q) => Ok(format!("{line}; int8 test R² {:.4}", int8_r2(q, &test)?)),
        None => Ok(line),
    }
}

/// The int8 model, as quantized from [`Model`].
type Int8 = constnet::quant::QModel<<Model as constnet::quant::Quantize>::Q, 1, 1>;

/// Test R² of the int8 model (integer inference between float edges).
fn int8_r2(q: &Int8, test: &Data) -> Result<f64> {
    let pred: Vec<f32> = test.x().iter().map(|&x| q.predict(&[x])[0]).collect();
    metrics::r2(&pred, test.y().as_slice())
}

/// The default synthetic data (train and held-out test drawn alike), or the user's CSV split
/// 80/20.
fn load_data(args: &Args, rng: &mut Xoshiro256PlusPlus) -> Result<(Data, Data)> {
    match &args.data {
        None => Ok((
            cubic(args.samples, args.noise, rng)?,
            cubic(args.samples, args.noise, rng)?,
        )),
        Some(path) => {
            let data = Data::from_csv_path(path)?;
            // R² needs at least two held-out samples: ceil(20%) ≥ 2 from 6 rows on.
            if data.len() < 6 {
                return Err(Error::InvalidParameter {
                    name: "--data",
                    reason: "needs at least 6 rows (a fifth is held out to test on)",
                });
            }
            data.split(0.2, rng)
        }
    }
}

/// Trains with the chosen optimizer, printing about ten progress lines to stderr.
fn train_model(model: &mut Model, train: &Data, args: &Args) -> Result<Vec<f64>> {
    let config = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        shuffle_seed: args.seed,
        drop_last: false,
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
) -> Result<Vec<f64>> {
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

/// Writes the plots, `summary.json` and any requested model files.
fn write_outputs(
    args: &Args,
    model: &Model,
    int8: Option<&Int8>,
    train: &Data,
    losses: &[f64],
    summary: &Summary,
) -> Result<()> {
    std::fs::create_dir_all(&args.out).map_err(|source| Error::Io {
        path: args.out.clone(),
        source,
    })?;
    // The model files before the plots: they are the likeliest to fail (a user-given
    // path), and a failure then leaves no plots describing a run whose model was not saved.
    if let Some(path) = &args.save {
        persist::save(model, path)?;
    }
    match (&args.export_rs, int8) {
        (Some(path), Some(q)) => constnet::quant::write_qrs(q, path)?,
        (Some(path), None) => constnet::export::write_rs(model, path)?,
        (None, _) => {}
    }
    if !losses.is_empty() {
        plot::loss_curve(&args.out.join("loss.png"), losses)?;
    }
    fit_plot(&args.out.join("fit.png"), model, train, args.data.is_none())?;
    summary.write(&args.out.join("summary.json"))
}

/// Training points, the true cubic (for synthetic data) and the model's curve.
fn fit_plot(path: &Path, model: &Model, train: &Data, synthetic: bool) -> Result<()> {
    let points_x = to_f64(train.x().as_slice());
    let points_y = to_f64(train.y().as_slice());
    let (lo, hi) = points_x
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let grid = OMatrix::<f32, Const<1>, Dyn>::from_fn(400, |_, j| {
        (lo + (hi - lo) * j as f64 / 399.0) as f32
    });
    let curve_x = to_f64(grid.as_slice());
    let curve_y = to_f64(model.forward(&grid).as_slice());
    let truth_y: Vec<f64> = curve_x.iter().map(|x| x * x * x).collect();
    let plot = FitPlot {
        title: if synthetic {
            "y = x³ + ε: prediction vs truth"
        } else {
            "Model fit"
        },
        truth: synthetic.then(|| Series::new("true y = x³", &curve_x, &truth_y)),
        ..FitPlot::new(
            Series::new("training data", &points_x, &points_y),
            Series::new("network prediction", &curve_x, &curve_y),
        )
    };
    plot::fit(path, &plot)
}

fn to_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// R² and MSE of the model on a data set.
fn evaluate(model: &Model, data: &Data) -> Result<(f64, f64)> {
    let pred = model.forward(data.x());
    let target = data.y().as_slice();
    Ok((
        metrics::mse(pred.as_slice(), target)?,
        metrics::r2(pred.as_slice(), target)?,
    ))
}

#[cfg(test)]
mod tests;
