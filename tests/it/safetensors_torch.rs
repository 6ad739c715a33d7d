//! Proof against the other side: files written with PyTorch's key layout and conventions by
//! `tools/torch_fixture.py` (numpy + the `safetensors` package) load into the typed network
//! and predict what numpy computed; the firmware export of the imported network predicts
//! bit for bit what host inference does.
//!
//! The fixtures are generated, never edited: `python3 tools/torch_fixture.py` writes
//! `fixtures/torch_seq*.{safetensors,csv}`; the exported source `fixtures/torch_seq.rs`:
//! `CONSTNET_BLESS=1 cargo test -p constnet-tests --test it safetensors_torch`, then
//! `cargo test -p constnet-tests` again.

use constnet::nalgebra::SVector;
use constnet::safetensors::{self, Keys, Options};
use constnet::{Dense, Forward, Relu, Tanh, export, net};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::common::bits;
use crate::export::{check_fixture, root};

/// `nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))`.
type TorchSeq = net![Dense<2, 8>, Relu, Dense<8, 8>, Tanh, Dense<8, 1>];

fn fixture(name: &str) -> std::path::PathBuf {
    root().join("tests/it/fixtures").join(name)
}

/// `(x, y_f32, y_f16)` rows of the numpy predictions.
fn predictions() -> Vec<([f32; 2], f64, f64)> {
    let text = std::fs::read_to_string(fixture("torch_seq_pred.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
            // The inputs are float32 values, written exactly.
            assert_eq!(v[0] as f32 as f64, v[0]);
            ([v[0] as f32, v[1] as f32], v[2], v[3])
        })
        .collect()
}

/// The network on absolute values: `|W|·|x| + |b|` layer by layer (|ReLU(z)|, |tanh(z)| ≤
/// |z|), in f64. It bounds every partial sum, so it scales the float32 rounding bound.
fn magnitude(net: &TorchSeq, x: [f32; 2]) -> f64 {
    let abs_layer = |w: &[f32], b: &[f32], rows: usize, h: &[f64]| -> Vec<f64> {
        (0..rows)
            .map(|r| {
                let dot: f64 = h
                    .iter()
                    .enumerate()
                    .map(|(c, v)| (w[c * rows + r] as f64).abs() * v)
                    .sum();
                dot + (b[r] as f64).abs()
            })
            .collect()
    };
    let l1 = &net.first.first.first.first;
    let l2 = &net.first.first.second;
    let l3 = &net.second;
    let h = [x[0].abs() as f64, x[1].abs() as f64];
    let h = abs_layer(l1.w.as_slice(), l1.b.as_slice(), 8, &h);
    let h = abs_layer(l2.w.as_slice(), l2.b.as_slice(), 8, &h);
    abs_layer(l3.w.as_slice(), l3.b.as_slice(), 1, &h)[0]
}

/// Float32 rounding bound relative to [`magnitude`]. A dot product of n terms plus a bias
/// rounds by at most γ(n+1) ≈ (n+1)·u of the sum of magnitudes (u = 2^-24), and ReLU and
/// tanh do not grow errors (Lipschitz 1), so the layers (2, 8, 8 inputs) add up to
/// (3 + 9 + 9)·u, plus ≈ 2·u for libm's tanhf: 23·u to first order. 32·u leaves room for
/// second-order terms; a transposed or misplaced weight misses by orders of magnitude.
const TOLERANCE: f64 = 32.0 / 16_777_216.0;

/// The largest `|constnet − numpy| / bound` over the predictions: ≤ 1 is a pass.
fn worst_ratio(net: &TorchSeq, column: fn(&([f32; 2], f64, f64)) -> f64) -> f64 {
    let mut worst: f64 = 0.0;
    for row in predictions() {
        let y = net.forward(&SVector::from(row.0))[0] as f64;
        let bound = TOLERANCE * magnitude(net, row.0);
        worst = worst.max((y - column(&row)).abs() / bound);
    }
    eprintln!("worst |constnet - numpy| / bound: {worst:.4}");
    worst
}

fn imported() -> TorchSeq {
    safetensors::load(fixture("torch_seq.safetensors")).unwrap()
}

#[test]
fn pytorch_f32_state_dict_predicts_what_numpy_does() {
    let net = imported();
    assert!(worst_ratio(&net, |r| r.1) <= 1.0);
    assert_eq!(predictions().len(), 68);
    // The file is PyTorch's: no constnet keys, PyTorch's metadata only.
    let bytes = std::fs::read(fixture("torch_seq.safetensors")).unwrap();
    let meta = safetensors::metadata(&bytes).unwrap();
    assert_eq!(
        meta.into_iter().collect::<Vec<_>>(),
        [("format".into(), "pt".into())]
    );
}

#[test]
fn pytorch_f16_state_dict_with_a_prefix() {
    let opts = Options::default().keys(Keys::default().prefix("model."));
    let net: TorchSeq =
        safetensors::load_with(fixture("torch_seq_f16.safetensors"), &opts).unwrap();
    assert!(worst_ratio(&net, |r| r.2) <= 1.0);
    // The check can fail: the f32 weights against the f16 predictions, or a weight matrix
    // read transposed (square 8×8, so the shape check cannot catch it), miss the bound.
    assert!(worst_ratio(&imported(), |r| r.2) > 1.0);
    let mut transposed = imported();
    transposed.first.first.second.w.transpose_mut();
    assert!(worst_ratio(&transposed, |r| r.1) > 1.0);
    // Half precision differs from the f32 weights: the f16 predictions are not the f32 ones.
    assert!(predictions().iter().any(|r| (r.1 - r.2).abs() > 1e-5));
}

#[test]
fn constnet_writes_back_the_same_pytorch_file() {
    // Keys, shapes, dtype, offsets: byte for byte what the safetensors package wrote
    // (both sort tensors by dtype, then name; the metadata differs, so compare tensors).
    let net = imported();
    let ours = safetensors::encode(&net, &Options::default()).unwrap();
    let theirs = std::fs::read(fixture("torch_seq.safetensors")).unwrap();
    let data = |b: &[u8]| b[8 + u64::from_le_bytes(b[..8].try_into().unwrap()) as usize..].to_vec();
    assert_eq!(data(&ours), data(&theirs));
    assert_eq!(
        safetensors::keys(&ours).unwrap(),
        safetensors::keys(&theirs).unwrap()
    );
}

/// The same network in f64.
type TorchSeq64 = net![Dense<2, 8, f64>, Relu, Dense<8, 8, f64>, Tanh, Dense<8, 1, f64>];

/// Both numpy and constnet compute in f64 here, each within 23·u₆₄ of the exact network
/// (same argument as [`TOLERANCE`], u₆₄ = 2^-53): their difference within 46·u₆₄, so 64·u₆₄.
const TOLERANCE_F64: f64 = 64.0 / 9_007_199_254_740_992.0;

#[test]
fn custom_module_names_in_f64() {
    // `fc1`, `fc2`, `out` as a custom nn.Module names its Linear layers (the activations'
    // names are never looked up: they hold no tensors).
    let names = Keys::default().names(["fc1", "relu", "fc2", "tanh", "out"]);
    let opts = Options::default().keys(names);
    let path = fixture("torch_seq_f64.safetensors");
    // Into f32: the F64 values are f32 values widened, so they round back exactly.
    let net32: TorchSeq = safetensors::load_with(&path, &opts).unwrap();
    assert_eq!(bits(&net32), bits(&imported()));
    // Into f64: numpy's float64 predictions, to f64 rounding.
    let net64: TorchSeq64 = safetensors::load_with(&path, &opts).unwrap();
    let mut worst: f64 = 0.0;
    for (x, y, _) in predictions() {
        let got = net64.forward(&SVector::from([x[0] as f64, x[1] as f64]))[0];
        worst = worst.max((got - y).abs() / (TOLERANCE_F64 * magnitude(&net32, x)));
    }
    eprintln!("f64: worst |constnet - numpy| / bound: {worst:.4}");
    assert!(worst <= 1.0);
    // Sequential indices do not find these keys.
    assert!(safetensors::load::<f32, TorchSeq>(&path).is_err());
}

/// The committed export of the imported network, compiled into this test.
mod torch_seq_rs {
    include!("fixtures/torch_seq.rs");
}

#[test]
fn firmware_export_of_the_imported_network_matches_host_bit_for_bit() {
    let net = imported();
    check_fixture(&fixture("torch_seq.rs"), &export::encode(&net));
    let compiled: &TorchSeq = &torch_seq_rs::MODEL;
    assert_eq!(bits(compiled), bits(&net));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(14);
    let mut inputs: Vec<[f32; 2]> = predictions().into_iter().map(|r| r.0).collect();
    inputs.extend((0..2000).map(|_| [rng.random_range(-4.0..4.0), rng.random_range(-4.0..4.0)]));
    for x in inputs {
        let x = SVector::from(x);
        assert_eq!(
            compiled.forward(&x)[0].to_bits(),
            net.forward(&x)[0].to_bits(),
            "x = {x:?}"
        );
    }
}
