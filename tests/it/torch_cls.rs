//! A classifier across the PyTorch boundary, both ways. `tools/torch_cls_fixture.py` (numpy +
//! the `safetensors` package) writes the state dict of `nn.Sequential(Linear(4, 16), ReLU,
//! Linear(16, 16), ReLU, Linear(16, 3))` and its logits, softmax (applied outside the
//! model, as PyTorch does) and classes in float64; the typed network loads it and answers
//! the same class on every row with the same probabilities to float32 rounding. The other
//! way, a classifier constnet made is saved as the same state dict
//! (`fixtures/torch_cls_constnet.safetensors`, with its logits in
//! `fixtures/torch_cls_constnet_pred.csv`), which `python3 tools/torch_cls_fixture.py
//! --check` loads with numpy: keys, dtypes, shapes, and the same predictions.
//!
//! Regenerate: `python3 tools/torch_cls_fixture.py`; then the constnet side with
//! `CONSTNET_BLESS=1 cargo test -p constnet-tests --test it torch_cls`, and check it with
//! `python3 tools/torch_cls_fixture.py --check`.

use constnet::nalgebra::SVector;
use constnet::safetensors::{self, Options};
use constnet::{Dense, Forward, Init, InitScheme, Relu, Softmax, net};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use serde_json::Value;

use crate::common::bits;
use crate::export::root;

/// The PyTorch classifier: logits out.
type Logits = net![Dense<4, 16>, Relu, Dense<16, 16>, Relu, Dense<16, 3>];
/// The same with the softmax as its last module (`nn.Softmax(dim=1)`, no tensors).
type Probs = net![Dense<4, 16>, Relu, Dense<16, 16>, Relu, Dense<16, 3>, Softmax];

fn fixture(name: &str) -> std::path::PathBuf {
    root().join("tests/it/fixtures").join(name)
}

/// Rows of a CSV of numbers, header skipped.
fn rows(name: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let parse = |l: &str| l.split(',').map(|s| s.parse().unwrap()).collect();
    text.lines().skip(1).map(parse).collect()
}

/// One of numpy's rows: an input, its logits, probabilities and class.
struct Row {
    x: [f32; 4],
    z: [f64; 3],
    p: [f64; 3],
    class: usize,
}

fn numpy() -> Vec<Row> {
    rows("torch_cls_pred.csv")
        .into_iter()
        .map(|v| {
            assert!(
                v[..4].iter().all(|&x| x as f32 as f64 == x),
                "inputs are f32 values"
            );
            Row {
                x: [v[0], v[1], v[2], v[3]].map(|x| x as f32),
                z: [v[4], v[5], v[6]],
                p: [v[7], v[8], v[9]],
                class: v[10] as usize,
            }
        })
        .collect()
}

/// Per logit, `|W|·|h| + |b|` layer by layer in f64 (ReLU cannot grow a magnitude): it
/// bounds every partial sum, so it scales float32 rounding.
fn magnitude(net: &Logits, x: [f32; 4]) -> [f64; 3] {
    fn layer<const I: usize, const O: usize>(d: &Dense<I, O>, h: &[f64]) -> Vec<f64> {
        (0..O)
            .map(|r| {
                (0..I)
                    .map(|c| f64::from(d.w[(r, c)].abs()) * h[c])
                    .sum::<f64>()
                    + f64::from(d.b[r].abs())
            })
            .collect()
    }
    let h: Vec<f64> = x.iter().map(|v| f64::from(v.abs())).collect();
    let h = layer(&net.first.first.first.first, &h);
    let h = layer(&net.first.first.second, &h);
    let z = layer(&net.second, &h);
    [z[0], z[1], z[2]]
}

/// Float32 rounding of a logit, relative to its [`magnitude`]: a dot product of `n` terms
/// plus a bias is within `γ(n+1) ≈ (n+1)·u` of the sum of magnitudes (`u = 2^-24`), and
/// ReLU does not grow errors, so layers of 4, 16 and 16 inputs add `(5 + 17 + 17)·u = 39·u`
/// to first order; 64·u leaves room for second-order terms.
const LOGIT_TOL: f64 = 64.0 / 16_777_216.0;
const U: f64 = 1.0 / 16_777_216.0;

/// The largest `|constnet − numpy| / bound` over every logit and probability, and whether
/// every row's class is numpy's.
///
/// Probabilities: logits off by at most `Δ` (the largest logit bound of the row) move
/// `p_k = e^{z_k − lse}` by a relative `e^{2Δ} − 1 ≈ 2Δ`; float32's softmax adds the rounding
/// of `z_k − max` (`u·|z_k − max|`), of `exp` and of the 3-term sum and the division (a few
/// `u`): a relative `2Δ + (|z_k − max| + 6)·u`, doubled for second-order terms.
fn compare(net: &Logits, probs: &Probs) -> (f64, bool) {
    let (mut worst, mut same) = (0.0f64, true);
    for Row { x, z, p, class } in numpy() {
        let input = SVector::from(x);
        let ours = net.forward(&input);
        let bound = magnitude(net, x).map(|m| LOGIT_TOL * m);
        let delta = bound.iter().copied().fold(0.0, f64::max);
        for k in 0..3 {
            worst = worst.max((f64::from(ours[k]) - z[k]).abs() / bound[k]);
        }
        let best = (0..3).fold(0, |b, k| if ours[k] > ours[b] { k } else { b });
        same &= best == class;
        let q = probs.forward(&input);
        let max = z.iter().copied().fold(f64::MIN, f64::max);
        for k in 0..3 {
            let tol = 2.0 * p[k] * (2.0 * delta + ((z[k] - max).abs() + 6.0) * U);
            worst = worst.max((f64::from(q[k]) - p[k]).abs() / tol);
        }
    }
    (worst, same)
}

#[test]
fn pytorch_classifier_answers_the_same_class_with_the_same_probabilities() {
    let path = fixture("torch_cls.safetensors");
    let net: Logits = safetensors::load(&path).unwrap();
    // The trailing softmax is one more nn.Sequential slot without tensors: the same file.
    let probs: Probs = safetensors::load(&path).unwrap();
    assert_eq!(numpy().len(), 96);
    let classes: std::collections::BTreeSet<usize> = numpy().iter().map(|r| r.class).collect();
    assert_eq!(classes.len(), 3, "every class answered somewhere");
    let (worst, same) = compare(&net, &probs);
    eprintln!("worst |constnet - numpy| / bound: {worst:.4}");
    assert!(same, "a row's class differs");
    assert!(worst <= 1.0, "{worst}");
    // The comparison can fail: with the square 16×16 weight read transposed (which no shape
    // check can catch), the logits and probabilities miss the bound.
    let (mut t, mut tp) = (net.clone(), probs.clone());
    t.first.first.second.w.transpose_mut();
    tp.first.first.first.second.w.transpose_mut();
    assert!(compare(&t, &tp).0 > 1.0);
}

/// A safetensors file's header without `__metadata__`: per key, dtype, shape and offsets.
fn header(bytes: &[u8]) -> Value {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut json: Value = serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    json.as_object_mut().unwrap().remove("__metadata__");
    json
}

/// The tensors' bytes after the header.
fn data(bytes: &[u8]) -> &[u8] {
    &bytes[8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize..]
}

#[test]
fn the_imported_classifier_saves_back_as_the_same_state_dict() {
    let theirs = std::fs::read(fixture("torch_cls.safetensors")).unwrap();
    let net: Logits = safetensors::decode(&theirs, &Options::default()).unwrap();
    let ours = safetensors::encode(&net, &Options::default()).unwrap();
    // Keys, dtypes, shapes (PyTorch's (out, in)), offsets and every value's bytes.
    assert_eq!(header(&ours), header(&theirs));
    assert_eq!(data(&ours), data(&theirs));
    let keys = [
        "0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight",
    ];
    assert_eq!(safetensors::keys(&ours).unwrap(), keys);
    assert_eq!(
        header(&ours)["2.weight"]["shape"],
        serde_json::json!([16, 16])
    );
    assert_eq!(
        header(&ours)["4.weight"]["shape"],
        serde_json::json!([3, 16])
    );
}

/// The classifier constnet makes for the numpy side: Glorot-uniform weights (scikit-learn
/// MLPClassifier's init) from a seed, so the file is the same bits on every machine.
fn constnet_classifier() -> Logits {
    Init::init(
        &mut Xoshiro256PlusPlus::seed_from_u64(24),
        InitScheme::XavierUniform,
    )
}

#[test]
fn constnets_classifier_file_is_a_pytorch_state_dict() {
    let net = constnet_classifier();
    let bytes = safetensors::encode(&net, &Options::default()).unwrap();
    let path = fixture("torch_cls_constnet.safetensors");
    // Its logits on numpy's inputs, for `tools/torch_cls_fixture.py --check`.
    let mut csv = String::from("x0,x1,x2,x3,z0,z1,z2\n");
    for Row { x, .. } in numpy() {
        let z = net.forward(&SVector::from(x));
        // Each f32 widened to f64, written to round-trip: the exact value on both sides.
        let values: Vec<String> = x
            .iter()
            .chain(z.iter())
            .map(|&v| format!("{:?}", f64::from(v)))
            .collect();
        csv.push_str(&values.join(","));
        csv.push('\n');
    }
    let csv_path = fixture("torch_cls_constnet_pred.csv");
    if std::env::var_os("CONSTNET_BLESS").is_some() {
        std::fs::write(&path, &bytes).unwrap();
        std::fs::write(&csv_path, &csv).unwrap();
    }
    // The committed logits are this network's on numpy's inputs: the same inputs, and
    // logits within twice the float32 bound of today's (the forward kernels are chosen at
    // run time, so another CPU may round differently; the blessing machine's and this one's
    // are each within one bound of the exact value).
    let committed_rows = rows("torch_cls_constnet_pred.csv");
    assert_eq!(
        committed_rows.len(),
        numpy().len(),
        "{} is stale",
        csv_path.display()
    );
    for (row, Row { x, .. }) in committed_rows.iter().zip(numpy()) {
        assert_eq!(
            row[..4],
            x.map(f64::from),
            "{} is stale",
            csv_path.display()
        );
        let z = net.forward(&SVector::from(x));
        let bound = magnitude(&net, x);
        for k in 0..3 {
            let off = (row[4 + k] - f64::from(z[k])).abs();
            assert!(
                off <= 2.0 * LOGIT_TOL * bound[k],
                "{} is stale",
                csv_path.display()
            );
        }
    }
    let committed = std::fs::read(&path).unwrap();
    // The committed file is this network (its metadata names the crate's version, so only
    // the tensors are compared), and reads back bit for bit.
    assert_eq!(
        header(&committed),
        header(&bytes),
        "{} is stale",
        path.display()
    );
    assert_eq!(
        data(&committed),
        data(&bytes),
        "{} is stale",
        path.display()
    );
    let back: Logits = safetensors::decode(&committed, &Options::default()).unwrap();
    assert_eq!(bits(&back), bits(&net));
    let meta = safetensors::metadata(&committed).unwrap();
    assert_eq!(meta.get("format").map(String::as_str), Some("pt"));
}
