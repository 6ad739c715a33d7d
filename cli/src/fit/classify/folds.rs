//! `constnet fit --classify --folds K`: stratified K-fold cross-validation of the
//! classifier.

use super::*;

/// Each fold must hold at least this many test rows (one row more or less moves an
/// accuracy over fewer by 10 points or more).
use crate::fit::cv::MIN_FOLD;

/// `--folds K`: stratified K-fold cross-validation (scikit-learn's `StratifiedKFold(K,
/// shuffle=True)` protocol): each fold's classifier is trained (scaler included) on the
/// other folds only and scored on its own. Writes `summary.json` (every fold's test
/// accuracy, their mean and min) and `folds.csv` (each sample's fold, to run other tools on
/// the same folds).
pub(super) fn cross_validate<const IN: usize>(
    args: &Args,
    columns: &Columns,
    k: usize,
    classes: usize,
    data: &Data<IN>,
    rng: &mut Xoshiro256PlusPlus,
) -> RunResult<String> {
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
            "--folds {k} on {n} rows leaves test folds of fewer than {MIN_FOLD} rows (an \
             accuracy over so few moves by 10 points a row): use at most --folds {}",
            n / MIN_FOLD
        )
        .into());
    }
    let folds = KFold::stratified(data.y().as_slice(), k, rng)?;
    let fewest = data.y().counts()[..classes]
        .iter()
        .copied()
        .min()
        .unwrap_or(0);
    if fewest < k {
        crate::fit::warn(&format!(
            "a class has {fewest} rows, fewer than the {k} folds: some test folds hold none of it"
        ));
    }
    let task = Classification { classes };
    let (mut rows, mut accuracies, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..k {
        let (train, test) = data.fold(&folds, i)?;
        let fold = format!("fold {}/{k}", i + 1);
        let outcome =
            fitting::train::<IN, MAX_CLASSES, Classification>(&task, args, columns, &train, rng)
                .map_err(|f| verdict::explain_error(f.error.as_ref()))
                .and_then(|t| {
                    let s = with_k!(classes, fold_score::<IN>, (&t, &test))
                        .map_err(|e| e.to_string())?;
                    judge(args, &t, &s)?;
                    Ok((t, s))
                });
        let mut row = json!({ "fold": i + 1, "n_test": test.len() });
        match outcome {
            Ok((trained, s)) => {
                // Trained on: the fold's training part less its validation rows.
                let n_fit = train.len() - trained.n_val;
                if !args.quiet {
                    eprintln!(
                        "{fold}: {n_fit} train, {} validation, {} test rows, test accuracy {:.4}",
                        trained.n_val,
                        test.len(),
                        s.accuracy
                    );
                }
                row["n_train"] = json!(n_fit);
                row["test_accuracy"] = number(s.accuracy);
                row["test_macro_f1"] = number(s.macro_f1);
                row["n_val"] = json!(trained.n_val);
                row["epochs_run"] = json!(trained.history.epochs());
                row["best_epoch"] = json!(
                    trained
                        .history
                        .best_epoch
                        .filter(|_| args.patience.is_some())
                        .map(|e| e + 1)
                );
                accuracies.push(s.accuracy);
            }
            Err(why) => {
                if !args.quiet {
                    eprintln!("constnet fit: {fold} failed: {why}");
                }
                row["failure"] = json!(why);
                failures.push(format!("{fold}: {why}"));
            }
        }
        rows.push(row);
    }
    if let Some(first) = failures.first() {
        return Err(format!("{} of {k} folds failed; {first}", failures.len()).into());
    }
    let mean = accuracies.iter().sum::<f64>() / k as f64;
    let min = accuracies.iter().copied().fold(f64::INFINITY, f64::min);
    let summary = json!({
        "task": "classification",
        "folds": rows,
        "k": k,
        "n": n,
        "classes": classes,
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
        "fold_test_accuracy": accuracies.iter().map(|&a| number(a)).collect::<Vec<_>>(),
        "mean_test_accuracy": number(mean),
        "min_test_accuracy": number(min),
    });
    let mut staging = Staging::new();
    for stale in ["loss.png", "fit.png", "diagnostics.png", "confusion.png"] {
        staging.remove(&args.out.join(stale))?;
    }
    let mut csv = String::from("sample,fold\n");
    for i in 0..k {
        for &s in folds.test(i)? {
            let _ = writeln!(csv, "{s},{}", i + 1);
        }
    }
    staging.write_bytes(&args.out.join("folds.csv"), csv.as_bytes())?;
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    staging.write_bytes(&args.out.join("summary.json"), text.as_bytes())?;
    staging.commit()?;
    let each: Vec<String> = accuracies.iter().map(|a| format!("{a:.4}")).collect();
    Ok(format!(
        "{k}-fold stratified cross-validation: test accuracy mean {mean:.4}, min {min:.4} \
         (folds: {}); summary.json and folds.csv in {}",
        each.join(", "),
        args.out.display()
    ))
}

/// A fold's test score, with the network cut to its `K` classes.
fn fold_score<const IN: usize, const K: usize>(
    trained: &Trained<IN>,
    test: &Data<IN>,
) -> RunResult<Score> {
    evaluate(&cut::<IN, K>(&trained.model), test)
}
