//! The flag table ([`FLAGS`]) and the value parsers its setters use: a new flag is one
//! entry here (name, value, help line, defaults, setter).

use std::ffi::OsString;
use std::path::PathBuf;
use std::str::FromStr;

use super::{Flag, MAX_EPOCHS, MAX_SAMPLES, OptimizerKind, ScaleKind};

/// The defaults of `--classify` (with `--data`) where they differ from a regression's,
/// for the flags not given: scikit-learn `MLPClassifier`'s settings (Adam at 1e-3, small
/// batches, stop when the training loss has not fallen by 1e-4 for 10 epochs, at most
/// 1000 epochs). The README's classification table measures them on digits and wine.
pub const CLASSIFY_DEFAULTS: &[(&str, &str)] = &[
    ("epochs", "1000"),
    ("lr", "0.001"),
    ("batch-size", "32"),
    ("patience", "10"),
    ("min-delta", "0.0001"),
];

/// Every flag: the parser and `--help` both read this table.
pub const FLAGS: &[Flag] = &[
    Flag {
        long: "epochs",
        short: None,
        value: Some("N"),
        help: "training epochs (at most 100000000)",
        data_default: Some("200"),
        default: Some("900"),
        set: |a, v| {
            a.epochs = at_most("--epochs", number("--epochs", v)?, MAX_EPOCHS)?;
            Ok(())
        },
    },
    Flag {
        long: "lr",
        short: None,
        value: Some("X"),
        help: "learning rate",
        data_default: None,
        default: Some("0.01"),
        set: |a, v| {
            a.lr = number("--lr", v)?;
            Ok(())
        },
    },
    Flag {
        long: "batch-size",
        short: None,
        value: Some("N"),
        help: "samples per step; 0 = full batch (with --data, the default 256 means all of a smaller training set)",
        data_default: Some("256"),
        default: Some("full"),
        set: |a, v| {
            let n: usize = number("--batch-size", v)?;
            a.batch_size = (n > 0).then_some(n);
            Ok(())
        },
    },
    Flag {
        long: "optimizer",
        short: None,
        value: Some("NAME"),
        help: "sgd | momentum | nesterov | adam",
        data_default: Some("adam"),
        default: Some("sgd"),
        set: |a, v| {
            a.optimizer = optimizer(&text("--optimizer", v)?)?;
            Ok(())
        },
    },
    Flag {
        long: "momentum",
        short: None,
        value: Some("X"),
        help: "momentum factor (only with --optimizer momentum or nesterov)",
        data_default: None,
        default: Some("0.9"),
        set: |a, v| {
            a.momentum = number("--momentum", v)?;
            Ok(())
        },
    },
    Flag {
        long: "samples",
        short: None,
        value: Some("N"),
        help: "training samples, as many again held out (2 to 10000000)",
        data_default: None,
        default: Some("1000"),
        set: |a, v| {
            a.samples = at_most("--samples", number("--samples", v)?, MAX_SAMPLES)?;
            Ok(())
        },
    },
    Flag {
        long: "noise",
        short: None,
        value: Some("X"),
        help: "standard deviation σ of ε ~ N(0, σ²)",
        data_default: None,
        default: Some("0.1"),
        set: |a, v| {
            a.noise = number("--noise", v)?;
            Ok(())
        },
    },
    Flag {
        long: "seed",
        short: None,
        value: Some("N"),
        help: "seed of the data, the weights and shuffling",
        data_default: None,
        default: Some("42"),
        set: |a, v| {
            a.seed = number("--seed", v)?;
            Ok(())
        },
    },
    Flag {
        long: "threads",
        short: None,
        value: Some("N"),
        help: "1, or 2 to split steps of 256+ samples over two cores",
        data_default: None,
        default: Some("1"),
        set: |a, v| {
            a.threads = number("--threads", v)?;
            if !(1..=2).contains(&a.threads) {
                return Err("--threads must be 1 or 2".into());
            }
            Ok(())
        },
    },
    Flag {
        long: "data",
        short: None,
        value: Some("FILE.csv"),
        help: "train on your own data: a CSV file whose first line names the columns; 20% of the rows are held out to test on",
        data_default: None,
        default: None,
        set: |a, v| {
            a.data = Some(path("--data", v)?);
            Ok(())
        },
    },
    Flag {
        long: "inputs",
        short: None,
        value: Some("a,b,…"),
        help: "the input columns, by name, in the network's order (1 to 16, 32 or 64 of them) [default: every column but the target]",
        data_default: None,
        default: None,
        set: |a, v| {
            let list = text("--inputs", v)?;
            let names: Vec<String> = list.split(',').map(|n| n.trim().to_owned()).collect();
            if names.iter().any(String::is_empty) {
                return Err(format!(
                    "--inputs `{}`: an empty column name",
                    list.escape_debug()
                ));
            }
            a.inputs = Some(names);
            Ok(())
        },
    },
    Flag {
        long: "target",
        short: None,
        value: Some("NAME"),
        help: "the column to predict: a number, or with --classify a class label 0, 1, 2, … [default: the last column]",
        data_default: None,
        default: None,
        set: |a, v| {
            let name = text("--target", v)?;
            if name.trim().is_empty() {
                return Err("--target: an empty column name".into());
            }
            a.target = Some(name);
            Ok(())
        },
    },
    Flag {
        long: "classify",
        short: None,
        value: None,
        help: "train a classifier: the target holds class labels 0 to K − 1 (K = 2 to 10); softmax cross-entropy, accuracy, confusion matrix",
        data_default: None,
        default: None,
        set: |a, _| {
            a.classify = true;
            Ok(())
        },
    },
    Flag {
        long: "out",
        short: None,
        value: Some("DIR"),
        help: "where loss.png, fit.png, diagnostics.png, summary.json (and folds.csv) go",
        data_default: None,
        default: Some("constnet-out"),
        set: |a, v| {
            a.out = path("--out", v)?;
            Ok(())
        },
    },
    Flag {
        long: "save",
        short: None,
        value: Some("PATH"),
        help: "save the model: safetensors if PATH ends in .safetensors, else a constnet model file (a symbolic link is written through)",
        data_default: None,
        default: None,
        set: |a, v| {
            a.save = Some(path("--save", v)?);
            Ok(())
        },
    },
    Flag {
        long: "load",
        short: None,
        value: Some("PATH"),
        help: "load a model (.safetensors, e.g. from PyTorch, or a constnet model file) instead of training; evaluate and plot it",
        data_default: None,
        default: None,
        set: |a, v| {
            a.load = Some(path("--load", v)?);
            Ok(())
        },
    },
    Flag {
        long: "export-rs",
        short: None,
        value: Some("PATH"),
        help: "write the model as Rust source for a #![no_std] crate",
        data_default: None,
        default: None,
        set: |a, v| {
            a.export_rs = Some(path("--export-rs", v)?);
            Ok(())
        },
    },
    Flag {
        long: "quantize",
        short: None,
        value: Some("int8"),
        help: "int8 post-training quantization calibrated on (up to 20000) training inputs: report its test R² (a classifier: its accuracy); --export-rs then writes the int8 model, its scalers folded into the integer edges (raw units in and out)",
        data_default: None,
        default: None,
        set: |a, v| match text("--quantize", v)?.as_str() {
            "int8" => {
                a.quantize_int8 = true;
                Ok(())
            }
            other => Err(format!(
                "--quantize: unknown `{}` (only int8)",
                other.escape_debug()
            )),
        },
    },
    Flag {
        long: "scale",
        short: None,
        value: Some("KIND"),
        help: "standard: the model standardizes its inputs and targets with the training split's mean and std (stored in the model, exported); none: raw units",
        data_default: Some("standard"),
        default: Some("none"),
        set: |a, v| {
            a.scale = match text("--scale", v)?.as_str() {
                "standard" => ScaleKind::Standard,
                "none" => ScaleKind::None,
                other => {
                    return Err(format!(
                        "--scale: unknown `{}` (expected standard or none)",
                        other.escape_debug()
                    ));
                }
            };
            Ok(())
        },
    },
    Flag {
        long: "folds",
        short: None,
        value: Some("K"),
        help: "K-fold cross-validation (shuffled, seeded) on every row (no 20% test part; synthetic: --samples rows): K models, each fold's test R², their mean and min in summary.json, each row's fold in folds.csv",
        data_default: None,
        default: None,
        set: |a, v| {
            let k: usize = number("--folds", v)?;
            if k < 2 {
                return Err(format!("--folds: {k} is too few (at least 2)"));
            }
            a.folds = Some(k);
            Ok(())
        },
    },
    Flag {
        long: "val-fraction",
        short: None,
        value: Some("F"),
        help: "hold out this fraction of the training split as validation data: its loss is drawn in loss.png and --patience watches it",
        data_default: None,
        default: Some("0"),
        set: |a, v| {
            let f: f64 = number("--val-fraction", v)?;
            if !(0.0..1.0).contains(&f) {
                return Err(format!("--val-fraction: {f} is not in [0, 1)"));
            }
            a.val_fraction = (f > 0.0).then_some(f);
            Ok(())
        },
    },
    Flag {
        long: "patience",
        short: None,
        value: Some("N"),
        help: "stop when the validation loss (training loss without --val-fraction) has not improved for N epochs, and keep the best epoch's weights",
        data_default: None,
        default: None,
        set: |a, v| {
            let n: usize = number("--patience", v)?;
            if n == 0 {
                return Err("--patience must be at least 1".into());
            }
            a.patience = Some(n);
            Ok(())
        },
    },
    Flag {
        long: "min-delta",
        short: None,
        value: Some("X"),
        help: "the least decrease of the watched loss that counts as an improvement for --patience",
        data_default: None,
        default: Some("0"),
        set: |a, v| {
            let d: f64 = number("--min-delta", v)?;
            if !(d.is_finite() && d >= 0.0) {
                return Err(format!(
                    "--min-delta: {} is not a loss difference (finite and ≥ 0)",
                    super::super::verdict::flag_value(d)
                ));
            }
            a.min_delta = d;
            Ok(())
        },
    },
    Flag {
        long: "quiet",
        short: Some('q'),
        value: None,
        help: "no progress lines on stderr (warnings and errors still)",
        data_default: None,
        default: None,
        set: |a, _| {
            a.quiet = true;
            Ok(())
        },
    },
    Flag {
        long: "help",
        short: Some('h'),
        value: None,
        help: "this text",
        data_default: None,
        default: None,
        set: |a, _| {
            a.help = true;
            Ok(())
        },
    },
];

/// The value as UTF-8 text.
fn text(flag: &str, value: Option<OsString>) -> Result<String, String> {
    value
        .unwrap_or_default()
        .into_string()
        .map_err(|v| format!("{flag}: `{}` is not valid UTF-8", v.to_string_lossy()))
}

fn number<T: FromStr>(flag: &str, value: Option<OsString>) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let text = text(flag, value)?;
    text.trim().parse().map_err(|e: T::Err| {
        let why = e.to_string();
        let why = if why.contains("too large") {
            "is too large"
        } else {
            "is not a valid number"
        };
        format!("{flag}: `{}` {why}", text.escape_debug())
    })
}

fn at_most(flag: &str, n: usize, max: usize) -> Result<usize, String> {
    if n > max {
        Err(format!(
            "{flag}: {n} is more than this example supports (at most {max}; see --help)"
        ))
    } else {
        Ok(n)
    }
}

fn path(flag: &str, value: Option<OsString>) -> Result<PathBuf, String> {
    match value {
        Some(v) if !v.is_empty() => Ok(PathBuf::from(v)),
        _ => Err(format!("{flag}: the path is empty")),
    }
}

fn optimizer(name: &str) -> Result<OptimizerKind, String> {
    match name {
        "sgd" => Ok(OptimizerKind::Sgd),
        "momentum" => Ok(OptimizerKind::Momentum),
        "nesterov" => Ok(OptimizerKind::Nesterov),
        "adam" => Ok(OptimizerKind::Adam),
        _ => Err(format!(
            "--optimizer: unknown `{}` (expected sgd, momentum, nesterov or adam)",
            name.escape_debug()
        )),
    }
}
