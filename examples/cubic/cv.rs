//! `--folds K`: K-fold cross-validation, scikit-learn's `cross_val_score` with
//! `KFold(K, shuffle=True)`: a seeded permutation of the samples cut into K test folds; each
//! fold's model is trained (scalers included) on the other K − 1 folds only.

use std::fmt::Write as _;

use constnet::eval;
use constnet::fsutil::Staging;
use rand::rngs::Xoshiro256PlusPlus;
use serde_json::json;

use crate::args::Args;
use crate::fitting::{self, Trained};
use crate::{Data, RunResult, verdict};

/// Runs the K folds on `data`; returns the stdout line. Writes `summary.json` and
/// `folds.csv` (each sample's fold, to compare other tools on the same split).
pub fn run(args: &Args, k: usize, data: &Data, rng: &mut Xoshiro256PlusPlus) -> RunResult<String> {
    let folds = data.kfold(k, rng)?;
    let mut r2s = Vec::with_capacity(k);
    let mut rows = Vec::with_capacity(k);
    for i in 0..k {
        let (train, test) = data.fold(&folds, i)?;
        let trained: Trained = fitting::train(args, &train, rng)?;
        verdict::check(args, &trained, &train).map_err(|e| format!("fold {}/{k}: {e}", i + 1))?;
        let scores = eval::scores(&trained.model, test.x(), test.y())?;
        let r2 = scores.r2.ok_or_else(|| {
            format!(
                "fold {}/{k}: {} (its {} test samples)",
                i + 1,
                constnet::metrics::CONSTANT_TARGETS,
                test.len()
            )
        })?;
        if !args.quiet {
            eprintln!(
                "fold {}/{k}: {} train, {} test samples, test R² {r2:.4}",
                i + 1,
                train.len(),
                test.len()
            );
        }
        r2s.push(r2);
        rows.push(json!({
            "fold": i + 1,
            "n_train": train.len(),
            "n_test": test.len(),
            "test_r2": r2,
            "test_mse": scores.mse,
            "best_epoch": trained.history.best_epoch,
            "epochs_run": trained.history.train.len(),
        }));
    }
    let mean = r2s.iter().sum::<f64>() / k as f64;
    let min = r2s.iter().copied().fold(f64::INFINITY, f64::min);
    let mut staging = Staging::new();
    let mut csv = String::from("sample,fold\n");
    for i in 0..k {
        for &s in folds.test(i)? {
            let _ = writeln!(csv, "{s},{}", i + 1);
        }
    }
    staging.write_bytes(&args.out.join("folds.csv"), csv.as_bytes())?;
    let summary = json!({ "folds": rows, "k": k, "mean_test_r2": mean, "min_test_r2": min, "seed": args.seed });
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    staging.write_bytes(&args.out.join("summary.json"), text.as_bytes())?;
    staging.commit()?;
    let each: Vec<String> = r2s.iter().map(|r| format!("{r:.4}")).collect();
    Ok(format!(
        "{k}-fold cross-validation: test R² mean {mean:.4}, min {min:.4} (folds: {}); summary.json and folds.csv in {}",
        each.join(", "),
        args.out.display()
    ))
}
