//! Firmware export: the committed firmware model is fresh and predicts bit-for-bit what
//! the loaded network does, and exported source compiles for f64 and every activation.
//!
//! The fixtures are generated, never edited. To regenerate them (after a format change or
//! to retrain), run `CONSTNET_BLESS=1 cargo test --test it export`, then `cargo test` again.

use std::path::{Path, PathBuf};

use constnet::nalgebra::{SMatrix, SVector};
use constnet::{
    AdamConfig, Dense, Forward, Identity, Init, InitScheme, Optimizer, Params, Real, Relu, Sigmoid,
    Tanh, export, loss, net, persist,
};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// The firmware's network: the type `firmware/src/model.rs` declares.
type Firmware = net![Dense<1, 16>, Relu, Dense<16, 16>, Relu, Dense<16, 1>];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("CONSTNET_BLESS").is_some()
}

/// Every parameter's bits.
fn bits<T: Real, N: Params<T>>(net: &N) -> Vec<Vec<u64>> {
    (0..N::TENSORS)
        .map(|i| {
            net.tensor(i)
                .iter()
                .map(|&v| v.as_f64().to_bits())
                .collect()
        })
        .collect()
}

/// 64 evenly spaced points of the cubic y = x³ on [−2, 2], one per column.
fn cubic() -> (SMatrix<f32, 1, 64>, SMatrix<f32, 1, 64>) {
    let x = SMatrix::from_fn(|_, j| -2.0 + 4.0 * j as f32 / 63.0);
    (x, x.map(|v| v * v * v))
}

/// How the committed firmware model was made: He init from seed 2024, then 600 full-batch
/// Adam steps (lr 0.01) on [`cubic`]. Deterministic on a given platform.
fn train_firmware_model() -> Firmware {
    let mut net: Firmware =
        Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(2024), InitScheme::He);
    let mut adam = AdamConfig {
        lr: 0.01,
        ..AdamConfig::default()
    }
    .build()
    .unwrap();
    let (x, y) = cubic();
    for _ in 0..600 {
        let (pred, mut cache) = net.forward_train(&x);
        let grad_pred = loss::mse_grad(&pred, &y).unwrap();
        let (_, grad) = net.backward(&x, &mut cache, &grad_pred).unwrap();
        adam.step(&mut net, &grad);
    }
    net
}

/// Compares `path`'s contents with `expected`, or (when blessing) writes them.
fn check_fixture(path: &Path, expected: &str) {
    if bless() {
        std::fs::write(path, expected).unwrap();
    }
    let found = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        found == expected,
        "{} is stale: run `CONSTNET_BLESS=1 cargo test --test it export`",
        path.display()
    );
}

fn model_cnet() -> PathBuf {
    root().join("firmware/model.cnet")
}

/// The committed model (retrained and saved first, once, when blessing).
fn load_firmware_model() -> &'static Firmware {
    static MODEL: std::sync::OnceLock<Firmware> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        if bless() {
            persist::save(&train_firmware_model(), model_cnet()).unwrap();
        }
        persist::load(model_cnet()).unwrap()
    })
}

#[test]
fn committed_firmware_source_is_the_export_of_the_committed_model() {
    let net = load_firmware_model();
    check_fixture(
        &root().join("firmware/src/model.rs"),
        &export::export_rs(net),
    );
}

#[test]
fn committed_firmware_model_fits_the_cubic() {
    let net = load_firmware_model();
    let (x, y) = cubic();
    let mse = loss::mse(&net.forward(&x), &y).unwrap();
    // y = x³ on [−2, 2] has variance ≈ 9.1 on these points.
    assert!(mse < 0.05, "firmware model MSE {mse}"); // 0.0017 when committed
}

#[test]
fn firmware_predicts_bit_for_bit_what_the_loaded_model_does() {
    let net = load_firmware_model();
    assert_eq!(bits(&firmware::MODEL), bits(net));
    assert_eq!(bits(&firmware::NET), bits(net));
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
    Identity
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
    net.first.first.first.first.first.first.first.w[(1, 0)] = -0.0;
    net.first.first.first.first.first.first.first.b[2] = 5e-324;
    net.first.first.first.first.first.first.first.w[(2, 1)] = 0.1;
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
        &export::export_rs(&net),
    );
    let compiled: &AllActivations = &all_activations_f64::MODEL;
    assert_eq!(bits(compiled), bits(&net));
    let x = SMatrix::<f64, 2, 3>::from([[0.5, -1.0], [2.0, 0.0], [-0.25, 3.0]]);
    let (a, b) = (compiled.forward(&x), net.forward(&x));
    assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
}

#[test]
fn exported_source_names_every_layer() {
    let src = export::export_rs(&all_activations());
    for name in ["Relu", "Sigmoid", "Tanh", "Identity"] {
        assert!(
            src.contains(&format!("constnet::{name}>")),
            "type lacks {name}"
        );
        assert!(
            src.contains(&format!("constnet::{name},")),
            "value lacks {name}"
        );
    }
    assert!(src.contains("f64::from_bits(0x8000000000000000)")); // -0.0
    assert!(src.contains("f64::from_bits(0x0000000000000001)")); // 5e-324
    assert!(src.contains("f64::from_bits(0x3fb999999999999a)")); // 0.1
    assert!(src.starts_with("// Generated by `constnet::export`"));
    assert!(src.ends_with("};\n"));
}

#[test]
fn write_rs_writes_the_same_text_atomically() {
    let dir = std::env::temp_dir().join(format!("constnet-it-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.rs");
    std::fs::write(&path, "old").unwrap();
    export::write_rs(load_firmware_model(), &path).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let entries = std::fs::read_dir(&dir).unwrap().count();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(written, export::export_rs(load_firmware_model()));
    assert_eq!(entries, 1);
    let missing = root().join("no-such-dir/model.rs");
    assert!(export::write_rs(load_firmware_model(), &missing).is_err());
    assert!(!missing.exists());
}
