//! [`Trainer::threads`]: training with each step of two or more blocks split over two
//! threads, the second a worker that lives for the whole run.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use nalgebra::{Const, Dyn};

use super::step::{BLOCK, Blocks, Gradient, Inputs, Tally, add};
use super::{History, OnEpoch, Trainer};
use crate::loss::{Loss, Targets};
use crate::{Error, Forward, Optimizer, Real, Result};

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

/// The [`Trainer`]'s threads after [`threads`](Trainer::threads).
#[derive(Clone, Copy, Debug)]
pub struct Threads(usize);

impl<'a, T: Real, const IN: usize, Y: Targets + ?Sized, N, F, P> Trainer<'a, T, IN, Y, N, F, P> {
    /// Trains on `n` threads: 1, or 2 (feature `parallel`). With 2, every step on more than
    /// one block (256 samples) is split over the calling thread and a worker thread that
    /// lives for the whole run; smaller steps (mini-batches of up to 256) run on the
    /// calling thread alone.
    ///
    /// A step's blocks are divided in two contiguous halves; the calling thread runs the
    /// first, the worker the second, each into its own buffers and gradient, and the two
    /// gradients are added (first + second) before the one update. Each step hands the
    /// worker a copy of the parameters and of its half of the samples; the threads wait for
    /// each other by spinning briefly, then sleeping.
    ///
    /// The result is deterministic (same data, seed and settings: same bits), but its sums
    /// are grouped differently from a one-thread run's, so the two differ by rounding on
    /// steps that get split; one thread is the bit-reproducible reference, and enabling the
    /// feature never changes it.
    ///
    /// ```
    /// use constnet::{net, Dense, Init, InitScheme, Mse, Relu, Sgd, Trainer};
    /// use nalgebra::{Const, Dyn, OMatrix};
    /// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    ///
    /// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    /// let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
    /// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(1024, |_, j| j as f32 / 512.0 - 1.0);
    /// let y = x.map(|v| 3.0 * v);
    /// let history = Trainer::new(&x, &y)
    ///     .epochs(100)
    ///     .threads(2)
    ///     .fit(&mut model, &mut Sgd::new(0.05)?, &Mse)?;
    /// assert!(history.train[99] < history.train[0] / 100.0);
    /// # Ok::<(), constnet::Error>(())
    /// ```
    pub fn threads(self, n: usize) -> Trainer<'a, T, IN, Y, N, F, Threads> {
        Trainer {
            x: self.x,
            y: self.y,
            validation: self.validation,
            epochs: self.epochs,
            batch_size: self.batch_size,
            shuffle_seed: self.shuffle_seed,
            drop_last: self.drop_last,
            early_stopping: self.early_stopping,
            on_epoch: self.on_epoch,
            threads: Threads(n),
            net: core::marker::PhantomData,
        }
    }
}

impl<'a, T, const IN: usize, Y, N, F> Trainer<'a, T, IN, Y, N, F, Threads>
where
    T: Real,
    Y: Targets + ?Sized,
    Y::Sample: Send + Sync,
    F: OnEpoch<N>,
{
    /// [`fit`](Trainer::fit) on the threads asked for. Same errors, and
    /// [`Error::InvalidParameter`] (`threads`) unless they are 1 or 2.
    ///
    /// # Errors
    /// As [`fit`](Trainer::fit).
    ///
    /// # Panics
    /// If a layer panics on the worker thread, the panic is resumed on the calling thread.
    pub fn fit<O, L, const OUT: usize>(
        self,
        net: &mut N,
        optimizer: &mut O,
        loss: &L,
    ) -> Result<History>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
        N::Workspace: Send,
        O: Optimizer<T, N>,
        L: Loss<T, OUT, Target = Y::Sample> + Sync,
    {
        match self.threads.0 {
            1 => self.run(net, optimizer, loss, Blocks::<T, N, IN, OUT>::new),
            2 => self.split(net, optimizer, loss, true),
            _ => Err(Error::InvalidParameter {
                name: "threads",
                reason: "must be 1 or 2",
            }),
        }
    }

    /// Two-thread training, with a worker thread only if `spawn` (else the calling thread
    /// runs both halves of every step, one after the other).
    fn split<O, L, const OUT: usize>(
        self,
        net: &mut N,
        optimizer: &mut O,
        loss: &L,
        spawn: bool,
    ) -> Result<History>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
        N::Workspace: Send,
        O: Optimizer<T, N>,
        L: Loss<T, OUT, Target = Y::Sample> + Sync,
    {
        let pool = Pool::<T, N, L, IN, OUT>::new(loss);
        thread::scope(|s| {
            // If no thread can be started, the calling thread claims every job itself: the
            // same work, the same bits, one core.
            if spawn && let Ok(worker) = thread::Builder::new().spawn_scoped(s, || pool.work()) {
                let _ = pool.worker.set(worker.thread().clone());
            }
            // Stops the worker however the loop ends (error or panic), so the scope can
            // join it.
            let _stop = Stop(&pool);
            let halves = |batch| Halves::new(batch, &pool);
            self.run(net, optimizer, loss, halves)
        })
    }
}

/// The second half of a step: its samples (copied) and buffers.
struct Part<T: Real, N: Forward<T, Const<IN>, Dyn>, S, const IN: usize, const OUT: usize> {
    x: Inputs<T, IN>,
    y: Vec<S>,
    blocks: Blocks<T, N, IN, OUT>,
}

/// What the two threads share; `slot` holds the data, the counters say whose turn it is.
struct Pool<'l, T, N, L, const IN: usize, const OUT: usize>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn>,
    L: Loss<T, OUT>,
{
    slot: Mutex<Slot<T, N, L::Target, IN, OUT>>,
    loss: &'l L,
    /// Jobs posted by the calling thread: a hint for the worker to look at `state`.
    posted: AtomicU64,
    /// The posted job's state: [`POSTED`], then [`BY_WORKER`] and [`DONE`], or [`BY_CALLER`].
    state: AtomicU8,
    stop: AtomicBool,
    caller: Thread,
    worker: OnceLock<Thread>,
}

struct Slot<T: Real, N: Forward<T, Const<IN>, Dyn>, Y, const IN: usize, const OUT: usize> {
    /// The worker's copy of the parameters.
    net: Box<N>,
    /// The job's half; taken back by the caller after the job.
    part: Option<Box<Part<T, N, Y, IN, OUT>>>,
    count: T,
    tally: Option<Result<Tally<T>>>,
    panic: Option<Box<dyn Any + Send>>,
}

impl<'l, T, N, L, const IN: usize, const OUT: usize> Pool<'l, T, N, L, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    L: Loss<T, OUT>,
{
    fn new(loss: &'l L) -> Self {
        Pool {
            slot: Mutex::new(Slot {
                net: Box::new(N::zeros()),
                part: None,
                count: T::zero(),
                tally: None,
                panic: None,
            }),
            loss,
            posted: AtomicU64::new(0),
            state: AtomicU8::new(DONE),
            stop: AtomicBool::new(false),
            caller: thread::current(),
            worker: OnceLock::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot<T, N, L::Target, IN, OUT>> {
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
            count,
            tally,
            panic,
        } = &mut *slot;
        if let Some(p) = part.as_mut() {
            let n = p.x.ncols();
            let run = || {
                let data = (&p.x, &p.y[..]);
                p.blocks.gradient_of(net, data, 0..n, (self.loss, *count))
            };
            match panic::catch_unwind(AssertUnwindSafe(run)) {
                Ok(result) => *tally = Some(result),
                Err(payload) => *panic = Some(payload),
            }
        }
    }

    /// Runs `part` on a copy of `net` on the worker (or here, if the worker has not
    /// started it by the time `here` is done) while `here` runs on this thread; returns
    /// both results and the part.
    #[allow(clippy::type_complexity)]
    fn run<R>(
        &self,
        net: &N,
        (part, count): (Box<Part<T, N, L::Target, IN, OUT>>, T),
        here: impl FnOnce() -> R,
    ) -> (R, Result<Tally<T>>, Box<Part<T, N, L::Target, IN, OUT>>) {
        {
            let mut slot = self.lock();
            for i in 0..N::TENSORS {
                slot.net.tensor_mut(i).copy_from_slice(net.tensor(i));
            }
            slot.part = Some(part);
            slot.count = count;
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
        let tally = slot
            .tally
            .take()
            .expect("the worker reports every job it runs");
        let part = slot.part.take().expect("the worker gives back every part");
        (mine, tally, part)
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
struct Stop<'p, 'l, T, N, L, const IN: usize, const OUT: usize>(&'p Pool<'l, T, N, L, IN, OUT>)
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn>,
    L: Loss<T, OUT>;

impl<T, N, L, const IN: usize, const OUT: usize> Drop for Stop<'_, '_, T, N, L, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn>,
    L: Loss<T, OUT>,
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
struct Halves<'p, 'l, T, N, L, const IN: usize, const OUT: usize>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn>,
    L: Loss<T, OUT>,
{
    first: Blocks<T, N, IN, OUT>,
    second: Option<Box<Part<T, N, L::Target, IN, OUT>>>,
    /// Where the halves meet: the first `split` samples go to the first half.
    split: usize,
    pool: &'p Pool<'l, T, N, L, IN, OUT>,
}

impl<'p, 'l, T, N, L, const IN: usize, const OUT: usize> Halves<'p, 'l, T, N, L, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
    L: Loss<T, OUT>,
{
    fn new(batch: usize, pool: &'p Pool<'l, T, N, L, IN, OUT>) -> Self {
        // Whole blocks to the first half; the second ends with the short block, if any.
        let split = batch.div_ceil(BLOCK).div_ceil(2) * BLOCK;
        let second = (batch > BLOCK).then(|| {
            let len = batch - split;
            Box::new(Part {
                x: Inputs::<T, IN>::zeros_generic(Const::<IN>, Dyn(len)),
                y: Vec::with_capacity(len),
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

impl<T, N, L, const IN: usize, const OUT: usize> Gradient<T, N, L, IN, OUT>
    for Halves<'_, '_, T, N, L, IN, OUT>
where
    T: Real,
    N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>> + Send + Sync,
    N::Workspace: Send,
    L: Loss<T, OUT> + Sync,
    L::Target: Send,
{
    fn gradient(
        &mut self,
        net: &N,
        (x, y): (&Inputs<T, IN>, &[L::Target]),
        loss: &L,
        count: T,
    ) -> Result<Tally<T>> {
        let n = x.ncols();
        let Some(mut part) = self.second.take() else {
            return self.first.gradient_of(net, (x, y), 0..n, (loss, count));
        };
        let split = self.split;
        part.x
            .as_mut_slice()
            .copy_from_slice(&x.as_slice()[split * IN..n * IN]);
        part.y.clear();
        part.y.extend_from_slice(&y[split..n]);
        let first = &mut self.first;
        let here = || first.gradient_of(net, (x, y), 0..split, (loss, count));
        let (first_half, second_half, part) = self.pool.run(net, (part, count), here);
        let part = self.second.insert(part);
        let tally = first_half? + second_half?;
        if tally.sum.finite() {
            add(
                self.first.grad_mut(),
                Gradient::<T, N, L, IN, OUT>::grad(&part.blocks),
            );
        }
        Ok(tally)
    }

    fn grad(&self) -> &N {
        Gradient::<T, N, L, IN, OUT>::grad(&self.first)
    }

    /// Serial: run once per training run, it is not worth a thread.
    fn tally(&mut self, net: &N, x: &Inputs<T, IN>, y: &[L::Target], loss: &L) -> Tally<T> {
        self.first.tally_of(net, (x, y), 0..x.ncols(), loss)
    }
}

#[cfg(test)]
mod tests;
