//! Axis ticks and tick labels: round values, compact numbers.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// A linear `f64` axis with the ticks given (plotters' own `with_key_points` on an `f64`
/// range loses the label formatter a mesh needs).
#[derive(Clone, Debug)]
pub(super) struct Ticked {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    /// The axis over `range` (start below end), ticks and grid lines at `ticks`.
    pub(super) fn new(range: Range<f64>, ticks: Vec<f64>) -> Self {
        Ticked { range, ticks }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, (from, to): (i32, i32)) -> i32 {
        let share = (v - self.range.start) / (self.range.end - self.range.start);
        let pixels = f64::from(to - from);
        // As plotters' own f64 axes round.
        if pixels >= 0.0 {
            from + (pixels * share + 1e-3).floor() as i32
        } else {
            from + (pixels * share - 1e-3).ceil() as i32
        }
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Tick label for an epoch axis: whole numbers only.
pub(super) fn fmt_epoch(v: f64) -> String {
    if v >= 0.0 && v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// Tick values for a logarithmic axis over `range` (both ends > 0): 1-2-5 per decade, or
/// decades for wide ranges, 1…9 per decade for narrow ones, even steps for very narrow ones.
pub(super) fn log_ticks(range: Range<f64>) -> Vec<f64> {
    let (lo, hi) = (range.start, range.end);
    let within = |mults: &[f64], every: i32| -> Vec<f64> {
        let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        (first..=last)
            .filter(|e| e.rem_euclid(every) == 0)
            .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let one_two_five = within(&[1.0, 2.0, 5.0], 1);
    if (3..=10).contains(&one_two_five.len()) {
        return one_two_five;
    }
    if one_two_five.len() > 10 {
        let decades = ((hi.log10() - lo.log10()).ceil() as i32).max(1);
        return within(&[1.0], (decades + 9) / 10);
    }
    let all = within(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 1);
    if all.len() >= 3 {
        return all;
    }
    linear_ticks(lo, hi)
}

/// About five evenly spaced round values in `[lo, hi]`.
fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 5.0;
    // Ranges so narrow or so tiny that the step is not a normal number (e.g. subnormal
    // losses): label just the ends rather than divide by ~0.
    if !raw.is_normal() {
        return vec![lo, hi];
    }
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil();
    if !step.is_normal() || !first.is_finite() || first.abs() > 1e15 {
        return vec![lo, hi];
    }
    (first as i64..)
        .map(|k| k as f64 * step)
        .take_while(|v| *v <= hi)
        .take(12)
        .collect()
}

/// A number with up to 4 significant digits: `0.25`, `1500`, `0.0121`, `1e-4`, `2.5e6`;
/// `NaN`, `inf`, `-inf` as such (a final validation loss in a title may be one).
pub(super) fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        v.to_string()
    } else if a == 0.0 {
        "0".into()
    } else if (1e-3..1e5).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 8) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').into()
        } else {
            s
        }
    } else {
        format!("{v:.3e}")
            .split_once('e')
            .map(|(m, e)| {
                let m = m.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{e}")
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact() {
        let cases = [
            (0.0, "0"),
            (0.25, "0.25"),
            (-2.0, "-2"),
            (1500.0, "1500"),
            (0.0121, "0.0121"),
            (0.012083, "0.01208"),
            (1e-4, "1e-4"),
            (2.5e6, "2.5e6"),
            (-1.23456e-7, "-1.235e-7"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (v, s) in cases {
            assert_eq!(fmt_num(v), s, "{v}");
        }
    }

    #[test]
    fn epochs_are_whole_numbers() {
        assert_eq!(fmt_epoch(100.0), "100");
        assert_eq!(fmt_epoch(0.5), "");
        assert_eq!(fmt_epoch(-1.0), "");
    }

    #[track_caller]
    fn assert_ticks(range: Range<f64>, expected: &[f64]) {
        let got = log_ticks(range);
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for (g, e) in got.iter().zip(expected) {
            assert!((g / e - 1.0).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn log_ticks_adapt_to_the_range() {
        assert_ticks(
            0.009..6.0,
            &[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0],
        );
        assert_ticks(
            1e-6..1e3,
            &[1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3],
        );
        assert_ticks(0.18..0.75, &[0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
        assert_ticks(0.0201..0.0209, &[0.0202, 0.0204, 0.0206, 0.0208]);
        // Enormous ranges thin out to at most a dozen decades.
        assert!(log_ticks(1e-300..1e300).len() <= 12);
        assert!(log_ticks(f64::MIN_POSITIVE..f64::MAX).len() >= 3);
    }
}
