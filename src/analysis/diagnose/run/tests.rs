//! Unit tests of what only a miscounting `Forward::report` of your own could reach.

use super::*;
use crate::{Dense, Params, Relu, net};

type Small = net![Dense<1, 2>, Relu, Dense<2, 1>];

fn reports() -> Vec<LayerReport> {
    let mut out = Vec::new();
    let x = OMatrix::<f32, Const<1>, Dyn>::from_element(3, 1.0);
    let net = <Small as Params<f32>>::zeros();
    let mut ws = Small::workspace(Dyn(3));
    net.forward_into(&x, &mut ws);
    net.report(&x, &ws, &mut out);
    out
}

#[test]
fn reports_that_miscount_the_tensors_are_an_error() {
    let grad = <Small as Params<f32>>::zeros();
    let mut right = reports();
    assert!(grad_norms::<f32, Small>(&mut right, &grad).is_ok());
    assert_eq!(right[0].grad_norm, Some(0.0));
    assert_eq!(right[1].grad_norm, None);

    let mut wrong = reports();
    wrong[2].tensors = 1;
    let e = grad_norms::<f32, Small>(&mut wrong, &grad).unwrap_err();
    assert!(matches!(
        e,
        Error::LengthMismatch {
            expected: 4,
            found: 3,
            ..
        }
    ));
}

#[test]
fn blocks_that_report_different_layers_are_an_error() {
    let mut total = None;
    merge(&mut total, &reports()).unwrap();
    merge(&mut total, &reports()).unwrap();
    let a = total.as_ref().unwrap()[1].activity.as_ref().unwrap();
    assert_eq!((a.samples, a.units()), (6, 2));

    let short = &reports()[..2];
    assert!(merge(&mut total, short).is_err());
    let mut no_activity = reports();
    no_activity[1].activity = None;
    assert!(merge(&mut total, &no_activity).is_err());
}
