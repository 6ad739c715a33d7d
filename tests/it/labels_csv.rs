//! Reading a classifier's CSV (`Labeled::from_csv_labels_path`, `csv_classes`): every bad
//! label is an error naming the file, the line and the value; a class with no row names
//! the file and the class.

use constnet::data::{CsvError, Labeled, csv_classes};

use crate::scratch::Scratch;

type Data = Labeled<f32, 2, 3>;

/// Writes `body` under a header `a,b,kind` and reads it as 3-class data.
fn read(dir: &Scratch, name: &str, body: &str) -> Result<Data, CsvError> {
    let path = dir.join(name);
    std::fs::write(&path, format!("a,b,kind\n{body}")).unwrap();
    Data::from_csv_labels_path(&path, ["a", "b"], "kind")
}

#[test]
fn bad_labels_name_the_file_line_and_value() {
    let dir = Scratch::new("labels");
    let good = "0.5,1,0\n1.5,2,1\n2.5,3,2\n";
    let data = read(&dir, "good.csv", good).unwrap();
    assert_eq!(data.y().as_slice(), &[0, 1, 2]);
    assert_eq!(data.x().as_slice(), &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    // A whole number written as a float is a label.
    assert!(read(&dir, "float.csv", "0.5,1,0.0\n1.5,2,1\n2.5,3,2.0\n").is_ok());

    for (name, bad, why) in [
        (
            "fraction.csv",
            "1.5",
            "is not a class label (a whole number from 0)",
        ),
        (
            "word.csv",
            "two",
            "is not a class label (a whole number from 0)",
        ),
        ("negative.csv", "-1", "is negative: class labels are 0 to 2"),
        (
            "range.csv",
            "3",
            "is not below the number of classes, 3 (labels 0 to 2)",
        ),
        (
            "huge.csv",
            "70000",
            "is too large for a class label (at most 65535)",
        ),
    ] {
        // The bad label on the third line of the file (line 1 is the header).
        let body = format!("0.5,1,0\n1.5,2,{bad}\n2.5,3,2\n1,1,1\n");
        let err = read(&dir, name, &body).unwrap_err();
        let path = dir.join(name);
        match &err {
            CsvError::Line {
                path: Some(p),
                line: 3,
                column: 3,
                ..
            } => assert_eq!(p, &path),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "{}: line 3, column 3: column `kind`: `{bad}` {why}",
                path.display()
            ),
        );
    }
}

#[test]
fn a_class_without_rows_names_the_file_and_the_class() {
    let dir = Scratch::new("labels-empty");
    let err = read(&dir, "gap.csv", "0.5,1,0\n1.5,2,2\n2.5,3,2\n").unwrap_err();
    let path = dir.join("gap.csv");
    match &err {
        CsvError::EmptyClass {
            path: Some(p),
            class: 1,
            classes: 3,
        } => assert_eq!(p, &path),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no row has class 1: the labels of 3 classes run from 0 to 2, each with at \
             least one row",
            path.display()
        )
    );
}

#[test]
fn csv_classes_counts_rows_and_names_bad_labels_too() {
    let dir = Scratch::new("labels-classes");
    let path = dir.join("c.csv");
    std::fs::write(&path, "x,c\n1,2\n2,0\n3,2\n4,0.0\n").unwrap();
    assert_eq!(csv_classes(&path, "c").unwrap(), [2, 0, 2]);
    std::fs::write(&path, "x,c\n1,2\n2,-3\n").unwrap();
    let err = csv_classes(&path, "c").unwrap_err();
    assert!(
        matches!(
            err,
            CsvError::Line {
                line: 3,
                column: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: line 3, column 2: column `c`: `-3` is negative: class labels from 0",
            path.display()
        )
    );
}
