//! Tests that kill mutants `cargo mutants` found alive (#23.22): each pins down an index
//! computation that no other test could tell from a wrong one.
//!
//! - `diagnose`'s block copy `x[start·IN .. (start + len)·IN]`, with `/ IN` for `* IN`: only
//!   an input width ≥ 2 tells them apart (every other diagnose test has one input);
//! - quantization's row-major index `c·I + j` of a NaN weight, with `c + I + j`: equal for
//!   the first output row of a layer of width 1, not past it;
//! - gradcheck's `Report::worst` (`diff / allowed`, with `diff * allowed`) is in
//!   `tests/it/gradcheck_settings.rs`.

use constnet::diagnose::diagnose;
use constnet::{Chain, Dense, Error, Mse, Relu, net, quant};
use nalgebra::{Const, Dyn, OMatrix};

type TwoIn = net![Dense<2, 2, f64>, Relu, Dense<2, 1, f64>];

/// `W1 = [[1, −1], [0.5, 2]]`, `b1 = [0, −1]`; `W2 = [[1, −2]]`, `b2 = [0.5]`.
fn two_in() -> TwoIn {
    Chain::new(
        Chain::new(
            Dense::from_rows([[1.0, -1.0], [0.5, 2.0]], [0.0, -1.0]),
            Relu,
        ),
        Dense::from_rows([[1.0, -2.0]], [0.5]),
    )
}

/// Samples (1, 0), (0, 1), (2, 1), repeated `times` times, with targets 1, −1, 0.
fn data(times: usize) -> (OMatrix<f64, Const<2>, Dyn>, OMatrix<f64, Const<1>, Dyn>) {
    let x: Vec<f64> = [1.0, 0.0, 0.0, 1.0, 2.0, 1.0].repeat(times);
    let y: Vec<f64> = [1.0, -1.0, 0.0].repeat(times);
    (
        OMatrix::<f64, Const<2>, Dyn>::from_vec(x),
        OMatrix::<f64, Const<1>, Dyn>::from_vec(y),
    )
}

/// The pass by hand. Hidden pre-activations (1, −0.5), (−1, 1), (1, 2), so after the ReLU
/// (1, 0), (0, 1), (1, 2): unit 0 active on samples 1 and 3, unit 1 on 2 and 3. Outputs
/// 1.5, −1.5, −2.5; errors 0.5, −0.5, −2.5; MSE 6.75 / 3 = 2.25. ∂L/∂out = 2e/3 =
/// (1/3, −1/3, −5/3). Last layer: ∂W2 = Σ g·hᵀ = (−4/3, −11/3), ∂b2 = −5/3, norm² = 162/9 = 18.
/// Back through W2 and the ReLU: ∂pre = (1/3, 0), (0, 2/3), (−5/3, 10/3); first layer
/// ∂W1 = Σ ∂pre·xᵀ = [[−3, −5/3], [20/3, 4]], ∂b1 = (−4/3, 4), norm² = 41 + 441/9 = 90.
const LOSS: f64 = 2.25;
const ACTIVE: [u64; 2] = [2, 2];

#[test]
fn diagnose_with_two_inputs_is_the_hand_computed_pass() {
    for times in [1, 300] {
        // 3 samples (one block), then 900 (four blocks, the last three starting past
        // sample 0, where `start·IN` matters): the same mean gradient.
        let (x, y) = data(times);
        let diag = diagnose(&two_in(), &x, &y, &Mse).unwrap();
        assert_eq!(diag.samples, 3 * times);
        // Rounding: the gradient sums thirds over up to 900 samples in f64; 1e-12 relative
        // is ~1000× the worst case of such sums and far below any misread input (which
        // moves the norms by O(1)).
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b;
        assert!(close(diag.loss, LOSS), "{times}: loss {}", diag.loss);
        let norms: Vec<f64> = diag.layers.iter().filter_map(|l| l.grad_norm).collect();
        assert_eq!(norms.len(), 2);
        assert!(close(norms[0], 90f64.sqrt()), "{times}: {norms:?}");
        assert!(close(norms[1], 18f64.sqrt()), "{times}: {norms:?}");
        let activity = diag.layers[1].activity.as_ref().unwrap();
        let want: Vec<u64> = ACTIVE.iter().map(|a| a * times as u64).collect();
        assert_eq!(
            (activity.samples, &activity.active),
            (3 * times as u64, &want)
        );
    }
}

#[test]
fn a_nan_weight_past_the_first_row_is_named_at_its_row_major_index() {
    // Dense<2, 3> (then a ReLU, so the NaN's unit calibrates to 0 and the weight check is
    // what finds it): weight (row 1, column 0) is index 1·2 + 0 = 2 of PyTorch's (out, in)
    // row-major `0.weight`.
    let mut net: net![Dense<2, 3>, Relu, Dense<3, 1>] = Chain::new(
        Chain::new(Dense::from_rows([[0.5, -0.5]; 3], [0.1; 3]), Relu),
        Dense::from_rows([[1.0, -1.0, 0.5]], [0.0]),
    );
    let calib = OMatrix::<f32, Const<2>, Dyn>::from_fn(8, |i, j| i as f32 - 0.25 * j as f32);
    assert!(quant::quantize(&net, &calib).is_ok());
    net.first.first.w[(1, 0)] = f32::NAN;
    match quant::quantize(&net, &calib) {
        Err(Error::NonFinite {
            what: "network weights (row-major index)",
            index,
        }) => assert_eq!(index, 2),
        other => panic!("{other:?}"),
    }
}
