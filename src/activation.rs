//! Element-wise activations: [`Relu`], [`Sigmoid`], [`Tanh`], [`Identity`].
//!
//! Each is a zero-sized type that takes any width and keeps it. Backward multiplies the
//! upstream gradient by the derivative at the layer's input `x` (passed back in by the
//! chain), so activations need no cache and hold no state.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};
use rand::Rng;

use crate::layer::{Forward, Layer, Params, check_batch};
use crate::{Init, InitScheme, Real, Result};

/// An element-wise function and its derivative.
pub trait Activation {
    /// `f(x)`.
    fn f<T: Real>(x: T) -> T;
    /// `f'(x)`.
    fn df<T: Real>(x: T) -> T;
}

/// Rectified linear unit, `max(x, 0)`. Its derivative at 0 is taken as 0.
///
/// ```
/// use constnet::{Activation, Relu};
/// assert_eq!(Relu::f(-2.0f32), 0.0);
/// assert_eq!(Relu::df(0.0f32), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

/// Logistic sigmoid, `1 / (1 + e^-x)`; finite for every finite input (no overflow at ±1000).
///
/// ```
/// use constnet::{Activation, Sigmoid};
/// assert_eq!(Sigmoid::f(1000.0f32), 1.0);
/// assert_eq!(Sigmoid::f(-1000.0f32), 0.0);
/// assert_eq!(Sigmoid::df(-1000.0f32), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

/// Hyperbolic tangent.
///
/// ```
/// use constnet::{Activation, Tanh};
/// assert_eq!(Tanh::f(0.0f64), 0.0);
/// assert_eq!(Tanh::df(0.0f64), 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

/// The identity, `f(x) = x` (a linear output, spelled out).
///
/// ```
/// use constnet::{Activation, Identity};
/// assert_eq!(Identity::f(3.0f32), 3.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity;

impl Activation for Relu {
    #[inline]
    fn f<T: Real>(x: T) -> T {
        if x > T::zero() { x } else { T::zero() }
    }
    #[inline]
    fn df<T: Real>(x: T) -> T {
        if x > T::zero() { T::one() } else { T::zero() }
    }
}

impl Activation for Sigmoid {
    #[inline]
    fn f<T: Real>(x: T) -> T {
        // Only ever exponentiate a non-positive number, so e^|x| never overflows.
        if x >= T::zero() {
            T::one() / (T::one() + (-x).exp())
        } else {
            let e = x.exp();
            e / (T::one() + e)
        }
    }
    #[inline]
    fn df<T: Real>(x: T) -> T {
        let s = Self::f(x);
        s * (T::one() - s)
    }
}

impl Activation for Tanh {
    #[inline]
    fn f<T: Real>(x: T) -> T {
        x.tanh()
    }
    #[inline]
    fn df<T: Real>(x: T) -> T {
        let t = x.tanh();
        T::one() - t * t
    }
}

impl Activation for Identity {
    #[inline]
    fn f<T: Real>(x: T) -> T {
        x
    }
    #[inline]
    fn df<T: Real>(_: T) -> T {
        T::one()
    }
}

/// Implements the layer traits for an [`Activation`]: any width in, same width out.
macro_rules! activation_layer {
    ($($act:ident),*) => {$(
        impl<D: DimName> Layer<D> for $act {
            type Out = D;
        }

        impl<T: Real> Params<T> for $act {
            const TENSORS: usize = 0;
            fn shape(_: usize) -> (usize, usize) {
                (0, 0)
            }
            fn tensor(&self, _: usize) -> &[T] {
                &[]
            }
            fn tensor_mut(&mut self, _: usize) -> &mut [T] {
                &mut []
            }
            fn zeros() -> Self {
                $act
            }
        }

        impl<T: Real> Init<T> for $act {
            fn init<R: Rng + ?Sized>(_: &mut R, _: InitScheme) -> Self {
                $act
            }
        }

        impl<T: Real, D: DimName, N: Dim> Forward<T, D, N> for $act
        where
            DefaultAllocator: Allocator<D, N>,
        {
            type Cache = ();

            fn forward(&self, x: &OMatrix<T, D, N>) -> OMatrix<T, D, N> {
                x.map(<$act as Activation>::f)
            }

            fn forward_train(&self, x: &OMatrix<T, D, N>) -> (OMatrix<T, D, N>, ()) {
                (self.forward(x), ())
            }

            fn backward(
                &self,
                x: &OMatrix<T, D, N>,
                _: &(),
                grad_out: &OMatrix<T, D, N>,
            ) -> Result<(OMatrix<T, D, N>, Self)> {
                check_batch(grad_out.ncols(), x.ncols())?;
                let grad_x = grad_out.zip_map(x, |g, x| g * <$act as Activation>::df(x));
                Ok((grad_x, $act))
            }
        }
    )*};
}

activation_layer!(Relu, Sigmoid, Tanh, Identity);
