//! Inference and scoring of a whole data set in blocks, in memory that does not grow with it.
//!
//! [`predict`] runs the network [`BLOCK`] samples at a time through one reused workspace,
//! so a forward pass over millions of samples never holds every layer's output for all of
//! them at once (a 64-wide hidden layer over 8.4 M samples would be 2 GB per layer).
//! [`scores`] goes further: it never holds the predictions either, only running sums, so
//! scoring takes `O(BLOCK)` memory beyond the data. Both give the same values as a
//! whole-batch pass up to the rounding of the products (blocks of at most 5 samples take
//! another kernel than larger ones), and [`scores`] the very sums of [`crate::metrics`] on
//! [`predict`]'s output. [`confusion`] scores a classifier the same way.
//!
//! ```
//! use constnet::{eval, net, Dense, Init, InitScheme, Relu};
//! use nalgebra::{Const, Dyn, OMatrix};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! type Model = net![Dense<1, 16>, Relu, Dense<16, 1>];
//! let model: Model = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(0), InitScheme::He);
//! let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(1000, |_, j| j as f32 / 1000.0);
//! let y = x.map(|v| 2.0 * v);
//! let pred = eval::predict(&model, &x)?;
//! assert_eq!(pred.ncols(), 1000);
//! let s = eval::scores(&model, &x, &y)?;
//! assert_eq!(s.mse, constnet::metrics::mse(pred.as_slice(), y.as_slice())?);
//! # Ok::<(), constnet::Error>(())
//! ```

use nalgebra::{Const, Dyn, OMatrix};

use crate::loss::cross_entropy::argmax;
use crate::metrics::{Confusion, real};
use crate::{Error, Forward, Real, Result};

/// Samples per forward pass: wide enough for the tiled kernels, small enough that a
/// network's buffers stay in cache (a 64-wide layer's block is 64 KiB in `f32`). The
/// training loop's block size (measured there).
pub const BLOCK: usize = crate::train::BLOCK;

/// Runs `f` on the network's output for every block of at most [`BLOCK`] samples of `x`,
/// in order, with the index of the block's first sample.
fn blocks<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    x: &OMatrix<T, Const<IN>, Dyn>,
    mut f: impl FnMut(usize, &OMatrix<T, Const<OUT>, Dyn>) -> Result<()>,
) -> Result<()>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    let n = x.ncols();
    if n == 0 {
        return Err(Error::EmptyData);
    }
    let first = n.min(BLOCK);
    let mut input = OMatrix::<T, Const<IN>, Dyn>::zeros(first);
    let mut ws = N::workspace(Dyn(first));
    let mut start = 0;
    while start < n {
        let len = (n - start).min(BLOCK);
        if len != input.ncols() {
            // Only the last block can be shorter: one resize, then it is done.
            input = OMatrix::<T, Const<IN>, Dyn>::zeros(len);
        }
        input.copy_from(&x.columns(start, len));
        net.forward_into(&input, &mut ws);
        f(start, N::output(&ws))?;
        start += len;
    }
    Ok(())
}

/// The network's output for every sample (column) of `x`, computed [`BLOCK`] samples at a
/// time: memory beyond the result is one block's workspace, whatever `x.ncols()`.
///
/// ```
/// use constnet::{eval, Dense, Error};
/// use nalgebra::{Const, Dyn, OMatrix, SMatrix, SVector};
///
/// let double = Dense::<1, 1, f64>::new(SMatrix::from([[2.0]]), SVector::from([1.0]));
/// let x = OMatrix::<f64, Const<1>, Dyn>::from_fn(600, |_, j| j as f64);
/// let y = eval::predict(&double, &x)?;
/// assert_eq!((y[0], y[599]), (1.0, 1199.0));
/// assert!(matches!(eval::predict(&double, &x.columns(0, 0).into_owned()), Err(Error::EmptyData)));
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyData`] if `x` has no columns.
pub fn predict<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    x: &OMatrix<T, Const<IN>, Dyn>,
) -> Result<OMatrix<T, Const<OUT>, Dyn>>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    let mut out = OMatrix::<T, Const<OUT>, Dyn>::zeros(x.ncols());
    blocks(net, x, |start, block| {
        out.columns_mut(start, block.ncols()).copy_from(block);
        Ok(())
    })?;
    Ok(out)
}

/// Regression scores of a network on a data set, each over every output value (as the
/// functions of [`crate::metrics`] on the matrices' column-major storage).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error, in the targets' units.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination; `None` when every target is equal, where it is
    /// undefined ([`metrics::r2`](crate::metrics::r2) returns an error then, with the
    /// message [`CONSTANT_TARGETS`](crate::metrics::CONSTANT_TARGETS)).
    pub r2: Option<f64>,
}

/// MSE, RMSE, MAE and R² of `net` on inputs `x` and targets `y`, streamed: one pass over
/// `y` for its mean, then one blocked pass of [`predict`] whose outputs are summed and
/// dropped, never stored. The sums run in `f64`, in the order [`crate::metrics`] uses, so
/// the values equal those functions on [`predict`]'s output.
///
/// ```
/// use constnet::{eval, Dense, Error};
/// use nalgebra::{Const, Dyn, OMatrix, SMatrix, SVector};
///
/// let identity = Dense::<1, 1, f64>::new(SMatrix::from([[1.0]]), SVector::from([0.0]));
/// let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[1.0, 2.0, 3.0]);
/// let y = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[1.0, 2.0, 4.0]);
/// let s = eval::scores(&identity, &x, &y)?;
/// // errors 0, 0, −1; target mean 7/3, SS_tot = 14/3, SS_res = 1.
/// assert_eq!((s.mse, s.mae), (1.0 / 3.0, 1.0 / 3.0));
/// assert!((s.r2.unwrap() - (1.0 - 3.0 / 14.0)).abs() < 1e-15);
/// // Constant targets: every score but R².
/// let flat = eval::scores(&identity, &x, &y.map(|_| 5.0))?;
/// assert_eq!(flat.r2, None);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `x` and `y` hold different numbers of samples;
/// [`Error::EmptyData`] if they hold none; [`Error::NonFinite`] (`what` `"target"` or
/// `"prediction"`, index in column-major storage) for a NaN or infinite value;
/// [`Error::Undefined`] if a score overflows `f64`.
pub fn scores<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
) -> Result<Scores>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    if x.ncols() != y.ncols() {
        return Err(Error::LengthMismatch {
            what: "scores targets (samples)",
            expected: x.ncols(),
            found: y.ncols(),
        });
    }
    let target = y.as_slice();
    if target.is_empty() {
        return Err(Error::EmptyData);
    }
    if let Some(index) = target.iter().position(|v| !v.finite()) {
        return Err(Error::NonFinite {
            what: "target",
            index,
        });
    }
    let count = target.len() as f64;
    let mean = real(target.iter().map(|t| t.as_f64()).sum::<f64>() / count)?;
    let (mut ss_res, mut ss_tot, mut abs) = (0.0f64, 0.0f64, 0.0f64);
    blocks(net, x, |start, block| {
        let pred = block.as_slice();
        let offset = start * OUT;
        if let Some(i) = pred.iter().position(|v| !v.finite()) {
            return Err(Error::NonFinite {
                what: "prediction",
                index: offset + i,
            });
        }
        for (&p, &t) in pred.iter().zip(&target[offset..offset + pred.len()]) {
            let (p, t) = (p.as_f64(), t.as_f64());
            ss_res += (p - t) * (p - t);
            abs += (p - t).abs();
            ss_tot += (t - mean) * (t - mean);
        }
        Ok(())
    })?;
    let mse = real(real(ss_res)? / count)?;
    let ss_tot = real(ss_tot)?;
    // As metrics::r2: exactly equal targets can still give ss_tot > 0 through rounding.
    let constant = ss_tot == 0.0 || target.iter().all(|t| *t == target[0]);
    Ok(Scores {
        mse,
        rmse: nalgebra::ComplexField::sqrt(mse),
        mae: real(abs / count)?,
        r2: (!constant).then(|| 1.0 - ss_res / ss_tot),
    })
}

/// The [`Confusion`] matrix of a classifier `net` (its `K` outputs are logits or
/// probabilities; the predicted class is the largest, the first on a tie) on inputs `x`
/// and class labels `labels`, in blocks: memory is one block's workspace and the `K × K`
/// counts, whatever the data's size.
///
/// ```
/// use constnet::{eval, Dense};
/// use nalgebra::{Const, Dyn, OMatrix, SMatrix, SVector};
///
/// // Two logits, x and −x: class 0 for x > 0, class 1 for x < 0.
/// let net = Dense::<1, 2, f64>::new(SMatrix::from([[1.0, -1.0]]), SVector::zeros());
/// let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[2.0, -1.0, 3.0, -4.0]);
/// let c = eval::confusion(&net, &x, &[0, 1, 1, 1])?;
/// assert_eq!(c.counts(), &[[1, 0], [1, 2]]);
/// assert_eq!(c.accuracy()?, 0.75);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] if `labels` and `x` hold different numbers of samples;
/// [`Error::EmptyData`] if they hold none; [`Error::InvalidLabel`] for a label not below
/// `K`; [`Error::NonFinite`] (`"prediction"`) if an output is NaN.
pub fn confusion<T, N, const IN: usize, const K: usize>(
    net: &N,
    x: &OMatrix<T, Const<IN>, Dyn>,
    labels: &[u16],
) -> Result<Confusion<K>>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<K>>,
{
    if labels.len() != x.ncols() {
        return Err(Error::LengthMismatch {
            what: "confusion labels (samples)",
            expected: x.ncols(),
            found: labels.len(),
        });
    }
    let mut counts = Confusion::<K>::new();
    blocks(net, x, |start, block| {
        for (j, z) in block.as_slice().as_chunks::<K>().0.iter().enumerate() {
            if z.iter().any(|v| v.as_f64().is_nan()) {
                return Err(Error::NonFinite {
                    what: "prediction",
                    index: (start + j) * K,
                });
            }
            let label = usize::from(labels[start + j]);
            counts
                .add(label, argmax(z))
                .map_err(|_| Error::InvalidLabel {
                    what: "labels",
                    index: start + j,
                    label,
                    classes: K,
                })?;
        }
        Ok(())
    })?;
    Ok(counts)
}
