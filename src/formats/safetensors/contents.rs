//! What a safetensors file holds, read without a network: its keys, its tensors' shapes,
//! its metadata; and the file without constnet's constants (what PyTorch reads).

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ::safetensors::tensor::SafeTensors;

use super::{CONSTANTS, SafetensorsError, Tensor, diagnose, map_error, parse};
#[cfg(doc)]
use crate::Error;
use crate::Result;

/// The keys of a safetensors file, sorted.
///
/// # Errors
/// [`Error::Safetensors`] if the bytes are not a valid safetensors file.
pub fn keys(bytes: &[u8]) -> Result<Vec<String>> {
    let mut names: Vec<String> = parse(bytes)?
        .names()
        .into_iter()
        .map(String::from)
        .collect();
    names.sort_unstable();
    Ok(names)
}

/// Every tensor of a safetensors file: its key and shape, sorted by key; what a program
/// reads to learn which network a file holds before loading it as one.
///
/// ```
/// use constnet::{safetensors::{self, Options}, Dense};
/// let bytes = safetensors::encode(&Dense::<3, 2>::zeros(), &Options::default())?;
/// assert_eq!(safetensors::tensors(&bytes)?, [("0.bias".to_string(), vec![2]), ("0.weight".to_string(), vec![2, 3])]);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::Safetensors`] if the bytes are not a valid safetensors file.
pub fn tensors(bytes: &[u8]) -> Result<Vec<(String, Vec<usize>)>> {
    let mut all: Vec<(String, Vec<usize>)> = parse(bytes)?
        .iter()
        .map(|(name, view)| (String::from(name), view.shape().to_vec()))
        .collect();
    all.sort_unstable();
    Ok(all)
}

/// The `__metadata__` of a safetensors file (empty if it has none).
///
/// ```
/// use constnet::{safetensors::{self, Options}, Dense};
/// let opts = Options::default().metadata("note", "hello");
/// let meta = safetensors::metadata(&safetensors::encode(&Dense::<1, 1, f64>::zeros(), &opts)?)?;
/// assert_eq!(meta["note"], "hello");
/// assert_eq!((meta["format"].as_str(), meta["constnet.scalar"].as_str()), ("pt", "f64"));
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::Safetensors`] if the bytes are not a valid safetensors file.
pub fn metadata(bytes: &[u8]) -> Result<BTreeMap<String, String>> {
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| map_error(bytes, e))?;
    Ok(meta
        .metadata()
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

/// The same file without the [`CONSTANTS`] tensors: what PyTorch's `state_dict` of the
/// matching `nn.Sequential` holds. Metadata is kept.
///
/// # Errors
/// [`Error::Safetensors`] if the bytes are not a valid safetensors file.
pub fn without_constants(bytes: &[u8]) -> Result<Vec<u8>> {
    let file = parse(bytes)?;
    let suffix = alloc::format!(".{CONSTANTS}");
    let tensors: Vec<(String, Tensor)> = file
        .iter()
        .filter(|(name, _)| !name.ends_with(&suffix))
        .map(|(name, v)| {
            let t = Tensor {
                dtype: v.dtype(),
                shape: v.shape().to_vec(),
                data: v.data().to_vec(),
            };
            (name.to_string(), t)
        })
        .collect();
    let meta = metadata(bytes)?;
    ::safetensors::serialize(tensors, Some(meta.into_iter().collect()))
        .map(diagnose::canonical)
        .map_err(|e| SafetensorsError::InvalidHeader(alloc::format!("{e:?}")).into())
}
