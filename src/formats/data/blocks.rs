//! Chosen CSV columns in blocks of rows: inference on a file of any length in bounded
//! memory.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use nalgebra::{Const, Dyn, OMatrix};

use super::CsvError;
use super::columns::read_columns;
use super::csv::parse_field;
use crate::{Error, Real};

/// Reads the columns named `inputs` of a CSV file with a header, `block` rows at a time,
/// and hands each block (`IN × rows`, one sample per column, in file order) to `each`;
/// returns the number of rows read.
///
/// Memory is one block and one line, whatever the file's length: this is how a saved
/// model predicts a file of millions of rows. The rules, limits and errors are those of
/// [`Dataset::from_csv_columns_reader`](super::Dataset::from_csv_columns_reader) (a bad
/// field is named by line and column, other columns are ignored). Every row of a block is
/// checked before `each` sees it, so `each` may write results as it goes; the last block
/// may be shorter.
///
/// ```
/// use constnet::data::csv_blocks;
///
/// let text = "a,b,label\n1,2,x\n3,4,y\n5,6,z\n";
/// let mut sums = Vec::new();
/// let rows = csv_blocks::<f32, 2>(text.as_bytes(), None, ["b", "a"], 2, |x| {
///     sums.extend(x.column_iter().map(|c| c.sum()));
///     Ok(())
/// })?;
/// assert_eq!((rows, sums), (3, vec![3.0, 7.0, 11.0]));
/// # Ok::<(), constnet::data::CsvError>(())
/// ```
///
/// # Errors
/// As [`Dataset::from_csv_columns_reader`](super::Dataset::from_csv_columns_reader)
/// (errors name `path` when given); [`CsvError::Data`]
/// ([`Error::InvalidParameter`]) if `block` is 0; whatever `each` returns, which ends the
/// reading.
pub fn csv_blocks<T: Real, const IN: usize>(
    mut reader: impl BufRead,
    path: Option<&Path>,
    inputs: [&str; IN],
    block: usize,
    mut each: impl FnMut(&OMatrix<T, Const<IN>, Dyn>) -> Result<(), CsvError>,
) -> Result<usize, CsvError> {
    if block == 0 {
        return Err(Error::InvalidParameter {
            name: "block",
            reason: "must be at least 1 row",
        }
        .into());
    }
    super::check_widths::<IN, 1>()?;
    let mut each = |values: &[T]| each(&OMatrix::<T, Const<IN>, Dyn>::from_column_slice(values));
    blocks_of(&mut reader, path, &inputs, block, &mut each)
}

/// [`csv_blocks_path`] for a number of columns known only at run time: each block is
/// handed over as its column-major values (`inputs.len()` per row). One copy of the
/// reading code serves every width, which is what a program built for many widths wants.
///
/// ```
/// use constnet::data::{CsvError, csv_blocks_dyn};
///
/// let mut sums = Vec::new();
/// let rows = csv_blocks_dyn("data/ethanol.csv", &["compression", "equivalence"], 32, &mut |x: &[f32]| {
///     sums.extend(x.chunks_exact(2).map(|row| row[0] + row[1]));
///     Ok::<(), CsvError>(())
/// })?;
/// assert_eq!((rows, sums.len()), (88, 88));
/// # Ok::<(), CsvError>(())
/// ```
///
/// # Errors
/// [`CsvError::Data`] ([`Error::InvalidParameter`]) if `block` is 0 or `inputs` is empty,
/// checked before the file is opened; then as [`csv_blocks_path`].
pub fn csv_blocks_dyn<T: Real>(
    path: impl AsRef<Path>,
    inputs: &[&str],
    block: usize,
    each: &mut dyn FnMut(&[T]) -> Result<(), CsvError>,
) -> Result<usize, CsvError> {
    if block == 0 || inputs.is_empty() {
        return Err(Error::InvalidParameter {
            name: if block == 0 { "block" } else { "inputs" },
            reason: if block == 0 {
                "must be at least 1 row"
            } else {
                "name at least 1 column"
            },
        }
        .into());
    }
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    blocks_of(&mut BufReader::new(file), Some(path), inputs, block, each)
}

/// [`csv_blocks`] with each block as its column-major values: compiled once per scalar
/// type, not once per input width and closure.
fn blocks_of<T: Real>(
    reader: &mut dyn BufRead,
    path: Option<&Path>,
    inputs: &[&str],
    block: usize,
    each: &mut dyn FnMut(&[T]) -> Result<(), CsvError>,
) -> Result<usize, CsvError> {
    let width = inputs.len();
    let mut values: Vec<T> = Vec::with_capacity(block * width);
    let mut rows = 0usize;
    // An error of `each` cannot pass through the row reader's messages: it waits here.
    let mut failed: Option<CsvError> = None;
    let mut flush = |values: &mut Vec<T>, failed: &mut Option<CsvError>| {
        let result = each(values);
        values.clear();
        result.map_err(|e| *failed = Some(e))
    };
    let read = read_columns(reader, path, inputs, |_, fields| {
        for (k, name) in inputs.iter().enumerate() {
            let v = parse_field::<T>(fields.get(k))
                .map_err(|m| format!("column `{}`: {m}", name.trim().escape_debug()))?;
            values.push(v);
        }
        rows += 1;
        if values.len() == block * width {
            flush(&mut values, &mut failed).map_err(|()| String::from("stopped"))?;
        }
        Ok(())
    });
    if let Some(e) = failed {
        return Err(e);
    }
    read?;
    if !values.is_empty() {
        flush(&mut values, &mut failed).map_err(|()| failed.take().expect("set on error"))?;
    }
    Ok(rows)
}

/// [`csv_blocks`] of a file.
///
/// ```
/// use constnet::data::csv_blocks_path;
///
/// // Doc tests run in the crate's root folder.
/// let mut seen = 0;
/// let rows = csv_blocks_path::<f32, 2>("data/ethanol.csv", ["compression", "equivalence"], 32, |x| {
///     seen += x.ncols();
///     Ok(())
/// })?;
/// assert_eq!((rows, seen), (88, 88));
/// # Ok::<(), constnet::data::CsvError>(())
/// ```
///
/// # Errors
/// As [`csv_blocks`]; [`CsvError::Io`] naming `path` if it cannot be opened.
pub fn csv_blocks_path<T: Real, const IN: usize>(
    path: impl AsRef<Path>,
    inputs: [&str; IN],
    block: usize,
    each: impl FnMut(&OMatrix<T, Const<IN>, Dyn>) -> Result<(), CsvError>,
) -> Result<usize, CsvError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    csv_blocks(BufReader::new(file), Some(path), inputs, block, each)
}
