//! [`diagnose`]: activity and gradient norms over a whole data set, block by block.

use alloc::vec::Vec;

use nalgebra::{Const, Dyn, OMatrix};

use super::report::{Diagnostics, LayerReport};
use crate::layer::{Params, resize};
use crate::loss::{Loss, Targets};
use crate::{Error, Forward, Real, Result};

/// Samples per block of [`diagnose`]: its memory is a few blocks' activations, whatever
/// the data's size. The training loop's block size, so one block is one training block.
pub const BLOCK: usize = crate::train::BLOCK;

/// Runs `net` on inputs `x` and targets `y` (one sample per column) and reports, per layer
/// (see [`Forward::report`]): for each activation, how often each unit was active; for each layer
/// with trainable tensors, the L2 norm of the gradient of `loss` over all of `x`
/// with respect to those tensors (the gradient a full-batch training step would take).
///
/// The data runs in blocks of at most [`BLOCK`] samples: one forward pass, its reports and one
/// backward pass ([`Forward`]) per block, the blocks' gradients summed, as the
/// training loop sums them. So memory stays bounded for any data size, and on at most
/// [`BLOCK`] samples the gradient is bit for bit a direct backward pass over the batch.
///
/// ```
/// use constnet::diagnose::diagnose;
/// use constnet::{net, Dense, Init, InitScheme, Relu};
/// use constnet::nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
/// let model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(1000, |_, j| j as f32 / 500.0 - 1.0);
/// let y = x.map(|v| v * v * v);
/// let diag = diagnose(&model, &x, &y, &constnet::Mse)?;
/// assert_eq!(diag.samples, 1000);
/// assert!(diag.layers[0].grad_norm.unwrap() > 0.0);
/// assert!(diag.layers[1].grad_norm.is_none()); // a ReLU trains nothing
/// assert!(diag.dead_layers().is_empty());
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyData`] without samples, [`Error::LengthMismatch`] if `x` and `y` differ in
/// samples, [`Error::NonFinite`] (`"x"`, `"y"`) for NaN or infinity in the data;
/// [`Error::LengthMismatch`] (`what` names the reports) if the reports' tensors do not add
/// up to the network's (a [`Forward::report`] that miscounts, or reports differently from
/// one block to the next). A NaN or infinite loss is no error: it is reported, and so are
/// the gradient norms it leads to.
pub fn diagnose<T, N, L, const IN: usize, const OUT: usize>(
    net: &N,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &(impl Targets<Sample = L::Target> + ?Sized),
    loss: &L,
) -> Result<Diagnostics>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    L: Loss<T, OUT>,
{
    let n = x.ncols();
    check_data(x, y.samples(), loss)?;
    // ∂L/∂prediction of the mean over all of the data, the same count in every block.
    let count = T::cast(loss.count(y.samples()));

    let mut layers: Option<Vec<LayerReport>> = None;
    let mut block_reports = Vec::new();
    let mut grad = N::zeros();
    let mut block_grad = N::zeros();
    let mut ws = N::workspace(Dyn(n.min(BLOCK)));
    let mut xb = OMatrix::<T, Const<IN>, Dyn>::zeros(0);
    let mut grad_pred = OMatrix::<T, Const<OUT>, Dyn>::zeros(0);
    let mut sse = T::zero();
    for (i, start) in (0..n).step_by(BLOCK).enumerate() {
        let len = BLOCK.min(n - start);
        resize(&mut xb, Dyn(len));
        xb.as_mut_slice()
            .copy_from_slice(&x.as_slice()[start * IN..(start + len) * IN]);

        net.forward_into(&xb, &mut ws);
        block_reports.clear();
        net.report(&xb, &ws, &mut block_reports);
        merge(&mut layers, &block_reports)?;

        resize(&mut grad_pred, Dyn(len));
        let ys = &y.samples()[start..start + len];
        let pred = N::output(&ws).as_slice().as_chunks::<OUT>().0;
        let grads = grad_pred.as_mut_slice().as_chunks_mut::<OUT>().0;
        sse += loss.sum_and_grad(pred, ys, grads, count);
        let target = if i == 0 { &mut grad } else { &mut block_grad };
        net.backward_params(&xb, &mut ws, &grad_pred, target)?;
        if i > 0 {
            add(&mut grad, &block_grad);
        }
    }
    let mut layers = layers.unwrap_or_default();
    grad_norms::<T, N>(&mut layers, &grad)?;
    Ok(Diagnostics {
        layers,
        samples: n,
        loss: (sse / count).as_f64(),
    })
}

fn check_data<T: Real, L: Loss<T, OUT>, const IN: usize, const OUT: usize>(
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &[L::Target],
    loss: &L,
) -> Result<()> {
    if x.ncols() == 0 {
        return Err(Error::EmptyData);
    }
    if y.len() != x.ncols() {
        return Err(Error::LengthMismatch {
            what: "targets (samples)",
            expected: x.ncols(),
            found: y.len(),
        });
    }
    if let Some(index) = x.as_slice().iter().position(|v| !v.finite()) {
        return Err(Error::NonFinite { what: "x", index });
    }
    loss.check(y, "y")
}

/// Adds a block's reports into the totals (the first block's become the totals).
fn merge(total: &mut Option<Vec<LayerReport>>, block: &[LayerReport]) -> Result<()> {
    let Some(total) = total else {
        *total = Some(block.to_vec());
        return Ok(());
    };
    if total.len() != block.len() {
        return Err(inconsistent(total.len(), block.len()));
    }
    for (t, b) in total.iter_mut().zip(block) {
        match (&mut t.activity, &b.activity) {
            (Some(ta), Some(ba)) if ta.units() == ba.units() => ta.add(ba),
            (None, None) => {}
            _ => return Err(inconsistent(total.len(), block.len())),
        }
    }
    Ok(())
}

fn inconsistent(expected: usize, found: usize) -> Error {
    Error::LengthMismatch {
        what: "layer reports (one block reported other layers than the first)",
        expected,
        found,
    }
}

/// `total += part` over the trainable tensors.
fn add<T: Real, N: Params<T>>(total: &mut N, part: &N) {
    for i in (0..N::TENSORS).filter(|&i| !N::frozen(i)) {
        for (t, &p) in total.tensor_mut(i).iter_mut().zip(part.tensor(i)) {
            *t += p;
        }
    }
}

/// Gives each report the norm of its trainable tensors of `grad`, walking the tensors in
/// order, each report taking its `tensors` count.
fn grad_norms<T: Real, N: Params<T>>(layers: &mut [LayerReport], grad: &N) -> Result<()> {
    let claimed: usize = layers.iter().map(|l| l.tensors).sum();
    if claimed != N::TENSORS {
        return Err(Error::LengthMismatch {
            what: "tensors named by the layer reports (Params::TENSORS)",
            expected: N::TENSORS,
            found: claimed,
        });
    }
    let mut next = 0;
    for l in layers {
        let own = next..next + l.tensors;
        next = own.end;
        let trainable: Vec<usize> = own.filter(|&i| !N::frozen(i)).collect();
        l.grad_norm = (!trainable.is_empty()).then(|| {
            // In f64: a sum of squares of f32 gradients can overflow f32.
            let sq: f64 = trainable
                .iter()
                .flat_map(|&i| grad.tensor(i))
                .map(|v| v.as_f64() * v.as_f64())
                .sum();
            // `f64::sqrt` is std-only; simba's ComplexField uses libm without std.
            nalgebra::ComplexField::sqrt(sq)
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
