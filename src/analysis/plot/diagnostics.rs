//! The diagnostics plot: alive units per hidden layer and gradient norm per layer, over
//! the epochs.

use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::ticks::{fmt_epoch, fmt_num, log_ticks};
use super::{Area, FONT, GREY, GRID, PALETTE, PlotError, Png, draw_err, least_covered, render};
use crate::Error;
use crate::diagnose::Diagnostics;

/// Two panels, one above the other.
const SIZE: (u32, u32) = (800, 800);

/// Draws [`Diagnostics`] taken during training, `(epoch, diagnostics)` per snapshot, as an
/// 800×800 PNG of two panels over the epochs:
///
/// - top: per hidden activation layer, the fraction of its units active on at least one
///   sample (solid, 0 to 1) and the fraction of (unit, sample) pairs active (dashed). A
///   solid line at 0 is a dead layer.
/// - bottom: per layer with trainable tensors, the L2 norm of the loss gradient, on a
///   logarithmic axis. A zero (or NaN, or infinite) norm cannot be drawn there: it is
///   skipped, so a line that stops means the gradient vanished (the caption says when
///   every norm is zero).
///
/// Snapshots may come in any order (they are drawn by epoch) and must all describe the
/// same network.
///
/// ```
/// use constnet::diagnose::diagnose;
/// use constnet::{net, Dense, Init, InitScheme, Mse, Relu};
/// use constnet::nalgebra::{Const, Dyn, OMatrix};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
/// let mut model: net![Dense<1, 8>, Relu, Dense<8, 1>] = Init::init(&mut rng, InitScheme::He);
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(20, |_, j| j as f32 / 10.0 - 1.0);
/// let before = diagnose(&model, &x, &x, &Mse)?;
/// model.first.first.b.fill(-10.0);
/// let after = diagnose(&model, &x, &x, &Mse)?;
/// let png = constnet::plot::diagnostics(&[(0, before), (10, after)])?;
/// assert!(png.as_bytes().starts_with(b"\x89PNG"));
/// assert!(constnet::plot::diagnostics(&[]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`PlotError::Data`] with [`Error::EmptyData`] without snapshots, or
/// [`Error::InvalidParameter`] (`"snapshots"`) if they describe different layers.
/// [`PlotError::Draw`] if drawing fails.
pub fn diagnostics(snapshots: &[(usize, Diagnostics)]) -> Result<Png, PlotError> {
    let panels = Panels::new(snapshots)?;
    render(SIZE, |root| panels.draw(root))
}

/// The axes both panels share.
macro_rules! mesh {
    ($chart:expr, $y_desc:expr, $single:expr) => {
        $chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc($y_desc)
            .axis_desc_style((FONT, 18))
            .label_style((FONT, 15))
            // One snapshot spans -0.5..0.5: 3 ticks put one at its epoch.
            .x_labels(if $single { 3 } else { 10 })
            .y_labels(8)
            .x_label_formatter(&|v| fmt_epoch(*v))
            .y_label_formatter(&|v| fmt_num(*v))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(GREY)
            .draw()
            .map_err(draw_err)
    };
}

/// A named line of `(epoch, value)` points.
struct Line {
    label: String,
    points: Vec<(f64, f64)>,
}

/// The lines of both panels, checked and sorted by epoch.
struct Panels {
    epochs: Range<f64>,
    /// Per hidden layer: alive fraction, active fraction.
    alive: Vec<(Line, Line)>,
    /// Per trainable layer: gradient norms (positive, finite ones only).
    grads: Vec<Line>,
}

impl Panels {
    fn new(snapshots: &[(usize, Diagnostics)]) -> Result<Self, PlotError> {
        let Some((_, first)) = snapshots.first() else {
            return Err(Error::EmptyData.into());
        };
        let same = |d: &Diagnostics| {
            d.layers.len() == first.layers.len()
                && d.layers.iter().zip(&first.layers).all(|(a, b)| {
                    a.name == b.name
                        && a.grad_norm.is_some() == b.grad_norm.is_some()
                        && a.activity.as_ref().map(|x| x.units())
                            == b.activity.as_ref().map(|x| x.units())
                })
        };
        if !snapshots.iter().all(|(_, d)| same(d)) {
            return Err(Error::InvalidParameter {
                name: "snapshots",
                reason: "must all describe the same network (the same layers in the same order)",
            }
            .into());
        }
        let mut order: Vec<&(usize, Diagnostics)> = snapshots.iter().collect();
        order.sort_by_key(|(epoch, _)| *epoch);
        let (lo, hi) = (order[0].0 as f64, order[order.len() - 1].0 as f64);
        let pad = if hi > lo { 0.01 * (hi - lo) } else { 0.5 };
        let epochs = lo - pad..hi + pad;

        let alive = first
            .hidden_layers()
            .into_iter()
            .map(|(k, i)| {
                let fraction = |f: fn(&crate::diagnose::Activity) -> f64| {
                    order
                        .iter()
                        .filter_map(|(e, d)| {
                            d.layers[i].activity.as_ref().map(|a| (*e as f64, f(a)))
                        })
                        .collect()
                };
                (
                    Line {
                        label: format!("hidden layer {k}: units alive"),
                        points: fraction(crate::diagnose::Activity::alive_fraction),
                    },
                    Line {
                        label: format!("hidden layer {k}: active (unit, sample) pairs"),
                        points: fraction(crate::diagnose::Activity::active_fraction),
                    },
                )
            })
            .collect();
        let grads = first
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.grad_norm.is_some())
            .enumerate()
            // Trainable layers counted on their own ("hidden layer k" sits between the
            // k-th and the next), not among the activations.
            .map(|(k, (i, l))| Line {
                label: format!("{}: {}", k + 1, l.name),
                points: order
                    .iter()
                    .filter_map(|(e, d)| d.layers[i].grad_norm.map(|g| (*e as f64, g)))
                    .filter(|&(_, g)| g.is_finite() && g > 0.0)
                    .collect(),
            })
            .collect();
        Ok(Panels {
            epochs,
            alive,
            grads,
        })
    }

    fn draw(&self, root: &Area<'_>) -> Result<(), PlotError> {
        let areas = root.split_evenly((2, 1));
        self.draw_alive(&areas[0])?;
        self.draw_grads(&areas[1])
    }

    fn draw_alive(&self, area: &Area<'_>) -> Result<(), PlotError> {
        let mut chart = ChartBuilder::on(area)
            .caption("Hidden layers: active units", (FONT, 24))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(65)
            .build_cartesian_2d(self.epochs.clone(), -0.03..1.03)
            .map_err(draw_err)?;
        mesh!(chart, "fraction", self.single())?;
        for (k, (alive, active)) in self.alive.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let solid = ShapeStyle::from(color).stroke_width(2);
            let dashed = ShapeStyle::from(color.mix(0.7)).stroke_width(2);
            line(&mut chart, alive, solid, false)?;
            line(&mut chart, active, dashed, true)?;
        }
        let lines = self.alive.iter().flat_map(|(a, b)| [a, b]);
        let points = lines.flat_map(|l| l.points.iter());
        let at = least_covered(points.map(|&(e, f)| (self.x_unit(e), (f + 0.03) / 1.06)));
        legend(&mut chart, at)
    }

    /// Whether every snapshot is of one epoch.
    fn single(&self) -> bool {
        self.epochs.end - self.epochs.start <= 1.0
    }

    /// Where `epoch` falls across the x axis, from 0 to 1.
    fn x_unit(&self, epoch: f64) -> f64 {
        (epoch - self.epochs.start) / (self.epochs.end - self.epochs.start)
    }

    fn draw_grads(&self, area: &Area<'_>) -> Result<(), PlotError> {
        let all = self.grads.iter().flat_map(|l| l.points.iter().map(|p| p.1));
        let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(lo, hi), g| {
            (lo.min(g), hi.max(g))
        });
        let (ys, caption) = if hi > 0.0 {
            let pad = if hi / lo < 10.0 { 3.0 } else { 1.5 };
            let ys = (lo / pad).max(f64::MIN_POSITIVE).min(lo)..(hi * pad).min(f64::MAX);
            (ys, "Gradient norm per layer")
        } else {
            (1e-3..1.0, "Gradient norm per layer (every norm is zero)")
        };
        let ys_log = ys.clone();
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, 24))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(65)
            .build_cartesian_2d(
                self.epochs.clone(),
                ys.clone()
                    .log_scale()
                    .with_key_points(log_ticks(ys.clone())),
            )
            .map_err(draw_err)?;
        mesh!(chart, "L2 norm of ∂L/∂θ", self.single())?;
        for (k, grad) in self.grads.iter().enumerate() {
            let style = ShapeStyle::from(PALETTE[k % PALETTE.len()]).stroke_width(2);
            line(&mut chart, grad, style, false)?;
        }
        let (log_lo, log_hi) = (ys_log.start.log10(), ys_log.end.log10());
        let points = self.grads.iter().flat_map(|l| l.points.iter());
        let at = least_covered(
            points.map(|&(e, g)| (self.x_unit(e), (g.log10() - log_lo) / (log_hi - log_lo))),
        );
        legend(&mut chart, at)
    }
}

type Chart<'a, 'b, Y> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, Y>>;

/// A labelled line, dashed or solid, with dots when there are few points.
fn line<Y>(
    chart: &mut Chart<'_, '_, Y>,
    l: &Line,
    style: ShapeStyle,
    dashed: bool,
) -> Result<(), PlotError>
where
    Y: Ranged<ValueType = f64>,
{
    let points = l.points.iter().copied();
    let drawn = if dashed {
        chart.draw_series(DashedLineSeries::new(points.clone(), 7, 5, style))
    } else {
        chart.draw_series(LineSeries::new(points.clone(), style))
    }
    .map_err(draw_err)?;
    drawn
        .label(l.label.as_str())
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
    if l.points.len() <= 50 {
        let dot = style.color.filled();
        chart
            .draw_series(points.map(|p| Circle::new(p, 3, dot)))
            .map_err(draw_err)?;
    }
    Ok(())
}

fn legend<'a, 'b: 'a, Y: Ranged>(
    chart: &mut Chart<'a, 'b, Y>,
    at: SeriesLabelPosition,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(at)
        .margin(10)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID.stroke_width(1))
        .draw()
        .map_err(draw_err)
}
