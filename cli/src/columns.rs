//! Which columns of a CSV file are the inputs and which is the target.

use std::path::Path;

use constnet::data::{CsvError, CsvFields, csv_header};

use crate::model::RunResult;

/// The input columns' names (in the network's order) and the target's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    pub inputs: Vec<String>,
    pub target: String,
}

impl Columns {
    /// The synthetic cubic's: `x` → `y`.
    pub fn cubic() -> Columns {
        Columns {
            inputs: vec!["x".into()],
            target: "y".into(),
        }
    }

    /// The columns of the CSV at `path` the flags choose: `--target` (default: the last
    /// column) and `--inputs` (default: every other column, in file order).
    pub fn choose(
        path: &Path,
        inputs: Option<&[String]>,
        target: Option<&str>,
    ) -> RunResult<Columns> {
        crate::input::regular_file(path, "--data")?;
        let header = csv_header(path).map_err(|e| header_error(e, path))?;
        // One column whose name holds the usual other separators: a file of another dialect.
        if let [only] = header.as_slice()
            && let Some((sep, name)) = [(';', "semicolons"), ('\t', "tabs")]
                .into_iter()
                .find(|(c, _)| only.contains(*c))
        {
            return Err(format!(
                "{}: its first line `{}` looks separated by {name}: the tool reads \
                 comma-separated files (replace each `{}` with a comma)",
                path.display(),
                only.escape_debug(),
                sep.escape_debug()
            )
            .into());
        }
        let target = match target {
            Some(t) => t.trim().to_owned(),
            None => header.last().cloned().unwrap_or_default(),
        };
        if !header.contains(&target) {
            return Err(format!(
                "--target {target}: no such column in {} (its columns: {})",
                path.display(),
                list(&header)
            )
            .into());
        }
        let inputs: Vec<String> = match inputs {
            Some(names) => names.iter().map(|n| n.trim().to_owned()).collect(),
            None => header.iter().filter(|n| **n != target).cloned().collect(),
        };
        for name in &inputs {
            if !header.contains(name) {
                return Err(format!(
                    "--inputs: no column `{}` in {} (its columns: {})",
                    name.escape_debug(),
                    path.display(),
                    list(&header)
                )
                .into());
            }
            if *name == target {
                return Err(format!(
                    "--inputs names the target column `{}`: a network cannot read what it \
                     predicts",
                    name.escape_debug()
                )
                .into());
            }
        }
        if let Some(dup) = inputs
            .iter()
            .enumerate()
            .find(|(i, n)| inputs[..*i].contains(n))
        {
            return Err(format!("--inputs names `{}` twice", dup.1.escape_debug()).into());
        }
        if inputs.is_empty() {
            return Err(format!(
                "{}: no input column (its only column is the target `{target}`)",
                path.display()
            )
            .into());
        }
        Ok(Columns { inputs, target })
    }

    /// The inputs as an array of the network's width (they have that many, checked by the
    /// caller's dispatch on their count).
    pub fn input_array<const IN: usize>(&self) -> [&str; IN] {
        core::array::from_fn(|i| self.inputs[i].as_str())
    }
}

/// `names` as a readable list: `` `a`, `b`, `c` ``.
pub fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.escape_debug()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A header that cannot be read: a file of numbers only gets the remedy.
fn header_error(e: CsvError, path: &Path) -> Box<dyn std::error::Error> {
    match e {
        CsvError::Line {
            line,
            fields: None | Some(CsvFields { .. }),
            ref message,
            ..
        } if message.contains("found numbers") => format!(
            "{}: line {line}: the first line is numbers, not a header: the tool reads columns \
             by name (add a first line naming them, e.g. `x,y`)",
            path.display()
        )
        .into(),
        other => other.into(),
    }
}
