//! [`Failure`]: why a gradient check failed; and the first check of all, that the network,
//! the inputs and the coefficients are finite.

use core::fmt;

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use crate::layer::TensorKey;
use crate::{Error, Forward};

/// Why a check failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure {
    /// `∂L/∂x[index]` disagrees with its finite difference.
    Input {
        /// Column-major index into the input batch.
        index: usize,
        /// The backward pass's value.
        analytic: f64,
        /// The central difference.
        numeric: f64,
    },
    /// `∂L/∂θ` of tensor `tensor`, entry `index`, disagrees with its finite difference.
    Param {
        /// Tensor index in the [`Params`](crate::Params) list.
        tensor: usize,
        /// Column-major index into the tensor.
        index: usize,
        /// The backward pass's value.
        analytic: f64,
        /// The central difference.
        numeric: f64,
    },
    /// Too many coordinates sat at kinks to say much.
    TooManyKinks {
        /// Coordinates matched by the central difference.
        checked: usize,
        /// Coordinates at kinks.
        kinks: usize,
    },
    /// Nothing was compared, or every analytic and numeric value was exactly zero.
    Vacuous,
    /// A setting is out of range: not a finite number, negative, or so large that the
    /// check could not fail (see the [module
    /// docs](super#settings-that-would-make-the-check-vacuous)).
    Setting {
        /// The [`GradCheck`](super::GradCheck) field: `"step"`, `"rel_tol"`, `"abs_tol"` or `"max_kinks"`.
        name: &'static str,
        /// Its value.
        value: f64,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A parameter of the network is NaN or infinite: there is no gradient to check.
    ///
    /// ```
    /// use constnet::gradcheck::{self, Failure};
    /// use constnet::nalgebra::{Const, Dyn, OMatrix};
    /// use constnet::Dense;
    ///
    /// let mut layer = Dense::<2, 1, f64>::from_rows([[0.5, -1.0]], [0.0]);
    /// layer.w[(0, 1)] = f64::NAN;
    /// let x = OMatrix::<f64, Const<2>, Dyn>::from_element(3, 0.5);
    /// let c = OMatrix::<f64, Const<1>, Dyn>::from_element(3, 1.0);
    /// let err = gradcheck::check(&layer, &x, &c).unwrap_err();
    /// assert!(matches!(err, Failure::NonFiniteParam { tensor: 0, index: 1, .. }));
    /// assert!(err.to_string().starts_with("parameter tensor 0 (`0.weight`) [1] is NaN"));
    /// ```
    NonFiniteParam {
        /// Tensor index in the [`Params`](crate::Params) list.
        tensor: usize,
        /// Column-major index into the tensor.
        index: usize,
        /// The tensor's name (module and attribute, as in a PyTorch state dict).
        key: TensorKey,
        /// The value.
        value: f64,
    },
    /// An input or coefficient is NaN or infinite.
    NonFiniteInput {
        /// `"x"` (the input batch) or `"c"` (the coefficients).
        what: &'static str,
        /// Column-major index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The backward pass itself returned an error.
    Backward(Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Input {
                index,
                analytic,
                numeric,
            } => write!(
                f,
                "dL/dx[{index}]: backward gives {analytic:e}, finite differences {numeric:e}"
            ),
            Failure::Param {
                tensor,
                index,
                analytic,
                numeric,
            } => write!(
                f,
                "dL/dθ tensor {tensor} [{index}]: backward gives {analytic:e}, finite differences {numeric:e}"
            ),
            Failure::TooManyKinks { checked, kinks } => write!(
                f,
                "{kinks} coordinates sat at kinks ({checked} checked): move the inputs or parameters off them"
            ),
            Failure::Vacuous => f.write_str(
                "nothing was checked, or every gradient was exactly zero: use inputs and coefficients that exercise the layer",
            ),
            Failure::Setting {
                name,
                value,
                reason,
            } => write!(f, "gradient-check setting `{name}` = {value:e}: {reason}"),
            Failure::NonFiniteParam {
                tensor,
                index,
                key,
                value,
            } => write!(
                f,
                "parameter tensor {tensor} (`{}.{}`) [{index}] is {value}: a network with a \
                 non-finite parameter has no gradient to check",
                key.module, key.name
            ),
            Failure::NonFiniteInput { what, index, value } => write!(
                f,
                "{what}[{index}] is {value}: the check needs finite inputs and coefficients"
            ),
            Failure::Backward(e) => write!(f, "backward pass failed: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Failure {}

/// [`Failure::NonFiniteInput`] or [`Failure::NonFiniteParam`] for the first NaN or
/// infinity in `x`, `c` or any tensor of `net` (frozen ones too: they run in the forward
/// pass).
pub(super) fn finite<N, I, B>(
    net: &N,
    x: &OMatrix<f64, I, B>,
    c: &OMatrix<f64, N::Out, B>,
) -> Result<(), Failure>
where
    N: Forward<f64, I, B>,
    I: DimName,
    B: Dim,
    DefaultAllocator: Allocator<I, B> + Allocator<N::Out, B>,
{
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        let value = x[index];
        return Err(Failure::NonFiniteInput {
            what: "x",
            index,
            value,
        });
    }
    if let Some(index) = c.iter().position(|v| !v.is_finite()) {
        let value = c[index];
        return Err(Failure::NonFiniteInput {
            what: "c",
            index,
            value,
        });
    }
    for tensor in 0..N::TENSORS {
        let values = net.tensor(tensor);
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(Failure::NonFiniteParam {
                tensor,
                index,
                key: N::key(tensor),
                value: values[index],
            });
        }
    }
    Ok(())
}
