//! The confusion matrix of a classifier, as a heat map.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ticks::Ticked;
use super::{Area, FONT, GREY, GRID, PlotError, Png, draw_err, render};
use crate::Error;

/// Image size in pixels.
const SIZE: (u32, u32) = (800, 800);
/// The fewest and most classes drawn.
const CLASSES: std::ops::RangeInclusive<usize> = 2..=100;
/// Up to this many classes, every cell shows its count.
const COUNTED: usize = 20;
/// Up to this many classes, every class is named on both axes; beyond, every n-th.
const NAMED: usize = 25;
/// Class names longer than this many characters are cut, with an ellipsis.
const NAME_CHARS: usize = 18;
/// The width of the colour scale on the right.
const SCALE_WIDTH: u32 = 110;
/// The colour of a row without samples.
const EMPTY_ROW: RGBColor = RGBColor(236, 236, 236);

/// Draws a classifier's confusion matrix as an 800×800 PNG heat map: row `i` is the true
/// class `classes[i]`, column `j` the predicted class `classes[j]`, and
/// `counts[i * K + j]` (row-major, `K = classes.len()`) the number of samples of class
/// `i` predicted as `j`; the diagonal holds the right predictions.
///
/// Each cell is coloured by its share of its row (of the samples of its true class), from
/// white (0 %) to dark blue (100 %), so a rare class reads as clearly as a common one; a
/// scale on the right shows the shares. Up to 20 classes each cell also shows its count.
/// The axes are named "true class" and "predicted class", with the class names as ticks
/// (cut after 18 characters; with more than 25 classes only every few are named). The
/// title gives the overall accuracy (the diagonal's share of all samples) and the number
/// of samples.
///
/// A row without samples (a class absent from the data) is drawn grey. A matrix of zeros
/// (no samples at all) is not an error: it draws a grey grid of zero counts titled
/// "Confusion matrix: no samples", so a program reporting an empty evaluation still gets
/// its picture.
///
/// ```
/// // 10 setosa all right; 9 of 10 versicolor right, 1 taken for virginica; ...
/// let counts = [10, 0, 0, 0, 9, 1, 0, 2, 8];
/// let png = constnet::plot::confusion(&counts, &["setosa", "versicolor", "virginica"])?;
/// assert!(png.as_bytes().starts_with(b"\x89PNG"));
/// assert!(constnet::plot::confusion(&counts, &["a", "b"]).is_err());
/// # Ok::<(), constnet::plot::PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::Data`] with [`Error::InvalidParameter`] (`"classes"`) unless there are
/// from 2 to 100 classes, or [`Error::LengthMismatch`] if `counts` does not hold `K²`
/// values. [`PlotError::Draw`] if drawing fails.
pub fn confusion(counts: &[u64], classes: &[&str]) -> Result<Png, PlotError> {
    let k = classes.len();
    if !CLASSES.contains(&k) {
        return Err(Error::InvalidParameter {
            name: "classes",
            reason: "a confusion matrix is drawn for 2 to 100 classes",
        }
        .into());
    }
    if counts.len() != k * k {
        return Err(Error::LengthMismatch {
            what: "confusion counts (K² for K classes)",
            expected: k * k,
            found: counts.len(),
        }
        .into());
    }
    let matrix = Matrix::new(counts, classes);
    render(SIZE, |root| matrix.draw(root))
}

/// The checked matrix and what is derived from it.
struct Matrix<'a> {
    k: usize,
    counts: &'a [u64],
    /// Class names, cut to [`NAME_CHARS`].
    names: Vec<String>,
    /// Samples per true class.
    rows: Vec<u128>,
    total: u128,
    correct: u128,
}

impl<'a> Matrix<'a> {
    fn new(counts: &'a [u64], classes: &[&str]) -> Self {
        let k = classes.len();
        let rows: Vec<u128> = counts
            .chunks(k)
            .map(|row| row.iter().map(|&c| u128::from(c)).sum())
            .collect();
        let names = classes
            .iter()
            .map(|name| {
                if name.chars().count() > NAME_CHARS {
                    let cut: String = name.chars().take(NAME_CHARS - 1).collect();
                    format!("{cut}…")
                } else {
                    (*name).to_owned()
                }
            })
            .collect();
        Matrix {
            k,
            counts,
            names,
            total: rows.iter().sum(),
            correct: (0..k).map(|i| u128::from(counts[i * k + i])).sum(),
            rows,
        }
    }

    /// The share of row `i` in cell `(i, j)`, `None` for a row without samples.
    fn share(&self, i: usize, j: usize) -> Option<f64> {
        let row = self.rows[i];
        (row > 0).then(|| self.counts[i * self.k + j] as f64 / row as f64)
    }

    fn title(&self) -> String {
        if self.total == 0 {
            return "Confusion matrix: no samples".into();
        }
        let accuracy = 100.0 * self.correct as f64 / self.total as f64;
        let samples = if self.total == 1 { "sample" } else { "samples" };
        format!(
            "Confusion matrix (accuracy {accuracy:.1}%, {} {samples})",
            self.total
        )
    }

    fn draw(&self, root: &Area<'_>) -> Result<(), PlotError> {
        let k = self.k;
        let kf = k as f64;
        let body = root
            .margin(10, 0, 0, 0)
            .titled(&self.title(), (FONT, 26))
            .map_err(draw_err)?;
        let (matrix_area, _) = body.split_horizontally(SIZE.0 - SCALE_WIDTH);
        let tick_size = if k <= 10 {
            18
        } else if k <= COUNTED {
            15
        } else {
            13
        };
        let tick_font = (FONT, tick_size).into_font();
        let every = k.div_ceil(NAMED);
        let named: Vec<usize> = (0..k).step_by(every).collect();
        let widest = named
            .iter()
            .map(|&i| text_width(root, &self.names[i], &tick_font))
            .max()
            .unwrap_or(0);
        // Names on the left; on the bottom, across if they fit under a cell, else upright.
        let y_area = (widest + 50).clamp(80, 230);
        let cell_width = (SIZE.0 - SCALE_WIDTH - y_area - 30) / k as u32;
        let upright = widest + 6 > cell_width;
        let x_area = if upright {
            (widest + 50).clamp(70, 230)
        } else {
            tick_size + 50
        };
        let centres = |indices: &[usize], flip: bool| -> Vec<f64> {
            let at = |i: usize| {
                if flip {
                    kf - 0.5 - i as f64
                } else {
                    i as f64 + 0.5
                }
            };
            indices.iter().map(|&i| at(i)).collect()
        };
        let mut chart = ChartBuilder::on(&matrix_area)
            .margin(15)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(
                Ticked::new(0.0..kf, centres(&named, false)),
                Ticked::new(0.0..kf, centres(&named, true)),
            )
            .map_err(draw_err)?;
        // Row i (true class i) is drawn at the top for i = 0: y from k - 1 - i to k - i.
        let row_of = |y: f64| k - 1 - (y.floor() as usize).min(k - 1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            .x_desc("predicted class")
            .y_desc("true class")
            .axis_desc_style((FONT, 18))
            .label_style(tick_font.clone())
            // Drawn below, where the mesh would centre upright text on the tick.
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|y| self.names[row_of(*y)].clone())
            .axis_style(GREY)
            .draw()
            .map_err(draw_err)?;

        let cells = (0..k).flat_map(|i| (0..k).map(move |j| (i, j)));
        chart
            .draw_series(cells.clone().map(|(i, j)| {
                let colour = self.share(i, j).map_or(EMPTY_ROW, blues);
                let (x, y) = (j as f64, (k - 1 - i) as f64);
                Rectangle::new([(x, y), (x + 1.0, y + 1.0)], colour.filled())
            }))
            .map_err(draw_err)?;
        if k <= 40 {
            chart
                .draw_series(cells.clone().map(|(i, j)| {
                    let (x, y) = (j as f64, (k - 1 - i) as f64);
                    Rectangle::new([(x, y), (x + 1.0, y + 1.0)], GRID.stroke_width(1))
                }))
                .map_err(draw_err)?;
        }

        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let cell = (
            (xs.end - xs.start) / k as i32,
            (ys.end - ys.start) / k as i32,
        );
        if k <= COUNTED {
            for (i, j) in cells {
                let count = self.counts[i * k + j];
                let colour = match self.share(i, j) {
                    Some(s) if s > 0.5 => WHITE,
                    Some(_) => RGBColor(20, 20, 20),
                    None => RGBColor(130, 130, 130),
                };
                let (text, size) = fit_count(root, count, cell);
                let style = TextStyle::from((FONT, size).into_font())
                    .color(&colour)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let centre = chart.backend_coord(&(j as f64 + 0.5, (k - 1 - i) as f64 + 0.5));
                root.draw_text(&text, &style, centre).map_err(draw_err)?;
            }
        }

        // The predicted classes' names, under their columns: across, or upright (reading
        // upwards, ending at the axis) when they are wider than a column.
        let style = if upright {
            TextStyle::from(tick_font.transform(FontTransform::Rotate270))
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            TextStyle::from(tick_font).pos(Pos::new(HPos::Center, VPos::Top))
        };
        for &j in &named {
            let (x, _) = chart.backend_coord(&(j as f64 + 0.5, 0.0));
            root.draw_text(&self.names[j], &style.color(&BLACK), (x, ys.end + 10))
                .map_err(draw_err)?;
        }
        draw_scale(root, xs.end + 30, ys)
    }
}

/// The width in pixels of `text` in `font` (0 if it cannot be measured).
fn text_width(root: &Area<'_>, text: &str, font: &FontDesc<'_>) -> u32 {
    root.estimate_text_size(text, &TextStyle::from(font.clone()))
        .map_or(0, |(w, _)| w)
}

/// The count's text and font size for a cell of `cell` pixels: as large as the cell allows
/// up to 24 px, the count in full if it fits at 9 px or more, else in thousands (`12k`) or
/// millions (`3.4M`).
fn fit_count(root: &Area<'_>, count: u64, cell: (i32, i32)) -> (String, u32) {
    let largest = ((cell.1 as f64 * 0.45) as u32).clamp(8, 24);
    let room = (cell.0 - 6).max(4) as u32;
    let fits = |text: &str, size: u32| text_width(root, text, &(FONT, size).into_font()) <= room;
    let full = count.to_string();
    let short = compact(count);
    for size in (8..=largest).rev() {
        if fits(&full, size) && (size >= 9 || size == largest) {
            return (full, size);
        }
        if fits(&short, size) {
            return (short, size);
        }
    }
    (short, 8)
}

/// `1234` as `1.2k`, `56789` as `57k`, `3456789` as `3.5M`…
fn compact(n: u64) -> String {
    let n = n as f64;
    let (value, unit) = match n {
        _ if n < 1e3 => return format!("{n}"),
        _ if n < 1e6 => (n / 1e3, "k"),
        _ if n < 1e9 => (n / 1e6, "M"),
        _ if n < 1e12 => (n / 1e9, "G"),
        _ => (n / 1e12, "T"),
    };
    if value < 9.95 {
        format!("{value:.1}{unit}")
    } else {
        format!("{value:.0}{unit}")
    }
}

/// Matplotlib's "Blues" colour map at `t` in [0, 1]: near-white to dark blue.
fn blues(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (247.0, 251.0, 255.0),
        (198.0, 219.0, 239.0),
        (107.0, 174.0, 214.0),
        (33.0, 113.0, 181.0),
        (8.0, 48.0, 107.0),
    ];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + f * (y - x)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The colour scale, 0 to 100 % of the true class, at `x` pixels and the matrix's height.
fn draw_scale(root: &Area<'_>, x: i32, ys: std::ops::Range<i32>) -> Result<(), PlotError> {
    const WIDTH: i32 = 18;
    let height = ys.end - ys.start;
    for p in 0..height {
        let colour = blues(1.0 - f64::from(p) / f64::from(height - 1).max(1.0));
        let y = ys.start + p;
        root.draw(&Rectangle::new(
            [(x, y), (x + WIDTH, y + 1)],
            colour.filled(),
        ))
        .map_err(draw_err)?;
    }
    root.draw(&Rectangle::new(
        [(x, ys.start), (x + WIDTH, ys.end)],
        GREY.stroke_width(1),
    ))
    .map_err(draw_err)?;
    let label = TextStyle::from((FONT, 18).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for q in 0..=4 {
        let y = ys.end - 1 - q * (height - 1) / 4;
        root.draw(&PathElement::new(
            [(x + WIDTH, y), (x + WIDTH + 4, y)],
            GREY,
        ))
        .map_err(draw_err)?;
        root.draw_text(&format!("{}%", 25 * q), &label, (x + WIDTH + 7, y))
            .map_err(draw_err)?;
    }
    let caption = TextStyle::from((FONT, 20).into_font().transform(FontTransform::Rotate270))
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw_text(
        "share of the true class",
        &caption,
        (x + WIDTH + 54, (ys.start + ys.end) / 2),
    )
    .map_err(draw_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_shorten_by_thousands() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1234, "1.2k"),
            (56_789, "57k"),
            (3_456_789, "3.5M"),
            (u64::MAX, "18446744T"),
        ];
        for (n, s) in cases {
            assert_eq!(compact(n), s, "{n}");
        }
    }

    #[test]
    fn blues_runs_from_near_white_to_dark_blue() {
        assert_eq!(blues(0.0), RGBColor(247, 251, 255));
        assert_eq!(blues(1.0), RGBColor(8, 48, 107));
        assert_eq!(blues(0.5), RGBColor(107, 174, 214));
    }
}
