//! Names the tensor behind the safetensors crate's key-less errors, by a second, tolerant
//! look at the header (only after the crate has rejected the file).

use alloc::string::String;
use alloc::vec::Vec;

use ::safetensors::Dtype;
use serde_json::{Map, Value};

use super::SafetensorsError;

/// The header as a JSON object, and how many data bytes follow it.
fn header(bytes: &[u8]) -> Option<(Map<String, Value>, usize)> {
    let mut len = [0u8; 8];
    len.copy_from_slice(bytes.get(..8)?);
    let n = usize::try_from(u64::from_le_bytes(len)).ok()?;
    let text = core::str::from_utf8(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
    match serde_json::from_str(text).ok()? {
        Value::Object(map) => Some((map, bytes.len() - 8 - n)),
        _ => None,
    }
}

/// `(key, start, end, shape, dtype)` of every tensor entry that parses, by start offset.
type Entry = (String, usize, usize, Vec<usize>, Option<Dtype>);

fn entries(map: Map<String, Value>) -> Vec<Entry> {
    let mut out: Vec<Entry> = map
        .into_iter()
        .filter(|(k, _)| k != "__metadata__")
        .filter_map(|(k, v)| {
            let offsets = v.get("data_offsets")?.as_array()?;
            let start = usize::try_from(offsets.first()?.as_u64()?).ok()?;
            let end = usize::try_from(offsets.get(1)?.as_u64()?).ok()?;
            let shape = v
                .get("shape")?
                .as_array()?
                .iter()
                .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
                .collect::<Option<Vec<usize>>>()?;
            let dtype = serde_json::from_value(v.get("dtype")?.clone()).ok();
            Some((k, start, end, shape, dtype))
        })
        .collect();
    out.sort_by_key(|e| (e.1, e.2));
    out
}

/// The first tensor whose byte range is not `shape × dtype size` long.
pub(super) fn size_mismatch(bytes: &[u8]) -> Option<String> {
    let (map, _) = header(bytes)?;
    entries(map)
        .into_iter()
        .find_map(|(key, start, end, shape, dtype)| {
            let bits = shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .and_then(|n| n.checked_mul(dtype?.bitsize()));
            let fits = bits.is_some_and(|b| b % 8 == 0 && Some(b / 8) == end.checked_sub(start));
            (!fits).then_some(key)
        })
}

/// Why the tensors do not cover the data section exactly: one runs past its end, or bytes
/// are left over.
pub(super) fn bounds(bytes: &[u8]) -> SafetensorsError {
    let Some((map, available)) = header(bytes) else {
        return SafetensorsError::InvalidHeader("data section does not match the header".into());
    };
    let entries = entries(map);
    if let Some((key, _, end, _, _)) = entries.iter().find(|e| e.2 > available) {
        return SafetensorsError::OutOfBounds {
            key: key.clone(),
            end: *end,
            available,
        };
    }
    SafetensorsError::TrailingBytes {
        covered: entries.iter().map(|e| e.2).max().unwrap_or(0),
        available,
    }
}
