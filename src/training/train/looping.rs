//! The loop itself: the checks before the first step, then epochs of batches (forward,
//! loss, backward, optimizer step), validation, early stopping and the caller's callback.

use alloc::vec::Vec;

use nalgebra::{Const, Dyn};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use super::monitor::Monitor;
use super::*;
use crate::loss::{Loss, Targets};
use crate::{Error, Forward, Optimizer, Real, Result};

impl<'a, T: Real, const IN: usize, Y: Targets + ?Sized, N, F, P> Trainer<'a, T, IN, Y, N, F, P> {
    /// The loop, with the batch gradient computed by a `G` that `gradient(batch)` makes for
    /// batches of `batch` samples.
    pub(super) fn run<O, L, G, const OUT: usize>(
        mut self,
        net: &mut N,
        optimizer: &mut O,
        loss: &L,
        mut gradient: impl FnMut(usize) -> G,
    ) -> Result<History>
    where
        N: Forward<T, Const<IN>, Dyn, Out = Const<OUT>>,
        O: Optimizer<T, N>,
        L: Loss<T, OUT, Target = Y::Sample>,
        G: Gradient<T, N, L, IN, OUT>,
        F: OnEpoch<N>,
    {
        let n = self.check(loss)?;
        let mut monitor = Monitor::new(self.early_stopping)?;
        let batch = self.batch_size.unwrap_or(n);
        let (x, y) = (self.x, self.y.samples());
        let mut history = History::default();
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.shuffle_seed);
        // Buffers for full batches, and for the smaller last batch if there is one:
        // allocated here, reused by every epoch. Validation has its own, sized for its data.
        let gathers = batch < n;
        let mut full = Step::<T, L::Target, G, IN>::new(gradient(batch), batch, gathers);
        let mut rest = Step::<T, L::Target, G, IN>::new(gradient(n % batch), n % batch, gathers);
        let mut val_blocks = self
            .validation
            .map(|(vx, _)| Blocks::<T, N, IN, OUT>::new(vx.ncols()));
        // Whether any update has been made: a non-finite loss before the first one is
        // overflow.
        let mut updated = false;
        let mut last = 0;
        // Full batch without validation data: the monitored loss is measured before the
        // update, on the parameters of the epoch's start, which are the ones to restore.
        if batch == n && self.validation.is_none() {
            monitor.monitor_before_step();
        }
        for epoch in 0..self.epochs {
            last = epoch;
            let (loss_value, correct) = if batch == n {
                monitor.remember(net);
                let stepped = full.run(net, optimizer, (x, y), loss)?;
                let mean = stepped.mean();
                updated |= mean.is_finite();
                (mean, stepped.tally.correct)
            } else {
                order.shuffle(&mut rng);
                let (mut total, mut seen, mut correct) = (0.0, 0usize, 0usize);
                for indices in order.chunks(batch) {
                    if indices.len() < batch && self.drop_last {
                        break;
                    }
                    let step = if indices.len() == batch {
                        &mut full
                    } else {
                        &mut rest
                    };
                    step.gather(x, y, indices);
                    let stepped = step.run_gathered(net, optimizer, loss)?;
                    let mean = stepped.mean();
                    total += mean * indices.len() as f64;
                    seen += indices.len();
                    correct += stepped.tally.correct;
                    if !mean.is_finite() {
                        break;
                    }
                    updated = true;
                }
                (total / seen as f64, correct)
            };
            let seen = if batch == n || !self.drop_last {
                n
            } else {
                n - n % batch
            };
            // The network is untouched then: only its data can be at fault (or its own NaN).
            if !loss_value.is_finite() && !updated && net.is_finite() {
                return Err(Error::LossOverflow {
                    loss: loss_value,
                    scalar: T::NAME,
                });
            }
            // A finite loss before the last update says nothing about the update itself.
            if !loss_value.is_finite() || !net.is_finite() {
                return Err(Error::Diverged {
                    epoch,
                    loss: loss_value,
                });
            }
            history.train.push(loss_value);
            let accuracy = L::CLASSIFIES.then(|| correct as f64 / seen as f64);
            if let Some(a) = accuracy {
                history.train_accuracy.push(a);
            }
            let (val_loss, val_accuracy) = match (self.validation, &mut val_blocks) {
                (Some((vx, vy)), Some(blocks)) => {
                    let vy = vy.samples();
                    let tally = Gradient::<T, N, L, IN, OUT>::tally(blocks, net, vx, vy, loss);
                    let m = vx.ncols();
                    let value = tally.sum.as_f64() / loss.count(vy);
                    history.val.push(value);
                    let accuracy = L::CLASSIFIES.then(|| tally.correct as f64 / m as f64);
                    if let Some(a) = accuracy {
                        history.val_accuracy.push(a);
                    }
                    (Some(value), accuracy)
                }
                _ => (None, None),
            };
            let stop = monitor.observe(epoch, val_loss.unwrap_or(loss_value), net);
            let asked = self.on_epoch.call(&Epoch {
                epoch,
                loss: loss_value,
                val_loss,
                accuracy,
                val_accuracy,
                net,
            });
            if stop {
                history.stopped_early = epoch + 1 < self.epochs;
                break;
            }
            if asked {
                history.stopped_by_caller = epoch + 1 < self.epochs;
                break;
            }
        }
        history.best_epoch = monitor.finish(net);
        // The last update is never followed by a loss: measure it, so `Ok` promises a
        // network whose predictions on the data are finite (finite weights can still
        // overflow). In blocks through the step's buffers (resized once here after
        // mini-batches): a whole-batch `forward` would allocate every layer's output for
        // all samples (≈ 50 MB at N = 100 000, a third of an epoch's time).
        let tally = full.tally(net, x, y, loss);
        let value = tally.sum.as_f64() / loss.count(y);
        if !value.is_finite() {
            return Err(Error::Diverged {
                epoch: last,
                loss: value,
            });
        }
        Ok(history)
    }

    /// Checks data and settings; returns the number of samples.
    fn check<L: Loss<T, OUT, Target = Y::Sample>, const OUT: usize>(
        &self,
        loss: &L,
    ) -> Result<usize> {
        let n = self.x.ncols();
        if self.epochs == 0 {
            return Err(Error::ZeroEpochs);
        }
        if n == 0 || IN == 0 {
            return Err(Error::EmptyData);
        }
        check_data(
            self.x,
            self.y.samples(),
            loss,
            ["inputs", "targets", "targets (samples)"],
        )?;
        if let Some((vx, vy)) = self.validation {
            if vx.ncols() == 0 {
                return Err(Error::InvalidParameter {
                    name: "validation data",
                    reason: "must hold at least one sample",
                });
            }
            let names = [
                "validation inputs",
                "validation targets",
                "validation targets (samples)",
            ];
            check_data(vx, vy.samples(), loss, names)?;
        }
        match self.batch_size {
            Some(b) if b == 0 || b > n => Err(Error::InvalidBatchSize {
                batch_size: b,
                samples: n,
            }),
            _ => Ok(n),
        }
    }
}

/// Checks that `y` has `x`'s samples and that both are valid; `names` (inputs, targets,
/// their sample count) name them in errors.
fn check_data<T: Real, L: Loss<T, OUT>, const IN: usize, const OUT: usize>(
    x: &Inputs<T, IN>,
    y: &[L::Target],
    loss: &L,
    [inputs, targets, samples]: [&'static str; 3],
) -> Result<()> {
    if y.len() != x.ncols() {
        return Err(Error::LengthMismatch {
            what: samples,
            expected: x.ncols(),
            found: y.len(),
        });
    }
    if let Some(index) = x.as_slice().iter().position(|v| !v.finite()) {
        return Err(Error::NonFinite {
            what: inputs,
            index,
        });
    }
    loss.check(y, targets)
}
