//! Element-wise activations: [`Relu`], [`LeakyRelu`], [`Sigmoid`], [`Tanh`], [`Identity`],
//! and the [`Activation`] trait that makes your own one in a few lines.
//!
//! An activation is a *value* with a function `f` and its derivative `df`. Implementing
//! [`Activation`] (and the one-line [`Layer`](crate::Layer) impl that says it keeps the width) is all it
//! takes: blanket impls make every activation a layer ([`Forward`](crate::Forward), fused into its neighbours), give it a parameter list ([`Params`](crate::Params): its constants, if any,
//! stored in model files and never trained), an [`Init`](crate::Init) (its `Default`), and firmware
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

use crate::Real;

mod builtin;
mod layer;

pub use builtin::{Identity, LeakyRelu, Relu, Sigmoid, Tanh};

/// An element-wise function `f` and its derivative `df`, as a value (so it can carry
/// parameters, e.g. [`LeakyRelu`]'s slope), for `f32` and `f64` alike.
///
/// Implement `f` and `df` and derive `Default` (what [`Init`](crate::Init) and
/// [`Params::zeros`](crate::Params::zeros)
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
