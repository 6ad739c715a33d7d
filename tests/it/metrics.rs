//! Regression metrics: hand-computed values and every error path.

use constnet::Error;
use constnet::metrics::{mae, mse, r2, rmse};

#[test]
fn hand_computed_values() {
    // errors pred − target: 1, −2, 0, 3
    let pred = [2.0, 0.0, 5.0, 7.0];
    let target = [1.0, 2.0, 5.0, 4.0];
    assert_eq!(mse(&pred, &target).unwrap(), (1.0 + 4.0 + 0.0 + 9.0) / 4.0);
    assert_eq!(rmse(&pred, &target).unwrap(), 3.5f64.sqrt());
    assert_eq!(mae(&pred, &target).unwrap(), (1.0 + 2.0 + 0.0 + 3.0) / 4.0);
    // target mean 3; SS_tot = 4 + 1 + 4 + 1 = 10; SS_res = 14.
    assert!((r2(&pred, &target).unwrap() - (1.0 - 14.0 / 10.0)).abs() < 1e-15);
}

#[test]
fn r2_of_perfect_mean_and_known_example() {
    let target = [1.0f32, 2.0, 3.0, 4.0];
    assert_eq!(r2(&target, &target).unwrap(), 1.0);
    assert_eq!(r2(&[2.5f32; 4], &target).unwrap(), 0.0);
    // SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5; SS_res = 0.25 · 4 = 1 → R² = 0.8.
    let pred = [1.5f32, 1.5, 3.5, 3.5];
    assert!((r2(&pred, &target).unwrap() - 0.8).abs() < 1e-15);
}

#[test]
fn f32_inputs_are_summed_in_f64() {
    // 0.1f32 is not 0.1; the metric must see the exact f32 value, widened.
    let e = 0.1f32 as f64;
    assert_eq!(mse(&[0.1f32], &[0.0f32]).unwrap(), e * e);
}

#[test]
fn constant_targets_make_r2_undefined_not_nan() {
    let err = r2(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]).unwrap_err();
    assert!(matches!(err, Error::Undefined(_)), "{err:?}");
    assert!(err.to_string().contains("constant targets"));
    // A single sample is constant too.
    assert!(matches!(r2(&[1.0], &[1.0]), Err(Error::Undefined(_))));
}

#[test]
fn constant_targets_that_do_not_average_exactly_are_still_undefined() {
    // The mean of three 0.1s is not exactly 0.1 in floating point, so SS_tot is a tiny
    // positive number and a naive R² would be about -5e31.
    assert!(matches!(
        r2(&[0.2f64; 3], &[0.1; 3]),
        Err(Error::Undefined(_))
    ));
    assert!(matches!(
        r2(&[0.0f32; 7], &[0.7; 7]),
        Err(Error::Undefined(_))
    ));
}

#[test]
fn length_mismatch() {
    for f in [mse::<f64>, rmse, mae, r2] {
        match f(&[1.0, 2.0], &[1.0, 2.0, 3.0]) {
            Err(Error::LengthMismatch {
                expected: 2,
                found: 3,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn empty_input() {
    for f in [mse::<f32>, rmse, mae, r2] {
        assert!(matches!(f(&[], &[]), Err(Error::EmptyData)));
    }
}

#[test]
fn non_finite_values_are_named_and_located() {
    for f in [mse::<f64>, rmse, mae, r2] {
        match f(&[1.0, f64::NAN, 3.0], &[1.0, 2.0, 3.0]) {
            Err(Error::NonFinite {
                what: "prediction",
                index: 1,
            }) => {}
            other => panic!("{other:?}"),
        }
        match f(&[1.0, 2.0, 3.0], &[1.0, 2.0, f64::NEG_INFINITY]) {
            Err(Error::NonFinite {
                what: "target",
                index: 2,
            }) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn overflow_is_an_error_not_inf_or_nan() {
    let big = [1e300, -1e300];
    for f in [mse::<f64>, rmse, r2] {
        assert!(matches!(f(&big, &[0.0, 1.0]), Err(Error::Undefined(_))));
    }
    assert!(matches!(r2(&[0.0, 0.0], &big), Err(Error::Undefined(_))));
}
