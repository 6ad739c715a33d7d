//! The traits every layer implements, and how data flows through them.
//!
//! | trait            | question                                        | who implements it |
//! |------------------|-------------------------------------------------|-------------------|
//! | [`Layer<I, T>`]  | given input width `I` in scalar `T`, what width comes out? | every layer (checked at compile time) |
//! | [`Net`]          | what input width and scalar does a whole network take? | layers with a fixed input width, [`Chain`](crate::Chain) |
//! | [`Params<T>`]    | which numbers does it hold?                     | every layer |
//! | [`Forward`]      | forward, and backward written by hand           | every layer |
//! | [`Fuse`]         | how does it run with its neighbour?             | an empty impl for yours |
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
//! A layer is a struct with its parameters and a few small impls: its shape ([`Layer`]),
//! its parameter list ([`Params`]), its computation ([`Forward`]: `forward_into` computes
//! `y` from `x` into its workspace, `backward_into` computes `∂L/∂θ` and `∂L/∂x` from
//! `∂L/∂y`), an empty [`Fuse`], and [`Init`](crate::Init) if `Init::init` should build
//! it (with `Clone`, which [`gradcheck`](crate::gradcheck) needs). Every sample is one column. The layer then works in
//! [`net!`](crate::net) and [`Net::then`], with `train::fit`, every optimizer and model
//! files, and [`gradcheck`](crate::gradcheck) proves its backward pass. Here is a
//! learnable per-feature scale, `y = s ⊙ x`:
//!
//! ```
//! use constnet::{Forward, Fuse, Layer, Params, Result};
//! use constnet::layer::{Buffers, check_batch};
//! use constnet::nalgebra::{allocator::Allocator, Const, DefaultAllocator, Dim, OMatrix, SVector};
//!
//! #[derive(Clone, Debug)]
//! struct Scale<const N: usize> { s: SVector<f64, N> }
//!
//! impl<const N: usize> Layer<Const<N>, f64> for Scale<N> { type Out = Const<N>; }
//!
//! impl<const N: usize> Params<f64> for Scale<N> {
//!     const TENSORS: usize = 1;
//!     fn shape(i: usize) -> (usize, usize) { if i == 0 { (N, 1) } else { (0, 0) } }
//!     fn tensor(&self, i: usize) -> &[f64] { if i == 0 { self.s.as_slice() } else { &[] } }
//!     fn tensor_mut(&mut self, i: usize) -> &mut [f64] {
//!         if i == 0 { self.s.as_mut_slice() } else { &mut [] }
//!     }
//!     fn zeros() -> Self { Scale { s: SVector::zeros() } }
//! }
//!
//! impl<const N: usize, B: Dim> Forward<f64, Const<N>, B> for Scale<N>
//! where
//!     DefaultAllocator: Allocator<Const<N>, B>,
//! {
//!     type Workspace = Buffers<f64, Const<N>, Const<N>, B>;
//!     fn workspace(batch: B) -> Self::Workspace { Buffers::new(batch) }
//!     fn output(ws: &Self::Workspace) -> &OMatrix<f64, Const<N>, B> { &ws.output }
//!     fn grad_input(ws: &Self::Workspace) -> &OMatrix<f64, Const<N>, B> { &ws.grad_input }
//!
//!     fn forward_into(&self, x: &OMatrix<f64, Const<N>, B>, ws: &mut Self::Workspace) {
//!         ws.fit(x.shape_generic().1);                         // allocates once, not per step
//!         for (mut y, x) in ws.output.column_iter_mut().zip(x.column_iter()) {
//!             y.zip_zip_apply(&x, &self.s, |y, x, s| *y = s * x); // y = s ⊙ x
//!         }
//!     }
//!
//!     fn backward_into(
//!         &self, x: &OMatrix<f64, Const<N>, B>, ws: &mut Self::Workspace,
//!         gy: &OMatrix<f64, Const<N>, B>, grad: &mut Self, _grad_input: bool,
//!     ) -> Result<()> {
//!         check_batch(gy.ncols(), x.ncols())?;                 // Dyn batches can differ
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
//! // Runs beside its neighbours without fusing: the defaults.
//! impl<const N: usize, B: Dim> Fuse<f64, Const<N>, B> for Scale<N>
//! where DefaultAllocator: Allocator<Const<N>, B> {}
//!
//! let scale = Scale::<3> { s: SVector::from([0.5, -2.0, 3.0]) };
//! let x = SVector::<f64, 3>::from([1.0, 2.0, -1.0]);
//! assert!(constnet::gradcheck::check(&scale, &x, &SVector::from([1.0, 0.3, -0.7])).is_ok());
//! type Model = constnet::net![constnet::Dense<1, 3, f64>, Scale<3>, constnet::Dense<3, 1, f64>];
//! ```
//!
//! A wrapper around other layers (see `Residual<L>` in `examples/02_custom_layer.rs`) also
//! forwards [`Params::frozen`], so optimizers keep leaving its inner constants alone.

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
//! caller-owned *workspace*, never in the layer, so inference only needs `&self` and a
//! network can be shared between threads. The gradient of a layer has the layer's own type:
//! a [`Dense`](crate::Dense) full of `∂L/∂W` and `∂L/∂b`.
//!
//! # Activations fused into their neighbours
//!
//! An activation is one cheap operation per value, so as a pass of its own it costs about
//! what reading and writing the batch costs (~15% of a training epoch of the seed network).
//! So a [`Dense`](crate::Dense) followed by an activation applies it as its kernels write
//! their output, and a `Dense` after an activation applies `f'` as it writes its input
//! gradient. That protocol is [`Fuse`], a trait of its own whose every method has a correct
//! default: [`Dense`](crate::Dense) and [`Chain`](crate::Chain) override it by hand, and
//! every [`Activation`](crate::Activation) gets an override from a blanket impl, so your
//! activations fuse too. A layer of your own writes an empty impl.
//!
//! Why a trait of its own that still needs that empty impl? Rust has no specialization. A
//! blanket "every `Forward` is a `Fuse`" would forbid `Dense`'s own `Fuse`. A slimmer
//! author trait with a blanket impl into `Forward` would collide with `Dense`'s and
//! `Chain`'s own `Forward` impls (a generic trait may be implemented for them downstream,
//! so the compiler must assume overlap) and with the blanket `Forward` impl every
//! [`Activation`](crate::Activation) gets.
//!
//! The other design, `Dense<IN, OUT, T, A>` with the activation inside the layer as Keras
//! writes it, needs no protocol at all: the layer applies `A` in its forward epilogue and
//! `A'` to its incoming gradient before its backward products. Its costs: every network's
//! spelling and exported type change (`Dense<64, 64, f32, Relu>` instead of the math's
//! `Dense → ReLU → Dense`, and away from PyTorch's `nn.Sequential` order, which the
//! safetensors import relies on), and `A'` becomes a pass over the gradient of its own
//! unless the tiled kernels learn to fold it into their operand loads, where today it is
//! folded into the epilogue of the next layer's `Wᵀ·G` kernel that was measured. We kept
//! the measured kernels and the spelling, at the price of the empty impl. Fused and
//! unfused runs give the same bits (`tests/it/fusion.rs`).

use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, DimName, OMatrix};

use crate::{Real, Result};

mod forward;
mod fuse;

pub use forward::Forward;
pub use fuse::Fuse;

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
/// `WorkspaceOf<Seed, Const<16>>` for a fixed batch of 16, instead of
/// `<Seed as Forward<f32, Const<1>, Const<16>>>::Workspace`.
///
/// ```
/// use constnet::{net, Dense, Forward, Relu, layer::{InputOf, OutputOf, WorkspaceOf}};
/// use constnet::nalgebra::Const;
///
/// type Seed = net![Dense<1, 16>, Relu, Dense<16, 1>];
/// let model: Seed = constnet::Params::zeros();
/// let mut ws: WorkspaceOf<Seed, Const<8>> = Seed::workspace(Const::<8>);
/// let x = InputOf::<Seed, Const<8>>::zeros();
/// model.forward_into(&x, &mut ws);
/// let y: &OutputOf<Seed, Const<8>> = Seed::output(&ws);
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
/// parts of a [`Chain`](crate::Chain) implement [`Fuse`] for the batch type:
///
/// ```
/// use constnet::{Dense, Forward, Fuse, Net, Network, Relu};
/// use constnet::nalgebra::{Const, SVector, U1};
///
/// fn encoder() -> impl Network<1, 8> + Fuse<f32, Const<1>, U1> {
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

/// Parameters, visited as a fixed list of column-major tensors.
///
/// Optimizers, model files and the firmware exporter all walk this list, so they work for
/// any network without knowing its layers. Tensor `i` of a gradient lines up with tensor
/// `i` of the network. A [`frozen`](Self::frozen) tensor (an activation's constants, an
/// input scaling) is stored in model files but never trained.
pub trait Params<T: Real>: Sized {
    /// How many tensors there are.
    const TENSORS: usize;
    /// `(rows, columns)` of tensor `i`; `(0, 0)` past the end.
    fn shape(i: usize) -> (usize, usize);
    /// Tensor `i`, column-major; empty past the end.
    fn tensor(&self, i: usize) -> &[T];
    /// Tensor `i`, mutable; empty past the end.
    fn tensor_mut(&mut self, i: usize) -> &mut [T];
    /// A value of this type with every trainable parameter zero (a zero gradient, fresh
    /// optimizer state); frozen tensors hold their defaults.
    fn zeros() -> Self;

    /// `true` if tensor `i` is not trained: optimizers leave it alone, its gradient means
    /// nothing. `false` by default.
    ///
    /// ```
    /// use constnet::{Dense, LeakyRelu, Params};
    /// assert!(!<Dense<2, 1> as Params<f32>>::frozen(0));
    /// assert!(<LeakyRelu as Params<f32>>::frozen(0)); // its slope
    /// ```
    #[must_use]
    fn frozen(i: usize) -> bool {
        let _ = i;
        false
    }

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
    #[must_use]
    fn num_params() -> usize {
        (0..Self::TENSORS)
            .filter(|&i| !Self::frozen(i))
            .map(|i| {
                let (r, c) = Self::shape(i);
                r * c
            })
            .sum()
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
    #[must_use]
    pub fn new(batch: B) -> Self {
        Buffers {
            output: OMatrix::zeros_generic(O::name(), batch),
            grad_input: OMatrix::zeros_generic(I::name(), batch),
        }
    }

    /// Makes both buffers hold `batch` samples, reallocating only if their size differs:
    /// call it at the start of `forward_into`, and a training loop allocates nothing after
    /// its first step.
    ///
    /// ```
    /// use constnet::layer::Buffers;
    /// use nalgebra::{Const, Dyn};
    /// let mut b = Buffers::<f32, Const<3>, Const<2>, Dyn>::new(Dyn(0));
    /// b.fit(Dyn(5));
    /// assert_eq!((b.output.ncols(), b.grad_input.ncols()), (5, 5));
    /// ```
    pub fn fit(&mut self, batch: B) {
        fit_batch(&mut self.output, batch);
        fit_batch(&mut self.grad_input, batch);
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
