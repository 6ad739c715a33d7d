//! int8 post-training quantization of the firmware's cubic model: accuracy against the
//! f32 model, the committed int8 export, host and firmware agreeing bit for bit, errors.
//!
//! The int8 firmware source comes from the tool: `cargo run --release -p constnet-cli -- fit
//! --load firmware/model.cnet --quantize int8 --export-rs firmware/src/model_int8.rs`.

use constnet::data::cubic;
use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::quant::{self, QModel, QNet};
use constnet::{Dense, Forward, Relu, metrics, net, persist};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use crate::export::{check_fixture, example_test_set, root};

type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
type QSeed = QModel<<Seed as quant::Quantize>::Q, 1, 1>;

/// The example's training set with its default flags: the first draw from the seeded stream.
fn example_train_x() -> OMatrix<f32, Const<1>, Dyn> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    cubic::<f32, _>(1000, 0.1, &mut rng).unwrap().x().clone()
}

/// The network inside the firmware's model (the cubic example's, whose scalers are the
/// identity: it is quantized as trained).
fn seed_model() -> Seed {
    let model: constnet::Scaled<Seed, 1, 1> =
        persist::load(root().join("firmware/model.cnet")).unwrap();
    assert_eq!(model.input, constnet::Standardize::identity());
    assert_eq!(model.output, constnet::Rescale::identity());
    model.net
}

/// What `constnet fit --load firmware/model.cnet --quantize int8` builds: the scaled model
/// quantized whole (its identity scalers folded into the edges).
fn quantized() -> QSeed {
    let model: constnet::Scaled<Seed, 1, 1> =
        persist::load(root().join("firmware/model.cnet")).unwrap();
    quant::quantize_scaled(&model, &example_train_x()).unwrap()
}

#[test]
fn identity_scalers_fold_into_the_same_int8_model() {
    // Folding identity scalers changes no scale, zero point or prediction.
    let plain = quant::quantize(&seed_model(), &example_train_x()).unwrap();
    let folded = quantized();
    assert_eq!(plain.net, folded.net);
    assert_eq!(plain.input.scale, folded.input.scale);
    assert_eq!(plain.output.scale, folded.output.scale);
    assert_eq!(
        (plain.input.zero, plain.output.zero),
        (folded.input.zero, folded.output.zero)
    );
    for &x in example_test_set().x().iter() {
        let (a, b) = (plain.predict(&[x])[0], folded.predict(&[x])[0]);
        assert_eq!(a.to_bits(), b.to_bits(), "x = {x}");
    }
}

#[test]
fn int8_test_r2_is_within_0_005_of_f32() {
    let (net, q) = (seed_model(), quantized());
    let test = example_test_set();
    let y = test.y().as_slice();
    let f32_pred = net.forward(test.x());
    let q_pred: Vec<f32> = test.x().iter().map(|&x| q.predict(&[x])[0]).collect();
    let r2_f32 = metrics::r2(f32_pred.as_slice(), y).unwrap();
    let r2_q = metrics::r2(&q_pred, y).unwrap();
    // The target: quantization may cost at most 0.005 of test R².
    assert!(r2_f32 - r2_q <= 0.005, "f32 R² {r2_f32}, int8 R² {r2_q}");
    eprintln!("test R²: f32 {r2_f32:.5}, int8 {r2_q:.5}");
}

#[test]
fn committed_int8_firmware_source_is_the_export_of_the_quantized_model() {
    check_fixture(
        &root().join("firmware/src/model_int8.rs"),
        &quant::export::encode(&quantized()),
    );
}

#[test]
fn firmware_int8_predicts_the_test_set_bit_for_bit() {
    let q = quantized();
    assert_eq!(firmware::int8::NET, q);
    for &x in example_test_set().x().iter() {
        let expected = q.predict(&[x])[0];
        let found = firmware::int8::predict(x);
        assert_eq!(found.to_bits(), expected.to_bits(), "x = {x}");
    }
}

#[test]
fn int8_inference_is_integer_only_between_the_edges() {
    // `run` on int8 equals predict's middle step; the edges are the documented formulas.
    let q = quantized();
    for &x in example_test_set().x().iter().take(50) {
        let xq = q.quantize_input(&[x]);
        assert_eq!(xq, q.input.quantize(&[x]));
        let yq = q.net.run(&xq);
        assert_eq!(q.predict(&[x]), q.output.dequantize(&yq));
    }
}

#[test]
fn quantize_rejects_bad_calibration_data_and_parameters() {
    let net = seed_model();
    let empty = OMatrix::<f32, Const<1>, Dyn>::zeros(0);
    assert!(matches!(
        quant::quantize::<Seed, 1, 1>(&net, &empty),
        Err(constnet::Error::EmptyData)
    ));
    let mut x = example_train_x();
    x[7] = f32::NAN;
    assert!(matches!(
        quant::quantize::<Seed, 1, 1>(&net, &x),
        Err(constnet::Error::NonFinite { index: 7, .. })
    ));
    let mut bad = net.clone();
    bad.first.first.second.w[(3, 5)] = f32::INFINITY;
    assert!(matches!(
        quant::quantize::<Seed, 1, 1>(&bad, &example_train_x()),
        Err(constnet::Error::NonFinite { .. })
    ));
    let mut huge = net;
    huge.second.b[0] = 1e30;
    assert!(matches!(
        quant::quantize::<Seed, 1, 1>(&huge, &example_train_x()),
        Err(constnet::Error::InvalidParameter { .. })
    ));
}

#[test]
fn quantizing_is_reproducible() {
    assert_eq!(quantized(), quantized());
}

#[test]
fn int8_inference_does_not_allocate() {
    let q = quantized();
    let (y, n) = crate::counting::allocations(|| q.predict(&[0.75]));
    assert_eq!(n, 0);
    assert!((y[0] - 0.421_875).abs() < 0.5); // 0.75³, roughly: the call did run the model
}
