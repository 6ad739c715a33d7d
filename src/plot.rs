//! PNG plots of a training run: the [loss curve](loss_curve) and the [`fit`] of a model
//! to one-dimensional data.
//!
//! Inputs are plain `f64` slices, so the plots do not depend on the network types. Text is
//! drawn with the bundled Noto Sans font (registered with plotters as `"sans-serif"` on
//! first use), so nothing is needed from the system. Every image is drawn to a temporary
//! file next to the target and renamed over it when complete: a crash never leaves a
//! half-written PNG. The parent directory must exist. [`stage_loss_curve`] and [`stage_fit`]
//! draw into a [`Staging`] instead, to be moved into place with a run's other outputs.
//!
//! ```no_run
//! use constnet::plot::{fit, loss_curve, FitPlot, Series};
//! use std::path::Path;
//!
//! loss_curve(Path::new("loss.png"), &[1.0, 0.5, 0.2, 0.1])?;
//!
//! let (xs, ys) = ([-1.0, 0.0, 1.0], [-1.1, 0.05, 0.9]);
//! let grid = [-1.0, -0.5, 0.0, 0.5, 1.0];
//! let pred = [-0.9, -0.2, 0.0, 0.2, 0.9];
//! fit(
//!     Path::new("fit.png"),
//!     &FitPlot::new(Series::new("data", &xs, &ys), Series::new("model", &grid, &pred)),
//! )?;
//! # Ok::<(), constnet::Error>(())
//! ```

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use plotters::drawing::DrawingAreaErrorKind;
use plotters_backend::DrawingErrorKind;
use plotters_bitmap::BitMapBackendError;

use crate::fsutil::Staging;
use crate::{Error, Result};

mod ticks;
use ticks::{fmt_epoch, fmt_num, log_ticks};

/// Image size in pixels.
const SIZE: (u32, u32) = (800, 500);
/// Matplotlib's "tab:" colours: readable, colour-blind friendly, familiar.
const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREY: RGBColor = RGBColor(60, 60, 60);
const GRID: RGBColor = RGBColor(225, 225, 225);
const FONT: &str = "sans-serif";

/// A named series of points, as parallel slices of `x` and `y` values.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// The legend entry.
    pub label: &'a str,
    /// Horizontal coordinates.
    pub x: &'a [f64],
    /// Vertical coordinates, one per `x`.
    pub y: &'a [f64],
}

impl<'a> Series<'a> {
    /// A series labelled `label` with points `(x[i], y[i])`.
    ///
    /// ```
    /// let s = constnet::plot::Series::new("model", &[0.0, 1.0], &[0.0, 1.0]);
    /// assert_eq!(s.label, "model");
    /// ```
    #[must_use]
    pub fn new(label: &'a str, x: &'a [f64], y: &'a [f64]) -> Self {
        Series { label, x, y }
    }
}

/// What [`fit`] draws: the data as dots, optionally the true function as a dashed line,
/// and the model's prediction as a solid line.
///
/// Line series are sorted by `x` before drawing, so they may come in any order.
///
/// ```
/// use constnet::plot::{FitPlot, Series};
/// let (x, y) = ([0.0, 1.0], [0.1, 0.9]);
/// let plot = FitPlot {
///     title: "y = x",
///     truth: Some(Series::new("y = x", &x, &x)),
///     ..FitPlot::new(Series::new("data", &x, &y), Series::new("model", &x, &x))
/// };
/// assert_eq!(plot.x_label, "x");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FitPlot<'a> {
    /// The title above the chart.
    pub title: &'a str,
    /// The horizontal axis label.
    pub x_label: &'a str,
    /// The vertical axis label.
    pub y_label: &'a str,
    /// The (noisy) data, drawn as small translucent dots.
    pub points: Series<'a>,
    /// The function the data was drawn from, if known: a dashed dark line.
    pub truth: Option<Series<'a>>,
    /// The model's predictions: a solid line.
    pub prediction: Series<'a>,
}

impl<'a> FitPlot<'a> {
    /// A plot of `points` and `prediction`, titled "Model fit", axes "x" and "y", no truth.
    #[must_use]
    pub fn new(points: Series<'a>, prediction: Series<'a>) -> Self {
        FitPlot {
            title: "Model fit",
            x_label: "x",
            y_label: "y",
            points,
            truth: None,
            prediction,
        }
    }
}

impl<'a> FitPlot<'a> {
    /// The series that are present, in drawing order.
    fn series(&self) -> Vec<&Series<'a>> {
        [
            Some(&self.points),
            self.truth.as_ref(),
            Some(&self.prediction),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

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

/// Draws data, true function and model prediction (see [`FitPlot`]) and writes it to
/// `path` as an 800×500 PNG. The legend goes in the corner with the least data.
///
/// ```
/// use constnet::plot::{fit, FitPlot, Series};
/// # let dir = std::env::temp_dir().join(format!("constnet-doc-fit-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let x = [-1.0, 0.0, 1.0];
/// let noisy = [-0.9, 0.1, 1.1];
/// fit(&dir.join("fit.png"), &FitPlot::new(Series::new("data", &x, &noisy), Series::new("model", &x, &x)))?;
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// For each series: [`Error::EmptyData`] if empty, [`Error::LengthMismatch`] if `x` and
/// `y` differ in length, [`Error::NonFinite`] (`what` names the series and axis, e.g.
/// `"prediction y"`) for a NaN or infinite value. [`Error::Plot`] if the values span more
/// than `f64` can represent (near ±`f64::MAX`), `path` does not end in `.png`, or drawing
/// fails; [`Error::Io`] if the file cannot be written.
pub fn fit(path: &Path, plot: &FitPlot<'_>) -> Result<()> {
    let mut staging = Staging::new();
    stage_fit(&mut staging, path, plot)?;
    staging.commit()
}

/// [`fit`] drawn into `staging`, moved to `path` by [`Staging::commit`] (as
/// [`stage_loss_curve`]).
///
/// ```
/// use constnet::{fsutil::Staging, plot::{stage_fit, FitPlot, Series}};
/// # let dir = std::env::temp_dir().join(format!("constnet-doc-stage-fit-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let x = [-1.0, 0.0, 1.0];
/// let mut staging = Staging::new();
/// stage_fit(&mut staging, &dir.join("fit.png"), &FitPlot::new(Series::new("data", &x, &x), Series::new("model", &x, &x)))?;
/// staging.commit()?;
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`fit`]; nothing is staged on error.
pub fn stage_fit(staging: &mut Staging, path: &Path, plot: &FitPlot<'_>) -> Result<()> {
    check_series(&plot.points, "points x", "points y")?;
    if let Some(truth) = &plot.truth {
        check_series(truth, "truth x", "truth y")?;
    }
    check_series(&plot.prediction, "prediction x", "prediction y")?;
    let all = plot.series();
    let ranges = (
        padded("x", all.iter().flat_map(|s| s.x.iter().copied()))?,
        padded("y", all.iter().flat_map(|s| s.y.iter().copied()))?,
    );
    check_png(path)?;
    ensure_font()?;
    staging.write(path, |tmp| {
        draw_png(tmp, path, |root| draw_fit(root, plot, &ranges))
    })
}

fn finite(what: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what, index }),
    }
}

fn check_series(s: &Series<'_>, what_x: &'static str, what_y: &'static str) -> Result<()> {
    if s.x.len() != s.y.len() {
        return Err(Error::LengthMismatch {
            what: what_y,
            expected: s.x.len(),
            found: s.y.len(),
        });
    }
    if s.x.is_empty() {
        return Err(Error::EmptyData);
    }
    finite(what_x, s.x)?;
    finite(what_y, s.y)
}

/// plotters picks the encoder from the extension; only PNG is promised.
fn check_png(path: &Path) -> Result<()> {
    match path.extension() {
        Some(ext) if ext.eq_ignore_ascii_case("png") => Ok(()),
        _ => Err(Error::Plot(format!(
            "{}: the file name must end in .png",
            path.display()
        ))),
    }
}

/// Registers the bundled font once per process.
fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Plot(
            "the bundled Noto Sans font could not be loaded".into(),
        ))
    }
}

fn plot_err(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// A failed save or fill as one readable line naming `target`: plotters' bitmap errors
/// display as their `Debug` form (`ImageError(IoError(Custom { .. }))`), so the error
/// inside is displayed instead.
fn backend_err(target: &Path, e: DrawingAreaErrorKind<BitMapBackendError>) -> Error {
    let reason = match &e {
        DrawingAreaErrorKind::BackendError(DrawingErrorKind::DrawingError(
            BitMapBackendError::ImageError(inner),
        )) => inner.to_string(),
        DrawingAreaErrorKind::BackendError(DrawingErrorKind::DrawingError(
            BitMapBackendError::IOError(inner),
        )) => inner.to_string(),
        other => other.to_string(),
    };
    Error::Plot(format!("{}: {reason}", target.display()))
}

/// Draws on a white 800×500 bitmap and saves it to `file` (a temporary path for `target`,
/// which errors name).
fn draw_png(
    file: &Path,
    target: &Path,
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    let root = BitMapBackend::new(file, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| backend_err(target, e))?;
    draw(&root).map_err(|e| match e {
        Error::Plot(msg) => Error::Plot(format!("{}: {msg}", target.display())),
        other => other,
    })?;
    root.present().map_err(|e| backend_err(target, e))
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

fn draw_fit(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    plot: &FitPlot<'_>,
    ranges: &(Range<f64>, Range<f64>),
) -> Result<()> {
    let all = plot.series();
    let (xs, ys) = (ranges.0.clone(), ranges.1.clone());
    let corner = legend_corner(&all, &xs, &ys);
    // Tick values like 2.7e-17 are rounding noise around 0.
    let (x_eps, y_eps) = (1e-9 * (xs.end - xs.start), 1e-9 * (ys.end - ys.start));
    let snap = |v: f64, eps: f64| if v.abs() < eps { 0.0 } else { v };

    let mut chart = ChartBuilder::on(root)
        .caption(plot.title, (FONT, 26))
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(xs, ys)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc(plot.x_label)
        .y_desc(plot.y_label)
        .axis_desc_style((FONT, 20))
        .label_style((FONT, 16))
        .x_label_formatter(&|v| fmt_num(snap(*v, x_eps)))
        .y_label_formatter(&|v| fmt_num(snap(*v, y_eps)))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(GREY)
        .draw()
        .map_err(plot_err)?;

    let p = &plot.points;
    let dot = BLUE.mix(0.35).filled();
    chart
        .draw_series(
            p.x.iter()
                .zip(p.y)
                .map(|(&x, &y)| Circle::new((x, y), 2, dot)),
        )
        .map_err(plot_err)?
        .label(p.label)
        .legend(move |(x, y)| Circle::new((x + 10, y), 3, BLUE.mix(0.6).filled()));

    if let Some(t) = &plot.truth {
        let style = ShapeStyle::from(GREY).stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(sorted(t), 8, 5, style))
            .map_err(plot_err)?
            .label(t.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
    }

    let m = &plot.prediction;
    let style = ShapeStyle::from(ORANGE).stroke_width(3);
    chart
        .draw_series(LineSeries::new(sorted(m), style))
        .map_err(plot_err)?
        .label(m.label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));

    chart
        .configure_series_labels()
        .position(corner)
        .margin(12)
        .label_font((FONT, 17))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID.stroke_width(1))
        .draw()
        .map_err(plot_err)
}

/// A series' points in increasing `x`, for drawing as a line.
fn sorted(s: &Series<'_>) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = s.x.iter().copied().zip(s.y.iter().copied()).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}

/// The range of `values` with 4 % margin on each side (±1 around a single value).
///
/// An error if the padded width is not a finite `f64` (values near ±`f64::MAX`):
/// plotters cannot place ticks on such an axis.
fn padded(axis: &str, values: impl Iterator<Item = f64>) -> Result<Range<f64>> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = hi - lo;
    let pad = if span > 0.0 {
        0.04 * span
    } else {
        (0.1 * lo.abs()).max(1.0)
    };
    let range = lo - pad..hi + pad;
    if (range.end - range.start).is_finite() {
        Ok(range)
    } else {
        Err(Error::Plot(format!(
            "the {axis} values span too wide a range to plot"
        )))
    }
}

/// The corner whose legend-sized box (35 % × 30 % of the chart) covers the fewest points.
fn legend_corner(all: &[&Series<'_>], xs: &Range<f64>, ys: &Range<f64>) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let mut counts = [0usize; 4];
    for s in all {
        for (&x, &y) in s.x.iter().zip(s.y) {
            let u = (x - xs.start) / (xs.end - xs.start);
            let v = (y - ys.start) / (ys.end - ys.start);
            for (count, &(_, right, top)) in counts.iter_mut().zip(&corners) {
                let in_x = if right { u > 0.65 } else { u < 0.35 };
                let in_y = if top { v > 0.7 } else { v < 0.3 };
                *count += usize::from(in_x && in_y);
            }
        }
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    corners[best].0.clone()
}

#[cfg(test)]
mod tests;
