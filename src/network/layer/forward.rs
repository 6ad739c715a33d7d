//! [`Forward`]: how a layer runs, in training and inference, alone and beside its
//! neighbours.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use super::{Layer, Params, Workspace, check_batch, resize};
use crate::{Activation, Real, Result, simd};

/// Forward and hand-written backward pass over a batch of `B` samples of width `I`: how a
/// network runs.
///
/// A layer writes three items: its [`Workspace`] type (usually
/// [`Buffers`](super::Buffers)), [`forward_into`](Self::forward_into) and
/// [`backward_into`](Self::backward_into); see [Writing your own
/// layer](super#writing-your-own-layer). Everything else has a default: the workspace
/// accessors, one-off [`forward`](Self::forward) / [`forward_train`](Self::forward_train) /
/// [`backward`](Self::backward), and the *neighbour hooks* (`forward_activated`,
/// `forward_after`, `infer_activated`, `infer_after`, `backward_activated`,
/// `backward_before`) through which [`Dense`](crate::Dense), every
/// [`Activation`] and [`Chain`](crate::Chain) fuse an activation into the layer beside it
/// (see [the module docs](super#activations-fused-into-their-neighbours)). A default hook
/// runs the two layers one after the other, so it cannot be wrong.
///
/// `B` is `U1`, `Const<N>` or `Dyn`. In generic code (a function over
/// `N: Forward<T, I, B>`), pass `N`, `I` and `B` explicitly to the generic functions you
/// call (`check::<N, I, B>(…)`): with the blanket impl for activations in scope, rustc's
/// inference of them from the arguments can give up with "overflow evaluating the
/// requirement". Concrete code is unaffected.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run on `{T}` inputs of width `{I}`",
    label = "input width or scalar type does not match the network",
    note = "the input matrix must have one row per input feature, one column per sample"
)]
pub trait Forward<T: Real, I: DimName, B: Dim>: Layer<I, T> + Params<T>
where
    DefaultAllocator: Allocator<I, B> + Allocator<Self::Out, B>,
{
    /// Buffers of one training step: what backward needs from forward (every layer's
    /// output) and every layer's input gradient. Owned by the caller, never by the layer,
    /// so inference needs only `&self` and a network can be shared between threads.
    type Workspace: Workspace<T, I, Self::Out, B>;

    /// Training forward pass: fills `ws` with every layer's output. A workspace built for
    /// another batch size is resized (that allocates); same size, no allocation.
    fn forward_into(&self, x: &OMatrix<T, I, B>, ws: &mut Self::Workspace);

    /// Backward pass. Given the input `x`, the workspace filled by
    /// [`forward_into`](Self::forward_into) on `x`, and `grad_out` = ∂L/∂output, overwrites
    /// `grad` with ∂L/∂θ (a value of the layer's own type) and stores ∂L/∂x in the
    /// workspace.
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
    ) -> Result<()>;

    /// [`backward_into`](Self::backward_into) where nobody reads ∂L/∂x (the first layer of
    /// a network): a layer may skip computing it. By default it does not.
    ///
    /// # Errors
    /// As [`backward_into`](Self::backward_into).
    fn backward_params(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, Self::Out, B>,
        grad: &mut Self,
    ) -> Result<()> {
        self.backward_into(x, ws, grad_out, grad)
    }

    /// A workspace for batches of `batch` samples. The only allocation of a training loop.
    fn workspace(batch: B) -> Self::Workspace {
        Self::Workspace::new(batch)
    }

    /// The network's output, as left by the last [`forward_into`](Self::forward_into).
    fn output(ws: &Self::Workspace) -> &OMatrix<T, Self::Out, B> {
        ws.output()
    }

    /// ∂L/∂input, as left by the last [`backward_into`](Self::backward_into) that asked for it.
    fn grad_input(ws: &Self::Workspace) -> &OMatrix<T, I, B> {
        ws.grad_input()
    }

    /// Inference: computes the output for every sample (column) of `x`. Needs only `&self`.
    /// By default a training forward pass in a fresh workspace; the crate's layers run it
    /// without one.
    fn forward(&self, x: &OMatrix<T, I, B>) -> OMatrix<T, Self::Out, B> {
        self.forward_train(x).0
    }

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
        self.backward_into(x, ws, grad_out, &mut grad)?;
        Ok((Self::grad_input(ws).clone(), grad))
    }

    /// Appends what [`diagnose`](crate::diagnose::diagnose) reports about this layer, read
    /// after [`forward_into`](Self::forward_into) filled `ws` from input `x`: one
    /// [`LayerReport`](crate::diagnose::LayerReport) per layer it holds, in the order of
    /// its [`Params`] tensors. By default one report named after the type, owning all of
    /// its tensors; a [`Chain`](crate::Chain) recurses, an [`Activation`] counts its active
    /// units.
    #[cfg(feature = "alloc")]
    fn report(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &Self::Workspace,
        out: &mut alloc::vec::Vec<crate::diagnose::LayerReport>,
    ) {
        let _ = (x, ws);
        let name = crate::diagnose::short_name::<Self>();
        out.push(crate::diagnose::LayerReport::new(name, Self::TENSORS));
    }

    // Neighbour hooks: how this layer runs beside the layer before or after it in a chain.

    /// [`forward_into`](Self::forward_into), then `act` on this layer's output, into `out`
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
        resize(out, x.shape_generic().1);
        simd::activate(act, Self::output(ws).as_slice(), out.as_mut_slice());
    }

    /// Runs `prev`, the layer before this one, on `x`, then this layer on its output: a
    /// [`Chain`](crate::Chain)'s [`forward_into`](Self::forward_into). An activation has
    /// `prev` apply it ([`forward_activated`](Self::forward_activated)).
    fn forward_after<PI, P>(
        &self,
        prev: &P,
        x: &OMatrix<T, PI, B>,
        ws_prev: &mut P::Workspace,
        ws: &mut Self::Workspace,
    ) where
        PI: DimName,
        P: Forward<T, PI, B, Out = I>,
        DefaultAllocator: Allocator<PI, B>,
    {
        prev.forward_into(x, ws_prev);
        self.forward_into(P::output(ws_prev), ws);
    }

    /// [`forward`](Self::forward), then `act`: the inference twin of
    /// [`forward_activated`](Self::forward_activated).
    ///
    /// ```
    /// use constnet::{Dense, Forward, Relu};
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
    /// [`Chain`](crate::Chain)'s [`forward`](Self::forward), the inference twin of
    /// [`forward_after`](Self::forward_after).
    ///
    /// ```
    /// use constnet::{Dense, Forward, Relu};
    /// use nalgebra::{SMatrix, SVector};
    ///
    /// let layer = Dense::<1, 2>::new(SMatrix::from([[1.0, -1.0]]), SVector::zeros());
    /// let y = Relu.infer_after(&layer, &SVector::from([3.0]));
    /// assert_eq!(y, SVector::from([3.0, 0.0]));
    /// ```
    fn infer_after<PI, P>(&self, prev: &P, x: &OMatrix<T, PI, B>) -> OMatrix<T, Self::Out, B>
    where
        PI: DimName,
        P: Forward<T, PI, B, Out = I>,
        DefaultAllocator: Allocator<PI, B>,
    {
        self.forward(&prev.forward(x))
    }

    /// [`backward_into`](Self::backward_into) with `∂L/∂x` passed on back through `act`, the
    /// activation before this layer (`act.input` was its input, `x` its output):
    /// `act.grad = ∂L/∂x ⊙ f'(act.input)` (the chain rule through an element-wise
    /// function), resized to the batch if it differs. What an activation before this layer
    /// asks of it. The layer's own `∂L/∂x` may be left unwritten: the activation's is what
    /// the layer before reads.
    ///
    /// # Errors
    /// As [`backward_into`](Self::backward_into), and
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) if `act.input` holds a
    /// different number of samples than `x`.
    fn backward_activated<A: Activation>(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        back: Back<'_, T, Self::Out, B, Self>,
        act: Before<'_, '_, A, T, I, B>,
    ) -> Result<()> {
        check_batch(act.input.ncols(), x.ncols())?;
        self.backward_into(x, ws, back.grad_out, back.grad)?;
        resize(act.grad, x.shape_generic().1);
        let gx = Self::grad_input(ws).as_slice();
        simd::activate_grad(act.act, act.input.as_slice(), gx, act.grad.as_mut_slice());
        Ok(())
    }

    /// Runs the backward pass of `next`, the layer after this one (`back.grad_out` is
    /// `∂L/∂`(its output)), then this layer's: a [`Chain`](crate::Chain)'s
    /// [`backward_into`](Self::backward_into). An activation has `next` apply its
    /// derivative ([`backward_activated`](Self::backward_activated)).
    ///
    /// # Errors
    /// As [`backward_into`](Self::backward_into) of either layer.
    fn backward_before<NO, NX>(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        next: After<'_, NX, T, Self::Out, NO, B>,
        grad: &mut Self,
    ) -> Result<()>
    where
        NO: DimName,
        NX: Forward<T, Self::Out, B, Out = NO>,
        DefaultAllocator: Allocator<NO, B>,
    {
        let After {
            layer,
            ws: ws_next,
            grad_out,
            grad: grad_next,
            grad_input,
        } = next;
        layer.backward_into(Self::output(ws), ws_next, grad_out, grad_next)?;
        let grad_mid = NX::grad_input(ws_next);
        if grad_input {
            self.backward_into(x, ws, grad_mid, grad)
        } else {
            self.backward_params(x, ws, grad_mid, grad)
        }
    }
}

/// What a backward pass gets from above: `∂L/∂output` and where `∂L/∂θ` goes.
#[derive(Debug)]
pub struct Back<'a, T: Real, O: Dim, B: Dim, L>
where
    DefaultAllocator: Allocator<O, B>,
{
    /// ∂L/∂output.
    pub grad_out: &'a OMatrix<T, O, B>,
    /// Where ∂L/∂θ is written.
    pub grad: &'a mut L,
}

/// The activation before a layer, in [`Forward::backward_activated`]: the activation, its
/// input, and its input gradient to write.
#[derive(Debug)]
pub struct Before<'a, 'b, A, T: Real, I: Dim, B: Dim>
where
    DefaultAllocator: Allocator<I, B>,
{
    /// The activation.
    pub act: &'a A,
    /// Its input (the output of the layer before it).
    pub input: &'b OMatrix<T, I, B>,
    /// Its input gradient, `∂L/∂input`: written.
    pub grad: &'b mut OMatrix<T, I, B>,
}

/// The layer after this one, in [`Forward::backward_before`]: the layer, its workspace,
/// `∂L/∂`(its output), its gradient to write, and whether this layer's input gradient is
/// wanted.
#[derive(Debug)]
pub struct After<'a, NX, T: Real, M: Dim, NO: Dim, B: Dim>
where
    NX: Forward<T, M, B, Out = NO>,
    M: DimName,
    DefaultAllocator: Allocator<M, B> + Allocator<NO, B>,
{
    /// The next layer.
    pub layer: &'a NX,
    /// Its workspace.
    pub ws: &'a mut NX::Workspace,
    /// ∂L/∂(its output).
    pub grad_out: &'a OMatrix<T, NO, B>,
    /// Where its ∂L/∂θ is written.
    pub grad: &'a mut NX,
    /// Whether ∂L/∂(this layer's input) is wanted: `false` runs this layer's
    /// [`backward_params`](Forward::backward_params).
    pub grad_input: bool,
}
