//! Optimizers: update every parameter from its gradient.
//!
//! An optimizer walks the network's [`Params`] tensor list next to the gradient's (which has
//! the network's own type), so one implementation serves every network.
//!
//! | optimizer | state |
//! |---|---|
//! | [`Sgd`] | none |
//! | [`Momentum`] (classic or Nesterov) | a velocity of type `N` |
//! | [`Adam`] (and AdamW, via [`AdamConfig::weight_decay`]) | two moments of type `N` |
//!
//! State has the network's own type, made with [`Params::zeros`]: no step allocates, and
//! every optimizer works without `std`.

mod adam;
mod momentum;
mod update;

pub use adam::{Adam, AdamConfig};
pub use momentum::Momentum;

use crate::error::lr_in;
use crate::layer::Params;
use crate::{Error, Real, Result};

/// Updates a network's parameters `N` from a gradient of the same type.
///
/// Every optimizer works for every network, because it only walks [`Params`]' tensor list:
///
/// ```
/// use constnet::{net, Adam, Dense, Optimizer, Params, Relu};
/// type Model = net![Dense<2, 4>, Relu, Dense<4, 1>];
/// let mut model = <Model as Params<f32>>::zeros();
/// let mut grad = <Model as Params<f32>>::zeros();
/// grad.second.b[0] = 1.0; // ∂L/∂(output bias)
/// let mut adam = Adam::new(0.1)?;
/// adam.step(&mut model, &grad);
/// assert!(model.second.b[0] < 0.0); // moved against the gradient
/// # Ok::<(), constnet::Error>(())
/// ```
pub trait Optimizer<T: Real, N: Params<T>> {
    /// One update of every parameter of `net` from `grad`.
    fn step(&mut self, net: &mut N, grad: &N);
}

/// Plain stochastic gradient descent: `θ ← θ − lr · ∂L/∂θ`.
///
/// ```
/// use constnet::{Dense, Optimizer, Params, Sgd};
/// let mut layer = Dense::<1, 1, f64>::from_slices(&[1.0], &[0.0])?;
/// let grad = Dense::<1, 1, f64>::from_slices(&[2.0], &[-1.0])?;
/// Sgd::new(0.5)?.step(&mut layer, &grad);
/// assert_eq!((layer.w[0], layer.b[0]), (0.0, 0.5));
/// assert!(Sgd::<f32>::new(0.0).is_err());
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T> {
    lr: T,
}

impl<T: Real> Sgd<T> {
    /// Plain SGD with learning rate `lr`.
    ///
    /// # Errors
    /// [`Error::InvalidLearningRate`] unless `lr` is finite and > 0;
    /// [`Error::LearningRateRange`] if it overflows or underflows in `T` (`1e300` in `f32`).
    pub fn new(lr: f64) -> Result<Self> {
        Ok(Sgd { lr: lr_in(lr)? })
    }

    /// The learning rate.
    pub fn lr(&self) -> T {
        self.lr
    }
}

impl<T: Real, N: Params<T>> Optimizer<T, N> for Sgd<T> {
    fn step(&mut self, net: &mut N, grad: &N) {
        for i in (0..N::TENSORS).filter(|&i| !N::frozen(i)) {
            update::sgd(net.tensor_mut(i), grad.tensor(i), self.lr);
        }
    }
}

/// Checks a decay-like hyper-parameter (momentum, β): finite, in `[0, 1)`, and still `< 1`
/// after rounding to `T`. Returns it rounded.
pub(crate) fn check_unit<T: Real>(name: &'static str, value: f64) -> Result<T> {
    let t = T::cast(value);
    if value.is_finite() && (0.0..1.0).contains(&value) && t < T::one() {
        Ok(t)
    } else {
        Err(Error::InvalidParameter {
            name,
            reason: "must be finite and in [0, 1)",
        })
    }
}
