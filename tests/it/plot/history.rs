//! The history plot: validation, best epoch, decimated curves, accuracy panel, a real run.

use constnet::Error;
use constnet::plot::{PlotError, Png, history, loss_curve};
use constnet::train::{CURVE_POINTS, EarlyStopping, History};
use constnet::{Dense, Init, InitScheme, Mse, Relu, Sgd, Trainer, net};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

use super::{assert_png, assert_png_sized, curve, losses, trained};

/// A validation loss that falls, then rises again from epoch 120 (over-fitting).
pub fn validation() -> Vec<f64> {
    (0..300)
        .map(|i| {
            2.2 * (-(i as f64) / 40.0).exp() + 0.03 + 1e-6 * ((i as f64) - 120.0).max(0.0).powi(2)
        })
        .collect()
}

#[test]
fn history_draws_validation_and_the_best_epoch() {
    let train = losses();
    let val = validation();
    let best = (0..300).min_by(|&a, &b| val[a].total_cmp(&val[b])).unwrap();
    /// Validation losses, best epoch.
    type Case<'a> = (Option<&'a [f64]>, Option<usize>);
    let cases: [Case<'_>; 4] = [
        (Some(&val), Some(best)),
        (Some(&val), None),
        (None, Some(best)),
        // A validation curve shorter than the training one is drawn as far as it goes.
        (Some(&val[..100]), Some(250)),
    ];
    let mut drawn: Vec<Png> = Vec::new();
    for (v, b) in cases {
        let h = History {
            val: curve(v.unwrap_or(&[]).iter().copied()),
            best_epoch: b,
            ..trained(&train)
        };
        let png = history(&h, "MSE").unwrap();
        assert_png(&png);
        assert!(!drawn.contains(&png));
        drawn.push(png);
    }
}

#[test]
fn history_of_training_alone_draws_the_same_bytes_as_loss_curve() {
    let png = history(&trained(&losses()), "loss").unwrap();
    assert_eq!(png, loss_curve(&losses()).unwrap());
    // An empty loss name is "loss"; another name is drawn.
    assert_eq!(history(&trained(&losses()), "").unwrap(), png);
    assert_ne!(history(&trained(&losses()), "cross-entropy").unwrap(), png);
}

#[test]
fn history_leaves_out_what_a_log_axis_cannot_show_and_rejects_a_bad_best_epoch() {
    let train = [1.0, 0.5, 0.25];
    assert!(matches!(
        history(&History::default(), "MSE"),
        Err(PlotError::Data(Error::EmptyData))
    ));
    // What a run may record and a log axis cannot show (a NaN validation loss, a perfect
    // fit's 0) is left out, never an error: a plot must not fail a run that succeeded.
    let h = |train: &[f64], val: &[f64], best| History {
        val: curve(val.iter().copied()),
        best_epoch: best,
        ..trained(train)
    };
    assert_png(&history(&h(&train, &[1.0, f64::NAN, 0.5], Some(1)), "MSE").unwrap());
    let nothing = history(&h(&[0.0; 3], &[1.0, 0.0, f64::INFINITY], None), "MSE").unwrap();
    assert_png(&nothing);
    assert_png(&history(&h(&[0.0], &[], Some(0)), "MSE").unwrap());
    // Epochs 0, 1, 2 exist; 3 does not.
    assert!(matches!(
        history(&h(&train, &[], Some(3)), "MSE"),
        Err(PlotError::Data(Error::InvalidParameter {
            name: "best_epoch",
            ..
        }))
    ));
    assert_png(&history(&h(&train, &[], Some(2)), "MSE").unwrap());
}

#[test]
fn history_of_a_decimated_run_draws_the_epochs_kept() {
    let epochs = 3 * CURVE_POINTS + 5;
    let loss = |e: usize| 1.0 / (1.0 + e as f64 / 1000.0);
    let val = |e: usize| 1.2 * loss(e) + 1e-12 * (e as f64).powi(2);
    let h = History {
        train: curve((0..epochs).map(loss)),
        val: curve((0..epochs).map(val)),
        // Not a kept epoch (the stride is 4): its dot is placed on the line.
        best_epoch: Some(77_777),
        ..History::default()
    };
    assert_eq!(h.train.stride(), 4);
    assert!(h.train.get(77_777).is_none());
    let png = history(&h, "MSE").unwrap();
    assert_png(&png);
    // The last epoch is always kept, and may be the best.
    let last = History {
        best_epoch: Some(epochs - 1),
        ..h.clone()
    };
    assert_png(&history(&last, "MSE").unwrap());
    let past = History {
        best_epoch: Some(epochs),
        ..h
    };
    assert!(matches!(
        history(&past, "MSE"),
        Err(PlotError::Data(Error::InvalidParameter {
            name: "best_epoch",
            ..
        }))
    ));
}

#[test]
fn history_of_a_classifier_adds_an_accuracy_panel_below() {
    let epochs = 120;
    let rise = |top: f64| {
        curve((0..epochs).map(move |e| 0.34 + (top - 0.34) * (1.0 - (-(e as f64) / 20.0).exp())))
    };
    let with_val = History {
        train_accuracy: rise(0.98),
        val_accuracy: rise(0.93),
        val: curve(validation().into_iter().take(epochs)),
        best_epoch: Some(70),
        ..trained(&losses()[..epochs])
    };
    let tall = history(&with_val, "cross-entropy").unwrap();
    assert_png_sized(&tall, (800, 800));
    // Training accuracy alone, in a narrow band near 100 % (the axis zooms in).
    let narrow = History {
        train_accuracy: curve((0..epochs).map(|e| 0.95 + 0.04 * (e as f64 / 120.0))),
        ..trained(&losses()[..epochs])
    };
    assert_png_sized(&history(&narrow, "cross-entropy").unwrap(), (800, 800));
    // A validation accuracy without a training one draws no panel (as for a regression).
    let no_panel = History {
        val_accuracy: rise(0.9),
        ..trained(&losses()[..epochs])
    };
    assert_png(&history(&no_panel, "MSE").unwrap());
}

#[test]
fn history_of_a_trainer_run() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut model: net![Dense<1, 16>, Relu, Dense<16, 1>] = Init::init(&mut rng, InitScheme::He);
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(64, |_, j| j as f32 / 32.0 - 1.0);
    let y = x.map(|v| v * v);
    let (vx, vy) = (x.map(|v| v * 0.9), x.map(|v| 0.81 * v * v));
    let h = Trainer::new(&x, &y)
        .epochs(400)
        .validation(&vx, &vy)
        .early_stopping(EarlyStopping {
            patience: 20,
            ..EarlyStopping::default()
        })
        .fit(&mut model, &mut Sgd::new(0.05).unwrap(), &Mse)
        .unwrap();
    assert!(h.best_epoch.is_some());
    assert_png(&history(&h, "MSE").unwrap());
}
