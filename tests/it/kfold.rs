//! `KFold`, `Dataset::kfold` / `fold` (scikit-learn's shuffled `KFold`) and
//! `Dataset::sample`.

use constnet::data::KFold;
use constnet::{Dataset, Error};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// `n` samples with x = 0, 1, …, n−1 and y = 10·x, so every sample is identifiable.
fn ramp(n: usize) -> Dataset<f64, 1, 1> {
    let x = OMatrix::<f64, Const<1>, Dyn>::from_fn(n, |_, j| j as f64);
    let y = x.map(|v| 10.0 * v);
    Dataset::new(x, y).unwrap()
}

#[test]
fn every_sample_is_in_exactly_one_test_fold_with_sklearn_sizes() {
    for (n, k) in [
        (2, 2),
        (10, 3),
        (11, 5),
        (88, 5),
        (314, 5),
        (7, 7),
        (100, 10),
    ] {
        let folds = KFold::new(n, k, &mut rng(n as u64)).unwrap();
        assert_eq!((folds.k(), folds.samples()), (k, n));
        let mut seen = vec![0; n];
        for i in 0..k {
            let test = folds.test(i).unwrap();
            // sklearn: the first n % k folds hold n / k + 1 samples, the rest n / k.
            let size = n / k + usize::from(i < n % k);
            assert_eq!(test.len(), size, "n {n} k {k} fold {i}");
            assert!(test.windows(2).all(|w| w[0] < w[1]), "test not ascending");
            let train = folds.train(i).unwrap();
            assert_eq!(train.len(), n - size);
            assert!(train.windows(2).all(|w| w[0] < w[1]), "train not ascending");
            for &j in test {
                seen[j] += 1;
                assert!(!train.contains(&j), "sample {j} in train and test");
            }
        }
        assert!(seen.iter().all(|&c| c == 1), "n {n} k {k}: {seen:?}");
    }
}

#[test]
fn folds_are_shuffled_and_seeded() {
    let a = KFold::new(100, 5, &mut rng(1)).unwrap();
    assert_eq!(a, KFold::new(100, 5, &mut rng(1)).unwrap());
    assert_ne!(a, KFold::new(100, 5, &mut rng(2)).unwrap());
    // Shuffled: the first fold is not simply the first 20 samples (the chance that a
    // uniform permutation puts exactly 0..20 first is 1 / C(100, 20)).
    assert_ne!(a.test(0).unwrap(), (0..20).collect::<Vec<_>>().as_slice());
}

#[test]
fn kfold_errors() {
    for (n, k) in [(5, 0), (5, 1), (5, 6), (0, 2)] {
        match KFold::new(n, k, &mut rng(0)) {
            Err(Error::InvalidParameter { name: "k", .. }) => {}
            other => panic!("n {n} k {k}: {other:?}"),
        }
    }
    let folds = KFold::new(5, 2, &mut rng(0)).unwrap();
    assert!(matches!(
        folds.test(2),
        Err(Error::InvalidParameter { name: "fold", .. })
    ));
    assert!(matches!(
        folds.train(2),
        Err(Error::InvalidParameter { name: "fold", .. })
    ));
}

#[test]
fn dataset_folds_hold_the_right_samples() {
    let data = ramp(23);
    let folds = data.kfold(4, &mut rng(9)).unwrap();
    assert_eq!(folds, KFold::new(23, 4, &mut rng(9)).unwrap());
    for i in 0..4 {
        let (train, test) = data.fold(&folds, i).unwrap();
        let want: Vec<f64> = folds.test(i).unwrap().iter().map(|&j| j as f64).collect();
        assert_eq!(test.x().as_slice(), want.as_slice());
        let want_y: Vec<f64> = want.iter().map(|v| 10.0 * v).collect();
        assert_eq!(test.y().as_slice(), want_y.as_slice());
        assert_eq!(train.len() + test.len(), 23);
        let train_x: Vec<usize> = train.x().iter().map(|&v| v as usize).collect();
        assert_eq!(train_x, folds.train(i).unwrap());
    }
    assert!(matches!(
        data.fold(&folds, 4),
        Err(Error::InvalidParameter { name: "fold", .. })
    ));
    let other = KFold::new(24, 4, &mut rng(9)).unwrap();
    assert!(matches!(
        data.fold(&other, 0),
        Err(Error::LengthMismatch {
            expected: 23,
            found: 24,
            ..
        })
    ));
    assert!(data.kfold(24, &mut rng(0)).is_err());
}

#[test]
fn sample_is_all_when_small_and_a_seeded_subset_when_large() {
    let data = ramp(1000);
    // At most max samples: the data as it is, and the RNG untouched.
    let mut r = rng(5);
    assert_eq!(data.sample(1000, &mut r).unwrap(), data);
    assert_eq!(r, rng(5));

    let s = data.sample(50, &mut rng(5)).unwrap();
    assert_eq!(s, data.sample(50, &mut rng(5)).unwrap());
    assert_ne!(s, data.sample(50, &mut rng(6)).unwrap());
    assert_eq!(s.len(), 50);
    let xs = s.x().as_slice();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "distinct, ascending");
    // Each point is a sample of the data (x, 10·x) and they are spread over the range,
    // not the first 50 (that has probability 1 / C(1000, 50)).
    assert!(s.x().iter().zip(s.y().iter()).all(|(x, y)| *y == 10.0 * x));
    assert!(xs[49] >= 50.0);

    assert!(matches!(
        data.sample(0, &mut rng(0)),
        Err(Error::InvalidParameter { name: "max", .. })
    ));
}
