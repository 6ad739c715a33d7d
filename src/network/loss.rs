//! What training minimises: the [`Loss`] trait; [`Mse`] for regression, [`CrossEntropy`]
//! and [`BinaryCrossEntropy`] for classification.
//!
//! A loss compares a network's predictions with the targets of the same samples and says
//! how each prediction should move: its value and its gradient `∂L/∂ŷ`. The
//! [`Trainer`](crate::Trainer) calls it on blocks of a batch, so a loss is written for
//! slices of samples (one `[T; OUT]` per sample) and never sees the data set's layout.
//!
//! A sample's target has the loss's own type ([`Loss::Target`]): `OUT` values for [`Mse`],
//! a class label for a classification loss; a data set's targets are anything that lists
//! them ([`Targets`]: a matrix of values, a `Vec` of labels). A loss that does not fit the
//! network's output width (`Loss<T, OUT>` for the network's `OUT`) is a compile error.
//!
//! The training loss of a batch is `sum / count`, where [`Loss::count`] is what the mean is
//! over (`samples · OUT` values for MSE, the samples for a classification loss); the
//! gradient a loss writes is that mean's.

use crate::{Real, Result};

pub mod cross_entropy;
#[cfg(feature = "alloc")]
mod labels;
pub mod mse;

pub use cross_entropy::{BinaryCrossEntropy, CrossEntropy};
#[cfg(feature = "alloc")]
pub use labels::Labels;
pub use mse::{Mse, mse, mse_grad, mse_with_grad};

/// A loss over a network with `OUT` outputs in scalar `T`: a sum over samples and its
/// gradient with respect to the predictions.
///
/// Implement [`sum_and_grad`](Self::sum_and_grad), [`sum`](Self::sum) and
/// [`check`](Self::check) over slices of samples; the trainer runs them block by block and
/// divides by the count itself. See [`Mse`] for the whole of an implementation. Nothing
/// here allocates: a loss runs on a microcontroller as it runs in the [`Trainer`].
///
/// [`Trainer`]: crate::Trainer
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a loss for a network with {OUT} outputs in `{T}`",
    label = "the loss does not fit the network's output width or scalar type",
    note = "the network's last layer must have as many outputs as the loss expects \
            (e.g. `Dense<_, 10>` for a 10-class loss)"
)]
pub trait Loss<T: Real, const OUT: usize> {
    /// One sample's target: `[T; OUT]` values for [`Mse`], a class label for a
    /// classification loss.
    type Target: Copy;

    /// What a batch's loss is divided by to make it a mean: `samples · OUT` for MSE (one
    /// term per output), the samples for a loss per sample, the targets' summed class
    /// weights for a weighted one (PyTorch's `reduction="mean"`).
    fn count(&self, target: &[Self::Target]) -> f64;

    /// `Σ ℓ` over the samples of `pred` against `target` (same length), and into `grad`
    /// the gradient of `Σ ℓ / count` with respect to each prediction: `count` is the whole
    /// batch's terms, so blocks of a batch add up to the batch's mean.
    fn sum_and_grad(
        &self,
        pred: &[[T; OUT]],
        target: &[Self::Target],
        grad: &mut [[T; OUT]],
        count: T,
    ) -> T;

    /// `Σ ℓ` over the samples, without the gradient (validation, evaluation).
    fn sum(&self, pred: &[[T; OUT]], target: &[Self::Target]) -> T;

    /// Checks targets before training (finite values, labels below `OUT`); `what` names
    /// them in the error.
    ///
    /// # Errors
    /// [`Error::NonFinite`](crate::Error::NonFinite) or the loss's own, naming `what` and
    /// the sample.
    fn check(&self, target: &[Self::Target], what: &'static str) -> Result<()>;

    /// Whether predictions answer a class ([`correct`](Self::correct) counts them): the
    /// trainer then records accuracy next to the loss.
    const CLASSIFIES: bool = false;

    /// How many samples' predictions name their target class (for a loss that
    /// [`CLASSIFIES`](Self::CLASSIFIES)); 0 otherwise.
    fn correct(&self, pred: &[[T; OUT]], target: &[Self::Target]) -> usize {
        let _ = (pred, target);
        0
    }
}

/// A data set's targets: one sample's target after another, in a slice. A matrix of
/// values (`OUT × samples`, for [`Mse`]) is one; so is a `Vec` or slice of labels.
pub trait Targets {
    /// One sample's target.
    type Sample: Copy;
    /// Every sample's target, in order.
    fn samples(&self) -> &[Self::Sample];
}

impl<S: Copy> Targets for [S] {
    type Sample = S;
    fn samples(&self) -> &[S] {
        self
    }
}

#[cfg(feature = "alloc")]
impl<S: Copy> Targets for alloc::vec::Vec<S> {
    type Sample = S;
    fn samples(&self) -> &[S] {
        self
    }
}
