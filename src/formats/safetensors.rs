//! PyTorch weights in and out: a typed network as a safetensors state dict.
//!
//! A [`net!`](crate::net) network reads and writes the `state_dict` of the matching
//! `nn.Sequential`: `net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>]` ⇔
//! `nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))`,
//! keys `0.weight`, `0.bias`, `2.weight`, `2.bias`, `4.weight`, `4.bias` (activations take
//! an index, as in `nn.Sequential`). Weights are PyTorch's `(out, in)`, row-major; biases
//! `(out,)`. The mapping comes from [`Params::key`](crate::Params::key), given for every layer of the
//! crate; [`Keys`] adds a prefix (`model.0.weight`) or names modules (`fc1.weight`).
//!
//! ```
//! use constnet::safetensors::{self, Options};
//! use constnet::{net, Dense, Init, InitScheme, Relu, Tanh};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! type Model = net![Dense<2, 8>, Relu, Dense<8, 8>, Tanh, Dense<8, 1>];
//! let model: Model = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(1), InitScheme::He);
//!
//! let bytes = safetensors::encode(&model, &Options::default())?;
//! let keys = safetensors::keys(&bytes)?;
//! assert_eq!(keys, ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]);
//! let back: Model = safetensors::decode(&bytes, &Options::default())?;
//! assert_eq!(back, model); // bit for bit
//! # Ok::<(), constnet::Error>(())
//! ```
//!
//! # Reading
//!
//! Every tensor the network needs must be there with its exact shape, and nothing else
//! (unless [`Options::allow_unexpected`]); any mismatch is an
//! [`Error::Safetensors`] naming the key. Values are converted
//! to the network's scalar type: `F16`, `BF16` and `F32` exactly (each is an `f64`, and each
//! `F16`/`BF16` an `f32`), `F64` into an `f32` network rounded to nearest, ties to even.
//! NaN, infinite values, and `F64` values beyond `f32`'s range are refused. Loading is all
//! or nothing: [`decode_into`] leaves the network as it was on any error.
//!
//! # Writing
//!
//! Tensors in the network's own scalar type (`F32` or `F64`), so a round trip is bit-exact;
//! `__metadata__` holds `"format": "pt"` (as `safetensors.torch.save_file` writes),
//! `"constnet.scalar"` (`f32`/`f64`), `"constnet.version"` and yours
//! ([`Options::metadata`]); read them back with [`metadata`]. Constants that PyTorch keeps
//! outside the state dict — [`LeakyRelu`](crate::LeakyRelu)'s slope — go in as the extra
//! tensor `<index>.constnet_constants` (shape `[n]`, see [`CONSTANTS`]), so a constnet
//! round trip keeps them. For PyTorch, drop them before `load_state_dict` (or pass
//! `strict=False`):
//!
//! ```python
//! state = safetensors.torch.load_file("model.safetensors")
//! state = {k: v for k, v in state.items() if not k.endswith(".constnet_constants")}
//! model.load_state_dict(state)
//! ```
//!
//! A network without such constants (`Relu`, `Tanh`, `Sigmoid`, `Identity`) writes exactly
//! the keys of the matching `nn.Sequential`. When importing a PyTorch file into a network
//! with a `LeakyRelu`, build the network with its slope and load with
//! [`Options::allow_missing_constants`] into it ([`decode_into`]).
//!
//! [`load_auto`] and [`save_auto`] pick this format or constnet's own
//! [model files](crate::persist) from the file's extension.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use ::safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};

use crate::{Error, Params, Real, Result};

mod contents;
mod diagnose;
mod dtype;
mod error;
mod keys;

pub use crate::layer::{CONSTANTS, TensorKey};
pub use contents::{keys, metadata, tensors, without_constants};
pub use error::SafetensorsError;
pub use keys::Keys;
use keys::Spec;

impl From<SafetensorsError> for Error {
    fn from(e: SafetensorsError) -> Self {
        Error::Safetensors(e)
    }
}

/// How to read and write: the key mapping, and what a file may differ in.
///
/// ```
/// use constnet::safetensors::{Keys, Options};
/// let opts = Options::default()
///     .keys(Keys::default().prefix("model."))
///     .allow_unexpected(true)
///     .metadata("trained_on", "cubic, seed 42");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    keys: Keys,
    allow_unexpected: bool,
    allow_missing_constants: bool,
    metadata: BTreeMap<String, String>,
}

impl Options {
    /// The key mapping (default: `nn.Sequential` indices, no prefix).
    #[must_use]
    pub fn keys(mut self, keys: Keys) -> Self {
        self.keys = keys;
        self
    }

    /// Reading: tolerate tensors no layer takes (e.g. an optimizer's state, a head you do
    /// not use). Default `false`: they are an error.
    #[must_use]
    pub fn allow_unexpected(mut self, allow: bool) -> Self {
        self.allow_unexpected = allow;
        self
    }

    /// Reading: a frozen tensor (an activation's constants) missing from the file keeps the
    /// network's value instead of being an error; for PyTorch files, which do not store a
    /// `LeakyReLU`'s slope. Default `false`.
    #[must_use]
    pub fn allow_missing_constants(mut self, allow: bool) -> Self {
        self.allow_missing_constants = allow;
        self
    }

    /// Writing: an extra `__metadata__` entry (keys `format` and `constnet.*` are the
    /// crate's and override yours).
    #[must_use]
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// A tensor to write.
struct Tensor {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for Tensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// `[rows, cols]` for a matrix tensor, `[rows · cols]` for a flat one.
fn file_shape(key: TensorKey, (rows, cols): (usize, usize)) -> Vec<usize> {
    if key.matrix {
        vec![rows, cols]
    } else {
        vec![rows * cols]
    }
}

/// Column-major tensor `i` in the file's order (row-major for a matrix).
fn file_order<T: Real>(values: &[T], key: TensorKey, (rows, cols): (usize, usize)) -> Vec<T> {
    if key.matrix {
        (0..rows * cols)
            .map(|k| values[(k % cols) * rows + k / cols])
            .collect()
    } else {
        values.to_vec()
    }
}

/// The network as safetensors bytes, in its own scalar type.
///
/// ```
/// use constnet::{safetensors, Dense};
/// let bytes = safetensors::encode(&Dense::<2, 1>::zeros(), &Default::default())?;
/// assert_eq!(safetensors::keys(&bytes)?, ["0.bias", "0.weight"]);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`SafetensorsError::NonFinite`] naming the key if a value is NaN or infinite;
/// [`SafetensorsError::DuplicateKey`] or [`Error::LengthMismatch`] for explicit names that
/// repeat or do not match the network's modules.
pub fn encode<T: Real, N: Params<T>>(net: &N, opts: &Options) -> Result<Vec<u8>> {
    let tensors: Vec<&[T]> = (0..N::TENSORS).map(|i| net.tensor(i)).collect();
    encode_of(&Spec::of::<T, N>(), &tensors, opts)
}

/// [`encode`] of a network described by value (compiled once per scalar type).
fn encode_of<T: Real>(spec: &Spec, net: &[&[T]], opts: &Options) -> Result<Vec<u8>> {
    let keys = opts.keys.all(spec)?;
    let dtype = if T::BYTES == 8 {
        Dtype::F64
    } else {
        Dtype::F32
    };
    let mut tensors = Vec::with_capacity(keys.len());
    for (i, name) in keys.into_iter().enumerate() {
        let key = (spec.key)(i);
        let values = file_order(net[i], key, (spec.shape)(i));
        if let Some(index) = values.iter().position(|v| !v.finite()) {
            return Err(SafetensorsError::NonFinite { key: name, index }.into());
        }
        let mut data = Vec::with_capacity(values.len() * T::BYTES);
        for v in values {
            if T::BYTES == 8 {
                data.extend_from_slice(&v.as_f64().to_le_bytes());
            } else {
                data.extend_from_slice(&(v.as_f64() as f32).to_le_bytes()); // exact: v is f32
            }
        }
        let shape = file_shape(key, (spec.shape)(i));
        tensors.push((name, Tensor { dtype, shape, data }));
    }
    let mut meta = opts.metadata.clone();
    meta.insert("format".into(), "pt".into());
    meta.insert("constnet.scalar".into(), T::NAME.into());
    meta.insert("constnet.version".into(), env!("CARGO_PKG_VERSION").into());
    ::safetensors::serialize(tensors, Some(meta.into_iter().collect()))
        .map(diagnose::canonical)
        .map_err(|e| SafetensorsError::InvalidHeader(alloc::format!("{e:?}")).into())
}

/// Reads network `N` from safetensors bytes.
///
/// ```
/// use constnet::{safetensors, Dense};
/// let bytes = safetensors::encode(&Dense::<2, 1>::zeros(), &Default::default())?;
/// let err = safetensors::decode::<f32, Dense<3, 1>>(&bytes, &Default::default());
/// assert_eq!(
///     err.unwrap_err().to_string(),
///     "safetensors: tensor `0.weight` has shape [1, 2], the network expects [1, 3]"
/// );
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::Safetensors`] naming what is wrong (see [`SafetensorsError`]);
/// [`Error::LengthMismatch`] for explicit names that do not match the network's modules.
pub fn decode<T: Real, N: Params<T>>(bytes: &[u8], opts: &Options) -> Result<N> {
    let mut net = N::zeros();
    decode_into(bytes, &mut net, opts)?;
    Ok(net)
}

/// Reads safetensors bytes into `net`, all or nothing: on error `net` is unchanged. With
/// [`Options::allow_missing_constants`], constants the file lacks keep `net`'s values.
///
/// ```
/// use constnet::{safetensors::{self, Options}, net, Dense, LeakyRelu, Params};
/// type M = net![Dense<1, 2>, LeakyRelu, Dense<2, 1>];
/// // A PyTorch file has no slope: strip ours to make one.
/// let torch_like: M = Params::zeros();
/// let bytes = safetensors::encode(&torch_like, &Options::default())?;
/// let bytes = safetensors::without_constants(&bytes)?;
/// let mut model: M = constnet::chain![Dense::zeros(), LeakyRelu::new(0.2), Dense::zeros()];
/// safetensors::decode_into(&bytes, &mut model, &Options::default().allow_missing_constants(true))?;
/// assert_eq!(model.first.second.slope, 0.2);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`decode`].
pub fn decode_into<T: Real, N: Params<T>>(bytes: &[u8], net: &mut N, opts: &Options) -> Result<()> {
    for (i, values) in decode_of::<T>(bytes, &Spec::of::<T, N>(), opts)?
        .into_iter()
        .enumerate()
    {
        if let Some(values) = values {
            net.tensor_mut(i).copy_from_slice(&values);
        }
    }
    Ok(())
}

/// Every tensor of a network described by value, from safetensors bytes (compiled once
/// per scalar type); `None` for a constant the file lacks where that is allowed.
fn decode_of<T: Real>(bytes: &[u8], spec: &Spec, opts: &Options) -> Result<Vec<Option<Vec<T>>>> {
    let file = parse(bytes)?;
    let keys = opts.keys.all(spec)?;
    let mut loaded: Vec<Option<Vec<T>>> = Vec::with_capacity(keys.len());
    for (i, name) in keys.iter().enumerate() {
        let key = (spec.key)(i);
        let shape = (spec.shape)(i);
        let Ok(view) = file.tensor(name) else {
            if (spec.frozen)(i) && opts.allow_missing_constants {
                loaded.push(None);
                continue;
            }
            return Err(SafetensorsError::MissingKey { key: name.clone() }.into());
        };
        let expected = file_shape(key, shape);
        if view.shape() != expected.as_slice() {
            return Err(SafetensorsError::WrongShape {
                key: name.clone(),
                expected,
                found: view.shape().to_vec(),
            }
            .into());
        }
        let Some((size, decode)) = dtype::decoder(view.dtype()) else {
            return Err(SafetensorsError::WrongDtype {
                key: name.clone(),
                found: alloc::format!("{:?}", view.dtype()),
            }
            .into());
        };
        // The crate checked that the byte range is shape × dtype size long.
        let mut values = vec![T::zero(); shape.0 * shape.1];
        for (k, chunk) in view.data().chunks_exact(size).enumerate() {
            let v = T::cast(decode(chunk));
            if !v.finite() {
                return Err(SafetensorsError::NonFinite {
                    key: name.clone(),
                    index: k,
                }
                .into());
            }
            // Row-major file order to column-major storage.
            let at = if key.matrix {
                (k % shape.1) * shape.0 + k / shape.1
            } else {
                k
            };
            if let Some(slot) = values.get_mut(at) {
                *slot = v;
            }
        }
        loaded.push(Some(values));
    }
    if !opts.allow_unexpected {
        let mut names = file.names();
        names.sort_unstable();
        if let Some(extra) = names.into_iter().find(|n| !keys.iter().any(|k| k == n)) {
            return Err(SafetensorsError::UnexpectedKey {
                key: extra.to_string(),
            }
            .into());
        }
    }
    Ok(loaded)
}

/// Parses and validates the header (offsets, sizes, bounds).
fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    SafeTensors::deserialize(bytes).map_err(|e| map_error(bytes, e))
}

/// The crate's error as ours, naming the tensor where the crate does not.
fn map_error(bytes: &[u8], e: SafeTensorError) -> Error {
    use SafeTensorError as S;
    let claimed = bytes.get(..8).map(|b| {
        let mut len = [0u8; 8];
        len.copy_from_slice(b);
        u64::from_le_bytes(len)
    });
    let e = match e {
        S::HeaderTooSmall => SafetensorsError::TooShort { len: bytes.len() },
        S::HeaderTooLarge => SafetensorsError::HeaderTooLarge {
            len: claimed.unwrap_or(0),
        },
        S::InvalidHeaderLength => SafetensorsError::TruncatedHeader {
            len: claimed.unwrap_or(0),
            available: bytes.len().saturating_sub(8),
        },
        S::InvalidHeader(e) => SafetensorsError::InvalidHeader(alloc::format!("not UTF-8: {e}")),
        S::InvalidHeaderDeserialization(e) | S::JsonError(e) => {
            SafetensorsError::InvalidHeader(e.to_string())
        }
        // The crate names whichever tensor its hash map met first; name the first one in
        // offset order instead, the same on every run.
        S::InvalidOffset(key) => SafetensorsError::BadOffsets {
            key: diagnose::bad_offsets(bytes).unwrap_or(key),
        },
        S::TensorInvalidInfo | S::ValidationOverflow | S::MisalignedSlice => {
            SafetensorsError::SizeMismatch {
                key: diagnose::size_mismatch(bytes),
            }
        }
        S::MetadataIncompleteBuffer => diagnose::bounds(bytes),
        other => SafetensorsError::InvalidHeader(alloc::format!("{other:?}")),
    };
    e.into()
}

#[cfg(feature = "std")]
mod file;
#[cfg(feature = "std")]
pub use file::{is_safetensors_path, load, load_auto, load_with, save, save_auto, save_with};
