//! The training loop: convergence, reproducibility, and every error it promises.

use constnet::train::History;
use constnet::{Dense, Error, Init, InitScheme, Mse, Params, Relu, Sgd, Trainer, net};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
type Row = OMatrix<f32, Const<1>, Dyn>;

fn model(seed: u64) -> SeedNet {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::He)
}

/// `n` samples of y = x³ + N(0, 0.1²)-ish noise (uniform here: the data module has the real
/// generator; this keeps the loop's tests independent of it).
fn cubic(n: usize, seed: u64) -> (Row, Row) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Row::from_fn(n, |_, _| rng.random_range(-2.0..2.0f32));
    let y = x.map(|v| v * v * v + rng.random_range(-0.17..0.17f32));
    (x, y)
}

fn r2(pred: &Row, y: &Row) -> f64 {
    let mean = y.mean();
    let ss_res: f32 = pred
        .iter()
        .zip(y.iter())
        .map(|(p, t)| (p - t) * (p - t))
        .sum();
    let ss_tot: f32 = y.iter().map(|t| (t - mean) * (t - mean)).sum();
    1.0 - (ss_res / ss_tot) as f64
}

/// A trainer of the seed network on rows of samples, before `fit`.
type Run<'a> = Trainer<'a, f32, 1, Row, SeedNet>;

/// `trainer` with plain SGD at `lr` and no callback.
fn sgd(net: &mut SeedNet, lr: f64, trainer: Run<'_>) -> constnet::Result<History> {
    trainer.fit(net, &mut Sgd::new(lr).unwrap(), &Mse)
}

#[test]
fn reduced_cubic_run_converges() {
    // 200 samples, 400 full-batch epochs of the seed's SGD: a short version of the example.
    let (x, y) = cubic(200, 7);
    let mut net = model(7);
    let losses = sgd(&mut net, 0.01, Trainer::new(&x, &y).epochs(400))
        .unwrap()
        .train;
    assert_eq!(losses.len(), 400);
    let fit_r2 = r2(&constnet::Forward::forward(&net, &x), &y);
    assert!(fit_r2 >= 0.9, "R² after 400 epochs: {fit_r2}");
    assert!(
        losses[399] < losses[0] / 10.0,
        "{} -> {}",
        losses[0],
        losses[399]
    );
}

#[test]
fn mini_batches_converge_and_use_the_last_partial_batch() {
    let (x, y) = cubic(203, 3);
    let mut net = model(3);
    let mut steps = 0;
    let losses = Trainer::new(&x, &y)
        .epochs(60)
        .batch_size(32)
        .shuffle_seed(9)
        .drop_last(false)
        .on_epoch(|_| steps += 1)
        .fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse)
        .unwrap()
        .train;
    assert_eq!(steps, 60);
    assert!(
        losses[59] < losses[0] / 5.0,
        "{} -> {}",
        losses[0],
        losses[59]
    );
}

#[test]
fn drop_last_changes_the_updates() {
    let (x, y) = cubic(40, 4);
    let run = |drop_last| {
        let mut net = model(4);
        let trainer = Trainer::new(&x, &y)
            .epochs(1)
            .batch_size(16)
            .shuffle_seed(1)
            .drop_last(drop_last);
        sgd(&mut net, 0.01, trainer).unwrap();
        net
    };
    // 40 = 16 + 16 + 8: with drop_last the 8-sample step is skipped, so the nets differ.
    assert_ne!(run(true), run(false));
}

#[test]
fn same_seed_same_bits() {
    let (x, y) = cubic(100, 5);
    let run = || {
        let mut net = model(5);
        let trainer = Trainer::new(&x, &y)
            .epochs(20)
            .batch_size(25)
            .shuffle_seed(11)
            .drop_last(false);
        let l = sgd(&mut net, 0.01, trainer).unwrap().train;
        (net, l)
    };
    let (a, la) = run();
    let (b, lb) = run();
    assert_eq!(la, lb);
    for t in 0..<SeedNet as Params<f32>>::TENSORS {
        let bits = |n: &SeedNet| n.tensor(t).iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
    }
}

#[test]
fn huge_learning_rate_is_reported_as_divergence() {
    let (x, y) = cubic(100, 6);
    let mut net = model(6);
    let err = sgd(&mut net, 10.0, Trainer::new(&x, &y).epochs(900)).unwrap_err();
    match err {
        Error::Diverged { epoch, loss } => {
            assert!(!loss.is_finite());
            assert!(epoch < 900);
            // The message counts epochs from 1, as progress lines (`epoch 3/10`) do.
            assert!(
                err.to_string()
                    .contains(&format!("in epoch {} ", epoch + 1))
            );
        }
        other => panic!("expected divergence, got {other}"),
    }
}

#[test]
fn divergence_messages_count_epochs_as_progress_lines_do() {
    // Progress prints `epoch 3/10` for the third epoch, whose 0-based index is 2.
    let nan = Error::Diverged {
        epoch: 2,
        loss: f64::NAN,
    };
    assert_eq!(
        nan.to_string(),
        "training diverged: loss is NaN in epoch 3 (try a smaller learning rate)"
    );
    let params = Error::Diverged {
        epoch: 0,
        loss: 0.5,
    };
    assert!(
        params.to_string().contains("an update in epoch 1 made"),
        "{params}"
    );
}

#[test]
fn a_loss_that_overflows_before_any_step_is_not_called_divergence() {
    // Targets around 1e18 are finite in f32, but 1 000 squared errors of 1e36 sum past
    // f32::MAX (3.4e38) before the first update: no learning rate can help.
    let (x, y) = cubic(1000, 9);
    let y = y.map(|v| 1e18 + v);
    for batch_size in [None, Some(500)] {
        let mut net = model(9);
        let before = net.clone();
        let mut trainer = Trainer::new(&x, &y).epochs(10);
        if let Some(b) = batch_size {
            trainer = trainer.batch_size(b);
        }
        let err = sgd(&mut net, 0.01, trainer).unwrap_err();
        match err {
            Error::LossOverflow { loss, scalar } => {
                assert!(loss.is_infinite(), "{loss}");
                assert_eq!(scalar, "f32");
            }
            ref other => panic!("{batch_size:?}: expected LossOverflow, got {other:?}"),
        }
        let msg = err.to_string();
        for part in [
            "overflow f32",
            "before any training step",
            "constnet::scale",
            "f64",
        ] {
            assert!(msg.contains(part), "{part:?} not in {msg}");
        }
        assert!(!msg.contains("try a smaller learning rate"), "{msg}");
        assert_eq!(net, before, "no step was made");
    }
    // A network that is NaN itself is not the data's fault: that stays divergence.
    let mut net = model(9);
    net.second.b[0] = f32::NAN;
    let err = sgd(&mut net, 0.01, Trainer::new(&x, &x).epochs(1)).unwrap_err();
    assert!(matches!(err, Error::Diverged { epoch: 0, .. }), "{err:?}");
}

#[test]
fn bad_config_and_data_are_rejected_before_training() {
    let (x, y) = cubic(10, 1);
    let sgd = Sgd::new(0.01).unwrap();
    let run = |trainer: Run<'_>| {
        let mut net = model(1);
        let before = net.clone();
        let result = trainer.fit(&mut net, &mut sgd.clone(), &Mse);
        assert_eq!(net, before, "a rejected run must not touch the network");
        result.unwrap_err()
    };
    let epochs = |x, y, epochs| Trainer::new(x, y).epochs(epochs);
    assert!(matches!(run(epochs(&x, &y, 0)), Error::ZeroEpochs));
    let empty = Row::zeros(0);
    assert!(matches!(run(epochs(&empty, &empty, 1)), Error::EmptyData));
    let short = Row::zeros(9);
    assert!(matches!(
        run(epochs(&x, &short, 1)),
        Error::LengthMismatch {
            expected: 10,
            found: 9,
            ..
        }
    ));
    for b in [0, 11] {
        assert!(matches!(
            run(epochs(&x, &y, 1).batch_size(b)),
            Error::InvalidBatchSize { .. }
        ));
    }
    let mut bad_x = x.clone();
    bad_x[3] = f32::NAN;
    assert!(matches!(
        run(epochs(&bad_x, &y, 1)),
        Error::NonFinite {
            what: "inputs",
            index: 3
        }
    ));
    let mut bad_y = y.clone();
    bad_y[5] = f32::INFINITY;
    assert!(matches!(
        run(epochs(&x, &bad_y, 1)),
        Error::NonFinite {
            what: "targets",
            index: 5
        }
    ));
}

#[test]
fn bad_learning_rates_are_rejected() {
    for lr in [0.0, -0.01, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(Sgd::<f32>::new(lr), Err(Error::InvalidLearningRate(_))),
            "lr {lr} accepted"
        );
    }
    assert!(matches!(
        Sgd::<f32>::new(1e-50),
        Err(Error::LearningRateRange { .. })
    ));
    assert!(Sgd::<f64>::new(1e-50).is_ok(), "representable in f64");
}

#[test]
fn an_update_that_breaks_the_parameters_is_divergence_even_in_the_last_epoch() {
    // One epoch with an absurd step: the loss before the update is finite, the network
    // after it predicts NaN (its weights are finite but overflow in forward). `Ok` would
    // hand back that network.
    let (x, y) = cubic(100, 8);
    let mut net = model(8);
    let err = sgd(&mut net, 1e30, Trainer::new(&x, &y).epochs(1)).unwrap_err();
    assert!(matches!(err, Error::Diverged { epoch: 0, .. }), "{err}");
    assert!(err.to_string().starts_with("training diverged"), "{err}");
    // An update that makes a weight itself non-finite is caught at the end of its epoch.
    let mut net = model(8);
    let err = sgd(&mut net, 1e38, Trainer::new(&x, &y).epochs(3)).unwrap_err();
    match err {
        Error::Diverged { epoch: 0, loss } => assert!(loss.is_finite(), "{loss}"),
        ref other => panic!("expected divergence at epoch 0, got {other}"),
    }
    assert!(
        err.to_string().contains("made parameters NaN or infinite"),
        "{err}"
    );
}

#[test]
fn ok_means_every_parameter_and_prediction_is_finite() {
    let (x, y) = cubic(64, 9);
    for lr in [1e-3, 1e-2, 0.1, 1.0, 10.0, 1e3] {
        let mut net = model(9);
        if sgd(&mut net, lr, Trainer::new(&x, &y).epochs(50)).is_ok() {
            assert!(net.is_finite(), "lr {lr}");
            let pred = constnet::Forward::forward(&net, &x);
            assert!(pred.iter().all(|v| v.is_finite()), "lr {lr}");
        }
    }
}

#[test]
fn history_records_the_loss_before_each_update() {
    let (x, y) = cubic(50, 10);
    let mut net = model(10);
    let start = constnet::loss::mse(&constnet::Forward::forward(&net, &x), &y).unwrap();
    let losses = sgd(&mut net, 0.01, Trainer::new(&x, &y).epochs(2))
        .unwrap()
        .train;
    assert_eq!(
        losses[0], start as f64,
        "full batch: epoch 0 is the starting model's MSE"
    );
}

#[test]
fn mini_batch_history_is_the_sample_weighted_mean() {
    // With a step too small to change any f32 weight, every batch sees the starting model,
    // so the epoch's loss must equal the full-data MSE: batches of 3, 3 and 1 samples
    // weighted by size. (An unweighted mean of the three batch means would not.)
    let (x, y) = cubic(7, 11);
    let mut net = model(11);
    for t in [1, 3, 5] {
        net.tensor_mut(t).fill(0.5); // non-zero biases: a 1e-30 step cannot move them
    }
    let start = constnet::loss::mse(&constnet::Forward::forward(&net, &x), &y).unwrap() as f64;
    let trainer = Trainer::new(&x, &y)
        .epochs(1)
        .batch_size(3)
        .shuffle_seed(2)
        .drop_last(false);
    let before = net.clone();
    let losses = sgd(&mut net, 1e-30, trainer).unwrap().train;
    assert_eq!(
        net, before,
        "the step was meant to be too small to change anything"
    );
    assert!(
        (losses[0] - start).abs() <= 1e-6 * start,
        "{} vs {start}",
        losses[0]
    );
}

/// Every parameter's bits.
fn bits(net: &SeedNet) -> Vec<u32> {
    (0..<SeedNet as Params<f32>>::TENSORS)
        .flat_map(|t| net.tensor(t).iter().map(|v| v.to_bits()))
        .collect()
}

#[test]
fn parallel_fit_is_deterministic_and_matches_one_thread_up_to_rounding() {
    let train = |n, parallel: bool| {
        let (x, y) = cubic(n, 8);
        let mut net = model(8);
        let mut sgd = Sgd::new(0.01).unwrap();
        let trainer = Trainer::new(&x, &y).epochs(5);
        let history = if parallel {
            trainer.threads(2).fit(&mut net, &mut sgd, &Mse)
        } else {
            trainer.fit(&mut net, &mut sgd, &Mse)
        };
        (net, history.unwrap().train)
    };
    // 5 000 samples = 20 blocks, 1 000 = 4 blocks: split over two threads, the same bits
    // run after run (whichever thread ends up computing the second half).
    for n in [1000, 5000] {
        let (a, la) = train(n, true);
        for _ in 0..3 {
            let (b, lb) = train(n, true);
            assert_eq!((bits(&a), &la), (bits(&b), &lb), "two parallel runs differ");
        }
    }
    let (a, la) = train(5000, true);
    let (s, ls) = train(5000, false);
    for (p, q) in la.values().iter().zip(ls.values()) {
        assert!((p - q).abs() <= 1e-5 * q.abs(), "loss {p} vs {q}");
    }
    for t in 0..<SeedNet as Params<f32>>::TENSORS {
        for (p, q) in a.tensor(t).iter().zip(s.tensor(t)) {
            assert!((p - q).abs() <= 1e-4 * (1.0 + q.abs()), "{p} vs {q}");
        }
    }
    // 256 samples (one block) stay on one thread: exactly the one-thread run.
    let (a, la) = train(256, true);
    let (s, ls) = train(256, false);
    assert_eq!((bits(&a), la), (bits(&s), ls));
}

/// Fewer samples than outputs: the final loss check divides by samples × outputs (a
/// divisor of samples ÷ outputs would be 0 here and call a sound run diverged).
#[test]
fn one_sample_with_two_outputs_trains() {
    type Two = net![Dense<1, 4>, Relu, Dense<4, 2>];
    let mut net: Two = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(2), InitScheme::He);
    let x = OMatrix::<f32, Const<1>, Dyn>::from_element(1, 0.5);
    let y = OMatrix::<f32, Const<2>, Dyn>::from_element(1, 0.25);
    let losses = Trainer::new(&x, &y)
        .epochs(3)
        .fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse);
    let losses = losses.unwrap().train;
    assert_eq!(losses.len(), 3);
    assert!(
        losses.values().iter().all(|l| l.is_finite() && *l > 0.0),
        "{losses:?}"
    );
}

/// A batch as large as the data set is the full batch: accepted, and the same run.
#[test]
fn a_batch_of_every_sample_is_the_full_batch() {
    let (x, y) = cubic(40, 3);
    let run = |batch_size| {
        let mut net = model(3);
        let mut trainer = Trainer::new(&x, &y).epochs(5);
        if let Some(b) = batch_size {
            trainer = trainer.batch_size(b);
        }
        let losses = trainer.fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse);
        (losses.unwrap().train, net)
    };
    let (full, a) = run(None);
    let (every, b) = run(Some(40));
    assert_eq!(full, every);
    for t in 0..<SeedNet as Params<f32>>::TENSORS {
        assert_eq!(a.tensor(t), b.tensor(t), "tensor {t}");
    }
}
