//! [`Forward`]: how a network runs, in training and inference.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use super::{Layer, Params};
use crate::{Real, Result};

/// Forward and hand-written backward pass over a batch of `B` samples of width `I`: how a
/// network runs.
///
/// A layer implements the five required items (a [`Buffers`](super::Buffers) workspace
/// serves most layers); see [Writing your own layer](super#writing-your-own-layer). A
/// network uses [`forward`](Self::forward) for inference,
/// [`forward_train`](Self::forward_train) and [`backward`](Self::backward) for one-off
/// gradients, and the workspace methods in a training loop that allocates nothing after
/// its first step. `B` is `U1`, `Const<N>` or `Dyn`.
///
/// In generic code (a function over `N: Forward<T, I, B>`), pass `N`, `I` and `B`
/// explicitly to the generic functions you call (`check::<N, I, B>(…)`): with the blanket
/// impl for activations in scope, rustc's inference of them from the arguments can give
/// up with "overflow evaluating the requirement". Concrete code is unaffected.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run on `{T}` inputs of width `{I}`",
    label = "input width or scalar type does not match the network",
    note = "the input matrix must have one row per input feature, one column per sample"
)]
pub trait Forward<T: Real, I: DimName, B: Dim>: Layer<I, T> + Params<T>
where
    DefaultAllocator: Allocator<I, B> + Allocator<Self::Out, B>,
{
    /// Buffers of one training step: every layer's output (what backward needs from
    /// forward) and every layer's input gradient. Owned by the caller, never by the layer.
    type Workspace;

    /// A workspace for batches of `batch` samples. The only allocation of a training loop.
    fn workspace(batch: B) -> Self::Workspace;

    /// The network's output, as left by the last [`forward_into`](Self::forward_into).
    fn output(ws: &Self::Workspace) -> &OMatrix<T, Self::Out, B>;

    /// ∂L/∂input, as left by the last [`backward_into`](Self::backward_into) that asked for it.
    fn grad_input(ws: &Self::Workspace) -> &OMatrix<T, I, B>;

    /// Inference: computes the output for every sample (column) of `x`. Needs only `&self`.
    /// By default a training forward pass in a fresh workspace; the crate's layers run it
    /// without one.
    fn forward(&self, x: &OMatrix<T, I, B>) -> OMatrix<T, Self::Out, B> {
        self.forward_train(x).0
    }

    /// Training forward pass: fills `ws` with every layer's output. A workspace built for
    /// another batch size is resized (that allocates); same size, no allocation.
    fn forward_into(&self, x: &OMatrix<T, I, B>, ws: &mut Self::Workspace);

    /// Backward pass. Given the input `x`, the workspace filled by
    /// [`forward_into`](Self::forward_into) on `x`, and `grad_out` = ∂L/∂output, overwrites
    /// `grad` with ∂L/∂θ (a value of the layer's own type) and, if `grad_input` is true,
    /// stores ∂L/∂x in the workspace. (The first layer of a network skips it: nobody reads it.)
    ///
    /// # Errors
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) if `grad_out` or the workspace
    /// hold a different number of samples than `x` (only possible with `Dyn` batches).
    fn backward_into(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, Self::Out, B>,
        grad: &mut Self,
        grad_input: bool,
    ) -> Result<()>;

    /// Training forward pass returning the output and a fresh workspace.
    fn forward_train(&self, x: &OMatrix<T, I, B>) -> (OMatrix<T, Self::Out, B>, Self::Workspace) {
        let mut ws = Self::workspace(x.shape_generic().1);
        self.forward_into(x, &mut ws);
        (Self::output(&ws).clone(), ws)
    }

    /// Backward pass returning `(∂L/∂x, ∂L/∂θ)`; `ws` comes from
    /// [`forward_train`](Self::forward_train) on the same `x`.
    ///
    /// # Errors
    /// As [`backward_into`](Self::backward_into).
    fn backward(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, Self::Out, B>,
    ) -> Result<(OMatrix<T, I, B>, Self)> {
        let mut grad = Self::zeros();
        self.backward_into(x, ws, grad_out, &mut grad, true)?;
        Ok((Self::grad_input(ws).clone(), grad))
    }
}
