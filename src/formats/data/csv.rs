//! Reading a [`Dataset`] from plain numeric CSV.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use nalgebra::{Const, Dyn, OMatrix};

use super::Dataset;
use super::{CsvError, CsvFields};
use crate::{Error, Real};

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
    /// use constnet::data::{CsvError, Dataset};
    ///
    /// let text = "x,y\n-1.0,-1.0\n\n 0.5 , 0.125\n";
    /// let data = Dataset::<f32, 1, 1>::from_csv_reader(text.as_bytes())?;
    /// assert_eq!(data.x().as_slice(), &[-1.0, 0.5]);
    /// assert_eq!(data.y().as_slice(), &[-1.0, 0.125]);
    ///
    /// let err = Dataset::<f32, 1, 1>::from_csv_reader("x,y\n1,2\n3,oops\n".as_bytes());
    /// assert!(matches!(err, Err(CsvError::Line { line: 3, column: 2, .. })));
    /// # Ok::<(), CsvError>(())
    /// ```
    ///
    /// # Errors
    /// - [`CsvError::Line`] with the 1-based line and column (column 0 for the line as a whole)
    ///   for a line with the wrong number of fields, an empty or non-numeric field, a NaN
    ///   or infinite value, a value that overflows `T`, or a line that is not UTF-8. Its
    ///   `path` is `None` here, and its message names the likely cause when the line looks
    ///   separated by semicolons or tabs, is a `#` comment, or holds a carriage return
    ///   (CR-only line ends); also for a line longer than 64 KiB (so a file without line
    ///   breaks is not read into memory whole);
    /// - [`CsvError::Data`] ([`Error::EmptyData`]) if there are no data rows;
    /// - [`CsvError::Io`] (with the path `<reader>`) if reading fails.
    pub fn from_csv_reader(reader: impl BufRead) -> Result<Self, CsvError> {
        parse(reader, None)
    }

    /// Reads a data set from a CSV file, in the format of
    /// [`from_csv_reader`](Self::from_csv_reader).
    ///
    /// ```
    /// use constnet::data::{CsvError, Dataset};
    /// let missing = Dataset::<f64, 1, 1>::from_csv_path("no/such/file.csv");
    /// assert!(matches!(missing, Err(CsvError::Io { .. })));
    /// ```
    ///
    /// # Errors
    /// As [`from_csv_reader`](Self::from_csv_reader); [`CsvError::Io`] and [`CsvError::Line`] name
    /// `path`.
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self, CsvError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| CsvError::Io {
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
pub(super) fn hint(text: &str) -> &'static str {
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

/// A streaming reader of non-blank lines, trimmed, with their 1-based line numbers: one
/// line in memory at a time, at most [`MAX_LINE`] bytes.
pub(super) struct Lines<'p, R> {
    reader: R,
    path: Option<&'p Path>,
    buf: Vec<u8>,
    line: usize,
}

impl<'p, R: BufRead> Lines<'p, R> {
    pub(super) fn new(reader: R, path: Option<&'p Path>) -> Self {
        Lines {
            reader,
            path,
            buf: Vec::new(),
            line: 0,
        }
    }

    /// A CSV error located in this reader's file.
    pub(super) fn error(&self, line: usize, column: usize, message: String) -> CsvError {
        self.located(line, column, message, None)
    }

    /// A line-wide CSV error for a line with the wrong number of fields.
    pub(super) fn fields_error(&self, line: usize, fields: CsvFields, message: String) -> CsvError {
        self.located(line, 0, message, Some(fields))
    }

    fn located(
        &self,
        line: usize,
        column: usize,
        message: String,
        fields: Option<CsvFields>,
    ) -> CsvError {
        CsvError::Line {
            path: self.path.map(Path::to_path_buf),
            line,
            column,
            message,
            fields,
        }
    }

    /// The next non-blank line as `(line number, trimmed text)`, without a leading UTF-8
    /// byte-order mark on line 1; `None` at the end.
    pub(super) fn next_line(&mut self) -> Result<Option<(usize, &str)>, CsvError> {
        loop {
            self.buf.clear();
            // At most one byte past the limit: a file without line breaks (`/dev/zero`) is
            // an error after 64 KiB, not a read until memory runs out.
            let read = (&mut self.reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| CsvError::Io {
                    path: self.path.unwrap_or(Path::new("<reader>")).to_path_buf(),
                    source,
                })?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            let line = self.line;
            if self.buf.len() > MAX_LINE {
                return Err(self.error(
                    line,
                    0,
                    format!("line is longer than {MAX_LINE} bytes (is this a CSV file?)"),
                ));
            }
            match decode(&self.buf, line) {
                None => return Err(self.error(line, 0, "line is not valid UTF-8".into())),
                Some("") => continue,
                Some(_) => break,
            }
        }
        let text = decode(&self.buf, self.line).unwrap_or_default();
        Ok(Some((self.line, text)))
    }
}

/// A line's text, trimmed, without a byte-order mark on line 1; `None` if not UTF-8.
fn decode(buf: &[u8], line: usize) -> Option<&str> {
    let text = std::str::from_utf8(buf).ok()?;
    let text = if line == 1 {
        text.strip_prefix('\u{feff}').unwrap_or(text)
    } else {
        text
    };
    Some(text.trim())
}

fn parse<T: Real, const IN: usize, const OUT: usize>(
    reader: impl BufRead,
    path: Option<&Path>,
) -> Result<Dataset<T, IN, OUT>, CsvError> {
    super::check_widths::<IN, OUT>()?;
    let width = IN + OUT;
    let (mut xs, mut ys) = (Vec::<T>::new(), Vec::<T>::new());
    let mut lines = Lines::new(reader, path);
    // Only the first non-blank line may be a header.
    let mut first_content = true;
    while let Some((line, text)) = lines.next_line()? {
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let may_be_header = std::mem::replace(&mut first_content, false);
        let count = CsvFields {
            found: fields.len(),
            expected: width,
            first_line: may_be_header,
        };
        let message = if may_be_header && fields.iter().all(|f| f.parse::<f64>().is_err()) {
            if fields.len() == width {
                continue;
            }
            format!(
                "header has {} fields, expected {width}{}",
                fields.len(),
                hint(text)
            )
        } else if fields.len() != width {
            format!(
                "expected {width} comma-separated fields, found {}{}",
                fields.len(),
                hint(text)
            )
        } else {
            let mut bad = None;
            for (j, field) in fields.iter().enumerate() {
                match parse_field::<T>(field) {
                    Ok(value) => if j < IN { &mut xs } else { &mut ys }.push(value),
                    Err(m) => {
                        bad = Some((j + 1, format!("{m}{}", hint(text))));
                        break;
                    }
                }
            }
            match bad {
                None => continue,
                Some((column, message)) => {
                    drop(fields);
                    return Err(lines.error(line, column, message));
                }
            }
        };
        drop(fields);
        return Err(lines.fields_error(line, count, message));
    }
    if xs.is_empty() {
        return Err(Error::EmptyData.into());
    }
    Ok(Dataset::new(
        OMatrix::<T, Const<IN>, Dyn>::from_vec(xs),
        OMatrix::<T, Const<OUT>, Dyn>::from_vec(ys),
    )?)
}

pub(super) fn parse_field<T: Real>(field: &str) -> core::result::Result<T, String> {
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
