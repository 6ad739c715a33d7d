//! `Confusion` against scikit-learn (`tools/sklearn_cls_fixture.py`): the confusion matrix,
//! per-class precision, recall, F1 and support, macro F1 and accuracy, on labels where one
//! class is never predicted and another never true; and `eval::confusion`, which scores a
//! classifier block by block in memory that does not grow with the data.

use constnet::eval::{self, BLOCK};
use constnet::metrics::Confusion;
use constnet::{Dense, Error, Forward, Init, InitScheme, Relu, net};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};
use serde_json::Value;

use crate::counting::allocations;
use crate::export::root;

fn fixture() -> Value {
    let path = root().join("tests/it/fixtures/sklearn_classification.json");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["metrics"].clone()
}

fn ints(v: &Value) -> Vec<usize> {
    let values = v.as_array().unwrap().iter();
    values.map(|x| x.as_u64().unwrap() as usize).collect()
}

fn floats(v: &Value) -> Vec<f64> {
    let values = v.as_array().unwrap().iter();
    values
        .map(|x| x.as_str().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn metrics_equal_scikit_learns() {
    let m = fixture();
    assert_eq!(m["classes"], 5);
    let (truth, pred) = (ints(&m["y_true"]), ints(&m["y_pred"]));
    let mut c = Confusion::<5>::new();
    for (&t, &p) in truth.iter().zip(&pred) {
        c.add(t, p).unwrap();
    }
    let sklearn: Vec<Vec<usize>> = m["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .map(ints)
        .collect();
    for (t, row) in sklearn.iter().enumerate() {
        let ours: Vec<usize> = c.counts()[t].iter().map(|&v| v as usize).collect();
        assert_eq!(&ours, row, "true class {t}");
    }
    // Class 3 is never predicted (precision 0 by zero_division=0), class 4 never true
    // (recall 0): the fixture holds both edge cases.
    assert_eq!((c.predicted(3), c.support(4)), (0, 0));

    // Exact equality, not closeness: each score is one correctly rounded division of the
    // same integers on both sides (precision tp / predicted, recall tp / support, F1
    // 2·tp / (support + predicted), accuracy hits / total); macro F1 sums the five F1s in
    // index order (NumPy's sum of fewer than 8 values is a plain loop) and divides by 5.
    let (precision, recall, f1) = (
        floats(&m["precision"]),
        floats(&m["recall"]),
        floats(&m["f1"]),
    );
    let support = ints(&m["support"]);
    for k in 0..5 {
        assert_eq!(c.precision(k), precision[k], "precision {k}");
        assert_eq!(c.recall(k), recall[k], "recall {k}");
        assert_eq!(c.f1(k), f1[k], "F1 {k}");
        assert_eq!(c.support(k) as usize, support[k], "support {k}");
    }
    let number = |key: &str| m[key].as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(c.macro_f1(), number("macro_f1"));
    assert_eq!(c.accuracy().unwrap(), number("accuracy"));
    assert_eq!(c.total() as usize, truth.len());
    // Blocks merge to the whole: two halves give the same matrix.
    let (mut a, mut b) = (Confusion::<5>::new(), Confusion::<5>::new());
    for (i, (&t, &p)) in truth.iter().zip(&pred).enumerate() {
        if i < 25 { &mut a } else { &mut b }.add(t, p).unwrap();
    }
    a.merge(&b);
    assert_eq!(a, c);
}

type Classifier = net![Dense<2, 16>, Relu, Dense<16, 4>];
type Inputs = OMatrix<f32, Const<2>, Dyn>;

fn classifier() -> Classifier {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(11), InitScheme::He)
}

fn data(n: usize, seed: u64) -> (Inputs, Vec<u16>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Inputs::from_fn(n, |_, _| rng.random_range(-3.0..3.0));
    let labels = (0..n).map(|_| rng.random_range(0..4u16)).collect();
    (x, labels)
}

/// The matrix sample by sample: the largest of the network's own outputs for each column
/// (the first on a tie), no blocks.
fn one_by_one(net: &Classifier, x: &Inputs, labels: &[u16]) -> Confusion<4> {
    let out = net.forward(x);
    let mut c = Confusion::new();
    for (j, col) in out.column_iter().enumerate() {
        let best = (0..4).fold(0, |b, k| if col[k] > col[b] { k } else { b });
        c.add(usize::from(labels[j]), best).unwrap();
    }
    c
}

#[test]
fn eval_confusion_is_the_per_sample_matrix_over_many_blocks() {
    let net = classifier();
    for n in [1, 7, BLOCK, 3 * BLOCK + 17] {
        let (x, labels) = data(n, n as u64);
        let c = eval::confusion(&net, &x, &labels).unwrap();
        assert_eq!(c, one_by_one(&net, &x, &labels), "n {n}");
        assert_eq!(c.total() as usize, n);
    }
}

#[test]
fn eval_confusion_streams_in_bounded_memory() {
    // One workspace for every block: as many allocations for 64 blocks as for 4.
    let net = classifier();
    let (small_x, small_y) = data(4 * BLOCK, 1);
    let (big_x, big_y) = data(64 * BLOCK, 2);
    let (s, small) = allocations(|| eval::confusion(&net, &small_x, &small_y).unwrap());
    let (b, big) = allocations(|| eval::confusion(&net, &big_x, &big_y).unwrap());
    assert_eq!(
        (s.total(), b.total()),
        (4 * BLOCK as u64, 64 * BLOCK as u64)
    );
    assert_eq!(small, big);
}

#[test]
fn eval_confusion_errors_are_located_in_the_whole_data() {
    let net = classifier();
    let (x, mut labels) = data(3 * BLOCK, 3);
    // A label past K in the third block: named by its sample index, not its block's.
    labels[2 * BLOCK + 5] = 4;
    match eval::confusion(&net, &x, &labels) {
        Err(Error::InvalidLabel {
            index,
            label: 4,
            classes: 4,
            ..
        }) => assert_eq!(index, 2 * BLOCK + 5),
        other => panic!("{other:?}"),
    }
    labels[2 * BLOCK + 5] = 0;
    // A NaN output (an input that overflows the first layer) in the second block: its
    // first output value's index, sample · K.
    let mut bad = x.clone();
    bad[(0, BLOCK + 3)] = f32::NAN;
    match eval::confusion(&net, &bad, &labels) {
        Err(Error::NonFinite {
            what: "prediction",
            index,
        }) => assert_eq!(index, (BLOCK + 3) * 4),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        eval::confusion(&net, &x, &labels[1..]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        eval::confusion(&net, &Inputs::zeros(0), &[]),
        Err(Error::EmptyData)
    ));
}
