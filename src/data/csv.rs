//! Reading a [`Dataset`] from plain numeric CSV.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use nalgebra::{Const, Dyn, OMatrix};

use super::Dataset;
use crate::{Error, Real, Result};

impl<T: Real, const IN: usize, const OUT: usize> Dataset<T, IN, OUT> {
    /// Reads a data set from CSV text.
    ///
    /// The format: `IN + OUT` comma-separated numbers per line, inputs first, then targets
    /// (for the cubic data, `x,y`). Surrounding whitespace, blank lines, `\r\n` line ends
    /// and a UTF-8 byte-order mark are accepted. The first non-blank line may be a header: it
    /// is one when none of its fields is a number, and it must have `IN + OUT` fields too. A
    /// first line that mixes numbers and other text is an error, not a header, so a typo in the first
    /// data row is reported instead of silently dropping that row. No quoting, no
    /// comments, no missing values.
    ///
    /// ```
    /// use constnet::{data::Dataset, Error};
    ///
    /// let text = "x,y\n-1.0,-1.0\n\n 0.5 , 0.125\n";
    /// let data = Dataset::<f32, 1, 1>::from_csv_reader(text.as_bytes())?;
    /// assert_eq!(data.x().as_slice(), &[-1.0, 0.5]);
    /// assert_eq!(data.y().as_slice(), &[-1.0, 0.125]);
    ///
    /// let err = Dataset::<f32, 1, 1>::from_csv_reader("x,y\n1,2\n3,oops\n".as_bytes());
    /// assert!(matches!(err, Err(Error::Csv { line: 3, column: 2, .. })));
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::Csv`] with the 1-based line and column (column 0 for the line as a whole)
    ///   for a line with the wrong number of fields, an empty or non-numeric field, a NaN
    ///   or infinite value, a value that overflows `T`, or a line that is not UTF-8. Its
    ///   `path` is `None` here, and its message names the likely cause when the line looks
    ///   separated by semicolons or tabs, is a `#` comment, or holds a carriage return
    ///   (CR-only line ends); also for a line longer than 64 KiB (so a file without line
    ///   breaks is not read into memory whole);
    /// - [`Error::EmptyData`] if there are no data rows;
    /// - [`Error::Io`] (with the path `<reader>`) if reading fails.
    pub fn from_csv_reader(reader: impl BufRead) -> Result<Self> {
        parse(reader, None)
    }

    /// Reads a data set from a CSV file, in the format of
    /// [`from_csv_reader`](Self::from_csv_reader).
    ///
    /// ```
    /// use constnet::{data::Dataset, Error};
    /// let missing = Dataset::<f64, 1, 1>::from_csv_path("no/such/file.csv");
    /// assert!(matches!(missing, Err(Error::Io { .. })));
    /// ```
    ///
    /// # Errors
    /// As [`from_csv_reader`](Self::from_csv_reader); [`Error::Io`] and [`Error::Csv`] name
    /// `path`.
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        parse(BufReader::new(file), Some(path))
    }
}

/// The longest line read, in bytes: far more than any row of numbers needs.
const MAX_LINE: usize = 1 << 16;

/// The likely cause of a line that does not split into the expected fields: another
/// separator, a comment, or line ends this reader does not split on.
fn hint(text: &str) -> &'static str {
    if text.contains('\r') {
        "; the line holds a carriage return: CR-only line ends? (use \\n or \\r\\n)"
    } else if text.starts_with('#') {
        "; comments (`#`) are not supported"
    } else if text.contains(';') && !text.contains(',') {
        "; the values look separated by semicolons: use commas"
    } else if text.contains('\t') && !text.contains(',') {
        "; the values look separated by tabs: use commas"
    } else {
        ""
    }
}

fn parse<T: Real, const IN: usize, const OUT: usize>(
    mut reader: impl BufRead,
    path: Option<&Path>,
) -> Result<Dataset<T, IN, OUT>> {
    let csv_err = |line, column, message| Error::Csv {
        path: path.map(Path::to_path_buf),
        line,
        column,
        message,
    };
    super::check_widths::<IN, OUT>()?;
    let width = IN + OUT;
    let (mut xs, mut ys) = (Vec::<T>::new(), Vec::<T>::new());
    let mut buf = Vec::new();
    let mut line = 0;
    // Only the first non-blank line may be a header.
    let mut first_content = true;
    loop {
        buf.clear();
        // At most one byte past the limit: a file without line breaks (`/dev/zero`) is
        // an error after 64 KiB, not a read until memory runs out.
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| Error::Io {
                path: path.unwrap_or(Path::new("<reader>")).to_path_buf(),
                source,
            })?;
        if read == 0 {
            break;
        }
        line += 1;
        if buf.len() > MAX_LINE {
            return Err(csv_err(
                line,
                0,
                format!("line is longer than {MAX_LINE} bytes (is this a CSV file?)"),
            ));
        }
        let text = std::str::from_utf8(&buf)
            .map_err(|_| csv_err(line, 0, "line is not valid UTF-8".into()))?;
        let text = if line == 1 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let may_be_header = std::mem::replace(&mut first_content, false);
        if may_be_header && fields.iter().all(|f| f.parse::<f64>().is_err()) {
            if fields.len() != width {
                return Err(csv_err(
                    line,
                    0,
                    format!(
                        "header has {} fields, expected {width}{}",
                        fields.len(),
                        hint(text)
                    ),
                ));
            }
            continue;
        }
        if fields.len() != width {
            return Err(csv_err(
                line,
                0,
                format!(
                    "expected {width} comma-separated fields, found {}{}",
                    fields.len(),
                    hint(text)
                ),
            ));
        }
        for (j, field) in fields.iter().enumerate() {
            let value = parse_field::<T>(field)
                .map_err(|m| csv_err(line, j + 1, format!("{m}{}", hint(text))))?;
            if j < IN { &mut xs } else { &mut ys }.push(value);
        }
    }
    if xs.is_empty() {
        return Err(Error::EmptyData);
    }
    Dataset::new(
        OMatrix::<T, Const<IN>, Dyn>::from_vec(xs),
        OMatrix::<T, Const<OUT>, Dyn>::from_vec(ys),
    )
}

fn parse_field<T: Real>(field: &str) -> core::result::Result<T, String> {
    if field.is_empty() {
        return Err("empty field".into());
    }
    let v: f64 = field
        .parse()
        .map_err(|_| format!("`{}` is not a number", field.escape_debug()))?;
    if !v.is_finite() {
        return Err(format!("`{}` is not finite", field.escape_debug()));
    }
    let t = T::cast(v);
    if !t.finite() {
        return Err(format!("`{}` overflows {}", field.escape_debug(), T::NAME));
    }
    Ok(t)
}
