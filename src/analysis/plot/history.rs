//! Loss curves: training (and validation) loss per epoch on a logarithmic axis, the best
//! epoch, and below them a classifier's accuracies.

use std::ops::Range;

use plotters::prelude::*;

use super::accuracy::AccuracyPanel;
use super::ticks::{fmt_epoch, fmt_num, log_ticks};
use super::{
    Area, BLUE, FONT, GREY, GRID, ORANGE, PlotError, Png, SIZE, draw_err, finite, least_covered,
    render,
};
use crate::Error;
use crate::train::{Curve, History};

/// Two panels, loss above accuracy.
const TALL: (u32, u32) = (800, 800);
/// The loss panel's height in a [`TALL`] image.
const LOSS_HEIGHT: u32 = 450;

/// Draws the training loss per epoch on a logarithmic axis (`losses[i]` at epoch `i`), as
/// an 800×500 PNG: the loss curve of a hand-written training loop.
///
/// ```
/// use constnet::plot::loss_curve;
/// let png = loss_curve(&[1.0, 0.4, 0.1, 0.05])?;
/// assert!(png.as_bytes().len() > 5_000);
/// assert!(loss_curve(&[]).is_err());
/// # Ok::<(), constnet::plot::PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::Data`] with [`Error::EmptyData`] if `losses` is empty,
/// [`Error::NonFinite`] (`what` `"losses"`) for a NaN or infinite loss, or
/// [`Error::InvalidParameter`] (`"losses"`) for a loss ≤ 0, which a logarithmic axis cannot
/// show. [`PlotError::Draw`] if drawing fails.
pub fn loss_curve(losses: &[f64]) -> Result<Png, PlotError> {
    if losses.is_empty() {
        return Err(Error::EmptyData.into());
    }
    finite("losses", losses)?;
    if losses.iter().any(|&l| l <= 0.0) {
        return Err(Error::InvalidParameter {
            name: "losses",
            reason: "must all be > 0 to be drawn on a logarithmic axis",
        }
        .into());
    }
    let train: Vec<(f64, f64)> = losses
        .iter()
        .enumerate()
        .map(|(e, &l)| (e as f64, l))
        .collect();
    let panel = LossPanel {
        axis: EpochAxis::new(losses.len()),
        train,
        val: None,
        best: None,
        loss: "loss",
    };
    render(SIZE, |root| panel.draw(root))
}

/// Draws a training run's [`History`]: the training loss per epoch and, if there was
/// validation data, the validation loss (orange), on a logarithmic axis whose label is
/// `loss` (the loss's name, e.g. `"MSE"`, `"cross-entropy"`; `"loss"` if empty), and the
/// best epoch ([`History::best_epoch`]) as a dashed vertical line with a dot on the curve
/// it was chosen by (validation, else training). An 800×500 PNG.
///
/// For a classifier ([`History::train_accuracy`] not empty) the image is 800×800, with a
/// second panel below: training and validation accuracy on a linear axis in percent,
/// from 0 to 100 % or, when the accuracies stay within a narrower band, zoomed to it.
///
/// Every curve is drawn at the epochs it kept ([`Curve::points`]): all of them up to
/// [`CURVE_POINTS`](crate::train::CURVE_POINTS), evenly spaced ones beyond, the last
/// always. A run may record what a logarithmic axis cannot show (a loss of exactly 0, a
/// NaN or infinite validation loss): those points are left out and the line breaks there,
/// so a plot never fails a run that succeeded; a history with no loss to draw gets an
/// empty chart that says so.
///
/// ```
/// use constnet::{net, Dense, Init, InitScheme, Mse, Relu, Sgd, Trainer};
/// use constnet::nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut model: net![Dense<1, 8>, Relu, Dense<8, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(32, |_, j| j as f32 / 16.0 - 1.0);
/// let (y, vx) = (x.map(|v| 2.0 * v), x.map(|v| 0.9 * v));
/// let vy = vx.map(|v| 2.0 * v);
/// let h = Trainer::new(&x, &y)
///     .epochs(100)
///     .validation(&vx, &vy)
///     .fit(&mut model, &mut Sgd::new(0.05)?, &Mse)?;
/// let png = constnet::plot::history(&h, "MSE")?;
/// assert!(png.as_bytes().starts_with(b"\x89PNG"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`PlotError::Data`] with [`Error::EmptyData`] if the training curve is empty, or
/// [`Error::InvalidParameter`] (`"best_epoch"`) if the best epoch is past the curves.
/// [`PlotError::Draw`] if drawing fails.
pub fn history(h: &History, loss: &str) -> Result<Png, PlotError> {
    if h.train.is_empty() {
        return Err(Error::EmptyData.into());
    }
    let epochs = [&h.train, &h.val, &h.train_accuracy, &h.val_accuracy]
        .iter()
        .map(|c| c.len())
        .max()
        .unwrap_or(0);
    if h.best_epoch.is_some_and(|b| b >= epochs) {
        return Err(Error::InvalidParameter {
            name: "best_epoch",
            reason: "must be an epoch of the history (below the number of epochs recorded)",
        }
        .into());
    }
    let axis = EpochAxis::new(epochs);
    let panel = LossPanel {
        axis: axis.clone(),
        train: points(&h.train),
        val: (!h.val.is_empty()).then(|| points(&h.val)),
        best: h.best_epoch,
        loss: if loss.is_empty() { "loss" } else { loss },
    };
    if h.train_accuracy.is_empty() {
        return render(SIZE, |root| panel.draw(root));
    }
    let accuracy = AccuracyPanel {
        axis,
        train: points(&h.train_accuracy),
        val: (!h.val_accuracy.is_empty()).then(|| points(&h.val_accuracy)),
        best: h.best_epoch,
    };
    render(TALL, |root| {
        let (top, bottom) = root.split_vertically(LOSS_HEIGHT);
        panel.draw(&top)?;
        accuracy.draw(&bottom)
    })
}

/// A curve's kept `(epoch, value)` pairs, as coordinates.
pub(super) fn points(c: &Curve) -> Vec<(f64, f64)> {
    c.points().map(|(e, v)| (e as f64, v)).collect()
}

/// The epoch axis both panels share.
#[derive(Clone)]
pub(super) struct EpochAxis {
    /// The plotted range, with a small margin.
    pub range: Range<f64>,
    /// How many tick labels to ask for.
    pub labels: usize,
}

impl EpochAxis {
    /// The axis of epochs `0..epochs` (`epochs` ≥ 1).
    pub fn new(epochs: usize) -> Self {
        let last = epochs.saturating_sub(1) as f64;
        let range = if epochs <= 1 {
            -0.5..0.5
        } else {
            -0.01 * last..1.01 * last
        };
        EpochAxis {
            range,
            labels: epochs.clamp(2, 10),
        }
    }

    /// Where `epoch` falls across the axis, from 0 to 1.
    pub fn unit(&self, epoch: f64) -> f64 {
        (epoch - self.range.start) / (self.range.end - self.range.start)
    }
}

/// Runs of consecutive points whose value `keep` accepts: one line each, so a line breaks
/// where a value is left out.
pub(super) fn runs(points: &[(f64, f64)], keep: impl Fn(f64) -> bool) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    for &(e, v) in points {
        match runs.last_mut() {
            _ if !keep(v) => open = false,
            Some(run) if open => run.push((e, v)),
            _ => {
                runs.push(vec![(e, v)]);
                open = true;
            }
        }
    }
    runs
}

/// Whether a loss can be drawn on the log axis.
fn drawable(l: f64) -> bool {
    l.is_finite() && l > 0.0
}

/// The value of the line through `points` at `epoch` on a log axis: the point's own value
/// if `epoch` is kept, else interpolated in log space between its kept neighbours (a
/// straight segment on that axis), `None` if either is left out.
fn on_log_line(points: &[(f64, f64)], epoch: f64) -> Option<f64> {
    let i = points.partition_point(|&(e, _)| e < epoch);
    let &(e1, v1) = points.get(i)?;
    if e1 == epoch {
        return drawable(v1).then_some(v1);
    }
    let &(e0, v0) = points.get(i.checked_sub(1)?)?;
    if !(drawable(v0) && drawable(v1)) {
        return None;
    }
    let t = (epoch - e0) / (e1 - e0);
    Some((v0.ln() + t * (v1.ln() - v0.ln())).exp())
}

/// What the loss panel draws.
struct LossPanel<'a> {
    axis: EpochAxis,
    train: Vec<(f64, f64)>,
    val: Option<Vec<(f64, f64)>>,
    best: Option<usize>,
    loss: &'a str,
}

impl LossPanel<'_> {
    fn draw(&self, root: &Area<'_>) -> Result<(), PlotError> {
        let train = &self.train;
        let all = train.iter().chain(self.val.iter().flatten()).map(|p| p.1);
        let (lo, hi) = all
            .filter(|&l| drawable(l))
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), l| {
                (lo.min(l), hi.max(l))
            });
        let nothing = lo > hi;
        let (lo, hi) = if nothing { (0.1, 10.0) } else { (lo, hi) };
        // Some headroom in log space; a flat history still gets a factor of 4 of axis.
        let pad = if hi / lo < 2.0 { 2.0 } else { 1.25 };
        // Clamped so that extreme (subnormal or near-overflow) losses keep finite, positive
        // ends.
        let ys = (lo / pad).max(f64::MIN_POSITIVE).min(lo)..(hi * pad).min(f64::MAX);

        let final_of = |p: &[(f64, f64)]| p.last().map_or(String::new(), |l| fmt_num(l.1));
        let mut title = match &self.val {
            None => format!("Training loss (final {})", final_of(train)),
            Some(val) => format!(
                "Loss (final: training {}, validation {})",
                final_of(train),
                final_of(val)
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
                self.axis.range.clone(),
                ys.clone()
                    .log_scale()
                    .with_key_points(log_ticks(ys.clone())),
            )
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(self.loss)
            .axis_desc_style((FONT, 20))
            .label_style((FONT, 16))
            .x_labels(self.axis.labels)
            .y_labels(12)
            .x_label_formatter(&|v| fmt_epoch(*v))
            .y_label_formatter(&|v| fmt_num(*v))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(GREY)
            .draw()
            .map_err(draw_err)?;

        let labelled = self.val.is_some() || self.best.is_some();
        let series = [(train, BLUE, "training")]
            .into_iter()
            .chain(self.val.as_ref().map(|v| (v, ORANGE, "validation")));
        for (points, color, label) in series {
            let line = ShapeStyle::from(color).stroke_width(2);
            for (k, run) in runs(points, drawable).into_iter().enumerate() {
                let drawn = chart
                    .draw_series(LineSeries::new(run, line))
                    .map_err(draw_err)?;
                if labelled && k == 0 {
                    drawn
                        .label(label)
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], line));
                }
            }
            if points.len() <= 50 {
                let dots = points.iter().filter(|p| drawable(p.1));
                chart
                    .draw_series(dots.map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(draw_err)?;
            }
        }

        if let Some(best) = self.best {
            let style = ShapeStyle::from(GREY).stroke_width(1);
            let x = best as f64;
            chart
                .draw_series(DashedLineSeries::new(
                    [(x, ys.start), (x, ys.end)],
                    6,
                    4,
                    style,
                ))
                .map_err(draw_err)?
                // Counted from 1, as progress lines count epochs.
                .label(format!("best epoch {}", best + 1))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
            // The dot sits on the curve the best epoch was chosen by.
            let on = self
                .val
                .as_ref()
                .filter(|v| v.last().is_some_and(|l| l.0 >= x))
                .unwrap_or(train);
            if let Some(l) = on_log_line(on, x) {
                chart
                    .draw_series([Circle::new((x, l), 6, GREY.filled())])
                    .map_err(draw_err)?;
            }
        }
        if labelled {
            let (log_lo, log_hi) = (ys.start.log10(), ys.end.log10());
            let all = train.iter().chain(self.val.iter().flatten());
            let at = least_covered(
                all.filter(|p| drawable(p.1))
                    .map(|&(e, l)| (self.axis.unit(e), (l.log10() - log_lo) / (log_hi - log_lo))),
            );
            chart
                .configure_series_labels()
                .position(at)
                .margin(12)
                .label_font((FONT, 17))
                .background_style(WHITE.mix(0.9))
                .border_style(GRID.stroke_width(1))
                .draw()
                .map_err(draw_err)?;
        }
        Ok(())
    }
}
