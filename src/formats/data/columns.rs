//! Reading a [`Dataset`] from chosen columns of a CSV file with a header, by name.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use nalgebra::{Const, Dyn, OMatrix};

use super::Dataset;
use super::csv::{Lines, hint, parse_field};
use super::{CsvError, CsvFields};
use crate::{Error, Real};

impl<T: Real, const IN: usize, const OUT: usize> Dataset<T, IN, OUT> {
    /// Reads the columns named `inputs` (into `x`, in that order) and `targets` (into `y`)
    /// from CSV text whose first non-blank line is a header naming every column.
    ///
    /// The columns may stand in any order in the file; columns not named are ignored (they
    /// may hold text). Header names and fields are trimmed and compared exactly (case
    /// matters). The text is read one line at a time, with the rules and limits of
    /// [`from_csv_reader`](Self::from_csv_reader): blank lines, `\r\n` and a byte-order
    /// mark are accepted, no quoting, lines of at most 64 KiB.
    ///
    /// ```
    /// use constnet::data::{CsvError, Dataset};
    ///
    /// let text = "id,nox,compression,equivalence\nA,3.7,12,0.9\nB,2.3,12,0.76\n";
    /// let data =
    ///     Dataset::<f32, 2, 1>::from_csv_columns_reader(text.as_bytes(), ["compression", "equivalence"], ["nox"])?;
    /// assert_eq!(data.x().as_slice(), &[12.0, 0.9, 12.0, 0.76]); // one sample per column
    /// assert_eq!(data.y().as_slice(), &[3.7, 2.3]);
    ///
    /// let err = Dataset::<f32, 1, 1>::from_csv_columns_reader(text.as_bytes(), ["ratio"], ["nox"]);
    /// assert!(matches!(err, Err(CsvError::Line { line: 1, column: 0, .. })));
    /// # Ok::<(), CsvError>(())
    /// ```
    ///
    /// # Errors
    /// [`CsvError::Line`] with the 1-based line and column (the column's number in the file;
    /// 0 for the line as a whole), its message naming the column:
    /// - the header: a name not in it (the message lists the header's names), a name found
    ///   twice in it, or a first line of numbers only (no header);
    /// - a row with another number of fields than the header;
    /// - in a chosen column: an empty or non-numeric field, a NaN or infinite value, a
    ///   value that overflows `T`;
    /// - a line that is not UTF-8 or longer than 64 KiB.
    ///
    /// [`CsvError::Data`] ([`Error::InvalidParameter`]) if a name is asked for twice or is empty;
    /// [`CsvError::Data`] ([`Error::EmptyData`]) if there is no header or no data row; [`CsvError::Io`] (with the
    /// path `<reader>`) if reading fails.
    pub fn from_csv_columns_reader(
        reader: impl BufRead,
        inputs: [&str; IN],
        targets: [&str; OUT],
    ) -> Result<Self, CsvError> {
        parse_columns(reader, None, &inputs, &targets)
    }

    /// Reads chosen columns of a CSV file by name, as
    /// [`from_csv_columns_reader`](Self::from_csv_columns_reader).
    ///
    /// ```
    /// use constnet::data::Dataset;
    ///
    /// // Doc tests run in the crate's root folder.
    /// let ethanol = Dataset::<f32, 2, 1>::from_csv_columns_path(
    ///     "data/ethanol.csv",
    ///     ["compression", "equivalence"],
    ///     ["nox"],
    /// )?;
    /// assert_eq!(ethanol.len(), 88);
    /// # Ok::<(), constnet::data::CsvError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_csv_columns_reader`](Self::from_csv_columns_reader); [`CsvError::Io`] and
    /// [`CsvError::Line`] name `path`.
    pub fn from_csv_columns_path(
        path: impl AsRef<Path>,
        inputs: [&str; IN],
        targets: [&str; OUT],
    ) -> Result<Self, CsvError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| CsvError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        parse_columns(BufReader::new(file), Some(path), &inputs, &targets)
    }
}

/// `names` as a readable list: `` `a`, `b`, `c` ``.
fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.escape_debug()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_columns<T: Real, const IN: usize, const OUT: usize>(
    reader: impl BufRead,
    path: Option<&Path>,
    inputs: &[&str],
    targets: &[&str],
) -> Result<Dataset<T, IN, OUT>, CsvError> {
    super::check_widths::<IN, OUT>()?;
    let wanted: Vec<&str> = inputs.iter().chain(targets).copied().collect();
    let (mut xs, mut ys) = (Vec::<T>::new(), Vec::<T>::new());
    let mut row = vec![T::cast(0.0); wanted.len()];
    read_columns(reader, path, &wanted, |_, fields| {
        for (k, name) in wanted.iter().enumerate() {
            row[k] = parse_field::<T>(fields.get(k))
                .map_err(|m| format!("column `{}`: {m}", name.trim().escape_debug()))?;
        }
        xs.extend_from_slice(&row[..IN]);
        ys.extend_from_slice(&row[IN..]);
        Ok(())
    })?;
    Ok(Dataset::new(
        OMatrix::<T, Const<IN>, Dyn>::from_vec(xs),
        OMatrix::<T, Const<OUT>, Dyn>::from_vec(ys),
    )?)
}

/// The names of a CSV file's columns: its first non-blank line, split at commas and
/// trimmed, read with the rules of [`Dataset::from_csv_columns_reader`].
///
/// ```
/// let names = constnet::data::csv_header("data/ethanol.csv")?;
/// assert_eq!(names, ["compression", "equivalence", "nox"]);
/// # Ok::<(), constnet::data::CsvError>(())
/// ```
///
/// # Errors
/// [`CsvError::Io`] naming `path`; [`CsvError::Line`] if the first line is numbers only
/// (no header), not UTF-8 or too long; [`CsvError::Data`] ([`Error::EmptyData`]) if the
/// file has no non-blank line.
pub fn csv_header(path: impl AsRef<Path>) -> Result<Vec<String>, CsvError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut lines = Lines::new(BufReader::new(file), Some(path));
    let (line, header) = lines.next_line()?.ok_or(Error::EmptyData)?;
    header_names(header).map_err(|message| lines.error(line, 0, message))
}

/// The header's names, or the message for a first line of numbers only.
fn header_names(header: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = header.split(',').map(|f| f.trim().to_owned()).collect();
    if names.iter().all(|f| f.parse::<f64>().is_ok()) {
        return Err(format!(
            "expected a header naming the columns, found numbers{}",
            hint(header)
        ));
    }
    Ok(names)
}

/// Reads a CSV with a header, calling `row(line, fields)` with the (trimmed) fields of the
/// `wanted` columns, in that order, for every data row; a message `row` returns becomes a
/// [`CsvError::Line`] at that line (column 0). Names are trimmed and must be distinct and
/// non-empty; every row must have the header's number of fields. One line in memory at a
/// time.
///
/// Forwards to [`read_columns_dyn`], compiled once instead of once per network width and
/// closure type.
pub(super) fn read_columns(
    mut reader: impl BufRead,
    path: Option<&Path>,
    wanted: &[&str],
    mut row: impl FnMut(usize, Fields<'_>) -> Result<(), String>,
) -> Result<(), CsvError> {
    read_columns_dyn(&mut reader, path, wanted, &mut row)
}

/// [`read_columns`], compiled once.
fn read_columns_dyn(
    reader: &mut dyn BufRead,
    path: Option<&Path>,
    wanted: &[&str],
    row: &mut dyn FnMut(usize, Fields<'_>) -> Result<(), String>,
) -> Result<(), CsvError> {
    // Trimmed as the header's names are, so " nox" finds `nox`.
    let wanted: Vec<&str> = wanted.iter().map(|s| s.trim()).collect();
    for (i, name) in wanted.iter().enumerate() {
        if name.is_empty() {
            return Err(Error::InvalidParameter {
                name: "CSV column names",
                reason: "a column name is empty",
            }
            .into());
        }
        if wanted[..i].contains(name) {
            return Err(Error::InvalidParameter {
                name: "CSV column names",
                reason: "a column is asked for twice",
            }
            .into());
        }
    }
    let mut lines = Lines::new(reader, path);
    let Some((header_line, header)) = lines.next_line()? else {
        return Err(Error::EmptyData.into());
    };
    let header_hint = hint(header);
    let names = header_names(header).map_err(|message| lines.error(header_line, 0, message))?;
    let width = names.len();
    // The file column (0-based) of every wanted name, in the order asked for.
    let mut at = Vec::with_capacity(wanted.len());
    for name in &wanted {
        let mut found = names.iter().enumerate().filter(|(_, n)| n == name);
        match (found.next(), found.next()) {
            (Some((j, _)), None) => at.push(j),
            (None, _) => {
                let all: Vec<&str> = names.iter().map(String::as_str).collect();
                let message = format!(
                    "no column `{}` in the header; its columns: {}{header_hint}",
                    name.escape_debug(),
                    list(&all),
                );
                return Err(lines.error(header_line, 0, message));
            }
            (Some((first, _)), Some((second, _))) => {
                let message = format!(
                    "column `{}` is named twice in the header (columns {} and {})",
                    name.escape_debug(),
                    first + 1,
                    second + 1
                );
                return Err(lines.error(header_line, second + 1, message));
            }
        }
    }
    // For every file column, its slot among the wanted names, if any.
    let mut slot = vec![None; width];
    for (k, &j) in at.iter().enumerate() {
        slot[j] = Some(k);
    }
    let mut rows = 0usize;
    let mut spans = vec![0..0; wanted.len()];
    while let Some((line, text)) = lines.next_line()? {
        // One pass over the fields, no allocation per line; the field count is checked
        // first, so a short row is reported as that rather than as a bad value.
        let mut count = 0;
        let mut start = 0;
        for (j, field) in text.split(',').enumerate() {
            count += 1;
            if let Some(Some(k)) = slot.get(j) {
                spans[*k] = start..start + field.len();
            }
            start += field.len() + 1;
        }
        if count != width {
            let message = format!(
                "expected {width} comma-separated fields as in the header, found {count}{}",
                hint(text)
            );
            let counts = CsvFields {
                found: count,
                expected: width,
                first_line: false,
            };
            return Err(lines.fields_error(line, counts, message));
        }
        if let Err(message) = row(
            line,
            Fields {
                text,
                spans: &spans,
            },
        ) {
            // The column of the first wanted field the message names, else the line.
            let column = wanted
                .iter()
                .position(|n| message.starts_with(&format!("column `{}`", n.escape_debug())))
                .map_or(0, |k| at[k] + 1);
            let message = format!("{message}{}", hint(text));
            return Err(lines.error(line, column, message));
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(Error::EmptyData.into());
    }
    Ok(())
}

/// The wanted fields of one row, by their index among the wanted names, trimmed.
#[derive(Clone, Copy)]
pub(super) struct Fields<'a> {
    text: &'a str,
    spans: &'a [core::ops::Range<usize>],
}

impl<'a> Fields<'a> {
    /// Field `k` (in the order the columns were asked for), trimmed.
    pub(super) fn get(&self, k: usize) -> &'a str {
        self.text[self.spans[k].clone()].trim()
    }
}
