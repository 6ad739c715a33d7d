//! [`fit_parallel`]: [`fit`](super::fit) with each step of two or more blocks split over
//! two threads, the second a worker that lives for the whole run.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use nalgebra::{Const, Dyn, OMatrix};

use super::step::{BLOCK, Blocks, Gradient, add};
use super::{Epoch, History, TrainConfig, Validation, train};
use crate::{Forward, Optimizer, Real, Result};

/// How long a thread waiting for the other spins (then yields) before it sleeps. A
/// full-batch step of the seed network on 1 000 samples took ~70 µs on two idle cores (900
/// epochs in 0.064 s), the two halves end close together and the serial part between steps
/// (adding the gradients, the update) is short, so in full-batch training the threads meet
/// while spinning; sleeping and waking would cost a system call on each side.
const SPIN: Duration = Duration::from_micros(200);

/// [`Pool::state`]: a job is posted; claimed by the worker; claimed by the calling thread;
/// done by the worker (or no job yet).
const POSTED: u8 = 0;
const BY_WORKER: u8 = 1;
const BY_CALLER: u8 = 2;
const DONE: u8 = 3;

/// [`fit`](super::fit), with every step on more than one block (256 samples) split over
/// two threads. Same arguments, errors and loss history.
///
/// A step's blocks are divided in two contiguous halves; the calling thread runs the first,
/// a worker thread started once for the whole run the second, each into its own buffers and
/// gradient, and the two gradients are added (first + second) before the one update. Each
/// step hands the worker a copy of the parameters and of its half of the samples (the
/// calling thread keeps updating the network meanwhile); the threads wait for each other by
/// spinning briefly, then sleeping. Steps of one block (mini-batches of up to 256) run on the
/// calling thread alone.
///
/// The result is deterministic (same data, seed and config: same bits), but its sums are
/// grouped differently from [`fit`](super::fit)'s, so the two differ by rounding on steps
/// that get split; `fit` is the bit-reproducible single-threaded reference, and enabling
/// this feature never changes it.
///
/// ```
/// use constnet::{net, train::{fit_parallel, TrainConfig}, Dense, Init, InitScheme, Relu, Sgd};
/// use nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(1024, |_, j| j as f32 / 512.0 - 1.0);
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
/// If a layer panics on the worker thread, the panic is resumed on the calling thread.
pub fn fit_parallel<T, N, O, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    config: &TrainConfig,
    mut on_epoch: impl FnMut(usize, f64),
) -> Result<Vec<f64>>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
    N::Workspace: Send,
    O: Optimizer<T, N>,
{
    let on_epoch = |e: &Epoch<'_, N>| on_epoch(e.epoch, e.loss);
    Ok(split(net, optimizer, x, y, None, config, on_epoch, true)?.train)
}

/// [`fit_validated`](super::fit_validated), with steps split over two threads as in
/// [`fit_parallel`]. Same arguments, errors and history; the validation loss is computed
/// on the calling thread, between steps.
///
/// ```
/// use constnet::train::{fit_parallel_validated, EarlyStopping, TrainConfig, Validation};
/// use constnet::{net, Dense, Init, InitScheme, Relu, Sgd};
/// use nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(1024, |_, j| j as f32 / 512.0 - 1.0);
/// let y = x.map(|v| 3.0 * v);
/// let vx = x.map(|v| 0.5 * v);
/// let vy = vx.map(|v| 3.0 * v);
/// let config = TrainConfig {
///     epochs: 100,
///     early_stopping: Some(EarlyStopping::default()),
///     ..TrainConfig::default()
/// };
/// let val = Some(Validation { x: &vx, y: &vy });
/// let mut sgd = Sgd::new(0.05)?;
/// let history = fit_parallel_validated(&mut model, &mut sgd, &x, &y, val, &config, |_| {})?;
/// let best = history.best_epoch.unwrap();
/// assert!(history.val[best] < history.val[0] / 10.0);
/// assert!(history.stopped_early); // patience 10: no improvement from epoch 5 to 14
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`fit_validated`](super::fit_validated).
///
/// # Panics
/// If a layer panics on the worker thread, the panic is resumed on the calling thread.
#[allow(clippy::too_many_arguments)]
pub fn fit_parallel_validated<T, N, O, R: super::Flow, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    validation: Option<Validation<'_, T, IN, OUT>>,
    config: &TrainConfig,
    on_epoch: impl FnMut(&Epoch<'_, N>) -> R,
) -> Result<History>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
    N::Workspace: Send,
    O: Optimizer<T, N>,
{
    split(net, optimizer, x, y, validation, config, on_epoch, true)
}

/// [`fit_parallel_validated`], with a worker thread only if `spawn` (else the calling
/// thread runs both halves of every step, one after the other).
#[allow(clippy::too_many_arguments)]
fn split<T, N, O, R: super::Flow, const IN: usize, const OUT: usize>(
    net: &mut N,
    optimizer: &mut O,
    x: &OMatrix<T, Const<IN>, Dyn>,
    y: &OMatrix<T, Const<OUT>, Dyn>,
    validation: Option<Validation<'_, T, IN, OUT>>,
    config: &TrainConfig,
    on_epoch: impl FnMut(&Epoch<'_, N>) -> R,
    spawn: bool,
) -> Result<History>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
    N::Workspace: Send,
    O: Optimizer<T, N>,
{
    let pool = Pool::<T, N, IN, OUT>::new();
    thread::scope(|s| {
        // If no thread can be started, the calling thread claims every job itself: the
        // same work, the same bits, one core.
        if spawn && let Ok(worker) = thread::Builder::new().spawn_scoped(s, || pool.work()) {
            let _ = pool.worker.set(worker.thread().clone());
        }
        // Stops the worker however the loop ends (error or panic), so the scope can join it.
        let _stop = Stop(&pool);
        let halves = |batch| Halves::new(batch, &pool);
        train(net, optimizer, x, y, validation, config, halves, on_epoch)
    })
}

/// The second half of a step: its samples (copied) and buffers.
struct Part<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize> {
    x: OMatrix<T, Const<IN>, Dyn>,
    y: OMatrix<T, Const<OUT>, Dyn>,
    blocks: Blocks<T, N, IN, OUT>,
}

/// What the two threads share; `slot` holds the data, the counters say whose turn it is.
struct Pool<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize> {
    slot: Mutex<Slot<T, N, IN, OUT>>,
    /// Jobs posted by the calling thread: a hint for the worker to look at `state`.
    posted: AtomicU64,
    /// The posted job's state: [`POSTED`], then [`BY_WORKER`] and [`DONE`], or [`BY_CALLER`].
    state: AtomicU8,
    stop: AtomicBool,
    caller: Thread,
    worker: OnceLock<Thread>,
}

struct Slot<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize> {
    /// The worker's copy of the parameters.
    net: Box<N>,
    /// The job's half; taken back by the caller after the job.
    part: Option<Box<Part<T, N, IN, OUT>>>,
    scale: T,
    sse: Option<Result<T>>,
    panic: Option<Box<dyn Any + Send>>,
}

impl<T, N, const IN: usize, const OUT: usize> Pool<T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    fn new() -> Self {
        Pool {
            slot: Mutex::new(Slot {
                net: Box::new(N::zeros()),
                part: None,
                scale: T::zero(),
                sse: None,
                panic: None,
            }),
            posted: AtomicU64::new(0),
            state: AtomicU8::new(DONE),
            stop: AtomicBool::new(false),
            caller: thread::current(),
            worker: OnceLock::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot<T, N, IN, OUT>> {
        // Panics are caught inside the lock, so it is never poisoned; be safe anyway.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The worker's loop: wait for a job, claim it unless the caller did, run it, report;
    /// until told to stop.
    fn work(&self) {
        let mut seen = 0;
        loop {
            wait(|| {
                self.stop.load(Ordering::Acquire) || self.posted.load(Ordering::Acquire) > seen
            });
            if self.stop.load(Ordering::Acquire) {
                return;
            }
            seen = self.posted.load(Ordering::Acquire);
            if self.claim(BY_WORKER) {
                self.run_part();
                self.state.store(DONE, Ordering::Release);
                self.caller.unpark();
            }
        }
    }

    /// Takes the posted job for `who`; `false` if the other thread has it.
    fn claim(&self, who: u8) -> bool {
        let (ok, fail) = (Ordering::Acquire, Ordering::Relaxed);
        self.state.compare_exchange(POSTED, who, ok, fail).is_ok()
    }

    /// Runs the posted part on the slot's copy of the network, catching a panic.
    fn run_part(&self) {
        let mut slot = self.lock();
        let Slot {
            net,
            part,
            scale,
            sse,
            panic,
        } = &mut *slot;
        if let Some(p) = part.as_mut() {
            let n = p.x.ncols();
            let run = || p.blocks.gradient_of(net, &p.x, &p.y, 0..n, *scale);
            match panic::catch_unwind(AssertUnwindSafe(run)) {
                Ok(result) => *sse = Some(result),
                Err(payload) => *panic = Some(payload),
            }
        }
    }

    /// Runs `part` on a copy of `net` on the worker (or here, if the worker has not
    /// started it by the time `here` is done) while `here` runs on this thread; returns
    /// both results and the part.
    fn run<R>(
        &self,
        net: &N,
        part: Box<Part<T, N, IN, OUT>>,
        scale: T,
        here: impl FnOnce() -> R,
    ) -> (R, Result<T>, Box<Part<T, N, IN, OUT>>) {
        {
            let mut slot = self.lock();
            for i in 0..N::TENSORS {
                slot.net.tensor_mut(i).copy_from_slice(net.tensor(i));
            }
            slot.part = Some(part);
            slot.scale = scale;
        }
        self.state.store(POSTED, Ordering::Release);
        self.posted.fetch_add(1, Ordering::Release);
        if let Some(worker) = self.worker.get() {
            worker.unpark();
        }
        let mine = here();
        // A worker kept off its core (a busy machine) has not started: run the part here,
        // with the same code on the same copies, so the bits do not depend on who runs it.
        if self.claim(BY_CALLER) {
            self.run_part();
        } else {
            wait(|| self.state.load(Ordering::Acquire) == DONE);
        }
        let mut slot = self.lock();
        if let Some(payload) = slot.panic.take() {
            drop(slot);
            panic::resume_unwind(payload);
        }
        let sse = slot
            .sse
            .take()
            .expect("the worker reports every job it runs");
        let part = slot.part.take().expect("the worker gives back every part");
        (mine, sse, part)
    }
}

/// Spins until `done()`, for up to [`SPIN`], then sleeps between checks (a thread's
/// `unpark` wakes it; one that came first makes `park` return at once). After the first
/// few microseconds each check also yields: on a busy machine the other thread may be
/// waiting for this very core, and a pure spin would keep it off.
fn wait(done: impl Fn() -> bool) {
    const PURE: u32 = 1024;
    let start = Instant::now();
    let mut spins = 0u32;
    while !done() {
        if spins < PURE {
            spins += 1;
            std::hint::spin_loop();
        } else if start.elapsed() < SPIN {
            thread::yield_now();
        } else {
            thread::park();
        }
    }
}

/// Tells the worker to stop when dropped.
struct Stop<'p, T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize>(
    &'p Pool<T, N, IN, OUT>,
);

impl<T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize> Drop
    for Stop<'_, T, N, IN, OUT>
{
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Release);
        if let Some(worker) = self.0.worker.get() {
            worker.unpark();
        }
    }
}

/// The [`Gradient`] of a batch size: the first half's buffers here, the second's (`None`
/// for one-block batches, which are not split) handed to the worker for each step.
struct Halves<'p, T: Real, N: Forward<T, Const<IN>, Dyn>, const IN: usize, const OUT: usize> {
    first: Blocks<T, N, IN, OUT>,
    second: Option<Box<Part<T, N, IN, OUT>>>,
    /// Where the halves meet: the first `split` samples go to the first half.
    split: usize,
    pool: &'p Pool<T, N, IN, OUT>,
}

impl<'p, T, N, const IN: usize, const OUT: usize> Halves<'p, T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
{
    fn new(batch: usize, pool: &'p Pool<T, N, IN, OUT>) -> Self {
        // Whole blocks to the first half; the second ends with the short block, if any.
        let split = batch.div_ceil(BLOCK).div_ceil(2) * BLOCK;
        let second = (batch > BLOCK).then(|| {
            let len = batch - split;
            Box::new(Part {
                x: OMatrix::zeros_generic(Const::<IN>, Dyn(len)),
                y: OMatrix::zeros_generic(Const::<OUT>, Dyn(len)),
                blocks: Blocks::new(len),
            })
        });
        Halves {
            first: Blocks::new(batch),
            second,
            split,
            pool,
        }
    }
}

impl<T, N, const IN: usize, const OUT: usize> Gradient<T, N, IN, OUT> for Halves<'_, T, N, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
    N::Workspace: Send,
{
    fn gradient(
        &mut self,
        net: &N,
        x: &OMatrix<T, Const<IN>, Dyn>,
        y: &OMatrix<T, Const<OUT>, Dyn>,
        scale: T,
    ) -> Result<T> {
        let n = x.ncols();
        let Some(mut part) = self.second.take() else {
            return self.first.gradient_of(net, x, y, 0..n, scale);
        };
        let split = self.split;
        part.x
            .as_mut_slice()
            .copy_from_slice(&x.as_slice()[split * IN..n * IN]);
        part.y
            .as_mut_slice()
            .copy_from_slice(&y.as_slice()[split * OUT..n * OUT]);
        let first = &mut self.first;
        let here = || first.gradient_of(net, x, y, 0..split, scale);
        let (sse_first, sse_second, part) = self.pool.run(net, part, scale, here);
        let part = self.second.insert(part);
        let sse = sse_first? + sse_second?;
        if sse.finite() {
            add(self.first.grad_mut(), part.blocks.grad());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dense, Init, InitScheme, Params, Relu, Sgd};
    use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

    type Small = crate::net![Dense<1, 16>, Relu, Dense<16, 1>];

    /// Whichever thread computes a step's second half, the bits are the same: a run whose
    /// calling thread computes every half equals one with a worker (which takes most).
    #[test]
    fn the_second_half_gives_the_same_bits_on_either_thread() {
        let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(1000, |_, j| j as f32 / 500.0 - 1.0);
        let y = x.map(|v| v * v * v);
        let config = TrainConfig {
            epochs: 20,
            batch_size: Some(600),
            ..TrainConfig::default()
        };
        let run = |spawn| {
            let mut net: Small =
                Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He);
            let mut sgd = Sgd::new(0.01).unwrap();
            let losses = split(&mut net, &mut sgd, &x, &y, None, &config, |_| {}, spawn)
                .unwrap()
                .train;
            let bits: Vec<u32> = (0..<Small as Params<f32>>::TENSORS)
                .flat_map(|t| {
                    net.tensor(t)
                        .iter()
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>()
                })
                .collect();
            (bits, losses)
        };
        assert_eq!(run(false), run(true));
    }
}
