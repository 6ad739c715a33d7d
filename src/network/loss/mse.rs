//! Mean squared error, the regression loss: `L = mean((ŷ − y)²)` over every output of every
//! sample, and its gradient `∂L/∂ŷ = 2(ŷ − y) / n`.
//!
//! [`Mse`] is the [`Loss`](super::Loss) the [`Trainer`](crate::Trainer) takes; [`mse`],
//! [`mse_grad`] and [`mse_with_grad`] compute it on whole matrices, for loops written by hand.
//!
//! Prediction and target must have the same type, so a network whose output width differs
//! from the target's does not compile. What the types leave to run time is checked, every
//! call, before any arithmetic: the number of rows (only for matrices whose rows are
//! runtime-sized, e.g. `DMatrix`) and of columns (samples) must be equal, and the matrices
//! must not be empty. Values are not checked: a NaN gives a NaN loss.

use nalgebra::allocator::Allocator;
#[cfg(feature = "alloc")]
use nalgebra::{Const, Dyn};
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use crate::layer::resize;
use crate::{Error, Real, Result};

use super::Loss;
#[cfg(feature = "alloc")]
use super::Targets;

fn check<T: Real, R: Dim, C: Dim>(pred: &OMatrix<T, R, C>, target: &OMatrix<T, R, C>) -> Result<T>
where
    DefaultAllocator: Allocator<R, C>,
{
    // Static rows are equal by type: this compares two constants then.
    if pred.nrows() != target.nrows() {
        return Err(Error::LengthMismatch {
            what: "MSE target (rows)",
            expected: pred.nrows(),
            found: target.nrows(),
        });
    }
    if pred.ncols() != target.ncols() {
        return Err(Error::LengthMismatch {
            what: "MSE target (samples)",
            expected: pred.ncols(),
            found: target.ncols(),
        });
    }
    if pred.is_empty() {
        return Err(Error::EmptyData);
    }
    Ok(T::cast(pred.len() as f64))
}

/// Mean squared error over all outputs of all samples.
///
/// ```
/// use constnet::loss::mse;
/// use nalgebra::SVector;
/// let l = mse(&SVector::from([1.0, 3.0]), &SVector::from([0.0, 1.0]))?;
/// assert_eq!(l, (1.0 + 4.0) / 2.0);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if the row counts differ (`what` `"MSE target (rows)"`, only
/// possible for runtime-sized rows) or the column counts (`"MSE target (samples)"`);
/// [`Error::EmptyData`] if empty. See the [module docs](self).
pub fn mse<T: Real, R: Dim, C: Dim>(pred: &OMatrix<T, R, C>, target: &OMatrix<T, R, C>) -> Result<T>
where
    DefaultAllocator: Allocator<R, C>,
{
    let n = check(pred, target)?;
    let sum = pred
        .iter()
        .zip(target.iter())
        .fold(T::zero(), |acc, (&p, &t)| acc + (p - t) * (p - t));
    Ok(sum / n)
}

/// Gradient of [`mse`] with respect to the prediction: `2(ŷ − y) / n`, where `n` is the
/// number of values (`outputs × samples`): `L = (1/n)·Σ (ŷ_k − y_k)²` and each `ŷ_k`
/// appears in one term, whose derivative is `2(ŷ_k − y_k)`. The `1/n` makes the gradient's
/// size independent of the batch size, so a learning rate means the same for any batch.
///
/// ```
/// use constnet::loss::mse_grad;
/// use nalgebra::SVector;
/// let g = mse_grad(&SVector::from([1.0, 3.0]), &SVector::from([0.0, 1.0]))?;
/// assert_eq!(g, SVector::from([1.0, 2.0]));
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`mse`].
pub fn mse_grad<T: Real, R: Dim, C: Dim>(
    pred: &OMatrix<T, R, C>,
    target: &OMatrix<T, R, C>,
) -> Result<OMatrix<T, R, C>>
where
    DefaultAllocator: Allocator<R, C>,
{
    let scale = T::cast(2.0) / check(pred, target)?;
    Ok(pred.zip_map(target, |p, t| (p - t) * scale))
}

/// [`mse`] and [`mse_grad`] in one pass, writing the gradient into `grad` (resized only if
/// its batch size differs): the training loop's allocation-free form.
///
/// ```
/// use constnet::loss::mse_with_grad;
/// use nalgebra::SVector;
/// let mut g = SVector::zeros();
/// let l = mse_with_grad(&SVector::from([1.0, 3.0]), &SVector::from([0.0, 1.0]), &mut g)?;
/// assert_eq!((l, g), (2.5, SVector::from([1.0, 2.0])));
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`mse`].
pub fn mse_with_grad<T: Real, R: DimName, C: Dim>(
    pred: &OMatrix<T, R, C>,
    target: &OMatrix<T, R, C>,
    grad: &mut OMatrix<T, R, C>,
) -> Result<T>
where
    DefaultAllocator: Allocator<R, C>,
{
    let n = check(pred, target)?;
    resize(grad, pred.shape_generic().1);
    let scale = T::cast(2.0) / n;
    let sum = sse_with_grad(
        pred.as_slice(),
        target.as_slice(),
        grad.as_mut_slice(),
        scale,
    );
    Ok(sum / n)
}

/// `Σ (p − t)²` over the pairs, left to right, writing `(p − t)·scale` into `grad`: the body
/// of [`mse_with_grad`], also run by the training loop on blocks of a batch (with `scale`
/// from the whole batch).
fn sse_with_grad<T: Real>(pred: &[T], target: &[T], grad: &mut [T], scale: T) -> T {
    let mut sum = T::zero();
    for (g, (&p, &t)) in grad.iter_mut().zip(pred.iter().zip(target)) {
        let d = p - t;
        sum += d * d;
        *g = d * scale;
    }
    sum
}

/// `Σ (p − t)²` over the pairs, left to right.
fn sse<T: Real>(pred: &[T], target: &[T]) -> T {
    let mut sum = T::zero();
    for (&p, &t) in pred.iter().zip(target) {
        let d = p - t;
        sum += d * d;
    }
    sum
}

/// Mean squared error as a [`Loss`]: a target is `OUT` values per sample, like the
/// prediction (in the [`Trainer`](crate::Trainer), a matrix `OUT × samples`); the mean is
/// over every value.
///
/// ```
/// use constnet::{Loss, Mse};
/// let pred = [[1.0f64, 3.0]];
/// let mut grad = [[0.0; 2]];
/// let sum = Mse.sum_and_grad(&pred, &[[0.0, 1.0]], &mut grad, 2.0);
/// assert_eq!((sum, grad), (5.0, [[1.0, 2.0]]));  // (1 + 4), 2(ŷ − y)/2
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mse;

impl<T: Real, const OUT: usize> Loss<T, OUT> for Mse {
    type Target = [T; OUT];

    /// Every value: `samples · OUT`.
    fn count(&self, target: &[[T; OUT]]) -> f64 {
        (target.len() * OUT) as f64
    }

    /// `Σ (ŷ − y)²`, and `∂/∂ŷ = 2(ŷ − y) / count` (the derivative of each term, divided by
    /// the number of values the mean is over).
    fn sum_and_grad(
        &self,
        pred: &[[T; OUT]],
        target: &[[T; OUT]],
        grad: &mut [[T; OUT]],
        count: T,
    ) -> T {
        let scale = T::cast(2.0) / count;
        sse_with_grad(
            pred.as_flattened(),
            target.as_flattened(),
            grad.as_flattened_mut(),
            scale,
        )
    }

    fn sum(&self, pred: &[[T; OUT]], target: &[[T; OUT]]) -> T {
        sse(pred.as_flattened(), target.as_flattened())
    }

    /// Every value finite; the error's index counts values (sample · `OUT` + output).
    fn check(&self, target: &[[T; OUT]], what: &'static str) -> Result<()> {
        match target.as_flattened().iter().position(|v| !v.finite()) {
            None => Ok(()),
            Some(index) => Err(Error::NonFinite { what, index }),
        }
    }
}

/// A matrix of targets, one column of `R` values per sample.
#[cfg(feature = "alloc")]
impl<T: Real, const R: usize> Targets for OMatrix<T, Const<R>, Dyn> {
    type Sample = [T; R];
    fn samples(&self) -> &[[T; R]] {
        self.as_slice().as_chunks::<R>().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values chosen so that each operation's result is exact in binary: the asserts are
    // equalities, and `+`/`-`, `+=`/`-=` or `*`/`/` swapped anywhere changes them.
    const PRED: [f64; 3] = [1.0, -2.0, 0.5];
    const TARGET: [f64; 3] = [3.0, 1.0, 0.5];
    // Differences -2, -3, 0: squares 4, 9, 0.
    const SSE: f64 = 13.0;

    #[test]
    fn sse_is_the_sum_of_squared_differences() {
        assert_eq!(sse(&PRED, &TARGET), SSE);
        assert_eq!(sse::<f64>(&[], &[]), 0.0);
        assert_eq!(sse(&[2.0f32], &[2.0]), 0.0);
    }

    #[test]
    fn sse_with_grad_sums_and_scales_each_difference() {
        let mut grad = [7.0; 3];
        assert_eq!(sse_with_grad(&PRED, &TARGET, &mut grad, 0.5), SSE);
        assert_eq!(grad, [-1.0, -1.5, 0.0]);
    }

    #[test]
    fn mse_with_grad_returns_the_mean_and_writes_the_gradient() {
        use nalgebra::SVector;
        let mut g = SVector::<f64, 3>::zeros();
        let l = mse_with_grad(&SVector::from(PRED), &SVector::from(TARGET), &mut g).unwrap();
        assert_eq!(l, SSE / 3.0);
        assert_eq!(g, SVector::from([-4.0 / 3.0, -2.0, 0.0]));
    }
}
