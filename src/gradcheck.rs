//! A finite-difference gradient checker for any layer or network, in `f64`: the proof that
//! a hand-written backward pass is right (needs `alloc`).
//!
//! # Method
//! For a network `f`, an input batch `X` and a coefficient matrix `C` of the output's shape,
//! the scalar objective is `L = Σ C ⊙ f(X; θ)`, so `∂L/∂output = C`: one backward pass gives
//! `∂L/∂X` and `∂L/∂θ`, compared coordinate by coordinate with the central difference
//! `(L(θ + h·e) − L(θ − h·e)) / 2h`.
//!
//! # Step and tolerance
//! `h = 1e-6` ([`GradCheck::step`]). Central differences in `f32` are useless on a network
//! of any size (round-off `~1e-7·S/h` swamps the signal), hence `f64`. There the truncation
//! error is `O(h²·f''') ≈ 1e-12` and the round-off about `ε·S/h ≈ 2e-10·S`, where `S` is the
//! sum of the magnitudes of the terms of `L` (plus 1). A coordinate passes when
//! `|analytic − numeric| ≤ rel_tol·max(|analytic|, |numeric|) + abs_tol·S`, with
//! `rel_tol = 1e-4` and `abs_tol = 1e-8` (50× above the round-off estimate, for coordinates
//! whose gradient is nearly zero). A wrong backward pass (missing transpose, factor 2, lost
//! bias gradient, wrong derivative) is off by O(1) relative and fails by orders of
//! magnitude.
//!
//! # Kinks
//! ReLU-like functions have kinks, where no derivative exists. A coordinate is skipped
//! (never the tolerance loosened) when the one-sided differences `(L(θ+h) − L(θ))/h` and
//! `(L(θ) − L(θ−h))/h` disagree by more than the same tolerance: the slope changed within
//! `±h`. That needs nothing from the layer, so it works for any layer. A check fails if
//! more than [`max_skipped`](GradCheck::max_skipped) of the coordinates are skipped, so
//! skipping cannot make it pass vacuously.
//!
//! ```
//! use constnet::{gradcheck, net, Dense, Init, InitScheme, Relu};
//! use constnet::nalgebra::{Const, Dyn, OMatrix};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
//! let model: net![Dense<2, 8, f64>, Relu, Dense<8, 1, f64>] = Init::init(&mut rng, InitScheme::He);
//! let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(5, |i, j| (i + 2 * j) as f64 * 0.3 - 1.0);
//! let c = OMatrix::<f64, Const<1>, Dyn>::from_fn(5, |_, j| 1.0 - 0.2 * j as f64);
//! let report = gradcheck::check(&model, &x, &c)?;
//! assert!(report.checked > 0);
//! # Ok::<(), gradcheck::Failure>(())
//! ```

use alloc::vec::Vec;
use core::fmt;

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::index;

use crate::{Error, Forward, Params};

/// Settings of a gradient check; [`Default`] is what the [module docs](self) argue for.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct GradCheck {
    /// Finite-difference step `h`.
    pub step: f64,
    /// Relative tolerance.
    pub rel_tol: f64,
    /// Absolute tolerance, as a fraction of the objective's scale `S`.
    pub abs_tol: f64,
    /// Check at most this many parameter coordinates, drawn with [`seed`](Self::seed)
    /// (every one if there are fewer). Every input coordinate is checked.
    pub max_params: usize,
    /// Seed for drawing the parameter coordinates.
    pub seed: u64,
    /// Fail if more than this fraction of the coordinates sit on kinks.
    pub max_skipped: f64,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck {
            step: 1e-6,
            rel_tol: 1e-4,
            abs_tol: 1e-8,
            max_params: usize::MAX,
            seed: 0,
            max_skipped: 0.2,
        }
    }
}

/// What a passing check looked at.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Coordinates compared.
    pub checked: usize,
    /// Coordinates skipped at kinks.
    pub skipped: usize,
    /// The largest `|analytic − numeric| / (rel_tol·max(|analytic|, |numeric|) + abs_tol·S)`
    /// seen: below 1 passes.
    pub worst: f64,
}

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
        /// Tensor index in the [`Params`] list.
        tensor: usize,
        /// Column-major index into the tensor.
        index: usize,
        /// The backward pass's value.
        analytic: f64,
        /// The central difference.
        numeric: f64,
    },
    /// Too many coordinates sat on kinks to say anything.
    TooManyKinks {
        /// Coordinates compared.
        checked: usize,
        /// Coordinates skipped.
        skipped: usize,
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
            Failure::TooManyKinks { checked, skipped } => write!(
                f,
                "{skipped} coordinates sat on kinks ({checked} checked): move the inputs or parameters off them"
            ),
            Failure::Backward(e) => write!(f, "backward pass failed: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Failure {}

/// [`GradCheck::check`] with the default settings.
///
/// # Errors
/// The first coordinate that disagrees, or too many kinks; see [`Failure`].
pub fn check<N, I, B>(
    net: &N,
    x: &OMatrix<f64, I, B>,
    c: &OMatrix<f64, N::Out, B>,
) -> Result<Report, Failure>
where
    N: Forward<f64, I, B> + Clone,
    I: DimName,
    B: Dim,
    DefaultAllocator: Allocator<I, B> + Allocator<N::Out, B>,
{
    GradCheck::default().check::<N, I, B>(net, x, c)
}

impl GradCheck {
    /// Checks `∂L/∂x` for every input coordinate and `∂L/∂θ` for every trainable parameter
    /// (or [`max_params`](Self::max_params) of them) of `net` at the batch `x`, for
    /// `L = Σ c ⊙ net(x)`.
    ///
    /// # Errors
    /// The first coordinate that disagrees, or too many kinks; see [`Failure`].
    pub fn check<N, I, B>(
        &self,
        net: &N,
        x: &OMatrix<f64, I, B>,
        c: &OMatrix<f64, N::Out, B>,
    ) -> Result<Report, Failure>
    where
        N: Forward<f64, I, B> + Clone,
        I: DimName,
        B: Dim,
        DefaultAllocator: Allocator<I, B> + Allocator<N::Out, B>,
    {
        let (_, mut ws) = net.forward_train(x);
        let (grad_x, grad) = net.backward(x, &mut ws, c).map_err(Failure::Backward)?;
        let objective = |net: &N, x: &OMatrix<f64, I, B>| {
            let terms = net.forward(x).component_mul(c);
            (terms.sum(), 1.0 + terms.abs().sum())
        };
        let base = objective(net, x);
        let mut report = Report {
            checked: 0,
            skipped: 0,
            worst: 0.0,
        };

        for k in 0..x.len() {
            let eval = |d: f64| {
                let mut xd = x.clone();
                xd[k] += d;
                objective(net, &xd)
            };
            if let Some(numeric) = self.difference(eval, base, &mut report) {
                let analytic = grad_x[k];
                if !self.close(analytic, numeric.0, numeric.1, &mut report) {
                    return Err(Failure::Input {
                        index: k,
                        analytic,
                        numeric: numeric.0,
                    });
                }
            }
        }

        for (tensor, index) in self.param_coords::<N>() {
            let eval = |d: f64| {
                let mut nd = net.clone();
                nd.tensor_mut(tensor)[index] += d;
                objective(&nd, x)
            };
            if let Some(numeric) = self.difference(eval, base, &mut report) {
                let analytic = grad.tensor(tensor)[index];
                if !self.close(analytic, numeric.0, numeric.1, &mut report) {
                    return Err(Failure::Param {
                        tensor,
                        index,
                        analytic,
                        numeric: numeric.0,
                    });
                }
            }
        }

        let total = report.checked + report.skipped;
        if (report.skipped as f64) > self.max_skipped * total as f64 {
            return Err(Failure::TooManyKinks {
                checked: report.checked,
                skipped: report.skipped,
            });
        }
        Ok(report)
    }

    /// The trainable coordinates to check: all, or `max_params` drawn without repetition.
    fn param_coords<N: Params<f64>>(&self) -> Vec<(usize, usize)> {
        let all: Vec<(usize, usize)> = (0..N::TENSORS)
            .filter(|&t| !N::frozen(t))
            .flat_map(|t| {
                let (r, c) = N::shape(t);
                (0..r * c).map(move |j| (t, j))
            })
            .collect();
        if all.len() <= self.max_params {
            return all;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let mut chosen: Vec<usize> = index::sample(&mut rng, all.len(), self.max_params).into_vec();
        chosen.sort_unstable();
        chosen.into_iter().map(|i| all[i]).collect()
    }

    /// The central difference and the scale `S`, or `None` (counted as skipped) at a kink.
    fn difference(
        &self,
        eval: impl Fn(f64) -> (f64, f64),
        (l0, s0): (f64, f64),
        report: &mut Report,
    ) -> Option<(f64, f64)> {
        let h = self.step;
        let ((lp, sp), (lm, sm)) = (eval(h), eval(-h));
        let scale = s0.max(sp).max(sm);
        let (ahead, behind) = ((lp - l0) / h, (l0 - lm) / h);
        let kink = (ahead - behind).abs()
            > self.rel_tol * ahead.abs().max(behind.abs()) + self.abs_tol * scale;
        if kink {
            report.skipped += 1;
            return None;
        }
        Some(((lp - lm) / (2.0 * h), scale))
    }

    /// Whether `analytic` passes against `numeric`; counts it and tracks the worst ratio.
    fn close(&self, analytic: f64, numeric: f64, scale: f64, report: &mut Report) -> bool {
        report.checked += 1;
        let allowed = self.rel_tol * analytic.abs().max(numeric.abs()) + self.abs_tol * scale;
        let ratio = (analytic - numeric).abs() / allowed;
        report.worst = report.worst.max(ratio);
        ratio <= 1.0 && analytic.is_finite()
    }
}
