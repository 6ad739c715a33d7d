//! Hostile inputs (issue #12): every one gets one clear error or a sound result, and a
//! failed run leaves the user's files as they were.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{args, scratch};
use crate::fit::run;

fn summary(out: &Path) -> Value {
    let text = fs::read_to_string(out.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
}

/// Every file under `dir` (recursively) with its bytes.
pub(super) fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.push((path.clone(), Vec::new()));
            all.extend(snapshot(&path));
        } else {
            all.push((path.clone(), fs::read(&path).unwrap_or_default()));
        }
    }
    all.sort();
    all
}

fn csv(path: &Path, rows: usize, f: impl Fn(f64) -> f64) {
    let text: String = (0..rows)
        .map(|i| {
            let x = -2.0 + 4.0 * i as f64 / (rows - 1) as f64;
            format!("{x},{}\n", f(x))
        })
        .collect();
    fs::write(path, format!("x,y\n{text}")).unwrap();
}

#[test]
fn a_loaded_model_and_csv_data_record_null_for_what_means_nothing() {
    let dir = scratch("nulls");
    let model = dir.join("m.cnet");
    run(&args(
        &dir.join("a"),
        &format!("--epochs 20 --save {}", model.display()),
    ))
    .unwrap();
    let loaded = dir.join("b");
    run(&args(
        &loaded,
        &format!("--load {} --lr 0.5", model.display()),
    ))
    .unwrap();
    let s = summary(&loaded);
    for key in [
        "lr",
        "optimizer",
        "momentum",
        "batch_size",
        "epochs",
        "train_seconds",
    ] {
        assert_eq!(s[key], Value::Null, "{key}");
    }
    assert_eq!(s["trained"], Value::Bool(false));
    // CSV data whose path holds a tab, a quote and a newline, with --noise NaN: valid JSON.
    let data = dir.join("odd\tna\"me\n.csv");
    csv(&data, 50, |x| x * x * x);
    let out = dir.join("c");
    // (Parsed from OS strings: the test helper splits flags on whitespace.)
    let raw: Vec<std::ffi::OsString> = vec![
        "--quiet".into(),
        "--epochs".into(),
        "20".into(),
        "--noise".into(),
        "NaN".into(),
        "--out".into(),
        out.clone().into(),
        "--data".into(),
        data.clone().into(),
    ];
    run(&crate::fit::args::parse(raw).unwrap()).unwrap();
    let s = summary(&out);
    assert_eq!(s["noise"], Value::Null);
    assert_eq!(s["samples"], Value::Null);
    assert_eq!(s["data"].as_str().unwrap(), data.to_str().unwrap());
    assert!(s["lr"].is_number() && s["momentum"].is_null());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn momentum_is_recorded_only_for_momentum_optimizers() {
    let out = scratch("momentum");
    run(&args(
        &out,
        "--epochs 5 --optimizer nesterov --momentum 0.5",
    ))
    .unwrap();
    assert_eq!(summary(&out)["momentum"].as_f64(), Some(0.5));
    fs::remove_dir_all(&out).unwrap();
}

#[test]
fn constant_targets_give_an_undefined_r2_and_keep_the_model() {
    let dir = scratch("constant");
    let data = dir.join("flat.csv");
    csv(&data, 40, |_| 3.0);
    let (out, model) = (dir.join("run"), dir.join("m.cnet"));
    let line = run(&args(
        &out,
        &format!(
            "--epochs 50 --data {} --save {}",
            data.display(),
            model.display()
        ),
    ))
    .unwrap();
    assert!(
        line.contains("train R² undefined, test R² undefined"),
        "{line}"
    );
    assert!(line.contains("constant targets"), "{line}");
    let s = summary(&out);
    assert_eq!(s["train_r2"], Value::Null);
    assert!(
        s["train_r2_undefined"]
            .as_str()
            .unwrap()
            .contains("constant")
    );
    assert!(s["test_mse"].is_number());
    assert!(fs::metadata(&model).unwrap().len() > 100, "model not saved");
    // The int8 model's R² is undefined too, not a failure after everything was written.
    let line = run(&args(
        &dir.join("int8"),
        &format!("--epochs 50 --data {} --quantize int8", data.display()),
    ))
    .unwrap();
    assert!(line.ends_with("int8 test R² undefined"), "{line}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_int8_export_of_a_scaled_model_folds_its_scalers() {
    // Was refused (#23.21): the int8 network was written without the model's scaling.
    let dir = scratch("int8-scaled");
    let data = dir.join("d.csv");
    csv(&data, 60, |x| 100.0 + 10.0 * x * x * x);
    let model = dir.join("m.cnet");
    // Real data: scaled by default.
    run(&args(
        &dir.join("a"),
        &format!("--data {} --save {}", data.display(), model.display()),
    ))
    .unwrap();
    let export = dir.join("q.rs");
    let line = run(&args(
        &dir.join("b"),
        &format!(
            "--data {} --load {} --quantize int8 --export-rs {}",
            data.display(),
            model.display(),
            export.display()
        ),
    ))
    .unwrap();
    // The int8 model's R² is measured in raw units, as the export runs.
    let r2: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(r2 > 0.9, "{line}");
    let source = fs::read_to_string(&export).unwrap();
    assert!(
        source.contains("QEdge") && source.contains("offset"),
        "{source}"
    );
    // The target's mean (≈ 100) is the output edge's offset: raw units out.
    let loaded: crate::fit::Model<1> = constnet::persist::load(&model).unwrap();
    let mean = loaded.output.mean[0];
    assert!((mean - 100.0).abs() < 10.0, "{mean}");
    assert!(
        source.contains(&format!("0x{:08x}", mean.to_bits())),
        "the target mean is not in the export"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failure_part_way_leaves_every_previous_output_untouched() {
    let dir = scratch("partway");
    let (out, model) = (dir.join("run"), dir.join("m.cnet"));
    run(&args(
        &out,
        &format!("--epochs 20 --save {}", model.display()),
    ))
    .unwrap();
    // The export's path is a folder: refused before training (the staging would refuse
    // it after the model was staged).
    let folder = dir.join("export.rs");
    fs::create_dir(&folder).unwrap();
    let before_with_folder = snapshot(&dir);
    let err = run(&args(
        &out,
        &format!(
            "--epochs 30 --seed 7 --save {} --export-rs {}",
            model.display(),
            folder.display()
        ),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("export.rs") && err.contains("is a folder"),
        "{err}"
    );
    assert_eq!(
        snapshot(&dir),
        before_with_folder,
        "files changed or temporaries left"
    );
    fs::remove_dir(&folder).unwrap();
    // A plot that cannot be written (loss.png is a folder), after the model was staged:
    // the model too stays as it was (it used to be moved in first, so a failing or killed
    // run left a new model beside the old plots and summary).
    fs::remove_file(out.join("loss.png")).unwrap();
    fs::create_dir(out.join("loss.png")).unwrap();
    let before_with_folder = snapshot(&dir);
    let err = run(&args(
        &out,
        &format!("--epochs 30 --seed 7 --save {}", model.display()),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("loss.png"), "{err}");
    assert_eq!(
        snapshot(&dir),
        before_with_folder,
        "files changed or temporaries left"
    );
    fs::remove_dir(out.join("loss.png")).unwrap();
    // A fresh --out folder is not left behind by a failed run.
    let fresh = dir.join("fresh");
    fs::create_dir(&folder).unwrap();
    assert!(
        run(&args(
            &fresh,
            &format!("--epochs 5 --export-rs {}", folder.display())
        ))
        .is_err()
    );
    assert!(!fresh.exists());
    // Nor the parents it made for it (`nest/a` was left), also when --out itself cannot be
    // made (a name too long for the file system).
    let long = dir.join("new1").join("new2").join("n".repeat(300));
    assert!(run(&args(&long, "--epochs 5")).is_err());
    assert!(!dir.join("new1").exists());
    let nested = dir.join("nest").join("a").join("b");
    assert!(run(&args(&nested, "--epochs 5 --lr 1e300")).is_err());
    assert!(!dir.join("nest").exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_output_over_an_input_is_an_error_before_any_work() {
    let dir = scratch("overwrite");
    let data = dir.join("data.csv");
    csv(&data, 30, |x| x * x * x);
    let original = fs::read(&data).unwrap();
    let out = dir.join("run");
    let dotted = dir.join(".").join("data.csv");
    let mut cases = vec![
        format!("--data {} --save {}", data.display(), data.display()),
        format!("--data {} --export-rs {}", data.display(), dotted.display()),
        format!(
            "--data {} --save {}",
            data.display(),
            dir.join("run/../data.csv").display()
        ),
    ];
    // --data inside --out under an output's name.
    fs::create_dir_all(&out).unwrap();
    fs::create_dir_all(dir.join("run")).unwrap();
    let inside = out.join("summary.json");
    csv(&inside, 30, |x| x * x * x);
    cases.push(format!("--data {}", inside.display()));
    #[cfg(unix)]
    {
        let link = dir.join("link.cnet");
        std::os::unix::fs::symlink(&data, &link).unwrap();
        cases.push(format!(
            "--data {} --save {}",
            data.display(),
            link.display()
        ));
    }
    for flags in cases {
        let err = run(&args(&out, &format!("--epochs 5 {flags}")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("would overwrite the input"), "{flags}: {err}");
    }
    assert_eq!(fs::read(&data).unwrap(), original);
    // Two outputs onto one file.
    let err = run(&args(
        &out,
        &format!("--epochs 5 --save {}", out.join("fit.png").display()),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("same file"), "{err}");
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn save_onto_a_symbolic_link_replaces_the_file_it_points_to() {
    let dir = scratch("symlink");
    fs::create_dir(dir.join("models")).unwrap();
    let real = dir.join("models/current.cnet");
    fs::write(&real, "old").unwrap();
    let link = dir.join("latest.cnet");
    std::os::unix::fs::symlink("models/current.cnet", &link).unwrap();
    run(&args(
        &dir.join("run"),
        &format!("--epochs 5 --save {}", link.display()),
    ))
    .unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read(&real).unwrap().starts_with(b"constnet"));
    assert_eq!(
        fs::read_dir(dir.join("models")).unwrap().count(),
        1,
        "a temporary was left beside the target"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn load_into_a_used_folder_removes_the_old_loss_curve() {
    let dir = scratch("stale-loss");
    let (out, model) = (dir.join("run"), dir.join("m.cnet"));
    run(&args(
        &out,
        &format!("--epochs 5 --save {}", model.display()),
    ))
    .unwrap();
    assert!(out.join("loss.png").exists());
    run(&args(&out, &format!("--load {}", model.display()))).unwrap();
    assert!(!out.join("loss.png").exists());
    assert_eq!(summary(&out)["trained"], Value::Bool(false));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stale_temporaries_of_our_pattern_and_a_dead_process_are_cleaned_up() {
    let out = scratch("stale-tmp");
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = [
        format!(".summary.json.tmp-{dead}-0.json"),
        format!(".fit.png.tmp-{dead}-12.png"),
    ];
    let keep = [
        format!(".summary.json.tmp-{}-0.json", std::process::id()),
        format!(".notes.txt.tmp-{dead}-0.txt"),
        "summary.json.tmp".to_string(),
    ];
    for name in stale.iter().chain(&keep) {
        fs::write(out.join(name), "leftover").unwrap();
    }
    run(&args(&out, "--epochs 5")).unwrap();
    for name in &stale {
        assert_eq!(
            out.join(name).exists(),
            !cfg!(target_os = "linux"),
            "{name}"
        );
    }
    for name in &keep {
        assert!(out.join(name).exists(), "{name} was removed");
    }
    fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_network_that_ends_as_it_started_fails_the_run_and_is_not_saved() {
    let dir = scratch("unchanged");
    let model = dir.join("m.cnet");
    fs::write(&model, "the user's earlier model").unwrap();
    // Seed 11: the untrained network scores train R² 0.39 here, above the R² floor, so
    // only the unchanged weights tell (this exited 0 and saved the untrained network).
    for seed in [1, 11] {
        let err = run(&args(
            &dir.join("o"),
            &format!(
                "--epochs 2 --lr 1e-30 --seed {seed} --save {}",
                model.display()
            ),
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("learned nothing") && err.contains("too small") && err.contains("1e-30"),
            "seed {seed}: {err}"
        );
        assert_eq!(fs::read(&model).unwrap(), b"the user's earlier model");
        assert!(!dir.join("o").exists(), "a failed run writes nothing");
    }
    // Early stopping back at the untrained weights (every step made the loss worse): the
    // learning rate is too large, not too small.
    let err = run(&args(
        &dir.join("o"),
        &format!("--patience 1 --lr 0.1 --save {}", model.display()),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("learned nothing") && err.contains("too large") && err.contains("--lr 0.01"),
        "{err}"
    );
    assert_eq!(fs::read(&model).unwrap(), b"the user's earlier model");
    // A learning rate too small with early stopping: every loss equals the first, so the
    // untrained weights are "best", and the rate is too small, not too large.
    let err = run(&args(&dir.join("o"), "--epochs 50 --lr 1e-30 --patience 3"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("too small"), "{err}");
    // Cross-validation too (seed 35: mean test R² 0.30 from untrained networks, exit 0).
    let err = run(&args(
        &dir.join("cv"),
        "--folds 2 --lr 1e-30 --seed 35 --epochs 2 --samples 500",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("too small"), "{err}");
    // A normal run is not affected.
    run(&args(&dir.join("o"), "--epochs 20")).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_layouts_the_tool_cannot_read_are_named_with_the_remedy() {
    let dir = scratch("layouts");
    let write = |name: &str, text: &str| {
        let file = dir.join(name);
        fs::write(&file, text).unwrap();
        file
    };
    let fails = |file: &Path, flags: &str| {
        run(&args(
            &dir.join("o"),
            &format!("--data {} {flags}", file.display()),
        ))
        .unwrap_err()
        .to_string()
    };
    // Without a header, or after blank lines: columns are read by name, so say so.
    for (name, text) in [
        ("bare.csv", "1,2,3\n4,5,6\n"),
        ("blank.csv", "\n\n1,2,3\n4,5,6\n"),
    ] {
        let err = fails(&write(name, text), "");
        assert!(
            err.contains("not a header") && err.contains("x,y"),
            "{name}: {err}"
        );
    }
    // A ragged data row under an `x,y` header is a broken row, not a wider data set.
    let err = fails(&write("ragged.csv", "x,y\n1,2,3\n"), "");
    assert!(err.contains("line 2"), "{err}");
    // More inputs than the tool's widths: the count, the widths and the way out.
    let names: Vec<String> = (0..17).map(|i| format!("c{i}")).collect();
    let wide = write("wide.csv", &format!("{},y\n", names.join(",")));
    let err = fails(&wide, "");
    assert!(
        err.contains("17 input columns") && err.contains("--inputs"),
        "{err}"
    );
    // Columns by name: an unknown one, the target among the inputs, a repeat.
    let small = write("small.csv", "a,b,y\n1,2,3\n");
    for (flags, expected) in [
        ("--target z", "--target z: no such column"),
        ("--inputs a,q", "--inputs: no column `q`"),
        ("--inputs a,y", "names the target column `y`"),
        ("--inputs a,a", "names `a` twice"),
    ] {
        let err = fails(&small, flags);
        assert!(err.contains(expected), "{flags}: {err}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_out_folder_that_is_a_file_is_named_as_such() {
    let dir = scratch("out-file");
    let file = dir.join("taken");
    fs::write(&file, "mine").unwrap();
    let err = run(&args(&file, "--samples 20 --epochs 1"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("exists and is not a folder") && err.contains("taken"),
        "{err}"
    );
    assert_eq!(fs::read(&file).unwrap(), b"mine");
    // A dangling link (said "File exists (os error 17)").
    #[cfg(unix)]
    {
        let link = dir.join("link");
        std::os::unix::fs::symlink(dir.join("gone"), &link).unwrap();
        let err = run(&args(&link, "--samples 20 --epochs 1"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("symbolic link") && err.contains("gone"),
            "{err}"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_from_the_library_are_one_line_with_the_file_named() {
    let dir = scratch("messages");
    let data = dir.join("semi.csv");
    fs::write(&data, "1;2\n3;4\n").unwrap();
    let err = run(&args(
        &dir.join("run"),
        &format!("--data {}", data.display()),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("semi.csv") && err.contains("semicolon") && !err.contains("  "),
        "{err}"
    );
    assert_eq!(crate::one_line("a\nb\rc"), "a\\nb\\rc");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn noise_beyond_f32_is_blamed_on_noise() {
    let out = scratch("noise-f32");
    for noise in ["1e39", "3.4e38"] {
        let err = run(&args(&out, &format!("--noise {noise}")))
            .unwrap_err()
            .to_string();
        // Was "y holds a NaN or infinite value at index 0".
        assert!(
            err.starts_with(&format!("--noise {noise}: ")) && err.contains("f32"),
            "{err}"
        );
    }
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn a_loaded_model_that_overflows_is_named() {
    use constnet::Params;
    let dir = scratch("overflowing-model");
    let path = dir.join("huge.cnet");
    // Valid file, finite weights, but predictions beyond f32.
    let mut model = <crate::fit::Model<1> as Params<f32>>::zeros();
    for i in 0..<crate::fit::Model<1> as Params<f32>>::TENSORS {
        if !<crate::fit::Model<1> as Params<f32>>::frozen(i) {
            model.tensor_mut(i).fill(3e38);
        }
    }
    constnet::persist::save(&model, &path).unwrap();
    let err = run(&args(&dir.join("o"), &format!("--load {}", path.display())))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("--load {}: ", path.display())),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}
