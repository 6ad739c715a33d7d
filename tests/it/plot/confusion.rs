//! The confusion matrix: sizes of 2 to 100 classes, no samples, input errors.

use constnet::Error;
use constnet::plot::{PlotError, confusion};

use super::assert_png_sized;

/// Row-major counts of `k` classes: `right` on the diagonal, a pattern off it.
pub fn counts(k: usize, right: u64) -> Vec<u64> {
    (0..k * k)
        .map(|c| {
            let (i, j) = (c / k, c % k);
            if i == j {
                right
            } else {
                ((i * 7 + j * 3) % 11) as u64
            }
        })
        .collect()
}

fn class_names(k: usize) -> Vec<String> {
    (0..k).map(|i| format!("class {i}")).collect()
}

#[test]
fn confusion_draws_an_800_by_800_heat_map_for_2_to_100_classes() {
    let iris = [50, 0, 0, 0, 47, 3, 0, 4, 46];
    let png = confusion(&iris, &["setosa", "versicolor", "virginica"]).unwrap();
    assert_png_sized(&png, (800, 800));
    // Long names are cut, huge counts shortened; 20 classes show counts, 21 and 100 not.
    let long = ["a rather long class name that goes on", "b"];
    assert_png_sized(
        &confusion(&[u64::MAX, 1, 0, u64::MAX], &long).unwrap(),
        (800, 800),
    );
    for k in [2, 20, 21, 100] {
        let names = class_names(k);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let png = confusion(&counts(k, 1234), &names).unwrap();
        assert_png_sized(&png, (800, 800));
    }
}

#[test]
fn confusion_of_no_samples_draws_a_grey_grid_of_zeros() {
    let names = ["cat", "dog", "bird"];
    let zero = confusion(&[0; 9], &names).unwrap();
    assert_png_sized(&zero, (800, 800));
    assert_ne!(zero, confusion(&counts(3, 5), &names).unwrap());
    // A class without samples (a row of zeros) draws too.
    let missing = [5, 1, 0, 0, 0, 0, 2, 0, 7];
    assert_png_sized(&confusion(&missing, &names).unwrap(), (800, 800));
}

#[test]
fn confusion_rejects_too_few_or_many_classes_and_a_wrong_length() {
    for k in [0, 1, 101] {
        let names = class_names(k);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        match confusion(&counts(k, 3), &names) {
            Err(
                e @ PlotError::Data(Error::InvalidParameter {
                    name: "classes", ..
                }),
            ) => {
                assert!(e.to_string().contains("2 to 100 classes"), "{e}")
            }
            other => panic!("{k} classes: {other:?}"),
        }
    }
    for len in [0, 3, 8, 10, 16] {
        assert!(matches!(
            confusion(&vec![1; len], &["a", "b", "c"]),
            Err(PlotError::Data(Error::LengthMismatch {
                expected: 9,
                found,
                ..
            })) if found == len
        ));
    }
}
