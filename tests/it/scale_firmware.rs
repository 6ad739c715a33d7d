//! A model in raw units on the firmware: a `Scaled` network trained on seeded data with x in
//! 1000…5000 and y in ±10⁴, committed as `firmware/model_scaled.cnet` and exported to
//! `firmware/src/model_scaled.rs`; `firmware::scaled::predict` takes raw x and must give
//! host inference's bits (the QEMU run in `qemu.rs` checks the device too).
//!
//! Regenerate both files with
//! `CONSTNET_BLESS=1 cargo test -p constnet-tests --test it scale_firmware`, then run it
//! again without the variable (the firmware crate compiles the new source).

use constnet::nalgebra::{Const, Dyn, OMatrix, SVector};
use constnet::{
    Adam, Dense, Forward, Init, InitScheme, Mse, Relu, Scaled, Trainer, data::Dataset, export,
    metrics, net, persist,
};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

use crate::common::bits;
use crate::export::{check_fixture, example_test_set, root};

/// The firmware's scaled model: the type `firmware/src/model_scaled.rs` declares.
pub(crate) type ScaledFw = Scaled<net![Dense<1, 16>, Relu, Dense<16, 1>], 1, 1>;

/// `n` samples of `y = 1250·u³ + noise`, `u = (x − 3000) / 1000`, x uniform in 1000…5000,
/// noise uniform in ±400 (σ ≈ 231): the seed's cubic, in units 1000 and 1250 times larger.
fn raw(n: usize, rng: &mut Xoshiro256PlusPlus) -> Dataset<f32, 1, 1> {
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(n, |_, _| rng.random_range(1000.0..5000.0));
    let y = x.map(|x| {
        let u = (x - 3000.0) / 1000.0;
        1250.0 * u * u * u + rng.random_range(-400.0..400.0)
    });
    Dataset::new(x, y).unwrap()
}

/// Training and test sets, seed 2026.
fn data() -> (Dataset<f32, 1, 1>, Dataset<f32, 1, 1>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2026);
    let train = raw(300, &mut rng);
    (train, raw(300, &mut rng))
}

/// The recipe of the committed model: scalers fitted on the training set, the network
/// trained alone on the scaled data (Adam, lr 0.01, 1500 full-batch epochs).
fn train_scaled() -> ScaledFw {
    let (train, _) = data();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let net = Init::init(&mut rng, InitScheme::He);
    let mut model = ScaledFw::from_data(net, train.x(), train.y()).unwrap();
    let scaled = model.training_data(&train).unwrap();
    let mut adam = Adam::new(0.01).unwrap();
    Trainer::new(scaled.x(), scaled.y())
        .epochs(1500)
        .fit(&mut model.net, &mut adam, &Mse)
        .unwrap();
    model
}

fn cnet() -> std::path::PathBuf {
    root().join("firmware/model_scaled.cnet")
}

fn committed() -> ScaledFw {
    persist::load(cnet()).unwrap()
}

#[test]
fn committed_scaled_model_is_what_its_recipe_trains() {
    let trained = train_scaled();
    if std::env::var_os("CONSTNET_BLESS").is_some() {
        persist::save(&trained, cnet()).unwrap();
    }
    assert_eq!(
        bits(&committed()),
        bits(&trained),
        "regenerate: see this file's header"
    );
}

#[test]
fn committed_scaled_source_is_the_export_of_the_committed_model() {
    check_fixture(
        &root().join("firmware/src/model_scaled.rs"),
        &export::encode(&committed()),
    );
}

#[test]
fn committed_scaled_model_fits_held_out_raw_data() {
    let model = committed();
    // Fitted on raw units: the scalers are far from the identity.
    assert!((model.input.mean[0] - 3000.0).abs() < 200.0 && model.input.std[0] > 1000.0);
    assert!(model.output.std[0] > 1000.0);
    let (_, test) = data();
    let pred = model.forward(test.x());
    let r2 = metrics::r2(pred.as_slice(), test.y().as_slice()).unwrap();
    // Noise σ ≈ 231 on targets of σ ≈ 3500: R² ≈ 0.995 at best; 0.99 leaves room for a
    // fit that is good, not perfect.
    assert!(r2 >= 0.99, "scaled firmware model test R² {r2}");
}

/// The device's raw inputs: the cubic example's test inputs (`firmware/qemu/src/inputs.rs`)
/// mapped to 1000…5000 in `f32`, as `firmware/qemu/src/main.rs` maps them.
pub(crate) fn device_input(x: f32) -> f32 {
    3000.0 + 1000.0 * x
}

#[test]
fn firmware_scaled_model_predicts_raw_units_bit_for_bit() {
    let model = committed();
    assert_eq!(bits(&firmware::scaled::NET), bits(&model));
    let (_, test) = data();
    let device = example_test_set().x().map(device_input);
    for &x in test.x().iter().chain(device.iter()) {
        let expected = model.forward(&SVector::from([x]))[0];
        let found = firmware::scaled::predict(x);
        assert_eq!(
            found.to_bits(),
            expected.to_bits(),
            "x = {x}: {found} vs {expected}"
        );
    }
}
