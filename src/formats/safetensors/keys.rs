//! Which key each tensor of a network has in a PyTorch state dict.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::layer::{Layer, Net, OutOf};
use crate::{Activation, Chain, Dense, Params, Real};

/// Where one tensor of a layer lives in a PyTorch state dict: module `module` (counted
/// from the layer's first module, as `nn.Sequential` indexes them), attribute `name`.
///
/// The key is `<prefix><module index or name>.<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorKey {
    /// The module, relative to the layer's first.
    pub module: usize,
    /// The attribute: `"weight"`, `"bias"`, [`CONSTANTS`].
    pub name: &'static str,
    /// `true`: stored with shape `[rows, cols]`, row-major (a PyTorch weight, `(out, in)`);
    /// `false`: stored flat, shape `[rows · cols]` (a bias, constants).
    pub matrix: bool,
}

/// The attribute name of an activation's constants (e.g. [`LeakyRelu`](crate::LeakyRelu)'s
/// slope): key `<index>.constnet_constants`, shape `[n]`. PyTorch keeps such constants in
/// the module's constructor, not in its state dict; see the [module docs](super) for
/// loading such a file in PyTorch.
pub const CONSTANTS: &str = "constnet_constants";

/// A layer whose tensors have PyTorch state-dict keys: how many `nn.Sequential` modules it
/// spans and where each of its [`Params`] tensors goes.
///
/// Implemented for [`Dense`] (`weight`, `bias`: one `nn.Linear`), every [`Activation`]
/// (one module; its constants, if any, as [`CONSTANTS`]) and [`Chain`] (its parts' modules
/// one after the other), so every [`net!`](crate::net) network maps to `nn.Sequential`
/// keys without code. A layer of your own implements it in a few lines:
///
/// ```
/// use constnet::safetensors::{StateDict, TensorKey};
/// use constnet::{Dense, Params};
///
/// assert_eq!(<Dense<2, 3> as StateDict<f32>>::MODULES, 1);
/// assert_eq!(
///     <Dense<2, 3> as StateDict<f32>>::key(0),
///     TensorKey { module: 0, name: "weight", matrix: true }
/// );
/// type Seed = constnet::net![Dense<1, 8>, constnet::Relu, Dense<8, 1>];
/// assert_eq!(<Seed as StateDict<f32>>::MODULES, 3);
/// assert_eq!(<Seed as StateDict<f32>>::key(3).module, 2); // `2.bias`
/// ```
pub trait StateDict<T: Real>: Params<T> {
    /// How many `nn.Sequential` modules this layer spans (1 for a layer, the sum for a chain).
    const MODULES: usize;
    /// Where tensor `i` (as [`Params::tensor`] numbers them) goes.
    fn key(i: usize) -> TensorKey;
}

impl<const IN: usize, const OUT: usize, T: Real> StateDict<T> for Dense<IN, OUT, T> {
    const MODULES: usize = 1;
    fn key(i: usize) -> TensorKey {
        let (name, matrix) = if i == 0 {
            ("weight", true)
        } else {
            ("bias", false)
        };
        TensorKey {
            module: 0,
            name,
            matrix,
        }
    }
}

/// Every activation is one module, as in `nn.Sequential`; only its constants are stored.
impl<T: Real, A: Activation + Default> StateDict<T> for A {
    const MODULES: usize = 1;
    fn key(_: usize) -> TensorKey {
        TensorKey {
            module: 0,
            name: CONSTANTS,
            matrix: false,
        }
    }
}

impl<A, B> StateDict<A::Scalar> for Chain<A, B>
where
    A: Net + StateDict<A::Scalar>,
    B: Layer<OutOf<A>, A::Scalar> + StateDict<A::Scalar>,
{
    const MODULES: usize = A::MODULES + B::MODULES;
    fn key(i: usize) -> TensorKey {
        if i < A::TENSORS {
            A::key(i)
        } else {
            let k = B::key(i - A::TENSORS);
            TensorKey {
                module: k.module + A::MODULES,
                ..k
            }
        }
    }
}

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
    /// must be the network's [`StateDict::MODULES`], or loading and saving fail.
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

    /// Every key of network `N`, in [`Params`] order.
    pub(crate) fn all<T: Real, N: StateDict<T>>(&self) -> crate::Result<Vec<String>> {
        if let Some(names) = &self.names
            && names.len() != N::MODULES
        {
            return Err(crate::Error::LengthMismatch {
                what: "safetensors module names (one per nn.Sequential slot)",
                expected: N::MODULES,
                found: names.len(),
            });
        }
        let mut keys = Vec::with_capacity(N::TENSORS);
        for i in 0..N::TENSORS {
            let k = N::key(i);
            let key = self.module_key(k.module, k.name).ok_or({
                crate::Error::LengthMismatch {
                    what: "safetensors module names (one per nn.Sequential slot)",
                    expected: N::MODULES,
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
