//! Real data (issue #11): defaults that work without tuning, scaling inside the model,
//! cross-validation, validation and early stopping, and runs that learned nothing refused.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::scratch;
use crate::fit::{args, run};

fn json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
}

/// Runs with exactly these flags (no reduced defaults: the real-data defaults are tested).
fn run_flags(out: &Path, flags: &str) -> Result<String, String> {
    let line = format!("--quiet --out {} {flags}", out.display());
    let args = args::parse(line.split_whitespace()).map_err(|e| format!("parse: {e}"))?;
    run(&args).map_err(|e| e.to_string())
}

fn repo(path: &str) -> PathBuf {
    // The data sets live at the workspace root, beside cli/.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// `y = ((x − 3000) / 1000)³ · 3000 + noise`, x in [1000, 5000]: real offsets and scale.
fn wide_csv(path: &Path) {
    let mut text = String::from("x,y\n");
    for i in 0..300 {
        let x = 1000.0 + 4000.0 * ((i * 37) % 300) as f64 / 299.0;
        let t = (x - 3000.0) / 1000.0;
        text.push_str(&format!(
            "{x},{}\n",
            t * t * t * 3000.0 + 50.0 * ((i * 7) % 11) as f64
        ));
    }
    fs::write(path, text).unwrap();
}

#[test]
fn data_in_physical_units_fits_with_no_flag_and_the_model_holds_the_scaling() {
    let dir = scratch("wide");
    let data = dir.join("wide.csv");
    wide_csv(&data);
    let model = dir.join("m.cnet");
    let line = run_flags(
        &dir.join("run"),
        &format!("--data {} --save {}", data.display(), model.display()),
    )
    .unwrap();
    let s = json(&dir.join("run/summary.json"));
    assert!(s["test_r2"].as_f64().unwrap() > 0.95, "{line}");
    assert_eq!(s["scale"], "standard");
    assert_eq!(
        (s["optimizer"].as_str(), s["epochs"].as_u64()),
        (Some("adam"), Some(200))
    );
    let mean = s["input_mean"][0].as_f64().unwrap();
    assert!((2500.0..3500.0).contains(&mean), "{mean}");
    // The model file holds the scaling: loaded, it gives the same results on raw data.
    let back = run_flags(
        &dir.join("back"),
        &format!("--data {} --load {}", data.display(), model.display()),
    )
    .unwrap();
    let b = json(&dir.join("back/summary.json"));
    assert_eq!(b["test_r2"], s["test_r2"], "{back}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_network_that_learned_nothing_fails_writes_nothing_and_keeps_the_old_model() {
    let dir = scratch("nothing");
    let data = dir.join("narrow.csv");
    // x in [100, 104] unscaled: every ReLU dies or the fit stays flat.
    let text: String = (0..200)
        .map(|i| {
            let x = 100.0 + 4.0 * i as f64 / 199.0;
            format!("{x},{}\n", (x - 102.0).powi(3))
        })
        .collect();
    fs::write(&data, format!("x,y\n{text}")).unwrap();
    let model = dir.join("m.cnet");
    fs::write(&model, b"the user's previous model").unwrap();
    let out = dir.join("run");
    let err = run_flags(
        &out,
        &format!(
            "--data {} --scale none --save {}",
            data.display(),
            model.display()
        ),
    )
    .unwrap_err();
    assert!(
        err.contains("learned nothing") && err.contains("--scale standard"),
        "{err}"
    );
    assert!(
        err.contains("100") && err.contains("104"),
        "the message quotes the inputs' span: {err}"
    );
    assert_eq!(fs::read(&model).unwrap(), b"the user's previous model");
    assert!(!out.exists(), "a failed run writes nothing");
    // The same data with the defaults fits.
    run_flags(&dir.join("ok"), &format!("--data {}", data.display())).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_remedy_names_the_learning_rate_as_a_user_would_type_it() {
    let dir = scratch("tiny-lr");
    // Small enough to learn nothing in two epochs, large enough to move the weights (at
    // 1e-30 they do not move, which is its own message).
    let err = run_flags(&dir, "--samples 200 --lr 1e-6 --epochs 2").unwrap_err();
    assert!(
        err.contains("learned nothing") && err.contains("(--lr 1e-5)"),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_learning_rate_that_kills_the_network_is_refused_with_the_remedy() {
    let dir = scratch("killed");
    let err = run_flags(&dir, "--samples 200 --optimizer adam --lr 10 --epochs 100").unwrap_err();
    assert!(
        err.contains("learned nothing") && err.contains("smaller learning rate"),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cross_validation_reports_every_fold_and_writes_the_split() {
    let dir = scratch("folds");
    let line = run_flags(
        &dir,
        &format!("--data {} --folds 5", repo("data/gagurine.csv").display()),
    )
    .unwrap();
    assert!(
        line.starts_with("5-fold cross-validation: test R² mean "),
        "{line}"
    );
    let s = json(&dir.join("summary.json"));
    let folds = s["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 5);
    let r2: Vec<f64> = folds
        .iter()
        .map(|f| f["test_r2"].as_f64().unwrap())
        .collect();
    let mean = r2.iter().sum::<f64>() / 5.0;
    assert!((s["mean_test_r2"].as_f64().unwrap() - mean).abs() < 1e-12);
    assert_eq!(
        s["min_test_r2"].as_f64().unwrap(),
        r2.iter().copied().fold(f64::MAX, f64::min)
    );
    // Every one of the 314 rows is tested exactly once; test folds of 63 or 62 rows.
    let csv = fs::read_to_string(dir.join("folds.csv")).unwrap();
    let mut seen = vec![0; 314];
    for line in csv.lines().skip(1) {
        seen[line.split(',').next().unwrap().parse::<usize>().unwrap()] += 1;
    }
    assert!(seen.iter().all(|&n| n == 1));
    assert_eq!(folds[0]["n_test"], 63);
    assert_eq!(folds[4]["n_test"], 62);
    fs::remove_dir_all(&dir).unwrap();
}

/// The target for `--data gagurine.csv --folds 5` with no other flag: mean R² ≥ 0.68
/// on seeds 0–4 (scikit-learn's MLP(64, 64) pipeline: 0.699 on its own folds). The min per
/// seed is reported in the README, with scikit-learn on the same folds.
#[test]
fn gagurine_cross_validates_above_the_target_mean_on_seeds_0_to_4() {
    let dir = scratch("gagurine");
    for seed in 0..5 {
        run_flags(
            &dir,
            &format!(
                "--data {} --folds 5 --seed {seed}",
                repo("data/gagurine.csv").display()
            ),
        )
        .unwrap();
        let mean = json(&dir.join("summary.json"))["mean_test_r2"]
            .as_f64()
            .unwrap();
        assert!(mean >= 0.68, "seed {seed}: mean {mean}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn folds_refuse_flags_that_keep_a_model() {
    for flag in [
        "--save m.cnet",
        "--load m.cnet",
        "--export-rs m.rs",
        "--quantize int8",
    ] {
        let err = args::parse(format!("--folds 3 {flag}").split_whitespace()).unwrap_err();
        assert!(err.contains("--folds only evaluates"), "{flag}: {err}");
    }
    assert!(
        args::parse("--folds 1".split_whitespace())
            .unwrap_err()
            .contains("at least 2")
    );
}

#[test]
fn validation_and_early_stopping_are_recorded_and_drawn() {
    let dir = scratch("val");
    let line = run_flags(
        &dir,
        "--samples 200 --epochs 2000 --val-fraction 0.2 --patience 20 --optimizer adam --lr 0.01",
    )
    .unwrap();
    let s = json(&dir.join("summary.json"));
    assert_eq!(s["n_val"], 40);
    // The 160 rows trained on; the 40 validation rows are counted apart.
    assert_eq!(s["n_train"], 160);
    let best = s["best_epoch"].as_u64().unwrap();
    let run = s["epochs_run"].as_u64().unwrap();
    assert!(s["final_val_mse"].is_number());
    // Seed 42 stops (measured: best epoch 227, 247 run): patience epochs after the best.
    assert_eq!(s["stopped_early"], true, "{line}");
    assert_eq!(run, best + 20, "{line}");
    assert!(line.contains("stopped early"), "{line}");
    assert!(dir.join("loss.png").exists() && dir.join("diagnostics.png").exists());
    fs::remove_dir_all(&dir).unwrap();
}

/// A model file of the bare seed network (written before models held their scaling, or a
/// PyTorch `nn.Sequential` state dict) loads with identity scaling.
#[test]
fn a_bare_seed_network_file_loads_with_identity_scaling() {
    use constnet::{Init, InitScheme};
    use rand::SeedableRng;
    let dir = scratch("bare");
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
    let seed: crate::fit::Net<1> = Init::init(&mut rng, InitScheme::He);
    for name in ["bare.cnet", "bare.safetensors"] {
        let path = dir.join(name);
        constnet::safetensors::save_auto(&seed, &path).unwrap();
        let model = crate::model::load::<1, 1>(&path, "--load").unwrap().0;
        assert_eq!(model, crate::fit::Model::<1>::new(seed.clone()), "{name}");
    }
    fs::write(dir.join("junk.cnet"), b"not a model").unwrap();
    let err = crate::model::load::<1, 1>(&dir.join("junk.cnet"), "--load")
        .unwrap_err()
        .to_string();
    assert!(err.contains("--load") && err.contains("junk.cnet"), "{err}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cross_validation_refuses_what_cannot_work_before_training() {
    let dir = scratch("cv-refuse");
    let ten = dir.join("ten.csv");
    let rows: String = (0..10).map(|i| format!("{i},{}\n", i * i)).collect();
    fs::write(&ten, format!("x,y\n{rows}")).unwrap();
    let err = run_flags(
        &dir.join("a"),
        &format!("--data {} --folds 10", ten.display()),
    )
    .unwrap_err();
    assert!(err.contains("needs at least 20 rows"), "{err}");
    let flat = dir.join("flat.csv");
    let rows: String = (0..20).map(|i| format!("{i},7\n")).collect();
    fs::write(&flat, format!("x,y\n{rows}")).unwrap();
    let err = run_flags(
        &dir.join("b"),
        &format!("--data {} --folds 2", flat.display()),
    )
    .unwrap_err();
    assert!(err.contains("constant targets"), "{err}");
    assert!(!dir.join("a").exists() && !dir.join("b").exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failing_fold_fails_the_run_and_old_plots_go_only_with_a_good_one() {
    let dir = scratch("cv-fail");
    let out = dir.join("run");
    // A single run first: its plots must not sit beside the cross-validation's summary.
    run_flags(&out, "--samples 100 --epochs 5").unwrap();
    assert!(out.join("loss.png").exists());
    let before: Vec<_> = ["loss.png", "summary.json"]
        .map(|f| fs::read(out.join(f)).unwrap())
        .into();
    // Plain SGD at lr 10 diverges in every fold: the run fails, naming each fold, and
    // leaves the previous run's files as they were.
    let err = run_flags(&out, "--samples 100 --folds 2 --lr 10").unwrap_err();
    assert!(
        err.contains("2 of 2 folds failed") && err.contains("fold 1/2") && err.contains("diverged"),
        "{err}"
    );
    let after: Vec<_> = ["loss.png", "summary.json"]
        .map(|f| fs::read(out.join(f)).unwrap())
        .into();
    assert!(
        before == after,
        "a failed cross-validation changed the previous outputs"
    );
    // With --patience, each fold's best epoch is counted from 1, as a single run's.
    run_flags(&out, "--samples 100 --folds 2 --epochs 30 --patience 200").unwrap();
    let s = json(&out.join("summary.json"));
    assert!(s["folds"][0]["best_epoch"].as_u64().unwrap() >= 1);
    assert!(s["folds"][0]["best_epoch"].as_u64() <= s["folds"][0]["epochs_run"].as_u64());
    // The good cross-validation removed the single run's plots: they would not match it.
    for stale in ["loss.png", "fit.png", "diagnostics.png"] {
        assert!(
            !out.join(stale).exists(),
            "{stale} left beside the CV summary"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_validation_part_of_one_row_is_refused() {
    let dir = scratch("val-one");
    let err = run_flags(&dir, "--samples 20 --val-fraction 0.01").unwrap_err();
    assert!(
        err.contains("leaves 1 for validation") && err.contains("at least 2"),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// Targets near 1e19 overflow f32 when squared: said as that, with the fix for raw units.
#[test]
fn an_overflowing_loss_names_the_scaling_fix() {
    let dir = scratch("overflow");
    let data = dir.join("huge.csv");
    // A smooth curve (so that the scaled run can learn it) at 1e19–4e19.
    let rows: String = (0..100)
        .map(|i| {
            let x = i as f64 / 100.0;
            format!("{x},{}e19\n", 1.0 + 3.0 * x * x)
        })
        .collect();
    fs::write(&data, format!("x,y\n{rows}")).unwrap();
    let err = run_flags(
        &dir.join("run"),
        &format!("--data {} --scale none", data.display()),
    )
    .unwrap_err();
    assert!(
        err.contains("overflow") && err.contains("--scale standard"),
        "{err}"
    );
    assert!(!err.contains("try a smaller learning rate"), "{err}");
    run_flags(&dir.join("ok"), &format!("--data {}", data.display())).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

/// A model file whose scaling is unusable (a zero std: every prediction infinite) is
/// refused when loaded, naming the file.
#[test]
fn a_model_file_with_unusable_scaling_is_refused() {
    use constnet::Params;
    let dir = scratch("bad-scale");
    let path = dir.join("zero-std.cnet");
    let mut model = crate::fit::Model::<1>::zeros();
    model.output.std[0] = 0.0;
    constnet::persist::save(&model, &path).unwrap();
    let err = crate::model::load::<1, 1>(&path, "--load")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("zero-std.cnet") && err.contains("target scaling is unusable"),
        "{err}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// A hidden layer dead on every training row for long enough ends the run early, which
/// then fails with the cause.
#[test]
fn a_dead_network_stops_training_early() {
    let dir = scratch("dead-stop");
    let data = dir.join("narrow.csv");
    let text: String = (0..200)
        .map(|i| {
            let x = 100.0 + 4.0 * ((i * 37) % 200) as f64 / 199.0;
            format!("{x},{}\n", ((x - 102.0) / 2.0).powi(3))
        })
        .collect();
    fs::write(&data, format!("x,y\n{text}")).unwrap();
    let out = dir.join("run");
    let err = run_flags(
        &out,
        &format!(
            "--data {} --scale none --lr 0.05 --epochs 5000",
            data.display()
        ),
    )
    .unwrap_err();
    assert!(
        err.contains("training stopped at epoch") && err.contains("inactive"),
        "{err}"
    );
    // "training stopped at epoch N": long before the 5000 asked for.
    let run: u64 = err
        .split("training stopped at epoch ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no epoch in: {err}"));
    assert!(run < 1000, "{run} epochs ran");
    assert!(!out.exists(), "a failed run writes nothing");
    fs::remove_dir_all(&dir).unwrap();
}
