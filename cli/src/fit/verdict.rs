//! Did the network learn anything? The library's verdict (`constnet::diagnose`) names the
//! cause; this adds the remedy, which depends on the flags and the data's ranges.

use constnet::diagnose::{self, Failure};
use constnet::{Error, eval};

use crate::Data;
use crate::args::{Args, OptimizerKind, ScaleKind};
use crate::fitting::Trained;

/// Inputs or targets beyond this magnitude (or spread) are far from the unit scale that He
/// initialisation and a learning rate around 0.01 assume.
const WIDE: f64 = 10.0;

/// `Ok` if the trained network learned something; else one line: the cause and the fix.
/// `train` is the raw training split (for the ranges the message quotes).
pub fn check(args: &Args, trained: &Trained, train: &Data) -> Result<(), String> {
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
                crate::warn(&format!("train R² {r2:.4}; {}", scale_hint(train)));
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
pub fn explain(args: &Args, error: &(dyn std::error::Error + 'static), train: &Data) -> String {
    match error.downcast_ref::<Error>() {
        Some(Error::Diverged { .. } | Error::LossOverflow { .. })
            if unscaled_and_wide(args, train) =>
        {
            format!("{error}; {}", scale_hint(train))
        }
        _ => error.to_string(),
    }
}

fn remedy(args: &Args, failure: &Failure, trained: &Trained, train: &Data) -> String {
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

/// Raw units far from the unit scale, and no scaling asked for.
fn unscaled_and_wide(args: &Args, train: &Data) -> bool {
    args.scale == ScaleKind::None && {
        let (xl, xh) = range(train.x().as_slice());
        let (yl, yh) = range(train.y().as_slice());
        [xl, xh, yl, yh].iter().any(|v| v.abs() > WIDE)
    }
}

fn scale_hint(train: &Data) -> String {
    let (xl, xh) = range(train.x().as_slice());
    let (yl, yh) = range(train.y().as_slice());
    format!(
        "the inputs span {} to {} and the targets {} to {}: use --scale standard (the model \
         then standardizes both, and stores the scaling)",
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
