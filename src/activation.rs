//! Element-wise activations: [`Relu`], [`Sigmoid`], [`Tanh`], [`Identity`].
//!
//! Each is a zero-sized type that takes any width and keeps it. Backward multiplies the
//! upstream gradient by the derivative at the layer's input `x` (passed back in by the
//! chain), so activations hold no state. Forward and backward run over the matrices'
//! contiguous storage as plain slices, which the compiler vectorises, for the widest vector
//! unit of the CPU chosen at run time (element-wise, so every choice gives the same bits).

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};
use rand::Rng;

use crate::layer::{Buffers, Forward, Layer, Params, check_batch, fit_batch};
use crate::{Init, InitScheme, Real, Result, simd};

/// An element-wise function and its derivative.
pub trait Activation {
    /// `f(x)`.
    fn f<T: Real>(x: T) -> T;
    /// `f'(x)`.
    fn df<T: Real>(x: T) -> T;
}

/// Rectified linear unit, `max(x, 0)`. Its derivative at 0 is taken as 0; NaN stays NaN.
///
/// ```
/// use constnet::{Activation, Relu};
/// assert_eq!(Relu::f(-2.0f32), 0.0);
/// assert_eq!(Relu::df(0.0f32), 0.0);
/// assert!(Relu::f(f32::NAN).is_nan());
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
        // Written so NaN passes through (a NaN compares false): damage shows, never hides.
        if x < T::zero() { T::zero() } else { x }
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
            type Workspace = Buffers<T, D, D, N>;

            fn workspace(batch: N) -> Self::Workspace {
                Buffers::new(batch)
            }

            fn output(ws: &Self::Workspace) -> &OMatrix<T, D, N> {
                &ws.output
            }

            fn grad_input(ws: &Self::Workspace) -> &OMatrix<T, D, N> {
                &ws.grad_input
            }

            fn forward(&self, x: &OMatrix<T, D, N>) -> OMatrix<T, D, N> {
                x.map(<$act as Activation>::f)
            }

            fn forward_into(&self, x: &OMatrix<T, D, N>, ws: &mut Self::Workspace) {
                fit_batch(&mut ws.output, x.shape_generic().1);
                simd::activate::<T, $act>(x.as_slice(), ws.output.as_mut_slice());
            }

            fn backward_into(
                &self,
                x: &OMatrix<T, D, N>,
                ws: &mut Self::Workspace,
                grad_out: &OMatrix<T, D, N>,
                _: &mut Self,
                grad_input: bool,
            ) -> Result<()> {
                check_batch(grad_out.ncols(), x.ncols())?;
                if grad_input {
                    fit_batch(&mut ws.grad_input, x.shape_generic().1);
                    let gx = ws.grad_input.as_mut_slice();
                    simd::activate_grad::<T, $act>(x.as_slice(), grad_out.as_slice(), gx);
                }
                Ok(())
            }

            /// Has `prev` apply this activation as it writes its output.
            fn forward_after<PI, P>(
                &self,
                prev: &P,
                x: &OMatrix<T, PI, N>,
                ws_prev: &mut P::Workspace,
                ws: &mut Self::Workspace,
            ) where
                PI: DimName,
                P: Forward<T, PI, N, Out = D>,
                DefaultAllocator: Allocator<PI, N>,
            {
                prev.forward_activated::<$act>(x, ws_prev, &mut ws.output);
            }

            /// Has `prev` apply this activation as it writes its output.
            fn infer_after<PI, P>(&self, prev: &P, x: &OMatrix<T, PI, N>) -> OMatrix<T, D, N>
            where
                PI: DimName,
                P: Forward<T, PI, N, Out = D>,
                DefaultAllocator: Allocator<PI, N>,
            {
                prev.infer_activated::<$act>(x)
            }

            /// Has `next` apply this activation's derivative as it writes its input gradient.
            fn backward_before<NO, NX>(
                &self,
                next: &NX,
                x: &OMatrix<T, D, N>,
                ws: &mut Self::Workspace,
                ws_next: &mut NX::Workspace,
                grad_out: &OMatrix<T, NO, N>,
                _: &mut Self,
                grad_next: &mut NX,
                grad_input: bool,
            ) -> Result<()>
            where
                NO: DimName,
                NX: Forward<T, D, N, Out = NO>,
                DefaultAllocator: Allocator<NO, N>,
            {
                let Buffers { output, grad_input: gx } = ws;
                if !grad_input {
                    // Nobody reads this activation's input gradient, nor `next`'s.
                    return next.backward_into(output, ws_next, grad_out, grad_next, false);
                }
                next.backward_activated::<$act>(output, ws_next, grad_out, grad_next, x, gx)
            }
        }
    )*};
}

activation_layer!(Relu, Sigmoid, Tanh, Identity);
