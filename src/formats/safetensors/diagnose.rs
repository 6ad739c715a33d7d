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

/// The first tensor, in offset order (then by key), that does not start where the one
/// before it ends: the data section must be the tensors back to back from byte 0.
pub(super) fn bad_offsets(bytes: &[u8]) -> Option<String> {
    let (map, _) = header(bytes)?;
    let mut expected = 0;
    for (key, start, end, _, _) in entries(map) {
        if start != expected || end < start {
            return Some(key);
        }
        expected = end;
    }
    None
}

/// `bytes` (a file the safetensors crate just wrote) with its JSON header's keys in a fixed
/// order at every level. The crate writes `__metadata__` from a hash map, so the same
/// model gave other bytes from run to run; the offsets are untouched, so the data section
/// is unchanged. The header stays padded with spaces to a multiple of 8 bytes, as the
/// crate pads it.
pub(super) fn canonical(bytes: Vec<u8>) -> Vec<u8> {
    let Some((map, _)) = header(&bytes) else {
        return bytes;
    };
    let n =
        usize::try_from(u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8]))).unwrap_or(0);
    let mut text = sorted(&Value::Object(map));
    while !text.len().is_multiple_of(8) {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - 8 - n);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

/// `v` as compact JSON with every object's keys in a fixed order (whatever order `Map`
/// keeps).
fn sorted(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            // The crate's own order where it has one (`__metadata__` first; a tensor's
            // `dtype`, `shape`, `data_offsets`), then by name.
            let rank = |k: &str| match k {
                "__metadata__" | "dtype" => 0,
                "shape" => 1,
                "data_offsets" => 2,
                _ => 3,
            };
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| (rank(k), *k));
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    alloc::format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap_or_default(),
                        sorted(&map[k])
                    )
                })
                .collect();
            alloc::format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(sorted).collect();
            alloc::format!("[{}]", items.join(","))
        }
        other => serde_json::to_string(other).unwrap_or_default(),
    }
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
