//! `constnet inspect`: what a model file holds — format, scalar type, task and columns,
//! architecture and widths, parameter count, and the scaling it applies.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::model::{self, Format, HIDDEN, Layout, RunResult, Task};
use crate::{with_inputs, with_outputs};

const HELP: &str = "\
Describe a model file: its format and scalar type, task and columns, architecture and
widths, parameter count, and the scaling it applies to inputs and targets.

USAGE:
    constnet inspect MODEL

MODEL is a constnet model file or a .safetensors state dict (constnet's, or a bare PyTorch
nn.Sequential of Linear and ReLU layers).

FLAGS:
    -h, --help    this text
";

/// `constnet inspect MODEL`.
pub fn main(raw: impl IntoIterator<Item = OsString>) -> ExitCode {
    let path = match parse(raw) {
        Ok(Some(path)) => path,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => return crate::usage_error("inspect", &message),
    };
    match describe(&path) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => crate::finish("inspect", Err(e)),
    }
}

/// The model's path, or `None` for `--help`.
fn parse(raw: impl IntoIterator<Item: Into<OsString>>) -> Result<Option<PathBuf>, String> {
    use lexopt::Arg::{Long, Short, Value};
    let mut parser = lexopt::Parser::from_args(raw);
    let mut path = None;
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("help") | Short('h') => return Ok(None),
            Value(v) if path.is_none() && !v.is_empty() => path = Some(PathBuf::from(v)),
            Value(v) => {
                return Err(format!(
                    "unexpected argument `{}` (one model file; see --help)",
                    v.to_string_lossy()
                ));
            }
            Long(other) => return Err(format!("unknown flag `--{other}` (see --help)")),
            Short(c) => return Err(format!("unknown flag `-{c}` (see --help)")),
        }
    }
    path.map(Some)
        .ok_or_else(|| "needs a model file: constnet inspect MODEL".into())
}

/// The description, one fact a line.
fn describe(path: &Path) -> RunResult<String> {
    let layout = model::layout(path, "inspect")?;
    let (n_in, n_out) = (layout.inputs, layout.outputs);
    let scaling = with_inputs!(n_in, scaling_of, (path, n_out))?;
    Ok(text(path, &layout, &scaling))
}

/// The model's input and target scalers' means and standard deviations.
struct Scaling {
    input: Vec<(f32, f32)>,
    target: Vec<(f32, f32)>,
}

fn scaling_of<const IN: usize>(path: &Path, outputs: usize) -> RunResult<Scaling> {
    with_outputs!(outputs, load_scaling::<IN>, (path))
}

fn load_scaling<const IN: usize, const OUT: usize>(path: &Path) -> RunResult<Scaling> {
    let (model, _) = model::load::<IN, OUT>(path, "inspect")?;
    let pairs = |mean: &[f32], std: &[f32]| mean.iter().copied().zip(std.iter().copied()).collect();
    Ok(Scaling {
        input: pairs(model.input.mean.as_slice(), model.input.std.as_slice()),
        target: pairs(model.output.mean.as_slice(), model.output.std.as_slice()),
    })
}

fn text(path: &Path, layout: &Layout, scaling: &Scaling) -> String {
    let (n_in, n_out) = (layout.inputs, layout.outputs);
    let mut s = String::new();
    let format = match (layout.format, layout.scaled) {
        (Format::Cnet, _) => "constnet model file",
        (Format::Safetensors, true) => "safetensors (constnet's nn.Sequential with its scalers)",
        (Format::Safetensors, false) => "safetensors (a bare nn.Sequential: no scalers)",
    };
    let _ = writeln!(s, "{}: {format}, {} values", path.display(), layout.scalar);
    let inputs: Vec<String> = match &layout.meta {
        Some(m) => m.inputs.clone(),
        None => (0..n_in).map(|i| format!("input {i}")).collect(),
    };
    let target = layout.meta.as_ref().map(|m| m.target.as_str());
    match layout.meta.as_ref().map(|m| &m.task) {
        Some(Task::Regression) => {
            let _ = writeln!(s, "task: regression of `{}`", target.unwrap_or("?"));
        }
        Some(Task::Classification { classes }) => {
            let _ = writeln!(
                s,
                "task: classification of `{}` into {classes} classes (0 to {}); the outputs are logits",
                target.unwrap_or("?"),
                classes - 1
            );
        }
        None => {
            let _ = writeln!(
                s,
                "task: not recorded (no constnet metadata); predict reads the data's first \
                 {n_in} columns, or --inputs"
            );
        }
    }
    let _ = writeln!(
        s,
        "network: Dense({n_in} → {HIDDEN}) → ReLU → Dense({HIDDEN} → {HIDDEN}) → ReLU → \
         Dense({HIDDEN} → {n_out})"
    );
    let weights = n_in * HIDDEN + HIDDEN + HIDDEN * HIDDEN + HIDDEN + HIDDEN * n_out + n_out;
    let _ = match layout.scaled {
        true => writeln!(
            s,
            "parameters: {weights} trainable, {} of scaling (fixed)",
            2 * (n_in + n_out)
        ),
        false => writeln!(
            s,
            "parameters: {weights} trainable; no scaling (raw units in and out)"
        ),
    };
    // One line a column, aligned: a 64-input model stays readable.
    let width = inputs.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let column = |name: &str, scale: Option<(f32, f32)>| match scale {
        Some((mean, std)) => format!("  {name:<width$}  mean {mean:<12} std {std}\n"),
        None => format!("  {name}\n"),
    };
    let _ = match layout.scaled {
        true => writeln!(s, "inputs ({n_in}), standardized as (x − mean) / std:"),
        false => writeln!(s, "inputs ({n_in}):"),
    };
    for (i, name) in inputs.iter().enumerate() {
        s.push_str(&column(name, layout.scaled.then(|| scaling.input[i])));
    }
    let identity = scaling.target.iter().all(|&(m, d)| m == 0.0 && d == 1.0);
    if layout.scaled && !identity {
        let _ = writeln!(s, "outputs ({n_out}), rescaled as y · std + mean:");
        for (j, &p) in scaling.target.iter().enumerate() {
            let name = match (target, n_out) {
                (Some(t), 1) => t.to_owned(),
                _ => format!("output {j}"),
            };
            s.push_str(&column(&name, Some(p)));
        }
    } else {
        let _ = writeln!(s, "outputs ({n_out}): not rescaled");
    }
    s
}

#[cfg(test)]
#[path = "inspect/tests.rs"]
mod tests;
