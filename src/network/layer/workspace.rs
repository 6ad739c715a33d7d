//! [`Workspace`]: the buffers a training step writes, owned by the caller.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use crate::{Real, Result};

/// The buffers of one layer (or network) for batches of `B` samples of width `I` in and `O`
/// out: made once, then overwritten by every forward and backward pass. What a network reads
/// from it is the output and `∂L/∂input`; what else it holds is the layer's business.
///
/// [`Buffers`] serves a layer that needs nothing but those two; a wrapper around a network
/// uses `(its inner network's workspace, Buffers)`, whose accessors read the outer
/// [`Buffers`]; [`Chain`](crate::Chain) has its own.
pub trait Workspace<T: Real, I: Dim, O: Dim, B: Dim>: Sized
where
    DefaultAllocator: Allocator<I, B> + Allocator<O, B>,
{
    /// Zeroed buffers for `batch` samples: the only allocation of a training loop.
    fn new(batch: B) -> Self;
    /// The output, as left by the last forward pass.
    fn output(&self) -> &OMatrix<T, O, B>;
    /// ∂L/∂input, as left by the last backward pass that asked for it.
    fn grad_input(&self) -> &OMatrix<T, I, B>;
}

/// The workspace of a single layer: its output and its input gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct Buffers<T: Real, I: Dim, O: Dim, B: Dim>
where
    DefaultAllocator: Allocator<I, B> + Allocator<O, B>,
{
    /// The layer's output `y`.
    pub output: OMatrix<T, O, B>,
    /// ∂L/∂x.
    pub grad_input: OMatrix<T, I, B>,
}

impl<T: Real, I: DimName, O: DimName, B: Dim> Buffers<T, I, O, B>
where
    DefaultAllocator: Allocator<I, B> + Allocator<O, B>,
{
    /// Zeroed buffers for `batch` samples.
    ///
    /// ```
    /// use constnet::layer::Buffers;
    /// use nalgebra::{Const, Dyn};
    /// let b = Buffers::<f32, Const<3>, Const<2>, Dyn>::new(Dyn(10));
    /// assert_eq!((b.output.shape(), b.grad_input.shape()), ((2, 10), (3, 10)));
    /// ```
    #[must_use]
    pub fn new(batch: B) -> Self {
        Buffers {
            output: OMatrix::zeros_generic(O::name(), batch),
            grad_input: OMatrix::zeros_generic(I::name(), batch),
        }
    }

    /// Makes both buffers hold `batch` samples, reallocating only if their size differs:
    /// a training loop allocates nothing after its first step.
    ///
    /// ```
    /// use constnet::layer::Buffers;
    /// use nalgebra::{Const, Dyn};
    /// let mut b = Buffers::<f32, Const<3>, Const<2>, Dyn>::new(Dyn(0));
    /// b.resize(Dyn(5));
    /// assert_eq!((b.output.ncols(), b.grad_input.ncols()), (5, 5));
    /// ```
    pub fn resize(&mut self, batch: B) {
        resize(&mut self.output, batch);
        resize(&mut self.grad_input, batch);
    }
}

impl<T: Real, I: DimName, O: DimName, B: Dim> Workspace<T, I, O, B> for Buffers<T, I, O, B>
where
    DefaultAllocator: Allocator<I, B> + Allocator<O, B>,
{
    fn new(batch: B) -> Self {
        Buffers::new(batch)
    }
    fn output(&self) -> &OMatrix<T, O, B> {
        &self.output
    }
    fn grad_input(&self) -> &OMatrix<T, I, B> {
        &self.grad_input
    }
}

/// A wrapper's workspace: its inner network's (same widths), then its own output and input
/// gradient, which are what the network reads.
impl<T: Real, I: DimName, O: DimName, B: Dim, W> Workspace<T, I, O, B> for (W, Buffers<T, I, O, B>)
where
    W: Workspace<T, I, O, B>,
    DefaultAllocator: Allocator<I, B> + Allocator<O, B>,
{
    fn new(batch: B) -> Self {
        (W::new(batch), Buffers::new(batch))
    }
    fn output(&self) -> &OMatrix<T, O, B> {
        &self.1.output
    }
    fn grad_input(&self) -> &OMatrix<T, I, B> {
        &self.1.grad_input
    }
}

/// Makes `m` hold `batch` columns, reallocating only when the size differs: what a layer's
/// `forward_into` calls on its output buffer first.
///
/// ```
/// use constnet::layer::resize;
/// use nalgebra::{Const, Dyn, OMatrix};
/// let mut y = OMatrix::<f32, Const<2>, Dyn>::zeros(0);
/// resize(&mut y, Dyn(7));
/// assert_eq!(y.ncols(), 7);
/// ```
pub fn resize<T: Real, R: DimName, B: Dim>(m: &mut OMatrix<T, R, B>, batch: B)
where
    DefaultAllocator: Allocator<R, B>,
{
    if m.ncols() != batch.value() {
        *m = OMatrix::zeros_generic(R::name(), batch);
    }
}

/// Returns an error unless the two batches hold the same number of samples: what a
/// backward pass checks first when its batch type is `Dyn`.
///
/// ```
/// use constnet::layer::check_batch;
/// assert!(check_batch(10, 10).is_ok());
/// assert!(check_batch(9, 10).is_err());
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`](crate::Error::LengthMismatch) naming both counts.
pub fn check_batch(found: usize, expected: usize) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(crate::Error::LengthMismatch {
            what: "gradient batch (columns)",
            expected,
            found,
        })
    }
}
