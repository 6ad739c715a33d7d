//! Command-line flags of the cubic example: one table ([`FLAGS`]) that both the parser and
//! `--help` read, so a new flag is one entry (its name, value, help line and setter).
//!
//! Arguments are OS strings (lexopt): a path that is not UTF-8 works; a number that is not
//! UTF-8 is a one-line error.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;

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
    /// `--inputs`: the input columns by name.
    pub inputs: Option<Vec<String>>,
    /// `--target`: the column to predict.
    pub target: Option<String>,
    /// `--classify`: the target holds class labels.
    pub classify: bool,
    pub out: PathBuf,
    pub save: Option<PathBuf>,
    pub load: Option<PathBuf>,
    pub export_rs: Option<PathBuf>,
    pub quantize_int8: bool,
    pub scale: ScaleKind,
    pub folds: Option<usize>,
    pub val_fraction: Option<f64>,
    pub patience: Option<usize>,
    /// `--min-delta`: the least improvement `--patience` counts.
    pub min_delta: f64,
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
            inputs: None,
            target: None,
            classify: false,
            out: PathBuf::from("constnet-out"),
            save: None,
            load: None,
            export_rs: None,
            quantize_int8: false,
            scale: ScaleKind::None,
            folds: None,
            val_fraction: None,
            patience: None,
            min_delta: 0.0,
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
    ///
    /// A classifier then takes [`CLASSIFY_DEFAULTS`] for the flags not given.
    fn resolve(&mut self) {
        if self.data.is_none() {
            return;
        }
        for flag in FLAGS {
            if let (Some(value), false) = (flag.data_default, self.has(flag.long)) {
                (flag.set)(self, Some(value.into())).expect("the table's defaults parse");
            }
        }
        if !self.classify {
            return;
        }
        for &(long, value) in CLASSIFY_DEFAULTS {
            let flag = FLAGS.iter().find(|f| f.long == long);
            let flag = flag.expect("CLASSIFY_DEFAULTS names flags of the table");
            if !self.has(long) {
                (flag.set)(self, Some(value.into())).expect("the table's defaults parse");
            }
        }
    }

    /// The default of `--<long>` for this run (a classifier's, real data's or the seed
    /// experiment's), as the tables say it: what a message quotes as "the default".
    pub fn default_of(&self, long: &str) -> Option<&'static str> {
        let classify = CLASSIFY_DEFAULTS.iter().find(|(l, _)| *l == long);
        if let (true, true, Some(&(_, value))) = (self.classify, self.data.is_some(), classify) {
            return Some(value);
        }
        let flag = FLAGS.iter().find(|f| f.long == long)?;
        match (self.data.is_some(), flag.data_default) {
            (true, Some(value)) => Some(value),
            _ => flag.default,
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
                "min-delta",
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

pub use flags::{CLASSIFY_DEFAULTS, FLAGS};

/// The `--help` text, generated from [`FLAGS`].
pub fn help() -> String {
    let mut out = String::from(
        "Train Dense(IN → 64) → ReLU → Dense(64 → 64) → ReLU → Dense(64 → OUT) on the columns \
         of a CSV file: a regression (MSE) or, with --classify, a classifier (softmax \
         cross-entropy).\n\n\
         USAGE:\n    constnet fit --data FILE.csv [--inputs a,b] [--target y] [--classify] [FLAGS]\n\n\
         With --data FILE.csv, flags you do not give take the real-data defaults (`with \
         --data`): the model standardizes its inputs (and a regression its targets), Adam \
         trains it. Without --data: the seed experiment on synthetic y = x³ + ε (raw units, \
         plain SGD).\n\n\
         A network that learned nothing fails the run with one line naming the cause and \
         the remedy: a dead hidden layer, an exploded loss, train R² below 0.1, test R² below \
         0 (a classifier: no better than always answering the most frequent class), or with \
         --folds a mean test R² below 0.\n\n\
         One rule for files: the model, its export, the plots and summary.json are written \
         to temporaries and moved into place together, only when the whole run succeeded. A \
         failed or killed run writes nothing and leaves existing files as they were. A \
         repeated flag: the last value wins.\n\nFLAGS:\n",
    );
    for flag in FLAGS {
        let mut left = match flag.short {
            Some(c) => format!("-{c}, --{}", flag.long),
            None => format!("    --{}", flag.long),
        };
        if let Some(value) = flag.value {
            left = format!("{left} {value}");
        }
        let classify = CLASSIFY_DEFAULTS
            .iter()
            .find(|(long, _)| *long == flag.long);
        let defaults: Vec<String> = [
            flag.default.map(|d| format!("default: {d}")),
            flag.data_default.map(|d| format!("with --data: {d}")),
            classify.map(|(_, d)| format!("with --classify: {d}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let default = match defaults.is_empty() {
            true => String::new(),
            false => format!(" [{}]", defaults.join("; ")),
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
        let is_long = matches!(arg, lexopt::Arg::Long(_));
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
            // `--quiet=1` is an error; after a short flag, what follows is more short flags
            // (`-qh`), which the next loop turns take.
            None if is_long => match parser.optional_value() {
                Some(_) => return Err(format!("{long} takes no value")),
                None => None,
            },
            None => None,
        };
        (flag.set)(&mut args, value)?;
    }
    args.resolve();
    // Ranges the library checks too, caught here so the error names the flag and nothing
    // (not even --out) is created.
    // Only where the value is used: `--data f.csv --noise NaN` warns that --noise has no
    // effect there, as for any other flag a run ignores.
    let shown = super::verdict::flag_value;
    let trains = args.load.is_none();
    if trains && !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(format!(
            "--lr: {} is not a learning rate (finite and > 0)",
            shown(args.lr)
        ));
    }
    if trains && args.epochs == 0 {
        return Err("--epochs must be at least 1".into());
    }

    if args.data.is_none() && !(args.noise.is_finite() && args.noise >= 0.0) {
        return Err(format!(
            "--noise: {} is not a standard deviation (finite and ≥ 0)",
            shown(args.noise)
        ));
    }
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
    if args.has("min-delta") && args.patience.is_none() {
        return Err("--min-delta applies only with --patience".into());
    }
    if args.has("momentum") && !args.optimizer.uses_momentum() {
        return Err(format!(
            "--momentum applies only to --optimizer momentum or nesterov, not {}",
            args.optimizer.name()
        ));
    }
    if trains && args.optimizer.uses_momentum() && !(0.0..1.0).contains(&args.momentum) {
        return Err(format!(
            "--momentum: {} is not in [0, 1)",
            shown(args.momentum)
        ));
    }
    Ok(args)
}

#[path = "flags.rs"]
mod flags;

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
