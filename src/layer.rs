//! The traits every layer implements, and how data flows through them.
//!
//! A layer answers four questions, each in its own trait:
//!
//! | trait          | question                                    | checked          |
//! |----------------|---------------------------------------------|------------------|
//! | [`Layer<I>`]   | given input width `I`, what width comes out? | at compile time  |
//! | [`Net`]        | what input width does a whole network take?  | at compile time  |
//! | [`Forward`]    | how do values and gradients flow?            | at run time      |
//! | [`Params`]     | which numbers are trainable?                 | —                |
//!
//! Widths are nalgebra type-level dimensions (`Const<64>`), so shape mistakes are
//! trait-bound errors: [`Chain`](crate::Chain) demands `B: Layer<A's output width>` in its
//! *definition*, which makes a mis-shaped network fail to compile on the line where it is
//! written, naming both widths.
//!
//! # Data flow in one training step
//!
//! ```text
//!  ws = Forward::workspace(batch)                  (once: the only allocation)
//!  x ──forward_into(x, ws)──▶ output(ws) ──loss──▶ ∂L/∂y
//!  grad ◀──backward_into(x, ws, ∂L/∂y, &mut grad)───┘
//!  optimizer.step(&mut net, &grad)
//! ```
//!
//! A batch is a matrix with one sample per **column**: `OMatrix<T, Const<IN>, B>`, where `B`
//! is `U1` (one sample, an `SVector`), `Const<N>` (a fixed batch, an `SMatrix`) or `Dyn`
//! (a runtime-sized batch, needs the `alloc` feature). One generic code path serves all
//! three; the static ones never touch the heap.
//!
//! What backward needs from forward (each layer's input, i.e. the previous layer's output)
//! lives in a caller-owned *workspace*, never in the layer, so inference only needs `&self`
//! and a network can be shared between threads.
//! The gradient of a layer has the layer's own type: a [`Dense`](crate::Dense) full of
//! `∂L/∂W` and `∂L/∂b`.
//!
//! # Activations fused into their neighbours
//!
//! An activation is one cheap operation per value, so as a pass of its own it costs about
//! what reading and writing the batch costs (~15% of a training epoch of the seed network).
//! A [`Chain`](crate::Chain) therefore asks each layer how to run *with its neighbour*:
//!
//! ```text
//!  forward:  Chain::forward_into = second.forward_after(first)
//!            Relu::forward_after(prev) = prev.forward_activated::<Relu>(…)   // A(Wx + b) in one pass
//!  (inference: Chain::forward = second.infer_after(first), the same with values)
//!  backward: Chain::backward_into = first.backward_before(second)
//!            Relu::backward_before(next) = next.backward_activated::<Relu>(…) // (Wᵀg) ⊙ A'(z) in one pass
//! ```
//!
//! All six methods have defaults that run the two layers one after the other, so a layer
//! written outside this crate needs none of them, and every fused result is bit-identical to
//! the two passes (`tests/it/fusion.rs`).

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use crate::{Activation, Real, Result, simd};

/// Shape contract: this layer accepts inputs of width `I` and produces width [`Self::Out`].
///
/// Width-preserving layers (activations) implement it for every `I`; a
/// [`Dense<IN, OUT>`](crate::Dense) only for `I = Const<IN>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take an input of width `{I}`",
    label = "expects a different input width than `{I}`",
    note = "each layer's input width must equal the output width of the layer before it"
)]
pub trait Layer<I: DimName> {
    /// The output width.
    type Out: DimName;
}

/// A network (or a single layer) whose input width is fixed: it can start a chain.
///
/// Activations are not `Net`s: they take the width of whatever precedes them.
pub trait Net: Layer<<Self as Net>::In> + Sized {
    /// The input width.
    type In: DimName;

    /// Appends `next`, which must accept this network's output width.
    ///
    /// ```
    /// use constnet::{Dense, Net, Relu};
    /// let net = Dense::<1, 8>::zeros().then(Relu).then(Dense::<8, 1>::zeros());
    /// ```
    ///
    /// A layer of the wrong width is a compile error on this line:
    ///
    /// ```compile_fail
    /// use constnet::{Dense, Net, Relu};
    /// let net = Dense::<1, 8>::zeros().then(Relu).then(Dense::<7, 1>::zeros());
    /// ```
    fn then<L: Layer<OutOf<Self>>>(self, next: L) -> crate::Chain<Self, L> {
        crate::Chain::new(self, next)
    }
}

/// The output width of a [`Net`].
pub type OutOf<N> = <N as Layer<<N as Net>::In>>::Out;

/// Trainable parameters, visited as a fixed list of column-major tensors.
///
/// Optimizers, model files and the firmware exporter all walk this list, so they work for
/// any network without knowing its layers. Tensor `i` of a gradient lines up with tensor
/// `i` of the network.
pub trait Params<T: Real>: Sized {
    /// How many tensors there are.
    const TENSORS: usize;
    /// `(rows, columns)` of tensor `i`; `(0, 0)` past the end.
    fn shape(i: usize) -> (usize, usize);
    /// Tensor `i`, column-major; empty past the end.
    fn tensor(&self, i: usize) -> &[T];
    /// Tensor `i`, mutable; empty past the end.
    fn tensor_mut(&mut self, i: usize) -> &mut [T];
    /// A value of this type with every parameter zero (a zero gradient, fresh optimizer state).
    fn zeros() -> Self;

    /// `true` if no parameter is NaN or infinite.
    ///
    /// ```
    /// use constnet::{Dense, Params};
    /// let mut layer = Dense::<2, 1>::zeros();
    /// assert!(layer.is_finite());
    /// layer.b[0] = f32::NAN;
    /// assert!(!layer.is_finite());
    /// ```
    fn is_finite(&self) -> bool {
        (0..Self::TENSORS).all(|i| self.tensor(i).iter().all(|v| v.finite()))
    }

    /// Total number of trainable scalars.
    ///
    /// ```
    /// use constnet::{net, Params, Dense, Relu};
    /// type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
    /// assert_eq!(<Seed as Params<f32>>::num_params(), 128 + 4160 + 65);
    /// ```
    fn num_params() -> usize {
        (0..Self::TENSORS)
            .map(|i| {
                let (r, c) = Self::shape(i);
                r * c
            })
            .sum()
    }
}

/// Forward and hand-written backward pass over a batch of `B` samples of width `I`.
///
/// Implemented by every layer and, through [`Chain`](crate::Chain), by every network.
/// `B` is `U1`, `Const<N>` or `Dyn`; see the [module docs](self).
///
/// The required methods work in a [`Workspace`](Self::Workspace) built once and reused for
/// every step, so a training loop allocates nothing after its first step. The provided
/// [`forward_train`](Self::forward_train) and [`backward`](Self::backward) wrap them in a
/// value-returning API for one-off use.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run on `{T}` inputs of width `{I}`",
    label = "input width or scalar type does not match the network",
    note = "the input matrix must have one row per input feature, one column per sample"
)]
pub trait Forward<T: Real, I: DimName, B: Dim>: Layer<I> + Params<T>
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
    fn forward(&self, x: &OMatrix<T, I, B>) -> OMatrix<T, Self::Out, B>;

    /// Training forward pass: fills `ws` with every layer's output. A workspace built for
    /// another batch size is resized (that allocates); same size, no allocation.
    fn forward_into(&self, x: &OMatrix<T, I, B>, ws: &mut Self::Workspace);

    /// Backward pass, written by hand per layer. Given the input `x`, the workspace filled by
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

    /// [`forward_into`](Self::forward_into), then the element-wise activation `A` on this
    /// layer's output, into `out` (`A`'s output buffer): what an activation's
    /// [`forward_after`](Self::forward_after) asks of the layer before it. A layer that can
    /// apply `A` while it writes its output ([`Dense`](crate::Dense)) saves a pass over the
    /// batch; by default it is a second pass. Either way the layer's own output is written
    /// too (the activation's backward pass reads it), and the bits are the same.
    fn forward_activated<A: Activation>(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        out: &mut OMatrix<T, Self::Out, B>,
    ) {
        self.forward_into(x, ws);
        let y = Self::output(ws);
        fit_batch(out, y.shape_generic().1);
        simd::activate::<T, A>(y.as_slice(), out.as_mut_slice());
    }

    /// Runs `prev`, the layer before this one, on `x`, then this layer on its output: a
    /// [`Chain`](crate::Chain)'s [`forward_into`](Self::forward_into). By default one after
    /// the other; an activation has `prev` apply it
    /// ([`forward_activated`](Self::forward_activated)).
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

    /// [`forward`](Self::forward), then the element-wise activation `A`: the inference twin
    /// of [`forward_activated`](Self::forward_activated), returning `A`'s output only. A
    /// [`Dense`](crate::Dense) applies `A` as it writes where its kernels can (single samples
    /// and wide layers); by default it is a second pass. The bits are the same either way.
    ///
    /// ```
    /// use constnet::{Activation, Dense, Forward, Relu};
    /// use nalgebra::{SMatrix, SVector};
    ///
    /// let layer = Dense::<2, 2>::new(SMatrix::identity(), SVector::from([0.0, -1.0]));
    /// let y = layer.infer_activated::<Relu>(&SVector::from([1.0, 0.5]));
    /// assert_eq!(y, SVector::from([1.0, 0.0])); // max(0.5 - 1, 0)
    /// ```
    fn infer_activated<A: Activation>(&self, x: &OMatrix<T, I, B>) -> OMatrix<T, Self::Out, B> {
        let mut y = self.forward(x);
        y.apply(|v| *v = A::f(*v));
        y
    }

    /// `prev`, the layer before this one, on `x`, then this layer on its output: a
    /// [`Chain`](crate::Chain)'s [`forward`](Self::forward), the inference twin of
    /// [`forward_after`](Self::forward_after). By default one after the other; an activation
    /// has `prev` apply it ([`infer_activated`](Self::infer_activated)).
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

    /// [`backward_into`](Self::backward_into) with `∂L/∂x`, passed on back through the
    /// element-wise activation `A` before this layer (whose input was `act_input`, whose
    /// output was `x`): `out = ∂L/∂x ⊙ A'(act_input)`, `A`'s input gradient. What an
    /// activation's [`backward_before`](Self::backward_before) asks of the layer after it;
    /// a [`Dense`](crate::Dense) applies `A'` while it writes, by default it is a second
    /// pass, and the bits are the same. The layer's own `∂L/∂x` may be left unwritten.
    ///
    /// # Errors
    /// As [`backward_into`](Self::backward_into), and if `act_input` holds a different
    /// number of samples than `x`.
    fn backward_activated<A: Activation>(
        &self,
        x: &OMatrix<T, I, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, Self::Out, B>,
        grad: &mut Self,
        act_input: &OMatrix<T, I, B>,
        out: &mut OMatrix<T, I, B>,
    ) -> Result<()> {
        self.backward_into(x, ws, grad_out, grad, true)?;
        check_batch(act_input.ncols(), x.ncols())?;
        fit_batch(out, x.shape_generic().1);
        let gx = Self::grad_input(ws).as_slice();
        simd::activate_grad::<T, A>(act_input.as_slice(), gx, out.as_mut_slice());
        Ok(())
    }

    /// Runs the backward pass of `next`, the layer after this one (`grad_out` is
    /// `∂L/∂`(its output)), then this layer's: a [`Chain`](crate::Chain)'s
    /// [`backward_into`](Self::backward_into). By default one after the other; an
    /// activation has `next` apply it ([`backward_activated`](Self::backward_activated)).
    ///
    /// # Errors
    /// As [`backward_into`](Self::backward_into) of either layer.
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
        NX: Forward<T, Self::Out, B, Out = NO>,
        DefaultAllocator: Allocator<NO, B>,
    {
        next.backward_into(Self::output(ws), ws_next, grad_out, grad_next, true)?;
        self.backward_into(x, ws, NX::grad_input(ws_next), grad, grad_input)
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
        self.backward_into(x, ws, grad_out, &mut grad, true)?;
        Ok((Self::grad_input(ws).clone(), grad))
    }
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
    pub fn new(batch: B) -> Self {
        Buffers {
            output: OMatrix::zeros_generic(O::name(), batch),
            grad_input: OMatrix::zeros_generic(I::name(), batch),
        }
    }
}

/// Makes `m` hold `batch` columns, reallocating only when the size differs.
pub(crate) fn fit_batch<T: Real, R: DimName, B: Dim>(m: &mut OMatrix<T, R, B>, batch: B)
where
    DefaultAllocator: Allocator<R, B>,
{
    if m.ncols() != batch.value() {
        *m = OMatrix::zeros_generic(R::name(), batch);
    }
}

/// Returns an error unless the two batches hold the same number of samples.
pub(crate) fn check_batch(found: usize, expected: usize) -> Result<()> {
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
