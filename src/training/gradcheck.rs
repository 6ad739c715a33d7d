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
//! # Settings that would make the check vacuous
//! Some settings let any backward pass through, so they are refused
//! ([`Failure::Setting`], naming the setting and why) rather than reported as a pass:
//!
//! - a step above [`GradCheck::MAX_STEP`] (`1e-4`): `S` is measured at `θ ± h` and grows with
//!   `f(θ ± h)`, so for `f(x) = x²/2` at `h = 1e10`, `S ≈ 5·10¹⁹` and the floor `abs_tol·S
//!   ≈ 5·10¹¹` accepts anything; long before that, a smooth coordinate's slope changes by
//!   `h·f''` within `±h` and is taken for a kink, where any value between the one-sided
//!   slopes passes;
//! - a relative tolerance above [`GradCheck::MAX_REL_TOL`] (`1e-2`): a wrong backward pass is
//!   off by a factor (a missing ½, a wrong derivative), and at `rel_tol ≥ 1` every value of
//!   the right sign passes;
//! - an absolute tolerance above [`GradCheck::MAX_ABS_TOL`] (`1e-6`, 100× the default): the
//!   floor `abs_tol·S` accepts every error below it, and one coordinate's gradient is
//!   usually a small part of `S` (a sum over the whole batch);
//! - a [`max_kinks`](GradCheck::max_kinks) above [`GradCheck::MAX_KINKS`] (`0.5`): a check
//!   whose coordinates are mostly one-sided comparisons proves little, and at 1 every
//!   coordinate may be one.
//!
//! A network, input or coefficient that is NaN or infinite is refused too, naming it
//! ([`Failure::NonFiniteParam`], [`Failure::NonFiniteInput`]): it has no derivative to
//! check, and its central differences would only say NaN.
//!
//! # Kinks
//! ReLU-like functions have kinks, where no derivative exists, and the central difference
//! across one mixes two slopes. A coordinate whose analytic value misses the central
//! difference is accepted only if the slope visibly changes within `±h` (the one-sided
//! differences `(L(θ+h) − L(θ))/h` and `(L(θ) − L(θ−h))/h` disagree by more than the
//! tolerance) *and* the analytic value lies between them (within the tolerance): it is then
//! the slope of one side, as a backward pass at a kink computes. Nothing is skipped, and a
//! wrong derivative at a smooth point, however curved, still fails. The check needs
//! nothing from the layer, so it works for any layer. It fails if more than
//! [`max_kinks`](GradCheck::max_kinks) of the coordinates sit at kinks, or if it saw nothing
//! at all (no coordinate, or every value exactly zero: an objective that cannot tell a
//! right backward pass from a wrong one; use a `c` without zeros).
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

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::index;

use crate::{Forward, Params};

mod failure;

pub use failure::Failure;
use failure::finite;

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
    /// Fail if more than this fraction of the coordinates sit at kinks.
    pub max_kinks: f64,
}

impl GradCheck {
    /// The settings the [module docs](self) argue for (also [`Default`]).
    pub const DEFAULT: GradCheck = GradCheck {
        step: 1e-6,
        rel_tol: 1e-4,
        abs_tol: 1e-8,
        max_params: usize::MAX,
        seed: 0,
        max_kinks: 0.2,
    };

    /// The largest [`step`](Self::step) (100× the default): beyond it smooth coordinates
    /// look like kinks and the tolerance grows with the step (see the [module
    /// docs](self#settings-that-would-make-the-check-vacuous)).
    ///
    /// ```
    /// use constnet::gradcheck::{Failure, GradCheck};
    /// use constnet::nalgebra::{Const, Dyn, OMatrix};
    ///
    /// let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[0.5, -1.0]);
    /// let c = x.map(|_| 1.0);
    /// let mut huge = GradCheck::default();
    /// huge.step = 1e10; // would let any derivative of a smooth function pass
    /// let err = huge.check(&constnet::Tanh, &x, &c).unwrap_err();
    /// assert!(matches!(err, Failure::Setting { name: "step", .. }));
    /// assert!(err.to_string().starts_with("gradient-check setting `step` = 1e10: must be"));
    /// ```
    pub const MAX_STEP: f64 = 1e-4;
    /// The largest [`rel_tol`](Self::rel_tol) (100× the default).
    pub const MAX_REL_TOL: f64 = 1e-2;
    /// The largest [`abs_tol`](Self::abs_tol) (100× the default).
    pub const MAX_ABS_TOL: f64 = 1e-6;
    /// The largest [`max_kinks`](Self::max_kinks): at most half the coordinates at kinks.
    pub const MAX_KINKS: f64 = 0.5;
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck::DEFAULT
    }
}

/// What a passing check looked at.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Coordinates whose analytic value matched the central difference.
    pub checked: usize,
    /// Coordinates at kinks, whose analytic value matched one side's slope.
    pub kinks: usize,
    /// The largest `|analytic − numeric| / (rel_tol·max(|analytic|, |numeric|) + abs_tol·S)`
    /// among the `checked` coordinates: at most 1.
    pub worst: f64,
}

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
        self.validate()?;
        finite::<N, I, B>(net, x, c)?;
        let (_, mut ws) = net.forward_train(x);
        let (grad_x, grad) = net.backward(x, &mut ws, c).map_err(Failure::Backward)?;
        let objective = |net: &N, x: &OMatrix<f64, I, B>| {
            let terms = net.forward(x).component_mul(c);
            (terms.sum(), 1.0 + terms.abs().sum())
        };
        let base = objective(net, x);
        let mut tally = Tally::default();

        let mut xd = x.clone();
        for k in 0..x.len() {
            let eval = |xd: &mut OMatrix<f64, I, B>, d: f64| {
                let saved = xd[k];
                xd[k] += d;
                let l = objective(net, xd);
                xd[k] = saved;
                l
            };
            let (lp, lm) = (eval(&mut xd, self.step), eval(&mut xd, -self.step));
            if !self.judge(grad_x[k], base, lp, lm, &mut tally) {
                return Err(Failure::Input {
                    index: k,
                    analytic: grad_x[k],
                    numeric: (lp.0 - lm.0) / (2.0 * self.step),
                });
            }
        }

        let mut nd = net.clone();
        for (tensor, index) in self.param_coords::<N>() {
            let mut eval = |d: f64| {
                let saved = nd.tensor(tensor)[index];
                nd.tensor_mut(tensor)[index] += d;
                let l = objective(&nd, x);
                nd.tensor_mut(tensor)[index] = saved;
                l
            };
            let (lp, lm) = (eval(self.step), eval(-self.step));
            let analytic = grad.tensor(tensor)[index];
            if !self.judge(analytic, base, lp, lm, &mut tally) {
                return Err(Failure::Param {
                    tensor,
                    index,
                    analytic,
                    numeric: (lp.0 - lm.0) / (2.0 * self.step),
                });
            }
        }

        let report = tally.report;
        let total = report.checked + report.kinks;
        if total == 0 || !tally.nonzero {
            return Err(Failure::Vacuous);
        }
        if (report.kinks as f64) > self.max_kinks * total as f64 {
            return Err(Failure::TooManyKinks {
                checked: report.checked,
                kinks: report.kinks,
            });
        }
        Ok(report)
    }

    /// Every setting in its range (see [`Failure::Setting`]).
    fn validate(&self) -> Result<(), Failure> {
        let settings = [
            (
                "step",
                self.step,
                self.step > 0.0,
                Self::MAX_STEP,
                "must be above 0 and at most 1e-4: a larger step makes smooth coordinates \
                 look like kinks and grows the tolerance with f(θ ± step), so a wrong \
                 gradient passes",
            ),
            (
                "rel_tol",
                self.rel_tol,
                self.rel_tol >= 0.0,
                Self::MAX_REL_TOL,
                "must be from 0 to 1e-2: a wrong gradient is off by a factor, and a relative \
                 tolerance of 1 accepts any value of the right sign",
            ),
            (
                "abs_tol",
                self.abs_tol,
                self.abs_tol >= 0.0,
                Self::MAX_ABS_TOL,
                "must be from 0 to 1e-6: the floor abs_tol·S accepts every error below it, \
                 and one coordinate's gradient is a small part of S",
            ),
            (
                "max_kinks",
                self.max_kinks,
                self.max_kinks >= 0.0,
                Self::MAX_KINKS,
                "must be from 0 to 0.5: a check of mostly kinks compares mostly one-sided \
                 slopes, between which any value passes",
            ),
        ];
        for (name, value, lower, max, reason) in settings {
            // `!(…)`: a NaN fails every comparison, so it is refused too.
            if !(lower && value <= max) {
                return Err(Failure::Setting {
                    name,
                    value,
                    reason,
                });
            }
        }
        Ok(())
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

    /// Whether `analytic` agrees with the differences around `(l0, s0)` (objective and
    /// scale at θ) from `lp`, `lm` (at θ ± h); counts it.
    fn judge(
        &self,
        analytic: f64,
        (l0, s0): (f64, f64),
        (lp, sp): (f64, f64),
        (lm, sm): (f64, f64),
        tally: &mut Tally,
    ) -> bool {
        let h = self.step;
        let scale = s0.max(sp).max(sm);
        let tol = |a: f64, b: f64| self.rel_tol * a.abs().max(b.abs()) + self.abs_tol * scale;
        let central = (lp - lm) / (2.0 * h);
        tally.nonzero |= analytic != 0.0 || central != 0.0;
        if !analytic.is_finite() {
            return false;
        }
        let allowed = tol(analytic, central);
        let diff = (analytic - central).abs();
        if diff <= allowed {
            tally.report.checked += 1;
            if allowed > 0.0 {
                tally.report.worst = tally.report.worst.max(diff / allowed);
            }
            return true;
        }
        // A kink: the slope changes within ±h, and the analytic value is one side's slope.
        let (ahead, behind) = ((lp - l0) / h, (l0 - lm) / h);
        let slack = tol(ahead, behind);
        let kink = (ahead - behind).abs() > slack;
        let between =
            analytic >= ahead.min(behind) - slack && analytic <= ahead.max(behind) + slack;
        if kink && between {
            tally.report.kinks += 1;
            return true;
        }
        false
    }
}

/// What a check has seen so far.
#[derive(Default)]
struct Tally {
    report: Report,
    /// Whether any analytic or numeric value was not exactly zero.
    nonzero: bool,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            checked: 0,
            kinks: 0,
            worst: 0.0,
        }
    }
}
