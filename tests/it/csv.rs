//! `Dataset::from_csv_reader` / `from_csv_path`: the format and every error, located.

use std::io::{self, BufRead, Read};

use constnet::data::CsvError;
use constnet::{Dataset, Error};

use crate::scratch::Scratch;

type Cubic = Dataset<f64, 1, 1>;

fn parse(text: &str) -> Result<Cubic, CsvError> {
    Cubic::from_csv_reader(text.as_bytes())
}

/// Asserts a CSV error at `line`/`column` whose message contains `needle`.
#[track_caller]
fn assert_csv_err(result: Result<Cubic, CsvError>, line: usize, column: usize, needle: &str) {
    match result {
        Err(CsvError::Line {
            line: l,
            column: c,
            message,
            ..
        }) => {
            assert_eq!((l, c), (line, column), "{message}");
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn header_blank_lines_whitespace_and_crlf() {
    let data = parse("x,y\r\n\r\n -1.5 ,\t-3.375\r\n   \n2,8\n0.5,0.125").unwrap();
    assert_eq!(data.x().as_slice(), &[-1.5, 2.0, 0.5]);
    assert_eq!(data.y().as_slice(), &[-3.375, 8.0, 0.125]);
}

#[test]
fn no_header_and_number_formats() {
    let data = parse("1e-3,+2\n-.5,3.\n").unwrap();
    assert_eq!(data.x().as_slice(), &[1e-3, -0.5]);
    assert_eq!(data.y().as_slice(), &[2.0, 3.0]);
}

#[test]
fn byte_order_mark_is_ignored() {
    let data = parse("\u{feff}x,y\n1,1\n").unwrap();
    assert_eq!(data.len(), 1);
    let data = parse("\u{feff}1,1\n").unwrap();
    assert_eq!(data.x().as_slice(), &[1.0]);
}

#[test]
fn inputs_first_then_targets() {
    let data = Dataset::<f32, 2, 1>::from_csv_reader("a,b,t\n1,2,3\n4,5,6\n".as_bytes()).unwrap();
    assert_eq!(data.x().as_slice(), &[1.0, 2.0, 4.0, 5.0]); // column-major: one sample per column
    assert_eq!(data.y().as_slice(), &[3.0, 6.0]);
}

#[test]
fn non_numeric_field_is_located() {
    assert_csv_err(parse("x,y\n1,1\n2,two\n"), 3, 2, "`two` is not a number");
    assert_csv_err(parse("1,1\n\n\nabc,2\n"), 4, 1, "`abc`");
}

#[test]
fn empty_field_is_located() {
    assert_csv_err(parse("1,1\n2,\n"), 2, 2, "empty field");
    assert_csv_err(parse("1,1\n ,3\n"), 2, 1, "empty field");
}

#[test]
fn nan_and_infinity_are_rejected() {
    assert_csv_err(parse("x,y\n1,NaN\n"), 2, 2, "not finite");
    assert_csv_err(parse("1,1\ninf,1\n"), 2, 1, "not finite");
    assert_csv_err(parse("1,1\n2,-infinity\n"), 2, 2, "not finite");
    // A non-finite first line is data (it parses as numbers), not a header.
    assert_csv_err(parse("nan,1\n"), 1, 1, "not finite");
}

#[test]
fn value_overflowing_f32_is_rejected() {
    let err = Dataset::<f32, 1, 1>::from_csv_reader("1,1e39\n".as_bytes()).unwrap_err();
    assert!(
        matches!(err, CsvError::Line { line: 1, column: 2, ref message, .. } if message.contains("overflows f32")),
        "{err:?}"
    );
    assert!(Dataset::<f64, 1, 1>::from_csv_reader("1,1e39\n".as_bytes()).is_ok());
}

#[test]
fn wrong_field_count_names_the_line() {
    assert_csv_err(
        parse("x,y\n1,2\n1,2,3\n"),
        3,
        0,
        "expected 2 comma-separated fields, found 3",
    );
    assert_csv_err(parse("1,2\n5\n"), 2, 0, "found 1");
    assert_csv_err(parse("1,2,\n"), 1, 0, "found 3");
}

#[test]
fn a_header_is_only_accepted_before_the_data() {
    assert_csv_err(parse("1,1\nx,y\n"), 2, 1, "`x` is not a number");
}

#[test]
fn header_must_have_the_right_width() {
    assert_csv_err(
        parse("x,y,z\n1,1\n"),
        1,
        0,
        "header has 3 fields, expected 2",
    );
}

#[test]
fn a_partly_numeric_line_1_is_an_error_not_a_header() {
    assert_csv_err(parse("1,oops\n2,8\n"), 1, 2, "`oops`");
}

#[test]
fn no_data_rows_is_empty_data() {
    for text in ["", "\n\n  \n", "x,y\n", "x,y\n\n"] {
        assert!(
            matches!(parse(text), Err(CsvError::Data(Error::EmptyData))),
            "{text:?}"
        );
    }
}

#[test]
fn invalid_utf8_is_a_csv_error() {
    let bytes: &[u8] = b"1,1\n2,\xff\n";
    match Cubic::from_csv_reader(bytes) {
        Err(CsvError::Line {
            line: 2, column: 0, ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_display_is_one_line_with_location() {
    let err = parse("x,y\n1,1\n2,two\n").unwrap_err();
    assert_eq!(err.to_string(), "line 3, column 2: `two` is not a number");
}

/// A reader that yields some data, then fails.
struct Failing(&'static [u8]);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        unreachable!("only used through BufRead")
    }
}

impl BufRead for Failing {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.0.is_empty() {
            Err(io::Error::other("disk on fire"))
        } else {
            Ok(self.0)
        }
    }
    fn consume(&mut self, n: usize) {
        self.0 = &self.0[n..];
    }
}

#[test]
fn reader_io_error_is_an_io_error() {
    match Cubic::from_csv_reader(Failing(b"1,1\n")) {
        Err(CsvError::Io { source, .. }) => assert_eq!(source.to_string(), "disk on fire"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn from_path_reads_a_file_and_names_missing_ones() {
    let dir = Scratch::new("csv");
    let file = dir.join("cubic.csv");
    std::fs::write(&file, "x,y\n-2,-8\n1.5,3.375\n").unwrap();
    let data = Cubic::from_csv_path(&file).unwrap();
    assert_eq!(data.x().as_slice(), &[-2.0, 1.5]);
    assert_eq!(data.y().as_slice(), &[-8.0, 3.375]);
    assert_eq!(dir.entries(), ["cubic.csv"]); // reading leaves nothing behind

    let missing = dir.join("missing.csv");
    match Cubic::from_csv_path(&missing) {
        Err(CsvError::Io { path, source }) => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    // A directory is not a CSV file either.
    assert!(matches!(
        Cubic::from_csv_path(dir.path()),
        Err(CsvError::Io { .. })
    ));
}

#[test]
fn a_header_may_follow_blank_lines_but_not_data() {
    let d = parse("\n\n x , y \n1,2\n").unwrap();
    assert_eq!(d.len(), 1);
    assert_csv_err(parse("1,2\nx,y\n"), 2, 1, "`x` is not a number");
}

#[test]
fn control_characters_in_a_field_are_escaped_in_the_message() {
    let err = parse("1,2\n3,a\u{0}b\n").unwrap_err().to_string();
    assert!(err.contains("a\\0b"), "{err}");
    assert!(!err.contains('\u{0}'));
}

#[test]
fn a_wrong_field_count_carries_its_counts() {
    use constnet::data::CsvFields;
    let fields = |text: &str| match parse(text) {
        Err(CsvError::Line { fields, .. }) => fields,
        other => panic!("{text:?}: expected a CSV error, got {other:?}"),
    };
    let first = |found| {
        Some(CsvFields {
            found,
            expected: 2,
            first_line: true,
        })
    };
    // The first non-blank line, a header or a row: likely the whole file's layout.
    assert_eq!(fields("a,b,y\n1,2,3\n"), first(3));
    assert_eq!(fields("\n\n1,2,3\n"), first(3));
    assert_eq!(fields("x\n1\n"), first(1));
    // A ragged row further down.
    let ragged = Some(CsvFields {
        found: 3,
        expected: 2,
        first_line: false,
    });
    assert_eq!(fields("x,y\n1,2\n1,2,3\n"), ragged);
    assert_eq!(fields("1,2\n1,2,3\n"), ragged);
    // Every other CSV error has none.
    assert_eq!(fields("x,y\n1,abc\n"), None);
    assert_eq!(fields("x,y\n1,\n"), None);
    // Reading columns by name: a row that does not match its header.
    let by_name =
        Dataset::<f64, 1, 1>::from_csv_columns_reader("a,b,c\n1,2\n".as_bytes(), ["a"], ["c"]);
    match by_name {
        Err(CsvError::Line { fields, .. }) => assert_eq!(
            fields,
            Some(CsvFields {
                found: 2,
                expected: 3,
                first_line: false,
            })
        ),
        other => panic!("{other:?}"),
    }
}
