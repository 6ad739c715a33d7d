//! `constnet fit --classify`: summary, plots and model of a classifier; folds; the honest
//! failure of a classifier no better than the majority class; label errors.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::fit::run_line;
use crate::testing::{Scratch, write};

/// `n` rows of three blobs in two inputs (`u`, `v`), label column `kind` first; `share` of
/// the rows in class 0 (the rest split between 1 and 2). Deterministic.
fn blobs(dir: &Scratch, name: &str, n: usize, share: f64) -> std::path::PathBuf {
    let mut text = String::from("kind,u,v\n");
    for i in 0..n {
        let class = match i as f64 / n as f64 {
            f if f < share => 0,
            _ if i % 2 == 0 => 1,
            _ => 2,
        };
        let angle = 2.0 * std::f64::consts::PI * class as f64 / 3.0;
        // A low-discrepancy jitter of ±0.6 around the class centre.
        let (a, b) = ((i as f64 * 0.618_034) % 1.0, (i as f64 * 0.754_878) % 1.0);
        let u = 2.0 * angle.cos() + 1.2 * (a - 0.5);
        let v = 2.0 * angle.sin() + 1.2 * (b - 0.5);
        text.push_str(&format!("{class},{u},{v}\n"));
    }
    write(&dir.0, name, &text)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_classifier_run_writes_its_accuracy_confusion_and_model() {
    let dir = Scratch::new("classify");
    let data = blobs(&dir, "blobs.csv", 300, 0.34);
    let out = dir.join("run");
    let (saved, export) = (dir.join("c.cnet"), dir.join("c.rs"));
    let line = run_line(&format!(
        "--quiet --data {} --target kind --classify --save {} --export-rs {} --quantize int8 --out {}",
        data.display(),
        saved.display(),
        export.display(),
        out.display()
    ))
    .unwrap();
    assert!(
        line.contains("test accuracy") && line.contains("int8 test accuracy"),
        "{line}"
    );
    let s = json(&out.join("summary.json"));
    assert_eq!(s["task"], "classification");
    assert_eq!(s["classes"], 3);
    assert_eq!(s["inputs"], serde_json::json!(["u", "v"]));
    // Stratified: a fifth of each class is held out (34 % of 300 = 102 → 20 or 21 rows).
    assert_eq!(
        s["n_test"].as_u64().unwrap() + s["n_train"].as_u64().unwrap(),
        300
    );
    let confusion: Vec<Vec<u64>> = serde_json::from_value(s["test_confusion"].clone()).unwrap();
    let total: u64 = confusion.iter().flatten().sum();
    assert_eq!(total, s["n_test"].as_u64().unwrap());
    let diagonal: u64 = (0..3).map(|k| confusion[k][k]).sum();
    let accuracy = s["test_accuracy"].as_f64().unwrap();
    assert_eq!(accuracy, diagonal as f64 / total as f64);
    // Well-separated blobs: a classifier that works gets nearly all of them.
    assert!(accuracy >= 0.95, "{line}");
    assert!(s["int8_test_accuracy"].as_f64().unwrap() >= 0.9, "{line}");
    assert_eq!(s["test_per_class"].as_array().unwrap().len(), 3);
    for name in [
        "loss.png",
        "diagnostics.png",
        "confusion.png",
        "summary.json",
    ] {
        assert!(out.join(name).exists(), "{name}");
    }
    assert!(!out.join("fit.png").exists());
    let source = fs::read_to_string(&export).unwrap();
    assert!(
        source.contains("QModel") && source.contains("QEdge"),
        "int8 export"
    );
    // The model file knows it is a classifier of `kind` from u, v.
    let layout = crate::model::layout(&saved, "--load").unwrap();
    let meta = layout.meta.unwrap();
    assert_eq!(meta.task, crate::model::Task::Classification { classes: 3 });
    assert_eq!(
        (meta.inputs, meta.target),
        (vec!["u".into(), "v".into()], "kind".into())
    );
    assert_eq!(layout.outputs, 3);
}

#[test]
fn folds_report_every_test_accuracy_their_mean_and_min() {
    let dir = Scratch::new("classify-folds");
    let data = blobs(&dir, "blobs.csv", 200, 0.5);
    let out = dir.join("run");
    let line = run_line(&format!(
        "--quiet --data {} --target kind --classify --folds 4 --out {}",
        data.display(),
        out.display()
    ))
    .unwrap();
    let s = json(&out.join("summary.json"));
    let folds: Vec<f64> = serde_json::from_value(s["fold_test_accuracy"].clone()).unwrap();
    assert_eq!(folds.len(), 4);
    let mean = folds.iter().sum::<f64>() / 4.0;
    let min = folds.iter().copied().fold(1.0, f64::min);
    assert!((s["mean_test_accuracy"].as_f64().unwrap() - mean).abs() < 1e-12);
    assert_eq!(s["min_test_accuracy"].as_f64().unwrap(), min);
    assert!(
        line.contains(&format!("mean {mean:.4}, min {min:.4}")),
        "{line}"
    );
    // folds.csv: every row once; each fold holds a quarter of each class (stratified).
    let text = fs::read_to_string(out.join("folds.csv")).unwrap();
    let rows: Vec<(usize, usize)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let (r, f) = l.split_once(',').unwrap();
            (r.parse().unwrap(), f.parse().unwrap())
        })
        .collect();
    let mut seen: Vec<usize> = rows.iter().map(|r| r.0).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..200).collect::<Vec<_>>());
    let labels: Vec<usize> = fs::read_to_string(&data)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    for fold in 1..=4 {
        for class in 0..3 {
            let (all, here) = (
                labels.iter().filter(|&&c| c == class).count(),
                rows.iter()
                    .filter(|&&(r, f)| f == fold && labels[r] == class)
                    .count(),
            );
            assert!(
                here.abs_diff(all / 4) <= 1,
                "fold {fold} class {class}: {here} of {all}"
            );
        }
    }
}

#[test]
fn a_classifier_no_better_than_the_majority_class_fails_with_the_cause() {
    let dir = Scratch::new("classify-majority");
    // Labels that the inputs do not tell apart: 80 % class 0, the rest 1, inputs from a
    // sequence independent of the labels.
    let mut text = String::from("u,v,kind\n");
    for i in 0..250 {
        let (u, v) = ((i as f64 * 0.618_034) % 1.0, (i as f64 * 0.414_214) % 1.0);
        let kind = usize::from((i * 7919) % 5 == 0);
        text.push_str(&format!("{u},{v},{kind}\n"));
    }
    let data = write(&dir.0, "noise.csv", &text);
    let model = write(&dir.0, "m.cnet", "the user's model");
    let out = dir.join("run");
    let err = run_line(&format!(
        "--quiet --data {} --classify --epochs 40 --save {} --out {}",
        data.display(),
        dir.join("m.cnet").display(),
        out.display()
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("no better than always answering the most frequent class"),
        "{err}"
    );
    assert_eq!(fs::read(&model).unwrap(), b"the user's model");
    assert!(!out.exists(), "a failed run writes nothing");
}

#[test]
fn bad_labels_are_named_by_file_line_and_value() {
    let dir = Scratch::new("classify-labels");
    let rows = |labels: &[&str]| -> String {
        let mut t = String::from("u,kind\n");
        for (i, l) in labels.iter().enumerate() {
            t.push_str(&format!("{i},{l}\n"));
        }
        t
    };
    let twelve: Vec<String> = (0..12).map(|k| k.to_string()).collect();
    let twelve: Vec<&str> = twelve.iter().map(String::as_str).collect();
    for (name, labels, expected) in [
        ("frac.csv", &["0", "1", "1.5"][..], "line 4"),
        ("neg.csv", &["0", "-1", "1"][..], "line 3"),
        ("gap.csv", &["0", "2", "0", "2"][..], "no row has class 1"),
        ("one.csv", &["0", "0", "0"][..], "at least two classes"),
        ("twelve.csv", &twelve[..], "12 classes"),
    ] {
        let data = write(&dir.0, name, &rows(labels));
        let err = run_line(&format!(
            "--quiet --data {} --classify --out {}",
            data.display(),
            dir.join("run").display()
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!err.contains('\n'), "{name}: {err}");
        if expected.starts_with("line") {
            assert!(err.contains(name), "{name}: the file is named: {err}");
        }
    }
    assert!(!dir.join("run").exists());
}

/// The bar on real data with no tuning flags (`--folds 5`, seed 42): digits mean
/// test accuracy ≥ 0.975 and min ≥ 0.955, wine mean ≥ 0.97 (scikit-learn's MLP(64, 64)
/// reference: 0.9755 / 0.9639 and 0.9813; ../shared/data/README.md).
#[test]
fn digits_and_wine_cross_validate_to_the_target_with_the_defaults() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (name, mean_at_least, min_at_least) in [("digits", 0.975, 0.955), ("wine", 0.97, 0.0)] {
        let dir = Scratch::new(&format!("classify-{name}"));
        let data = root.join(format!("data/{name}.csv"));
        let line = run_line(&format!(
            "--quiet --data {} --classify --folds 5 --out {}",
            data.display(),
            dir.0.display()
        ))
        .unwrap();
        let s = json(&dir.join("summary.json"));
        let (mean, min) = (
            s["mean_test_accuracy"].as_f64().unwrap(),
            s["min_test_accuracy"].as_f64().unwrap(),
        );
        assert!(
            mean >= mean_at_least && min >= min_at_least,
            "{name}: {line}"
        );
    }
}

/// A classifier whose steps do not move its weights (`--lr 1e-30`) fails as learning
/// nothing, and quotes the classifier's default learning rate, 0.001 (it said 0.01, the
/// regression's).
#[test]
fn a_classifier_too_small_a_step_quotes_the_classifiers_default() {
    let dir = Scratch::new("classify-tiny-lr");
    let text = (0..60).fold(String::from("u,kind\n"), |t, i| {
        t + &format!("{i},{}\n", i % 2)
    });
    let data = write(&dir.0, "two.csv", &text);
    let err = run_line(&format!(
        "--quiet --data {} --classify --epochs 3 --lr 1e-30 --out {}",
        data.display(),
        dir.join("run").display()
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("too small to have an effect (the default is --lr 0.001)"),
        "{err}"
    );
}
