//! [`Fuse`]: the neighbour protocol that fuses activations into the layers around them.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use super::{Forward, check_batch, fit_batch};
use crate::{Activation, Real, Result, simd};

/// How a layer runs *with its neighbour* in a [`Chain`](crate::Chain): every method has a
/// default that runs the two layers one after the other, so a layer of your own needs only
/// an empty impl (`impl<…> Fuse<T, I, B> for MyLayer {}`), and that impl cannot be wrong.
///
/// [`Dense`](crate::Dense) overrides the `*_activated` methods (it applies an activation as
/// its kernels write), every [`Activation`] overrides the `*_after`/`*_before` methods (it
/// asks its neighbour to apply it), and [`Chain`](crate::Chain) passes both on. Every fused
/// result is bit-identical to the two passes (`tests/it/fusion.rs`). See the
/// [module docs](super#activations-fused-into-their-neighbours) for why this is a trait of
/// its own.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run in a network on `{T}` inputs of width `{I}`",
    label = "no `Fuse<{T}, {I}, {B}>` impl",
    note = "a layer of your own needs an empty `impl Fuse<…> for …` beside its `Forward` impl \
            (same generics and bounds); otherwise check the input width and scalar type"
)]
pub trait Fuse<T: Real, I: DimName, B: Dim>: Forward<T, I, B>
where
    DefaultAllocator: Allocator<I, B> + Allocator<Self::Out, B>,
{
    /// [`forward_into`](Forward::forward_into), then `act` on this layer's output, into `out`
    /// (`act`'s output buffer, resized to the batch if it differs): what an activation after
    /// this layer asks of it. The layer's own output is written too (the activation's
    /// backward pass reads it).
    fn forward_activated<A: Activation>(
        &self,
        act: &A,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        out: &mut OMatrix<T, Self::Out, B>,
    ) {
        self.forward_into(x, ws);
        fit_batch(out, x.shape_generic().1);
        simd::activate(act, Self::output(ws).as_slice(), out.as_mut_slice());
    }

    /// Runs `prev`, the layer before this one, on `x`, then this layer on its output: a
    /// [`Chain`](crate::Chain)'s [`forward_into`](Forward::forward_into). An activation has
    /// `prev` apply it ([`forward_activated`](Self::forward_activated)).
    fn forward_after<PI, P>(
        &self,
        prev: &P,
        x: &OMatrix<T, PI, B>,
        ws_prev: &mut P::Workspace,
        ws: &mut Self::Workspace,
    ) where
        PI: DimName,
        P: Fuse<T, PI, B, Out = I>,
        DefaultAllocator: Allocator<PI, B>,
    {
        prev.forward_into(x, ws_prev);
        self.forward_into(P::output(ws_prev), ws);
    }

    /// [`forward`](Forward::forward), then `act`: the inference twin of
    /// [`forward_activated`](Self::forward_activated).
    ///
    /// ```
    /// use constnet::{Dense, Fuse, Relu};
    /// use nalgebra::{SMatrix, SVector};
    ///
    /// let layer = Dense::<2, 2>::new(SMatrix::identity(), SVector::from([0.0, -1.0]));
    /// let y = layer.infer_activated(&Relu, &SVector::from([1.0, 0.5]));
    /// assert_eq!(y, SVector::from([1.0, 0.0])); // max(0.5 - 1, 0)
    /// ```
    fn infer_activated<A: Activation>(
        &self,
        act: &A,
        x: &OMatrix<T, I, B>,
    ) -> OMatrix<T, Self::Out, B> {
        let mut y = self.forward(x);
        y.apply(|v| *v = act.f(*v));
        y
    }

    /// `prev`, the layer before this one, on `x`, then this layer on its output: a
    /// [`Chain`](crate::Chain)'s [`forward`](Forward::forward), the inference twin of
    /// [`forward_after`](Self::forward_after).
    ///
    /// ```
    /// use constnet::{Dense, Fuse, Relu};
    /// use nalgebra::{SMatrix, SVector};
    ///
    /// let layer = Dense::<1, 2>::new(SMatrix::from([[1.0, -1.0]]), SVector::zeros());
    /// let y = Relu.infer_after(&layer, &SVector::from([3.0]));
    /// assert_eq!(y, SVector::from([3.0, 0.0]));
    /// ```
    fn infer_after<PI, P>(&self, prev: &P, x: &OMatrix<T, PI, B>) -> OMatrix<T, Self::Out, B>
    where
        PI: DimName,
        P: Fuse<T, PI, B, Out = I>,
        DefaultAllocator: Allocator<PI, B>,
    {
        self.forward(&prev.forward(x))
    }

    /// [`backward_into`](Forward::backward_into) with `∂L/∂x`, passed on back through the
    /// activation `act` before this layer (whose input was `act_input`, whose output was
    /// `x`): `out = ∂L/∂x ⊙ act'(act_input)` (the chain rule through an element-wise
    /// function), the activation's input gradient, resized to the batch if it differs. What
    /// an activation before this layer asks of it. The layer's own `∂L/∂x` may be left
    /// unwritten: the activation's is what the layer before reads.
    ///
    /// # Errors
    /// As [`backward_into`](Forward::backward_into), and
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) if `act_input` holds a
    /// different number of samples than `x`.
    #[allow(
        clippy::too_many_arguments,
        reason = "a layer's backward arguments plus the activation's"
    )]
    fn backward_activated<A: Activation>(
        &self,
        act: &A,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, Self::Out, B>,
        grad: &mut Self,
        act_input: &OMatrix<T, I, B>,
        out: &mut OMatrix<T, I, B>,
    ) -> Result<()> {
        check_batch(act_input.ncols(), x.ncols())?;
        self.backward_into(x, ws, grad_out, grad, true)?;
        fit_batch(out, x.shape_generic().1);
        let gx = Self::grad_input(ws).as_slice();
        simd::activate_grad(act, act_input.as_slice(), gx, out.as_mut_slice());
        Ok(())
    }

    /// Runs the backward pass of `next`, the layer after this one (`grad_out` is
    /// `∂L/∂`(its output)), then this layer's: a [`Chain`](crate::Chain)'s
    /// [`backward_into`](Forward::backward_into). An activation has `next` apply its
    /// derivative ([`backward_activated`](Self::backward_activated)).
    ///
    /// # Errors
    /// As [`backward_into`](Forward::backward_into) of either layer.
    #[allow(
        clippy::too_many_arguments,
        reason = "two layers' inputs, workspaces and gradients"
    )]
    fn backward_before<NO, NX>(
        &self,
        next: &NX,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        ws_next: &mut NX::Workspace,
        grad_out: &OMatrix<T, NO, B>,
        grad: &mut Self,
        grad_next: &mut NX,
        grad_input: bool,
    ) -> Result<()>
    where
        NO: DimName,
        NX: Fuse<T, Self::Out, B, Out = NO>,
        DefaultAllocator: Allocator<NO, B>,
    {
        next.backward_into(Self::output(ws), ws_next, grad_out, grad_next, true)?;
        self.backward_into(x, ws, NX::grad_input(ws_next), grad, grad_input)
    }
}
