//! The outside probe's defects (#23) that live in `constnet fit`, each with the case the
//! probe ran: too little data, the summary's record of a run, one rule for files.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::fit::run_line;
use crate::testing::{Scratch, write};

fn summary(out: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// `rows` rows of two inputs and a target drawn independently: nothing to learn.
fn noise(dir: &Scratch, rows: usize) -> std::path::PathBuf {
    // SplitMix64: a seeded stream, so the file is the same on every machine.
    let mut state = 3u64;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64 * 2.0 - 1.0
    };
    let mut text = String::from("a,b,y\n");
    for _ in 0..rows {
        let (a, b, y) = (next(), next(), next());
        text.push_str(&format!("{a},{b},{y}\n"));
    }
    write(&dir.0, "noise.csv", &text)
}

/// #23.1: `--folds 100` on 200 rows exited 0 at mean test R² −11 (folds of two rows).
/// Folds of fewer than 10 test rows are refused before any training.
#[test]
fn folds_of_fewer_than_ten_test_rows_are_refused() {
    let dir = Scratch::new("probe-folds");
    let out = dir.join("run");
    let err = run_line(&format!(
        "--quiet --folds 100 --samples 200 --out {}",
        out.display()
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("fewer than 10 rows") && err.contains("at most --folds 20"),
        "{err}"
    );
    assert!(!out.exists());
    // The classifier's folds keep the same floor.
    let data = write(
        &dir.0,
        "two.csv",
        &(0..30).fold(String::from("x,k\n"), |s, i| {
            s + &format!("{i},{}\n", i % 2)
        }),
    );
    let err = run_line(&format!(
        "--quiet --data {} --classify --folds 4 --out {}",
        data.display(),
        out.display()
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("at most --folds 3"), "{err}");
}

/// #23.1: cross-validation whose folds, held out, do worse than their mean fails the run,
/// even when every fold fitted its own training rows; nothing is written.
#[test]
fn cross_validation_that_explains_nothing_fails_and_writes_nothing() {
    let dir = Scratch::new("probe-noise");
    let data = noise(&dir, 200);
    let out = dir.join("run");
    let err = run_line(&format!(
        "--quiet --data {} --folds 5 --out {}",
        data.display(),
        out.display()
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("learned nothing") && err.contains("mean test R² -"),
        "{err}"
    );
    assert!(!out.exists(), "a failed run wrote {out:?}");
    // On 60 rows no number of folds gives test folds of 40: the remedy is more data, not
    // an impossible `--folds 1`.
    let small = noise(&dir, 60);
    let err = run_line(&format!(
        "--quiet --data {} --folds 2 --out {}",
        small.display(),
        out.display()
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("use more data (at least 80 rows"), "{err}");
}

/// #23.15: summary.json of `--folds 5 --val-fraction 0.2 --patience 5` records the flags
/// that shaped the runs, and each fold's `n_train` counts the rows trained on, not the
/// validation rows taken from them.
#[test]
fn a_cross_validation_summary_records_its_flags_and_true_row_counts() {
    let dir = Scratch::new("probe-summary");
    let out = dir.join("run");
    run_line(&format!(
        "--quiet --folds 5 --samples 200 --epochs 300 --val-fraction 0.2 --patience 5 \
         --batch-size 64 --out {}",
        out.display()
    ))
    .unwrap();
    let s = summary(&out);
    assert_eq!(s["val_fraction"], 0.2);
    assert_eq!(s["patience"], 5);
    assert_eq!(s["batch_size"], 64);
    assert_eq!(s["min_delta"], 0.0);
    for fold in s["folds"].as_array().unwrap() {
        // 200 rows: 40 test, 160 left, of which ceil(20%) = 32 validate.
        assert_eq!(fold["n_test"], 40, "{fold}");
        assert_eq!(fold["n_val"], 32, "{fold}");
        assert_eq!(fold["n_train"], 128, "{fold}");
    }
    // A single run records the same flags.
    let single = dir.join("single");
    run_line(&format!(
        "--quiet --samples 200 --epochs 300 --val-fraction 0.2 --patience 5 --out {}",
        single.display()
    ))
    .unwrap();
    let s = summary(&single);
    assert_eq!(s["val_fraction"], 0.2);
    assert_eq!(s["patience"], 5);
    assert_eq!(s["min_delta"], 0.0);
    assert_eq!(s["n_val"], 40);
    assert_eq!(s["n_train"].as_u64().unwrap() + 40, 200);
}

/// #23.14: a tiny --val-fraction is quoted as typed, not as 300 digits.
#[test]
fn a_tiny_val_fraction_is_quoted_in_exponent_notation() {
    let dir = Scratch::new("probe-tiny");
    let err = run_line(&format!(
        "--quiet --val-fraction 1e-300 --out {}",
        dir.join("run").display()
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("--val-fraction 1e-300 of 1000"), "{err}");
    assert!(err.len() < 200, "{err}");
}

/// #23.16: a good run, then one whose network learns nothing (`--lr 1e-30`) with the same
/// --out, --save and --export-rs: exit 1, and every file of the good run is as it was.
#[test]
fn a_run_that_learns_nothing_leaves_the_previous_runs_files() {
    let dir = Scratch::new("probe-rule");
    let (out, model, rs) = (dir.join("run"), dir.join("m.cnet"), dir.join("m.rs"));
    let common = format!(
        "--quiet --samples 200 --out {} --save {} --export-rs {}",
        out.display(),
        model.display(),
        rs.display()
    );
    run_line(&format!("{common} --epochs 200")).unwrap();
    let files = |d: &Scratch| super::hostile::snapshot(&d.0);
    let before = files(&dir);
    assert!(before.iter().any(|(p, _)| p.ends_with("loss.png")));
    let err = run_line(&format!("{common} --epochs 50 --lr 1e-30"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("learned nothing"), "{err}");
    assert_eq!(files(&dir), before, "a failed run changed or left files");
}

/// #23.3: a loaded model that explains nothing of the data (all-zero weights: it predicts
/// 0 everywhere) fails the run instead of reporting R² −0.0008 as a result.
#[test]
fn a_loaded_model_that_explains_nothing_is_named_as_such() {
    use constnet::Params;
    let dir = Scratch::new("probe-load");
    let path = dir.join("zero.safetensors");
    constnet::safetensors::save_auto(&<crate::fit::Net<1> as Params<f32>>::zeros(), &path).unwrap();
    let out = dir.join("run");
    let err = run_line(&format!(
        "--quiet --samples 200 --load {} --out {}",
        path.display(),
        out.display()
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("zero.safetensors") && err.contains("explains nothing"),
        "{err}"
    );
    assert!(!out.exists());
}

/// #23.11: inputs spread over ±3.3e38 (valid `f32`) failed as "x holds a NaN or infinite
/// value at index 6", and targets of ±3.3e38 as "y holds …": the scaling overflowed,
/// which the message did not say, nor which file. Both are named now, with the fix.
#[test]
fn values_whose_scaling_overflows_name_the_file_the_scaling_and_the_column() {
    let dir = Scratch::new("probe-f32-limit");
    // Near f32::MAX, mostly positive: the mean is too, and x − mean overflows for the
    // negative rows.
    let wide =
        |i: usize| if i.is_multiple_of(6) { -3.3e38 } else { 3.3e38 } * (1.0 - i as f64 / 1e3);
    let rows = |f: &dyn Fn(usize) -> String| (0..60).map(f).collect::<String>();
    let inputs = write(
        &dir.0,
        "x.csv",
        &(String::from("a,b,y\n") + &rows(&|i| format!("{i},{:e},{i}\n", wide(i)))),
    );
    let targets = write(
        &dir.0,
        "y.csv",
        &(String::from("x,y\n") + &rows(&|i| format!("{i},{:e}\n", wide(i)))),
    );
    for (data, what) in [
        (&inputs, "scaling the input column `b`"),
        (&targets, "scaling the target column `y`"),
    ] {
        let out = dir.join("run");
        let err = run_line(&format!(
            "--quiet --data {} --out {}",
            data.display(),
            out.display()
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(&format!("{}: {what} ", data.display()))
                && err.contains("overflows f32")
                && err.contains("divide that column")
                && !err.contains("  "),
            "{err}"
        );
        assert!(!out.exists());
    }
}

/// #23.12: `--load good.cnet --data tiny.csv --quantize int8` blamed "the network" for an
/// int32 overflow whose cause is the calibration rows' range (here 10⁻⁶ wide, so the first
/// layer's bias is ~10¹⁰ input steps), and did not name the loaded file. Both are named.
#[test]
fn an_int8_overflow_names_the_calibration_rows_and_the_loaded_file() {
    let dir = Scratch::new("probe-int8-calibration");
    let model = dir.join("m.cnet");
    let trained = format!(
        "--quiet --scale none --epochs 100 --samples 200 --save {} --out {}",
        model.display(),
        dir.join("a").display()
    );
    run_line(&trained).unwrap();
    let rows = (0..20).map(|i| format!("{:e},{i}\n", i as f64 * 5e-8));
    let tiny = write(
        &dir.0,
        "tiny.csv",
        &rows.fold(String::from("x,y\n"), |s, r| s + &r),
    );
    let out = dir.join("b");
    let err = run_line(&format!(
        "--quiet --load {} --data {} --quantize int8 --out {}",
        model.display(),
        tiny.display(),
        out.display()
    ))
    .unwrap_err()
    .to_string();
    let head = format!(
        "--quantize int8 of the model loaded from {}, calibrated on 16 training rows of {}: \
         invalid calibration: ",
        model.display(),
        tiny.display()
    );
    assert!(
        err.starts_with(&head) && err.contains("inputs' real range"),
        "{err}"
    );
    assert!(!out.exists());
}
