//! [`fit_parallel`]: [`fit`](super::fit) with each large step split over two threads.

use std::thread;

use nalgebra::{Const, Dyn, OMatrix};

use super::step::{BLOCK, Blocks, Gradient, add};
use super::{TrainConfig, train};
use crate::{Forward, Optimizer, Real, Result};

/// Steps with fewer blocks than this stay on one thread. A helper thread is started per
/// step (~40 µs), on a core whose caches do not hold the previous step's buffers; measured
/// on the seed network, splitting lost at N = 1 000 (0.8×), broke even near 2 000 and won
/// from 4 000 (1.7×; 1.9× at 10 000 and 100 000).
const MIN_BLOCKS: usize = 16;

/// [`fit`](super::fit), with every step on more than `15·BLOCK` (3 840) samples split over
/// two threads. Same arguments, errors and loss history.
///
/// A step's blocks (see [`BLOCK`]) are divided in two contiguous halves; the calling thread
/// runs the first, a helper thread started for the step the second, each into its own
/// buffers and gradient, and the two gradients are added (first + second) before the one
/// update. The result is deterministic, but its sums are grouped differently from
/// [`fit`](super::fit)'s, so the two differ by rounding on steps that get split; `fit` is
/// the bit-reproducible reference, and enabling this feature never changes it.
///
/// ```
/// use constnet::{net, train::{fit_parallel, TrainConfig}, Dense, Init, InitScheme, Relu, Sgd};
/// use nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(4096, |_, j| j as f32 / 2048.0 - 1.0);
/// let y = x.map(|v| 3.0 * v);
/// let config = TrainConfig { epochs: 100, ..TrainConfig::default() };
/// let losses = fit_parallel(&mut model, &mut Sgd::new(0.05)?, &x, &y, &config, |_, _| {})?;
/// assert!(losses[99] < losses[0] / 100.0);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`fit`](super::fit).
///
/// # Panics
/// If a layer panics on the helper thread, the panic is resumed on the calling thread.
pub fn fit_parallel<T, N, O, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    config: &TrainConfig,
    on_epoch: impl FnMut(usize, f64),
) -> Result<Vec<f64>>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
    N::Workspace: Send,
    O: Optimizer<T, N>,
{
    train::<T, N, O, Halves<T, N, IN, OUT>, IN, OUT>(net, optimizer, x, y, config, on_epoch)
}

/// Buffers for the two halves of a step.
struct Halves<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize> {
    first: Blocks<T, N, IN, OUT>,
    second: Blocks<T, N, IN, OUT>,
}

impl<T, N, const IN: usize, const OUT: usize> Gradient<T, N, IN, OUT> for Halves<T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
    N::Workspace: Send,
{
    fn new(batch: usize) -> Self {
        Halves {
            first: Blocks::new(batch),
            second: Blocks::new(batch),
        }
    }

    fn gradient(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        scale: T,
    ) -> Result<T> {
        let n = x.ncols();
        let blocks = n.div_ceil(BLOCK);
        if blocks < MIN_BLOCKS {
            return self.first.gradient_of(net, x, y, 0..n, scale);
        }
        // Whole blocks to the first half; the second ends with the short block, if any.
        let split = blocks.div_ceil(2) * BLOCK;
        let Halves { first, second } = self;
        let (sse_first, sse_second) = thread::scope(|s| {
            let helper = s.spawn(|| second.gradient_of(net, x, y, split..n, scale));
            let sse_first = first.gradient_of(net, x, y, 0..split, scale);
            let sse_second = helper
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (sse_first, sse_second)
        });
        let sse = sse_first? + sse_second?;
        if sse.finite() {
            add(first.grad_mut(), second.grad());
        }
        Ok(sse)
    }

    fn grad(&self) -> &N {
        self.first.grad()
    }

    /// Serial: run once per training run, it is not worth a thread.
    fn sse(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
    ) -> T {
        self.first.sse_of(net, x, y, 0..x.ncols())
    }
}
