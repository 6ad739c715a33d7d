//! One optimisation step (forward, MSE, backward, update) on a batch, with every buffer
//! allocated once per run.
//!
//! A batch larger than [`BLOCK`] samples runs forward and backward block by block, summing
//! the blocks' gradients before the one update: the same full-batch step, but each block's
//! activations and gradients (about 2 KiB per sample for 64-wide layers) stay in the CPU's
//! L2 cache instead of streaming through memory, so the time per sample does not grow with
//! the batch, and the buffers stay small. A batch of at most [`BLOCK`] samples is one block
//! and computes exactly what an unblocked step does.

use core::ops::Range;

use nalgebra::{Const, Dyn, OMatrix};

use crate::layer::{Params, fit_batch};
use crate::{Forward, Optimizer, Real, Result, loss};

/// Samples per forward/backward pass of [`fit`](super::fit): larger batches run in blocks
/// of this many samples (and one smaller block for the rest).
///
/// Measured on the seed network (64 wide, f32, AVX-512, 2 MiB L2): 256 was fastest at
/// N = 1 000 and 10 000 among 128…2 048 (7% and 14% faster than 1 024).
pub(crate) const BLOCK: usize = 256;

/// Computes the batch gradient `∂L/∂θ` of the MSE: serially ([`Blocks`]) or split over
/// threads (`super::parallel`).
pub(super) trait Gradient<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize>
{
    /// Fills [`grad`](Self::grad) with the gradient of the squared error over `x`, `y`
    /// (∂L/∂prediction = `scale`·(prediction − target)) and returns the sum of squared
    /// errors. If that sum is not finite, the gradient is incomplete.
    ///
    /// # Errors
    /// As [`Forward::backward_into`].
    fn gradient(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        scale: T,
    ) -> Result<T>;

    /// The gradient left by the last [`gradient`](Self::gradient).
    fn grad(&self) -> &N;

    /// The sum of squared errors of `net` on `x`, `y`: forward passes only, in blocks,
    /// through the same buffers (no allocation if `x` has the batch size they were built
    /// for; else they are resized).
    fn sse(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
    ) -> T;
}

/// Everything one step on a batch of a given size writes.
pub(super) struct Step<T: Real, G, const IN: usize, const OUT: usize> {
    /// A mini-batch's inputs and targets, gathered from the data (empty for full batch:
    /// the step reads the data itself).
    x: OMatrix<T, Const<IN>, Dyn>,
    y: OMatrix<T, Const<OUT>, Dyn>,
    gradient: G,
}

impl<T: Real, G, const IN: usize, const OUT: usize> Step<T, G, IN, OUT> {
    /// Buffers for batches of `batch` samples, with `gradient` built for that size;
    /// `gathers` if the batches are mini-batches copied from the data.
    pub(super) fn new(gradient: G, batch: usize, gathers: bool) -> Self {
        let gathered = if gathers { batch } else { 0 };
        Step {
            x: OMatrix::zeros_generic(Const::<IN>, Dyn(gathered)),
            y: OMatrix::zeros_generic(Const::<OUT>, Dyn(gathered)),
            gradient,
        }
    }

    /// Copies the samples `indices` into this step's batch buffers.
    pub(super) fn gather(
        &mut self,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        indices: &[usize],
    ) {
        for (j, &i) in indices.iter().enumerate() {
            self.x.column_mut(j).copy_from(&x.column(i));
            self.y.column_mut(j).copy_from(&y.column(i));
        }
    }

    /// [`run`](Self::run) on the gathered batch.
    pub(super) fn run_gathered<N, O>(&mut self, net: &mut N, optimizer: &mut O) -> Result<f64>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
        G: Gradient<T, N, IN, OUT>,
        O: Optimizer<T, N>,
    {
        run(&mut self.gradient, net, optimizer, &self.x, &self.y)
    }

    /// [`Gradient::sse`] through this step's buffers.
    pub(super) fn sse<N>(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
    ) -> T
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
        G: Gradient<T, N, IN, OUT>,
    {
        self.gradient.sse(net, x, y)
    }

    /// Forward, loss, backward, update on `x`, `y`; returns the loss before the update (and
    /// skips the update when that loss is not finite).
    pub(super) fn run<N, O>(
        &mut self,
        net: &mut N,
        optimizer: &mut O,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
    ) -> Result<f64>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
        G: Gradient<T, N, IN, OUT>,
        O: Optimizer<T, N>,
    {
        run(&mut self.gradient, net, optimizer, x, y)
    }
}

fn run<T, N, G, O, const IN: usize, const OUT: usize>(
    gradient: &mut G,
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
) -> Result<f64>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    G: Gradient<T, N, IN, OUT>,
    O: Optimizer<T, N>,
{
    let count = T::cast((x.ncols() * OUT) as f64);
    let sse = gradient.gradient(net, x, y, T::cast(2.0) / count)?;
    let loss = sse / count;
    if loss.finite() {
        optimizer.step(net, gradient.grad());
    }
    Ok(loss.as_f64())
}

/// The buffers of one forward/backward pass over `BLOCK` (or fewer) samples.
struct Block<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize> {
    /// The block's inputs, copied from the batch (empty when the batch is one block).
    x: OMatrix<T, Const<IN>, Dyn>,
    workspace: N::Workspace,
    /// ∂L/∂prediction.
    grad_pred: OMatrix<T, Const<OUT>, Dyn>,
}

impl<T, N, const IN: usize, const OUT: usize> Block<T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    fn new(size: usize, copies_inputs: bool) -> Self {
        let x_cols = if copies_inputs { size } else { 0 };
        Block {
            x: OMatrix::zeros_generic(Const::<IN>, Dyn(x_cols)),
            workspace: N::workspace(Dyn(size)),
            grad_pred: OMatrix::zeros_generic(Const::<OUT>, Dyn(size)),
        }
    }
}

impl<T, N, const IN: usize, const OUT: usize> Block<T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    /// Copies the samples `start..start + len` of `x` into this block and runs `net` on them.
    fn forward(&mut self, net: &N, x: &OMatrix<T, Const<IN>, Dyn>, start: usize, len: usize) {
        fit_batch(&mut self.x, Dyn(len));
        let xs = &x.as_slice()[start * IN..(start + len) * IN];
        self.x.as_mut_slice().copy_from_slice(xs);
        net.forward_into(&self.x, &mut self.workspace);
    }
}

/// Whether `cols` are all `n` samples of a batch and fit in one block: then the passes run
/// on the batch itself, without copying it into a block.
fn one_block(n: usize, cols: &Range<usize>) -> bool {
    cols.start == 0 && cols.end == n && cols.len() <= BLOCK
}

/// The block buffers for `len` samples: `full` for a whole block, else `rest`.
fn pick<'a, B>(full: &'a mut B, rest: &'a mut B, len: usize) -> &'a mut B {
    if len == BLOCK { full } else { rest }
}

/// A full-size block, a block for the remainder, and the gradients: the serial
/// [`Gradient`].
pub(super) struct Blocks<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize>
{
    full: Block<T, N, IN, OUT>,
    rest: Block<T, N, IN, OUT>,
    /// ∂L/∂θ of the whole batch (or range).
    grad: N,
    /// ∂L/∂θ of one block after the first, added into `grad`.
    block_grad: N,
}

impl<T, N, const IN: usize, const OUT: usize> Blocks<T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    /// Buffers for batches of `batch` samples.
    pub(super) fn new(batch: usize) -> Self {
        let blocked = batch > BLOCK;
        Blocks {
            full: Block::new(batch.min(BLOCK), blocked),
            rest: Block::new(if blocked { batch % BLOCK } else { 0 }, blocked),
            grad: N::zeros(),
            block_grad: N::zeros(),
        }
    }

    /// [`Gradient::gradient`] over the samples `cols` of `x`, `y` only.
    pub(super) fn gradient_of(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        cols: Range<usize>,
        scale: T,
    ) -> Result<T> {
        let mut sse = T::zero();
        if one_block(x.ncols(), &cols) {
            let b = &mut self.full;
            fit_batch(&mut b.grad_pred, Dyn(cols.len()));
            net.forward_into(x, &mut b.workspace);
            let pred = N::output(&b.workspace).as_slice();
            sse += loss::sse_with_grad(pred, y.as_slice(), b.grad_pred.as_mut_slice(), scale);
            if sse.finite() {
                // The first layer's input gradient is never used: skip it.
                net.backward_into(x, &mut b.workspace, &b.grad_pred, &mut self.grad, false)?;
            }
            return Ok(sse);
        }
        self.blocks_gradient(net, x, y, cols, scale)
    }

    /// [`gradient_of`](Self::gradient_of) block by block, copying each block's inputs: the
    /// path for more than one block, and for a range that is not the whole batch. On one
    /// block it computes the same bits as the direct path (tested below): the routing in
    /// `one_block` only saves the copy.
    fn blocks_gradient(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        cols: Range<usize>,
        scale: T,
    ) -> Result<T> {
        let mut sse = T::zero();
        for (i, start) in cols.clone().step_by(BLOCK).enumerate() {
            let len = BLOCK.min(cols.end - start);
            let b = pick(&mut self.full, &mut self.rest, len);
            b.forward(net, x, start, len);
            fit_batch(&mut b.grad_pred, Dyn(len));
            let pred = N::output(&b.workspace).as_slice();
            let ys = &y.as_slice()[start * OUT..(start + len) * OUT];
            sse += loss::sse_with_grad(pred, ys, b.grad_pred.as_mut_slice(), scale);
            if !sse.finite() {
                continue; // no update will be made: skip the backward passes
            }
            let grad = if i == 0 {
                &mut self.grad
            } else {
                &mut self.block_grad
            };
            net.backward_into(&b.x, &mut b.workspace, &b.grad_pred, grad, false)?;
            if i > 0 {
                add(&mut self.grad, &self.block_grad);
            }
        }
        Ok(sse)
    }

    /// [`Gradient::sse`] over the samples `cols` of `x`, `y` only.
    pub(super) fn sse_of(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        cols: Range<usize>,
    ) -> T {
        if one_block(x.ncols(), &cols) {
            let b = &mut self.full;
            net.forward_into(x, &mut b.workspace);
            return loss::sse(N::output(&b.workspace).as_slice(), y.as_slice());
        }
        self.blocks_sse(net, x, y, cols)
    }

    /// [`sse_of`](Self::sse_of) block by block (as [`blocks_gradient`](Self::blocks_gradient)).
    fn blocks_sse(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        cols: Range<usize>,
    ) -> T {
        let mut sse = T::zero();
        for start in cols.clone().step_by(BLOCK) {
            let len = BLOCK.min(cols.end - start);
            let b = pick(&mut self.full, &mut self.rest, len);
            b.forward(net, x, start, len);
            let ys = &y.as_slice()[start * OUT..(start + len) * OUT];
            sse += loss::sse(N::output(&b.workspace).as_slice(), ys);
        }
        sse
    }
}

impl<T, N, const IN: usize, const OUT: usize> Gradient<T, N, IN, OUT> for Blocks<T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    fn sse(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
    ) -> T {
        self.sse_of(net, x, y, 0..x.ncols())
    }

    fn gradient(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        scale: T,
    ) -> Result<T> {
        self.gradient_of(net, x, y, 0..x.ncols(), scale)
    }

    fn grad(&self) -> &N {
        &self.grad
    }
}

impl<T, N, const IN: usize, const OUT: usize> Blocks<T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    /// The gradient, for adding another range's into it.
    #[cfg(feature = "parallel")]
    pub(super) fn grad_mut(&mut self) -> &mut N {
        &mut self.grad
    }
}

/// `total += part`, tensor by tensor.
pub(super) fn add<T: Real, N: Params<T>>(total: &mut N, part: &N) {
    for i in (0..N::TENSORS).filter(|&i| !N::frozen(i)) {
        for (t, &p) in total.tensor_mut(i).iter_mut().zip(part.tensor(i)) {
            *t += p;
        }
    }
}

#[cfg(test)]
mod tests;
