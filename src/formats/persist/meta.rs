//! Version 2 model files: a metadata block of text pairs, and reading a file's layout
//! without knowing its network type.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::format::{MAGIC, MAX_META, VERSION, VERSION_META, read};
use super::{FormatError, crc32::crc32, encode};
use crate::{Params, Real, Result};

/// A model file's metadata: text keys and values (e.g. `"constnet.inputs"` → the input
/// columns' names), written in key order.
pub type Metadata = BTreeMap<String, String>;

/// Encodes `net` with `meta` (format version 2; version 1, as [`encode`], when `meta` is
/// empty, so a file without metadata is byte for byte the same as before).
///
/// ```
/// use constnet::{persist, Dense};
/// let mut meta = persist::Metadata::new();
/// meta.insert("constnet.inputs".into(), "age".into());
/// let bytes = persist::encode_with(&Dense::<1, 1>::zeros(), &meta)?;
/// let (net, back): (Dense<1, 1>, _) = persist::decode_with(&bytes)?;
/// assert_eq!((net, back), (Dense::zeros(), meta));
/// assert_eq!(persist::describe(&bytes)?.shapes, [(1, 1), (1, 1)]);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`encode`]; [`FormatError::MetadataTooLarge`] if the metadata block is over 1 MiB.
pub fn encode_with<T: Real, N: Params<T>>(net: &N, meta: &Metadata) -> Result<Vec<u8>> {
    with_block(encode(net)?, meta)
}

/// `bytes` (a version-1 encoding) with `meta` appended as version 2 (compiled once).
fn with_block(mut bytes: Vec<u8>, meta: &Metadata) -> Result<Vec<u8>> {
    if meta.is_empty() {
        return Ok(bytes);
    }
    // Sized before it is built: a 4 GiB value is refused as metadata, not copied first.
    let size = meta.iter().fold(4usize, |n, (k, v)| {
        n.saturating_add(8)
            .saturating_add(k.len())
            .saturating_add(v.len())
    });
    if size > MAX_META {
        return Err(FormatError::MetadataTooLarge {
            bytes: size,
            max: MAX_META,
        }
        .into());
    }
    let mut block = Vec::with_capacity(size);
    put_len(&mut block, meta.len())?;
    for (key, value) in meta {
        put_len(&mut block, key.len())?;
        block.extend_from_slice(key.as_bytes());
        put_len(&mut block, value.len())?;
        block.extend_from_slice(value.as_bytes());
    }
    bytes.truncate(bytes.len() - 4);
    bytes[8..12].copy_from_slice(&VERSION_META.to_le_bytes());
    put_len(&mut bytes, block.len())?;
    bytes.extend_from_slice(&block);
    let crc = crc32(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    Ok(bytes)
}

fn put_len(out: &mut Vec<u8>, n: usize) -> Result<()> {
    let n = u32::try_from(n).map_err(|_| FormatError::TooLarge { value: n })?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

/// Decodes a network of type `N` and the file's metadata (empty for a version 1 file).
///
/// # Errors
/// As [`decode`](super::decode); [`FormatError::MetadataTooLarge`] if the file declares a
/// metadata block over 1 MiB; [`FormatError::Metadata`] if the block is not pairs of
/// UTF-8 text.
pub fn decode_with<T: Real, N: Params<T>>(bytes: &[u8]) -> Result<(N, Metadata)> {
    let (net, block) = read::<T, N>(bytes)?;
    Ok((net, parse(block)?))
}

/// The metadata pairs of a block (its bytes after the length field).
fn parse(block: &[u8]) -> core::result::Result<Metadata, FormatError> {
    let mut meta = Metadata::new();
    if block.is_empty() {
        return Ok(meta);
    }
    let mut pos = 0;
    let mut take = |n: usize| -> core::result::Result<&[u8], FormatError> {
        let piece = block.get(pos..pos + n).ok_or(FormatError::Metadata)?;
        pos += n;
        Ok(piece)
    };
    let len = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let count = len(take(4)?);
    for _ in 0..count {
        let k = len(take(4)?);
        let key = core::str::from_utf8(take(k)?).map_err(|_| FormatError::Metadata)?;
        let v = len(take(4)?);
        let value = core::str::from_utf8(take(v)?).map_err(|_| FormatError::Metadata)?;
        meta.insert(key.into(), value.into());
    }
    if pos != block.len() {
        return Err(FormatError::Metadata);
    }
    Ok(meta)
}

/// What a model file holds, read without knowing its network type: what a program shows
/// (`constnet inspect`) or reads first to pick the type to load it as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// The format version (1, or 2 with metadata).
    pub version: u32,
    /// `"f32"` or `"f64"`.
    pub scalar: &'static str,
    /// Every tensor's `(rows, columns)`, in [`Params`] order.
    pub shapes: Vec<(usize, usize)>,
    /// The metadata (empty for version 1).
    pub metadata: Metadata,
}

/// Reads a model file's version, scalar type, tensor shapes and metadata, checking its
/// length and checksum (not its values: [`decode`](super::decode) does, for a network
/// type).
///
/// # Errors
/// [`Error::Format`](crate::Error::Format): empty, bad magic, unknown version or scalar
/// type, a tensor count or size no file can have, a metadata block over 1 MiB
/// ([`FormatError::MetadataTooLarge`]), truncated, trailing bytes, a checksum or metadata
/// that does not check.
pub fn describe(bytes: &[u8]) -> Result<Description> {
    let fail = |e: FormatError| Err(e.into());
    if bytes.is_empty() {
        return fail(FormatError::Empty);
    }
    let head = &bytes[..bytes.len().min(MAGIC.len())];
    if head != &MAGIC[..head.len()] {
        return fail(FormatError::BadMagic);
    }
    let truncated = || FormatError::Truncated {
        expected: bytes.len() + 1,
        found: bytes.len(),
    };
    let u32_at = |pos: usize| -> core::result::Result<usize, FormatError> {
        let b = bytes.get(pos..pos + 4).ok_or_else(truncated)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let version = u32_at(8)? as u32;
    if version != VERSION && version != VERSION_META {
        return fail(FormatError::UnsupportedVersion {
            found: version,
            supported: VERSION_META,
        });
    }
    let tag = bytes.get(12..16).ok_or_else(truncated)?;
    let (scalar, width) = match tag {
        b"f32\0" => ("f32", 4usize),
        b"f64\0" => ("f64", 8),
        other => {
            return fail(FormatError::ScalarType {
                expected: "f32 or f64",
                found: [other[0], other[1], other[2], other[3]],
            });
        }
    };
    let count = u32_at(16)?;
    // Each shape takes 8 bytes: a count the file cannot hold is damage, not a network.
    if count.saturating_mul(8) > bytes.len() {
        return fail(truncated());
    }
    let mut shapes = Vec::with_capacity(count);
    let mut values = 0usize;
    for i in 0..count {
        let (r, c) = (u32_at(20 + 8 * i)?, u32_at(24 + 8 * i)?);
        values = values.saturating_add(r.saturating_mul(c));
        shapes.push((r, c));
    }
    let values_end = (20 + 8 * count).saturating_add(values.saturating_mul(width));
    let (block, end) = if version == VERSION_META {
        let m = u32_at(values_end)?;
        if m > MAX_META {
            return fail(FormatError::MetadataTooLarge {
                bytes: m,
                max: MAX_META,
            });
        }
        let start = values_end + 4;
        (start..start + m, start + m)
    } else {
        (values_end..values_end, values_end)
    };
    let expected = end.saturating_add(4);
    if bytes.len() < expected {
        return fail(FormatError::Truncated {
            expected,
            found: bytes.len(),
        });
    }
    if bytes.len() > expected {
        return fail(FormatError::TrailingBytes {
            expected,
            found: bytes.len(),
        });
    }
    let stored = u32_at(end)? as u32;
    let computed = crc32(&bytes[..end]);
    if stored != computed {
        return fail(FormatError::Checksum { stored, computed });
    }
    Ok(Description {
        version,
        scalar,
        shapes,
        metadata: parse(&bytes[block])?,
    })
}

/// Saves `net` with `meta` to `path` atomically (as [`save`](super::save)).
///
/// # Errors
/// As [`encode_with`] and [`save`](super::save).
#[cfg(feature = "std")]
pub fn save_with<T: Real, N: Params<T>>(
    net: &N,
    meta: &Metadata,
    path: impl AsRef<std::path::Path>,
) -> Result<()> {
    crate::fsutil::write_bytes_atomic(path.as_ref(), &encode_with(net, meta)?)
}

/// Loads a network of type `N` and its metadata from `path` (as [`load`](super::load)).
///
/// # Errors
/// As [`load`](super::load) and [`decode_with`] (a file longer than any model of this
/// network with 1 MiB of metadata is read only that far, then refused).
#[cfg(feature = "std")]
pub fn load_with<T: Real, N: Params<T>>(
    path: impl AsRef<std::path::Path>,
) -> Result<(N, Metadata)> {
    use std::io::Read;
    let path = path.as_ref();
    let io_err = |source| crate::Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let cap = super::encoded_len::<T, N>().saturating_add(4 + MAX_META + 1);
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io_err)?
        .take(u64::try_from(cap).unwrap_or(u64::MAX))
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    decode_with(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dense, Error, net};

    type Small = net![Dense<2, 3>, crate::Relu, Dense<3, 1>];

    fn meta() -> Metadata {
        let mut m = Metadata::new();
        m.insert("constnet.task".into(), "regression".into());
        m.insert("constnet.inputs".into(), "a,b".into());
        m
    }

    #[test]
    fn metadata_round_trips_and_empty_metadata_is_version_1() {
        let net: Small = Params::zeros();
        let plain = encode(&net).unwrap();
        assert_eq!(encode_with(&net, &Metadata::new()).unwrap(), plain);
        let bytes = encode_with(&net, &meta()).unwrap();
        assert_eq!(&bytes[8..12], &2u32.to_le_bytes());
        let (back, m): (Small, _) = decode_with(&bytes).unwrap();
        assert_eq!((back, m), (net.clone(), meta()));
        // The plain decoder reads version 2 too; a version 1 file has no metadata.
        assert_eq!(super::super::decode::<f32, Small>(&bytes).unwrap(), net);
        let (_, none) = decode_with::<f32, Small>(&plain).unwrap();
        assert!(none.is_empty());
        let d = describe(&bytes).unwrap();
        assert_eq!((d.version, d.scalar, d.metadata), (2, "f32", meta()));
        assert_eq!(d.shapes, [(3, 2), (3, 1), (1, 3), (1, 1)]);
        assert_eq!(describe(&plain).unwrap().version, 1);
    }

    #[test]
    fn damage_anywhere_is_an_error_never_a_panic() {
        let bytes = encode_with(&<Small as Params<f32>>::zeros(), &meta()).unwrap();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x41;
            assert!(describe(&bad).is_err(), "byte {i}");
            assert!(decode_with::<f32, Small>(&bad).is_err(), "byte {i}");
        }
        for n in 0..bytes.len() {
            assert!(describe(&bytes[..n]).is_err(), "{n} bytes");
            assert!(decode_with::<f32, Small>(&bytes[..n]).is_err(), "{n} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            describe(&longer),
            Err(Error::Format(FormatError::TrailingBytes { .. }))
        ));
    }

    #[test]
    fn a_block_that_is_not_text_pairs_is_named() {
        assert!(parse(&[1, 0, 0, 0, 9, 0, 0, 0]).is_err());
        assert!(parse(&[1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0, 0, 0, 0]).is_err());
        assert!(parse(&[0, 0, 0, 0, 7]).is_err());
        assert_eq!(parse(&[0, 0, 0, 0]).unwrap(), Metadata::new());
    }
}
