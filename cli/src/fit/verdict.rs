//! Did the network learn anything? The library's verdict (`constnet::diagnose`) names the
//! cause; this adds the remedy, which depends on the flags and the data's ranges.

use constnet::diagnose::{self, Failure};
use constnet::{Error, eval};

use super::Data;
use super::Trained;
use super::args::{Args, OptimizerKind, ScaleKind};
use super::summary::R2;

/// Inputs or targets beyond this magnitude (or spread) are far from the unit scale that He
/// initialisation and a learning rate around 0.01 assume.
const WIDE: f64 = 10.0;
/// … or all within this magnitude.
const NARROW: f64 = 1e-3;
/// Fewer training rows than this is too little data for a network of thousands of weights
/// to generalise from; said as the remedy of a held-out failure.
const FEW_ROWS: usize = 50;

/// `Ok` if the trained network learned something; else one line: the cause and the fix.
/// `train` is the raw training split (for the ranges the message quotes).
pub fn check<const IN: usize>(
    args: &Args,
    trained: &Trained<IN>,
    train: &Data<IN>,
) -> Result<(), String> {
    let fitted = &trained.fitted;
    let diag = diagnose::diagnose(&trained.model.net, fitted.x(), fitted.y(), &constnet::Mse)
        .map_err(|e| e.to_string())?;
    let scores =
        eval::scores(&trained.model.net, fitted.x(), fitted.y()).map_err(|e| e.to_string())?;
    // Constant targets have no R²: judged by the other rules only.
    let r2 = scores.r2.unwrap_or(1.0);
    match diagnose::check_learned(&trained.history.train.to_vec(), r2, &diag) {
        Ok(()) => {
            if unscaled_and_wide(args, train) {
                super::warn(&format!("train R² {r2:.4}; {}", scale_hint(train)));
            }
            Ok(())
        }
        Err(failure) => Err(format!(
            "{failure}; {}",
            remedy(args, &failure, trained, train)
        )),
    }
}

/// A training error as one line, with the remedy where it depends on the data's units.
pub fn explain<const IN: usize>(
    args: &Args,
    error: &(dyn std::error::Error + 'static),
    train: &Data<IN>,
) -> String {
    match error.downcast_ref::<Error>() {
        Some(Error::Diverged { .. } | Error::LossOverflow { .. })
            if unscaled_and_wide(args, train) =>
        {
            format!("{error}; {}", scale_hint(train))
        }
        _ => error.to_string(),
    }
}

fn remedy<const IN: usize>(
    args: &Args,
    failure: &Failure,
    trained: &Trained<IN>,
    train: &Data<IN>,
) -> String {
    let (lo, hi) = range(train.x().as_slice());
    if lo == hi {
        return format!(
            "the input is {} in every training row: it cannot predict the target (check the \
             CSV's columns)",
            short(lo)
        );
    }
    if unscaled_and_wide(args, train) {
        return scale_hint(train);
    }
    let h = &trained.history;
    if let (true, Some(patience)) = (h.stopped_early, args.patience) {
        return format!(
            "early stopping ended training after {} epochs ({patience} without improvement on \
             {}): use a larger --patience or --val-fraction, or no --patience",
            h.train.len(),
            if trained.n_val > 0 {
                format!("{} validation rows", trained.n_val)
            } else {
                "the training loss".to_owned()
            }
        );
    }
    let lr = args.lr;
    match failure {
        // A small step that got nowhere: more of them, or larger ones.
        Failure::NoFit { .. } if lr <= 1e-3 => {
            format!(
                "train longer (--epochs {}) or with a larger learning rate (--lr {})",
                args.epochs * 4,
                flag_value(lr * 10.0)
            )
        }
        _ => {
            let other = match args.optimizer {
                OptimizerKind::Adam => "",
                _ => ", or --optimizer adam",
            };
            format!(
                "use a smaller learning rate (--lr {}){other}, or another --seed",
                flag_value(lr / 10.0)
            )
        }
    }
}

/// A suggested flag value as a user would type it: three significant digits, in exponent
/// notation where plain digits would run on (`1e-29`, not `0.0000…00010000000000000001`).
pub fn flag_value(x: f64) -> String {
    let x: f64 = format!("{x:.2e}").parse().unwrap_or(x);
    if x == 0.0 || !x.is_finite() || (1e-4..1e9).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Raw units far from the unit scale (beyond ±10, or all within ±0.001 and not all 0),
/// and no scaling asked for: the first thing to fix, whatever else went wrong.
fn unscaled_and_wide<const IN: usize>(args: &Args, train: &Data<IN>) -> bool {
    let off_scale = |values: &[f32]| {
        let (lo, hi) = range(values);
        let top = lo.abs().max(hi.abs());
        top > WIDE || (top > 0.0 && top < NARROW)
    };
    args.scale == ScaleKind::None
        && (off_scale(train.x().as_slice()) || off_scale(train.y().as_slice()))
}

/// The held-out verdict: a network that predicts the test rows worse than their mean does
/// (test R² below 0) learned nothing that generalises, whatever it did on the rows it was
/// trained on. `n_train` rows were trained on, `n_test` held out.
pub fn check_test(test_r2: &R2, n_train: usize, n_test: usize) -> Result<(), String> {
    let R2::Value(r2) = *test_r2 else {
        return Ok(());
    };
    if r2 >= 0.0 {
        return Ok(());
    }
    let remedy = if n_train < FEW_ROWS {
        format!(
            "{n_train} training rows are too few to learn from: use more data (at least \
             {FEW_ROWS} rows)"
        )
    } else {
        "it fits the training rows but not new ones: stop earlier (--val-fraction 0.2 \
         --patience 20) or train fewer --epochs"
            .to_owned()
    };
    Err(format!(
        "it predicts the {n_test} held-out rows worse than their mean does (test R² \
         {r2:.4}, below 0); {remedy}"
    ))
}

fn scale_hint<const IN: usize>(train: &Data<IN>) -> String {
    let (xl, xh) = range(train.x().as_slice());
    let (yl, yh) = range(train.y().as_slice());
    format!(
        "the inputs span {} to {} and the targets {} to {}, far from the unit scale a \
         network starts at: use --scale standard (the model then standardizes both, and \
         stores the scaling)",
        short(xl),
        short(xh),
        short(yl),
        short(yh)
    )
}

fn range(values: &[f32]) -> (f64, f64) {
    values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| {
        (lo.min(f64::from(v)), hi.max(f64::from(v)))
    })
}

/// A number as a reader takes it in: 4 significant digits.
fn short(v: f64) -> String {
    if v != 0.0 && !(1e-3..1e5).contains(&v.abs()) {
        format!("{v:.3e}")
    } else {
        format!("{}", (v * 1e4).round() / 1e4)
    }
}

/// A training error of a classifier as one line.
pub fn explain_error(error: &(dyn std::error::Error + 'static)) -> String {
    match error.downcast_ref::<Error>() {
        Some(Error::Diverged { .. }) => {
            format!("{error} (the default learning rate is --lr 0.001 with --classify)")
        }
        _ => error.to_string(),
    }
}
