//! Model files: a small, stable binary format for any network's parameters.
//!
//! [`encode`] / [`encode_into`] write a network's [`Params`] tensors, [`decode`] reads them
//! back into a network of a given type, checking that the file was made for exactly that
//! architecture and scalar type and that no byte was damaged. [`save`] and [`load`] do the
//! same with files; `save` writes atomically (temporary file, fsync, rename), so a crash
//! leaves the old file or the new one, never a torn mix.
//!
//! Encoding into a caller's buffer and decoding need no allocator, so firmware can read a
//! model from flash with `decode` alone.
//!
//! ```
//! use constnet::{net, persist, Dense, Init, InitScheme, Relu};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! type Model = net![Dense<1, 16>, Relu, Dense<16, 1>];
//! let model: Model = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(1), InitScheme::He);
//!
//! let bytes = persist::encode(&model)?;
//! assert_eq!(bytes.len(), persist::encoded_len::<f32, Model>());
//! let back: Model = persist::decode(&bytes)?;
//! assert_eq!(back, model); // bit-exact
//!
//! // The file names what is wrong when it does not fit:
//! let err = persist::decode::<f32, net![Dense<1, 8>, Relu, Dense<8, 1>]>(&bytes).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "tensor 0 is 16x1 in the model file, the network expects 8x1 (a different architecture)"
//! );
//! # Ok::<(), constnet::Error>(())
//! ```
//!
//! # Format, version 1
//!
//! All integers are unsigned little-endian; all values are IEEE-754 little-endian.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic: the ASCII bytes `constnet` |
//! | 8 | 4 | format version, `u32` = 1 |
//! | 12 | 4 | scalar type: [`Real::NAME`] in ASCII, NUL-padded (`f32\0` or `f64\0`) |
//! | 16 | 4 | tensor count `n`, `u32` ([`Params::TENSORS`]) |
//! | 20 | 8·n | each tensor's shape, in [`Params`] order: rows `u32`, columns `u32` |
//! | 20 + 8·n | s·Σ rows·cols | each tensor's values in order, column-major, `s` = 4 (`f32`) or 8 (`f64`) bytes each |
//! | end − 4 | 4 | CRC-32 (IEEE, as zlib's `crc32`) of every byte before it, `u32` |
//!
//! A [`Dense<IN, OUT>`](crate::Dense) contributes two tensors: `w` (`OUT × IN`) then `b`
//! (`OUT × 1`); activations contribute none; a [`Chain`](crate::Chain) lists `first`'s
//! tensors then `second`'s. So the file of `net![Dense<1, 64>, Relu, Dense<64, 1>]` in
//! `f32` is `20 + 4·8 + 4·(64 + 64 + 64 + 1) + 4 = 828` bytes. Values are never NaN or
//! infinite: [`encode`] refuses such a network and [`decode`] such a file.
//!
//! The version changes whenever the layout does; a reader rejects versions it does not
//! know ([`FormatError::UnsupportedVersion`]) rather than guess.
//!
//! # Metadata, version 2
//!
//! A file may also carry text metadata (the `constnet` tool keeps the columns a model
//! reads, its task and its classes there): [`encode_with`] writes version 2, whose values
//! are followed, before the checksum, by the metadata block's length `m` (`u32`) and the
//! block: a pair count (`u32`), then for each pair in key order the key's length (`u32`),
//! its UTF-8 bytes, the value's length (`u32`) and its UTF-8 bytes; at most 1 MiB. The
//! checksum covers it. [`decode`] reads both versions (ignoring metadata);
//! [`decode_with`] returns it; [`describe`] reads any file's scalar type, shapes and
//! metadata without knowing its network type.
//!
//! # Errors
//!
//! Every problem with the bytes is an [`Error::Format`](crate::Error::Format) holding a
//! [`FormatError`]. `decode` checks, in order: empty input, magic, version, scalar type,
//! tensor count, each shape (so a file made for another network names the difference
//! rather than failing on its length), a version 2 file's metadata length (at most 1 MiB,
//! else [`FormatError::MetadataTooLarge`]), length (truncated or trailing bytes),
//! checksum, and finally that every value is finite. A damaged header byte or metadata
//! length is therefore reported as the mismatch it causes; any other damaged byte as a
//! checksum error.

mod crc32;
mod error;
mod format;
#[cfg(feature = "alloc")]
mod meta;

pub use error::FormatError;
#[cfg(feature = "alloc")]
pub use meta::{Description, Metadata, decode_with, describe, encode_with};
#[cfg(feature = "std")]
pub use meta::{load_with, save_with};

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use crate::{Params, Real, Result};

pub(crate) use format::bits;

/// The format version of a file without metadata, what [`encode`] writes; files with
/// metadata ([`encode_with`]) are version [`VERSION_META`].
pub const VERSION: u32 = format::VERSION;

/// The format version of a file with metadata (see [Metadata](self#metadata-version-2)).
pub const VERSION_META: u32 = format::VERSION_META;

/// The first 8 bytes of every model file.
pub const MAGIC: [u8; 8] = format::MAGIC;

/// The length in bytes of network type `N` with scalar `T` in this format.
///
/// ```
/// use constnet::{persist, Dense};
/// // header 20, two shapes 16, values (2 + 1)·8, checksum 4
/// assert_eq!(persist::encoded_len::<f64, Dense<2, 1, f64>>(), 20 + 16 + 24 + 4);
/// ```
#[must_use]
pub fn encoded_len<T: Real, N: Params<T>>() -> usize {
    format::encoded_len::<T, N>()
}

/// Encodes `net` into the front of `buf`, without allocating; returns the number of bytes
/// written ([`encoded_len`]). On error the contents of `buf` are unspecified.
///
/// ```
/// use constnet::{persist, Dense};
/// let layer = Dense::<2, 1>::from_slices(&[1.0, 2.0], &[0.5])?;
/// let mut flash = [0u8; 64];
/// let n = persist::encode_into(&layer, &mut flash)?;
/// assert_eq!(&flash[..8], b"constnet");
/// assert_eq!(persist::decode::<f32, Dense<2, 1>>(&flash[..n])?, layer);
/// assert!(persist::encode_into(&layer, &mut [0u8; 10]).is_err());
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`FormatError::BufferTooSmall`] if `buf` is shorter than [`encoded_len`];
/// [`FormatError::NonFinite`] if a parameter is NaN or infinite (such a file could not be
/// loaded); [`FormatError::TooLarge`] / [`FormatError::TensorLength`] only for a
/// [`Params`] implementation that does not describe itself consistently.
pub fn encode_into<T: Real, N: Params<T>>(net: &N, buf: &mut [u8]) -> Result<usize> {
    Ok(format::write(net, buf)?)
}

/// Encodes `net` as a new byte vector (needs the `alloc` feature).
///
/// ```
/// use constnet::{persist, Dense};
/// let bytes = persist::encode(&Dense::<3, 2, f64>::zeros())?;
/// assert_eq!(bytes.len(), persist::encoded_len::<f64, Dense<3, 2, f64>>());
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`encode_into`] (never [`FormatError::BufferTooSmall`]).
#[cfg(feature = "alloc")]
pub fn encode<T: Real, N: Params<T>>(net: &N) -> Result<Vec<u8>> {
    let mut bytes = alloc::vec![0; encoded_len::<T, N>()];
    let n = encode_into(net, &mut bytes)?;
    bytes.truncate(n);
    Ok(bytes)
}

/// Decodes a network of type `N` from exactly `bytes` (no allocation).
///
/// Name the type with an annotation (`let m: Model = decode(&bytes)?`) or a turbofish
/// (`decode::<f32, Model>(&bytes)`).
///
/// ```
/// use constnet::{persist, Dense, Error, FormatError};
/// let bytes = persist::encode(&Dense::<2, 1>::zeros())?;
/// // Same architecture, other scalar type:
/// let err = persist::decode::<f64, Dense<2, 1, f64>>(&bytes).unwrap_err();
/// assert!(matches!(err, Error::Format(FormatError::ScalarType { expected: "f64", .. })));
/// // One damaged byte:
/// let mut bad = bytes.clone();
/// bad[40] ^= 1; // a byte of the first weight
/// let err = persist::decode::<f32, Dense<2, 1>>(&bad).unwrap_err();
/// assert!(matches!(err, Error::Format(FormatError::Checksum { .. })));
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::Format`](crate::Error::Format) naming the first problem found; see the
/// [module docs](self#errors) for the order of the checks.
pub fn decode<T: Real, N: Params<T>>(bytes: &[u8]) -> Result<N> {
    Ok(format::read(bytes)?.0)
}

/// Saves `net` to `path` atomically: the bytes go to a temporary file in the same
/// directory, which is synced and then renamed over `path` (needs `std`).
///
/// ```
/// use constnet::{persist, Dense};
/// let path = std::env::temp_dir().join(format!("constnet-doc-save-{}.cnet", std::process::id()));
/// let layer = Dense::<2, 1>::from_slices(&[1.0, 2.0], &[0.5])?;
/// persist::save(&layer, &path)?;
/// let back: Dense<2, 1> = persist::load(&path)?;
/// assert_eq!(back, layer);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`encode_into`]; [`Error::Io`](crate::Error::Io) naming the path if the file cannot be
/// written (e.g. its directory does not exist). On error `path` is left as it was and no
/// temporary file remains.
#[cfg(feature = "std")]
pub fn save<T: Real, N: Params<T>>(net: &N, path: impl AsRef<std::path::Path>) -> Result<()> {
    let bytes = encode(net)?;
    crate::fsutil::write_bytes_atomic(path.as_ref(), &bytes)
}

/// Loads a network of type `N` from the file at `path` (needs `std`).
///
/// Reads at most the most a file of this network can need (with a metadata block of the
/// largest size) plus one byte to tell a longer file apart, so a huge or endless file
/// (`/dev/zero`) costs no more memory or time than a valid one.
///
/// ```
/// use constnet::{persist, Dense, Error};
/// let err = persist::load::<f32, Dense<2, 1>>("/no/such/model.cnet").unwrap_err();
/// assert!(matches!(err, Error::Io { .. }));
/// ```
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) naming the path if it cannot be read; otherwise as
/// [`decode`] ([`FormatError::TrailingBytes`] gives the file's real size when it is a
/// regular file).
#[cfg(feature = "std")]
pub fn load<T: Real, N: Params<T>>(path: impl AsRef<std::path::Path>) -> Result<N> {
    use std::io::Read;
    let path = path.as_ref();
    let io_err = |source| crate::Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    // Room for a metadata block (version 2) too.
    let cap = encoded_len::<T, N>().saturating_add(4 + format::MAX_META + 1);
    let mut bytes = Vec::new();
    (&file)
        .take(u64::try_from(cap).unwrap_or(u64::MAX))
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    decode(&bytes).map_err(|e| match e {
        crate::Error::Format(FormatError::TrailingBytes { expected, .. }) => {
            let found = file
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| usize::try_from(m.len()).ok())
                .unwrap_or(bytes.len());
            crate::Error::Format(FormatError::TrailingBytes { expected, found })
        }
        other => other,
    })
}
