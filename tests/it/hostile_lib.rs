//! Issue #12, the library: every hostile input to a public function gets one typed error
//! (or a sound `Ok`), never a panic, an abort, an absurd allocation or a silent wrong
//! result. One test per group of calls; each asserts the documented outcome.

use constnet::data::{CsvError, Dataset, KFold, cubic, synthetic};
use constnet::diagnose::{Diagnostics, Failure, check_learned, diagnose};
use constnet::gradcheck::{self, GradCheck};
use constnet::train::{Curve, EarlyStopping, History};
use constnet::{
    AdamConfig, Dense, Error, FormatError, Init, InitScheme, Momentum, Mse, Optimizer, Relu,
    Rescale, Scaled, Sgd, Standardize, Trainer, eval, loss, net, persist, quant, safetensors,
};
use nalgebra::{Const, DMatrix, Dyn, OMatrix};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

type Small = net![Dense<1, 4, f64>, Relu, Dense<4, 1, f64>];
type Small32 = net![Dense<1, 4>, Relu, Dense<4, 1>];
type X = OMatrix<f64, Const<1>, Dyn>;

fn rng() -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(0)
}

fn row(v: &[f64]) -> X {
    X::from_row_slice(v)
}

fn model() -> Small {
    Init::init(&mut rng(), InitScheme::He)
}

fn four() -> Dataset<f64, 1, 1> {
    Dataset::new(row(&[0.0, 1.0, 2.0, 3.0]), row(&[0.0, 1.0, 4.0, 9.0])).unwrap()
}

fn invalid(r: Result<impl std::fmt::Debug, Error>, param: &str) {
    match r {
        Err(Error::InvalidParameter { name, .. }) if name == param => {}
        other => panic!("expected InvalidParameter {{ name: {param:?} }}, got {other:?}"),
    }
}

#[test]
fn dataset_constructors_and_carving_reject_hostile_inputs() {
    let nan = f64::NAN;
    assert!(matches!(
        Dataset::new(row(&[]), row(&[])),
        Err(Error::EmptyData)
    ));
    let r = Dataset::new(row(&[1.0]), row(&[1.0, 2.0]));
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            expected: 1,
            found: 2,
            ..
        })
    ));
    let r = Dataset::new(row(&[1.0, nan]), row(&[1.0, 2.0]));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "x",
            index: 1
        })
    ));
    let r = Dataset::new(row(&[1.0]), row(&[f64::INFINITY]));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "y",
            index: 0
        })
    ));
    let zero_width = OMatrix::<f64, Const<0>, Dyn>::zeros(1);
    invalid(
        Dataset::<f64, 0, 1>::new(zero_width, row(&[1.0])),
        "Dataset width",
    );

    let d = four();
    assert!(matches!(d.select(&[]), Err(Error::EmptyData)));
    invalid(d.select(&[4]), "select indices");
    invalid(d.select(&[0, usize::MAX]), "select indices");
    assert_eq!(d.select(&[1, 1, 1]).unwrap().x().as_slice(), &[1.0; 3]); // repeats allowed

    for fraction in [nan, -0.5, 0.0, 1.0, 1.5, f64::INFINITY, 1.0 - 1e-16] {
        invalid(d.split(fraction, &mut rng()), "test_fraction");
    }
    let one = Dataset::new(row(&[1.0]), row(&[1.0])).unwrap();
    invalid(one.split(0.5, &mut rng()), "test_fraction");
    let (train, test) = d.split(1e-300, &mut rng()).unwrap(); // ceil: one test sample
    assert_eq!((train.len(), test.len()), (3, 1));

    for k in [0, 1, 5, usize::MAX] {
        invalid(d.kfold(k, &mut rng()), "k");
    }
    assert_eq!(d.kfold(4, &mut rng()).unwrap().k(), 4); // k = n: leave-one-out
    invalid(KFold::new(0, 2, &mut rng()), "k");
    let folds = d.kfold(2, &mut rng()).unwrap();
    invalid(folds.test(usize::MAX), "fold");
    invalid(folds.train(2), "fold");
    invalid(d.fold(&folds, usize::MAX), "fold");
    let r = one.fold(&folds, 0);
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            expected: 1,
            found: 4,
            ..
        })
    ));

    invalid(d.sample(0, &mut rng()), "max");
    assert_eq!(d.sample(usize::MAX, &mut rng()).unwrap(), d);
    assert_eq!(d.sample(1, &mut rng()).unwrap().len(), 1);
}

#[test]
fn kfold_of_more_samples_than_fit_in_memory_is_too_large_not_a_panic() {
    // Before: `(0..n).collect()` panicked with "capacity overflow" (or aborted the
    // process when the allocation itself failed).
    for n in [usize::MAX, usize::MAX / 4] {
        for k in [2, n] {
            let r = KFold::new(n, k, &mut rng());
            assert!(
                matches!(r, Err(Error::TooLarge { what: "k-fold split (samples)", count }) if count == n),
                "n = {n}, k = {k}: {r:?}"
            );
        }
    }
}

#[test]
fn csv_readers_reject_hostile_text() {
    fn csv(text: &[u8]) -> Result<Dataset<f64, 1, 1>, CsvError> {
        Dataset::from_csv_reader(text)
    }
    /// [`invalid`] for a CSV reader's result: the parameter error is its data error.
    fn invalid_csv(r: Result<impl std::fmt::Debug, CsvError>, param: &str) {
        match r {
            Err(CsvError::Data(Error::InvalidParameter { name, .. })) if name == param => {}
            other => panic!("expected InvalidParameter {{ name: {param:?} }}, got {other:?}"),
        }
    }
    fn at(r: Result<Dataset<f64, 1, 1>, CsvError>, line: usize, column: usize) {
        match r {
            Err(CsvError::Line {
                path: None,
                line: l,
                column: c,
                ..
            }) if (l, c) == (line, column) => {}
            other => panic!("expected a CSV error at {line}:{column}, got {other:?}"),
        }
    }
    assert!(matches!(csv(b""), Err(CsvError::Data(Error::EmptyData))));
    assert!(matches!(
        csv(b"x,y\n"),
        Err(CsvError::Data(Error::EmptyData))
    ));
    at(csv(b"1,NaN\n"), 1, 2);
    at(csv(b"inf,1\n"), 1, 1);
    at(csv(b"1e400,1\n"), 1, 1);
    at(csv(b"1,2\n3\n"), 2, 0);
    at(csv(b"1,2\0\n"), 1, 2);
    at(csv(b"1,\xff\n"), 1, 0);
    let r = Dataset::<f32, 1, 1>::from_csv_reader(&b"1e39,1\n"[..]);
    assert!(
        matches!(
            r,
            Err(CsvError::Line {
                line: 1,
                column: 1,
                ..
            })
        ),
        "{r:?}"
    );
    invalid_csv(
        Dataset::<f64, 0, 1>::from_csv_reader(&b"1\n"[..]),
        "Dataset width",
    );

    let cols = |text: &[u8], i: &str, t: &str| {
        Dataset::<f64, 1, 1>::from_csv_columns_reader(text, [i], [t])
    };
    assert!(matches!(
        cols(b"", "a", "b"),
        Err(CsvError::Data(Error::EmptyData))
    ));
    assert!(matches!(
        cols(b"a,b\n", "a", "b"),
        Err(CsvError::Data(Error::EmptyData))
    ));
    invalid_csv(cols(b"a,b\n1,2\n", "a", "a"), "CSV column names");
    invalid_csv(cols(b"a,b\n1,2\n", " ", "b"), "CSV column names");
    at(cols(b"a,b,a\n1,2,3\n", "a", "b"), 1, 3);
    assert_eq!(cols(b"a,b,c\n1,2,zz\n", "a", "b").unwrap().len(), 1); // unused text column
}

#[test]
fn synthetic_data_rejects_hostile_parameters() {
    let s = |n, lo, hi, noise| synthetic::<f64, _>(n, lo, hi, noise, |x| x, &mut rng());
    invalid(s(0, 0.0, 1.0, 0.0), "n");
    invalid(s(3, 1.0, 1.0, 0.0), "range");
    invalid(s(3, -f64::MAX, f64::MAX, 0.0), "range"); // hi − lo overflows
    invalid(s(3, f64::NAN, 1.0, 0.0), "range");
    invalid(s(3, 0.0, 1.0, f64::NAN), "noise");
    invalid(cubic::<f64, _>(3, -1.0, &mut rng()), "noise");
    let r = s(usize::MAX, 0.0, 1.0, 0.0);
    assert!(matches!(
        r,
        Err(Error::TooLarge {
            count: usize::MAX,
            ..
        })
    ));
    let r = synthetic::<f64, _>(3, 0.0, 1.0, 0.0, |_| f64::NAN, &mut rng());
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "y",
            index: 0
        })
    ));
    let r = synthetic::<f32, _>(3, 0.0, 1.0, 0.0, |_| 1e300, &mut rng());
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "y",
            index: 0
        })
    ));
    let r = synthetic::<f32, _>(3, 0.0, 1.0, 1e300, |x| x, &mut rng());
    assert!(matches!(r, Err(Error::NonFinite { what: "y", .. })));
    assert_eq!(cubic::<f64, _>(1, 0.0, &mut rng()).unwrap().len(), 1);
}

#[test]
fn eval_on_empty_mismatched_or_non_finite_data() {
    let m = model();
    assert!(matches!(
        eval::predict(&m, &row(&[])),
        Err(Error::EmptyData)
    ));
    assert!(matches!(
        eval::scores(&m, &row(&[]), &row(&[])),
        Err(Error::EmptyData)
    ));
    let r = eval::scores(&m, &row(&[1.0]), &row(&[1.0, 2.0]));
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            expected: 1,
            found: 2,
            ..
        })
    ));
    let r = eval::scores(&m, &row(&[f64::NAN]), &row(&[1.0]));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "prediction",
            index: 0
        })
    ));
    let r = eval::scores(&m, &row(&[1.0]), &row(&[f64::NAN]));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "target",
            index: 0
        })
    ));
    let r = eval::scores(&m, &row(&[1.0, 2.0]), &row(&[f64::MAX, -f64::MAX]));
    assert!(matches!(r, Err(Error::Undefined(_))), "{r:?}");
    // One sample: constant targets, so no R², the other scores defined.
    let s = eval::scores(&m, &row(&[1.0]), &row(&[1.0])).unwrap();
    assert!(s.r2.is_none() && s.mse.is_finite());
}

#[test]
fn scalers_reject_hostile_parameters_and_data() {
    let st = |mean: &[f64], std: &[f64]| Standardize::<1, f64>::from_slices(mean, std);
    for std in [0.0, -0.0, 1e-310] {
        invalid(st(&[0.0], &[std]), "scaler std");
        invalid(Rescale::<1, f64>::from_slices(&[0.0], &[std]), "scaler std");
    }
    let r = st(&[0.0], &[f64::NAN]);
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "scaler std",
            index: 0
        })
    ));
    let r = st(&[f64::INFINITY], &[1.0]);
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "scaler mean",
            index: 0
        })
    ));
    let r = Standardize::<2, f64>::from_slices(&[0.0], &[1.0, 1.0]);
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            what: "scaler mean",
            expected: 2,
            found: 1
        })
    ));
    let r = Standardize::<2, f64>::from_slices(&[0.0, 1.0], &[1.0]);
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            what: "scaler std",
            expected: 2,
            found: 1
        })
    ));

    assert!(matches!(
        Standardize::<1, f64>::from_data(&row(&[])),
        Err(Error::EmptyData)
    ));
    assert!(matches!(
        Rescale::<1, f64>::from_data(&row(&[])),
        Err(Error::EmptyData)
    ));
    let r = Standardize::<1, f64>::from_data(&row(&[1.0, f64::NAN]));
    assert!(matches!(r, Err(Error::NonFinite { index: 1, .. })));
    invalid(
        Standardize::<1, f64>::from_data(&row(&[f64::MAX, -f64::MAX])),
        "Standardize::from_data data",
    );
    // Constant feature and a single sample: std 1, as scikit-learn.
    for x in [row(&[3.0, 3.0, 3.0]), row(&[3.0])] {
        let s = Standardize::<1, f64>::from_data(&x).unwrap();
        assert_eq!((s.mean[0], s.std[0]), (3.0, 1.0));
    }

    let r = Scaled::from_data(model(), &row(&[1.0]), &row(&[1.0, 2.0]));
    assert!(matches!(r, Err(Error::LengthMismatch { .. })));
    assert!(matches!(
        Scaled::from_data(model(), &row(&[]), &row(&[])),
        Err(Error::EmptyData)
    ));
    let r = Scaled::from_data(model(), &row(&[f64::NAN]), &row(&[1.0]));
    assert!(matches!(r, Err(Error::NonFinite { .. })));
    // Scalers set by hand through the public fields: overflow is caught on the way out.
    let d = four();
    let mut s = Scaled::from_data(model(), d.x(), d.y()).unwrap();
    s.output.std[0] = 0.0;
    let r = s.training_data(&d);
    assert!(matches!(r, Err(Error::NonFinite { what: "y", .. })));
}

/// A trainer of the small network on rows of samples, before `fit`.
type Run<'a> = Trainer<'a, f64, 1, X, Small>;

fn cfg<'a>(x: &'a X, y: &'a X, epochs: usize) -> Run<'a> {
    Trainer::new(x, y).epochs(epochs)
}

fn train(trainer: Run<'_>) -> Result<Curve, Error> {
    let history: History = trainer.fit(&mut model(), &mut Sgd::new(0.01)?, &Mse)?;
    Ok(history.train)
}

#[test]
fn fit_rejects_hostile_data_and_config() {
    let d = four();
    let (x, y) = (d.x(), d.y());
    assert!(matches!(
        train(cfg(&row(&[]), &row(&[]), 3)),
        Err(Error::EmptyData)
    ));
    let r = train(cfg(&row(&[1.0]), &row(&[2.0, 3.0]), 3));
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            expected: 1,
            found: 2,
            ..
        })
    ));
    let r = train(cfg(&row(&[f64::NAN]), &row(&[2.0]), 3));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "inputs",
            index: 0
        })
    ));
    let r = train(cfg(&row(&[1.0]), &row(&[f64::NEG_INFINITY]), 3));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "targets",
            index: 0
        })
    ));
    assert!(matches!(train(cfg(x, y, 0)), Err(Error::ZeroEpochs)));
    for b in [0, 5, usize::MAX] {
        let r = train(cfg(x, y, 2).batch_size(b));
        assert!(
            matches!(r, Err(Error::InvalidBatchSize { batch_size, samples: 4 }) if batch_size == b)
        );
    }
    // One sample, constant columns: sound finite losses.
    assert!(
        train(cfg(&row(&[1.0]), &row(&[2.0]), 3))
            .unwrap()
            .values()
            .iter()
            .all(|l| l.is_finite())
    );
    let losses = train(cfg(&row(&[1.0; 3]), &row(&[2.0; 3]), 3)).unwrap();
    assert_eq!(losses.len(), 3);

    let es = |patience, min_delta| {
        cfg(x, y, 5).early_stopping(EarlyStopping {
            patience,
            min_delta,
            restore_best: true,
        })
    };
    invalid(train(es(0, 0.0)), "patience");
    for min_delta in [f64::NAN, -1.0, f64::INFINITY, f64::NEG_INFINITY] {
        invalid(train(es(1, min_delta)), "min_delta");
    }
    assert_eq!(train(es(usize::MAX, 0.0)).unwrap().len(), 5);
    // No loss ever improves by f64::MAX: stops after `patience` epochs.
    assert_eq!(train(es(1, f64::MAX)).unwrap().len(), 2);
}

#[test]
fn fit_with_non_finite_parameters_is_diverged_not_ok() {
    let d = four();
    for batch_size in [None, Some(2)] {
        let mut nan_weight = model();
        nan_weight.first.first.w[0] = f64::NAN;
        let mut inf_bias = model();
        inf_bias.second.b[0] = f64::INFINITY;
        // A NaN behind ReLUs that are never active still makes the network non-finite.
        let mut hidden_nan = model();
        hidden_nan.first.first.b.fill(-1e6);
        hidden_nan.second.w[0] = f64::NAN;
        for mut m in [nan_weight, inf_bias, hidden_nan] {
            let mut trainer = cfg(d.x(), d.y(), 3);
            if let Some(b) = batch_size {
                trainer = trainer.batch_size(b);
            }
            let r = trainer.fit(&mut m, &mut Sgd::new(0.01).unwrap(), &Mse);
            assert!(matches!(r, Err(Error::Diverged { epoch: 0, .. })), "{r:?}");
        }
    }
}

#[test]
fn fit_rejects_hostile_validation_data() {
    let d = four();
    let (empty, nan, one, two) = (row(&[]), row(&[f64::NAN]), row(&[1.0]), row(&[1.0, 2.0]));
    let run = |vx: &X, vy: &X, stopping: Option<EarlyStopping>| {
        let mut trainer = cfg(d.x(), d.y(), 3).validation(vx, vy);
        if let Some(es) = stopping {
            trainer = trainer.early_stopping(es);
        }
        trainer.fit(&mut model(), &mut Sgd::new(0.01).unwrap(), &Mse)
    };
    invalid(run(&empty, &empty, None), "validation data");
    invalid(run(&empty, &one, None), "validation data");
    let r = run(&nan, &one, None);
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "validation inputs",
            index: 0
        })
    ));
    let r = run(&one, &nan, None);
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "validation targets",
            index: 0
        })
    ));
    let r = run(&one, &two, None);
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            expected: 1,
            found: 2,
            ..
        })
    ));
    let stopping = EarlyStopping {
        patience: 0,
        ..EarlyStopping::default()
    };
    invalid(run(&one, &one, Some(stopping)), "patience");
}

#[test]
fn diagnose_rejects_hostile_data() {
    let m = model();
    assert!(matches!(
        diagnose(&m, &row(&[]), &row(&[]), &Mse),
        Err(Error::EmptyData)
    ));
    let r = diagnose(&m, &row(&[1.0]), &row(&[1.0, 2.0]), &Mse);
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            expected: 1,
            found: 2,
            ..
        })
    ));
    let r = diagnose(&m, &row(&[f64::NAN]), &row(&[1.0]), &Mse);
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "x",
            index: 0
        })
    ));
    let r = diagnose(&m, &row(&[1.0]), &row(&[f64::INFINITY]), &Mse);
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "y",
            index: 0
        })
    ));
    // A NaN parameter is reported, not an error (documented).
    let mut bad = model();
    bad.second.b[0] = f64::NAN;
    assert!(
        diagnose(&bad, four().x(), four().y(), &Mse)
            .unwrap()
            .loss
            .is_nan()
    );
}

#[test]
fn check_learned_on_hostile_histories() {
    let healthy = Diagnostics {
        layers: vec![],
        samples: 4,
        loss: 0.01,
    };
    // An empty history is judged by R² alone; a NaN R² fails.
    assert!(check_learned(&[], 0.9, &healthy).is_ok());
    let r = check_learned(&[], f64::NAN, &healthy);
    assert!(matches!(r, Err(Failure::NoFit { train_r2 }) if train_r2.is_nan()));
    let r = check_learned(&[1.0, 0.5], f64::NEG_INFINITY, &healthy);
    assert!(matches!(r, Err(Failure::NoFit { .. })));
    // A non-finite loss counts as an infinite peak.
    let r = check_learned(&[1.0, f64::NAN, 2.0], 0.9, &healthy);
    assert!(
        matches!(r, Err(Failure::Exploded { peak_epoch: 1, .. })),
        "{r:?}"
    );
}

#[test]
fn check_learned_does_not_call_a_flat_zero_loss_an_explosion() {
    // Before: a history that starts at 0 and stays there (a network that fits its data
    // exactly from the first epoch) was `Exploded { first: 0, peak: 0 }`, "the training
    // loss exploded from 0 to 0", since every peak is ≥ 100 · 0.
    let healthy = Diagnostics {
        layers: vec![],
        samples: 4,
        loss: 0.0,
    };
    assert_eq!(check_learned(&[0.0, 0.0, 0.0], 0.99, &healthy), Ok(()));
    assert_eq!(check_learned(&[0.0], 1.0, &healthy), Ok(()));
    // A loss that rises from 0 did blow up.
    let r = check_learned(&[0.0, 1.0], 0.99, &healthy);
    assert!(
        matches!(r, Err(Failure::Exploded { peak_epoch: 1, .. })),
        "{r:?}"
    );
    // A history infinite from its first epoch is still an explosion.
    let r = check_learned(&[f64::INFINITY, f64::INFINITY], 0.99, &healthy);
    assert!(matches!(r, Err(Failure::Exploded { .. })), "{r:?}");
}

#[test]
fn loss_on_dynamic_matrices_of_other_shapes_or_empty() {
    let z = DMatrix::<f64>::zeros;
    let r = loss::mse(&z(2, 3), &z(3, 2));
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            what: "MSE target (rows)",
            expected: 2,
            found: 3
        })
    ));
    let r = loss::mse(&z(2, 3), &z(2, 2));
    assert!(matches!(
        r,
        Err(Error::LengthMismatch {
            what: "MSE target (samples)",
            expected: 3,
            found: 2
        })
    ));
    assert!(matches!(
        loss::mse(&z(0, 3), &z(0, 3)),
        Err(Error::EmptyData)
    ));
    assert!(matches!(
        loss::mse_grad(&z(2, 3), &z(3, 2)),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        loss::mse_grad(&z(3, 0), &z(3, 0)),
        Err(Error::EmptyData)
    ));
    // Values are not checked (documented): a NaN gives a NaN loss.
    assert!(
        loss::mse(&DMatrix::from_element(1, 1, f64::NAN), &z(1, 1))
            .unwrap()
            .is_nan()
    );
}

#[test]
fn optimizers_reject_hostile_hyper_parameters() {
    for lr in [f64::NAN, -1.0, 0.0, -0.0, f64::INFINITY] {
        assert!(matches!(
            Sgd::<f64>::new(lr),
            Err(Error::InvalidLearningRate(_))
        ));
        let r = Momentum::<f64, Small>::new(lr, 0.5);
        assert!(matches!(r, Err(Error::InvalidLearningRate(_))));
        let r = AdamConfig {
            lr,
            ..AdamConfig::default()
        }
        .build::<f64, Small>();
        assert!(matches!(r, Err(Error::InvalidLearningRate(_))));
    }
    for lr in [1e-50, 1e300] {
        assert!(matches!(
            Sgd::<f32>::new(lr),
            Err(Error::LearningRateRange { scalar: "f32", .. })
        ));
    }
    for momentum in [f64::NAN, 1.0, -0.1, f64::INFINITY] {
        invalid(Momentum::<f64, Small>::new(0.1, momentum), "momentum");
    }
    invalid(
        Momentum::<f32, Small32>::new(0.1, 0.999_999_999),
        "momentum",
    ); // 1 in f32
    invalid(Momentum::<f64, Small>::nesterov(0.1, 0.0), "momentum");

    let adam = |f: fn(&mut AdamConfig)| {
        let mut c = AdamConfig::default();
        f(&mut c);
        c.build::<f64, Small>()
    };
    invalid(adam(|c| c.beta1 = f64::NAN), "beta1");
    invalid(adam(|c| c.beta1 = 1.0), "beta1");
    invalid(adam(|c| c.beta2 = -0.1), "beta2");
    invalid(adam(|c| c.eps = 0.0), "eps");
    invalid(adam(|c| c.eps = f64::NAN), "eps");
    invalid(adam(|c| c.eps = f64::INFINITY), "eps");
    invalid(
        AdamConfig {
            eps: 1e-50,
            ..AdamConfig::default()
        }
        .build::<f32, Small32>(),
        "eps",
    );
    invalid(adam(|c| c.weight_decay = -1.0), "weight_decay");
    invalid(adam(|c| c.weight_decay = f64::NAN), "weight_decay");
    invalid(
        adam(|c| (c.lr, c.weight_decay) = (0.5, 2.0)),
        "weight_decay",
    );
    assert!(adam(|c| c.beta1 = 0.0).is_ok());
}

#[test]
fn adamw_decay_that_rounds_to_zero_or_below_in_f32_is_rejected() {
    // `lr · weight_decay < 1` in f64, but not once rounded to f32: the decay factor
    // `1 − lr·λ` was 0 (0.5 · 2.0, every weight zeroed each step) or −∞ (λ = 1e39
    // overflows f32), and `build` returned Ok. Checked in f32 too now.
    for (lr, weight_decay) in [(0.5, 1.999_999_99), (1e-40, 1e39)] {
        let r = AdamConfig {
            lr,
            weight_decay,
            ..AdamConfig::default()
        }
        .build::<f32, Dense<1, 1>>();
        invalid(r, "weight_decay");
    }
    // The same values are fine in f64, and a step with a zero gradient only decays.
    let cfg = AdamConfig {
        lr: 0.5,
        weight_decay: 1.999_999_99,
        ..AdamConfig::default()
    };
    let mut adam = cfg.build::<f64, Dense<1, 1, f64>>().unwrap();
    let mut layer = Dense::<1, 1, f64>::from_slices(&[1.0], &[1.0]).unwrap();
    adam.step(&mut layer, &Dense::zeros());
    assert!(layer.w[0] > 0.0 && layer.w[0] < 1e-7, "{}", layer.w[0]);
}

#[test]
fn decoders_reject_empty_garbage_and_truncated_bytes() {
    let m = model();
    let bytes = persist::encode::<f64, Small>(&m).unwrap();
    let format = |b: &[u8]| match persist::decode::<f64, Small>(b) {
        Err(Error::Format(e)) => e,
        other => panic!("expected a format error, got {:?}", other.map(|_| ())),
    };
    assert!(matches!(format(&[]), FormatError::Empty));
    assert!(matches!(format(&[0xff; 64]), FormatError::BadMagic));
    let n = bytes.len();
    assert!(matches!(
        format(&bytes[..n - 1]),
        FormatError::Truncated { .. }
    ));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(format(&longer), FormatError::TrailingBytes { .. }));
    // Every prefix and every single corrupted byte is an error (the checksum).
    for i in 0..n {
        assert!(persist::decode::<f64, Small>(&bytes[..i]).is_err());
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        assert!(persist::decode::<f64, Small>(&b).is_err(), "byte {i}");
    }
    let mut nan = model();
    nan.second.b[0] = f64::NAN;
    assert!(matches!(
        persist::encode(&nan),
        Err(Error::Format(FormatError::NonFinite { .. }))
    ));

    let opts = safetensors::Options::default();
    let st = safetensors::encode::<f64, Small>(&m, &opts).unwrap();
    let decode = |b: &[u8]| safetensors::decode::<f64, Small>(b, &opts).map(|_| ());
    for garbage in [&[][..], &[0xff; 64], &[1, 2, 3], &u64::MAX.to_le_bytes()] {
        assert!(matches!(decode(garbage), Err(Error::Safetensors(_))));
        assert!(matches!(
            safetensors::keys(garbage),
            Err(Error::Safetensors(_))
        ));
        assert!(matches!(
            safetensors::metadata(garbage),
            Err(Error::Safetensors(_))
        ));
        assert!(matches!(
            safetensors::without_constants(garbage),
            Err(Error::Safetensors(_))
        ));
    }
    for i in 0..st.len() {
        assert!(
            matches!(decode(&st[..i]), Err(Error::Safetensors(_))),
            "prefix {i}"
        );
    }
    // No checksum in the format: a flipped byte is an error or a finite network, no panic.
    for i in 0..st.len() {
        let mut b = st.clone();
        b[i] ^= 0x5a;
        if let Ok(net) = safetensors::decode::<f64, Small>(&b, &opts) {
            let finite = (0..<Small as constnet::Params<f64>>::TENSORS).all(|t| {
                constnet::Params::<f64>::tensor(&net, t)
                    .iter()
                    .all(|v| v.is_finite())
            });
            assert!(finite, "byte {i}");
        }
    }
    let mut b = st.clone();
    let n = b.len();
    b[n - 8..].copy_from_slice(&f64::NAN.to_le_bytes());
    assert!(matches!(decode(&b), Err(Error::Safetensors(_))));
}

#[test]
fn gradcheck_and_quantize_on_hostile_inputs() {
    use gradcheck::Failure as G;
    let m = model();
    let c = |n: usize| X::from_element(n, 1.0);
    assert!(matches!(
        gradcheck::check(&m, &row(&[]), &c(0)),
        Err(G::Vacuous)
    ));
    assert!(matches!(
        gradcheck::check(&m, &row(&[f64::NAN, 0.5]), &c(2)),
        Err(G::NonFiniteInput {
            what: "x",
            index: 0,
            ..
        })
    ));
    let r = gradcheck::check(&m, &row(&[0.1, 0.5]), &c(3));
    assert!(matches!(r, Err(G::Backward(Error::LengthMismatch { .. }))));
    let mut settings = GradCheck::default();
    settings.step = f64::NAN;
    assert!(matches!(
        settings.check(&m, &row(&[0.1, 0.5]), &c(2)),
        Err(G::Setting { name: "step", .. })
    ));

    let m32: Small32 = Init::init(&mut rng(), InitScheme::He);
    let r32 = |v: &[f32]| OMatrix::<f32, Const<1>, Dyn>::from_row_slice(v);
    assert!(matches!(
        quant::quantize(&m32, &r32(&[])),
        Err(Error::EmptyData)
    ));
    let r = quant::quantize(&m32, &r32(&[f32::NAN]));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "calibration inputs",
            index: 0
        })
    ));
    let r = quant::quantize(&m32, &r32(&[f32::MAX, -f32::MAX]));
    assert!(matches!(r, Err(Error::NonFinite { .. })));
    let mut nan = m32.clone();
    nan.second.w[0] = f32::NAN;
    assert!(matches!(
        quant::quantize(&nan, &r32(&[1.0])),
        Err(Error::NonFinite { .. })
    ));
}
