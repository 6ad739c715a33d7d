//! `Dataset::from_csv_columns_reader` / `_path`: columns by header name, and every error
//! located by file, line and column.

use constnet::data::CsvError;
use constnet::{Dataset, Error};

use crate::scratch::Scratch;

const ETHANOL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/ethanol.csv");

type Two = Dataset<f64, 2, 1>;

fn parse(text: &str, inputs: [&str; 2], targets: [&str; 1]) -> Result<Two, CsvError> {
    Two::from_csv_columns_reader(text.as_bytes(), inputs, targets)
}

/// Asserts a CSV error at `line`/`column` whose message contains every `needle`.
#[track_caller]
fn assert_csv_err(result: Result<Two, CsvError>, line: usize, column: usize, needles: &[&str]) {
    match result {
        Err(CsvError::Line {
            line: l,
            column: c,
            message,
            ..
        }) => {
            assert_eq!((l, c), (line, column), "{message}");
            for needle in needles {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}");
            }
        }
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn ethanol_by_name_in_file_order_and_reordered() {
    let data = Dataset::<f32, 2, 1>::from_csv_columns_path(
        ETHANOL,
        ["compression", "equivalence"],
        ["nox"],
    )
    .unwrap();
    assert_eq!(data.len(), 88);
    // First and last rows of the file: `12,0.907,3.741` and `18,0.655,1.9`.
    assert_eq!(&data.x().as_slice()[..2], &[12.0, 0.907]);
    assert_eq!(data.y()[0], 3.741);
    assert_eq!(&data.x().as_slice()[174..], &[18.0, 0.655]);
    assert_eq!(data.y()[87], 1.9);
    // The positional reader agrees on a file whose columns are already inputs-first.
    let positional = Dataset::<f32, 2, 1>::from_csv_path(ETHANOL).unwrap();
    assert_eq!(data, positional);

    // Reordered: the rows of x swap, y is the same.
    let swapped = Dataset::<f32, 2, 1>::from_csv_columns_path(
        ETHANOL,
        ["equivalence", "compression"],
        ["nox"],
    )
    .unwrap();
    for j in 0..88 {
        assert_eq!(swapped.x()[(0, j)], data.x()[(1, j)]);
        assert_eq!(swapped.x()[(1, j)], data.x()[(0, j)]);
    }
    assert_eq!(swapped.y(), data.y());

    // A target before the inputs in the file, and a column used as a target.
    let inverse = Dataset::<f32, 2, 1>::from_csv_columns_path(
        ETHANOL,
        ["nox", "compression"],
        ["equivalence"],
    )
    .unwrap();
    assert_eq!(
        inverse.y().as_slice(),
        data.x().row(1).transpose().as_slice()
    );
}

#[test]
fn other_columns_are_ignored_even_if_not_numeric() {
    let text = " name , t ,a,b\nfirst, 3 ,1,2\n\nsecond,6,4,5\r\n";
    let data = parse(text, ["a", "b"], ["t"]).unwrap();
    assert_eq!(data.x().as_slice(), &[1.0, 2.0, 4.0, 5.0]);
    assert_eq!(data.y().as_slice(), &[3.0, 6.0]);
    // A byte-order mark and blank lines before the header.
    let data = parse("\u{feff}\n\na,b,t\n1,2,3\n", ["b", "a"], ["t"]).unwrap();
    assert_eq!(data.x().as_slice(), &[2.0, 1.0]);
}

#[test]
fn a_missing_column_lists_the_header() {
    assert_csv_err(
        parse("a,b,t\n1,2,3\n", ["a", "c"], ["t"]),
        1,
        0,
        &["no column `c`", "`a`, `b`, `t`"],
    );
    // Names are compared exactly: case matters.
    assert_csv_err(parse("A,b,t\n1,2,3\n", ["a", "b"], ["t"]), 1, 0, &["`a`"]);
}

#[test]
fn a_duplicated_header_name_is_located() {
    assert_csv_err(
        parse("\na,b,a,t\n1,2,3,4\n", ["a", "b"], ["t"]),
        2,
        3,
        &["`a` is named twice", "columns 1 and 3"],
    );
    // A duplicate among the ignored columns is harmless.
    let data = parse("u,a,u,b,t\n0,1,0,2,3\n", ["a", "b"], ["t"]).unwrap();
    assert_eq!(data.x().as_slice(), &[1.0, 2.0]);
}

#[test]
fn a_name_asked_twice_or_empty_is_a_parameter_error() {
    for (inputs, targets) in [
        (["a", "a"], ["t"]),
        (["a", "t"], ["t"]),
        (["a", " "], ["t"]),
    ] {
        match parse("a,b,t\n1,2,3\n", inputs, targets) {
            Err(CsvError::Data(Error::InvalidParameter { name, reason })) => {
                assert_eq!(name, "CSV column names", "{reason}");
            }
            other => panic!("{inputs:?} {targets:?}: {other:?}"),
        }
    }
}

#[test]
fn a_header_is_required() {
    assert_csv_err(
        parse("1,2,3\n4,5,6\n", ["a", "b"], ["t"]),
        1,
        0,
        &["header"],
    );
    assert!(matches!(
        parse("\n \n", ["a", "b"], ["t"]),
        Err(CsvError::Data(Error::EmptyData))
    ));
    assert!(matches!(
        parse("a,b,t\n\n", ["a", "b"], ["t"]),
        Err(CsvError::Data(Error::EmptyData))
    ));
}

#[test]
fn bad_fields_name_line_column_number_and_name() {
    let header = "id,t,a,b\n";
    let cases = [
        ("x,1,2,3\ny,4,oops,6\n", 3, 3, "`oops` is not a number"),
        ("x,1,2,\n", 2, 4, "empty field"),
        ("x,NaN,2,3\n", 2, 2, "not finite"),
        ("x,1,inf,3\n", 2, 3, "not finite"),
    ];
    for (rows, line, column, needle) in cases {
        let text = format!("{header}{rows}");
        let name = ["", "", "t", "a", "b"][column];
        let column_name = format!("column `{name}`");
        assert_csv_err(
            parse(&text, ["a", "b"], ["t"]),
            line,
            column,
            &[needle, &column_name],
        );
    }
    // f32 overflow in a chosen column.
    let err =
        Dataset::<f32, 1, 1>::from_csv_columns_reader("a,t\n1e39,1\n".as_bytes(), ["a"], ["t"]);
    assert!(
        matches!(&err, Err(CsvError::Line { line: 2, column: 1, message, .. }) if message.contains("overflows f32")),
        "{err:?}"
    );
}

#[test]
fn a_row_of_the_wrong_width_is_reported_before_its_values() {
    assert_csv_err(
        parse("a,b,t\n1,2,3\n1,oops\n", ["a", "b"], ["t"]),
        3,
        0,
        &["expected 3 comma-separated fields as in the header, found 2"],
    );
    assert_csv_err(
        parse("a;b;t\n", ["a", "b"], ["t"]),
        1,
        0,
        &["no column `a`", "semicolons"],
    );
    assert_csv_err(
        parse("a,b,t\n1;2;3\n", ["a", "b"], ["t"]),
        2,
        0,
        &["found 1", "semicolons"],
    );
}

#[test]
fn long_lines_and_invalid_utf8_are_csv_errors() {
    let long = format!("a,b,t\n1,2,{}\n", "9".repeat(1 << 16));
    assert_csv_err(parse(&long, ["a", "b"], ["t"]), 2, 0, &["longer than"]);
    let bytes = b"a,b,t\n1,2,\xff\n";
    let err = Two::from_csv_columns_reader(&bytes[..], ["a", "b"], ["t"]);
    assert_csv_err(err, 2, 0, &["UTF-8"]);
}

#[test]
fn path_errors_name_the_file() {
    let dir = Scratch::new("csv-columns");
    let path = dir.join("bad.csv");
    std::fs::write(&path, "a,b,t\n1,2,3\n4,x,6\n").unwrap();
    let err = Two::from_csv_columns_path(&path, ["a", "b"], ["t"]).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}: line 3, column 2: column `b`", path.display())),
        "{shown}"
    );
    let missing = Two::from_csv_columns_path(dir.join("none.csv"), ["a", "b"], ["t"]);
    assert!(matches!(missing, Err(CsvError::Io { path: p, .. }) if p == dir.join("none.csv")));
}

/// Names asked for are trimmed as the header's are.
#[test]
fn requested_names_are_trimmed_like_the_header() {
    let text = "a , nox,b\n1,2,3\n4,5,6\n";
    let d = Dataset::<f32, 2, 1>::from_csv_columns_reader(text.as_bytes(), [" a", "b "], ["nox"])
        .unwrap();
    assert_eq!(d.y().as_slice(), &[2.0, 5.0]);
}
