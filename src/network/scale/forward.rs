//! The scalers' passes: `Forward` for [`Standardize`] and [`Rescale`], element by element
//! in scikit-learn's arithmetic, with their backward passes.

use super::*;

/// `out = op(x, mean, std)` column by column, `out` resized to `x`'s batch.
fn apply<T: Real, const N: usize, B: Dim>(
    x: &OMatrix<T, Const<N>, B>,
    out: &mut OMatrix<T, Const<N>, B>,
    mean: &SVector<T, N>,
    std: &SVector<T, N>,
    op: impl Fn(T, T, T) -> T,
) where
    DefaultAllocator: Allocator<Const<N>, B>,
{
    resize(out, x.shape_generic().1);
    let columns = out.as_mut_slice().chunks_exact_mut(N);
    for (o, x) in columns.zip(x.as_slice().chunks_exact(N)) {
        for i in 0..N {
            o[i] = op(x[i], mean[i], std[i]);
        }
    }
}

/// The forward and backward passes of a scaler: `y = fwd(x, mean, std)`, `∂L/∂x =
/// back(∂L/∂y, std)`, zero gradients for the frozen tensors.
macro_rules! scaler_forward {
    ($name:ident, $fwd:expr, $back:expr) => {
        impl<const N: usize, T: Real, B: Dim> Forward<T, Const<N>, B> for $name<N, T>
        where
            DefaultAllocator: Allocator<Const<N>, B>,
        {
            type Workspace = Buffers<T, Const<N>, Const<N>, B>;

            fn forward(&self, x: &OMatrix<T, Const<N>, B>) -> OMatrix<T, Const<N>, B> {
                let mut y = x.clone();
                apply(x, &mut y, &self.mean, &self.std, $fwd);
                y
            }

            fn forward_into(&self, x: &OMatrix<T, Const<N>, B>, ws: &mut Self::Workspace) {
                apply(x, &mut ws.output, &self.mean, &self.std, $fwd);
            }

            /// Element-wise and affine: `∂L/∂x` is `∂L/∂y` times the constant slope. The
            /// frozen `mean` and `std` get zero gradients.
            fn backward_into(
                &self,
                x: &OMatrix<T, Const<N>, B>,
                ws: &mut Self::Workspace,
                grad_out: &OMatrix<T, Const<N>, B>,
                grad: &mut Self,
            ) -> Result<()> {
                self.backward_params(x, ws, grad_out, grad)?;
                let back = $back;
                let (mean, std) = (&self.mean, &self.std);
                apply(grad_out, &mut ws.grad_input, mean, std, |g, _, s| {
                    back(g, s)
                });
                Ok(())
            }

            /// Nothing to train: zero gradients for the frozen tensors.
            fn backward_params(
                &self,
                x: &OMatrix<T, Const<N>, B>,
                _: &mut Self::Workspace,
                grad_out: &OMatrix<T, Const<N>, B>,
                grad: &mut Self,
            ) -> Result<()> {
                check_batch(grad_out.ncols(), x.ncols())?;
                grad.mean.fill(T::zero());
                grad.std.fill(T::zero());
                Ok(())
            }
        }
    };
}

// sklearn's arithmetic: `X -= mean_; X /= scale_` and `X *= scale_; X += mean_`.
scaler_forward!(Standardize, standardize, divide);
scaler_forward!(Rescale, rescale, multiply);

fn standardize<T: Real>(x: T, mean: T, std: T) -> T {
    (x - mean) / std
}

fn rescale<T: Real>(y: T, mean: T, std: T) -> T {
    y * std + mean
}

/// `∂L/∂x` of [`standardize`].
fn divide<T: Real>(g: T, std: T) -> T {
    g / std
}

/// `∂L/∂x` of [`rescale`].
fn multiply<T: Real>(g: T, std: T) -> T {
    g * std
}
