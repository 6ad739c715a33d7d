//! Files: atomic saves, loads, and the format chosen from the extension.

use std::path::Path;

use super::{Options, SafetensorsError, decode, encode};
use crate::{Error, Params, Real, Result, fsutil, persist};

/// `true` if `path` ends in `.safetensors` (any case): the extension [`load_auto`] and
/// [`save_auto`] take for this format.
///
/// ```
/// use constnet::safetensors::is_safetensors_path;
/// assert!(is_safetensors_path("out/model.safetensors".as_ref()));
/// assert!(is_safetensors_path("MODEL.SafeTensors".as_ref()));
/// assert!(!is_safetensors_path("model.cnet".as_ref()));
/// ```
#[must_use]
pub fn is_safetensors_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"))
}

/// Saves `net` as a safetensors file, atomically (see [`fsutil::write_atomic`]), with
/// default [`Options`].
///
/// ```
/// use constnet::{safetensors, Dense};
/// let path = std::env::temp_dir().join(format!("constnet-doc-st-{}.safetensors", std::process::id()));
/// let layer = Dense::<2, 1>::from_rows([[0.5, -1.0]], [0.25]);
/// safetensors::save(&layer, &path)?;
/// let back: Dense<2, 1> = safetensors::load(&path)?;
/// assert_eq!(back, layer);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`encode`](super::encode), and [`Error::Io`] naming `path`; on error the file is
/// untouched.
pub fn save<T: Real, N: Params<T>>(net: &N, path: impl AsRef<Path>) -> Result<()> {
    save_with(net, path, &Options::default())
}

/// [`save`] with [`Options`] (keys, metadata).
///
/// # Errors
/// As [`save`].
pub fn save_with<T: Real, N: Params<T>>(
    net: &N,
    path: impl AsRef<Path>,
    opts: &Options,
) -> Result<()> {
    let bytes = encode(net, opts)?;
    fsutil::write_bytes_atomic(path.as_ref(), &bytes)
}

/// Loads network `N` from a safetensors file, with default [`Options`].
///
/// # Errors
/// [`Error::Io`] naming `path` if it cannot be read; otherwise as
/// [`decode`](super::decode).
pub fn load<T: Real, N: Params<T>>(path: impl AsRef<Path>) -> Result<N> {
    load_with(path, &Options::default())
}

/// [`load`] with [`Options`] (keys, unexpected tensors).
///
/// Reads no more than the file's header says it holds, plus one byte to tell a longer
/// file apart, and refuses a header that declares more data than the network's values take
/// as `F64` before reading it: a huge or endless file (`/dev/zero`) costs no more than a
/// valid one. (With [`Options::allow_unexpected`], the data the header declares is read.)
///
/// # Errors
/// As [`load`].
pub fn load_with<T: Real, N: Params<T>>(path: impl AsRef<Path>, opts: &Options) -> Result<N> {
    // Without unexpected tensors, a valid file holds at most the network's values as F64.
    let max = (!opts.allow_unexpected).then(|| {
        (0..N::TENSORS)
            .map(|i| N::shape(i))
            .fold(0u64, |sum, (r, c)| {
                sum.saturating_add((r as u64).saturating_mul(c as u64))
            })
            .saturating_mul(8)
    });
    let path = path.as_ref();
    let bytes = read_bounded(path, max)?;
    decode(&bytes, opts).map_err(|e| match e {
        // Only one byte past the declared data was read: the file's size says how many
        // bytes it really holds after the header.
        Error::Safetensors(SafetensorsError::TrailingBytes { covered, available }) => {
            let header = bytes
                .first_chunk::<8>()
                .map_or(0, |b| u64::from_le_bytes(*b))
                .saturating_add(8);
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            let held = usize::try_from(size.saturating_sub(header)).unwrap_or(usize::MAX);
            Error::Safetensors(SafetensorsError::TrailingBytes {
                covered,
                available: available.max(held),
            })
        }
        e => e,
    })
}

/// The safetensors crate's own limit on the JSON header (`MAX_HEADER_SIZE`, private).
const MAX_HEADER: u64 = 100_000_000;

/// The 8-byte header length, the header, then the data it declares (the largest end
/// offset) and one byte more; stops early at a length or header that [`decode`] will
/// reject anyway, with the bytes read so far; refuses to read more data than `max`.
fn read_bounded(path: &Path, max: Option<u64>) -> Result<std::vec::Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = std::vec::Vec::new();
    let read = |bytes: &mut std::vec::Vec<u8>, n: u64| {
        (&file)
            .take(n)
            .read_to_end(bytes)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })
    };
    read(&mut bytes, 8)?;
    let Some(n) = bytes.first_chunk::<8>().map(|b| u64::from_le_bytes(*b)) else {
        return Ok(bytes);
    };
    if n > MAX_HEADER {
        return Ok(bytes);
    }
    read(&mut bytes, n)?;
    let Ok(header) = serde_json::from_slice::<serde_json::Value>(&bytes[8..]) else {
        return Ok(bytes);
    };
    let declared = data_len(&header);
    if let Some(max) = max.filter(|&max| declared > max) {
        return Err(SafetensorsError::TooMuchData { declared, max }.into());
    }
    read(&mut bytes, declared.saturating_add(1))?;
    Ok(bytes)
}

/// The data a header declares: its tensors' largest end offset.
fn data_len(header: &serde_json::Value) -> u64 {
    let Some(tensors) = header.as_object() else {
        return 0;
    };
    tensors
        .iter()
        .filter(|(name, _)| *name != "__metadata__")
        .filter_map(|(_, t)| t.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0)
}

/// Saves `net` as safetensors if `path` ends in `.safetensors`, else as a constnet
/// [model file](crate::persist); atomically either way.
///
/// ```
/// use constnet::{safetensors, net, Dense, Params, Relu};
/// type M = net![Dense<1, 4>, Relu, Dense<4, 1>];
/// let dir = std::env::temp_dir();
/// for name in ["auto.safetensors", "auto.cnet"] {
///     let path = dir.join(format!("constnet-doc-{}-{name}", std::process::id()));
///     safetensors::save_auto(&<M as Params<f32>>::zeros(), &path)?;
///     let back: M = safetensors::load_auto(&path)?;
///     assert_eq!(back, Params::zeros());
///     # std::fs::remove_file(&path).unwrap();
/// }
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`save`] or [`persist::save`].
pub fn save_auto<T: Real, N: Params<T>>(net: &N, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    if is_safetensors_path(path) {
        save(net, path)
    } else {
        persist::save(net, path)
    }
}

/// Loads network `N` from safetensors if `path` ends in `.safetensors`, else from a
/// constnet [model file](crate::persist).
///
/// # Errors
/// As [`load`] or [`persist::load`].
pub fn load_auto<T: Real, N: Params<T>>(path: impl AsRef<Path>) -> Result<N> {
    let path = path.as_ref();
    if is_safetensors_path(path) {
        load(path)
    } else {
        persist::load(path)
    }
}
