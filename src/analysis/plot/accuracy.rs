//! The accuracy panel of [`history`](super::history): a classifier's training and
//! validation accuracy per epoch, in percent.

use std::ops::Range;

use plotters::prelude::*;

use super::history::{EpochAxis, runs};
use super::ticks::{Ticked, fmt_epoch};
use super::{Area, BLUE, FONT, GREY, GRID, ORANGE, PlotError, draw_err, least_covered};

/// What the accuracy panel draws: `(epoch, accuracy)` points, accuracies from 0 to 1.
pub(super) struct AccuracyPanel {
    pub axis: EpochAxis,
    pub train: Vec<(f64, f64)>,
    pub val: Option<Vec<(f64, f64)>>,
    pub best: Option<usize>,
}

/// The vertical range: 0 to 100 % when the accuracies span half of it or more, else their
/// band with a margin of 15 % of its width (at least 1 point of percentage), within 0 to
/// 100 % unless a value lies outside.
fn range(values: impl Iterator<Item = f64>) -> Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo > hi {
        return -0.02..1.02;
    }
    if lo >= 0.0 && hi <= 1.0 && hi - lo >= 0.5 {
        return -0.02..1.02;
    }
    let pad = (0.15 * (hi - lo)).max(0.01);
    let (bottom, top) = (lo.min(0.0).max(lo - pad), hi.max(1.0).min(hi + pad));
    // A curve at exactly 0 or 100 % keeps a little room from the frame.
    let room = 0.02 * (top - bottom);
    bottom - room..top + room
}

/// Round percentages in `range`: steps of 0.1 to 25 points, 4 to 11 ticks.
fn percent_ticks(range: &Range<f64>) -> (Vec<f64>, usize) {
    let (lo, hi) = (range.start.max(-1.0), range.end.min(2.0));
    let steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25];
    let step = steps
        .into_iter()
        .find(|s| (hi - lo) / s <= 10.0)
        .unwrap_or(0.25);
    let decimals = if step < 0.01 { 1 } else { 0 };
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    (ticks, decimals)
}

/// `0.975` as `97.5%` with `decimals` decimals.
fn fmt_percent(v: f64, decimals: usize) -> String {
    let p = 100.0 * v;
    // No "-0%" from rounding noise.
    let p = if p.abs() < 1e-9 { 0.0 } else { p };
    format!("{p:.decimals$}%")
}

impl AccuracyPanel {
    pub(super) fn draw(&self, area: &Area<'_>) -> Result<(), PlotError> {
        let all = self.train.iter().chain(self.val.iter().flatten());
        let ys = range(all.clone().map(|p| p.1).filter(|v| v.is_finite()));
        let (ticks, decimals) = percent_ticks(&ys);
        let final_of = |p: &[(f64, f64)]| {
            p.last()
                .filter(|l| l.1.is_finite())
                .map_or("–".into(), |l| fmt_percent(l.1, 1))
        };
        let title = match &self.val {
            None => format!("Training accuracy (final {})", final_of(&self.train)),
            Some(val) => format!(
                "Accuracy (final: training {}, validation {})",
                final_of(&self.train),
                final_of(val)
            ),
        };
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, 24))
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d(self.axis.range.clone(), Ticked::new(ys.clone(), ticks))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("accuracy")
            .axis_desc_style((FONT, 20))
            .label_style((FONT, 16))
            .x_labels(self.axis.labels)
            .x_label_formatter(&|v| fmt_epoch(*v))
            .y_label_formatter(&|v| fmt_percent(*v, decimals))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(GREY)
            .draw()
            .map_err(draw_err)?;

        // A legend when there is more than the training curve to tell apart.
        let labelled = self.val.is_some() || self.best.is_some();
        let series = [(&self.train, BLUE, "training")]
            .into_iter()
            .chain(self.val.as_ref().map(|v| (v, ORANGE, "validation")));
        for (points, color, label) in series {
            let line = ShapeStyle::from(color).stroke_width(2);
            for (k, run) in runs(points, f64::is_finite).into_iter().enumerate() {
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
                let dots = points.iter().filter(|p| p.1.is_finite());
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
                .label(format!("best epoch {}", best + 1))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        }
        if !labelled {
            return Ok(());
        }
        let height = ys.end - ys.start;
        let at = least_covered(
            all.filter(|p| p.1.is_finite())
                .map(|&(e, v)| (self.axis.unit(e), (v - ys.start) / height)),
        );
        chart
            .configure_series_labels()
            .position(at)
            .margin(12)
            .label_font((FONT, 17))
            .background_style(WHITE.mix(0.9))
            .border_style(GRID.stroke_width(1))
            .draw()
            .map_err(draw_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_zooms_to_a_narrow_band_and_stays_whole_for_a_wide_one() {
        let r = range([0.1, 0.95].into_iter());
        assert_eq!(r, -0.02..1.02);
        let r = range([0.9, 0.99].into_iter());
        assert!(
            r.start > 0.85 && r.start < 0.9 && r.end > 0.99 && r.end < 1.02,
            "{r:?}"
        );
        // A constant 100 %: a band of at least 1 point, below the value.
        let r = range([1.0, 1.0].into_iter());
        assert!(r.start < 0.995 && r.end > 1.0 && r.end < 1.01, "{r:?}");
        assert_eq!(range(std::iter::empty()), -0.02..1.02);
    }

    #[test]
    fn ticks_are_round_percentages() {
        let (ticks, decimals) = percent_ticks(&(-0.02..1.02));
        assert_eq!(ticks.len(), 6);
        assert_eq!(
            (fmt_percent(ticks[1], decimals), decimals),
            ("20%".into(), 0)
        );
        let (ticks, decimals) = percent_ticks(&(0.985..0.995));
        assert!(ticks.len() >= 4 && ticks.len() <= 11, "{ticks:?}");
        assert_eq!(decimals, 1);
        assert!(ticks.iter().all(
            |t| fmt_percent(*t, 1).starts_with("98.") || fmt_percent(*t, 1).starts_with("99.")
        ));
        assert_eq!(fmt_percent(-1e-12, 0), "0%");
    }
}
