//! `summary.json`: the run's settings and measured results.
//!
//! Written with serde_json, so every string (a path with a tab, a quote or a newline) is
//! escaped and no number is NaN. A field that means nothing for this run is `null`: the
//! training settings of a loaded model, the synthetic-data settings of CSV data, the
//! momentum of an optimizer without one, and an R² that is undefined (constant targets),
//! whose reason is then in `train_r2_undefined` / `test_r2_undefined`. Paths that are not
//! UTF-8 are written lossily (JSON strings are Unicode), with U+FFFD for the bad bytes.

use std::path::{Path, PathBuf};

use constnet::Result;
use serde_json::{Value, json};

use super::Trained;
use super::args::Args;
use super::{Data, Model};

/// An R²: its value, or why it has none.
#[derive(Clone, Debug, PartialEq)]
pub enum R2 {
    Value(f64),
    Undefined(&'static str),
}

impl R2 {
    fn value(&self) -> Value {
        match self {
            R2::Value(v) => number(*v),
            R2::Undefined(_) => Value::Null,
        }
    }

    fn reason(&self) -> Value {
        match self {
            R2::Value(_) => Value::Null,
            R2::Undefined(why) => json!(why),
        }
    }

    pub fn show(&self) -> String {
        match self {
            R2::Value(v) => format!("{v:.4}"),
            R2::Undefined(_) => "undefined".into(),
        }
    }
}

/// What a run measured.
pub struct Summary {
    json: Value,
    train_r2: R2,
    test_r2: R2,
    seconds: f64,
    epochs: usize,
    stopped_early: bool,
}

impl Summary {
    /// `trained` is `None` for a loaded model.
    pub fn new<const IN: usize>(
        args: &Args,
        model: &Model<IN>,
        train: &Data<IN>,
        test: &Data<IN>,
        trained: Option<&Trained<IN>>,
    ) -> Result<Self> {
        let (train_mse, train_r2) = evaluate(model, train)?;
        let (test_mse, test_r2) = evaluate(model, test)?;
        let synthetic = args.data.is_none();
        let when = |cond: bool, v: Value| if cond { v } else { Value::Null };
        let is_trained = trained.is_some();
        let history = trained.map(|t| &t.history);
        let scaling = |m: &[f32]| json!(m.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
        let json = json!({
            "trained": is_trained,
            "loaded_from": path(&args.load),
            "data": path(&args.data),
            "epochs": when(is_trained, json!(args.epochs)),
            "epochs_run": history.map_or(Value::Null, |h| json!(h.train.len())),
            "stopped_early": history.map_or(Value::Null, |h| json!(h.stopped_early)),
            // Counted from 1; only when it chose the weights (--patience).
            "best_epoch": history
                .and_then(|h| h.best_epoch)
                .filter(|_| args.patience.is_some())
                .map_or(Value::Null, |e| json!(e + 1)),
            "patience": when(is_trained, json!(args.patience)),
            "val_fraction": when(is_trained, json!(args.val_fraction)),
            "min_delta": when(is_trained && args.patience.is_some(), number(args.min_delta)),
            "n_val": trained.map_or(Value::Null, |t| json!(t.n_val)),
            "final_val_mse": history
                .and_then(|h| h.val.last())
                .map_or(Value::Null, number),
            "lr": when(is_trained, number(args.lr)),
            "optimizer": when(is_trained, json!(args.optimizer.name())),
            "momentum": when(is_trained && args.optimizer.uses_momentum(), number(args.momentum)),
            "batch_size": trained.map_or(Value::Null, |t| {
                json!(args.batch_size.map_or(t.fitted.len(), |b| b.min(t.fitted.len())))
            }),
            "scale": when(is_trained, json!(args.scale.name())),
            "input_mean": scaling(model.input.mean.as_slice()),
            "input_std": scaling(model.input.std.as_slice()),
            "target_mean": scaling(model.output.mean.as_slice()),
            "target_std": scaling(model.output.std.as_slice()),
            "seed": args.seed,
            "samples": when(synthetic, json!(args.samples)),
            "noise": when(synthetic, number(args.noise)),
            // Rows the network was trained on; the validation rows --val-fraction took from
            // the training split are `n_val` (train_r2 and train_mse cover both).
            "n_train": train.len() - trained.map_or(0, |t| t.n_val),
            "n_test": test.len(),
            // The last epoch's loss as training saw it: in the network's (scaled) units.
            "final_train_loss": history
                .and_then(|h| h.train.last())
                .map_or(Value::Null, number),
            "train_mse": number(train_mse),
            "test_mse": number(test_mse),
            "train_r2": train_r2.value(),
            "train_r2_undefined": train_r2.reason(),
            "test_r2": test_r2.value(),
            "test_r2_undefined": test_r2.reason(),
            "train_seconds": trained.map_or(Value::Null, |t| number(t.seconds)),
        });
        Ok(Summary {
            json,
            train_r2,
            test_r2,
            seconds: trained.map_or(0.0, |t| t.seconds),
            epochs: history.map_or(0, |h| h.train.len()),
            stopped_early: history.is_some_and(|h| h.stopped_early),
        })
    }

    /// The test R².
    pub fn test_r2(&self) -> &R2 {
        &self.test_r2
    }

    /// The JSON text, pretty-printed (keys in alphabetical order).
    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.json).expect("a Value always serializes");
        text.push('\n');
        text
    }

    /// The last stdout line: a short human summary.
    pub fn line(&self, out: &Path) -> String {
        let how = if self.epochs > 0 {
            let early = if self.stopped_early {
                ", stopped early"
            } else {
                ""
            };
            format!(
                "trained {} epochs{early} in {:.3} s",
                self.epochs, self.seconds
            )
        } else {
            "loaded, not trained".into()
        };
        let reason = [&self.train_r2, &self.test_r2]
            .into_iter()
            .find_map(|r| match r {
                R2::Undefined(why) => Some(format!(" [{why}]")),
                R2::Value(_) => None,
            })
            .unwrap_or_default();
        format!(
            "train R² {}, test R² {}{reason} ({how}); plots and summary.json in {}",
            self.train_r2.show(),
            self.test_r2.show(),
            out.display()
        )
    }
}

/// MSE and R² of the model on a data set, in blocks (`constnet::eval::scores`: memory does
/// not grow with the data); an undefined R² is a value of this run, not an error (the model
/// is still good to save).
pub fn evaluate<const IN: usize>(model: &Model<IN>, data: &Data<IN>) -> Result<(f64, R2)> {
    let scores = constnet::eval::scores(model, data.x(), data.y())?;
    let r2 = match scores.r2 {
        Some(v) => R2::Value(v),
        None => R2::Undefined(constnet::metrics::CONSTANT_TARGETS),
    };
    Ok((scores.mse, r2))
}

/// A JSON number, or `null` for a non-finite value (JSON has no NaN).
fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn path(p: &Option<PathBuf>) -> Value {
    p.as_ref()
        .map_or(Value::Null, |p| json!(p.to_string_lossy()))
}
