//! `constnet fit --classify`: a classifier of `K` classes, the target column holding labels
//! 0 to K − 1. Softmax cross-entropy over K logits; accuracy, per-class precision, recall
//! and F1, the confusion matrix; stratified splits and folds (each fold holds each class in
//! about its share).
//!
//! A run fails — honestly, writing nothing — when the classifier is no better on its test
//! rows than always answering their most frequent class, or when it learned nothing for
//! the reasons a regression fails (a dead hidden layer, an exploded loss, weights that did
//! not move).

use std::fmt::Write as _;

use constnet::data::{KFold, Labeled, Labels, csv_classes};
use constnet::diagnose::{self, Failure};
use constnet::metrics::Confusion;
use constnet::{Params, Scaled, eval, plot};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use serde_json::{Value, json};

use super::args::Args;
use super::fitting::{self, Classification, MAX_CLASSES};
use super::outputs::number;
use super::{unchanged, verdict};
use crate::columns::Columns;
use crate::model::{self, Meta, Model, RunResult, Task};
use crate::staging::Staging;
use crate::{with_inputs, with_k};

/// A classifier trained with the tool's head of [`MAX_CLASSES`] logits.
type Trained<const IN: usize> = fitting::Trained<IN, MAX_CLASSES, Classification>;
/// Its data: inputs and labels (below the file's class count).
type Data<const IN: usize> = Labeled<f32, IN, MAX_CLASSES>;

/// The classification run: reads the label column's classes, then trains the network of
/// that many inputs and cuts it to that many classes.
pub fn run(args: &Args, columns: &Columns) -> RunResult<String> {
    let Some(path) = &args.data else {
        return Err("--classify needs --data FILE.csv with a column of class labels".into());
    };
    if let Some(load) = &args.load {
        return Err(format!(
            "--classify trains a classifier; to run the saved one in {}: `constnet predict \
             --model {0} --data FILE.csv`",
            load.display()
        )
        .into());
    }
    let counts = csv_classes(path, &columns.target)?;
    if let Some(class) = counts.iter().position(|&c| c == 0) {
        return Err(format!(
            "{}: no row has class {class} in column `{}` (labels found: {}): the labels of K \
             classes must run from 0 to K − 1, each with at least one row",
            path.display(),
            columns.target,
            present(&counts)
        )
        .into());
    }
    if counts.len() < 2 {
        return Err(format!(
            "{}: every row of column `{}` has class 0: a classifier needs at least two classes",
            path.display(),
            columns.target
        )
        .into());
    }
    if counts.len() > MAX_CLASSES {
        return Err(model::unsupported_classes(counts.len()));
    }
    with_inputs!(columns.inputs.len(), run_typed, (args, columns, &counts))
}

/// `0 (50 rows), 1 (3 rows), …`.
fn present(counts: &[usize]) -> String {
    let found: Vec<String> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(k, c)| format!("{k} ({c} rows)"))
        .collect();
    found.join(", ")
}

/// The file's rows: inputs and labels (read for its `K`, every class checked to have a
/// row, then held as labels below [`MAX_CLASSES`]).
fn read<const IN: usize>(args: &Args, columns: &Columns, k: usize) -> RunResult<Data<IN>> {
    with_k!(k, read_k::<IN>, (args, columns))
}

fn read_k<const IN: usize, const K: usize>(args: &Args, columns: &Columns) -> RunResult<Data<IN>> {
    let path = args.data.as_deref().expect("checked by run");
    let data = Labeled::<f32, IN, K>::from_csv_labels_path(
        path,
        columns.input_array::<IN>(),
        &columns.target,
    )?;
    let (x, y) = data.into_parts();
    let inputs = columns
        .inputs
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), x.row(i).iter().copied().collect()));
    crate::outliers::check(path, inputs)?;
    Ok(Data::<IN>::labeled(x, Labels::new(y.into_vec())?)?)
}

/// The run for `IN` inputs.
fn run_typed<const IN: usize>(
    args: &Args,
    columns: &Columns,
    counts: &[usize],
) -> RunResult<String> {
    let k = counts.len();
    let data = read::<IN>(args, columns, k)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    if let Some(folds) = args.folds {
        return cross_validate(args, columns, folds, k, &data, &mut rng);
    }
    if data.len() < 10 {
        return Err(format!(
            "{} rows are too few to train on and test a classifier (at least 10)",
            data.len()
        )
        .into());
    }
    // A stratified fifth of the rows to test on: fold 1 of a stratified 5-fold split.
    let folds = KFold::stratified(data.y().as_slice(), 5, &mut rng)?;
    let (train, test) = data.fold(&folds, 0)?;
    let task = Classification { classes: k };
    let trained =
        fitting::train::<IN, MAX_CLASSES, Classification>(&task, args, columns, &train, &mut rng)
            .map_err(|failed| verdict::explain_error(failed.error.as_ref()))?;
    with_k!(
        k,
        finish::<IN>,
        (args, columns, counts, &trained, (&train, &test))
    )
}

/// The trained network cut to its `K` used logits: the classifier that is scored, saved
/// and exported (see [`Classification`] for why training has more).
fn cut<const IN: usize, const K: usize>(wide: &Model<IN, MAX_CLASSES>) -> Model<IN, K> {
    let mut net = <model::Net<IN, K> as Params<f32>>::zeros();
    // Every tensor but the last layer's is the same; the last layer keeps its first K rows.
    net.first = wide.net.first.clone();
    let last = &wide.net.second;
    net.second.w = last.w.fixed_rows::<K>(0).into_owned();
    net.second.b = last.b.fixed_rows::<K>(0).into_owned();
    let mut model = Scaled::new(net);
    model.input = wide.input.clone();
    model
}

/// What a classifier scored on some rows, without its type.
struct Score {
    accuracy: f64,
    macro_f1: f64,
    majority: f64,
    rows: u64,
    /// Row-major `K × K` counts.
    counts: Vec<u64>,
    per_class: Value,
}

fn score<const K: usize>(c: &Confusion<K>) -> RunResult<Score> {
    let per_class = (0..K)
        .map(|k| {
            json!({
                "class": k,
                "precision": number(c.precision(k)),
                "recall": number(c.recall(k)),
                "f1": number(c.f1(k)),
                "support": c.support(k),
            })
        })
        .collect();
    Ok(Score {
        accuracy: c.accuracy()?,
        macro_f1: c.macro_f1(),
        majority: c.majority_share()?,
        rows: c.total(),
        counts: c.counts().iter().flatten().copied().collect(),
        per_class,
    })
}

/// The cut classifier's score on `data`.
fn evaluate<const IN: usize, const K: usize>(
    model: &Model<IN, K>,
    data: &Data<IN>,
) -> RunResult<Score> {
    score(&eval::confusion(model, data.x(), data.y().as_slice())?)
}

/// Scores, judges and writes a trained classifier of `K` classes.
fn finish<const IN: usize, const K: usize>(
    args: &Args,
    columns: &Columns,
    counts: &[usize],
    trained: &Trained<IN>,
    (train, test): (&Data<IN>, &Data<IN>),
) -> RunResult<String> {
    let model = cut::<IN, K>(&trained.model);
    let (train_s, test_s) = (evaluate(&model, train)?, evaluate(&model, test)?);
    judge(args, trained, &test_s)
        .map_err(|why| format!("the classifier learned nothing: {why}"))?;
    let meta = Meta {
        task: Task::Classification { classes: K },
        inputs: columns.inputs.clone(),
        target: columns.target.clone(),
    };
    let mut staging = Staging::new();
    if let Some(path) = &args.save {
        staging.write_bytes(path, &model::encode(&model, &meta, path)?)?;
    }
    let int8 = match args.quantize_int8 {
        true => Some(quantize(args, &model, train, test)?),
        false => None,
    };
    match (&args.export_rs, &int8) {
        (Some(path), Some((source, _))) => staging.write_bytes(path, source.as_bytes())?,
        (Some(path), None) => {
            staging.write_bytes(path, constnet::export::encode(&model).as_bytes())?
        }
        (None, _) => {}
    }
    let int8_accuracy = int8.as_ref().map(|(_, a)| *a);
    report(
        args,
        (columns, counts),
        trained,
        (&train_s, &test_s),
        (staging, int8_accuracy),
        K,
    )
}

/// The summary, the plots and the run's line: [`finish`]'s part that does not depend on
/// the class count's type (compiled once per input width, not once per class count).
fn report<const IN: usize>(
    args: &Args,
    (columns, counts): (&Columns, &[usize]),
    trained: &Trained<IN>,
    (train_s, test_s): (&Score, &Score),
    (staging, int8_accuracy): (Staging, Option<f64>),
    k: usize,
) -> RunResult<String> {
    let summary = summary(
        args,
        (columns, counts),
        trained,
        (train_s, test_s),
        int8_accuracy,
    );
    write(staging, args, trained, test_s, k, &summary)?;
    let int8_line = int8_accuracy.map_or(String::new(), |a| format!("; int8 test accuracy {a:.4}"));
    let h = &trained.history;
    Ok(format!(
        "train accuracy {:.4}, test accuracy {:.4} (macro-F1 {:.4}; {k} classes, {} test rows; \
         trained {} epochs{} in {:.3} s){int8_line}; plots and summary.json in {}",
        train_s.accuracy,
        test_s.accuracy,
        test_s.macro_f1,
        test_s.rows,
        h.epochs(),
        if h.stopped_early {
            ", stopped early"
        } else {
            ""
        },
        trained.seconds,
        args.out.display()
    ))
}

/// `Ok` if the classifier learned something: no dead layer, no explosion, weights that
/// moved, and a test accuracy above always answering the test rows' most frequent class.
fn judge<const IN: usize>(args: &Args, trained: &Trained<IN>, test: &Score) -> Result<(), String> {
    if let Some(why) = unchanged(trained, args) {
        return Err(why);
    }
    let fitted = &trained.fitted;
    let loss = fitting::Masked {
        classes: test.per_class.as_array().map_or(2, Vec::len),
    };
    let diag = diagnose::diagnose(&trained.model.net, fitted.x(), fitted.y(), &loss)
        .map_err(|e| e.to_string())?;
    // The R² rule is a regression's: a classifier is judged on its accuracy below.
    if let Err(failure) = diagnose::check_learned(&trained.history.train.to_vec(), 1.0, &diag) {
        let remedy = match failure {
            Failure::DeadLayer { .. } => {
                "; use a smaller learning rate (--lr {}) or another --seed"
            }
            _ => "; use a smaller learning rate (--lr {})",
        };
        return Err(format!(
            "{failure}{}",
            remedy.replace("{}", &verdict::flag_value(args.lr / 10.0))
        ));
    }
    if test.accuracy <= test.majority {
        return Err(format!(
            "its test accuracy {:.4} is no better than always answering the most frequent \
             class ({:.4} of the {} test rows): the inputs may not tell the classes apart, or \
             training needs more epochs (--epochs {}) or another learning rate",
            test.accuracy,
            test.majority,
            test.rows,
            args.epochs * 2
        ));
    }
    Ok(())
}

/// At most this many training inputs calibrate the int8 ranges.
const CALIBRATION_SAMPLES: usize = 20_000;

/// `--quantize int8`: the classifier quantized whole (input scaling folded in), its export
/// source, and its test accuracy with integer-only inference (`QModel::class`).
fn quantize<const IN: usize, const K: usize>(
    args: &Args,
    model: &Model<IN, K>,
    train: &Data<IN>,
    test: &Data<IN>,
) -> RunResult<(String, f64)> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let sample = train.sample(CALIBRATION_SAMPLES, &mut rng)?;
    let q = constnet::quant::quantize_scaled(model, sample.x())
        .map_err(|e| super::quantize_error(args, sample.len(), e))?;
    let right = test
        .x()
        .column_iter()
        .zip(test.y().as_slice())
        .filter(|(x, label)| {
            let xq = q.quantize_input(&core::array::from_fn(|i| x[i]));
            q.class(&xq) == usize::from(**label)
        })
        .count();
    Ok((
        constnet::quant::export::encode(&q),
        right as f64 / test.len() as f64,
    ))
}

/// `summary.json` of a trained classifier.
fn summary<const IN: usize>(
    args: &Args,
    (columns, counts): (&Columns, &[usize]),
    trained: &Trained<IN>,
    (train, test): (&Score, &Score),
    int8: Option<f64>,
) -> Value {
    let h = &trained.history;
    let k = counts.len();
    json!({
        "task": "classification",
        "data": args.data.as_ref().map(|p| p.to_string_lossy()),
        "inputs": columns.inputs,
        "target": columns.target,
        "classes": k,
        "class_counts": counts,
        "n_train": train.rows,
        "n_val": trained.n_val,
        "n_test": test.rows,
        "seed": args.seed,
        "scale": args.scale.name(),
        "optimizer": args.optimizer.name(),
        "lr": number(args.lr),
        "epochs": args.epochs,
        "batch_size": args.batch_size.map(|b| b.min(trained.fitted.len())),
        "val_fraction": args.val_fraction,
        "patience": args.patience,
        "epochs_run": h.epochs(),
        "stopped_early": h.stopped_early,
        "best_epoch": h.best_epoch.filter(|_| args.patience.is_some()).map(|e| e + 1),
        "final_train_loss": h.train.last().map_or(Value::Null, number),
        "final_val_loss": h.val.last().map_or(Value::Null, number),
        "train_accuracy": number(train.accuracy),
        "test_accuracy": number(test.accuracy),
        "test_macro_f1": number(test.macro_f1),
        "test_majority_share": number(test.majority),
        "test_per_class": test.per_class,
        "test_confusion": test.counts.chunks(k).map(<[u64]>::to_vec).collect::<Vec<_>>(),
        "int8_test_accuracy": int8.map_or(Value::Null, number),
        "train_seconds": number(trained.seconds),
    })
}

/// The plots and `summary.json` after the model's files in `staging`, moved in together.
fn write<const IN: usize>(
    mut staging: Staging,
    args: &Args,
    trained: &Trained<IN>,
    test: &Score,
    k: usize,
    summary: &Value,
) -> RunResult<()> {
    let mut history = trained.history.clone();
    if args.patience.is_none() {
        history.best_epoch = None;
    }
    let out = &args.out;
    staging.remove(&out.join("folds.csv"))?;
    staging.remove(&out.join("fit.png"))?;
    let loss = plot::history(&history, "cross-entropy")?;
    staging.write_bytes(&out.join("loss.png"), loss.as_bytes())?;
    let diagnostics = plot::diagnostics(&trained.snapshots)?;
    staging.write_bytes(&out.join("diagnostics.png"), diagnostics.as_bytes())?;
    let names: Vec<String> = (0..k).map(|c| c.to_string()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let confusion = plot::confusion(&test.counts, &names)?;
    staging.write_bytes(&out.join("confusion.png"), confusion.as_bytes())?;
    let text = serde_json::to_string_pretty(summary)? + "\n";
    staging.write_bytes(&out.join("summary.json"), text.as_bytes())?;
    #[cfg(test)]
    super::tests::kill::pause_before_commit();
    staging.commit()?;
    Ok(())
}

mod folds;
use folds::cross_validate;

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
