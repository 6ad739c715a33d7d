//! End-to-end runs of the example, reduced so they stay fast.

use std::path::PathBuf;

use super::*;

/// A fresh, empty directory under the system temp dir.
pub(super) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("constnet-cubic-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(super) fn args(out: &std::path::Path, extra: &str) -> Args {
    let line = format!(
        "--quiet --epochs 300 --samples 200 --out {} {extra}",
        out.display()
    );
    args::parse(line.split_whitespace()).unwrap()
}

/// `summary.json` without the wall time, which differs run to run.
fn metrics_of(out: &std::path::Path) -> String {
    let json = std::fs::read_to_string(out.join("summary.json")).unwrap();
    json.lines()
        .filter(|l| !l.contains("train_seconds"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn field(out: &std::path::Path, key: &str) -> f64 {
    let json = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let line = json
        .lines()
        .find(|l| l.contains(&format!("\"{key}\"")))
        .unwrap();
    let value = line.split(':').nth(1).unwrap().trim().trim_end_matches(',');
    value.parse().unwrap()
}

#[test]
fn reduced_run_converges_and_writes_every_output() {
    let out = scratch("reduced");
    let line = run(&args(
        &out,
        &format!("--save {}", out.join("m.cnet").display()),
    ))
    .unwrap();
    assert!(line.starts_with("train R² "), "{line}");
    for file in ["loss.png", "fit.png", "summary.json", "m.cnet"] {
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert!(bytes.len() > 100, "{file} is too small");
    }
    assert!(
        field(&out, "train_r2") >= 0.9,
        "train R² {}",
        field(&out, "train_r2")
    );
    assert!(
        field(&out, "test_r2") >= 0.9,
        "test R² {}",
        field(&out, "test_r2")
    );
    assert_eq!(field(&out, "n_train"), 200.0);
    assert_eq!(field(&out, "epochs"), 300.0);
    assert!(field(&out, "train_seconds") > 0.0);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn same_flags_same_metrics() {
    let (a, b) = (scratch("same-a"), scratch("same-b"));
    run(&args(&a, "--batch-size 50")).unwrap();
    run(&args(&b, "--batch-size 50")).unwrap();
    assert_eq!(metrics_of(&a), metrics_of(&b));
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn a_saved_model_loads_to_the_same_results() {
    let (a, b) = (scratch("save"), scratch("load"));
    let model = a.join("m.cnet");
    run(&args(&a, &format!("--save {}", model.display()))).unwrap();
    let line = run(&args(&b, &format!("--load {}", model.display()))).unwrap();
    assert!(line.contains("loaded, not trained"), "{line}");
    for key in ["train_r2", "test_r2", "train_mse", "test_mse"] {
        assert_eq!(field(&a, key).to_bits(), field(&b, key).to_bits(), "{key}");
    }
    assert!(
        !b.join("loss.png").exists(),
        "no loss curve without training"
    );
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn user_csv_data_trains_and_holds_out_a_fifth() {
    let out = scratch("csv");
    let csv = out.join("data.csv");
    let rows: String = (0..250)
        .map(|i| {
            let x = -2.0 + 4.0 * i as f64 / 249.0;
            format!("{x},{}\n", x * x * x)
        })
        .collect();
    std::fs::write(&csv, format!("x,y\n{rows}")).unwrap();
    // The full 900 epochs: this init needs them (R² 0.68 after 300, 0.979 after 900).
    run(&args(
        &out,
        &format!("--epochs 900 --data {}", csv.display()),
    ))
    .unwrap();
    assert_eq!(
        (field(&out, "n_train"), field(&out, "n_test")),
        (200.0, 50.0)
    );
    assert!(
        field(&out, "test_r2") >= 0.95,
        "test R² {}",
        field(&out, "test_r2")
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn errors_are_reported_and_write_nothing() {
    let out = scratch("errors");
    let bad_csv = out.join("bad.csv");
    std::fs::write(&bad_csv, "x,y\n1,1\n2,oops\n").unwrap();
    let tiny_csv = out.join("tiny.csv");
    std::fs::write(&tiny_csv, "x,y\n1,1\n2,8\n").unwrap();
    let target = out.join("run");
    let cases = [
        ("--lr -0.1", "learning rate"),
        ("--lr 50", "diverged"),
        ("--epochs 0", "epochs must be at least 1"),
        ("--batch-size 201", "batch size"),
        ("--noise -1", "noise"),
        (
            &format!("--data {}", bad_csv.display()) as &str,
            "line 3, column 2",
        ),
        (
            &format!("--data {}", out.join("missing.csv").display()),
            "No such file",
        ),
        (&format!("--load {}", bad_csv.display()), "model file"),
        (&format!("--data {}", tiny_csv.display()), "at least 6 rows"),
    ];
    for (flags, expected) in cases {
        let err = run(&args(&target, flags)).unwrap_err().to_string();
        assert!(err.contains(expected), "{flags}: {err}");
        assert!(!target.exists(), "{flags}: wrote output despite the error");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[path = "hostile_tests.rs"]
mod hostile;
