//! One wild row: a value so far from the rest of its column that it alone sets the
//! column's scale (`0,1e30` among 200 rows of `y = x³`). Standardizing by that column's
//! spread then squeezes every other row into a sliver, and the network fits the one row;
//! the run would end in a baffling R². It is named instead, by file, line and column: as
//! an error when it lies beyond any measurement's reach of the rest ([`ABSURD`] spans:
//! a typo, a sentinel such as 1e30), else as a warning (a very heavy tail, e.g. Pareto or
//! Zipf-like sizes, can hold such a row: a log transform of the column helps there).

use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::model::RunResult;

/// A value holding more than this share of its column's squared deviations from the
/// mean is wild. With `n` rows that are otherwise alike, one value holds a share
/// `d² / (d² + s)`: above 0.99 it is ten times farther out than the rest of the column
/// put together (√99 ≈ 10 spreads of the others), which real measurements do not do.
const SHARE: f64 = 0.99;
/// A dominant value must also lie more than this many spans (max − min) of the other
/// rows beyond them: a heavy tail or a rare category stays.
const REACH: f64 = 10.0;
/// … and beyond this many spans it is refused: no tail of real data reaches that far past
/// the rest of its column (a heavy Pareto tail, α = 0.5 over 1000 rows, gets there in
/// about 1% of draws; `1e30` among values within ±8 is 6·10²⁸ spans out).
const ABSURD: f64 = 1e4;
/// Below this many rows a column's spread is not estimated well enough to call one row
/// wild.
const MIN_ROWS: usize = 20;

/// Each column (of `columns`, each a name and its values in row order) that one row
/// dominates, named with `path`, the row's line and the value: a warning, or the error of
/// the first whose row lies beyond [`ABSURD`] spans.
pub fn check<'a>(
    path: &Path,
    columns: impl IntoIterator<Item = (&'a str, Vec<f32>)>,
) -> RunResult<()> {
    check_dyn(path, &mut columns.into_iter())
}

/// [`check`], compiled once (not once per input width).
fn check_dyn(path: &Path, columns: &mut dyn Iterator<Item = (&str, Vec<f32>)>) -> RunResult<()> {
    for (name, values) in columns {
        let Some((row, share)) = dominant(&values) else {
            continue;
        };
        let others = values
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != row)
            .map(|(_, &v)| v);
        let (lo, hi) = others.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        // A column constant but for one row is a rare flag (a pixel lit once among 1797
        // digits), not a typo; and a value within [`REACH`] spans of the others is a tail.
        let span = f64::from(hi) - f64::from(lo);
        let v = f64::from(values[row]);
        let outside = (v - v.clamp(f64::from(lo), f64::from(hi))).abs();
        if span <= 0.0 || outside <= REACH * span {
            continue;
        }
        let line = line_of_row(path, row)
            .map_or_else(|| format!("data row {}", row + 1), |l| format!("line {l}"));
        let what = format!(
            "{}: {line}: `{}` is {} while its other {} rows lie in {} … {}: this one row \
             holds {:.2}% of the column's spread and sets its scale alone",
            path.display(),
            name.escape_debug(),
            short(values[row]),
            values.len() - 1,
            short(lo),
            short(hi),
            100.0 * share
        );
        if outside > ABSURD * span {
            return Err(format!("{what}; check it (a typo, another unit?) or remove it").into());
        }
        crate::warn(
            "fit",
            &format!("{what}; if the column is this heavy-tailed, a log transform of it helps"),
        );
    }
    Ok(())
}

/// A value as a reader takes it in: exponent notation beyond ±10⁶ (not 31 digits).
fn short(v: f32) -> String {
    if v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The row holding more than [`SHARE`] of the squared deviations, and its share.
fn dominant(values: &[f32]) -> Option<(usize, f64)> {
    let n = values.len();
    if n < MIN_ROWS {
        return None;
    }
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let dev = |v: f32| (f64::from(v) - mean).powi(2);
    let total: f64 = values.iter().map(|&v| dev(v)).sum();
    let (row, most) =
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| (i, dev(v)))
            .fold(
                (0, 0.0),
                |best, cur| if cur.1 > best.1 { cur } else { best },
            );
    (total > 0.0 && total.is_finite() && most / total > SHARE).then_some((row, most / total))
}

/// The 1-based line of data row `row` (0-based, after the header; blank lines skipped as
/// the reader skips them), if the file can be read again.
fn line_of_row(path: &Path, row: usize) -> Option<usize> {
    let file = std::fs::File::open(path).ok()?;
    let mut seen = 0usize;
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        if line.ok()?.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // The first non-blank line is the header.
        if seen == row + 1 {
            return Some(i + 1);
        }
        seen += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_far_beyond_the_rest_is_named_by_line() {
        let dir = crate::testing::Scratch::new("outliers");
        let mut text = String::from("x,y\n\n");
        let mut ys: Vec<f32> = (0..200)
            .map(|i| (-2.0 + 4.0 * i as f32 / 199.0).powi(3))
            .collect();
        for y in &ys {
            text.push_str(&format!("0,{y}\n"));
        }
        text.push_str("0,1e30\n");
        ys.push(1e30);
        let path = crate::testing::write(&dir.0, "wild.csv", &text);
        let err = check(&path, [("y", ys.clone())]).unwrap_err().to_string();
        // Header on line 1, a blank line 2, 200 rows on lines 3–202, the wild one on 203.
        assert!(err.contains("wild.csv: line 203: `y` is 1e30"), "{err}");
        assert!(err.contains("-8 … 8"), "{err}");
        // Without it, and with a merely large value (a heavy tail, 30 times the spread of
        // the others), nothing is said.
        ys.pop();
        assert!(check(&path, [("y", ys.clone())]).is_ok());
        ys.push(120.0);
        assert!(
            check(&path, [("y", ys.clone())]).is_ok(),
            "{:?}",
            dominant(&ys)
        );
        // A sparse column: 2998 zeros, one 1 and one 11 — 11 holds 99.1% of the spread but
        // lies 10 spans of the others out (within REACH): passes. At 12 (11 spans out) it
        // is named, as a warning only (within ABSURD); at 1e5 refused.
        let mut sparse = vec![0.0; 3000];
        sparse[5] = 1.0;
        sparse[9] = 11.0;
        assert!(dominant(&sparse).is_some());
        assert!(check(&path, [("s", sparse.clone())]).is_ok());
        sparse[9] = 12.0;
        assert!(check(&path, [("s", sparse.clone())]).is_ok());
        sparse[9] = 1e5;
        assert!(check(&path, [("s", sparse)]).is_err());
        // A column of zeros but one (a rarely lit pixel) is a feature, not a typo.
        let mut flag = vec![0.0; 300];
        flag[17] = 1.0;
        assert!(check(&path, [("flag", flag)]).is_ok());
        // Too few rows to tell.
        let few = vec![0.0, 1.0, 1e30];
        assert!(dominant(&few).is_none());
    }
}
