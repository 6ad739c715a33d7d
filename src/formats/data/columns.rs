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
    /// # Ok::<(), CsvError>(())
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
    // Trimmed as the header's names are, so " nox" finds `nox`.
    let wanted: Vec<&str> = inputs.iter().chain(targets).map(|s| s.trim()).collect();
    for (i, name) in wanted.iter().enumerate() {
        if name.trim().is_empty() {
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
    let names: Vec<String> = header.split(',').map(|f| f.trim().to_owned()).collect();
    if names.iter().all(|f| f.parse::<f64>().is_ok()) {
        let message = format!(
            "expected a header naming the columns, found numbers{}",
            hint(header)
        );
        return Err(lines.error(header_line, 0, message));
    }
    let width = names.len();
    // The file column (0-based) of every wanted name, inputs first.
    let mut at = Vec::with_capacity(wanted.len());
    for name in &wanted {
        let mut found = names.iter().enumerate().filter(|(_, n)| n == name);
        match (found.next(), found.next()) {
            (Some((j, _)), None) => at.push(j),
            (None, _) => {
                let all: Vec<&str> = names.iter().map(String::as_str).collect();
                let message = format!(
                    "no column `{}` in the header; its columns: {}{}",
                    name.escape_debug(),
                    list(&all),
                    hint(header)
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
    // For every file column, its slot among the wanted names (inputs first), if any.
    let mut slot = vec![None; width];
    for (k, &j) in at.iter().enumerate() {
        slot[j] = Some(k);
    }
    let (mut xs, mut ys) = (Vec::<T>::new(), Vec::<T>::new());
    let mut row = vec![T::cast(0.0); wanted.len()];
    while let Some((line, text)) = lines.next_line()? {
        // One pass over the fields, no allocation per line; the field count is checked
        // first, so a short row is reported as that rather than as a bad value.
        let mut count = 0;
        let mut bad = None;
        for (j, field) in text.split(',').enumerate() {
            count += 1;
            if let Some(Some(k)) = slot.get(j) {
                match parse_field::<T>(field.trim()) {
                    Ok(value) => row[*k] = value,
                    Err(m) if bad.is_none() => {
                        let name = wanted[*k].escape_debug();
                        bad = Some((j + 1, format!("column `{name}`: {m}{}", hint(text))));
                    }
                    Err(_) => {}
                }
            }
        }
        let (column, message) = if count != width {
            let message = format!(
                "expected {width} comma-separated fields as in the header, found {count}{}",
                hint(text)
            );
            let fields = CsvFields {
                found: count,
                expected: width,
                first_line: false,
            };
            return Err(lines.fields_error(line, fields, message));
        } else if let Some(bad) = bad {
            bad
        } else {
            xs.extend_from_slice(&row[..IN]);
            ys.extend_from_slice(&row[IN..]);
            continue;
        };
        return Err(lines.error(line, column, message));
    }
    if xs.is_empty() {
        return Err(Error::EmptyData.into());
    }
    Ok(Dataset::new(
        OMatrix::<T, Const<IN>, Dyn>::from_vec(xs),
        OMatrix::<T, Const<OUT>, Dyn>::from_vec(ys),
    )?)
}
