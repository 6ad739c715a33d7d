//! `cubic` and `synthetic`: determinism, draw order, parameter errors, statistics.

use constnet::data::{cubic, synthetic};
use constnet::{Dataset, Error};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

fn bits32(d: &Dataset<f32, 1, 1>) -> Vec<u32> {
    d.x()
        .iter()
        .chain(d.y().iter())
        .map(|v| v.to_bits())
        .collect()
}

fn bits64(d: &Dataset<f64, 1, 1>) -> Vec<u64> {
    d.x()
        .iter()
        .chain(d.y().iter())
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn same_seed_same_bits_different_seed_different_data() {
    let a = cubic::<f32, _>(500, 0.1, &mut rng(42)).unwrap();
    let b = cubic::<f32, _>(500, 0.1, &mut rng(42)).unwrap();
    let c = cubic::<f32, _>(500, 0.1, &mut rng(43)).unwrap();
    assert_eq!(bits32(&a), bits32(&b));
    assert_ne!(a.x(), c.x());
    assert_ne!(a.y(), c.y());

    let a = cubic::<f64, _>(500, 0.1, &mut rng(42)).unwrap();
    let b = cubic::<f64, _>(500, 0.1, &mut rng(42)).unwrap();
    assert_eq!(bits64(&a), bits64(&b));
}

#[test]
fn f32_data_is_the_f64_data_rounded() {
    let d32 = cubic::<f32, _>(200, 0.1, &mut rng(5)).unwrap();
    let d64 = cubic::<f64, _>(200, 0.1, &mut rng(5)).unwrap();
    for (a, b) in d32.x().iter().zip(d64.x().iter()) {
        assert_eq!(*a, *b as f32);
    }
    for (a, b) in d32.y().iter().zip(d64.y().iter()) {
        // y is computed from the rounded x: equal up to f32 rounding of |y| ≤ 8.3.
        assert!((*a as f64 - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn all_x_are_drawn_before_any_noise() {
    // With x drawn first, the first k inputs do not depend on n or on the noise level.
    let long = cubic::<f64, _>(100, 0.1, &mut rng(7)).unwrap();
    let short = cubic::<f64, _>(10, 0.1, &mut rng(7)).unwrap();
    let quiet = cubic::<f64, _>(100, 0.0, &mut rng(7)).unwrap();
    assert_eq!(&long.x().as_slice()[..10], short.x().as_slice());
    assert_eq!(long.x(), quiet.x());
}

#[test]
fn zero_noise_gives_the_exact_function() {
    let d = cubic::<f64, _>(100, 0.0, &mut rng(1)).unwrap();
    for (x, y) in d.x().iter().zip(d.y().iter()) {
        assert_eq!(*y, x * x * x);
    }
}

#[test]
fn statistics_of_x_and_noise() {
    const N: usize = 10_000;
    const NOISE: f64 = 0.1;
    let d = cubic::<f64, _>(N, NOISE, &mut rng(2024)).unwrap();
    let n = N as f64;
    let xs = d.x().as_slice();
    assert!(xs.iter().all(|x| (-2.0..2.0).contains(x)));

    // x ~ U(−2, 2): mean 0, variance 16/12 = 4/3. Standard error of the mean:
    // sqrt(4/3 / n) ≈ 0.0115; allow 5 SE.
    let mean_x = xs.iter().sum::<f64>() / n;
    assert!(
        mean_x.abs() < 5.0 * (4.0 / 3.0 / n).sqrt(),
        "mean x = {mean_x}"
    );
    // Variance of x², for SE of the sample variance: E[x⁴] − (E[x²])² = 16/5 − 16/9 ≈ 1.42.
    let var_x = xs.iter().map(|x| (x - mean_x).powi(2)).sum::<f64>() / (n - 1.0);
    let se_var = ((16.0 / 5.0 - 16.0 / 9.0) / n).sqrt();
    assert!((var_x - 4.0 / 3.0).abs() < 5.0 * se_var, "var x = {var_x}");

    // Residuals ε = y − x³ ~ N(0, σ²), σ = 0.1.
    let eps: Vec<f64> = xs
        .iter()
        .zip(d.y().iter())
        .map(|(x, y)| y - x * x * x)
        .collect();
    let mean = eps.iter().sum::<f64>() / n;
    let sd = (eps.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // SE of the mean: σ/√n = 0.001; SE of the sample standard deviation: σ/√(2n) ≈ 0.00071.
    // 5 SE: a false failure has probability below 1e-6 for a fresh seed.
    assert!(mean.abs() < 5.0 * NOISE / n.sqrt(), "noise mean = {mean}");
    assert!(
        (sd - NOISE).abs() < 5.0 * NOISE / (2.0 * n).sqrt(),
        "noise sd = {sd}"
    );
}

#[test]
fn parameter_errors() {
    let invalid = |r: constnet::Result<Dataset<f32, 1, 1>>, which: &str| match r {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, which),
        other => panic!("{other:?}"),
    };
    invalid(cubic(0, 0.1, &mut rng(0)), "n");
    for noise in [-0.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        invalid(cubic(10, noise, &mut rng(0)), "noise");
    }
    let id = |x: f64| x;
    invalid(synthetic(10, 1.0, 1.0, 0.1, id, &mut rng(0)), "range");
    invalid(synthetic(10, 2.0, 1.0, 0.1, id, &mut rng(0)), "range");
    invalid(synthetic(10, f64::NAN, 1.0, 0.1, id, &mut rng(0)), "range");
    // Finite ends whose difference overflows used to panic inside the sampler.
    invalid(
        synthetic(10, -f64::MAX, f64::MAX, 0.1, id, &mut rng(0)),
        "range",
    );
    invalid(
        synthetic(10, 0.0, f64::INFINITY, 0.1, id, &mut rng(0)),
        "range",
    );
}

#[test]
fn a_function_returning_nan_or_overflowing_is_non_finite_y() {
    let r = synthetic::<f64, _>(5, 0.0, 1.0, 0.0, |_| f64::NAN, &mut rng(0));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "y",
            index: 0
        })
    ));
    let r = synthetic::<f32, _>(5, 0.0, 1.0, 0.0, |_| 1e300, &mut rng(0));
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "y",
            index: 0
        })
    ));
}

#[test]
fn synthetic_respects_its_range() {
    let d = synthetic::<f32, _>(1000, 3.0, 3.5, 0.0, |x| -x, &mut rng(0)).unwrap();
    assert!(d.x().iter().all(|x| (3.0..=3.5).contains(x)));
    assert!(d.x().iter().zip(d.y().iter()).all(|(x, y)| *y == -x));
}
