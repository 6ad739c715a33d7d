//! `Dataset`: construction checks, `select`, and the seeded train/test `split`.

use constnet::{Dataset, Error};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

type Row<const R: usize> = OMatrix<f64, Const<R>, Dyn>;

fn row(values: &[f64]) -> Row<1> {
    Row::<1>::from_row_slice(values)
}

/// `n` samples with x = 0, 1, …, n−1 and y = 10·x, so every sample is identifiable.
fn ramp(n: usize) -> Dataset<f64, 1, 1> {
    let x = Row::<1>::from_fn(n, |_, j| j as f64);
    let y = x.map(|v| 10.0 * v);
    Dataset::new(x, y).unwrap()
}

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

#[test]
fn new_keeps_the_data_and_reports_its_size() {
    let x = Row::<2>::from_column_slice(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let y = row(&[7.0, 8.0, 9.0]);
    let data = Dataset::new(x.clone(), y.clone()).unwrap();
    assert_eq!(data.len(), 3);
    assert!(!data.is_empty());
    assert_eq!(data.x(), &x);
    assert_eq!(data.y(), &y);
    assert_eq!(data.into_parts(), (x, y));
}

#[test]
fn new_rejects_mismatched_sample_counts() {
    match Dataset::new(row(&[1.0, 2.0, 3.0]), row(&[1.0, 2.0])) {
        Err(Error::LengthMismatch {
            expected: 3,
            found: 2,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn new_rejects_zero_samples() {
    assert!(matches!(
        Dataset::new(row(&[]), row(&[])),
        Err(Error::EmptyData)
    ));
}

#[test]
fn new_rejects_zero_width() {
    let x = OMatrix::<f64, Const<0>, Dyn>::zeros(2);
    assert!(matches!(
        Dataset::<f64, 0, 1>::new(x, row(&[1.0, 2.0])),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn new_names_the_non_finite_value() {
    let err = Dataset::new(row(&[0.0, 1.0, f64::NAN]), row(&[0.0; 3])).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFinite {
                what: "x",
                index: 2
            }
        ),
        "{err:?}"
    );
    let err = Dataset::new(row(&[0.0; 3]), row(&[f64::INFINITY, 0.0, 0.0])).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFinite {
                what: "y",
                index: 0
            }
        ),
        "{err:?}"
    );
    // Two features: the index is into column-major storage (sample 1, feature 1 → 3).
    let x = Row::<2>::from_column_slice(&[0.0, 0.0, 0.0, f64::NEG_INFINITY]);
    let err = Dataset::new(x, row(&[0.0, 0.0])).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFinite {
                what: "x",
                index: 3
            }
        ),
        "{err:?}"
    );
}

#[test]
fn select_picks_columns_in_order_with_repeats() {
    let data = ramp(5);
    let batch = data.select(&[4, 1, 1]).unwrap();
    assert_eq!(batch.x().as_slice(), &[4.0, 1.0, 1.0]);
    assert_eq!(batch.y().as_slice(), &[40.0, 10.0, 10.0]);
}

#[test]
fn select_rejects_bad_indices_without_panicking() {
    let data = ramp(5);
    assert!(matches!(
        data.select(&[0, 5]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        data.select(&[usize::MAX]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(data.select(&[]), Err(Error::EmptyData)));
}

#[test]
fn split_sizes_follow_ceil_of_the_test_fraction() {
    let data = ramp(10);
    for (fraction, test) in [(0.2, 2), (0.25, 3), (0.01, 1), (0.5, 5), (0.85, 9)] {
        let (tr, te) = data.split(fraction, &mut rng(0)).unwrap();
        assert_eq!(
            (tr.len(), te.len()),
            (10 - test, test),
            "fraction {fraction}"
        );
    }
    let (tr, te) = ramp(2).split(0.5, &mut rng(0)).unwrap();
    assert_eq!((tr.len(), te.len()), (1, 1));
}

#[test]
fn split_is_a_partition_and_keeps_pairs_together() {
    let data = ramp(100);
    let (train, test) = data.split(0.3, &mut rng(3)).unwrap();
    let mut all: Vec<f64> = train.x().iter().chain(test.x().iter()).copied().collect();
    all.sort_by(f64::total_cmp);
    assert_eq!(all, (0..100).map(f64::from).collect::<Vec<_>>());
    for part in [&train, &test] {
        for (x, y) in part.x().iter().zip(part.y().iter()) {
            assert_eq!(*y, 10.0 * x);
        }
    }
    // Shuffled, not the first 30 in order.
    assert_ne!(test.x().as_slice(), &all[..30]);
}

#[test]
fn split_is_deterministic_per_seed() {
    let data = ramp(50);
    let a = data.split(0.2, &mut rng(9)).unwrap();
    let b = data.split(0.2, &mut rng(9)).unwrap();
    let c = data.split(0.2, &mut rng(10)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.1, c.1);
}

#[test]
fn split_rejects_fractions_outside_the_open_unit_interval() {
    let data = ramp(10);
    for fraction in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
        match data.split(fraction, &mut rng(0)) {
            Err(Error::InvalidParameter {
                name: "test_fraction",
                ..
            }) => {}
            other => panic!("fraction {fraction}: {other:?}"),
        }
    }
}

#[test]
fn split_rejects_an_empty_part() {
    // ceil(0.95 · 10) = 10 leaves no training sample; one sample can never be split.
    assert!(matches!(
        ramp(10).split(0.95, &mut rng(0)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        ramp(1).split(0.5, &mut rng(0)),
        Err(Error::InvalidParameter { .. })
    ));
}
