//! Element-wise activations: [`Relu`], [`LeakyRelu`], [`Sigmoid`], [`Tanh`], [`Identity`],
//! and the [`Activation`] trait that makes your own one in a few lines.
//!
//! An activation is a *value* with a function `f` and its derivative `df`. Implementing
//! [`Activation`] (and the one-line [`Layer`] impl that says it keeps the width) is all it
//! takes: blanket impls make every activation a layer ([`Forward`], fused into its neighbours), give it a parameter list ([`Params`]: its constants, if any,
//! stored in model files and never trained), an [`Init`] (its `Default`), and firmware
//! export ([`ExportRs`](crate::export::ExportRs)). A [`Dense`](crate::Dense) before it
//! applies it as it writes its output, and the `Dense` after it applies `df` as it writes
//! its input gradient (see [`layer`](crate::layer#activations-fused-into-their-neighbours)),
//! for your activations as for these.
//!
//! ```
//! use constnet::{Activation, Layer, Real};
//! use constnet::nalgebra::DimName;
//!
//! /// `x·sigmoid(x)` (SiLU).
//! #[derive(Clone, Copy, Debug, Default)]
//! struct Swish;
//!
//! // Any width in, the same width out, in f32 or f64 networks.
//! impl<D: DimName, T: Real> Layer<D, T> for Swish {
//!     type Out = D;
//! }
//!
//! impl Activation for Swish {
//!     fn f<T: Real>(&self, x: T) -> T {
//!         x * constnet::Sigmoid.f(x)
//!     }
//!     fn df<T: Real>(&self, x: T) -> T {
//!         let s = constnet::Sigmoid.f(x);
//!         s + x * s * (T::one() - s)
//!     }
//! }
//!
//! // It trains, saves, exports and fuses into the Dense layers like a built-in one.
//! type Net = constnet::net![constnet::Dense<1, 8>, Swish, constnet::Dense<8, 1>];
//! let grad = constnet::gradcheck::check(
//!     &Swish,
//!     &constnet::nalgebra::SVector::<f64, 3>::from([-1.0, 0.5, 2.0]),
//!     &constnet::nalgebra::SVector::<f64, 3>::from([1.0, 1.0, 1.0]),
//! );
//! assert!(grad.is_ok());
//! ```
//!
//! # Backward
//! For `y = f(x)` element by element, `∂L/∂x = ∂L/∂y ⊙ f'(x)`: the derivative is taken at
//! the activation's *input*, which the network keeps (it is the previous layer's output), so
//! an activation holds no state.

use core::fmt::{self, Write};

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};
use rand::Rng;

use crate::layer::{
    After, Back, Before, Buffers, CONSTANTS, Forward, Layer, Params, TensorKey, check_batch, resize,
};
use crate::{Init, InitScheme, Real, Result, simd};

/// An element-wise function `f` and its derivative `df`, as a value (so it can carry
/// parameters, e.g. [`LeakyRelu`]'s slope), for `f32` and `f64` alike.
///
/// Implement `f` and `df` and derive `Default` (what [`Init`] and [`Params::zeros`]
/// build); the rest has defaults. An activation with constants (numbers that define it but
/// are not trained) lists them in [`constants`](Self::constants) so model files store
/// them, and writes itself for export with [`write_value`](Self::write_value) (the
/// same hooks as [`ExportRs`](crate::export::ExportRs), which every activation gets from them). See the
/// [module docs](self) for an example.
pub trait Activation {
    /// `f(x)`.
    fn f<T: Real>(&self, x: T) -> T;
    /// `f'(x)`.
    fn df<T: Real>(&self, x: T) -> T;

    /// How many constants [`constants`](Self::constants) holds.
    const CONSTANTS: usize = 0;
    /// Size in bytes of the constants' scalar type (4 for `f32`, 8 for `f64`); a network
    /// of the other scalar type cannot hold this activation (a build error). `0`: no
    /// constants.
    const CONSTANT_BYTES: usize = 0;
    /// The numbers that define this activation (never trained), as `T`: saved in model
    /// files. Use [`Real::same_slice`] on your field.
    fn constants<T: Real>(&self) -> &[T] {
        &[]
    }
    /// The constants, mutable (model files load into them). Use [`Real::same_slice_mut`].
    fn constants_mut<T: Real>(&mut self) -> &mut [T] {
        &mut []
    }

    /// Writes this type's path for [`export`](crate::export): one the firmware crate can
    /// name (`my_layers::Swish`). By default `core::any::type_name`, which names it from
    /// the crate root but whose format Rust does not promise: write the path yourself to
    /// pin it.
    ///
    /// # Errors
    /// Only what `out` returns.
    fn write_type(out: &mut dyn Write) -> fmt::Result
    where
        Self: Sized,
    {
        out.write_str(core::any::type_name::<Self>())
    }

    /// Writes this value as a Rust constant expression, for [`export`](crate::export). By
    /// default the type's path, which is right for a unit struct; an activation with fields
    /// writes them (see [`LeakyRelu`]).
    ///
    /// # Errors
    /// Only what `out` returns.
    fn write_value(&self, out: &mut dyn Write) -> fmt::Result
    where
        Self: Sized,
    {
        Self::write_type(out)
    }
}

/// Rectified linear unit, `max(x, 0)`. Its derivative at 0 is taken as 0; NaN stays NaN.
///
/// ```
/// use constnet::{Activation, Relu};
/// assert_eq!(Relu.f(-2.0f32), 0.0);
/// assert_eq!(Relu.df(0.0f32), 0.0);
/// assert!(Relu.f(f32::NAN).is_nan());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

/// Leaky ReLU, `x` for `x > 0`, else `slope·x` (default slope 0.01). The slope is a value:
/// model files store it, training never changes it.
///
/// Its scalar type is the network's (`LeakyRelu<f64>` in an `f64` network).
///
/// ```
/// use constnet::{Activation, LeakyRelu};
/// assert_eq!(LeakyRelu::<f64>::default().f(-2.0f64), -0.02);
/// let steep = LeakyRelu::new(0.5f32);
/// assert_eq!((steep.f(-2.0f32), steep.df(-2.0f32), steep.df(3.0f32)), (-1.0, 0.5, 1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyRelu<T = f32> {
    /// The slope for negative inputs.
    pub slope: T,
}

/// Logistic sigmoid, `1 / (1 + e^-x)`; finite for every finite input (no overflow at ±1000).
///
/// ```
/// use constnet::{Activation, Sigmoid};
/// assert_eq!(Sigmoid.f(1000.0f32), 1.0);
/// assert_eq!(Sigmoid.f(-1000.0f32), 0.0);
/// assert_eq!(Sigmoid.df(-1000.0f32), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

/// Hyperbolic tangent.
///
/// ```
/// use constnet::{Activation, Tanh};
/// assert_eq!(Tanh.f(0.0f64), 0.0);
/// assert_eq!(Tanh.df(0.0f64), 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

/// The identity, `f(x) = x` (a linear output, spelled out).
///
/// ```
/// use constnet::{Activation, Identity};
/// assert_eq!(Identity.f(3.0f32), 3.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity;

impl Activation for Relu {
    fn write_type(out: &mut dyn Write) -> fmt::Result {
        out.write_str("constnet::Relu")
    }
    #[inline]
    fn f<T: Real>(&self, x: T) -> T {
        // Written so NaN passes through (a NaN compares false): damage shows, never hides.
        if x < T::zero() { T::zero() } else { x }
    }
    #[inline]
    fn df<T: Real>(&self, x: T) -> T {
        if x > T::zero() { T::one() } else { T::zero() }
    }
}

impl<T: Real> LeakyRelu<T> {
    /// A leaky ReLU with the given slope for negative inputs.
    #[must_use]
    pub const fn new(slope: T) -> Self {
        LeakyRelu { slope }
    }
}

impl<T: Real> Default for LeakyRelu<T> {
    /// Slope 0.01 (PyTorch's and Keras's default).
    fn default() -> Self {
        LeakyRelu::new(T::cast(0.01))
    }
}

impl<S: Real> Activation for LeakyRelu<S> {
    #[inline]
    fn f<T: Real>(&self, x: T) -> T {
        // In the network's own type `S`, the cast is exact and compiles to nothing.
        if x < T::zero() {
            x * T::cast(self.slope.as_f64())
        } else {
            x
        }
    }
    #[inline]
    fn df<T: Real>(&self, x: T) -> T {
        if x > T::zero() {
            T::one()
        } else {
            T::cast(self.slope.as_f64())
        }
    }
    const CONSTANTS: usize = 1;
    const CONSTANT_BYTES: usize = S::BYTES;
    fn constants<T: Real>(&self) -> &[T] {
        T::same_slice(core::slice::from_ref(&self.slope))
    }
    fn constants_mut<T: Real>(&mut self) -> &mut [T] {
        T::same_slice_mut(core::slice::from_mut(&mut self.slope))
    }
    fn write_type(out: &mut dyn Write) -> fmt::Result {
        write!(out, "constnet::LeakyRelu<{}>", S::NAME)
    }
    fn write_value(&self, out: &mut dyn Write) -> fmt::Result {
        out.write_str("constnet::LeakyRelu { slope: ")?;
        crate::export::write_scalar(out, self.slope)?;
        out.write_str(" }")
    }
}

impl Activation for Sigmoid {
    fn write_type(out: &mut dyn Write) -> fmt::Result {
        out.write_str("constnet::Sigmoid")
    }
    #[inline]
    fn f<T: Real>(&self, x: T) -> T {
        // Only ever exponentiate a non-positive number, so e^|x| never overflows.
        if x >= T::zero() {
            T::one() / (T::one() + (-x).exp())
        } else {
            let e = x.exp();
            e / (T::one() + e)
        }
    }
    #[inline]
    fn df<T: Real>(&self, x: T) -> T {
        let s = self.f(x);
        s * (T::one() - s)
    }
}

impl Activation for Tanh {
    fn write_type(out: &mut dyn Write) -> fmt::Result {
        out.write_str("constnet::Tanh")
    }
    #[inline]
    fn f<T: Real>(&self, x: T) -> T {
        x.tanh()
    }
    #[inline]
    fn df<T: Real>(&self, x: T) -> T {
        let t = x.tanh();
        T::one() - t * t
    }
}

impl Activation for Identity {
    fn write_type(out: &mut dyn Write) -> fmt::Result {
        out.write_str("constnet::Identity")
    }
    #[inline]
    fn f<T: Real>(&self, x: T) -> T {
        x
    }
    #[inline]
    fn df<T: Real>(&self, _: T) -> T {
        T::one()
    }
}

// What makes an activation a layer: these blanket impls, one mechanism for the built-in
// activations and yours.

/// Any width in, the same width out: the one line besides [`Activation`] that makes an
/// activation a layer. (It is not a blanket impl over every `Activation` so that a
/// mis-shaped network's error names the widths, not the `Activation` trait.)
macro_rules! width_preserving {
    ($($act:ident),*) => {$(
        impl<D: DimName, T: Real> Layer<D, T> for $act {
            type Out = D;
        }
    )*};
}

width_preserving!(Relu, Sigmoid, Tanh, Identity);

/// Only in networks of its own scalar type: `LeakyRelu<f32>` in an `f64` network fails where
/// the network is written, naming both types. (Parametrised activations of your own: do the
/// same.)
impl<D: DimName, T: Real> Layer<D, T> for LeakyRelu<T> {
    type Out = D;
}

/// The activation's constants, as one frozen column.
impl<T: Real, A: Activation + Default> Params<T> for A {
    const TENSORS: usize = if A::CONSTANTS == 0 {
        0
    } else {
        assert!(
            A::CONSTANT_BYTES == T::BYTES,
            "an activation's constants must have the network's scalar type (f32 or f64)"
        );
        1
    };
    fn shape(i: usize) -> (usize, usize) {
        if i < <Self as Params<T>>::TENSORS {
            (A::CONSTANTS, 1)
        } else {
            (0, 0)
        }
    }
    fn tensor(&self, i: usize) -> &[T] {
        if i < <Self as Params<T>>::TENSORS {
            self.constants::<T>()
        } else {
            &[]
        }
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        if i < <Self as Params<T>>::TENSORS {
            self.constants_mut::<T>()
        } else {
            &mut []
        }
    }
    fn frozen(_: usize) -> bool {
        true
    }
    /// One module, as in `nn.Sequential`; only its constants are stored.
    fn key(_: usize) -> TensorKey {
        TensorKey {
            module: 0,
            name: CONSTANTS,
            matrix: false,
        }
    }
    /// The default, with every constant zero (a zero gradient).
    fn zeros() -> Self {
        let mut a = A::default();
        a.constants_mut::<T>().fill(T::zero());
        a
    }
}

/// An activation starts as its `Default`.
impl<T: Real, A: Activation + Default> Init<T> for A {
    fn init<R: Rng + ?Sized>(_: &mut R, _: InitScheme) -> Self {
        A::default()
    }
}

/// `y = f(x)` and `∂L/∂x = ∂L/∂y ⊙ f'(x)`, over the contiguous storage as slices (which the
/// compiler vectorises, for the CPU's widest vector unit chosen at run time).
impl<T, D, B, A> Forward<T, D, B> for A
where
    T: Real,
    D: DimName,
    B: Dim,
    A: Activation + Default + Layer<D, T, Out = D>,
    DefaultAllocator: Allocator<D, B>,
{
    type Workspace = Buffers<T, D, D, B>;

    fn forward(&self, x: &OMatrix<T, D, B>) -> OMatrix<T, D, B> {
        x.map(|v| self.f(v))
    }

    fn forward_into(&self, x: &OMatrix<T, D, B>, ws: &mut Self::Workspace) {
        resize(&mut ws.output, x.shape_generic().1);
        simd::activate(self, x.as_slice(), ws.output.as_mut_slice());
    }

    /// The chain rule, element by element: `y_k = f(x_k)` depends on `x_k` alone, so
    /// `∂L/∂x_k = ∂L/∂y_k · f'(x_k)`, with `f'` taken at the *input* `x` (which the network
    /// keeps as the previous layer's output). An activation's constants are not trained:
    /// it has no parameter gradient.
    fn backward_into(
        &self,
        x: &OMatrix<T, D, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, D, B>,
        grad: &mut Self,
    ) -> Result<()> {
        check_batch(grad_out.ncols(), x.ncols())?;
        // Constants are not trained: their gradient is zero, so even a wrapper that forgets
        // to forward `Params::frozen` cannot move them.
        grad.constants_mut::<T>().fill(T::zero());
        resize(&mut ws.grad_input, x.shape_generic().1);
        let gx = ws.grad_input.as_mut_slice();
        simd::activate_grad(self, x.as_slice(), grad_out.as_slice(), gx);
        Ok(())
    }

    /// No parameters to train and nobody reads `∂L/∂x`: nothing to compute.
    fn backward_params(
        &self,
        x: &OMatrix<T, D, B>,
        _: &mut Self::Workspace,
        grad_out: &OMatrix<T, D, B>,
        grad: &mut Self,
    ) -> Result<()> {
        check_batch(grad_out.ncols(), x.ncols())?;
        grad.constants_mut::<T>().fill(T::zero());
        Ok(())
    }

    /// One report with the activation's [`Activity`](crate::diagnose::Activity): unit `r`
    /// is active on sample `c` when `df(x[r, c]) ≠ 0`, the derivative at the activation's
    /// input (where backward takes it), so an inactive unit passes no gradient back.
    #[cfg(feature = "alloc")]
    fn report(
        &self,
        x: &OMatrix<T, D, B>,
        _: &Self::Workspace,
        out: &mut alloc::vec::Vec<crate::diagnose::LayerReport>,
    ) {
        let mut active = alloc::vec![0u64; D::DIM];
        for col in x.as_slice().chunks_exact(D::DIM.max(1)) {
            for (count, &v) in active.iter_mut().zip(col) {
                *count += u64::from(self.df(v) != T::zero());
            }
        }
        let name = crate::diagnose::short_name::<A>();
        let mut report = crate::diagnose::LayerReport::new(name, <A as Params<T>>::TENSORS);
        report.activity = Some(crate::diagnose::Activity {
            samples: x.ncols() as u64,
            active,
        });
        out.push(report);
    }

    // The neighbour hooks: the layer before applies `f` as it writes its output, the layer
    // after applies `f'` as it writes its input gradient.

    fn forward_after<PI, P>(
        &self,
        prev: &P,
        x: &OMatrix<T, PI, B>,
        ws_prev: &mut P::Workspace,
        ws: &mut Self::Workspace,
    ) where
        PI: DimName,
        P: Forward<T, PI, B, Out = D>,
        DefaultAllocator: Allocator<PI, B>,
    {
        prev.forward_activated(self, x, ws_prev, &mut ws.output);
    }

    fn infer_after<PI, P>(&self, prev: &P, x: &OMatrix<T, PI, B>) -> OMatrix<T, D, B>
    where
        PI: DimName,
        P: Forward<T, PI, B, Out = D>,
        DefaultAllocator: Allocator<PI, B>,
    {
        prev.infer_activated(self, x)
    }

    fn backward_before<NO, NX>(
        &self,
        x: &OMatrix<T, D, B>,
        ws: &mut Self::Workspace,
        next: After<'_, NX, T, D, NO, B>,
        _: &mut Self,
    ) -> Result<()>
    where
        NO: DimName,
        NX: Forward<T, D, B, Out = NO>,
        DefaultAllocator: Allocator<NO, B>,
    {
        let Buffers { output, grad_input } = ws;
        let After {
            layer,
            ws: ws_next,
            grad_out,
            grad,
            ..
        } = next;
        if !next.grad_input {
            // Nobody reads this activation's input gradient, nor `next`'s.
            return layer.backward_params(output, ws_next, grad_out, grad);
        }
        let back = Back { grad_out, grad };
        let act = Before {
            act: self,
            input: x,
            grad: grad_input,
        };
        layer.backward_activated(output, ws_next, back, act)
    }
}
