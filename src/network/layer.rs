//! The traits every layer implements, and how data flows through them.
//!
//! | trait            | question                                        | who implements it |
//! |------------------|-------------------------------------------------|-------------------|
//! | [`Layer<I, T>`]  | given input width `I` in scalar `T`, what width comes out? | every layer (checked at compile time) |
//! | [`Params<T>`]    | which numbers does it hold?                     | every layer ([`params!`](crate::params) writes it) |
//! | [`Forward`]      | forward, and backward written by hand           | every layer |
//! | [`Net`]          | what input width and scalar does a whole network take? | layers with a fixed input width, [`Chain`](crate::Chain) |
//! | [`Activation`](crate::Activation) | `f` and `f'`, element by element | your activations (the rest follows) |
//!
//! Widths are nalgebra type-level dimensions (`Const<64>`), so shape mistakes are
//! trait-bound errors: [`Chain`](crate::Chain) demands `B: Layer<output width of A, scalar
//! of A>` in its *definition*, which makes a mis-shaped network — or one that mixes `f32`
//! and `f64` layers — fail to compile wherever its type is used, naming both widths (or both
//! scalar types).
//!
//! # Writing your own layer
//!
//! A layer is a struct with its parameters and three impls: its shape ([`Layer`]), its
//! tensors ([`Params`], one line with [`params!`](crate::params)) and its passes
//! ([`Forward`]: a workspace type, `forward_into` computing `y` from `x` into the
//! workspace, `backward_into` computing `∂L/∂θ` and `∂L/∂x` from `∂L/∂y`). Every sample is
//! one column. The layer then works in [`net!`](crate::net) and [`Net::then`], with the
//! [`Trainer`](crate::Trainer), every optimizer and model files, and
//! [`gradcheck`](crate::gradcheck) proves its backward pass. (Add
//! [`Init`](crate::Init) if `Init::init` should build it.) Here is a learnable
//! per-feature scale, `y = s ⊙ x`:
//!
//! ```
//! use constnet::{params, Forward, Layer, Result};
//! use constnet::layer::{Buffers, check_batch, resize};
//! use constnet::nalgebra::{allocator::Allocator, Const, DefaultAllocator, Dim, OMatrix, SVector};
//!
//! #[derive(Clone, Debug)]
//! struct Scale<const N: usize> { s: SVector<f64, N> }
//!
//! impl<const N: usize> Layer<Const<N>, f64> for Scale<N> { type Out = Const<N>; }
//!
//! params!(impl[const N: usize] Params<f64> for Scale<N> { s: SVector<f64, N> });
//!
//! impl<const N: usize, B: Dim> Forward<f64, Const<N>, B> for Scale<N>
//! where
//!     DefaultAllocator: Allocator<Const<N>, B>,
//! {
//!     type Workspace = Buffers<f64, Const<N>, Const<N>, B>;
//!
//!     fn forward_into(&self, x: &OMatrix<f64, Const<N>, B>, ws: &mut Self::Workspace) {
//!         resize(&mut ws.output, x.shape_generic().1);         // allocates once, not per step
//!         for (mut y, x) in ws.output.column_iter_mut().zip(x.column_iter()) {
//!             y.zip_zip_apply(&x, &self.s, |y, x, s| *y = s * x); // y = s ⊙ x
//!         }
//!     }
//!
//!     fn backward_into(
//!         &self, x: &OMatrix<f64, Const<N>, B>, ws: &mut Self::Workspace,
//!         gy: &OMatrix<f64, Const<N>, B>, grad: &mut Self,
//!     ) -> Result<()> {
//!         check_batch(gy.ncols(), x.ncols())?;                 // Dyn batches can differ
//!         ws.resize(x.shape_generic().1);
//!         grad.s.fill(0.0);                                    // ∂L/∂s = Σ_samples x ⊙ g
//!         for ((x, g), mut gx) in x.column_iter().zip(gy.column_iter())
//!             .zip(ws.grad_input.column_iter_mut())
//!         {
//!             grad.s.zip_zip_apply(&x, &g, |d, x, g| *d += x * g);
//!             gx.zip_zip_apply(&g, &self.s, |d, g, s| *d = s * g); // ∂L/∂x = s ⊙ g
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let scale = Scale::<3> { s: SVector::from([0.5, -2.0, 3.0]) };
//! let x = SVector::<f64, 3>::from([1.0, 2.0, -1.0]);
//! assert!(constnet::gradcheck::check(&scale, &x, &SVector::from([1.0, 0.3, -0.7])).is_ok());
//! type Model = constnet::net![constnet::Dense<1, 3, f64>, Scale<3>, constnet::Dense<3, 1, f64>];
//! ```
//!
//! A wrapper around other layers (see `Residual<L>` in `examples/02_custom_layer.rs`) lists
//! the inner network as its one field in [`params!`](crate::params), which also forwards
//! [`Params::frozen`], so optimizers keep leaving its inner constants alone; its workspace
//! is `(the inner network's workspace, Buffers)`.
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
//! What backward needs from forward (each layer's input and output) lives in a
//! caller-owned [`Workspace`], never in the layer, so inference only needs `&self` and a
//! network can be shared between threads. The gradient of a layer has the layer's own type:
//! a [`Dense`](crate::Dense) full of `∂L/∂W` and `∂L/∂b`.
//!
//! # Activations fused into their neighbours
//!
//! An activation is one cheap operation per value, so as a pass of its own it costs about
//! what reading and writing the batch costs (~15% of a training epoch of the seed network).
//! So a [`Dense`](crate::Dense) followed by an activation applies it as its kernels write
//! their output, and a `Dense` after an activation applies `f'` as it writes its input
//! gradient. That protocol is a set of *neighbour hooks* in [`Forward`] whose every method
//! has a correct default (run the two layers one after the other):
//! [`Dense`](crate::Dense) and [`Chain`](crate::Chain) override them by hand, and every
//! [`Activation`](crate::Activation) gets overrides from its blanket impl, so your
//! activations fuse too, and your layers need write nothing for it.
//!
//! The other design, `Dense<IN, OUT, T, A>` with the activation inside the layer as Keras
//! writes it, needs no protocol at all: the layer applies `A` in its forward epilogue and
//! `A'` to its incoming gradient before its backward products. Its costs: every network's
//! spelling and exported type change (`Dense<64, 64, f32, Relu>` instead of the math's
//! `Dense → ReLU → Dense`, and away from PyTorch's `nn.Sequential` order, which the
//! safetensors import relies on), and `A'` becomes a pass over the gradient of its own
//! unless the tiled kernels learn to fold it into their operand loads, where today it is
//! folded into the epilogue of the next layer's `Wᵀ·G` kernel that was measured. We kept
//! the measured kernels and the spelling. Fused and unfused runs give the same bits
//! (`tests/it/fusion.rs`).

use nalgebra::{Const, DimName, OMatrix};

use crate::Real;

mod forward;
mod params;
mod workspace;

pub use forward::{After, Back, Before, Forward};
pub use params::{CONSTANTS, Params, TensorKey};
pub use workspace::{Buffers, Workspace, check_batch, resize};

/// Shape contract: this layer accepts inputs of width `I` in scalar type `T` and produces
/// width [`Self::Out`].
///
/// Width-preserving layers (activations) implement it for every `I`; a
/// [`Dense<IN, OUT, T>`](crate::Dense) only for `I = Const<IN>` and its own `T`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take `{T}` inputs of width `{I}`",
    label = "expects a different input width or scalar type than `{I}` of `{T}`",
    note = "each layer's input width must equal the output width of the layer before it, \
            and every layer of a network must use the same scalar type (f32 or f64)"
)]
pub trait Layer<I: DimName, T: Real> {
    /// The output width.
    type Out: DimName;
}

/// A network (or a single layer) whose input width and scalar type are fixed: it can start
/// a chain.
///
/// Activations are not `Net`s: they take the width of whatever precedes them.
pub trait Net: Layer<<Self as Net>::In, <Self as Net>::Scalar> + Sized {
    /// The input width.
    type In: DimName;
    /// The scalar type, `f32` or `f64`.
    type Scalar: Real;

    /// Appends `next`, which must accept this network's output width and scalar type.
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
    #[must_use]
    fn then<L: Layer<OutOf<Self>, Self::Scalar>>(self, next: L) -> crate::Chain<Self, L> {
        crate::Chain::new(self, next)
    }
}

/// The output width of a [`Net`].
pub type OutOf<N> = <N as Layer<<N as Net>::In, <N as Net>::Scalar>>::Out;

/// The workspace of network `N` for batches of type `B` (default: one sample):
/// `WorkspaceOf<SeedNet, Const<16>>` for a fixed batch of 16, instead of
/// `<SeedNet as Forward<f32, Const<1>, Const<16>>>::Workspace`.
///
/// ```
/// use constnet::{net, Dense, Forward, Relu, layer::{InputOf, OutputOf, WorkspaceOf}};
/// use constnet::nalgebra::Const;
///
/// type SeedNet = net![Dense<1, 16>, Relu, Dense<16, 1>];
/// let model: SeedNet = constnet::Params::zeros();
/// let mut ws: WorkspaceOf<SeedNet, Const<8>> = SeedNet::workspace(Const::<8>);
/// let x = InputOf::<SeedNet, Const<8>>::zeros();
/// model.forward_into(&x, &mut ws);
/// let y: &OutputOf<SeedNet, Const<8>> = SeedNet::output(&ws);
/// ```
pub type WorkspaceOf<N, B = nalgebra::U1> =
    <N as Forward<<N as Net>::Scalar, <N as Net>::In, B>>::Workspace;

/// A batch of inputs of network `N` (default: one sample).
pub type InputOf<N, B = nalgebra::U1> = OMatrix<<N as Net>::Scalar, <N as Net>::In, B>;

/// A batch of outputs of network `N` (default: one sample).
pub type OutputOf<N, B = nalgebra::U1> = OMatrix<<N as Net>::Scalar, OutOf<N>, B>;

/// A network from `IN` to `OUT` features in scalar `T`: the type to return from a function
/// that builds part of a network, so the caller still sees its widths.
///
/// `impl Net` alone hides the output width, so `.then(…)` on it cannot be checked;
/// `impl Network<1, 8>` keeps it:
///
/// ```
/// use constnet::{Dense, Net, Network, Relu};
///
/// fn encoder() -> impl Network<1, 8> {
///     Dense::<1, 8>::zeros().then(Relu)
/// }
/// let model = encoder().then(Dense::<8, 1>::zeros());
/// ```
///
/// Add the capabilities you use: to run what it returns inside a bigger network, the
/// parts of a [`Chain`](crate::Chain) implement [`Forward`] for the batch type:
///
/// ```
/// use constnet::{Dense, Forward, Net, Network, Relu};
/// use constnet::nalgebra::{Const, SVector, U1};
///
/// fn encoder() -> impl Network<1, 8> + Forward<f32, Const<1>, U1> {
///     Dense::<1, 8>::zeros().then(Relu)
/// }
/// let y = encoder().then(Dense::<8, 1>::zeros()).forward(&SVector::from([0.5]));
/// ```
pub trait Network<const IN: usize, const OUT: usize, T: Real = f32>:
    Net<In = Const<IN>, Scalar = T> + Layer<Const<IN>, T, Out = Const<OUT>>
{
}

impl<N, const IN: usize, const OUT: usize, T: Real> Network<IN, OUT, T> for N where
    N: Net<In = Const<IN>, Scalar = T> + Layer<Const<IN>, T, Out = Const<OUT>>
{
}
