//! Which key each tensor of a network has in a PyTorch state dict.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::layer::TensorKey;
use crate::{Params, Real};

/// How module indices become key strings: `nn.Sequential` indices (`0.weight`) by default,
/// optionally behind a prefix (`model.0.weight`) or with explicit module names
/// (`fc1.weight`) for the state dict of a custom `nn.Module`.
///
/// ```
/// use constnet::safetensors::Keys;
/// let keys = Keys::default().prefix("model.").names(["fc1", "act", "fc2"]);
/// assert_eq!(keys.module_key(2, "bias"), Some("model.fc2.bias".to_string()));
/// assert_eq!(Keys::default().module_key(4, "weight"), Some("4.weight".to_string()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
    names: Option<Vec<String>>,
}

impl Keys {
    /// Puts `prefix` before every key (`"model."` for a Sequential held as `self.model`).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Names the modules instead of numbering them: one name per `nn.Sequential` slot,
    /// activations included (their names matter only if they hold constants). The count
    /// must be the network's [`Params::MODULES`], or loading and saving fail.
    #[must_use]
    pub fn names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The key of attribute `name` of module `module`; `None` if explicit names are set and
    /// do not reach that far.
    #[must_use]
    pub fn module_key(&self, module: usize, name: &str) -> Option<String> {
        match &self.names {
            None => Some(format!("{}{module}.{name}", self.prefix)),
            Some(names) => names
                .get(module)
                .map(|m| format!("{}{m}.{name}", self.prefix)),
        }
    }

    /// Every key of the network `spec` describes, in [`Params`] order.
    pub(crate) fn all(&self, spec: &Spec) -> crate::Result<Vec<String>> {
        if let Some(names) = &self.names
            && names.len() != spec.modules
        {
            return Err(crate::Error::LengthMismatch {
                what: "safetensors module names (one per nn.Sequential slot)",
                expected: spec.modules,
                found: names.len(),
            });
        }
        let mut keys = Vec::with_capacity(spec.tensors);
        for i in 0..spec.tensors {
            let k = (spec.key)(i);
            let key = self.module_key(k.module, k.name).ok_or({
                crate::Error::LengthMismatch {
                    what: "safetensors module names (one per nn.Sequential slot)",
                    expected: spec.modules,
                    found: self.names.as_ref().map_or(0, Vec::len),
                }
            })?;
            if keys.contains(&key) {
                return Err(super::SafetensorsError::DuplicateKey { key }.into());
            }
            keys.push(key);
        }
        Ok(keys)
    }
}

/// What encoding and decoding need of a network type, as values (its [`Params`] constants
/// and functions), so that their code is compiled once per scalar type, not once per
/// network: a tool built for many widths links one copy.
pub(crate) struct Spec {
    pub(crate) tensors: usize,
    pub(crate) modules: usize,
    pub(crate) key: fn(usize) -> TensorKey,
    pub(crate) shape: fn(usize) -> (usize, usize),
    pub(crate) frozen: fn(usize) -> bool,
}

impl Spec {
    pub(crate) fn of<T: Real, N: Params<T>>() -> Spec {
        Spec {
            tensors: N::TENSORS,
            modules: N::MODULES,
            key: N::key,
            shape: N::shape,
            frozen: N::frozen,
        }
    }
}
