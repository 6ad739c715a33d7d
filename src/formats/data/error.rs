//! [`CsvError`]: what reading a CSV file can report, located by file, line and column.

use std::fmt;
use std::path::PathBuf;

/// Why a CSV file did not become a data set.
///
/// ```
/// use constnet::data::{CsvError, Dataset};
/// let err = Dataset::<f32, 1, 1>::from_csv_reader("x,y\n1,2\n3,oops\n".as_bytes()).unwrap_err();
/// assert!(matches!(err, CsvError::Line { line: 3, column: 2, .. }));
/// assert_eq!(err.to_string(), "line 3, column 2: `oops` is not a number");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum CsvError {
    /// A line the reader cannot use: the wrong number of fields, a field that is not a
    /// finite number of the scalar type, a header without a column asked for, a line that
    /// is not UTF-8 or too long.
    Line {
        /// The file (`None` when read from a reader).
        path: Option<PathBuf>,
        /// 1-based line number.
        line: usize,
        /// 1-based column number (0 when the line as a whole is wrong).
        column: usize,
        /// What was wrong, naming the column where there is a header.
        message: String,
        /// For a line with the wrong number of fields, the counts: what a program can act
        /// on without reading `message` (e.g. point a wide file to another reader).
        fields: Option<CsvFields>,
    },
    /// The file could not be opened or read.
    Io {
        /// The file (`<reader>` when read from a reader).
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A class with no row, in a classifier's data set of `classes` classes (labels 0 to
    /// `classes − 1`).
    EmptyClass {
        /// The file (`None` when read from a reader).
        path: Option<PathBuf>,
        /// The label no row has.
        class: usize,
        /// The number of classes.
        classes: usize,
    },
    /// What was read does not make a data set (no rows, a column asked for twice, a data
    /// set that fails [`Dataset::new`](super::Dataset::new)'s checks).
    Data(crate::Error),
}

/// A CSV line with the wrong number of fields ([`CsvError::Line`]'s `fields`).
///
/// ```
/// use constnet::data::{CsvError, CsvFields, Dataset};
/// let err = Dataset::<f32, 1, 1>::from_csv_reader("t,p,k,v\n1,2,3,4\n".as_bytes());
/// assert!(matches!(
///     err,
///     Err(CsvError::Line { fields: Some(CsvFields { found: 4, expected: 2, first_line: true }), .. })
/// ));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFields {
    /// The fields on the line.
    pub found: usize,
    /// The fields the reader wanted: the data set's inputs and outputs, or the header's.
    pub expected: usize,
    /// Whether this is the file's first non-blank line (its header, or the first row of a
    /// file without one): then the whole file likely has another layout, not one bad row.
    pub first_line: bool,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::Line {
                path,
                line,
                column,
                message,
                ..
            } => {
                if let Some(path) = path {
                    write!(f, "{}: ", path.display())?;
                }
                if *column == 0 {
                    write!(f, "line {line}: {message}")
                } else {
                    write!(f, "line {line}, column {column}: {message}")
                }
            }
            CsvError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CsvError::EmptyClass {
                path,
                class,
                classes,
            } => {
                if let Some(path) = path {
                    write!(f, "{}: ", path.display())?;
                }
                write!(
                    f,
                    "no row has class {class}: the labels of {classes} classes run from 0 to {}, \
                     each with at least one row",
                    classes - 1
                )
            }
            CsvError::Data(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CsvError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CsvError::Io { source, .. } => Some(source),
            CsvError::Data(e) => Some(e),
            CsvError::Line { .. } | CsvError::EmptyClass { .. } => None,
        }
    }
}

impl From<crate::Error> for CsvError {
    /// [`CsvError::Data`].
    fn from(e: crate::Error) -> Self {
        CsvError::Data(e)
    }
}
