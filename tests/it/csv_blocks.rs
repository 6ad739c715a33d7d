//! `data::csv_blocks` and `csv_blocks_dyn`: a file in blocks of rows, every row once, in
//! file order, the columns in the order asked for, the count returned (#23.22: no test of
//! this crate read a file in blocks, so every mutant of the block reader survived).

use constnet::Error;
use constnet::data::{CsvError, csv_blocks, csv_blocks_dyn, csv_blocks_path};

use crate::scratch::Scratch;

/// Five rows of three columns; `b` then `a` are read.
const TEXT: &str = "a,b,c\n1,10,x\n2,20,y\n3,30,z\n4,40,w\n5,50,v\n";

/// Every block, as its column-major values, from the reader, the file reader and the
/// untyped file reader (the first two must agree).
fn blocks(block: usize) -> (usize, Vec<Vec<f32>>, usize, Vec<Vec<f32>>) {
    let mut typed = Vec::new();
    let rows = csv_blocks::<f32, 2>(TEXT.as_bytes(), None, ["b", "a"], block, |x| {
        typed.push(x.as_slice().to_vec());
        Ok(())
    })
    .unwrap();
    let dir = Scratch::new("csv-blocks");
    let path = dir.join("five.csv");
    std::fs::write(&path, TEXT).unwrap();
    let mut from_path = Vec::new();
    let path_rows = csv_blocks_path::<f32, 2>(&path, ["b", "a"], block, |x| {
        from_path.push(x.as_slice().to_vec());
        Ok(())
    })
    .unwrap();
    assert_eq!((path_rows, &from_path), (rows, &typed));
    let mut dynamic = Vec::new();
    let dyn_rows = csv_blocks_dyn(&path, &["b", "a"], block, &mut |x: &[f32]| {
        dynamic.push(x.to_vec());
        Ok(())
    })
    .unwrap();
    (rows, typed, dyn_rows, dynamic)
}

#[test]
fn every_row_once_in_file_order_in_blocks_of_the_size_asked() {
    let (rows, typed, dyn_rows, dynamic) = blocks(2);
    let expected = vec![
        vec![10.0, 1.0, 20.0, 2.0],
        vec![30.0, 3.0, 40.0, 4.0],
        vec![50.0, 5.0],
    ];
    assert_eq!((rows, &typed), (5, &expected));
    assert_eq!((dyn_rows, &dynamic), (5, &expected));
    // A block as large as the file, or larger: one call.
    for block in [5, 6, 1000] {
        let (rows, typed, dyn_rows, dynamic) = blocks(block);
        assert_eq!((rows, typed.len(), dyn_rows, dynamic.len()), (5, 1, 5, 1));
        assert_eq!(
            typed[0],
            [10.0, 1.0, 20.0, 2.0, 30.0, 3.0, 40.0, 4.0, 50.0, 5.0]
        );
    }
    // Blocks of one row.
    let (rows, typed, _, _) = blocks(1);
    assert_eq!((rows, typed.len()), (5, 5));
}

/// As `Dataset::from_csv_columns_reader`: a file with no data row is an error, and the
/// callback never runs.
#[test]
fn a_header_only_file_is_empty_data() {
    let mut calls = 0;
    let err = csv_blocks::<f32, 1>("a,b\n".as_bytes(), None, ["a"], 4, |_| {
        calls += 1;
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, CsvError::Data(Error::EmptyData)), "{err:?}");
    assert_eq!(calls, 0);
}

#[test]
fn a_zero_block_or_no_columns_is_refused_before_reading() {
    let is_invalid = |r: Result<usize, CsvError>, which: &str| match r {
        Err(CsvError::Data(Error::InvalidParameter { name, reason })) => {
            let why = if which == "block" {
                "must be at least 1 row"
            } else {
                "name at least 1 column"
            };
            assert_eq!((name, reason), (which, why));
        }
        other => panic!("{which}: {other:?}"),
    };
    is_invalid(
        csv_blocks::<f32, 1>(TEXT.as_bytes(), None, ["a"], 0, |_| Ok(())),
        "block",
    );
    // The file does not exist: the arguments are checked first.
    let missing = std::path::Path::new("/nonexistent/constnet.csv");
    is_invalid(
        csv_blocks_dyn::<f32>(missing, &["a"], 0, &mut |_| Ok(())),
        "block",
    );
    is_invalid(
        csv_blocks_dyn::<f32>(missing, &[], 3, &mut |_| Ok(())),
        "inputs",
    );
    assert!(matches!(
        csv_blocks_dyn::<f32>(missing, &["a"], 3, &mut |_| Ok(())),
        Err(CsvError::Io { .. })
    ));
}

#[test]
fn an_error_of_the_callback_stops_the_reading_and_is_returned() {
    let mut calls = 0;
    let err = csv_blocks::<f32, 1>(TEXT.as_bytes(), None, ["a"], 2, |_| {
        calls += 1;
        Err(CsvError::Data(Error::Undefined("stop here")))
    })
    .unwrap_err();
    assert!(
        matches!(err, CsvError::Data(Error::Undefined("stop here"))),
        "{err:?}"
    );
    assert_eq!(calls, 1);
}
