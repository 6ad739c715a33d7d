//! The built-in activations: [`Relu`], [`LeakyRelu`], [`Sigmoid`], [`Tanh`], [`Identity`].

use core::fmt::{self, Write};

use nalgebra::DimName;

use super::Activation;
use crate::Real;
use crate::layer::Layer;

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
