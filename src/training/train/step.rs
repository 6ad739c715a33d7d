//! One optimisation step (forward, loss, backward, update) on a batch, with every buffer
//! allocated once per run.
//!
//! A batch larger than [`BLOCK`] samples runs forward and backward block by block, summing
//! the blocks' gradients before the one update: the same full-batch step, but each block's
//! activations and gradients (about 2 KiB per sample for 64-wide layers) stay in the CPU's
//! L2 cache instead of streaming through memory, so the time per sample does not grow with
//! the batch, and the buffers stay small. A batch of at most [`BLOCK`] samples is one block
//! and computes exactly what an unblocked step does.

use core::ops::{Add, Range};

use alloc::vec::Vec;

use nalgebra::{Const, Dyn, OMatrix};

use crate::layer::{Params, resize};
use crate::loss::Loss;
use crate::{Forward, Optimizer, Real, Result};

/// Samples per forward/backward pass of the [`Trainer`](super::Trainer): larger batches
/// run in blocks of this many samples (and one smaller block for the rest).
///
/// Measured on the seed network (64 wide, f32, AVX-512, 2 MiB L2): 256 was fastest at
/// N = 1 000 and 10 000 among 128…2 048 (7% and 14% faster than 1 024).
pub(crate) const BLOCK: usize = 256;

/// The inputs of a data set or batch, one sample per column.
pub(super) type Inputs<T, const IN: usize> = OMatrix<T, Const<IN>, Dyn>;

/// What a pass over samples adds up: the loss terms' sum and the samples classified right.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tally<T> {
    pub(super) sum: T,
    pub(super) correct: usize,
}

/// A step's result: its tally, and what its loss is a mean over ([`Loss::count`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Stepped<T> {
    pub(super) tally: Tally<T>,
    pub(super) count: f64,
}

impl<T: Real> Stepped<T> {
    /// The batch's mean loss, `sum / count` rounded in `T` as the loop always has.
    pub(super) fn mean(&self) -> f64 {
        (self.tally.sum / T::cast(self.count)).as_f64()
    }
}

impl<T: Real> Tally<T> {
    pub(super) fn zero() -> Self {
        Tally {
            sum: T::zero(),
            correct: 0,
        }
    }
}

impl<T: Real> Add for Tally<T> {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Tally {
            sum: self.sum + other.sum,
            correct: self.correct + other.correct,
        }
    }
}

/// Computes the batch gradient `∂L/∂θ` of a loss: serially ([`Blocks`]) or split over
/// threads (`super::parallel`).
pub(super) trait Gradient<T, N, L, const IN: usize, const OUT: usize>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn>,
    L: Loss<T, OUT>,
{
    /// Fills [`grad`](Self::grad) with the gradient of `Σ ℓ / count` over `x`, `y`
    /// (`count`: the loss terms of the whole batch) and returns the sum. If the sum is
    /// not finite, the gradient is incomplete.
    ///
    /// # Errors
    /// As [`Forward::backward_into`].
    fn gradient(
        &mut self,
        net: &N,
        data: (&Inputs<T, IN>, &[L::Target]),
        loss: &L,
        count: T,
    ) -> Result<Tally<T>>;

    /// The gradient left by the last [`gradient`](Self::gradient).
    fn grad(&self) -> &N;

    /// The loss of `net` on `x`, `y`: forward passes only, in blocks, through the same
    /// buffers (no allocation if `x` has the batch size they were built for; else they are
    /// resized).
    fn tally(&mut self, net: &N, x: &Inputs<T, IN>, y: &[L::Target], loss: &L) -> Tally<T>;
}

/// Everything one step on a batch of a given size writes.
pub(super) struct Step<T: Real, S, G, const IN: usize> {
    /// A mini-batch's inputs and targets, gathered from the data (empty for full batch:
    /// the step reads the data itself).
    x: Inputs<T, IN>,
    y: Vec<S>,
    gradient: G,
}

impl<T: Real, S: Copy, G, const IN: usize> Step<T, S, G, IN> {
    /// Buffers for batches of `batch` samples, with `gradient` built for that size;
    /// `gathers` if the batches are mini-batches copied from the data.
    pub(super) fn new(gradient: G, batch: usize, gathers: bool) -> Self {
        let gathered = if gathers { batch } else { 0 };
        Step {
            x: OMatrix::zeros_generic(Const::<IN>, Dyn(gathered)),
            y: Vec::with_capacity(gathered),
            gradient,
        }
    }

    /// Copies the samples `indices` into this step's batch buffers.
    pub(super) fn gather(&mut self, x: &Inputs<T, IN>, y: &[S], indices: &[usize]) {
        self.y.clear();
        for (j, &i) in indices.iter().enumerate() {
            self.x.column_mut(j).copy_from(&x.column(i));
            self.y.push(y[i]);
        }
    }

    /// [`run`](Self::run) on the gathered batch.
    pub(super) fn run_gathered<N, O, L, const OUT: usize>(
        &mut self,
        net: &mut N,
        optimizer: &mut O,
        loss: &L,
    ) -> Result<Stepped<T>>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
        L: Loss<T, OUT, Target = S>,
        G: Gradient<T, N, L, IN, OUT>,
        O: Optimizer<T, N>,
    {
        run(&mut self.gradient, net, optimizer, (&self.x, &self.y), loss)
    }

    /// [`Gradient::tally`] through this step's buffers.
    pub(super) fn tally<N, L, const OUT: usize>(
        &mut self,
        net: &N,
        x: &Inputs<T, IN>,
        y: &[S],
        loss: &L,
    ) -> Tally<T>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
        L: Loss<T, OUT, Target = S>,
        G: Gradient<T, N, L, IN, OUT>,
    {
        self.gradient.tally(net, x, y, loss)
    }

    /// Forward, loss, backward, update on `x`, `y`; returns the batch's tally (and skips
    /// the update when its loss is not finite).
    pub(super) fn run<N, O, L, const OUT: usize>(
        &mut self,
        net: &mut N,
        optimizer: &mut O,
        data: (&Inputs<T, IN>, &[S]),
        loss: &L,
    ) -> Result<Stepped<T>>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
        L: Loss<T, OUT, Target = S>,
        G: Gradient<T, N, L, IN, OUT>,
        O: Optimizer<T, N>,
    {
        run(&mut self.gradient, net, optimizer, data, loss)
    }
}

fn run<T, N, G, O, L, const IN: usize, const OUT: usize>(
    gradient: &mut G,
    net: &mut N,
    optimizer: &mut O,
    data: (&Inputs<T, IN>, &[L::Target]),
    loss: &L,
) -> Result<Stepped<T>>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    L: Loss<T, OUT>,
    G: Gradient<T, N, L, IN, OUT>,
    O: Optimizer<T, N>,
{
    let count = loss.count(data.1);
    let tally = gradient.gradient(net, data, loss, T::cast(count))?;
    let stepped = Stepped { tally, count };
    if stepped.mean().is_finite() {
        optimizer.step(net, gradient.grad());
    }
    Ok(stepped)
}

/// The buffers of one forward/backward pass over `BLOCK` (or fewer) samples.
struct Block<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize> {
    /// The block's inputs, copied from the batch (empty when the batch is one block).
    x: Inputs<T, IN>,
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

    /// Copies the samples `start..start + len` of `x` into this block and runs `net` on them.
    fn forward(&mut self, net: &N, x: &Inputs<T, IN>, start: usize, len: usize) {
        resize(&mut self.x, Dyn(len));
        let xs = &x.as_slice()[start * IN..(start + len) * IN];
        self.x.as_mut_slice().copy_from_slice(xs);
        net.forward_into(&self.x, &mut self.workspace);
    }

    /// The loss of the block's predictions against `target`, and its gradient into
    /// `grad_pred`.
    fn loss<L: Loss<T, OUT>>(&mut self, loss: &L, target: &[L::Target], count: T) -> Tally<T> {
        resize(&mut self.grad_pred, Dyn(target.len()));
        let pred = N::output(&self.workspace).as_slice().as_chunks::<OUT>().0;
        let grad = self.grad_pred.as_mut_slice().as_chunks_mut::<OUT>().0;
        let sum = loss.sum_and_grad(pred, target, grad, count);
        Tally {
            sum,
            correct: loss.correct(pred, target),
        }
    }

    /// The loss of the block's predictions against `target`.
    fn loss_only<L: Loss<T, OUT>>(&self, loss: &L, target: &[L::Target]) -> Tally<T> {
        let pred = N::output(&self.workspace).as_slice().as_chunks::<OUT>().0;
        Tally {
            sum: loss.sum(pred, target),
            correct: loss.correct(pred, target),
        }
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
    pub(super) fn gradient_of<L: Loss<T, OUT>>(
        &mut self,
        net: &N,
        (x, y): (&Inputs<T, IN>, &[L::Target]),
        cols: Range<usize>,
        (loss, count): (&L, T),
    ) -> Result<Tally<T>> {
        if one_block(x.ncols(), &cols) {
            let b = &mut self.full;
            net.forward_into(x, &mut b.workspace);
            let tally = b.loss(loss, y, count);
            if tally.sum.finite() {
                // The first layer's input gradient is never used: skip it.
                net.backward_params(x, &mut b.workspace, &b.grad_pred, &mut self.grad)?;
            }
            return Ok(tally);
        }
        self.blocks_gradient((x, y), net, cols, (loss, count))
    }

    /// [`gradient_of`](Self::gradient_of) block by block, copying each block's inputs: the
    /// path for more than one block, and for a range that is not the whole batch. On one
    /// block it computes the same bits as the direct path (tested below): the routing in
    /// `one_block` only saves the copy.
    fn blocks_gradient<L: Loss<T, OUT>>(
        &mut self,
        (x, y): (&Inputs<T, IN>, &[L::Target]),
        net: &N,
        cols: Range<usize>,
        (loss, count): (&L, T),
    ) -> Result<Tally<T>> {
        let mut tally = Tally::zero();
        for (i, start) in cols.clone().step_by(BLOCK).enumerate() {
            let len = BLOCK.min(cols.end - start);
            let b = pick(&mut self.full, &mut self.rest, len);
            b.forward(net, x, start, len);
            tally = tally + b.loss(loss, &y[start..start + len], count);
            if !tally.sum.finite() {
                continue; // no update will be made: skip the backward passes
            }
            let grad = if i == 0 {
                &mut self.grad
            } else {
                &mut self.block_grad
            };
            net.backward_params(&b.x, &mut b.workspace, &b.grad_pred, grad)?;
            if i > 0 {
                add(&mut self.grad, &self.block_grad);
            }
        }
        Ok(tally)
    }

    /// [`Gradient::tally`] over the samples `cols` of `x`, `y` only.
    pub(super) fn tally_of<L: Loss<T, OUT>>(
        &mut self,
        net: &N,
        (x, y): (&Inputs<T, IN>, &[L::Target]),
        cols: Range<usize>,
        loss: &L,
    ) -> Tally<T> {
        if one_block(x.ncols(), &cols) {
            let b = &mut self.full;
            net.forward_into(x, &mut b.workspace);
            return b.loss_only(loss, y);
        }
        self.blocks_tally(net, (x, y), cols, loss)
    }

    /// [`tally_of`](Self::tally_of) block by block (as
    /// [`blocks_gradient`](Self::blocks_gradient)).
    fn blocks_tally<L: Loss<T, OUT>>(
        &mut self,
        net: &N,
        (x, y): (&Inputs<T, IN>, &[L::Target]),
        cols: Range<usize>,
        loss: &L,
    ) -> Tally<T> {
        let mut tally = Tally::zero();
        for start in cols.clone().step_by(BLOCK) {
            let len = BLOCK.min(cols.end - start);
            let b = pick(&mut self.full, &mut self.rest, len);
            b.forward(net, x, start, len);
            tally = tally + b.loss_only(loss, &y[start..start + len]);
        }
        tally
    }

    /// The gradient, for adding another range's into it.
    #[cfg(feature = "parallel")]
    pub(super) fn grad_mut(&mut self) -> &mut N {
        &mut self.grad
    }
}

impl<T, N, L, const IN: usize, const OUT: usize> Gradient<T, N, L, IN, OUT>
    for Blocks<T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    L: Loss<T, OUT>,
{
    fn tally(&mut self, net: &N, x: &Inputs<T, IN>, y: &[L::Target], loss: &L) -> Tally<T> {
        self.tally_of(net, (x, y), 0..x.ncols(), loss)
    }

    fn gradient(
        &mut self,
        net: &N,
        data: (&Inputs<T, IN>, &[L::Target]),
        loss: &L,
        count: T,
    ) -> Result<Tally<T>> {
        self.gradient_of(net, data, 0..data.0.ncols(), (loss, count))
    }

    fn grad(&self) -> &N {
        &self.grad
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
