//! [`Softmax`]: a classifier's logits as probabilities, for inference and export.
//!
//! For one sample, `p_k = e^{z_k − m} / Σ_j e^{z_j − m}` with `m = max_j z_j` (the same
//! value as without `m`, and no exponent overflows). Its backward pass: `∂p_k/∂z_j =
//! p_k([k = j] − p_j)`, so for an upstream gradient `g`,
//!
//! ```text
//! ∂L/∂z_j = Σ_k g_k p_k([k = j] − p_j) = p_j (g_j − Σ_k g_k p_k)
//! ```
//!
//! Train a classifier on its logits with [`CrossEntropy`](crate::CrossEntropy), which fuses
//! the softmax into the loss (stable, and its gradient is simply `p − one-hot`); put a
//! `Softmax` after the last layer of the network you run or export when you want
//! probabilities, as PyTorch users apply `softmax` outside the model. The predicted class
//! is the same with or without it.

use core::fmt::{self, Write};

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};
use rand::Rng;

use crate::export::ExportRs;
use crate::layer::{Buffers, Forward, Layer, Params, check_batch, resize};
use crate::{Init, InitScheme, Real, Result};

/// Softmax over a sample's values, any width: probabilities that sum to 1.
///
/// ```
/// use constnet::{net, Dense, Forward, Softmax};
/// use constnet::nalgebra::{SMatrix, SVector};
///
/// let p = Softmax.forward(&SVector::<f64, 3>::from([1.0, 2.0, 3.0]));
/// assert!((p.sum() - 1.0).abs() < 1e-15);
/// assert!(p[2] > p[1] && p[1] > p[0]);
/// // Logits of ±10⁴: no overflow.
/// let p = Softmax.forward(&SVector::<f32, 2>::from([1e4, -1e4]));
/// assert_eq!(p, SVector::from([1.0, 0.0]));
///
/// type Classifier = net![Dense<4, 8>, constnet::Relu, Dense<8, 3>, Softmax];
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softmax;

impl<D: DimName, T: Real> Layer<D, T> for Softmax {
    type Out = D;
}

/// No tensors: one `nn.Sequential` slot, as `nn.Softmax`.
impl<T: Real> Params<T> for Softmax {
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
        Softmax
    }
}

impl<T: Real> Init<T> for Softmax {
    fn init<R: Rng + ?Sized>(_: &mut R, _: InitScheme) -> Self {
        Softmax
    }
}

/// `y = softmax(x)` for each column, written into `y`.
fn softmax_columns<T: Real>(x: &[T], y: &mut [T], width: usize) {
    for (z, p) in x.chunks_exact(width).zip(y.chunks_exact_mut(width)) {
        let m = z.iter().fold(z[0], |m, &v| if v > m { v } else { m });
        let mut sum = T::zero();
        for (p, &z) in p.iter_mut().zip(z) {
            *p = (z - m).exp();
            sum += *p;
        }
        for p in p.iter_mut() {
            *p /= sum;
        }
    }
}

impl<T, D, B> Forward<T, D, B> for Softmax
where
    T: Real,
    D: DimName,
    B: Dim,
    DefaultAllocator: Allocator<D, B>,
{
    type Workspace = Buffers<T, D, D, B>;

    fn forward(&self, x: &OMatrix<T, D, B>) -> OMatrix<T, D, B> {
        let mut y = x.clone();
        softmax_columns(x.as_slice(), y.as_mut_slice(), D::DIM);
        y
    }

    fn forward_into(&self, x: &OMatrix<T, D, B>, ws: &mut Self::Workspace) {
        resize(&mut ws.output, x.shape_generic().1);
        softmax_columns(x.as_slice(), ws.output.as_mut_slice(), D::DIM);
    }

    /// `∂L/∂z_j = p_j (g_j − Σ_k g_k p_k)` per sample (see the [module docs](self)).
    fn backward_into(
        &self,
        x: &OMatrix<T, D, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, D, B>,
        _: &mut Self,
    ) -> Result<()> {
        check_batch(grad_out.ncols(), x.ncols())?;
        check_batch(ws.output.ncols(), x.ncols())?;
        resize(&mut ws.grad_input, x.shape_generic().1);
        let Buffers { output, grad_input } = ws;
        let columns = output.as_slice().chunks_exact(D::DIM);
        let grads = grad_out.as_slice().chunks_exact(D::DIM);
        for ((p, g), gx) in columns
            .zip(grads)
            .zip(grad_input.as_mut_slice().chunks_exact_mut(D::DIM))
        {
            let dot = p.iter().zip(g).fold(T::zero(), |s, (&p, &g)| s + p * g);
            for ((gx, &p), &g) in gx.iter_mut().zip(p).zip(g) {
                *gx = p * (g - dot);
            }
        }
        Ok(())
    }
}

impl<T: Real> ExportRs<T> for Softmax {
    fn write_type(f: &mut dyn Write) -> fmt::Result {
        f.write_str("constnet::Softmax")
    }
    fn write_value(&self, f: &mut dyn Write, _: usize) -> fmt::Result {
        f.write_str("constnet::Softmax")
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use nalgebra::{Const, Dyn, SVector};

    #[test]
    fn the_backward_pass_agrees_with_finite_differences() {
        let x =
            OMatrix::<f64, Const<4>, Dyn>::from_fn(3, |i, j| (i as f64 - 1.5) * (j as f64 + 0.5));
        let g = OMatrix::<f64, Const<4>, Dyn>::from_fn(3, |i, j| 0.3 * i as f64 - 0.2 * j as f64);
        let report = crate::gradcheck::check::<Softmax, Const<4>, Dyn>(&Softmax, &x, &g).unwrap();
        assert_eq!(report.checked, 12);
    }

    #[test]
    fn extreme_logits_stay_finite() {
        let p = Softmax.forward(&SVector::<f32, 3>::from([1e4, -1e4, 1e4]));
        assert_eq!(p, SVector::from([0.5, 0.0, 0.5]));
    }
}
