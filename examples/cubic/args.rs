//! Command-line flags of the cubic example: one table ([`FLAGS`]) that both the parser and
//! `--help` read, so a new flag is one entry (its name, value, help line and setter).
//!
//! Arguments are OS strings (lexopt): a path that is not UTF-8 works; a number that is not
//! UTF-8 is a one-line error.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

/// At most this many epochs: the loss history (8 bytes an epoch) is kept for the plot, and
/// at the seed run's ~1 ms an epoch this is already more than a day of training.
pub const MAX_EPOCHS: usize = 100_000_000;
/// At most this many synthetic samples (as many again are held out): about 100 bytes of
/// data, plot points and training buffers each, so ~2 GB here.
pub const MAX_SAMPLES: usize = 10_000_000;

/// Which optimizer trains the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    Sgd,
    Momentum,
    Nesterov,
    Adam,
}

impl OptimizerKind {
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Nesterov => "nesterov",
            OptimizerKind::Adam => "adam",
        }
    }

    /// Whether `--momentum` means anything for this optimizer.
    pub fn uses_momentum(self) -> bool {
        matches!(self, OptimizerKind::Momentum | OptimizerKind::Nesterov)
    }
}

/// How the model scales its inputs and targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleKind {
    /// Standardize inputs and targets with the training split's mean and standard deviation.
    Standard,
    /// No scaling: the network sees the data's own units (the seed experiment).
    None,
}

impl ScaleKind {
    pub fn name(self) -> &'static str {
        match self {
            ScaleKind::Standard => "standard",
            ScaleKind::None => "none",
        }
    }
}

/// Everything the flags say. Defaults are the seed experiment's settings; with `--data`,
/// flags the user did not give take the real-data defaults ([`Args::resolve`]).
#[derive(Clone, Debug)]
pub struct Args {
    pub epochs: usize,
    pub lr: f64,
    pub batch_size: Option<usize>,
    pub optimizer: OptimizerKind,
    pub momentum: f64,
    pub samples: usize,
    pub noise: f64,
    pub seed: u64,
    pub threads: usize,
    pub data: Option<PathBuf>,
    pub out: PathBuf,
    pub save: Option<PathBuf>,
    pub load: Option<PathBuf>,
    pub export_rs: Option<PathBuf>,
    pub quantize_int8: bool,
    pub scale: ScaleKind,
    pub folds: Option<usize>,
    pub val_fraction: Option<f64>,
    pub patience: Option<usize>,
    pub quiet: bool,
    pub help: bool,
    /// The long names of the flags given, in order of first use.
    pub given: Vec<&'static str>,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            epochs: 900,
            lr: 0.01,
            batch_size: None,
            optimizer: OptimizerKind::Sgd,
            momentum: 0.9,
            samples: 1000,
            noise: 0.1,
            seed: 42,
            threads: 1,
            data: None,
            out: PathBuf::from("target/cubic"),
            save: None,
            load: None,
            export_rs: None,
            quantize_int8: false,
            scale: ScaleKind::None,
            folds: None,
            val_fraction: None,
            patience: None,
            quiet: false,
            help: false,
            given: Vec::new(),
        }
    }
}

impl Args {
    /// Whether `--<long>` was given.
    pub fn has(&self, long: &str) -> bool {
        self.given.contains(&long)
    }

    /// With `--data`, the settings a user of real data needs, for every flag not given:
    /// scaling on, and Adam in mini-batches (see `DATA_DEFAULTS` and the README for the
    /// measurements behind them). The synthetic run keeps the seed experiment's.
    fn resolve(&mut self) {
        if self.data.is_none() {
            return;
        }
        for flag in FLAGS {
            if let (Some(value), false) = (flag.data_default, self.has(flag.long)) {
                (flag.set)(self, Some(value.into())).expect("the table's defaults parse");
            }
        }
    }

    /// Flags given that this run ignores (they are recorded as `null` in summary.json), for
    /// a warning: training settings with `--load`, synthetic-data settings with `--data`.
    pub fn ignored(&self) -> Vec<&'static str> {
        let mut ignored = Vec::new();
        if self.load.is_some() {
            ignored.extend([
                "epochs",
                "lr",
                "batch-size",
                "optimizer",
                "momentum",
                "scale",
                "val-fraction",
                "patience",
            ]);
        }
        if self.data.is_some() {
            ignored.extend(["samples", "noise"]);
        }
        ignored.retain(|f| self.has(f));
        ignored
    }
}

/// Sets a field from the flag's value (`None` for a switch); the error is one line.
type Setter = fn(&mut Args, Option<OsString>) -> Result<(), String>;

/// One command-line flag.
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    /// The value's placeholder in `--help`; `None` for a switch.
    pub value: Option<&'static str>,
    pub help: &'static str,
    pub default: Option<&'static str>,
    /// The default with `--data` when it differs from `default`.
    pub data_default: Option<&'static str>,
    set: Setter,
}

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
        help: "1, or 2 to split steps of 256+ samples over two cores (needs --features parallel)",
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
        help: "train on your own `x,y` data (header optional); 20% is held out to test on",
        data_default: None,
        default: None,
        set: |a, v| {
            a.data = Some(path("--data", v)?);
            Ok(())
        },
    },
    Flag {
        long: "out",
        short: None,
        value: Some("DIR"),
        help: "where loss.png, fit.png, diagnostics.png, summary.json (and folds.csv) go",
        data_default: None,
        default: Some("target/cubic"),
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
        help: "int8 post-training quantization calibrated on the training inputs: report its test R²; --export-rs then writes the int8 model",
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
        help: "K-fold cross-validation (shuffled, seeded): train K models, report each fold's test R², their mean and min",
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

/// The `--help` text, generated from [`FLAGS`].
pub fn help() -> String {
    let mut out = String::from(
        "Learn y = x³ + ε with Dense(64) → ReLU → Dense(64) → ReLU → Dense(1), MSE loss.\n\n\
         USAGE:\n    cargo run --release --example cubic -- [FLAGS]\n\n\
         Without --data: the seed experiment (synthetic data, raw units, plain SGD). With \
         --data FILE.csv, flags you do not give take the real-data defaults (`with --data`): \
         the model standardizes inputs and targets, Adam trains it.\n\n\
         A network that learned nothing (a dead hidden layer, an exploded loss, train R² \
         below 0.1) fails the run after its plots are written, naming the cause and the \
         remedy, and is not saved. The model is written first, then the plots and \
         summary.json, each group all at once: a failed step leaves existing files as they \
         were. A repeated flag: the last value wins.\n\nFLAGS:\n",
    );
    for flag in FLAGS {
        let mut left = match flag.short {
            Some(c) => format!("-{c}, --{}", flag.long),
            None => format!("    --{}", flag.long),
        };
        if let Some(value) = flag.value {
            left = format!("{left} {value}");
        }
        let default = match (flag.default, flag.data_default) {
            (Some(d), Some(dd)) => format!(" [default: {d}; with --data: {dd}]"),
            (None, Some(dd)) => format!(" [with --data: {dd}]"),
            (Some(d), None) => format!(" [default: {d}]"),
            (None, None) => String::new(),
        };
        let _ = writeln!(out, "    {left:<24}{}{default}", flag.help);
    }
    out
}

/// Parses the arguments (after the program name); the error is one readable line.
pub fn parse<I>(raw: I) -> Result<Args, String>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut args = Args::default();
    let mut parser = lexopt::Parser::from_args(raw);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let (flag, shown) = match arg {
            lexopt::Arg::Long(name) => (FLAGS.iter().find(|f| f.long == name), format!("--{name}")),
            lexopt::Arg::Short(c) => (FLAGS.iter().find(|f| f.short == Some(c)), format!("-{c}")),
            lexopt::Arg::Value(v) => {
                return Err(format!(
                    "unexpected argument `{}` (flags start with --; see --help)",
                    v.to_string_lossy().escape_debug()
                ));
            }
        };
        let flag =
            flag.ok_or_else(|| format!("unknown flag `{}` (see --help)", shown.escape_debug()))?;
        let long = format!("--{}", flag.long);
        // A repeated flag: the last value wins (so a wrapper can append overrides).
        if !args.has(flag.long) {
            args.given.push(flag.long);
        }
        let value = match flag.value {
            Some(_) => Some(
                parser
                    .value()
                    .map_err(|_| format!("{long} needs a value (see --help)"))?,
            ),
            None => match parser.optional_value() {
                Some(_) => return Err(format!("{long} takes no value")),
                None => None,
            },
        };
        (flag.set)(&mut args, value)?;
    }
    args.resolve();
    if args.samples < 2 {
        return Err("--samples must be at least 2 (R² needs two test samples)".into());
    }
    let kept = ["save", "load", "export-rs", "quantize"];
    if let (Some(_), Some(flag)) = (args.folds, kept.into_iter().find(|f| args.has(f))) {
        return Err(format!(
            "--folds only evaluates (K models, none kept): drop --{flag}, or run without \
             --folds to train the model to keep"
        ));
    }
    if args.quantize_int8 && args.export_rs.is_some() && args.scale == ScaleKind::Standard {
        return Err(
            "--export-rs with --quantize int8 writes the int8 network without the model's \
             scaling: add --scale none (or export the float model)"
                .into(),
        );
    }
    if args.has("momentum") && !args.optimizer.uses_momentum() {
        return Err(format!(
            "--momentum applies only to --optimizer momentum or nesterov, not {}",
            args.optimizer.name()
        ));
    }
    Ok(args)
}

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

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
