//! The tool's networks, the widths it is built for, and its model files.
//!
//! Every model is `Scaled<net![Dense<IN, 64>, Relu, Dense<64, 64>, Relu, Dense<64, OUT>]>`:
//! raw units in, raw units out (a classifier's outputs are its `K` logits). The widths are
//! types, so the tool is compiled for a set of them
//! ([`INPUT_WIDTHS`](widths::INPUT_WIDTHS), [`CLASS_COUNTS`](widths::CLASS_COUNTS)) and
//! picks the one a file needs at run time ([`with_inputs!`](crate::with_inputs),
//! [`with_classes!`](crate::with_classes)).
//!
//! A model file is a constnet model file (`.cnet`, format version 2 with metadata) or a
//! PyTorch state dict (`.safetensors`); both carry the task, the input columns' names and
//! the target's ([`Meta`]), so `predict` reads the right columns. A bare `nn.Sequential`
//! state dict (PyTorch's, without scalers) loads with identity scaling.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use constnet::persist::{self, Metadata};
use constnet::safetensors::{self, Options};
use constnet::{Dense, Error, Relu, Scaled, net};

/// The hidden layers' width.
pub const HIDDEN: usize = 64;

/// The network: its shape is its type.
pub type Net<const IN: usize, const OUT: usize> =
    net![Dense<IN, HIDDEN>, Relu, Dense<HIDDEN, HIDDEN>, Relu, Dense<HIDDEN, OUT>];

/// The network between its scalers: what is trained, saved, exported and run.
pub type Model<const IN: usize, const OUT: usize> = Scaled<Net<IN, OUT>, IN, OUT>;

/// Any error of a command, printed as one line.
pub type RunResult<T> = Result<T, Box<dyn std::error::Error>>;

mod widths;
pub use widths::{unsupported_classes, unsupported_inputs};

/// A classifier's class: the first largest logit's index (numpy's and PyTorch's `argmax`).
pub fn argmax(z: &[f32]) -> usize {
    let mut best = 0;
    for (k, &v) in z.iter().enumerate().skip(1) {
        if v > z[best] {
            best = k;
        }
    }
    best
}

/// What a model is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Task {
    /// Predicts a number.
    Regression,
    /// Predicts one of `classes` classes (labels 0 to `classes − 1`).
    Classification {
        /// How many classes.
        classes: usize,
    },
}

/// What a model file says about its model beyond the weights: its task and the columns it
/// reads and predicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub task: Task,
    /// The input columns' names, in the network's order.
    pub inputs: Vec<String>,
    /// The target column's name.
    pub target: String,
}

const TASK: &str = "constnet.task";
const INPUTS: &str = "constnet.inputs";
const TARGET: &str = "constnet.target";
const CLASSES: &str = "constnet.classes";

impl Meta {
    /// As file metadata.
    pub fn to_metadata(&self) -> Metadata {
        let mut m = Metadata::new();
        let task = match self.task {
            Task::Regression => "regression".to_owned(),
            Task::Classification { classes } => {
                m.insert(CLASSES.into(), classes.to_string());
                "classification".to_owned()
            }
        };
        m.insert(TASK.into(), task);
        m.insert(INPUTS.into(), self.inputs.join(","));
        m.insert(TARGET.into(), self.target.clone());
        m
    }

    /// From file metadata; `None` if the file has none of ours (an older file, a PyTorch
    /// state dict). Metadata that is there but broken is an error.
    pub fn from_metadata(m: &BTreeMap<String, String>) -> Result<Option<Meta>, String> {
        let Some(task) = m.get(TASK) else {
            return Ok(None);
        };
        let task = match task.as_str() {
            "regression" => Task::Regression,
            "classification" => {
                let classes = m
                    .get(CLASSES)
                    .and_then(|k| k.parse().ok())
                    .filter(|&k: &usize| k >= 2)
                    .ok_or("its metadata names no class count")?;
                Task::Classification { classes }
            }
            other => return Err(format!("its metadata names an unknown task `{other}`")),
        };
        let inputs: Vec<String> = m
            .get(INPUTS)
            .ok_or("its metadata names no input columns")?
            .split(',')
            .map(str::to_owned)
            .collect();
        let target = m.get(TARGET).ok_or("its metadata names no target")?.clone();
        Ok(Some(Meta {
            task,
            inputs,
            target,
        }))
    }

    /// The number of outputs: 1 for regression, the classes for a classifier.
    pub fn outputs(&self) -> usize {
        match self.task {
            Task::Regression => 1,
            Task::Classification { classes } => classes,
        }
    }
}

/// A model file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// constnet's model file.
    Cnet,
    /// A PyTorch state dict.
    Safetensors,
}

impl Format {
    /// The format `path` is written in: safetensors for a `.safetensors` name, else constnet's.
    pub fn of(path: &Path) -> Format {
        if safetensors::is_safetensors_path(path) {
            Format::Safetensors
        } else {
            Format::Cnet
        }
    }
}

/// What a model file holds, read without its network type.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub format: Format,
    /// `"f32"` or `"f64"`.
    pub scalar: String,
    pub inputs: usize,
    pub outputs: usize,
    /// Whether the file holds the scalers (else it is a bare network, loaded with identity
    /// scaling).
    pub scaled: bool,
    pub meta: Option<Meta>,
}

/// The most bytes a model file of this tool can take (the widest network, 64 inputs and
/// 10 outputs, is about 40 KiB; metadata at most 1 MiB): a larger file is refused before it
/// is read, so a link to `/dev/zero` costs nothing.
const MAX_FILE: u64 = 4 << 20;

/// The bytes of model file `path`, at most [`MAX_FILE`].
pub fn read(path: &Path, flag: &str) -> RunResult<Vec<u8>> {
    crate::input::regular_file(path, flag)?;
    let named = |e: std::io::Error| format!("{flag} {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(named)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(named)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!(
            "{flag} {}: more than {} MiB, not a model file of this tool",
            path.display(),
            MAX_FILE >> 20
        )
        .into());
    }
    Ok(bytes)
}

/// The tensors' shapes this tool's model has, in order: the scalers (4 vectors) around the
/// network (3 layers of weight and bias), or the network alone. A vector is `[n]` in
/// safetensors and an `n × 1` matrix in a constnet file.
fn expected(inputs: usize, outputs: usize, scaled: bool, format: Format) -> Vec<Vec<usize>> {
    let vector = |n: usize| match format {
        Format::Safetensors => vec![n],
        Format::Cnet => vec![n, 1],
    };
    let net = [
        vec![HIDDEN, inputs],
        vector(HIDDEN),
        vec![HIDDEN, HIDDEN],
        vector(HIDDEN),
        vec![outputs, HIDDEN],
        vector(outputs),
    ];
    let mut all = Vec::new();
    if scaled {
        all.extend([vector(inputs), vector(inputs)]);
    }
    all.extend(net);
    if scaled {
        all.extend([vector(outputs), vector(outputs)]);
    }
    all
}

/// Reads what model file `path` holds, and checks it is a network this tool can run.
pub fn layout(path: &Path, flag: &str) -> RunResult<Layout> {
    let bytes = read(path, flag)?;
    let named = |e: Error| format!("{flag} {}: {e}", path.display());
    let format = Format::of(path);
    let (scalar, shapes, metadata): (String, Vec<Vec<usize>>, BTreeMap<String, String>) =
        match format {
            Format::Cnet => {
                let d = persist::describe(&bytes).map_err(named)?;
                let shapes = d.shapes.iter().map(|&(r, c)| vec![r, c]).collect();
                (d.scalar.to_owned(), shapes, d.metadata)
            }
            Format::Safetensors => {
                let tensors = safetensors::tensors(&bytes).map_err(named)?;
                prefixed(&tensors).map_err(|why| format!("{flag} {}: {why}", path.display()))?;
                let meta = safetensors::metadata(&bytes).map_err(named)?;
                let scalar = meta
                    .get("constnet.scalar")
                    .cloned()
                    .unwrap_or_else(|| "f32".to_owned());
                (scalar, in_order(&tensors), meta)
            }
        };
    let meta = Meta::from_metadata(&metadata)
        .map_err(|why| format!("{flag} {}: {why}", path.display()))?;
    let describe = |shapes: &[Vec<usize>]| {
        shapes
            .iter()
            .map(|s| s.iter().map(usize::to_string).collect::<Vec<_>>().join("×"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let scaled = shapes.len() == 10;
    // The widths from the first and last weights; `expected` then checks every shape.
    let at = |i: usize, d: usize| shapes.get(i).and_then(|s| s.get(d)).copied().unwrap_or(0);
    let (inputs, outputs) = match shapes.len() {
        10 => (at(2, 1), at(6, 0)),
        6 => (at(0, 1), at(4, 0)),
        _ => (0, 0),
    };
    if inputs == 0 || shapes != expected(inputs, outputs, scaled, format) {
        return Err(format!(
            "{flag} {}: holds tensors of shapes [{}], not this tool's network (Dense(IN → \
             {HIDDEN}) → ReLU → Dense({HIDDEN} → {HIDDEN}) → ReLU → Dense({HIDDEN} → OUT), \
             with or without its scalers)",
            path.display(),
            describe(&shapes)
        )
        .into());
    }
    if scalar != "f32" {
        return Err(format!(
            "{flag} {}: holds {scalar} values; the tool runs f32 networks",
            path.display()
        )
        .into());
    }
    if let Some(m) = &meta
        && (m.inputs.len() != inputs || m.outputs() != outputs)
    {
        return Err(format!(
            "{flag} {}: its metadata names {} inputs and {} outputs, its network has {inputs} \
             and {outputs}",
            path.display(),
            m.inputs.len(),
            m.outputs()
        )
        .into());
    }
    Ok(Layout {
        format,
        scalar,
        inputs,
        outputs,
        scaled,
        meta,
    })
}

/// Keys under a module prefix (`model.0.weight`, as a `state_dict()` of a module holding
/// the `nn.Sequential` as `self.model` writes them): named, with the fix, instead of a
/// missing `0.weight` later.
fn prefixed(tensors: &[(String, Vec<usize>)]) -> Result<(), String> {
    let prefix = |key: &str| {
        let (module, _) = key.rsplit_once('.')?;
        module.rsplit_once('.').map(|(p, _)| p.to_owned())
    };
    let Some(first) = tensors.first().and_then(|(k, _)| prefix(k)) else {
        return Ok(());
    };
    if tensors
        .iter()
        .all(|(k, _)| prefix(k).as_deref() == Some(first.as_str()))
    {
        return Err(format!(
            "its keys carry the prefix `{first}.` (`{}`), this tool reads an nn.Sequential's \
             own keys (`0.weight`, `0.bias`, …): save the nn.Sequential's state_dict(), or \
             strip `{first}.` from the keys",
            tensors[0].0
        ));
    }
    Ok(())
}

/// A safetensors file's shapes in the network's order: `nn.Sequential` indices ascending
/// (numerically), `mean` before `std`, `weight` before `bias`.
fn in_order(tensors: &[(String, Vec<usize>)]) -> Vec<Vec<usize>> {
    let mut keyed: Vec<((usize, u8), &Vec<usize>)> = tensors
        .iter()
        .filter_map(|(key, shape)| {
            let (module, name) = key.rsplit_once('.')?;
            let index = module.rsplit('.').next()?.parse().ok()?;
            let rank = match name {
                "mean" | "weight" => 0,
                "std" | "bias" => 1,
                _ => 2,
            };
            Some(((index, rank), shape))
        })
        .collect();
    if keyed.len() != tensors.len() {
        // Keys this tool did not write: report the shapes as they are.
        return tensors.iter().map(|(_, s)| s.clone()).collect();
    }
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, s)| s.clone()).collect()
}

/// Saves `model` with its metadata to `path`, in the format its name says.
pub fn encode<const IN: usize, const OUT: usize>(
    model: &Model<IN, OUT>,
    meta: &Meta,
    path: &Path,
) -> RunResult<Vec<u8>> {
    Ok(match Format::of(path) {
        Format::Safetensors => {
            let mut opts = Options::default();
            for (k, v) in meta.to_metadata() {
                opts = opts.metadata(k, v);
            }
            safetensors::encode(model, &opts)?
        }
        Format::Cnet => persist::encode_with(model, &meta.to_metadata())?,
    })
}

/// Loads model file `path` as a model of `IN` inputs and `OUT` outputs: a scaled model, or
/// a bare network (a PyTorch `nn.Sequential`), which gets identity scaling. Errors name the
/// flag and the file.
pub fn load<const IN: usize, const OUT: usize>(
    path: &Path,
    flag: &str,
) -> RunResult<(Model<IN, OUT>, Option<Meta>)> {
    let layout = layout(path, flag)?;
    let bytes = read(path, flag)?;
    let named = |e: Error| format!("{flag} {}: {e}", path.display());
    let model = match (layout.format, layout.scaled) {
        (Format::Cnet, true) => persist::decode::<f32, Model<IN, OUT>>(&bytes).map_err(named)?,
        (Format::Cnet, false) => {
            Scaled::new(persist::decode::<f32, Net<IN, OUT>>(&bytes).map_err(named)?)
        }
        (Format::Safetensors, true) => {
            safetensors::decode::<f32, Model<IN, OUT>>(&bytes, &Options::default())
                .map_err(named)?
        }
        (Format::Safetensors, false) => Scaled::new(
            safetensors::decode::<f32, Net<IN, OUT>>(&bytes, &Options::default()).map_err(named)?,
        ),
    };
    check_scalers(&model).map_err(|why| format!("{flag} {}: {why}", path.display()))?;
    Ok((model, layout.meta))
}

/// A model file's scalers must be usable: finite means, finite deviations > 0 whose
/// reciprocal is finite (a file checks its bytes, not what they mean; a zero or negative
/// `std` would make every prediction infinite or mirrored).
pub fn check_scalers<const IN: usize, const OUT: usize>(
    model: &Model<IN, OUT>,
) -> Result<(), String> {
    let parts = [
        (
            "input",
            model.input.mean.as_slice(),
            model.input.std.as_slice(),
        ),
        (
            "target",
            model.output.mean.as_slice(),
            model.output.std.as_slice(),
        ),
    ];
    for (what, mean, std) in parts {
        let bad_mean = mean.iter().any(|m| !m.is_finite());
        let bad_std = std
            .iter()
            .any(|s| !s.is_finite() || *s <= 0.0 || !(1.0 / s).is_finite());
        if bad_mean || bad_std {
            return Err(format!(
                "the model's {what} scaling is unusable (mean {mean:?}, std {std:?}): means \
                 must be finite and standard deviations finite and > 0"
            ));
        }
    }
    Ok(())
}
