//! Reading a classifier's data set ([`Labeled`]) from a CSV file: input columns and a label
//! column, by name.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use nalgebra::{Const, Dyn, OMatrix};

use super::columns::read_columns;
use super::csv::parse_field;
use super::{CsvError, Dataset, Labeled};
use crate::Real;
use crate::loss::Labels;

impl<T: Real, const IN: usize, const K: usize> Labeled<T, IN, K> {
    /// Reads the columns named `inputs` (into `x`, in that order) and the class labels of
    /// column `label` from CSV text whose first line is a header, with the rules of
    /// [`from_csv_columns_reader`](Dataset::from_csv_columns_reader). A label is a whole
    /// number from 0 to `K − 1` (`3` or `3.0`), and every class must have at least one row.
    ///
    /// ```
    /// use constnet::data::{CsvError, Labeled};
    ///
    /// let text = "length,width,kind\n1.0,0.5,0\n2.0,1.5,1\n0.8,0.4,0\n";
    /// let data = Labeled::<f32, 2, 2>::from_csv_labels_reader(text.as_bytes(), ["length", "width"], "kind")?;
    /// assert_eq!(data.y().as_slice(), &[0, 1, 0]);
    ///
    /// let bad = "a,kind\n1,0\n2,-1\n";
    /// let err = Labeled::<f32, 1, 2>::from_csv_labels_reader(bad.as_bytes(), ["a"], "kind").unwrap_err();
    /// assert_eq!(err.to_string(), "line 3, column 2: column `kind`: `-1` is negative: class labels are 0 to 1");
    /// # Ok::<(), CsvError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_csv_columns_reader`](Dataset::from_csv_columns_reader), and
    /// [`CsvError::Line`] naming the line, the column and the value for a label that is not
    /// a whole number, is negative or is not below `K`; [`CsvError::EmptyClass`] naming a
    /// class with no row.
    pub fn from_csv_labels_reader(
        reader: impl BufRead,
        inputs: [&str; IN],
        label: &str,
    ) -> Result<Self, CsvError> {
        parse_labeled(reader, None, &inputs, label)
    }

    /// Reads a classifier's data set from a CSV file, as
    /// [`from_csv_labels_reader`](Self::from_csv_labels_reader).
    ///
    /// # Errors
    /// As [`from_csv_labels_reader`](Self::from_csv_labels_reader); [`CsvError::Io`] and
    /// [`CsvError::Line`] name `path`.
    pub fn from_csv_labels_path(
        path: impl AsRef<Path>,
        inputs: [&str; IN],
        label: &str,
    ) -> Result<Self, CsvError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| CsvError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        parse_labeled(BufReader::new(file), Some(path), &inputs, label)
    }
}

fn parse_labeled<T: Real, const IN: usize, const K: usize>(
    reader: impl BufRead,
    path: Option<&Path>,
    inputs: &[&str],
    label: &str,
) -> Result<Labeled<T, IN, K>, CsvError> {
    super::check_widths::<IN, K>()?;
    let mut wanted: Vec<&str> = inputs.to_vec();
    wanted.push(label);
    let (mut xs, mut ys) = (Vec::<T>::new(), Vec::<u16>::new());
    read_columns(reader, path, &wanted, |_, fields| {
        for (k, name) in inputs.iter().enumerate() {
            let v = parse_field::<T>(fields.get(k))
                .map_err(|m| format!("column `{}`: {m}", name.trim().escape_debug()))?;
            xs.push(v);
        }
        let c = parse_label(fields.get(IN), Some(K))
            .map_err(|m| format!("column `{}`: {m}", label.trim().escape_debug()))?;
        ys.push(c);
        Ok(())
    })?;
    let labels = Labels::<K>::new(ys)?;
    if let Some(class) = labels.counts().iter().position(|&c| c == 0) {
        return Err(CsvError::EmptyClass {
            path: path.map(Path::to_path_buf),
            class,
            classes: K,
        });
    }
    Ok(Dataset::labeled(
        OMatrix::<T, Const<IN>, Dyn>::from_vec(xs),
        labels,
    )?)
}

/// A class label: a whole number (`3`, `3.0`) from 0 to 65 535, and below `classes` if
/// given; else the message, naming the value.
pub(super) fn parse_label(field: &str, classes: Option<usize>) -> Result<u16, String> {
    if field.is_empty() {
        return Err("empty field (a class label is a whole number)".into());
    }
    let shown = field.escape_debug();
    let v: f64 = field
        .parse()
        .map_err(|_| format!("`{shown}` is not a class label (a whole number from 0)"))?;
    if v < 0.0 {
        let range = classes.map_or(String::from("from 0"), |k| format!("are 0 to {}", k - 1));
        return Err(format!("`{shown}` is negative: class labels {range}"));
    }
    if v.fract() != 0.0 || !v.is_finite() {
        return Err(format!(
            "`{shown}` is not a class label (a whole number from 0)"
        ));
    }
    if v > f64::from(u16::MAX) {
        return Err(format!(
            "`{shown}` is too large for a class label (at most 65535)"
        ));
    }
    let label = v as u16;
    match classes {
        Some(k) if usize::from(label) >= k => Err(format!(
            "`{shown}` is not below the number of classes, {k} (labels 0 to {})",
            k - 1
        )),
        _ => Ok(label),
    }
}

/// How many rows each class label of column `label` has, for labels 0 to the largest
/// found: what a program reads first to know a file's number of classes `K` (and any
/// class without a row) before reading it as a [`Labeled`] data set of that `K`.
///
/// ```
/// let counts = constnet::data::csv_classes("data/ethanol.csv".as_ref(), "nox");
/// assert!(counts.is_err()); // 3.741 is no class label
/// # let dir = std::env::temp_dir().join(format!("constnet-doc-classes-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("c.csv");
/// std::fs::write(&path, "x,c\n1,2\n2,0\n3,2\n")?;
/// assert_eq!(constnet::data::csv_classes(&path, "c")?, [1, 0, 2]); // class 1 has no row
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`Labeled::from_csv_labels_path`] for the file and the label column.
pub fn csv_classes(path: &Path, label: &str) -> Result<Vec<usize>, CsvError> {
    let file = File::open(path).map_err(|source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut counts: Vec<usize> = Vec::new();
    read_columns(BufReader::new(file), Some(path), &[label], |_, fields| {
        let c = usize::from(
            parse_label(fields.get(0), None)
                .map_err(|m| format!("column `{}`: {m}", label.trim().escape_debug()))?,
        );
        if counts.len() <= c {
            counts.resize(c + 1, 0);
        }
        counts[c] += 1;
        Ok(())
    })?;
    Ok(counts)
}
