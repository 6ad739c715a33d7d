//! The loss curve: training (and validation) loss per epoch on a logarithmic axis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ticks::{fmt_epoch, fmt_num, log_ticks};
use super::{BLUE, FONT, GREY, GRID, ORANGE, check_png, draw_png, ensure_font, finite, plot_err};
use crate::fsutil::Staging;
use crate::{Error, Result};

/// Draws the training loss per epoch on a logarithmic axis (`losses[i]` at epoch `i`)
/// and writes it to `path` as an 800×500 PNG.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("constnet-doc-loss-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("loss.png");
/// constnet::plot::loss_curve(&path, &[1.0, 0.4, 0.1, 0.05])?;
/// assert!(constnet::plot::loss_curve(&path, &[]).is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyData`] if `losses` is empty; [`Error::NonFinite`] (`what` `"losses"`) for
/// a NaN or infinite loss; [`Error::InvalidParameter`] for a loss ≤ 0 (a log axis cannot
/// show it); [`Error::Plot`] if `path` does not end in `.png` or drawing fails;
/// [`Error::Io`] if the file cannot be written (e.g. the directory does not exist).
pub fn loss_curve(path: &Path, losses: &[f64]) -> Result<()> {
    let mut staging = Staging::new();
    stage_loss_curve(&mut staging, path, losses)?;
    staging.commit()
}

/// [`loss_curve`] drawn into `staging`: the PNG is complete on disk when this returns, and
/// moved to `path` with the run's other outputs by [`Staging::commit`].
///
/// ```
/// use constnet::fsutil::Staging;
/// # let dir = std::env::temp_dir().join(format!("constnet-doc-stage-loss-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let mut staging = Staging::new();
/// constnet::plot::stage_loss_curve(&mut staging, &dir.join("loss.png"), &[1.0, 0.5])?;
/// assert!(!dir.join("loss.png").exists());
/// staging.commit()?;
/// assert!(dir.join("loss.png").exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`loss_curve`]; nothing is staged on error.
pub fn stage_loss_curve(staging: &mut Staging, path: &Path, losses: &[f64]) -> Result<()> {
    check_history("losses", losses)?;
    stage_loss_curves(staging, path, losses, None, None)
}

/// Draws the training loss per epoch and, if given, the validation loss per epoch
/// (`val[i]` at epoch `i`, in orange) and the best epoch (a dashed vertical line, with a
/// dot on the validation curve, or on the training curve without one), on a logarithmic
/// axis, and writes it to `path` as an 800×500 PNG. With neither, it is [`loss_curve`].
///
/// `best_epoch` is an index into the histories, as the x axis counts epochs (from 0).
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("constnet-doc-loss2-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// use constnet::plot::loss_curves;
/// let train = [1.0, 0.4, 0.2, 0.1, 0.08];
/// let val = [1.1, 0.5, 0.3, 0.32, 0.35];
/// loss_curves(&dir.join("loss.png"), &train, Some(&val), Some(2))?;
/// assert!(loss_curves(&dir.join("loss.png"), &train, Some(&val), Some(5)).is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// A training run's history may hold what a log axis cannot show — a loss of exactly 0
/// (a perfect fit), or a NaN or infinite validation loss (which `train::fit_validated`
/// records): those points are left out (the line breaks there), so a plot never fails a
/// run that succeeded. A history with no point to draw gets an empty chart that says so.
///
/// # Errors
/// [`Error::EmptyData`] if a history is empty; [`Error::InvalidParameter`]
/// (`"best_epoch"`) if `best_epoch` is past both histories; [`Error::Plot`] and
/// [`Error::Io`] as [`loss_curve`].
pub fn loss_curves(
    path: &Path,
    train: &[f64],
    val: Option<&[f64]>,
    best_epoch: Option<usize>,
) -> Result<()> {
    let mut staging = Staging::new();
    stage_loss_curves(&mut staging, path, train, val, best_epoch)?;
    staging.commit()
}

/// [`loss_curves`] drawn into `staging`, moved to `path` by [`Staging::commit`].
///
/// ```
/// use constnet::fsutil::Staging;
/// # let dir = std::env::temp_dir().join(format!("constnet-doc-stage-loss2-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let mut staging = Staging::new();
/// let (train, val) = ([1.0, 0.5, 0.4], [1.2, 0.7, 0.8]);
/// constnet::plot::stage_loss_curves(&mut staging, &dir.join("loss.png"), &train, Some(&val), Some(1))?;
/// staging.commit()?;
/// assert!(dir.join("loss.png").exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`loss_curves`]; nothing is staged on error.
pub fn stage_loss_curves(
    staging: &mut Staging,
    path: &Path,
    train: &[f64],
    val: Option<&[f64]>,
    best_epoch: Option<usize>,
) -> Result<()> {
    if train.is_empty() || val.is_some_and(<[f64]>::is_empty) {
        return Err(Error::EmptyData);
    }
    let epochs = train.len().max(val.map_or(0, <[f64]>::len));
    if best_epoch.is_some_and(|b| b >= epochs) {
        return Err(Error::InvalidParameter {
            name: "best_epoch",
            reason: "must be an epoch of the loss histories (an index below their length)",
        });
    }
    check_png(path)?;
    ensure_font()?;
    let curves = Curves {
        train,
        val,
        best_epoch,
    };
    staging.write(path, |tmp| {
        draw_png(tmp, path, |root| draw_loss(root, &curves))
    })
}

/// Non-empty, finite and > 0 (a log axis cannot show 0).
fn check_history(what: &'static str, losses: &[f64]) -> Result<()> {
    if losses.is_empty() {
        return Err(Error::EmptyData);
    }
    finite(what, losses)?;
    if losses.iter().any(|&l| l <= 0.0) {
        return Err(Error::InvalidParameter {
            name: what,
            reason: "must all be > 0 to be drawn on a logarithmic axis",
        });
    }
    Ok(())
}

/// Whether a loss can be drawn on the log axis.
fn drawable(l: f64) -> bool {
    l.is_finite() && l > 0.0
}

/// What [`draw_loss`] draws.
struct Curves<'a> {
    train: &'a [f64],
    val: Option<&'a [f64]>,
    best_epoch: Option<usize>,
}

fn draw_loss(root: &DrawingArea<BitMapBackend<'_>, Shift>, c: &Curves<'_>) -> Result<()> {
    let losses = c.train;
    let n = losses.len().max(c.val.map_or(0, <[f64]>::len));
    let last = (n - 1) as f64;
    let xs = if n == 1 {
        -0.5..0.5
    } else {
        -0.01 * last..1.01 * last
    };
    let all = losses.iter().chain(c.val.unwrap_or(&[]));
    let (lo, hi) = all
        .filter(|&&l| drawable(l))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &l| {
            (lo.min(l), hi.max(l))
        });
    let nothing = lo > hi;
    let (lo, hi) = if nothing { (0.1, 10.0) } else { (lo, hi) };
    // Some headroom in log space; a flat history still gets a factor of 4 of axis.
    let pad = if hi / lo < 2.0 { 2.0 } else { 1.25 };
    // Clamped so that extreme (subnormal or near-overflow) losses keep finite, positive ends.
    let ys = (lo / pad).max(f64::MIN_POSITIVE).min(lo)..(hi * pad).min(f64::MAX);

    let final_train = fmt_num(losses[losses.len() - 1]);
    let mut title = match c.val {
        None => format!("Training loss (final {final_train})"),
        Some(val) => format!(
            "Loss (final: training {final_train}, validation {})",
            fmt_num(val[val.len() - 1])
        ),
    };
    if nothing {
        title.push_str(": no loss > 0 to draw");
    }
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 26))
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(
            xs,
            ys.clone()
                .log_scale()
                .with_key_points(log_ticks(ys.clone())),
        )
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("MSE loss")
        .axis_desc_style((FONT, 20))
        .label_style((FONT, 16))
        .x_labels(n.clamp(2, 10))
        .y_labels(12)
        .x_label_formatter(&|v| fmt_epoch(*v))
        .y_label_formatter(&|v| fmt_num(*v))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(GREY)
        .draw()
        .map_err(plot_err)?;

    let labelled = c.val.is_some() || c.best_epoch.is_some();
    let series = [(losses, BLUE, "training")]
        .into_iter()
        .chain(c.val.map(|v| (v, ORANGE, "validation")));
    for (history, color, label) in series {
        let line = ShapeStyle::from(color).stroke_width(2);
        let points = history
            .iter()
            .enumerate()
            .filter(|(_, l)| drawable(**l))
            .map(|(i, &l)| (i as f64, l));
        // One line per run of drawable epochs: the line breaks where a loss is not shown.
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        for (x, l) in points.clone() {
            match runs.last_mut() {
                Some(run) if run.last().is_some_and(|&(px, _)| px + 1.0 == x) => run.push((x, l)),
                _ => runs.push(vec![(x, l)]),
            }
        }
        for (k, run) in runs.into_iter().enumerate() {
            let drawn = chart
                .draw_series(LineSeries::new(run, line))
                .map_err(plot_err)?;
            if labelled && k == 0 {
                drawn
                    .label(label)
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], line));
            }
        }
        if history.len() <= 50 {
            chart
                .draw_series(points.map(|p| Circle::new(p, 3, color.filled())))
                .map_err(plot_err)?;
        }
    }

    if let Some(best) = c.best_epoch {
        let style = ShapeStyle::from(GREY).stroke_width(1);
        let x = best as f64;
        let top_bottom = [(x, ys.start), (x, ys.end)];
        chart
            .draw_series(DashedLineSeries::new(top_bottom, 6, 4, style))
            .map_err(plot_err)?
            // Counted from 1, as progress lines and `summary.json` count epochs.
            .label(format!("best epoch {}", best + 1))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        // The dot sits on the curve the best epoch was chosen by.
        let on = c.val.filter(|v| best < v.len()).unwrap_or(losses);
        if let Some(&l) = on.get(best).filter(|&&l| drawable(l)) {
            chart
                .draw_series([Circle::new((x, l), 6, GREY.filled())])
                .map_err(plot_err)?;
        }
    }
    if labelled {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(12)
            .label_font((FONT, 17))
            .background_style(WHITE.mix(0.9))
            .border_style(GRID.stroke_width(1))
            .draw()
            .map_err(plot_err)?;
    }
    Ok(())
}
