//! PNG plots of a model and its training. Each function draws one image and returns it as
//! a [`Png`]: [`save`](Png::save) it (atomically), or take its
//! [bytes](Png::as_bytes) to write them with a program's other outputs.
//!
//! **[`loss_curve`]** draws a list of losses, one per epoch, on a logarithmic axis: what a
//! hand-written training loop collects in a `Vec<f64>`.
//!
//! **[`history`]** draws a [`Trainer`](crate::Trainer)'s
//! [`History`](crate::train::History): training and validation loss on a logarithmic axis,
//! the best epoch, and for a classifier a second panel with the accuracies. Long runs,
//! whose curves keep only every few epochs, are drawn at the epochs kept.
//!
//! **[`predictions`]** draws a model's predictions over one input variable, against the
//! data points and, if known, the function they were drawn from (see [`PredictionPlot`]).
//!
//! **[`diagnostics`]** draws [`diagnose`](crate::diagnose) snapshots over the epochs: the
//! units active per hidden layer and the gradient norm per layer, the signs of a network
//! that stopped learning.
//!
//! **[`confusion`]** draws a classifier's confusion matrix as a heat map: rows are the true
//! classes, columns the predicted ones, each row coloured by its shares.
//!
//! Inputs are plain slices, a [`History`](crate::train::History) or
//! [`Diagnostics`](crate::diagnose::Diagnostics), so the plots do not depend on the network
//! types. Values that cannot be drawn are an error, [`PlotError::Data`], before anything is
//! drawn. Text is drawn with the bundled Noto Sans font, so nothing is needed from the
//! system, and the same inputs always give the same bytes.
//!
//! ```
//! use constnet::plot::{loss_curve, predictions, PredictionPlot, Series};
//!
//! let loss = loss_curve(&[1.0, 0.5, 0.2, 0.1])?;
//!
//! let (xs, ys) = ([-1.0, 0.0, 1.0], [-1.1, 0.05, 0.9]);
//! let grid = [-1.0, -0.5, 0.0, 0.5, 1.0];
//! let pred = [-0.9, -0.2, 0.0, 0.2, 0.9];
//! let plot = PredictionPlot::new(Series::new("data", &xs, &ys), Series::new("model", &grid, &pred))
//!     .x_label("temperature (°C)")
//!     .y_label("pressure (bar)");
//! let png = predictions(&plot)?;
//! # let dir = std::env::temp_dir().join(format!("constnet-doc-plot-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! png.save(dir.join("predictions.png"))?;
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # drop(loss);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::Error;

mod accuracy;
mod confusion;
mod diagnostics;
mod history;
mod output;
mod predictions;
mod ticks;

pub use confusion::confusion;
pub use diagnostics::diagnostics;
pub use history::{history, loss_curve};
pub use output::{PlotError, Png};
pub use predictions::{PredictionPlot, predictions};

use output::{draw_err, encode};

/// Image size in pixels of a one-panel plot.
const SIZE: (u32, u32) = (800, 500);
/// Matplotlib's "tab:" colours: readable, colour-blind friendly, familiar.
const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREY: RGBColor = RGBColor(60, 60, 60);
const GRID: RGBColor = RGBColor(225, 225, 225);
/// Matplotlib's tab10 cycle, for one colour per layer.
const PALETTE: [RGBColor; 10] = [
    BLUE,
    ORANGE,
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const FONT: &str = "sans-serif";

/// What the drawing functions draw on.
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

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

fn finite(what: &'static str, values: &[f64]) -> Result<(), PlotError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what, index }.into()),
    }
}

/// Registers the bundled font once per process.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw(
            "the bundled Noto Sans font could not be loaded".into(),
        ))
    }
}

/// Draws on a white bitmap of `size` pixels, in memory, and encodes it as a PNG.
fn render(
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<(), PlotError>,
) -> Result<Png, PlotError> {
    ensure_font()?;
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    encode(&rgb, size)
}

/// The corner whose legend-sized box (45 % × 40 % of the chart) covers the fewest of
/// `points`, given as fractions of the axes (0 to 1).
fn least_covered(points: impl Iterator<Item = (f64, f64)>) -> SeriesLabelPosition {
    // (corner, right half, top half), in order of preference on a tie.
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerLeft, false, false),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::UpperLeft, false, true),
    ];
    let mut counts = [0usize; 4];
    for (u, v) in points {
        for (count, &(_, right, top)) in counts.iter_mut().zip(&corners) {
            let in_x = if right { u > 0.55 } else { u < 0.45 };
            let in_y = if top { v > 0.6 } else { v < 0.4 };
            *count += usize::from(in_x && in_y);
        }
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    corners[best].0.clone()
}

#[cfg(test)]
mod tests;
