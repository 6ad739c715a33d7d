//! Held-out monitoring and early stopping (`Trainer::validation`, `early_stopping`): when it
//! stops, which weights it ends with, that watching never changes training, and every error
//! it promises.

use constnet::train::{EarlyStopping, Epoch, History};
use constnet::{
    Adam, Dense, Error, Forward, Init, InitScheme, Mse, Params, Relu, Sgd, Trainer, net,
};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
type Row = OMatrix<f32, Const<1>, Dyn>;

fn model(seed: u64) -> SeedNet {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::He)
}

/// `n` samples of y = x + uniform noise of half-width `noise`, x in [-1, 1].
fn line(n: usize, noise: f32, seed: u64) -> (Row, Row) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Row::from_fn(n, |_, _| rng.random_range(-1.0..1.0f32));
    let y = x.map(|v| v + rng.random_range(-noise..=noise));
    (x, y)
}

/// Every parameter's bits.
fn bits(net: &SeedNet) -> Vec<u32> {
    (0..<SeedNet as Params<f32>>::TENSORS)
        .flat_map(|t| {
            net.tensor(t)
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The first epoch of the lowest value.
fn argmin(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v < values[best] {
            best = i;
        }
    }
    best
}

/// 12 noisy training samples (a 64-wide network can learn the noise) and 200 noiseless
/// validation samples of the same line: held-out loss falls, then rises as it overfits.
struct Overfit {
    x: Row,
    y: Row,
    vx: Row,
    vy: Row,
}

fn overfit() -> Overfit {
    let (x, y) = line(12, 0.6, 1);
    let (vx, vy) = line(200, 0.0, 2);
    Overfit { x, y, vx, vy }
}

/// A trainer of the seed network on rows of samples, before `fit`.
type Run<'a> = Trainer<'a, f32, 1, Row, SeedNet>;

/// The overfitting runs' mini-batches: 4 samples, shuffled from seed 5.
fn batches(trainer: Run<'_>) -> Run<'_> {
    trainer.batch_size(4).shuffle_seed(5)
}

/// Early stopping with `patience` and no `min_delta`.
fn stopping(patience: usize, restore_best: bool) -> EarlyStopping {
    EarlyStopping {
        patience,
        min_delta: 0.0,
        restore_best,
    }
}

/// 4000 epochs on the overfitting set, validated, with Adam (lr 0.003) and `stopping`.
fn run_overfit(stopping: EarlyStopping, net: &mut SeedNet) -> History {
    let d = overfit();
    let mut adam = Adam::new(0.003).unwrap();
    batches(Trainer::new(&d.x, &d.y))
        .epochs(4000)
        .validation(&d.vx, &d.vy)
        .early_stopping(stopping)
        .fit(net, &mut adam, &Mse)
        .unwrap()
}

#[test]
fn early_stopping_stops_an_overfitting_net_at_the_best_validation_epoch() {
    let mut net = model(3);
    let patience = 100;
    let h = run_overfit(stopping(patience, true), &mut net);
    let best = h.best_epoch.expect("a finite validation loss");
    assert!(h.stopped_early, "ran all {} epochs", h.train.len());
    assert_eq!(h.val.len(), h.train.len());
    assert_eq!(best, argmin(h.val.values()), "{:?}", h.val);
    // It stops exactly `patience` epochs after the best one.
    assert_eq!(h.train.len(), best + patience + 1);
    // Overfitting is real here: the validation loss rose after its best epoch while the
    // training loss kept falling below its value there.
    let last = h.val.len() - 1;
    assert!(
        h.val[last] > h.val[best],
        "{} vs {}",
        h.val[last],
        h.val[best]
    );
    assert!(
        h.train[last] < h.train[best],
        "{} vs {}",
        h.train[last],
        h.train[best]
    );
    assert!(
        h.val[best] < h.val[0] / 2.0,
        "{} vs {}",
        h.val[best],
        h.val[0]
    );
}

#[test]
fn restore_best_ends_with_the_weights_of_a_run_as_long_as_the_best_epoch() {
    let mut stopped = model(3);
    let h = run_overfit(stopping(100, true), &mut stopped);
    let best = h.best_epoch.unwrap();
    assert!(h.stopped_early);
    // Same seed, same shuffles, no early stopping, `best + 1` epochs: the same bits.
    let d = overfit();
    let mut short = model(3);
    let losses = batches(Trainer::new(&d.x, &d.y)).epochs(best + 1).fit(
        &mut short,
        &mut Adam::new(0.003).unwrap(),
        &Mse,
    );
    assert_eq!(losses.unwrap().train.values(), &h.train.values()[..=best]);
    assert_eq!(bits(&stopped), bits(&short));
    // Without restore_best the network is the one of the last epoch that ran.
    let mut kept = model(3);
    let h2 = run_overfit(stopping(100, false), &mut kept);
    assert_eq!(
        (h2.best_epoch, h2.train.len()),
        (h.best_epoch, h.train.len())
    );
    let mut full = model(3);
    batches(Trainer::new(&d.x, &d.y))
        .epochs(h2.train.len())
        .fit(&mut full, &mut Adam::new(0.003).unwrap(), &Mse)
        .unwrap();
    assert_eq!(bits(&kept), bits(&full));
    assert_ne!(bits(&kept), bits(&stopped));
}

#[test]
fn validation_does_not_change_training_and_reports_every_epoch() {
    let d = overfit();
    let mut plain = model(4);
    let losses =
        Trainer::new(&d.x, &d.y)
            .epochs(300)
            .fit(&mut plain, &mut Sgd::new(0.01).unwrap(), &Mse);
    let mut watched = model(4);
    let mut seen = Vec::new();
    let on_epoch = |e: &Epoch<'_, SeedNet>| {
        // The network handed over is the one after the epoch's update: its MSE on the
        // validation data, summed here in f64, is the reported loss up to the f32 sum's
        // rounding (≤ n·2⁻²⁴ relative for n = 200 non-negative terms: 1.2e-5).
        let pred = e.net.forward(&d.vx);
        let sse: f64 = pred
            .iter()
            .zip(d.vy.iter())
            .map(|(p, t)| ((p - t) as f64).powi(2))
            .sum();
        let reference = sse / 200.0;
        let val_loss = e.val_loss.unwrap();
        assert!(
            (val_loss - reference).abs() <= 1.2e-5 * reference,
            "{val_loss} vs {reference}"
        );
        seen.push((e.epoch, e.loss, val_loss));
    };
    let mut sgd = Sgd::new(0.01).unwrap();
    let h = Trainer::new(&d.x, &d.y)
        .epochs(300)
        .validation(&d.vx, &d.vy)
        .on_epoch(on_epoch)
        .fit(&mut watched, &mut sgd, &Mse)
        .unwrap();
    assert_eq!(bits(&plain), bits(&watched));
    assert_eq!(losses.unwrap().train, h.train);
    assert!(!h.stopped_early);
    assert_eq!(h.val.len(), 300);
    assert_eq!(h.best_epoch, Some(argmin(h.val.values())));
    let expected: Vec<_> = (0..300).map(|e| (e, h.train[e], h.val[e])).collect();
    assert_eq!(seen, expected);
}

#[test]
fn without_validation_the_training_loss_is_monitored() {
    // A `min_delta` no decrease can reach: epoch 0 improves on "nothing yet", no later
    // epoch does, so training stops `patience` epochs later, with a callback as without.
    let d = overfit();
    let never = EarlyStopping {
        patience: 7,
        min_delta: 1e9,
        restore_best: true,
    };
    let mut net = model(5);
    let h = Trainer::new(&d.x, &d.y)
        .epochs(100)
        .early_stopping(never)
        .on_epoch(|e| {
            assert_eq!(e.val_loss, None);
        })
        .fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse)
        .unwrap();
    assert_eq!(
        (h.train.len(), h.best_epoch, h.stopped_early),
        (8, Some(0), true)
    );
    assert!(h.val.is_empty());
    let mut other = model(5);
    let losses = Trainer::new(&d.x, &d.y)
        .epochs(100)
        .early_stopping(never)
        .fit(&mut other, &mut Sgd::new(0.01).unwrap(), &Mse);
    assert_eq!(losses.unwrap().train, h.train);
    assert_eq!(bits(&other), bits(&net));
    // A stop in the last configured epoch is not an early one.
    let mut sgd = Sgd::new(0.01).unwrap();
    let h8 = Trainer::new(&d.x, &d.y)
        .epochs(8)
        .early_stopping(never)
        .fit(&mut model(5), &mut sgd, &Mse)
        .unwrap();
    assert_eq!((h8.train.len(), h8.stopped_early), (8, false));
    // Restored: the weights epoch 0's loss was measured on, the initial ones (a full-batch
    // training loss is measured before the epoch's update).
    assert_eq!(bits(&model(5)), bits(&net));
}

/// Full batch, no validation data: the restored network is the one whose loss is
/// `train[best_epoch]` — the state after `best_epoch` epochs, not one update later.
#[test]
fn restoring_on_the_training_loss_keeps_the_weights_it_was_measured_on() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let data: constnet::Dataset<f32, 1, 1> = constnet::data::cubic(1000, 0.1, &mut rng).unwrap();
    let (x, y) = (data.x(), data.y());
    let mut net = model(9);
    let h = Trainer::new(x, y)
        .epochs(900)
        .early_stopping(EarlyStopping {
            patience: 3,
            min_delta: 0.0,
            restore_best: true,
        })
        .fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse)
        .unwrap();
    let best = h.best_epoch.unwrap();
    assert!(h.stopped_early && best > 0, "{best} of {}", h.train.len());
    assert!(
        h.train[best + 1] != h.train[best],
        "the test needs distinct losses"
    );
    let mut again = model(9);
    Trainer::new(x, y)
        .epochs(best)
        .fit(&mut again, &mut Sgd::new(0.01).unwrap(), &Mse)
        .unwrap();
    assert_eq!(bits(&again), bits(&net));
}

#[test]
fn bad_early_stopping_and_validation_data_are_rejected_before_training() {
    let d = overfit();
    let run = |stopping: EarlyStopping, vx: &Row, vy: &Row| {
        let mut net = model(6);
        let before = bits(&net);
        let mut sgd = Sgd::new(0.01).unwrap();
        let err = Trainer::new(&d.x, &d.y)
            .epochs(10)
            .validation(vx, vy)
            .early_stopping(stopping)
            .fit(&mut net, &mut sgd, &Mse)
            .unwrap_err();
        assert_eq!(bits(&net), before, "trained before rejecting: {err}");
        err
    };
    let with = |patience, min_delta| EarlyStopping {
        patience,
        min_delta,
        restore_best: true,
    };
    let err = run(with(0, 0.0), &d.vx, &d.vy);
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "patience",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.to_string(), "invalid patience: must be at least 1");
    for min_delta in [-1e-3, f64::NAN, f64::INFINITY] {
        let err = run(with(5, min_delta), &d.vx, &d.vy);
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "min_delta",
                    ..
                }
            ),
            "{err}"
        );
    }
    let ok = with(5, 0.0);
    let err = run(ok, &Row::zeros(0), &Row::zeros(0));
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "validation data",
                ..
            }
        ),
        "{err}"
    );
    let err = run(ok, &d.vx, &d.vy.columns(0, 199).into_owned());
    assert!(
        matches!(
            err,
            Error::LengthMismatch {
                what: "validation targets (samples)",
                expected: 200,
                found: 199
            }
        ),
        "{err}"
    );
    let mut bad = d.vx.clone();
    bad[7] = f32::NAN;
    let err = run(ok, &bad, &d.vy);
    assert!(
        matches!(
            err,
            Error::NonFinite {
                what: "validation inputs",
                index: 7
            }
        ),
        "{err}"
    );
    let mut bad = d.vy.clone();
    bad[3] = f32::INFINITY;
    let err = run(ok, &d.vx, &bad);
    assert!(
        matches!(
            err,
            Error::NonFinite {
                what: "validation targets",
                index: 3
            }
        ),
        "{err}"
    );
    // Without validation data the early-stopping settings are checked too.
    let mut net = model(6);
    let err = Trainer::new(&d.x, &d.y)
        .epochs(10)
        .early_stopping(with(0, 0.0))
        .fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse);
    assert!(matches!(
        err,
        Err(Error::InvalidParameter {
            name: "patience",
            ..
        })
    ));
}

#[test]
fn a_validation_loss_that_overflows_never_counts_as_best() {
    // Validation inputs of 1e30 overflow every prediction (f32): the loss is recorded as
    // it is, not taken for an improvement, and the stop comes `patience` epochs in.
    let d = overfit();
    let vx = Row::from_element(5, 1e30);
    let vy = Row::zeros(5);
    let mut net = model(7);
    let before = net.clone();
    let h = Trainer::new(&d.x, &d.y)
        .epochs(50)
        .validation(&vx, &vy)
        .early_stopping(EarlyStopping {
            patience: 4,
            ..EarlyStopping::default()
        })
        .fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse)
        .unwrap();
    assert!(h.val.values().iter().all(|v| !v.is_finite()), "{:?}", h.val);
    assert_eq!(
        (h.best_epoch, h.train.len(), h.stopped_early),
        (None, 4, true)
    );
    // Nothing to restore: the network is the one after the fourth epoch, not the initial one.
    assert_ne!(bits(&net), bits(&before));
}

#[test]
fn the_parallel_loop_validates_and_stops_the_same_way() {
    // 600 training samples: steps of three blocks, split over the two threads.
    let (x, y) = line(600, 0.6, 8);
    let (vx, vy) = line(300, 0.0, 9);
    let mut net = model(10);
    let mut adam = Adam::new(0.003).unwrap();
    let h = Trainer::new(&x, &y)
        .epochs(400)
        .validation(&vx, &vy)
        .early_stopping(EarlyStopping {
            patience: 5,
            min_delta: 1e-4,
            restore_best: true,
        })
        .threads(2)
        .fit(&mut net, &mut adam, &Mse)
        .unwrap();
    let best = h.best_epoch.unwrap();
    assert!(h.stopped_early, "ran all {} epochs", h.train.len());
    assert_eq!(h.train.len(), best + 6);
    // Restored: the weights of a `best + 1`-epoch run of the parallel loop, with its losses.
    let mut short = model(10);
    let mut adam = Adam::new(0.003).unwrap();
    let losses = Trainer::new(&x, &y)
        .epochs(best + 1)
        .threads(2)
        .fit(&mut short, &mut adam, &Mse)
        .unwrap();
    assert_eq!(losses.train.values(), &h.train.values()[..=best]);
    assert_eq!(bits(&short), bits(&net));
}

/// A callback's `ControlFlow::Break` ends training after that epoch; `Continue` does not.
#[test]
fn the_callback_can_stop_training() {
    use core::ops::ControlFlow;
    let d = overfit();
    let mut sgd = Sgd::new(0.01).unwrap();
    let stop_at = |n: usize| {
        move |e: &Epoch<'_, SeedNet>| match e.epoch + 1 == n {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    };
    let h = Trainer::new(&d.x, &d.y)
        .epochs(50)
        .on_epoch(stop_at(5))
        .fit(&mut model(3), &mut sgd, &Mse)
        .unwrap();
    assert_eq!(
        (h.train.len(), h.stopped_by_caller, h.stopped_early),
        (5, true, false)
    );
    let mut sgd = Sgd::new(0.01).unwrap();
    let h = Trainer::new(&d.x, &d.y)
        .epochs(50)
        .on_epoch(stop_at(0))
        .fit(&mut model(3), &mut sgd, &Mse)
        .unwrap();
    assert_eq!((h.train.len(), h.stopped_by_caller), (50, false));
    // A break in the last epoch is not an early one.
    let mut sgd = Sgd::new(0.01).unwrap();
    let h = Trainer::new(&d.x, &d.y)
        .epochs(50)
        .on_epoch(stop_at(50))
        .fit(&mut model(3), &mut sgd, &Mse)
        .unwrap();
    assert_eq!((h.train.len(), h.stopped_by_caller), (50, false));
}

/// An equal loss is no improvement (Keras: `best − value > min_delta`): weights that do
/// not move (a learning rate below their resolution) stop after `patience` epochs, the
/// first epoch best.
#[test]
fn a_plateau_is_not_an_improvement() {
    let d = overfit();
    let mut sgd = Sgd::new(1e-30).unwrap();
    let h = Trainer::new(&d.x, &d.y)
        .epochs(100)
        .early_stopping(EarlyStopping {
            patience: 3,
            min_delta: 0.0,
            restore_best: true,
        })
        .fit(&mut model(4), &mut sgd, &Mse)
        .unwrap();
    assert!(
        h.train.values().windows(2).all(|w| w[0] == w[1]),
        "the loss must not move"
    );
    assert_eq!(
        (h.train.len(), h.best_epoch, h.stopped_early),
        (4, Some(0), true)
    );
}

/// The weights restored are the ones the best monitored loss was measured on, in the two
/// cases the test above does not cover: full batches watched on validation data (measured
/// after the update, so not the epoch's starting weights), and mini-batches watched on their
/// training loss (no full-batch pass to measure before the update: the epoch's end).
#[test]
fn restore_best_returns_the_weights_of_the_best_epochs_end() {
    let d = overfit();
    for (batch_size, validated) in [(None, true), (Some(4), false)] {
        let mut trainer = Trainer::new(&d.x, &d.y)
            .epochs(3000)
            .shuffle_seed(5)
            .early_stopping(stopping(20, true));
        if let Some(b) = batch_size {
            trainer = trainer.batch_size(b);
        }
        if validated {
            trainer = trainer.validation(&d.vx, &d.vy);
        }
        let mut net = model(3);
        let mut seen = Vec::new();
        let h = trainer
            .on_epoch(|e: &Epoch<'_, SeedNet>| seen.push(bits(e.net)))
            .fit(&mut net, &mut Adam::new(0.003).unwrap(), &Mse)
            .unwrap();
        let best = h.best_epoch.unwrap();
        let case = format!("batch {batch_size:?}, validation {validated}");
        assert!(
            h.stopped_early && best > 0,
            "{case}: {best} of {}",
            h.train.len()
        );
        assert_eq!(bits(&net), seen[best], "{case}");
        assert_ne!(bits(&net), seen[best - 1], "{case}");
    }
}

/// The validation loss is the mean over every validation sample *and output*, as `loss::mse`
/// computes it: a network with two outputs checks the divisor.
#[test]
fn the_validation_loss_is_the_mse_over_samples_and_outputs() {
    type Two = net![Dense<1, 8>, Relu, Dense<8, 2>];
    let d = overfit();
    let two =
        |r: &Row| OMatrix::<f32, Const<2>, Dyn>::from_fn(r.ncols(), |i, j| r[j] * (i + 1) as f32);
    let (y, vy) = (two(&d.y), two(&d.vy));
    let mut net: Two = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(4), InitScheme::He);
    let h = Trainer::new(&d.x, &y)
        .epochs(3)
        .validation(&d.vx, &vy)
        .fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse)
        .unwrap();
    let expected = constnet::loss::mse(&net.forward(&d.vx), &vy).unwrap() as f64;
    let found = h.val[2];
    // Two sums of 400 f32 squares in different orders, each within ~400 roundings of 2⁻²⁴
    // of the exact sum (2.4e-5 relative), so at most ~4.8e-5 apart; a wrong divisor is
    // off by a factor of 2 or more.
    assert!(
        (found - expected).abs() <= 1e-4 * expected,
        "{found} vs {expected}"
    );
}
