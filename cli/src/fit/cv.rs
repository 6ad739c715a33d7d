//! `--folds K`: K-fold cross-validation, scikit-learn's `cross_val_score` with
//! `KFold(K, shuffle=True)`: a seeded permutation of the samples cut into K test folds; each
//! fold's model is trained (scalers included) on the other K − 1 folds only.

use std::fmt::Write as _;

use constnet::eval;
use rand::rngs::Xoshiro256PlusPlus;
use serde_json::{Value, json};

use super::args::Args;
use super::{Data, fitting, verdict};
use crate::columns::Columns;
use crate::model::RunResult;
use crate::staging::Staging;

/// Each test fold must hold at least this many rows. R² needs two; over fewer than ten it
/// swings by whole units from one row to the next (100 folds of 2 rows of `y = x³`: fold
/// R² from −1175 to 1.0), which measures the split, not the network.
pub const MIN_FOLD: usize = 10;

/// Runs the K folds on all of `data`; returns the stdout line. Writes `summary.json` (every
/// fold and its test R²) and `folds.csv` (each sample's fold, to run other tools on the
/// same split). A fold that fails fails the run, which then writes nothing.
pub fn run<const IN: usize>(
    args: &Args,
    columns: &Columns,
    k: usize,
    data: &Data<IN>,
    rng: &mut Xoshiro256PlusPlus,
) -> RunResult<String> {
    check(k, data)?;
    let folds = data.kfold(k, rng)?;
    let mut rows = Vec::with_capacity(k);
    let (mut r2s, mut failures) = (Vec::with_capacity(k), Vec::new());
    for i in 0..k {
        let (train, test) = data.fold(&folds, i)?;
        let fold = format!("fold {}/{k}", i + 1);
        let outcome = fitting::train::<IN, 1, fitting::Regression>(
            &fitting::Regression,
            args,
            columns,
            &train,
            rng,
        )
        .map_err(|f| f.error.to_string())
        .and_then(|t| match super::unchanged(&t, args) {
            // A fold whose network ends as it started learned nothing, whatever its R².
            Some(why) => Err(why),
            None => verdict::check(args, &t, &train).map(|()| t),
        })
        .and_then(|t| {
            let scores = eval::scores(&t.model, test.x(), test.y()).map_err(|e| e.to_string())?;
            let r2 = scores
                .r2
                .ok_or(constnet::metrics::CONSTANT_TARGETS.to_owned())?;
            Ok((t, scores.mse, r2))
        });
        let mut row = json!({ "fold": i + 1, "n_test": test.len() });
        match outcome {
            Ok((trained, mse, r2)) => {
                // The rows the network was trained on: the fold's training part less the
                // validation rows --val-fraction took from it.
                let n_fit = train.len() - trained.n_val;
                if !args.quiet {
                    eprintln!(
                        "{fold}: {n_fit} train, {} validation, {} test rows, test R² {r2:.4}",
                        trained.n_val,
                        test.len()
                    );
                }
                row["n_train"] = json!(n_fit);
                row["n_val"] = json!(trained.n_val);
                let h = &trained.history;
                row["test_r2"] = number(r2);
                row["test_mse"] = number(mse);
                row["epochs_run"] = json!(h.train.len());
                // Counted from 1, as in a single run's summary.json.
                row["best_epoch"] = json!(
                    h.best_epoch
                        .filter(|_| args.patience.is_some())
                        .map(|e| e + 1)
                );
                r2s.push(r2);
            }
            Err(why) => {
                // Progress, as the lines above: with --quiet the one error line at the end
                // (which names the first failure) is all.
                if !args.quiet {
                    eprintln!("constnet fit: {fold} failed: {why}");
                }
                failures.push(format!("{fold}: {why}"));
            }
        }
        rows.push(row);
    }
    let mean = r2s.iter().sum::<f64>() / k as f64;
    let min = r2s.iter().copied().fold(f64::INFINITY, f64::min);
    let summary = json!({
        "folds": rows,
        "k": k,
        "n": data.len(),
        "seed": args.seed,
        "data": args.data.as_ref().map(|p| p.to_string_lossy()),
        "scale": args.scale.name(),
        "optimizer": args.optimizer.name(),
        "lr": number(args.lr),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "val_fraction": args.val_fraction,
        "patience": args.patience,
        "min_delta": args.patience.map(|_| args.min_delta),
        "mean_test_r2": number(mean),
        "min_test_r2": number(min),
    });
    // One rule for every failure: a failed run writes nothing (the error names each fold).
    if let Some(first) = failures.first() {
        return Err(format!(
            "{} of {k} folds failed; {first}{}",
            failures.len(),
            match failures.len() {
                1 => String::new(),
                _ => format!(" (and {})", failures[1..].join("; ")),
            }
        )
        .into());
    }
    // Each fold's network learned something on its own rows; held out, on average, they do
    // no better than their mean: nothing that generalises was learned.
    if mean < 0.0 {
        return Err(format!(
            "the network learned nothing: over the {k} folds it predicts held-out rows worse \
             than their mean does (mean test R² {mean:.4}, min {min:.4}); {}",
            if data.len() / k < 4 * MIN_FOLD && data.len() / (4 * MIN_FOLD) >= 2 {
                format!(
                    "{} rows per test fold are too few to judge a fit: use fewer --folds (at \
                     most {}) or more data",
                    data.len() / k,
                    data.len() / (4 * MIN_FOLD)
                )
            } else if data.len() / k < 4 * MIN_FOLD {
                format!(
                    "{} rows per test fold are too few to judge a fit: use more data (at least \
                     {} rows for two test folds of {})",
                    data.len() / k,
                    8 * MIN_FOLD,
                    4 * MIN_FOLD
                )
            } else {
                "it fits the training folds but not new rows: stop earlier (--val-fraction 0.2 \
                 --patience 20) or train fewer --epochs; if that does not help, the inputs \
                 may not predict the target"
                    .to_owned()
            }
        )
        .into());
    }
    write(args, k, &folds, &summary)?;
    let each: Vec<String> = r2s.iter().map(|r| format!("{r:.4}")).collect();
    Ok(format!(
        "{k}-fold cross-validation: test R² mean {mean:.4}, min {min:.4} (folds: {}); \
         summary.json and folds.csv in {}",
        each.join(", "),
        args.out.display()
    ))
}

/// What cannot work, said before any training: a test fold of one row, constant targets.
fn check<const IN: usize>(k: usize, data: &Data<IN>) -> RunResult<()> {
    let n = data.len();
    if n < 2 * MIN_FOLD {
        return Err(format!(
            "--folds needs at least {} rows (two test folds of {MIN_FOLD}); the data has {n}",
            2 * MIN_FOLD
        )
        .into());
    }
    if k > n / MIN_FOLD {
        return Err(format!(
            "--folds {k} on {n} rows leaves test folds of fewer than {MIN_FOLD} rows (an R² over \
             so few swings by whole units from row to row): use at most --folds {}",
            n / MIN_FOLD
        )
        .into());
    }
    let y = data.y().as_slice();
    if y.iter().all(|&v| v == y[0]) {
        return Err(format!(
            "--folds: {} (every one of the {n} rows has {})",
            constnet::metrics::CONSTANT_TARGETS,
            y[0]
        )
        .into());
    }
    Ok(())
}

/// `summary.json` and `folds.csv`, together; a single run's plots do not belong beside them.
fn write(args: &Args, k: usize, folds: &constnet::data::KFold, summary: &Value) -> RunResult<()> {
    let mut staging = Staging::new();
    for stale in ["loss.png", "fit.png", "diagnostics.png"] {
        staging.remove(&args.out.join(stale))?;
    }
    let mut csv = String::from("sample,fold\n");
    for i in 0..k {
        for &s in folds.test(i)? {
            let _ = writeln!(csv, "{s},{}", i + 1);
        }
    }
    staging.write_bytes(&args.out.join("folds.csv"), csv.as_bytes())?;
    let text = serde_json::to_string_pretty(summary)? + "\n";
    staging.write_bytes(&args.out.join("summary.json"), text.as_bytes())?;
    staging.commit()?;
    Ok(())
}

/// A JSON number, or `null` for a non-finite value.
fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}
