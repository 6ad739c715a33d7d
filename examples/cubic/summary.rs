//! `summary.json`: the run's settings and measured results, written atomically.

use std::fmt::Write as _;
use std::path::Path;

use constnet::Result;

use crate::args::Args;
use crate::{Data, Model, evaluate};

/// What a run measured.
pub struct Summary {
    fields: Vec<(&'static str, String)>,
    train_r2: f64,
    test_r2: f64,
    seconds: f64,
    epochs: usize,
}

impl Summary {
    pub fn new(
        args: &Args,
        model: &Model,
        train: &Data,
        test: &Data,
        losses: &[f64],
        seconds: f64,
    ) -> Result<Self> {
        let (train_mse, train_r2) = crate::evaluate(model, train)?;
        let (test_mse, test_r2) = evaluate(model, test)?;
        let trained = args.load.is_none();
        let text = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let path = |p: &Option<std::path::PathBuf>| match p {
            Some(p) => text(&p.display().to_string()),
            None => "null".into(),
        };
        let fields = vec![
            ("trained", trained.to_string()),
            ("loaded_from", path(&args.load)),
            ("data", path(&args.data)),
            ("epochs", if trained { args.epochs } else { 0 }.to_string()),
            ("lr", args.lr.to_string()),
            ("optimizer", text(args.optimizer.name())),
            (
                "batch_size",
                args.batch_size.unwrap_or(train.len()).to_string(),
            ),
            ("seed", args.seed.to_string()),
            ("noise", args.noise.to_string()),
            ("n_train", train.len().to_string()),
            ("n_test", test.len().to_string()),
            ("final_train_mse", number(losses.last().copied())),
            ("train_mse", number(Some(train_mse))),
            ("test_mse", number(Some(test_mse))),
            ("train_r2", number(Some(train_r2))),
            ("test_r2", number(Some(test_r2))),
            ("train_seconds", number(Some(seconds))),
        ];
        Ok(Summary {
            fields,
            train_r2,
            test_r2,
            seconds,
            epochs: if trained { args.epochs } else { 0 },
        })
    }

    /// The JSON text, one field per line.
    pub fn json(&self) -> String {
        let mut out = String::from("{\n");
        for (i, (key, value)) in self.fields.iter().enumerate() {
            let comma = if i + 1 < self.fields.len() { "," } else { "" };
            let _ = writeln!(out, "  \"{key}\": {value}{comma}");
        }
        out.push_str("}\n");
        out
    }

    /// Writes the JSON next to the plots (temporary file + rename: never half-written).
    pub fn write(&self, path: &Path) -> Result<()> {
        constnet::fsutil::write_bytes_atomic(path, self.json().as_bytes())
    }

    /// The last stdout line: a short human summary.
    pub fn line(&self, out: &Path) -> String {
        let how = if self.epochs > 0 {
            format!("trained {} epochs in {:.3} s", self.epochs, self.seconds)
        } else {
            "loaded, not trained".into()
        };
        format!(
            "train R² {:.4}, test R² {:.4} ({how}); plots and summary.json in {}",
            self.train_r2,
            self.test_r2,
            out.display()
        )
    }
}

/// A JSON number, or `null` for a missing or non-finite value (JSON has no NaN).
fn number(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => "null".into(),
    }
}
