//! SGD with momentum, classic or Nesterov, in PyTorch's formulation.

use crate::error::lr_in;
use crate::layer::Params;
use crate::optim::{Optimizer, check_unit, update};
use crate::{Error, Real, Result};

/// SGD with momentum `μ`, classic or Nesterov, exactly as PyTorch's `torch.optim.SGD`
/// (with `dampening = 0`, `weight_decay = 0`).
///
/// For every parameter `θ` with gradient `g`, and a velocity `v` that starts at zero:
///
/// ```text
/// v ← μ·v + g
/// θ ← θ − lr·v               (classic)
/// θ ← θ − lr·(g + μ·v)       (Nesterov, using the new v)
/// ```
///
/// This is PyTorch's form, not Sutskever's `v ← μ·v − lr·g`: the two agree for a fixed
/// learning rate, and this one keeps `v` independent of `lr`. The velocity has the network's
/// own type `N` (made with [`Params::zeros`]), so a step allocates nothing.
///
/// ```
/// use constnet::{Dense, Momentum, Optimizer};
/// let mut layer = Dense::<1, 1, f64>::from_slices(&[1.0], &[0.0])?;
/// let grad = Dense::<1, 1, f64>::from_slices(&[1.0], &[0.0])?;
/// let mut opt = Momentum::new(0.5, 0.5)?;
/// opt.step(&mut layer, &grad); // v = 1,   w = 1 - 0.5
/// opt.step(&mut layer, &grad); // v = 1.5, w = 0.5 - 0.75
/// assert_eq!(layer.w[0], -0.25);
/// assert!(Momentum::<f32, Dense<1, 1>>::new(0.1, 1.0).is_err());
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum<T, N> {
    lr: T,
    momentum: T,
    nesterov: bool,
    velocity: N,
}

impl<T: Real, N: Params<T>> Momentum<T, N> {
    /// Classic momentum with learning rate `lr` and momentum `μ` (typically 0.9).
    ///
    /// # Errors
    /// [`Error::InvalidLearningRate`] unless `lr` is finite and > 0, [`Error::LearningRateRange`]
    /// if it overflows or underflows in `T`;
    /// [`Error::InvalidParameter`] unless `momentum` is finite and in `[0, 1)` (also in `T`).
    pub fn new(lr: f64, momentum: f64) -> Result<Self> {
        Self::build(lr, momentum, false)
    }

    /// Nesterov momentum: the step looks ahead along the new velocity.
    ///
    /// ```
    /// use constnet::{Dense, Momentum, Optimizer};
    /// let mut layer = Dense::<1, 1, f64>::from_slices(&[1.0], &[0.0])?;
    /// let grad = Dense::<1, 1, f64>::from_slices(&[1.0], &[0.0])?;
    /// let mut opt = Momentum::nesterov(0.5, 0.5)?;
    /// opt.step(&mut layer, &grad); // v = 1, w = 1 - 0.5·(1 + 0.5·1)
    /// assert_eq!(layer.w[0], 0.25);
    /// assert!(Momentum::<f64, Dense<1, 1, f64>>::nesterov(0.1, 0.0).is_err());
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`new`](Self::new); also [`Error::InvalidParameter`] if `momentum` is 0 (Nesterov
    /// needs a momentum, as in PyTorch).
    pub fn nesterov(lr: f64, momentum: f64) -> Result<Self> {
        Self::build(lr, momentum, true)
    }

    fn build(lr: f64, momentum: f64, nesterov: bool) -> Result<Self> {
        let lr_t = lr_in::<T>(lr)?;
        let momentum_t = check_unit::<T>("momentum", momentum)?;
        if nesterov && momentum == 0.0 {
            return Err(Error::InvalidParameter {
                name: "momentum",
                reason: "Nesterov momentum needs a momentum > 0",
            });
        }
        Ok(Momentum {
            lr: lr_t,
            momentum: momentum_t,
            nesterov,
            velocity: N::zeros(),
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> T {
        self.lr
    }

    /// The momentum `μ`.
    pub fn momentum(&self) -> T {
        self.momentum
    }

    /// `true` for Nesterov momentum.
    pub fn is_nesterov(&self) -> bool {
        self.nesterov
    }

    /// The current velocity, one value per parameter (zero before the first step).
    pub fn velocity(&self) -> &N {
        &self.velocity
    }
}

impl<T: Real, N: Params<T>> Optimizer<T, N> for Momentum<T, N> {
    fn step(&mut self, net: &mut N, grad: &N) {
        let (lr, mu) = (self.lr, self.momentum);
        for i in (0..N::TENSORS).filter(|&i| !N::frozen(i)) {
            let (p, v, g) = (
                net.tensor_mut(i),
                self.velocity.tensor_mut(i),
                grad.tensor(i),
            );
            if self.nesterov {
                update::momentum::<T, true>(p, v, g, lr, mu);
            } else {
                update::momentum::<T, false>(p, v, g, lr, mu);
            }
        }
    }
}
