//! The loss curve: training loss per epoch on a logarithmic axis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ticks::{fmt_epoch, fmt_num, log_ticks};
use super::{BLUE, FONT, GREY, GRID, check_png, draw_png, ensure_font, finite, plot_err};
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
    if losses.is_empty() {
        return Err(Error::EmptyData);
    }
    finite("losses", losses)?;
    if losses.iter().any(|&l| l <= 0.0) {
        return Err(Error::InvalidParameter {
            name: "losses",
            reason: "must all be > 0 to be drawn on a logarithmic axis",
        });
    }
    check_png(path)?;
    ensure_font()?;
    staging.write(path, |tmp| {
        draw_png(tmp, path, |root| draw_loss(root, losses))
    })
}
fn draw_loss(root: &DrawingArea<BitMapBackend<'_>, Shift>, losses: &[f64]) -> Result<()> {
    let n = losses.len();
    let last = (n - 1) as f64;
    let xs = if n == 1 {
        -0.5..0.5
    } else {
        -0.01 * last..1.01 * last
    };
    let (lo, hi) = losses.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &l| {
        (lo.min(l), hi.max(l))
    });
    // Some headroom in log space; a flat history still gets a factor of 4 of axis.
    let pad = if hi / lo < 2.0 { 2.0 } else { 1.25 };
    // Clamped so that extreme (subnormal or near-overflow) losses keep finite, positive ends.
    let ys = (lo / pad).max(f64::MIN_POSITIVE).min(lo)..(hi * pad).min(f64::MAX);

    let title = format!("Training loss (final {})", fmt_num(losses[n - 1]));
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 26))
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(xs, ys.clone().log_scale().with_key_points(log_ticks(ys)))
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

    let line = ShapeStyle::from(BLUE).stroke_width(2);
    let points = losses.iter().enumerate().map(|(i, &l)| (i as f64, l));
    chart
        .draw_series(LineSeries::new(points.clone(), line))
        .map_err(plot_err)?;
    if n <= 50 {
        chart
            .draw_series(points.map(|p| Circle::new(p, 3, BLUE.filled())))
            .map_err(plot_err)?;
    }
    Ok(())
}
