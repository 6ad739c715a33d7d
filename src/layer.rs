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
//!  x ──forward_train──▶ (y, cache) ──loss──▶ dL/dy
//!  dL/dx, grad ◀──backward(x, cache, dL/dy)──┘
//!  optimizer.step(&mut net, &grad)
//! ```
//!
//! A batch is a matrix with one sample per **column**: `OMatrix<T, Const<IN>, B>`, where `B`
//! is `U1` (one sample, an `SVector`), `Const<N>` (a fixed batch, an `SMatrix`) or `Dyn`
//! (a runtime-sized batch, needs the `alloc` feature). One generic code path serves all
//! three; the static ones never touch the heap.
//!
//! What backward needs from forward is returned as a value (the *cache*), never stored in
//! the layer, so inference only needs `&self` and a network can be shared between threads.
//! The gradient of a layer has the layer's own type: a [`Dense`](crate::Dense) full of
//! `∂L/∂W` and `∂L/∂b`.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use crate::{Real, Result};

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
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run on `{T}` inputs of width `{I}`",
    label = "input width or scalar type does not match the network",
    note = "the input matrix must have one row per input feature, one column per sample"
)]
pub trait Forward<T: Real, I: DimName, B: Dim>: Layer<I> + Params<T>
where
    DefaultAllocator: Allocator<I, B> + Allocator<Self::Out, B>,
{
    /// What the training forward pass keeps for backward (for a chain: its intermediate
    /// activations). Owned and explicit: a layer holds no hidden state.
    type Cache;

    /// Inference: computes the output for every sample (column) of `x`.
    fn forward(&self, x: &OMatrix<T, I, B>) -> OMatrix<T, Self::Out, B>;

    /// Training forward pass: the output plus what [`backward`](Self::backward) needs.
    fn forward_train(&self, x: &OMatrix<T, I, B>) -> (OMatrix<T, Self::Out, B>, Self::Cache);

    /// Backward pass. Given the input `x` and `cache` from [`forward_train`](Self::forward_train)
    /// and `grad_out` = ∂L/∂output, returns ∂L/∂x and the parameter gradient ∂L/∂θ (a value
    /// of the layer's own type).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) if `grad_out` holds a different
    /// number of samples than `x` (only possible with runtime-sized batches).
    fn backward(
        &self,
        x: &OMatrix<T, I, B>,
        cache: &Self::Cache,
        grad_out: &OMatrix<T, Self::Out, B>,
    ) -> Result<(OMatrix<T, I, B>, Self)>;
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
