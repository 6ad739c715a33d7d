//! `KFold::stratified` against scikit-learn's `StratifiedKFold(k, shuffle=True)`
//! (`tools/sklearn_cls_fixture.py`, `tests/it/fixtures/sklearn_classification.json`).
//!
//! Which sample of a class lands in which fold comes from each side's RNG (NumPy's Mersenne
//! Twister there, rand's here), so the folds cannot be the same samples. What the protocol
//! fixes is the allocation — how many samples of each class every test fold holds, fold by
//! fold — and that is compared exactly, for several seeds; then the partition (every sample
//! in exactly one test fold, train its complement) and seeded determinism.

use constnet::Error;
use constnet::data::{KFold, Labeled};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use serde_json::Value;

use crate::export::root;

struct Case {
    name: String,
    k: usize,
    labels: Vec<u16>,
    /// `counts[i][c]`: samples of label `c` in sklearn's test fold `i`.
    counts: Vec<Vec<usize>>,
}

fn cases() -> Vec<Case> {
    let path = root().join("tests/it/fixtures/sklearn_classification.json");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ints = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    json["stratified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_owned(),
            k: c["k"].as_u64().unwrap() as usize,
            labels: ints(&c["labels"]).into_iter().map(|v| v as u16).collect(),
            counts: c["fold_class_counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| ints(row).into_iter().map(|v| v as usize).collect())
                .collect(),
        })
        .collect()
}

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Samples of each label in `indices`.
fn class_counts(labels: &[u16], indices: &[usize], classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    for &j in indices {
        counts[usize::from(labels[j])] += 1;
    }
    counts
}

#[test]
fn every_fold_holds_scikit_learns_class_counts() {
    let cases = cases();
    assert_eq!(cases.len(), 6);
    for case in &cases {
        let classes = case.counts[0].len();
        for seed in 0..5 {
            let folds = KFold::stratified(&case.labels, case.k, &mut rng(seed)).unwrap();
            assert_eq!((folds.k(), folds.samples()), (case.k, case.labels.len()));
            for (i, want) in case.counts.iter().enumerate() {
                let test = folds.test(i).unwrap();
                assert_eq!(
                    &class_counts(&case.labels, test, classes),
                    want,
                    "{}: seed {seed}, fold {i}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn every_sample_is_in_exactly_one_test_fold() {
    for case in cases() {
        let n = case.labels.len();
        let folds = KFold::stratified(&case.labels, case.k, &mut rng(7)).unwrap();
        let mut seen = vec![0; n];
        for i in 0..case.k {
            let (test, train) = (folds.test(i).unwrap(), folds.train(i).unwrap());
            assert!(
                test.windows(2).all(|w| w[0] < w[1]),
                "{}: test not ascending",
                case.name
            );
            assert!(
                train.windows(2).all(|w| w[0] < w[1]),
                "{}: train not ascending",
                case.name
            );
            assert_eq!(test.len() + train.len(), n);
            for &j in test {
                seen[j] += 1;
                assert!(
                    train.binary_search(&j).is_err(),
                    "{}: {j} in both",
                    case.name
                );
            }
        }
        assert!(seen.iter().all(|&s| s == 1), "{}: {seen:?}", case.name);
    }
}

#[test]
fn folds_are_seeded_and_shuffled() {
    let digits = cases()
        .into_iter()
        .find(|c| c.name.starts_with("digits"))
        .unwrap();
    let a = KFold::stratified(&digits.labels, 5, &mut rng(1)).unwrap();
    assert_eq!(
        a,
        KFold::stratified(&digits.labels, 5, &mut rng(1)).unwrap()
    );
    assert_ne!(
        a,
        KFold::stratified(&digits.labels, 5, &mut rng(2)).unwrap()
    );
    // Shuffled within each class: without the shuffle, sklearn's blocks put each class's
    // first samples (in file order) in fold 0. The chance that a shuffle keeps class 0's
    // 36 test samples of fold 0 exactly its first 36 is 1 / C(178, 36).
    let zeros: Vec<usize> = (0..digits.labels.len())
        .filter(|&j| digits.labels[j] == 0)
        .collect();
    let fold0: Vec<usize> = a
        .test(0)
        .unwrap()
        .iter()
        .copied()
        .filter(|&j| digits.labels[j] == 0)
        .collect();
    assert_ne!(fold0, zeros[..fold0.len()]);
}

#[test]
fn the_digits_labels_are_the_csv_files() {
    // The fixture's digits case is data/digits.csv's label column, in file order, as the
    // classifier data reader sees it.
    let names: Vec<String> = (0..64)
        .map(|i| format!("pixel_{}_{}", i / 8, i % 8))
        .collect();
    let inputs: [&str; 64] = core::array::from_fn(|i| names[i].as_str());
    let path = root().join("data/digits.csv");
    let data = Labeled::<f32, 64, 10>::from_csv_labels_path(path, inputs, "digit").unwrap();
    let digits = cases()
        .into_iter()
        .find(|c| c.name.starts_with("digits"))
        .unwrap();
    assert_eq!(data.y().as_slice(), digits.labels.as_slice());
    assert_eq!(data.len(), 1797);
}

#[test]
fn too_many_folds_is_scikit_learns_error_and_a_small_class_is_allowed() {
    // More folds than every class has samples: sklearn's ValueError, here `k`'s.
    let labels = [0, 0, 1, 1, 1, 2, 2];
    match KFold::stratified(&labels, 4, &mut rng(0)) {
        Err(Error::InvalidParameter { name: "k", reason }) => {
            assert!(reason.contains("any class"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // More folds than *some* class: allowed (sklearn warns); that class misses a fold.
    let folds = KFold::stratified(&labels, 3, &mut rng(0)).unwrap();
    let with_class_2 = (0..3)
        .filter(|&i| folds.test(i).unwrap().iter().any(|&j| labels[j] == 2))
        .count();
    assert_eq!(with_class_2, 2);
    for k in [0, 1, 8] {
        assert!(matches!(
            KFold::stratified(&labels, k, &mut rng(0)),
            Err(Error::InvalidParameter { name: "k", .. })
        ));
    }
}
