//! The prediction plot: data, true function and model prediction over one input.

use std::ops::Range;

use plotters::prelude::*;

use super::ticks::fmt_num;
use super::{
    Area, BLUE, FONT, GREY, GRID, ORANGE, PlotError, Png, SIZE, Series, draw_err, finite, render,
};
use crate::Error;

/// What [`predictions`] draws: the data as dots, optionally the true function as a dashed
/// line, and the model's prediction as a solid line, with a title and axis names.
///
/// Line series are sorted by `x` before drawing, so they may come in any order.
///
/// ```
/// use constnet::plot::{PredictionPlot, Series};
/// let (x, y) = ([0.0, 1.0], [0.1, 0.9]);
/// let plot = PredictionPlot::new(Series::new("data", &x, &y), Series::new("model", &x, &x))
///     .truth(Series::new("y = x", &x, &x))
///     .title("y = x")
///     .x_label("load (kg)")
///     .y_label("extension (mm)");
/// # drop(plot);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PredictionPlot<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    points: Series<'a>,
    truth: Option<Series<'a>>,
    prediction: Series<'a>,
}

impl<'a> PredictionPlot<'a> {
    /// A plot of the data `points` (small translucent dots) and the model's `prediction`
    /// (a solid line), titled "Model predictions", axes "x" and "y", no truth.
    ///
    /// ```
    /// use constnet::plot::{predictions, PredictionPlot, Series};
    /// let (x, y) = ([0.0, 1.0, 2.0], [0.1, 0.9, 2.2]);
    /// let png = predictions(&PredictionPlot::new(Series::new("data", &x, &y), Series::new("model", &x, &x)))?;
    /// # drop(png);
    /// # Ok::<(), constnet::plot::PlotError>(())
    /// ```
    #[must_use]
    pub fn new(points: Series<'a>, prediction: Series<'a>) -> Self {
        PredictionPlot {
            title: "Model predictions",
            x_label: "x",
            y_label: "y",
            points,
            truth: None,
            prediction,
        }
    }

    /// Adds the function the data were drawn from, if known: a dashed dark line.
    ///
    /// ```
    /// use constnet::plot::{predictions, PredictionPlot, Series};
    /// let grid = [-1.0, 0.0, 1.0];
    /// let (noisy, cube, model) = ([-1.1, 0.1, 0.9], [-1.0, 0.0, 1.0], [-0.8, 0.0, 0.8]);
    /// let plot = PredictionPlot::new(Series::new("data", &grid, &noisy), Series::new("model", &grid, &model))
    ///     .truth(Series::new("x³", &grid, &cube));
    /// # drop(predictions(&plot)?);
    /// # Ok::<(), constnet::plot::PlotError>(())
    /// ```
    #[must_use]
    pub fn truth(mut self, truth: Series<'a>) -> Self {
        self.truth = Some(truth);
        self
    }

    /// The title above the chart (default "Model predictions").
    ///
    /// ```
    /// use constnet::plot::{PredictionPlot, Series};
    /// let x = [0.0, 1.0];
    /// let plot = PredictionPlot::new(Series::new("data", &x, &x), Series::new("model", &x, &x))
    ///     .title("Spring extension");
    /// # drop(constnet::plot::predictions(&plot)?);
    /// # Ok::<(), constnet::plot::PlotError>(())
    /// ```
    #[must_use]
    pub fn title(mut self, title: &'a str) -> Self {
        self.title = title;
        self
    }

    /// The horizontal axis's name (default "x"), e.g. the input's CSV column.
    ///
    /// ```
    /// use constnet::plot::{PredictionPlot, Series};
    /// let x = [0.0, 1.0];
    /// let columns = ["load_kg", "extension_mm"];
    /// let plot = PredictionPlot::new(Series::new("data", &x, &x), Series::new("model", &x, &x))
    ///     .x_label(columns[0])
    ///     .y_label(columns[1]);
    /// # drop(constnet::plot::predictions(&plot)?);
    /// # Ok::<(), constnet::plot::PlotError>(())
    /// ```
    #[must_use]
    pub fn x_label(mut self, label: &'a str) -> Self {
        self.x_label = label;
        self
    }

    /// The vertical axis's name (default "y"), e.g. the target's CSV column.
    ///
    /// ```
    /// use constnet::plot::{PredictionPlot, Series};
    /// let x = [0.0, 1.0];
    /// let plot = PredictionPlot::new(Series::new("data", &x, &x), Series::new("model", &x, &x))
    ///     .y_label("pressure (bar)");
    /// # drop(constnet::plot::predictions(&plot)?);
    /// # Ok::<(), constnet::plot::PlotError>(())
    /// ```
    #[must_use]
    pub fn y_label(mut self, label: &'a str) -> Self {
        self.y_label = label;
        self
    }

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

/// Draws data, true function and model prediction (see [`PredictionPlot`]) as an 800×500
/// PNG. The legend goes in the corner with the least data.
///
/// ```
/// use constnet::plot::{predictions, PredictionPlot, Series};
/// let x = [-1.0, 0.0, 1.0];
/// let noisy = [-0.9, 0.1, 1.1];
/// let png = predictions(&PredictionPlot::new(
///     Series::new("data", &x, &noisy),
///     Series::new("model", &x, &x),
/// ))?;
/// assert!(png.as_bytes().starts_with(b"\x89PNG"));
/// # Ok::<(), constnet::plot::PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::Data`], for each series: with [`Error::EmptyData`] if it is empty,
/// [`Error::LengthMismatch`] if its `x` and `y` differ in length, [`Error::NonFinite`]
/// (`what` names the series and axis, e.g. `"prediction y"`) for a NaN or infinite value;
/// with [`Error::InvalidParameter`] (`"x values"`, `"y values"`) if the values span more
/// than an `f64` can represent (from near `-f64::MAX` to near `f64::MAX`).
/// [`PlotError::Draw`] if drawing fails.
pub fn predictions(plot: &PredictionPlot<'_>) -> Result<Png, PlotError> {
    check_series(&plot.points, "points x", "points y")?;
    if let Some(truth) = &plot.truth {
        check_series(truth, "truth x", "truth y")?;
    }
    check_series(&plot.prediction, "prediction x", "prediction y")?;
    let all = plot.series();
    let ranges = (
        padded("x values", all.iter().flat_map(|s| s.x.iter().copied()))?,
        padded("y values", all.iter().flat_map(|s| s.y.iter().copied()))?,
    );
    render(SIZE, |root| draw(root, plot, &ranges))
}

fn check_series(
    s: &Series<'_>,
    what_x: &'static str,
    what_y: &'static str,
) -> Result<(), PlotError> {
    if s.x.len() != s.y.len() {
        return Err(Error::LengthMismatch {
            what: what_y,
            expected: s.x.len(),
            found: s.y.len(),
        }
        .into());
    }
    if s.x.is_empty() {
        return Err(Error::EmptyData.into());
    }
    finite(what_x, s.x)?;
    finite(what_y, s.y)
}
fn draw(
    root: &Area<'_>,
    plot: &PredictionPlot<'_>,
    ranges: &(Range<f64>, Range<f64>),
) -> Result<(), PlotError> {
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
        .map_err(draw_err)?;
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
        .map_err(draw_err)?;

    let p = &plot.points;
    let dot = BLUE.mix(0.35).filled();
    chart
        .draw_series(
            p.x.iter()
                .zip(p.y)
                .map(|(&x, &y)| Circle::new((x, y), 2, dot)),
        )
        .map_err(draw_err)?
        .label(p.label)
        .legend(move |(x, y)| Circle::new((x + 10, y), 3, BLUE.mix(0.6).filled()));

    if let Some(t) = &plot.truth {
        let style = ShapeStyle::from(GREY).stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(sorted(t), 8, 5, style))
            .map_err(draw_err)?
            .label(t.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
    }

    let m = &plot.prediction;
    let style = ShapeStyle::from(ORANGE).stroke_width(3);
    chart
        .draw_series(LineSeries::new(sorted(m), style))
        .map_err(draw_err)?
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
        .map_err(draw_err)
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
fn padded(name: &'static str, values: impl Iterator<Item = f64>) -> Result<Range<f64>, PlotError> {
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
        Err(Error::InvalidParameter {
            name,
            reason: "span too wide a range to plot (their difference overflows an f64)",
        }
        .into())
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
