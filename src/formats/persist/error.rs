//! [`FormatError`]: everything that can be wrong with a model file's bytes.

use core::fmt;

/// Why bytes could not be read as (or written to) a model file; carried by
/// [`Error::Format`](crate::Error::Format). Allocation-free, so it exists without `std`.
///
/// ```
/// use constnet::{persist, Dense, Error, FormatError};
/// let err = persist::decode::<f32, Dense<1, 1>>(b"").unwrap_err();
/// assert!(matches!(err, Error::Format(FormatError::Empty)));
/// assert_eq!(err.to_string(), "model file is empty");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// There were no bytes at all.
    Empty,
    /// The bytes do not start with the magic `constnet`: not a model file.
    BadMagic,
    /// The file was written in a format version this build cannot read.
    UnsupportedVersion {
        /// The file's version.
        found: u32,
        /// The newest version this build reads (it reads every version from 1 up).
        supported: u32,
    },
    /// The file holds another scalar type (e.g. `f64` values for an `f32` network).
    ScalarType {
        /// The network's scalar type, `Real::NAME`.
        expected: &'static str,
        /// The file's 4-byte tag (the name, NUL-padded).
        found: [u8; 4],
    },
    /// The file holds another number of tensors than the network.
    TensorCount {
        /// The network's [`Params::TENSORS`](crate::Params::TENSORS).
        expected: usize,
        /// The file's count.
        found: u32,
    },
    /// A tensor's shape in the file differs from the network's.
    Shape {
        /// Index of the tensor in [`Params`](crate::Params) order.
        tensor: usize,
        /// `(rows, columns)` in the network.
        expected: (usize, usize),
        /// `(rows, columns)` in the file.
        found: (u32, u32),
    },
    /// The bytes end before the model does.
    Truncated {
        /// The full length the model needs, in bytes.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// There are bytes after the end of the model.
    TrailingBytes {
        /// The model's length, in bytes.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The CRC-32 of the contents does not match the one stored: the bytes are damaged.
    Checksum {
        /// The checksum stored at the end of the file.
        stored: u32,
        /// The checksum of the bytes before it.
        computed: u32,
    },
    /// A parameter is NaN or infinite (in a file being read, or a network being saved).
    NonFinite {
        /// Index of the tensor in [`Params`](crate::Params) order.
        tensor: usize,
        /// Index of the value in the tensor (column-major).
        index: usize,
    },
    /// A network's [`Params`](crate::Params) implementation is inconsistent: tensor `tensor`
    /// holds `found` values but its shape says `expected`.
    TensorLength {
        /// Index of the tensor.
        tensor: usize,
        /// `rows × columns` from [`Params::shape`](crate::Params::shape).
        expected: usize,
        /// The slice's length.
        found: usize,
    },
    /// A shape or count does not fit in the format's `u32` fields.
    TooLarge {
        /// The value that does not fit.
        value: usize,
    },
    /// The caller's buffer is too small for the encoded model.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        found: usize,
    },
    /// A version 2 file's metadata block is not pairs of UTF-8 text.
    Metadata,
    /// A metadata block over the format's limit (1 MiB): to be written, or declared by a
    /// file's metadata length field.
    MetadataTooLarge {
        /// The block's length in bytes.
        bytes: usize,
        /// The most the format allows.
        max: usize,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FormatError::Empty => write!(f, "model file is empty"),
            FormatError::BadMagic => {
                write!(
                    f,
                    "not a constnet model file (it does not start with `constnet`)"
                )
            }
            FormatError::UnsupportedVersion { found, supported } => write!(
                f,
                "model file format version {found} is not supported (this build reads versions 1 \
                 to {supported})"
            ),
            FormatError::ScalarType { expected, found } => {
                let end = found.iter().position(|&b| b == 0).unwrap_or(found.len());
                write!(
                    f,
                    "model file holds `{}` values, the network is `{expected}`",
                    found[..end].escape_ascii()
                )
            }
            FormatError::TensorCount { expected, found } => write!(
                f,
                "model file holds {found} tensors, the network has {expected} (a different \
                 architecture)"
            ),
            FormatError::Shape {
                tensor,
                expected: (er, ec),
                found: (fr, fc),
            } => write!(
                f,
                "tensor {tensor} is {fr}x{fc} in the model file, the network expects {er}x{ec} \
                 (a different architecture)"
            ),
            FormatError::Truncated { expected, found } => write!(
                f,
                "model file is truncated: {found} bytes, the network needs {expected}"
            ),
            FormatError::TrailingBytes { expected, found } => write!(
                f,
                "model file has {} unexpected bytes after its end ({found} bytes, the network \
                 needs {expected})",
                found.saturating_sub(expected)
            ),
            FormatError::Checksum { stored, computed } => write!(
                f,
                "model file is corrupted: its contents have CRC-32 {computed:#010x}, the file \
                 says {stored:#010x}"
            ),
            FormatError::NonFinite { tensor, index } => write!(
                f,
                "tensor {tensor} holds a NaN or infinite value at index {index}"
            ),
            FormatError::TensorLength {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "tensor {tensor} holds {found} values but its shape says {expected}"
            ),
            FormatError::TooLarge { value } => {
                write!(f, "{value} does not fit in the model file's 32-bit fields")
            }
            FormatError::BufferTooSmall { needed, found } => write!(
                f,
                "buffer too small for the model: needs {needed} bytes, got {found}"
            ),
            FormatError::Metadata => write!(
                f,
                "the model file's metadata is damaged (not pairs of UTF-8 text)"
            ),
            FormatError::MetadataTooLarge { bytes, max } => write!(
                f,
                "metadata block of {bytes} bytes: over the model format's limit of {max} bytes"
            ),
        }
    }
}

impl core::error::Error for FormatError {}

impl From<FormatError> for crate::Error {
    fn from(e: FormatError) -> Self {
        crate::Error::Format(e)
    }
}
