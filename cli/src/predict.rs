//! `constnet predict`: a saved model's predictions for every row of a CSV file, in raw
//! units, streamed in blocks (memory is one block, whatever the file's length).
//!
//! The model file says which columns it reads (its metadata, written by `constnet fit`);
//! a model without it (a PyTorch state dict) reads `--inputs`, or the file's first columns.
//! The predictions go to stdout, or to `--out` (written to a temporary and moved into place
//! when complete: a failed run leaves an existing file as it was).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use constnet::data::{CsvError, csv_blocks_dyn, csv_header};
use constnet::fsutil::{Pending, resolve_target};
use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::{Forward, Softmax};

use crate::columns::list;
use crate::model::{self, Layout, RunResult, Task, argmax};
use crate::{with_inputs, with_outputs};

/// Rows read, run and written at a time.
const BLOCK: usize = 4096;

const HELP: &str = "\
Predict every row of a CSV file with a saved model, in raw units (the model's own scaling
applied), in the rows' order.

USAGE:
    constnet predict --model MODEL --data FILE.csv [--out predictions.csv] [FLAGS]

A regression writes one column per output, named after the target; a classifier writes the
predicted class and each class's probability (p_0, p_1, …; softmax of the logits). The
model file names its input columns (constnet fit writes them); for a model without them (a
PyTorch nn.Sequential state dict) give --inputs, or the file's first columns are read.
Rows are read, predicted and written in blocks of 4096: any file length in bounded memory.

FLAGS:
        --model PATH     the model: a constnet model file or .safetensors (constnet's, or a bare PyTorch nn.Sequential of Linear and ReLU layers)
        --data FILE.csv  the rows to predict: a CSV file whose first line names the columns
        --out PATH       write the predictions here (complete or not at all) [default: stdout]
        --inputs a,b,…   the input columns, by name, in the network's order [default: the model's]
        --classify       a model without metadata is a classifier: write classes and probabilities
    -q, --quiet          no summary line on stderr
    -h, --help           this text
";

/// The flags.
#[derive(Debug, Default)]
struct Args {
    model: Option<PathBuf>,
    data: Option<PathBuf>,
    out: Option<PathBuf>,
    inputs: Option<Vec<String>>,
    classify: bool,
    quiet: bool,
    help: bool,
}

/// `constnet predict ARGS…`.
pub fn main(raw: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = match parse(raw) {
        Ok(args) => args,
        Err(message) => return crate::usage_error("predict", &message),
    };
    if args.help {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let quiet = args.quiet;
    match run(&args) {
        // stdout may be the predictions: the summary goes to stderr.
        Ok(line) if !quiet => {
            eprintln!("{}", crate::one_line(&line));
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::SUCCESS,
        // `constnet predict … | head`: the reader has what it wanted.
        Err(e) if is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => crate::finish("predict", Err(e)),
    }
}

fn parse(raw: impl IntoIterator<Item: Into<OsString>>) -> Result<Args, String> {
    use lexopt::Arg::{Long, Short, Value};
    let mut args = Args::default();
    let mut parser = lexopt::Parser::from_args(raw);
    let path = |p: &mut lexopt::Parser, flag: &str| -> Result<PathBuf, String> {
        let v = p.value().map_err(|_| format!("{flag} needs a value"))?;
        match v.is_empty() {
            true => Err(format!("{flag}: the path is empty")),
            false => Ok(PathBuf::from(v)),
        }
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("model") => args.model = Some(path(&mut parser, "--model")?),
            Long("data") => args.data = Some(path(&mut parser, "--data")?),
            Long("out") => args.out = Some(path(&mut parser, "--out")?),
            Long("inputs") => {
                let v = parser.value().map_err(|_| "--inputs needs a value")?;
                let v = v.into_string().map_err(|_| "--inputs: not valid UTF-8")?;
                args.inputs = Some(v.split(',').map(|n| n.trim().to_owned()).collect());
            }
            Long("classify") => args.classify = true,
            Long("quiet") | Short('q') => args.quiet = true,
            Long("help") | Short('h') => args.help = true,
            Long(other) => return Err(format!("unknown flag `--{other}` (see --help)")),
            Short(c) => return Err(format!("unknown flag `-{c}` (see --help)")),
            Value(v) => {
                return Err(format!(
                    "unexpected argument `{}` (flags start with --; see --help)",
                    v.to_string_lossy()
                ));
            }
        }
    }
    if !args.help && (args.model.is_none() || args.data.is_none()) {
        return Err("needs --model MODEL and --data FILE.csv (see --help)".into());
    }
    Ok(args)
}

/// What one run reads and writes, settled before any row is read.
struct Plan<'a> {
    args: &'a Args,
    task: Task,
    inputs: Vec<String>,
    /// The output columns' names.
    header: Vec<String>,
}

fn run(args: &Args) -> RunResult<String> {
    let (model, data) = (args.model.as_deref(), args.data.as_deref());
    let (model, data) = (model.expect("parsed"), data.expect("parsed"));
    let layout = model::layout(model, "--model")?;
    crate::input::regular_file(data, "--data")?;
    let task = match (&layout.meta, args.classify) {
        (Some(meta), _) => meta.task.clone(),
        (None, true) if layout.outputs >= 2 => Task::Classification {
            classes: layout.outputs,
        },
        (None, true) => {
            return Err(format!(
                "--classify: {} has one output, a classifier at least two (its logits)",
                model.display()
            )
            .into());
        }
        (None, false) => Task::Regression,
    };
    if args.classify
        && !matches!(
            &layout.meta,
            None | Some(model::Meta {
                task: Task::Classification { .. },
                ..
            })
        )
    {
        return Err(format!(
            "--classify: {} is a regression model (its metadata says so)",
            model.display()
        )
        .into());
    }
    let inputs = input_columns(args, &layout, data)?;
    if let Some(out) = &args.out {
        refuse_overwriting(out, &[model, data])?;
    }
    let target = layout.meta.as_ref().map(|m| m.target.clone());
    let header = match task {
        Task::Regression if layout.outputs == 1 => vec![target.unwrap_or("prediction".into())],
        Task::Regression => (0..layout.outputs).map(|j| format!("output_{j}")).collect(),
        Task::Classification { classes } => std::iter::once(target.unwrap_or("class".into()))
            .chain((0..classes).map(|k| format!("p_{k}")))
            .collect(),
    };
    let (n_in, n_out) = (layout.inputs, layout.outputs);
    let plan = Plan {
        args,
        task,
        inputs,
        header,
    };
    with_inputs!(n_in, with_width, (&plan, n_out))
}

fn with_width<const IN: usize>(plan: &Plan<'_>, outputs: usize) -> RunResult<String> {
    with_outputs!(outputs, predict::<IN>, (plan))
}

/// The input columns: `--inputs`, else the model's, else the file's first `IN`.
fn input_columns(args: &Args, layout: &Layout, data: &Path) -> RunResult<Vec<String>> {
    let header = csv_header(data)?;
    let n = layout.inputs;
    let names = match (&args.inputs, &layout.meta) {
        (Some(names), _) => names.clone(),
        (None, Some(meta)) => meta.inputs.clone(),
        (None, None) if header.len() >= n => header[..n].to_vec(),
        (None, None) => {
            return Err(format!(
                "{}: {} columns, the model reads {n} inputs",
                data.display(),
                header.len()
            )
            .into());
        }
    };
    if names.len() != n {
        return Err(format!(
            "--inputs names {} columns, the model reads {n} inputs",
            names.len()
        )
        .into());
    }
    if let Some(missing) = names.iter().find(|name| !header.contains(name)) {
        return Err(format!(
            "{}: no column `{}`, which the model reads (its columns: {}{})",
            data.display(),
            missing.escape_debug(),
            list(&header),
            match args.inputs {
                None if layout.meta.is_some() => "; name the columns to read with --inputs",
                _ => "",
            }
        )
        .into());
    }
    Ok(names)
}

/// `--out` must not be the model or the data (through links and `..`).
fn refuse_overwriting(out: &Path, inputs: &[&Path]) -> RunResult<()> {
    let target = resolve_target(out).map_err(|e| format!("--out {}: {e}", out.display()))?;
    for input in inputs {
        if resolve_target(input).is_ok_and(|t| t == target) {
            return Err(format!(
                "--out {} is {}, which this run reads: write the predictions elsewhere",
                out.display(),
                input.display()
            )
            .into());
        }
    }
    Ok(())
}

/// The typed part of a prediction run: the model, and each block of rows through it. The
/// reading, formatting and writing ([`stream`]) are compiled once, not once per width.
fn predict<const IN: usize, const OUT: usize>(plan: &Plan<'_>) -> RunResult<String> {
    let path = plan.args.model.as_deref().unwrap();
    let (model, _) = model::load::<IN, OUT>(path, "--model")?;
    let classify = matches!(plan.task, Task::Classification { .. });
    let mut run = |x: &[f32], y: &mut Vec<f32>, p: &mut Vec<f32>| {
        let x = OMatrix::<f32, Const<IN>, Dyn>::from_column_slice(x);
        let out: OMatrix<f32, Const<OUT>, Dyn> = model.forward(&x);
        y.clear();
        y.extend_from_slice(out.as_slice());
        p.clear();
        if classify {
            p.extend_from_slice(Softmax.forward(&out).as_slice());
        }
    };
    stream(plan, OUT, &mut run)
}

/// A block's inputs through the model: `(x, y, p)`, see [`stream`]. `p` is left empty for
/// a regression, and that is how `stream` tells the two output formats apart.
type RunBlock<'a> = dyn FnMut(&[f32], &mut Vec<f32>, &mut Vec<f32>) + 'a;

/// Reads the data in blocks, runs each through `run` (outputs `y`, and for a classifier
/// the probabilities `p`, column-major with `outs` rows) and writes the rows to `--out`
/// (complete or not at all) or stdout.
fn stream(plan: &Plan<'_>, outs: usize, run: &mut RunBlock<'_>) -> RunResult<String> {
    let args = plan.args;
    let (path, data) = (
        args.model.as_deref().unwrap(),
        args.data.as_deref().unwrap(),
    );
    let names: Vec<&str> = plan.inputs.iter().map(String::as_str).collect();
    // Writes every block to `out`; a failed write stops the reading.
    let mut write_all = |out: &mut dyn Write| -> RunResult<usize> {
        writeln!(out, "{}", plan.header.join(","))?;
        let mut written = 0usize;
        let (mut line, mut y, mut p) = (String::new(), Vec::new(), Vec::new());
        // Why `each` stopped the reading, which its error type cannot carry.
        let mut stop: Option<Box<dyn std::error::Error>> = None;
        let rows = csv_blocks_dyn(data, &names, BLOCK, &mut |x: &[f32]| {
            let stopped = || CsvError::Data(constnet::Error::Undefined("stopped"));
            run(x, &mut y, &mut p);
            if let Some(j) = y.iter().position(|v| !v.is_finite()) {
                stop = Some(
                    format!(
                        "{}: data row {}: the model's output is not finite (inputs far beyond \
                         what it was trained on?)",
                        data.display(),
                        written + j / outs + 1
                    )
                    .into(),
                );
                return Err(stopped());
            }
            for (i, z) in y.chunks_exact(outs).enumerate() {
                line.clear();
                if p.is_empty() {
                    let values: Vec<String> = z.iter().map(|&v| number(v)).collect();
                    line.push_str(&values.join(","));
                } else {
                    line.push_str(&argmax(z).to_string());
                    for &v in &p[i * outs..(i + 1) * outs] {
                        line.push(',');
                        line.push_str(&number(v));
                    }
                }
                line.push('\n');
                if let Err(e) = out.write_all(line.as_bytes()) {
                    stop = Some(Box::new(e));
                    return Err(stopped());
                }
            }
            written += y.len() / outs;
            Ok(())
        });
        if let Some(e) = stop {
            return Err(e);
        }
        let rows = rows?;
        out.flush()?;
        Ok(rows)
    };
    let rows = match &args.out {
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            write_all(&mut out)?
        }
        Some(path) => {
            let mut result: Option<RunResult<usize>> = None;
            let pending = Pending::write(path, |tmp| {
                let file = File::create(tmp).map_err(|source| constnet::Error::Io {
                    path: path.clone(),
                    source,
                })?;
                let r = write_all(&mut BufWriter::new(file));
                let failed = r.is_err();
                result = Some(r);
                match failed {
                    true => Err(constnet::Error::Undefined("predict")),
                    false => Ok(()),
                }
            });
            match (pending, result) {
                (Ok(pending), Some(Ok(rows))) => {
                    pending.commit()?;
                    rows
                }
                (_, Some(Err(e))) => return Err(e),
                (Err(e), _) => return Err(Box::new(e)),
                (Ok(_), None) => unreachable!("Pending::write calls the writer"),
            }
        }
    };
    let what = match plan.task {
        Task::Classification { classes } => {
            format!("the class (of {classes}) and its probabilities")
        }
        Task::Regression => "predictions".to_owned(),
    };
    Ok(format!(
        "{rows} rows: {what}, from {}, in {}",
        path.display(),
        args.out
            .as_ref()
            .map_or("stdout".to_owned(), |p| p.display().to_string())
    ))
}

/// `v` in the fewest digits that read back as the same `f32`: plain where that is short,
/// with an exponent for very small or large values (`2.5516746e-9`, not `0.0000000025…`).
fn number(v: f32) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-4..1e7).contains(&a) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// Whether `e` is (or wraps) a write to a closed pipe.
fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
        {
            return true;
        }
        cause = c.source();
    }
    false
}

#[cfg(test)]
#[path = "predict/tests.rs"]
mod tests;
