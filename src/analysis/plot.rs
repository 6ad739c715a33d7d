//! PNG plots of a training run: the [loss curve](loss_curve) (with a validation history and
//! the best epoch: [`loss_curves`]), the [`fit`] of a model to one-dimensional data, and
//! [`diagnostics`] over the epochs (active units per hidden layer, gradient norm per layer,
//! from [`diagnose`](crate::diagnose)).
//!
//! Inputs are plain `f64` slices (and [`Diagnostics`](crate::diagnose::Diagnostics)), so
//! the plots do not depend on the network types. Text is
//! drawn with the bundled Noto Sans font (registered with plotters as `"sans-serif"` on
//! first use), so nothing is needed from the system. Every image is drawn to a temporary
//! file next to the target and renamed over it when complete: a crash never leaves a
//! half-written PNG. The parent directory must exist. The `stage_*` functions
//! ([`stage_loss_curve`], [`stage_loss_curves`], [`stage_fit`], [`stage_diagnostics`])
//! draw into a [`Staging`](crate::fsutil::Staging) instead, to be moved into place with a
//! run's other outputs.
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

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use plotters::drawing::DrawingAreaErrorKind;
use plotters_backend::DrawingErrorKind;
use plotters_bitmap::BitMapBackendError;

use crate::{Error, Result};

mod diagnostics;
mod fit;
mod loss;
mod ticks;

pub use diagnostics::{diagnostics, stage_diagnostics};
pub use fit::{FitPlot, fit, stage_fit};
pub use loss::{loss_curve, loss_curves, stage_loss_curve, stage_loss_curves};

/// Image size in pixels.
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

fn finite(what: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what, index }),
    }
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
    draw_png_sized(file, target, SIZE, draw)
}

/// [`draw_png`] on a bitmap of `size` pixels.
fn draw_png_sized(
    file: &Path,
    target: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    let root = BitMapBackend::new(file, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| backend_err(target, e))?;
    draw(&root).map_err(|e| match e {
        Error::Plot(msg) => Error::Plot(format!("{}: {msg}", target.display())),
        other => other,
    })?;
    root.present().map_err(|e| backend_err(target, e))
}
#[cfg(test)]
mod tests;
