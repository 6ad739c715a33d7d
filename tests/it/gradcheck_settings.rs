//! `GradCheck` cannot be set up to pass a wrong gradient (#23.18): settings that would make
//! the check vacuous are typed errors naming the setting; a non-finite network or input is
//! named as such; `Report::worst` is the largest error over its tolerance.

use constnet::gradcheck::{self, Failure, GradCheck};
use constnet::{Activation, Dense, Layer, Relu, net};
use nalgebra::{Const, DimName, Dyn, OMatrix};

/// `f(x) = x²/2 + x` declared with the derivative `2x + 1` (the true one is `x + 1`).
#[derive(Clone, Copy, Debug, Default)]
struct WrongSquare;

impl<D: DimName, T: constnet::Real> Layer<D, T> for WrongSquare {
    type Out = D;
}

impl Activation for WrongSquare {
    fn f<T: constnet::Real>(&self, x: T) -> T {
        x * x / T::cast(2.0) + x
    }
    fn df<T: constnet::Real>(&self, x: T) -> T {
        T::cast(2.0) * x + T::one()
    }
}

type Row = OMatrix<f64, Const<1>, Dyn>;

fn inputs() -> (Row, Row) {
    (
        Row::from_row_slice(&[0.5, 1.0, -2.0, 3.0]),
        Row::from_element(4, 1.0),
    )
}

fn with(f: impl FnOnce(&mut GradCheck)) -> GradCheck {
    let mut g = GradCheck::default();
    f(&mut g);
    g
}

#[test]
fn the_default_check_rejects_the_wrong_derivative() {
    let (x, c) = inputs();
    assert!(matches!(
        gradcheck::check(&WrongSquare, &x, &c),
        Err(Failure::Input { index: 0, .. })
    ));
}

#[test]
fn settings_that_would_pass_it_are_errors_naming_the_setting() {
    // Before these were refused, each of the first three passed `WrongSquare` (measured:
    // `Ok(Report { checked: 4, .. })`): at step 1e10 the objective's scale S, taken at
    // x ± step, is ~5e19, so the floor abs_tol·S is ~5e11; abs_tol 1e300 needs no help.
    let (x, c) = inputs();
    let cases: [(&str, GradCheck); 9] = [
        ("step", with(|g| g.step = 1e10)),
        ("step", with(|g| g.step = 1e100)),
        ("abs_tol", with(|g| g.abs_tol = 1e300)),
        ("rel_tol", with(|g| g.rel_tol = 1.0)),
        ("max_kinks", with(|g| g.max_kinks = 1.0)),
        ("step", with(|g| g.step = 0.0)),
        ("step", with(|g| g.step = f64::NAN)),
        ("rel_tol", with(|g| g.rel_tol = -1e-4)),
        ("abs_tol", with(|g| g.abs_tol = f64::INFINITY)),
    ];
    for (setting, config) in cases {
        match config.check(&WrongSquare, &x, &c) {
            Err(e @ Failure::Setting { name, .. }) if name == setting => {
                let text = e.to_string();
                assert!(text.contains(&format!("`{setting}`")), "{text}");
                assert!(text.contains("must be"), "{text}");
            }
            other => panic!("{setting}: {other:?}"),
        }
    }
    // The limits themselves are allowed, and still reject the wrong derivative.
    let edge = with(|g| {
        g.step = GradCheck::MAX_STEP;
        g.rel_tol = GradCheck::MAX_REL_TOL;
        g.abs_tol = GradCheck::MAX_ABS_TOL;
        g.max_kinks = GradCheck::MAX_KINKS;
    });
    assert!(matches!(
        edge.check(&WrongSquare, &x, &c),
        Err(Failure::Input { .. })
    ));
    assert!(edge.check(&constnet::Tanh, &x, &c).is_ok());
}

#[test]
fn a_nan_weight_is_named_as_a_parameter_not_a_finite_difference() {
    let mut net: net![Dense<2, 3, f64>, Relu, Dense<3, 1, f64>] = constnet::Chain::new(
        constnet::Chain::new(Dense::from_rows([[0.5, -0.25]; 3], [0.1; 3]), Relu),
        Dense::from_rows([[1.0, 2.0, -1.0]], [0.0]),
    );
    let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(3, |i, j| 0.3 * i as f64 - 0.2 * j as f64);
    let c = Row::from_element(3, 1.0);
    assert!(gradcheck::check(&net, &x, &c).is_ok());
    // Second layer's weight, PyTorch `2.weight`, entry (0, 1): column-major index 1.
    net.second.w[(0, 1)] = f64::NAN;
    let failure = gradcheck::check(&net, &x, &c).unwrap_err();
    match &failure {
        Failure::NonFiniteParam {
            tensor: 2,
            index: 1,
            key,
            value,
        } => assert!(key.module == 2 && key.name == "weight" && value.is_nan()),
        other => panic!("{other:?}"),
    }
    let text = failure.to_string();
    assert!(
        text.contains("`2.weight`") && text.contains("NaN"),
        "{text}"
    );
    assert!(!text.contains("finite differences"), "{text}");
    // An infinite input or coefficient is named too.
    let mut bad_x = x.clone();
    bad_x[4] = f64::INFINITY;
    net.second.w[(0, 1)] = 2.0;
    assert!(matches!(
        gradcheck::check(&net, &bad_x, &c),
        Err(Failure::NonFiniteInput {
            what: "x",
            index: 4,
            ..
        })
    ));
    let bad_c = Row::from_row_slice(&[1.0, f64::NAN, 1.0]);
    assert!(matches!(
        gradcheck::check(&net, &x, &bad_c),
        Err(Failure::NonFiniteInput {
            what: "c",
            index: 1,
            ..
        })
    ));
}

/// `x²/2` with the derivative `x·(1 + 5e-5)`: half the default relative tolerance off.
#[derive(Clone, Copy, Debug, Default)]
struct SlightlyOff;

impl<D: DimName, T: constnet::Real> Layer<D, T> for SlightlyOff {
    type Out = D;
}

impl Activation for SlightlyOff {
    fn f<T: constnet::Real>(&self, x: T) -> T {
        x * x / T::cast(2.0)
    }
    fn df<T: constnet::Real>(&self, x: T) -> T {
        x * T::cast(1.0 + 5e-5)
    }
}

#[test]
fn worst_is_the_largest_error_over_its_tolerance() {
    // For x²/2 the central difference is x up to rounding (~1e-10 relative here), so each
    // coordinate's error is 5e-5·|x| against a tolerance of 1e-4·|x|·(1 + 5e-5) + 1e-8·S,
    // S = 1 + Σ x²/2 = 3.625: ratios 0.49961, 0.49979 and 0.49988 for x = 0.5, 1, 2.
    let xs = [0.5, 1.0, 2.0];
    let (x, c) = (Row::from_row_slice(&xs), Row::from_element(3, 1.0));
    let want = xs
        .iter()
        .map(|x| 5e-5 * x / (1e-4 * x * (1.0 + 5e-5) + 1e-8 * 3.625))
        .fold(0.0, f64::max);
    let report = gradcheck::check(&SlightlyOff, &x, &c).unwrap();
    assert_eq!((report.checked, report.kinks), (3, 0));
    // 1e-5: the rounding of the central differences, ~1e-10 / 5e-5 of each error.
    assert!(
        (report.worst - want).abs() < 1e-5,
        "{} vs {want}",
        report.worst
    );
    // A right derivative: an error of rounding only, far below its tolerance.
    let right = gradcheck::check(&constnet::Tanh, &x, &c).unwrap();
    assert!(right.worst < 1e-3, "{}", right.worst);
}
