//! The fit plot: data, true function and model prediction.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::check_png;
use super::ticks::fmt_num;
use super::{BLUE, FONT, GREY, GRID, ORANGE, Series, draw_png, ensure_font, finite, plot_err};
use crate::fsutil::Staging;
use crate::{Error, Result};

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
/// [`stage_loss_curve`](super::stage_loss_curve)).
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
