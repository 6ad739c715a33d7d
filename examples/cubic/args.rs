//! Command-line flags of the cubic example: parsing and `--help`.

use std::path::PathBuf;

pub const HELP: &str = "\
Learn y = x³ + ε with Dense(64) → ReLU → Dense(64) → ReLU → Dense(1), MSE loss.

USAGE:
    cargo run --release --example cubic -- [FLAGS]

FLAGS:
    --epochs N          training epochs                              [default: 900]
    --lr X              learning rate                                [default: 0.01]
    --batch-size N      samples per step; 0 or omitted = full batch  [default: full]
    --optimizer NAME    sgd | momentum | nesterov | adam             [default: sgd]
    --momentum X        momentum factor for momentum / nesterov      [default: 0.9]
    --samples N         training samples; as many again are held out [default: 1000]
    --noise X           standard deviation σ of ε ~ N(0, σ²)          [default: 0.1]
    --seed N            seed of the data, the weights and shuffling [default: 42]
    --threads N         1, or 2 to split large steps over two cores  [default: 1]
                        (2 needs the `parallel` feature)
    --data FILE.csv     train on your own `x,y` data (header optional); 20% is held out
    --out DIR           where loss.png, fit.png, summary.json go     [default: target/cubic]
    --save PATH         save the trained model (constnet model file)
    --load PATH         load a model instead of training; evaluate and plot it
    --export-rs PATH    write the model as Rust source for a #![no_std] crate
    --quantize int8     int8 post-training quantization (calibrated on the training
                        inputs): report its test R²; --export-rs then writes the int8 model
    --quiet             no progress lines on stderr
    --help              this text
";

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
}

/// Everything the flags say. Defaults are the seed experiment's settings.
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
    pub quiet: bool,
    pub help: bool,
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
            quiet: false,
            help: false,
        }
    }
}

/// Parses `--flag value` and `--flag=value` forms; the error is one readable line.
pub fn parse(raw: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = Args::default();
    let mut raw = raw.into_iter();
    while let Some(token) = raw.next() {
        let (flag, inline) = match token.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (token.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| raw.next())
                .ok_or_else(|| format!("{flag} needs a value (see --help)"))
        };
        match flag.as_str() {
            "--epochs" => args.epochs = number(&flag, &value()?)?,
            "--lr" => args.lr = number(&flag, &value()?)?,
            "--batch-size" => {
                let n: usize = number(&flag, &value()?)?;
                args.batch_size = (n > 0).then_some(n);
            }
            "--optimizer" => args.optimizer = optimizer(&value()?)?,
            "--momentum" => args.momentum = number(&flag, &value()?)?,
            "--samples" => args.samples = number(&flag, &value()?)?,
            "--noise" => args.noise = number(&flag, &value()?)?,
            "--seed" => args.seed = number(&flag, &value()?)?,
            "--threads" => args.threads = number(&flag, &value()?)?,
            "--data" => args.data = Some(value()?.into()),
            "--out" => args.out = value()?.into(),
            "--save" => args.save = Some(value()?.into()),
            "--load" => args.load = Some(value()?.into()),
            "--export-rs" => args.export_rs = Some(value()?.into()),
            "--quantize" => match value()?.as_str() {
                "int8" => args.quantize_int8 = true,
                other => return Err(format!("--quantize: unknown `{other}` (only int8)")),
            },
            "--quiet" | "-q" => args.quiet = true,
            "--help" | "-h" => args.help = true,
            _ => return Err(format!("unknown flag `{token}` (see --help)")),
        }
        if inline.is_some() && matches!(flag.as_str(), "--quiet" | "-q" | "--help" | "-h") {
            return Err(format!("{flag} takes no value"));
        }
    }
    if !(1..=2).contains(&args.threads) {
        return Err("--threads must be 1 or 2".into());
    }
    if args.samples < 2 {
        return Err("--samples must be at least 2 (R² needs two test samples)".into());
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{flag}: `{text}` is not a valid number"))
}

fn optimizer(name: &str) -> Result<OptimizerKind, String> {
    match name {
        "sgd" => Ok(OptimizerKind::Sgd),
        "momentum" => Ok(OptimizerKind::Momentum),
        "nesterov" => Ok(OptimizerKind::Nesterov),
        "adam" => Ok(OptimizerKind::Adam),
        _ => Err(format!(
            "--optimizer: unknown `{name}` (expected sgd, momentum, nesterov or adam)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Args, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn defaults_are_the_seed_experiment() {
        let args = parse_str("").unwrap();
        assert_eq!((args.epochs, args.lr, args.batch_size), (900, 0.01, None));
        assert_eq!((args.samples, args.noise, args.seed), (1000, 0.1, 42));
        assert_eq!(args.optimizer, OptimizerKind::Sgd);
        assert_eq!(args.out, PathBuf::from("target/cubic"));
    }

    #[test]
    fn every_flag_parses_in_both_forms() {
        let args = parse_str(
            "--epochs 5 --lr=0.5 --batch-size 32 --optimizer adam --momentum=0.8 --samples 7 \
             --noise 0.2 --seed 3 --data d.csv --out o --save m.cnet --load l.cnet \
             --export-rs m.rs --quiet --help",
        )
        .unwrap();
        assert_eq!((args.epochs, args.lr, args.batch_size), (5, 0.5, Some(32)));
        assert_eq!((args.optimizer, args.momentum), (OptimizerKind::Adam, 0.8));
        assert_eq!((args.samples, args.noise, args.seed), (7, 0.2, 3));
        assert_eq!(args.data, Some(PathBuf::from("d.csv")));
        assert_eq!(args.out, PathBuf::from("o"));
        assert_eq!(args.save, Some(PathBuf::from("m.cnet")));
        assert_eq!(args.load, Some(PathBuf::from("l.cnet")));
        assert_eq!(args.export_rs, Some(PathBuf::from("m.rs")));
        assert!(args.quiet && args.help);
        assert!(parse_str("--quantize int8").unwrap().quantize_int8);
        assert!(!parse_str("").unwrap().quantize_int8);
        assert_eq!(parse_str("--batch-size 0").unwrap().batch_size, None);
        for name in ["sgd", "momentum", "nesterov", "adam"] {
            let args = parse_str(&format!("--optimizer {name}")).unwrap();
            assert_eq!(args.optimizer.name(), name);
        }
    }

    #[test]
    fn bad_flags_are_one_line_errors() {
        for (line, expected) in [
            ("--bogus", "unknown flag `--bogus`"),
            ("--epochs", "--epochs needs a value"),
            ("--epochs abc", "`abc` is not a valid number"),
            ("--epochs -3", "`-3` is not a valid number"),
            ("--lr", "--lr needs a value"),
            ("--optimizer rmsprop", "unknown `rmsprop`"),
            ("--samples 0", "--samples must be at least 2"),
            ("--samples 1", "--samples must be at least 2"),
            ("--quiet=yes", "--quiet takes no value"),
            ("--quantize int4", "--quantize: unknown `int4`"),
            ("--quantize", "--quantize needs a value"),
        ] {
            let err = parse_str(line).unwrap_err();
            assert!(err.contains(expected), "{line}: {err}");
            assert!(!err.contains('\n'), "{line}: not one line");
        }
    }

    #[test]
    fn help_lists_every_flag() {
        for flag in [
            "--epochs",
            "--lr",
            "--batch-size",
            "--optimizer",
            "--momentum",
            "--samples",
            "--noise",
            "--seed",
            "--data",
            "--out",
            "--save",
            "--load",
            "--export-rs",
            "--quantize",
            "--quiet",
            "--help",
        ] {
            assert!(HELP.contains(flag), "{flag} missing from --help");
        }
    }
}
