//! Adam, and AdamW (Adam with decoupled weight decay).

use crate::error::lr_in;
use crate::layer::Params;
use crate::optim::update::{self, AdamStep};
use crate::optim::{Optimizer, check_unit};
use crate::{Error, Real, Result};

/// Adam's hyper-parameters. [`Default`] gives PyTorch's defaults: `lr = 1e-3`,
/// `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`, no weight decay.
///
/// ```
/// use constnet::{AdamConfig, Dense};
/// // AdamW: Adam with decoupled weight decay.
/// let cfg = AdamConfig { lr: 1e-2, weight_decay: 1e-2, ..AdamConfig::default() };
/// let adam = cfg.build::<f32, Dense<2, 1>>()?;
/// assert_eq!(adam.config(), cfg);
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate: finite and > 0.
    pub lr: f64,
    /// Decay of the first moment (mean of gradients), in `[0, 1)`.
    pub beta1: f64,
    /// Decay of the second moment (mean of squared gradients), in `[0, 1)`.
    pub beta2: f64,
    /// Added to the denominator for stability: finite and > 0.
    pub eps: f64,
    /// Decoupled weight decay (AdamW's `λ`): finite and ≥ 0; 0 is plain Adam.
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl AdamConfig {
    /// Validates the hyper-parameters and builds the optimizer for network type `N`.
    ///
    /// # Errors
    /// [`Error::InvalidLearningRate`] unless `lr` is finite and > 0, [`Error::LearningRateRange`]
    /// if it overflows or underflows in `T`; [`Error::InvalidParameter`]
    /// naming `beta1`/`beta2` unless in `[0, 1)`, `eps` unless finite and > 0, `weight_decay`
    /// unless finite and ≥ 0, or if `lr · weight_decay` is not `< 1`. Each is checked
    /// again after rounding to `T` (the decay factor `1 − lr·λ` must stay finite and > 0;
    /// a decay so small that `lr·λ` rounds to 0 in `T` is accepted and has no effect).
    pub fn build<T: Real, N: Params<T>>(self) -> Result<Adam<T, N>> {
        let lr = lr_in::<T>(self.lr)?;
        let beta1 = check_unit::<T>("beta1", self.beta1)?;
        let beta2 = check_unit::<T>("beta2", self.beta2)?;
        let eps = T::cast(self.eps);
        // Positive in `T` implies positive as given (rounding keeps the sign).
        if !(self.eps.is_finite() && eps > T::zero()) {
            return Err(Error::InvalidParameter {
                name: "eps",
                reason: "must be finite and > 0",
            });
        }
        let wd = self.weight_decay;
        if !(wd.is_finite() && wd >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "weight_decay",
                reason: "must be finite and >= 0",
            });
        }
        // Decoupled decay multiplies every weight by 1 − lr·λ: at ≥ 1 it flips or zeroes them.
        // Checked again in `T`: `lr·λ < 1` in `f64` can round to ≥ 1 (or overflow) in `f32`.
        let decay = T::one() - lr * T::cast(wd);
        if self.lr * wd >= 1.0 || !(decay.finite() && decay > T::zero()) {
            return Err(Error::InvalidParameter {
                name: "weight_decay",
                reason: "lr * weight_decay must be < 1",
            });
        }
        Ok(Adam {
            cfg: self,
            lr,
            beta1,
            beta2,
            eps,
            decay,
            beta1_t: 1.0,
            beta2_t: 1.0,
            steps: 0,
            m: N::zeros(),
            v: N::zeros(),
        })
    }
}

/// Adam (Kingma & Ba, 2015) with bias correction, and optionally AdamW's decoupled weight
/// decay (Loshchilov & Hutter, 2019), as in PyTorch's `torch.optim.Adam`/`AdamW`.
///
/// At step `t = 1, 2, …`, for every parameter `θ` with gradient `g`, and moments `m`, `v`
/// that start at zero:
///
/// ```text
/// θ ← θ·(1 − lr·λ)                          (only with weight decay λ > 0)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// m̂ = m / (1 − β₁ᵗ)      v̂ = v / (1 − β₂ᵗ)
/// θ ← θ − lr·m̂ / (√v̂ + ε)
/// ```
///
/// Each parameter is updated exactly as written above, in that order (vectorised over each
/// tensor, with the same bits as the scalar loop; see `benches/minibatch.rs`). PyTorch folds
/// the corrections into per-step scalars instead, which differs from this by rounding.
///
/// The moments have the network's own type `N` (made with [`Params::zeros`]), so a step
/// allocates nothing; `β₁ᵗ` and `β₂ᵗ` are kept as running `f64` products of the `β`s as
/// rounded to `T`, so the correction matches the decay actually applied.
///
/// ```
/// use constnet::{Adam, Dense, Optimizer};
/// let mut layer = Dense::<1, 1, f64>::from_slices(&[1.0], &[0.0])?;
/// let grad = Dense::<1, 1, f64>::from_slices(&[4.0], &[-0.5])?;
/// let mut adam = Adam::new(0.1)?;
/// adam.step(&mut layer, &grad);
/// // The first step moves every parameter by about lr against the gradient's sign.
/// assert!((layer.w[0] - 0.9).abs() < 1e-8 && (layer.b[0] - 0.1).abs() < 1e-8);
/// assert!(Adam::<f32, Dense<1, 1>>::new(-1.0).is_err());
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T, N> {
    cfg: AdamConfig,
    lr: T,
    beta1: T,
    beta2: T,
    eps: T,
    /// `1 − lr·λ`.
    decay: T,
    beta1_t: f64,
    beta2_t: f64,
    steps: u64,
    m: N,
    v: N,
}

impl<T: Real, N: Params<T>> Adam<T, N> {
    /// Adam with learning rate `lr` and the other hyper-parameters at their
    /// [defaults](AdamConfig::default).
    ///
    /// # Errors
    /// As [`AdamConfig::build`].
    pub fn new(lr: f64) -> Result<Self> {
        AdamConfig {
            lr,
            ..AdamConfig::default()
        }
        .build()
    }

    /// The hyper-parameters as given.
    pub fn config(&self) -> AdamConfig {
        self.cfg
    }

    /// How many steps have been taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The first moment `m` (running mean of gradients).
    pub fn first_moment(&self) -> &N {
        &self.m
    }

    /// The second moment `v` (running mean of squared gradients).
    pub fn second_moment(&self) -> &N {
        &self.v
    }
}

impl<T: Real, N: Params<T>> Optimizer<T, N> for Adam<T, N> {
    fn step(&mut self, net: &mut N, grad: &N) {
        self.steps = self.steps.saturating_add(1);
        self.beta1_t *= self.beta1.as_f64();
        self.beta2_t *= self.beta2.as_f64();
        let one = T::one();
        let k = AdamStep {
            b1: self.beta1,
            one_minus_b1: one - self.beta1,
            b2: self.beta2,
            one_minus_b2: one - self.beta2,
            lr: self.lr,
            c1: T::cast(1.0 - self.beta1_t),
            c2: T::cast(1.0 - self.beta2_t),
            eps: self.eps,
            decay: self.decay,
        };
        for i in (0..N::TENSORS).filter(|&i| !N::frozen(i)) {
            let (p, g) = (net.tensor_mut(i), grad.tensor(i));
            let (m, v) = (self.m.tensor_mut(i), self.v.tensor_mut(i));
            update::adam(p, m, v, g, &k, self.cfg.weight_decay > 0.0);
        }
    }
}
