//! Firmware export: the committed firmware model is the cubic example's trained network,
//! its committed source is fresh, and it predicts on the example's held-out test set
//! bit for bit what the trained network does; exported source also compiles for f64 and
//! every activation.
//!
//! The fixtures are generated, never edited. The firmware model comes from the example:
//! `cargo run --release -p constnet-cli -- fit --save firmware/model.cnet --export-rs firmware/src/model.rs`.
//! The f64 fixture: `CONSTNET_BLESS=1 cargo test -p constnet-tests --test it export`, then
//! `cargo test -p constnet-tests` again.

use std::path::{Path, PathBuf};

use crate::common::bits;
use constnet::data::cubic;
use constnet::nalgebra::{SMatrix, SVector};
use constnet::{
    Dense, Forward, Identity, LeakyRelu, Params, Relu, Sigmoid, Tanh, export, metrics, net, persist,
};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// The firmware's model, the cubic example's: the seed network between identity scalers
/// (its run is unscaled), the type `firmware/src/model.rs` declares.
type Firmware = constnet::Scaled<net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>], 1, 1>;

/// The repository's root (this test package lives in `tests/`).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn bless() -> bool {
    std::env::var_os("CONSTNET_BLESS").is_some()
}

/// The example's held-out test set with its default flags (seed 42, 1000 samples, σ = 0.1):
/// the second draw from the seeded stream, after the training set.
pub(crate) fn example_test_set() -> constnet::Dataset<f32, 1, 1> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let _train = cubic::<f32, _>(1000, 0.1, &mut rng).unwrap();
    cubic(1000, 0.1, &mut rng).unwrap()
}

/// Compares `path`'s contents with `expected`, or (when blessing) writes them.
pub(crate) fn check_fixture(path: &Path, expected: &str) {
    if bless() {
        std::fs::write(path, expected).unwrap();
    }
    let found = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        found == expected,
        "{} is stale: regenerate it (see this file's header)",
        path.display()
    );
}

/// The committed model, as the cubic example saved it.
fn load_firmware_model() -> &'static Firmware {
    static MODEL: std::sync::OnceLock<Firmware> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| persist::load(root().join("firmware/model.cnet")).unwrap())
}

#[test]
fn committed_firmware_source_is_the_export_of_the_committed_model() {
    let net = load_firmware_model();
    check_fixture(&root().join("firmware/src/model.rs"), &export::encode(net));
}

#[test]
fn committed_firmware_model_is_a_trained_cubic_model() {
    // The example's acceptance bar: test R² ≥ 0.98 (0.9834 when committed).
    let test = example_test_set();
    let pred = load_firmware_model().forward(test.x());
    let r2 = metrics::r2(pred.as_slice(), test.y().as_slice()).unwrap();
    assert!(r2 >= 0.98, "firmware model test R² {r2}");
}

#[test]
fn firmware_predicts_the_test_set_bit_for_bit() {
    // Sample by sample, as firmware runs it: the trained network's single-sample forward
    // (std build) and the firmware's const network (no_std build) must agree exactly.
    let net = load_firmware_model();
    assert_eq!(bits(&firmware::MODEL), bits(net));
    assert_eq!(bits(&firmware::NET), bits(net));
    for &x in example_test_set().x().iter() {
        let expected = net.forward(&SVector::from([x]))[0];
        let found = firmware::predict(x);
        assert_eq!(
            found.to_bits(),
            expected.to_bits(),
            "x = {x}: {found} vs {expected}"
        );
    }
}

#[test]
fn firmware_predicts_bit_for_bit_beyond_the_test_set() {
    let net = load_firmware_model();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
    for i in 0..1000 {
        // 0.0, then values across and beyond the training range.
        let x: f32 = if i == 0 {
            0.0
        } else {
            rng.random_range(-3.0..3.0)
        };
        let expected = net.forward(&SVector::from([x]))[0];
        let found = firmware::predict(x);
        assert_eq!(
            found.to_bits(),
            expected.to_bits(),
            "x = {x}: {found} vs {expected}"
        );
    }
}

/// Every activation, f64, non-square layers (a transposed matrix would not fit).
type AllActivations = net![
    Dense<2, 3, f64>,
    Relu,
    Dense<3, 4, f64>,
    Sigmoid,
    Dense<4, 3, f64>,
    Tanh,
    Dense<3, 2, f64>,
    Identity,
    Dense<2, 2, f64>,
    LeakyRelu<f64>
];

/// Deterministic parameters, biases included, with a few values that only exact bits keep.
fn all_activations() -> AllActivations {
    let mut net = <AllActivations as Params<f64>>::zeros();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    for i in 0..<AllActivations as Params<f64>>::TENSORS {
        for v in net.tensor_mut(i) {
            *v = rng.random_range(-1.0..1.0);
        }
    }
    let first = &mut net.first.first.first.first.first.first.first.first.first;
    first.w[(1, 0)] = -0.0;
    first.b[2] = 5e-324;
    first.w[(2, 1)] = 0.1;
    net.second = LeakyRelu::new(0.3); // a constant that only the file and export keep
    net
}

/// The committed export of [`all_activations`], compiled into this test.
mod all_activations_f64 {
    include!("fixtures/all_activations_f64.rs");
}

#[test]
fn exported_f64_source_with_every_activation_compiles_to_the_same_network() {
    let net = all_activations();
    check_fixture(
        &root().join("tests/it/fixtures/all_activations_f64.rs"),
        &export::encode(&net),
    );
    let compiled: &AllActivations = &all_activations_f64::MODEL;
    assert_eq!(bits(compiled), bits(&net));
    let x = SMatrix::<f64, 2, 3>::from([[0.5, -1.0], [2.0, 0.0], [-0.25, 3.0]]);
    let (a, b) = (compiled.forward(&x), net.forward(&x));
    assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
}

#[test]
fn exported_source_names_every_layer() {
    let src = export::encode(&all_activations());
    assert!(src.contains(", constnet::LeakyRelu<f64>];"));
    assert!(
        src.contains("    constnet::LeakyRelu { slope: f64::from_bits(0x3fd3333333333333) },\n")
    );
    for name in ["Relu", "Sigmoid", "Tanh", "Identity"] {
        assert!(
            src.contains(&format!("constnet::{name}, ")),
            "type lacks {name}"
        );
        assert!(
            src.contains(&format!("    constnet::{name},\n")),
            "value lacks {name}"
        );
    }
    assert!(src.contains("pub type Model = constnet::net![constnet::Dense<2, 3, f64>, "));
    assert!(
        src.contains("pub const MODEL: Model = constnet::chain![\n    constnet::Dense::from_rows(")
    );
    assert!(src.contains("f64::from_bits(0x8000000000000000)")); // -0.0
    assert!(src.contains("f64::from_bits(0x0000000000000001)")); // 5e-324
    assert!(src.contains("f64::from_bits(0x3fb999999999999a)")); // 0.1
    assert!(src.starts_with("// Generated by `constnet::export`"));
    assert!(src.ends_with("];\n"));
}

#[test]
fn write_rs_writes_the_same_text_atomically() {
    let dir = std::env::temp_dir().join(format!("constnet-it-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.rs");
    std::fs::write(&path, "old").unwrap();
    export::save(load_firmware_model(), &path).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let entries = std::fs::read_dir(&dir).unwrap().count();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(written, export::encode(load_firmware_model()));
    assert_eq!(entries, 1);
    let missing = root().join("no-such-dir/model.rs");
    assert!(export::save(load_firmware_model(), &missing).is_err());
    assert!(!missing.exists());
}

#[test]
fn write_rs_refuses_non_finite_parameters() {
    let mut net = load_firmware_model().clone();
    net.net.first.first.second.b[7] = f32::INFINITY;
    let path =
        std::env::temp_dir().join(format!("constnet-it-export-nan-{}.rs", std::process::id()));
    assert!(matches!(
        export::save(&net, &path),
        Err(constnet::Error::NonFinite { .. })
    ));
    assert!(!path.exists());
}

/// Two raw-unit inputs: the ethanol data's scalers around a small network.
type Ethanol = constnet::Scaled<net![Dense<2, 8>, Relu, Dense<8, 1>], 2, 1>;

/// Deterministic weights between scalers fitted on `data/ethanol.csv` (no training, so the
/// same bits on every CPU).
fn ethanol_model() -> (Ethanol, constnet::Dataset<f32, 2, 1>) {
    let data = constnet::Dataset::<f32, 2, 1>::from_csv_columns_path(
        root().join("data/ethanol.csv"),
        ["compression", "equivalence"],
        ["nox"],
    )
    .unwrap();
    let mut net = <net![Dense<2, 8>, Relu, Dense<8, 1>] as Params<f32>>::zeros();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    for i in 0..<net![Dense<2, 8>, Relu, Dense<8, 1>] as Params<f32>>::TENSORS {
        for v in net.tensor_mut(i) {
            *v = rng.random_range(-1.0..1.0);
        }
    }
    (Ethanol::from_data(net, data.x(), data.y()).unwrap(), data)
}

/// The committed export of [`ethanol_model`], compiled into this test.
mod ethanol_scaled {
    include!("fixtures/ethanol_scaled.rs");
}

/// The export of a two-input `Scaled` model compiles and takes raw compression and
/// equivalence ratios to raw NOx, bit for bit as the host model does.
#[test]
fn exported_two_input_scaled_model_takes_raw_units_bit_for_bit() {
    let (model, data) = ethanol_model();
    check_fixture(
        &root().join("tests/it/fixtures/ethanol_scaled.rs"),
        &export::encode(&model),
    );
    let compiled: &Ethanol = &ethanol_scaled::MODEL;
    assert_eq!(compiled, &model);
    for x in data.x().column_iter() {
        let x = SVector::<f32, 2>::from([x[0], x[1]]);
        assert_eq!(
            compiled.forward(&x)[0].to_bits(),
            model.forward(&x)[0].to_bits()
        );
    }
    // Raw units in: the input scaler is not the identity.
    assert!(model.input.mean[0] > 10.0 && model.input.std[1] < 1.0);
}
