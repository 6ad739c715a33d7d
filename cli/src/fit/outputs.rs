//! The run's outputs, in one commit: the model (its file and its Rust export), the plots
//! and `summary.json` are staged, then moved into place together (see `constnet::fsutil`)
//! only when all of them were written. A failure part-way (a full disk, a plot that cannot
//! be drawn, a folder where a file should be) or a kill before the moves leaves every
//! previous file as it was. `summary.json` is moved last: if it is from this run, so is
//! everything beside it (a crash during the moves themselves can leave new files before it
//! beside old ones after it).

use std::path::PathBuf;

use constnet::export;
use constnet::fsutil::resolve_target;
use constnet::plot::{self, PredictionPlot, Series};
use nalgebra::{Const, Dyn, OMatrix};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use super::Trained;
use super::args::Args;
use super::summary::Summary;
use super::{Data, Int8, Model};
use crate::columns::Columns;
use crate::model::{self, Meta, RunResult};
use crate::staging::Staging;

/// Every file a run writes (or removes), with the flag that asked for it.
fn outputs(args: &Args) -> Vec<(&'static str, PathBuf)> {
    let mut all = Vec::new();
    if let Some(p) = &args.save {
        all.push(("--save", p.clone()));
    }
    if let Some(p) = &args.export_rs {
        all.push(("--export-rs", p.clone()));
    }
    for name in [
        "loss.png",
        "fit.png",
        "diagnostics.png",
        "summary.json",
        "folds.csv",
    ] {
        all.push(("--out", args.out.join(name)));
    }
    all
}

/// The files a run reads.
fn inputs(args: &Args) -> Vec<(&'static str, &PathBuf)> {
    let mut all = Vec::new();
    if let Some(p) = &args.data {
        all.push(("--data", p));
    }
    if let Some(p) = &args.load {
        all.push(("--load", p));
    }
    all
}

/// Checks, before any work, that no output would overwrite an input (through links and
/// `..` too) and that `--save` / `--export-rs` name a file in an existing folder. The
/// outputs' clashes with each other are caught by the staging itself.
pub fn check(args: &Args) -> RunResult<()> {
    let inputs: Vec<_> = inputs(args)
        .into_iter()
        .filter_map(|(flag, p)| resolve_target(p).ok().map(|t| (flag, p, t)))
        .collect();
    let mut seen: Vec<(&str, PathBuf, PathBuf)> = Vec::new();
    for (flag, path) in outputs(args) {
        let target = resolve_target(&path).map_err(|e| format!("{flag}: {e}"))?;
        // What the staging would refuse after training, said now for the model's files
        // (a folder, a device or FIFO where the file should go).
        if flag != "--out"
            && let Ok(meta) = std::fs::metadata(&target)
            && !meta.is_file()
        {
            let what = match meta.is_dir() {
                true => "is a folder",
                false => "is not a regular file (a device, FIFO or socket)",
            };
            return Err(format!(
                "{flag} {}: {what}; it names the file to write",
                path.display()
            )
            .into());
        }
        // Caught here, before any work, rather than by the staging after training.
        if let Some((other, other_path, _)) = seen.iter().find(|(_, _, t)| *t == target) {
            return Err(format!(
                "{flag} {} and {other} {} are the same file",
                path.display(),
                other_path.display()
            )
            .into());
        }
        seen.push((flag, path.clone(), target.clone()));
        if let Some((input_flag, input, _)) = inputs.iter().find(|(_, _, t)| *t == target) {
            return Err(format!(
                "{flag} {} would overwrite the input {input_flag} {}",
                path.display(),
                input.display()
            )
            .into());
        }
    }
    Ok(())
}

/// Stages `--save` and, unless an int8 model is still to be made (`--quantize int8`),
/// `--export-rs` of the float model.
pub fn stage_model<const IN: usize>(
    staging: &mut Staging,
    args: &Args,
    model: &Model<IN>,
    meta: &Meta,
) -> RunResult<()> {
    if let Some(path) = &args.save {
        staging.write_bytes(path, &model::encode(model, meta, path)?)?;
    }
    if let (Some(path), false) = (&args.export_rs, args.quantize_int8) {
        staging.write_bytes(path, export::encode(model).as_bytes())?;
    }
    Ok(())
}

/// Stages `--export-rs` of the int8 model (`--quantize int8`), once it is made.
pub fn stage_int8_export<const IN: usize>(
    staging: &mut Staging,
    args: &Args,
    int8: Option<&Int8<IN>>,
) -> RunResult<()> {
    let (Some(path), Some(q)) = (&args.export_rs, int8) else {
        return Ok(());
    };
    staging.write_bytes(path, constnet::quant::export::encode(q).as_bytes())?;
    Ok(())
}

/// Stages the plots and `summary.json` after what `staging` holds (the model, if it is
/// saved), then moves everything into place; on error nothing is moved. The `--out` folder
/// must exist. `trained` is `None` for a loaded model.
pub fn write<const IN: usize>(
    mut staging: Staging,
    args: &Args,
    columns: &Columns,
    (model, train): (&Model<IN>, &Data<IN>),
    trained: Option<&Trained<IN>>,
    summary: &Summary,
) -> RunResult<()> {
    let loss_png = args.out.join("loss.png");
    let diagnostics_png = args.out.join("diagnostics.png");
    // Cross-validation's fold list belongs to another kind of run, and so does a
    // classifier's confusion matrix.
    staging.remove(&args.out.join("folds.csv"))?;
    staging.remove(&args.out.join("confusion.png"))?;
    match trained {
        // A loaded model has no loss curve or diagnostics: an earlier run's must not sit
        // beside this run's summary.
        None => {
            staging.remove(&loss_png)?;
            staging.remove(&diagnostics_png)?;
        }
        Some(t) => {
            let mut history = t.history.clone();
            // The best epoch means something only when it chose the weights.
            if args.patience.is_none() {
                history.best_epoch = None;
            }
            let png = plot::history(&history, "MSE")?;
            staging.write_bytes(&loss_png, png.as_bytes())?;
            staging.write_bytes(
                &diagnostics_png,
                plot::diagnostics(&t.snapshots)?.as_bytes(),
            )?;
        }
    }
    let fit = fit_plot(model, train, args, columns)?;
    staging.write_bytes(&args.out.join("fit.png"), fit.as_bytes())?;
    staging.write_bytes(&args.out.join("summary.json"), summary.json().as_bytes())?;
    #[cfg(test)]
    super::tests::kill::pause_before_commit();
    staging.commit()?;
    Ok(())
}

/// The most training points the fit plot draws: more are indistinguishable in an 800-pixel
/// wide picture and only cost memory and drawing time.
const MAX_PLOT_POINTS: usize = 20_000;

/// Training points (all of them up to [`MAX_PLOT_POINTS`], else a seeded sample of that
/// many) against the model: for one input, the points and the model's curve over their
/// range (and the true cubic, for synthetic data), axes named after the columns; for more
/// inputs, each point's prediction against its target, beside the diagonal of perfect
/// predictions.
fn fit_plot<const IN: usize>(
    model: &Model<IN>,
    train: &Data<IN>,
    args: &Args,
    columns: &Columns,
) -> RunResult<plot::Png> {
    let synthetic = args.data.is_none();
    // Its own RNG, so the sample does not depend on how much training drew before.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let points = train.sample(MAX_PLOT_POINTS, &mut rng)?;
    let targets = to_f64(points.y().as_slice());
    // A sample says so in the legend: the picture must not pass for all the data.
    let label = if points.len() < train.len() {
        format!("training data ({} of {})", points.len(), train.len())
    } else {
        "training data".to_owned()
    };
    let target = columns.target.as_str();
    if IN > 1 {
        let predicted = to_f64(constnet::eval::predict(model, points.x())?.as_slice());
        let (lo, hi) = targets
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let diagonal = [lo, hi];
        let (x_label, y_label) = (format!("{target} (data)"), format!("{target} (predicted)"));
        let plot = PredictionPlot::new(
            Series::new(&label, &targets, &predicted),
            Series::new("perfect prediction", &diagonal, &diagonal),
        )
        .title("Predictions against the data")
        .x_label(&x_label)
        .y_label(&y_label);
        return Ok(plot::predictions(&plot)?);
    }
    let points_x = to_f64(points.x().as_slice());
    let (lo, hi) = points_x
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let grid = OMatrix::<f32, Const<IN>, Dyn>::from_fn(400, |_, j| {
        (lo + (hi - lo) * j as f64 / 399.0) as f32
    });
    let curve_x = to_f64(grid.as_slice());
    let curve_y = to_f64(constnet::eval::predict(model, &grid)?.as_slice());
    let truth_y: Vec<f64> = curve_x.iter().map(|x| x * x * x).collect();
    let mut plot = PredictionPlot::new(
        Series::new(&label, &points_x, &targets),
        Series::new("network prediction", &curve_x, &curve_y),
    )
    .title(if synthetic {
        "y = x³ + ε: prediction vs truth"
    } else {
        "Model fit"
    })
    .x_label(&columns.inputs[0])
    .y_label(target);
    if synthetic {
        plot = plot.truth(Series::new("true y = x³", &curve_x, &truth_y));
    }
    Ok(plot::predictions(&plot)?)
}

fn to_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// A JSON number, or `null` for a non-finite value (JSON has no NaN).
pub fn number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}
