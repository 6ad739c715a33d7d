//! [`Forward`] for [`Dense`]: which products go to which kernels.
//!
//! - Both widths ≥ [`THIN`], a runtime-sized batch of more than 5 samples, `std`:
//!   - widths multiples of 16, on a CPU with FMA and AVX-512F (or AVX2, for `f32`): the
//!     [tiled kernels](crate::gemm) (no packing, bias as the tiles' starting value,
//!     activations applied in the same pass);
//!   - otherwise nalgebra's `gemm`, i.e. matrixmultiply (its own packing and AVX kernels).
//!     `∂W = G·Xᵀ` and `∂X = Wᵀ·G` read the transposes as zero-copy strided views (a
//!     `transpose()` copy or `tr_mul` would miss the fast path).
//! - Everything else (thin layers, fixed-size batches, single samples, `no_std`): the
//!   [kernels](crate::kernel), one sample at a time over the contiguous storage, through
//!   [`simd`] (AVX-512/AVX2 copies with the same bits as the portable one). nalgebra's
//!   generic loops for these shapes run one scalar at a time.
//!
//! The first two round differently (both use FMA, in different orders), so a training run's
//! bits depend on the CPU, as they did with matrixmultiply alone; on one machine they never
//! change.

use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, Dyn, MatrixView, MatrixViewMut, OMatrix, U1};

use super::Dense;
use crate::layer::{Back, Before, Buffers, Forward, check_batch, resize};
use crate::{Activation, Identity, Real, Result, simd};

/// Layers narrower than this on either side are *thin*: nalgebra's GEMM would not take its
/// fast path for them (it needs every dimension > 5), and an output this narrow is too few
/// lanes to vectorise across, so outputs are computed as dot products instead.
const THIN: usize = 8;

impl<const IN: usize, const OUT: usize, T: Real> Dense<IN, OUT, T> {
    /// Whether products on `n` samples of batch type `N` go to GEMM (tiled or
    /// matrixmultiply).
    fn gemm<N: Dim>(n: usize) -> bool {
        cfg!(feature = "std") && N::is::<Dyn>() && IN >= THIN && OUT >= THIN && n > 5
    }

    /// Whether products on `n` samples of batch type `N` go to the column kernels
    /// ([`simd::affine_cols`]): the one path that can write `A(W·x + b)` without `W·x + b`.
    fn columns<N: Dim>(n: usize) -> bool {
        !Self::gemm::<N>(n) && OUT >= THIN
    }

    /// `y = W·x + b` for every sample and, unless `acts` is empty, `acts = A(y)` in the same
    /// pass. Returns whether `acts` were written (if not, the caller applies `A`).
    fn affine<A: Activation, N: Dim>(
        &self,
        act: &A,
        x: &OMatrix<T, Const<IN>, N>,
        y: &mut OMatrix<T, Const<OUT>, N>,
        acts: &mut [[T; OUT]],
    ) -> bool
    where
        DefaultAllocator: Allocator<Const<IN>, N> + Allocator<Const<OUT>, N>,
    {
        let () = Self::NON_EMPTY; // a zero width cannot be chunked: fail the build instead
        let xs = x.as_slice().as_chunks::<IN>().0;
        let ys = y.as_mut_slice().as_chunks_mut::<OUT>().0;
        let b = &self.b.data.0[0];
        let w = &self.w.data.0;
        if Self::columns::<N>(x.ncols()) {
            simd::affine_cols::<T, A, IN, OUT>(act, w, b, xs, ys, acts);
            return true;
        }
        if Self::gemm::<N>(x.ncols()) {
            if simd::gemm_affine::<T, A, IN, OUT>(act, w, b, xs, ys, acts) {
                return true;
            }
            // y = b broadcast, then y += W·x in the same GEMM call (beta = 1): bias fused.
            simd::broadcast(b, ys);
            y.gemm(T::one(), &self.w, x, T::one());
            return acts.is_empty();
        }
        // Thin outputs: dot products, which need the rows of W contiguous: Wᵀ, copied once
        // per call (for a single output W is already one row).
        let wt;
        let rows = if OUT == 1 {
            self.w.as_slice().as_chunks::<IN>().0
        } else {
            wt = self.w.transpose();
            wt.as_slice().as_chunks::<IN>().0
        };
        simd::affine_rows(rows, b, xs, ys);
        acts.is_empty()
    }

    /// `∂W`, `∂b` into `grad` and, if `dx` is given, `∂L/∂x` into it, passed on back through
    /// `A` with inputs `zs` unless `zs` is empty. Returns whether `A` was applied (if not,
    /// the caller applies it).
    fn grads<A: Activation, N: Dim>(
        &self,
        act: &A,
        x: &OMatrix<T, Const<IN>, N>,
        grad_out: &OMatrix<T, Const<OUT>, N>,
        grad: &mut Self,
        dx: Option<&mut [T]>,
        zs: &[[T; IN]],
    ) -> bool
    where
        DefaultAllocator: Allocator<Const<IN>, N> + Allocator<Const<OUT>, N>,
    {
        let () = Self::NON_EMPTY;
        let xs = x.as_slice().as_chunks::<IN>().0;
        let gs = grad_out.as_slice().as_chunks::<OUT>().0;
        let db = &mut grad.b.data.0[0];
        let w = &self.w.data.0;
        if Self::gemm::<N>(x.ncols()) {
            if !simd::gemm_grad_weights(xs, gs, &mut grad.w.data.0, false) {
                grad.w.gemm(T::one(), grad_out, &transposed(x), T::zero());
            }
            simd::sum_columns(gs, db);
            let Some(dx) = dx else { return true };
            let dxs = dx.as_chunks_mut::<IN>().0;
            if simd::gemm_grad_inputs::<T, A, IN, OUT>(act, w, gs, dxs, zs) {
                return true;
            }
            let n = x.shape_generic().1;
            let mut dx = MatrixViewMut::from_slice_generic(dx, Const::<IN>, n);
            dx.gemm(T::one(), &self.w_transposed(), grad_out, T::zero());
            return zs.is_empty();
        }
        simd::grad_params(xs, gs, &mut grad.w.data.0, db);
        if let Some(dx) = dx {
            let dxs = dx.as_chunks_mut::<IN>().0;
            simd::grad_inputs::<T, A, IN, OUT>(act, w, gs, dxs, zs);
        }
        true
    }

    /// `Wᵀ` as a strided view of `W`'s storage: no copy.
    fn w_transposed(&self) -> MatrixView<'_, T, Const<IN>, Const<OUT>, Dyn, U1> {
        MatrixView::from_slice_with_strides_generic(
            self.w.as_slice(),
            Const::<IN>,
            Const::<OUT>,
            Dyn(OUT),
            U1,
        )
    }
}

impl<const IN: usize, const OUT: usize, T: Real, N: Dim> Forward<T, Const<IN>, N>
    for Dense<IN, OUT, T>
where
    DefaultAllocator: Allocator<Const<IN>, N> + Allocator<Const<OUT>, N>,
{
    type Workspace = Buffers<T, Const<IN>, Const<OUT>, N>;

    /// The kernels of [`forward_into`](Forward::forward_into), so inference and training
    /// give the same bits.
    fn forward(&self, x: &OMatrix<T, Const<IN>, N>) -> OMatrix<T, Const<OUT>, N> {
        let mut y = OMatrix::zeros_generic(Const::<OUT>, x.shape_generic().1);
        self.affine(&Identity, x, &mut y, &mut []);
        y
    }

    fn forward_into(&self, x: &OMatrix<T, Const<IN>, N>, ws: &mut Self::Workspace) {
        resize(&mut ws.output, x.shape_generic().1);
        self.affine(&Identity, x, &mut ws.output, &mut []);
    }

    /// For `Y = W·X + b·1ᵀ` over a batch `X` (`IN × n`) and `G = ∂L/∂Y` (`OUT × n`):
    ///
    /// - `∂L/∂W = G·Xᵀ`: `W[o, i]` multiplies `x_j[i]` into `y_j[o]` for every sample `j`,
    ///   so its gradient sums `g_j[o]·x_j[i]` over the samples;
    /// - `∂L/∂b = Σ_j g_j` (the row sums of `G`): `b[o]` adds into `y_j[o]` with factor 1;
    /// - `∂L/∂X = Wᵀ·G`: `x_j[i]` reaches every output `o` with factor `W[o, i]`.
    ///
    /// `grad` is overwritten, not accumulated: one call, one batch's gradient.
    fn backward_into(
        &self,
        x: &OMatrix<T, Const<IN>, N>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, Const<OUT>, N>,
        grad: &mut Self,
    ) -> Result<()> {
        check_batch(grad_out.ncols(), x.ncols())?;
        resize(&mut ws.grad_input, x.shape_generic().1);
        let dx = Some(ws.grad_input.as_mut_slice());
        self.grads(&Identity, x, grad_out, grad, dx, &[]);
        Ok(())
    }

    /// `∂L/∂W` and `∂L/∂b` only: the product `Wᵀ·G` is skipped.
    fn backward_params(
        &self,
        x: &OMatrix<T, Const<IN>, N>,
        _: &mut Self::Workspace,
        grad_out: &OMatrix<T, Const<OUT>, N>,
        grad: &mut Self,
    ) -> Result<()> {
        check_batch(grad_out.ncols(), x.ncols())?;
        self.grads(&Identity, x, grad_out, grad, None, &[]);
        Ok(())
    }

    /// One report, `Dense IN→OUT`, owning `W` and `b`.
    #[cfg(feature = "alloc")]
    fn report(
        &self,
        _: &OMatrix<T, Const<IN>, N>,
        _: &Self::Workspace,
        out: &mut alloc::vec::Vec<crate::diagnose::LayerReport>,
    ) {
        let name = alloc::format!("Dense {IN}→{OUT}");
        out.push(crate::diagnose::LayerReport::new(name, 2));
    }

    // The neighbour hooks: an activation after this layer is applied as its kernels write
    // the output, an activation before it has `f'` applied as `∂L/∂x` is written.

    /// Applies `act` as the output is written where
    /// [`forward_activated`](Forward::forward_activated) does (tiled and column kernels),
    /// else in a second pass; the column kernels (single samples, small batches) write only
    /// `act(W·x + b)`.
    fn infer_activated<A: Activation>(
        &self,
        act: &A,
        x: &OMatrix<T, Const<IN>, N>,
    ) -> OMatrix<T, Const<OUT>, N> {
        let n = x.shape_generic().1;
        let mut y = OMatrix::zeros_generic(Const::<OUT>, n);
        let acts = y.as_mut_slice().as_chunks_mut::<OUT>().0;
        if Self::columns::<N>(n.value()) {
            let xs = x.as_slice().as_chunks::<IN>().0;
            let (w, b) = (&self.w.data.0, &self.b.data.0[0]);
            simd::affine_cols::<T, A, IN, OUT>(act, w, b, xs, &mut [], acts);
            return y;
        }
        // The other kernels write `W·x + b` first (or only): a buffer of its own.
        let mut z = OMatrix::zeros_generic(Const::<OUT>, n);
        if !self.affine(act, x, &mut z, acts) {
            simd::activate(act, z.as_slice(), y.as_mut_slice());
        }
        y
    }

    /// Applies `act` as the output is written (tiled kernels and wide column kernels), or
    /// in a second pass (matrixmultiply, thin outputs).
    fn forward_activated<A: Activation>(
        &self,
        act: &A,
        x: &OMatrix<T, Const<IN>, N>,
        ws: &mut Self::Workspace,
        out: &mut OMatrix<T, Const<OUT>, N>,
    ) {
        resize(&mut ws.output, x.shape_generic().1);
        resize(out, x.shape_generic().1);
        let acts = out.as_mut_slice().as_chunks_mut::<OUT>().0;
        if !self.affine(act, x, &mut ws.output, acts) {
            simd::activate(act, ws.output.as_slice(), out.as_mut_slice());
        }
    }

    /// Applies `act'` as `∂L/∂x` is written (tiled and column kernels), or in a second
    /// pass (matrixmultiply). This layer's own `∂L/∂x` is then left unwritten.
    fn backward_activated<A: Activation>(
        &self,
        x: &OMatrix<T, Const<IN>, N>,
        _: &mut Self::Workspace,
        back: Back<'_, T, Const<OUT>, N, Self>,
        act: Before<'_, '_, A, T, Const<IN>, N>,
    ) -> Result<()> {
        check_batch(back.grad_out.ncols(), x.ncols())?;
        check_batch(act.input.ncols(), x.ncols())?;
        resize(act.grad, x.shape_generic().1);
        let zs = act.input.as_slice().as_chunks::<IN>().0;
        let out = Some(act.grad.as_mut_slice());
        if !self.grads(act.act, x, back.grad_out, back.grad, out, zs) {
            simd::activate_grad_in_place(act.act, act.input.as_slice(), act.grad.as_mut_slice());
        }
        Ok(())
    }
}

/// `xᵀ` as a strided view of `x`'s column-major storage: no copy, and nalgebra hands
/// strided views to its GEMM kernel.
fn transposed<T: Real, const IN: usize, N: Dim>(
    x: &OMatrix<T, Const<IN>, N>,
) -> MatrixView<'_, T, N, Const<IN>, Dyn, U1>
where
    DefaultAllocator: Allocator<Const<IN>, N>,
{
    let n = x.shape_generic().1;
    MatrixView::from_slice_with_strides_generic(x.as_slice(), n, Const::<IN>, Dyn(IN), U1)
}
