//! What can be wrong with a safetensors file, or with its fit to a network.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A safetensors file that is malformed, or does not hold this network's state dict.
///
/// Every variant about one tensor names its key (as written in the file, prefix included).
/// Reading never panics on any bytes: the reader is property-tested with thousands of
/// random mutations and truncations of a valid file (`tests/it/safetensors.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SafetensorsError {
    /// Fewer than the 8 bytes of the header length.
    TooShort {
        /// The file's length in bytes.
        len: usize,
    },
    /// The header length field is larger than the safetensors crate accepts (100 MB), or
    /// than a `usize`.
    HeaderTooLarge {
        /// The header length the file claims.
        len: u64,
    },
    /// The header runs past the end of the file.
    TruncatedHeader {
        /// The header length the file claims.
        len: u64,
        /// Bytes after the 8-byte length field.
        available: usize,
    },
    /// The header is not UTF-8, not JSON, or not a safetensors header (e.g. an unknown
    /// dtype, a missing `data_offsets`); the message is the parser's.
    InvalidHeader(String),
    /// A tensor's `data_offsets` overlap another tensor's, leave a gap before it, or end
    /// before they start.
    BadOffsets {
        /// The tensor's key.
        key: String,
    },
    /// A tensor's byte range does not hold `shape × dtype size` bytes (or that product
    /// overflows).
    SizeMismatch {
        /// The tensor's key, when the header can name it.
        key: Option<String>,
    },
    /// A tensor's data runs past the end of the file (a truncated file).
    OutOfBounds {
        /// The tensor's key.
        key: String,
        /// Where its data ends, counted from the start of the data section.
        end: usize,
        /// How many data bytes the file holds.
        available: usize,
    },
    /// The data section is longer than the tensors in the header cover (trailing bytes).
    TrailingBytes {
        /// Bytes the tensors cover.
        covered: usize,
        /// Bytes the file holds after the header.
        available: usize,
    },
    /// The network needs a tensor that the file does not hold.
    MissingKey {
        /// The key looked up.
        key: String,
    },
    /// The file holds a tensor that no layer of the network takes (an error unless
    /// [`Options::allow_unexpected`](super::Options::allow_unexpected)).
    UnexpectedKey {
        /// The key in the file.
        key: String,
    },
    /// Two tensors of the network were given the same key (explicit names that repeat).
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// A tensor has another shape than the layer.
    WrongShape {
        /// The tensor's key.
        key: String,
        /// The layer's shape, PyTorch order (`[out, in]` for a weight).
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// A tensor's dtype is not a float type constnet reads (`F32`, `F64`, `F16`, `BF16`).
    WrongDtype {
        /// The tensor's key.
        key: String,
        /// The file's dtype, as safetensors spells it.
        found: String,
    },
    /// The header declares more tensor data than the network can take at 8 bytes a value
    /// (found before reading it; only without
    /// [`Options::allow_unexpected`](super::Options::allow_unexpected)).
    TooMuchData {
        /// The data bytes the header declares (its largest end offset).
        declared: u64,
        /// The most the network's tensors hold, as `F64`.
        max: u64,
    },
    /// A value is NaN or infinite (or an `F64` beyond `f32`'s range, loaded into an `f32`
    /// network), in the file or in a network being saved.
    NonFinite {
        /// The tensor's key.
        key: String,
        /// The value's index in the tensor, row-major (PyTorch's order).
        index: usize,
    },
}

impl fmt::Display for SafetensorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SafetensorsError as E;
        match self {
            E::TooShort { len } => write!(
                f,
                "safetensors: file of {len} bytes is too short for the 8-byte header length"
            ),
            E::HeaderTooLarge { len } => write!(
                f,
                "safetensors: header length {len} is too large (corrupt or not a safetensors file)"
            ),
            E::TruncatedHeader { len, available } => write!(
                f,
                "safetensors: header of {len} bytes but only {available} bytes follow (truncated)"
            ),
            E::InvalidHeader(msg) => write!(f, "safetensors: invalid header: {msg}"),
            E::BadOffsets { key } => write!(
                f,
                "safetensors: tensor `{key}`: data_offsets overlap, leave a gap or are reversed"
            ),
            E::SizeMismatch { key: Some(key) } => write!(
                f,
                "safetensors: tensor `{key}`: byte range does not match its shape and dtype"
            ),
            E::SizeMismatch { key: None } => write!(
                f,
                "safetensors: a tensor's byte range does not match its shape and dtype"
            ),
            E::OutOfBounds {
                key,
                end,
                available,
            } => write!(
                f,
                "safetensors: tensor `{key}` ends at byte {end} of the data, which holds \
                 {available} bytes (truncated)"
            ),
            E::TrailingBytes { covered, available } => write!(
                f,
                "safetensors: tensors cover {covered} data bytes but the file holds {available}"
            ),
            E::MissingKey { key } => write!(f, "safetensors: missing tensor `{key}`"),
            E::TooMuchData { declared, max } => write!(
                f,
                "safetensors: the header declares {declared} bytes of tensor data, more than the \
                 network's {max} (its values as F64): tensors it does not have, or other shapes"
            ),
            E::UnexpectedKey { key } => write!(
                f,
                "safetensors: unexpected tensor `{key}` (no layer takes it)"
            ),
            E::DuplicateKey { key } => {
                write!(
                    f,
                    "safetensors: two tensors of the network are named `{key}`"
                )
            }
            E::WrongShape {
                key,
                expected,
                found,
            } => write!(
                f,
                "safetensors: tensor `{key}` has shape {found:?}, the network expects {expected:?}"
            ),
            E::WrongDtype { key, found } => write!(
                f,
                "safetensors: tensor `{key}` has dtype {found}; expected F32, F64, F16 or BF16"
            ),
            E::NonFinite { key, index } => write!(
                f,
                "safetensors: tensor `{key}` holds a NaN or infinite value at index {index}"
            ),
        }
    }
}

impl core::error::Error for SafetensorsError {}
