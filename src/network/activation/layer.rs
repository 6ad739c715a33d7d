//! What makes an activation a layer: blanket impls of [`Params`], [`Init`] and [`Forward`]
//! (with the neighbour hooks that fuse it into the layers around it), one mechanism for the
//! built-in activations and yours.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};
use rand::Rng;

use super::Activation;
use crate::layer::{
    After, Back, Before, Buffers, CONSTANTS, Forward, Layer, Params, TensorKey, check_batch, resize,
};
use crate::{Init, InitScheme, Real, Result, simd};

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
