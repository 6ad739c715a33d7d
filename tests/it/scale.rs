//! Scaling inside the model: `Standardize`, `Rescale` and `Scaled` — their gradients, the
//! identity's bits, fitting (sklearn's `StandardScaler` statistics and rules), frozen
//! scalers under every optimizer, model files and safetensors round trips, export text.
//! The trained raw-unit firmware model is in `scale_firmware.rs`.

use constnet::gradcheck::GradCheck;
use constnet::nalgebra::{Const, Dyn, OMatrix, SMatrix, SVector};
use constnet::safetensors::{self, Options};
use constnet::{
    Adam, Dense, Error, Forward, Init, InitScheme, Momentum, Mse, Optimizer, Params, Relu, Rescale,
    Scaled, Sgd, Standardize, Tanh, Trainer, data::Dataset, export, net, persist,
};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

use crate::common::{bits, config};

type Inner = net![Dense<2, 4, f64>, Tanh, Dense<4, 3, f64>];
type Model = Scaled<Inner, 2, 3, f64>;

fn values(n: usize, lo: f64, hi: f64) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(lo..hi, n)
}

/// A scaler's parameters: any mean, a std of either sign away from zero.
fn params<const N: usize>() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    let std = proptest::collection::vec((0.2..5.0f64, any::<bool>()), N).prop_map(|v| {
        v.into_iter()
            .map(|(s, neg)| if neg { -s } else { s })
            .collect()
    });
    (values(N, -50.0, 50.0), std)
}

fn batch<const R: usize>(n: usize) -> impl Strategy<Value = OMatrix<f64, Const<R>, Dyn>> {
    values(R * n, -3.0, 3.0).prop_map(OMatrix::<f64, Const<R>, Dyn>::from_vec)
}

fn gradcheck<N: Forward<f64, Const<I>, Dyn> + Clone, const I: usize>(
    net: &N,
    x: &OMatrix<f64, Const<I>, Dyn>,
    c: &OMatrix<f64, N::Out, Dyn>,
) -> Result<(), TestCaseError> {
    match GradCheck::default().check::<N, Const<I>, Dyn>(net, x, c) {
        Ok(report) => {
            prop_assert!(report.checked > 0);
            Ok(())
        }
        Err(f) => Err(TestCaseError::fail(f.to_string())),
    }
}

/// A `Model` with non-identity scalers and random weights.
fn model(seed: u64) -> Model {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let net: Inner = Init::init(&mut rng, InitScheme::XavierNormal);
    let input = Standardize::new([3000.0, -0.25], [1000.0, 0.125]);
    let output = Rescale::new([-1e4, 5.0, 0.0], [2500.0, 0.5, 3.0]);
    Scaled::from_parts(input, net, output)
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn standardize_gradient((m, s) in params::<3>(), (x, c) in (1usize..=9).prop_flat_map(|n| (batch::<3>(n), batch::<3>(n)))) {
        let layer = Standardize::<3, f64>::from_slices(&m, &s).unwrap();
        gradcheck(&layer, &x, &c)?;
    }

    #[test]
    fn rescale_gradient((m, s) in params::<3>(), (x, c) in (1usize..=9).prop_flat_map(|n| (batch::<3>(n), batch::<3>(n)))) {
        let layer = Rescale::<3, f64>::from_slices(&m, &s).unwrap();
        gradcheck(&layer, &x, &c)?;
    }

    #[test]
    fn scaled_gradient(
        seed in any::<u64>(), (mi, si) in params::<2>(), (mo, so) in params::<3>(),
        (x, c) in (1usize..=9).prop_flat_map(|n| (batch::<2>(n), batch::<3>(n))),
    ) {
        let mut model = model(seed);
        model.input = Standardize::from_slices(&mi, &si).unwrap();
        model.output = Rescale::from_slices(&mo, &so).unwrap();
        // Raw-unit inputs around the input scaler's mean.
        let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(x.ncols(), |i, j| mi[i] + si[i] * x[(i, j)]);
        gradcheck(&model, &x, &c)?;
    }
}

/// Values whose bits an arithmetic slip would change: signed zeros, subnormals, extremes.
const SPECIAL: [f32; 9] = [
    0.0,
    -0.0,
    1e-45,
    -1e-45,
    f32::MAX,
    f32::MIN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    0.1,
];

#[test]
fn identity_scaling_passes_every_value_through_bit_for_bit() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut xs: Vec<f32> = SPECIAL.to_vec();
    xs.extend(
        (0..3000)
            .map(|_| f32::from_bits(rng.random::<u32>()))
            .filter(|v| !v.is_nan()),
    );
    let x = OMatrix::<f32, Const<3>, Dyn>::from_column_slice(&xs[..xs.len() / 3 * 3]);
    let b = |m: &OMatrix<f32, Const<3>, Dyn>| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(b(&Standardize::<3>::identity().forward(&x)), b(&x));
    assert_eq!(b(&Rescale::<3>::identity().forward(&x)), b(&x));
    assert_eq!(b(&<Rescale<3> as Params<f32>>::zeros().forward(&x)), b(&x));
    let mut ws = <Rescale<3> as Forward<f32, Const<3>, Dyn>>::workspace(Dyn(0));
    Rescale::<3>::identity().forward_into(&x, &mut ws);
    assert_eq!(b(&ws.output), b(&x));
    // A mean of +0.0 would turn -0.0 into +0.0: why the identity Rescale stores -0.0.
    let plus_zero = Rescale::<1>::new([0.0], [1.0]);
    assert_eq!(plus_zero.forward(&SVector::from([-0.0f32]))[0].to_bits(), 0);
}

#[test]
fn scaled_with_identity_scalers_is_its_network_bit_for_bit() {
    let net = model(1).net;
    let scaled = Scaled::new(net.clone());
    let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(50, |i, j| (i as f64 - 0.5) * j as f64 * 0.37);
    let b = |m: OMatrix<f64, Const<3>, Dyn>| m.map(f64::to_bits);
    assert_eq!(b(scaled.forward(&x)), b(net.forward(&x)));
    let (y, _) = scaled.forward_train(&x);
    assert_eq!(b(y), b(net.forward(&x)));
}

#[test]
fn the_forward_pass_is_sklearns_arithmetic_in_the_networks_type() {
    // StandardScaler.transform: (x - mean) / scale; inverse_transform: y * scale + mean.
    let s = Standardize::<1>::new([0.3], [0.7]);
    let r = Rescale::<1>::new([0.3], [0.7]);
    for x in [1.0f32, 0.1, -2.5, 1234.5] {
        assert_eq!(
            s.forward(&SVector::from([x]))[0].to_bits(),
            ((x - 0.3) / 0.7).to_bits()
        );
        assert_eq!(
            r.forward(&SVector::from([x]))[0].to_bits(),
            (x * 0.7 + 0.3).to_bits()
        );
    }
}

#[test]
fn from_data_computes_the_population_mean_and_std_per_feature() {
    // Feature 0: 1, 2, 3, 6 → mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5.
    let x = OMatrix::<f64, Const<2>, Dyn>::from_column_slice(&[
        1.0, 10.0, 2.0, 10.0, 3.0, 10.0, 6.0, 10.0,
    ]);
    let s = Standardize::from_data(&x).unwrap();
    assert_eq!((s.mean[0], s.std[0]), (3.0, 3.5f64.sqrt()));
    assert_eq!((s.mean[1], s.std[1]), (10.0, 1.0)); // constant → std 1, as sklearn
    // A constant whose f64 mean is inexact still counts as constant (sklearn's bound).
    let c = OMatrix::<f32, Const<1>, Dyn>::from_element(1001, 0.1);
    assert_eq!(Rescale::from_data(&c).unwrap().std[0], 1.0);
    // Large offset, small spread: the two-pass variance keeps it (f32 data, f64 statistics).
    let y = OMatrix::<f32, Const<1>, Dyn>::from_row_slice(&[10000.0, 10001.0, 10002.0, 10003.0]);
    let r = Rescale::from_data(&y).unwrap();
    assert_eq!((r.mean[0], r.std[0]), (10001.5, 1.25f64.sqrt() as f32));
}

/// Where the f64 mean itself rounds, the deviations are taken from it (two passes), not
/// through `Σv² − n·mean²`, which the rounding of a large offset ruins.
#[test]
fn from_data_keeps_the_spread_when_the_mean_rounds() {
    // The mean 1e12 + 2/3 rounds (f64 spacing 1.2e-4 there): the two-pass variance is
    // 2/9 to ~1e-8 (computed in Python: 0.22222222388), while Σ(v + mean)(v − mean) / n,
    // equal in exact arithmetic, gives 8.1e7.
    let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[1e12, 1e12 + 1.0, 1e12 + 1.0]);
    let s = Standardize::from_data(&x).unwrap();
    assert!(
        (s.std[0] - (2.0f64 / 9.0).sqrt()).abs() < 0.01,
        "{}",
        s.std[0]
    );
    // Constants whose f64 mean rounds (0.1 × 3 → 0.10000000000000002, 0.7 × 3 →
    // 0.6999999999999998): variances of 1.9e-34 and 1.2e-32 from rounding alone, within
    // sklearn's bound, so they are constant (std 1), not features of std 1e-17.
    // A small but real spread near 0 is kept (variance 1e-10, far above the bound's
    // n·ε·var + (n·mean·ε)² ≈ 4e-26).
    let small = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[-1e-5, 1e-5]);
    assert_eq!(Standardize::from_data(&small).unwrap().std[0], 1e-5);
    for v in [0.1, 0.7] {
        let c = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[v, v, v]);
        assert_eq!(Standardize::from_data(&c).unwrap().std[0], 1.0, "{v}");
    }
}

#[test]
fn from_data_rejects_empty_non_finite_and_overflowing_data() {
    let empty = OMatrix::<f32, Const<2>, Dyn>::zeros(0);
    assert!(matches!(
        Standardize::from_data(&empty),
        Err(Error::EmptyData)
    ));
    let nan = OMatrix::<f32, Const<2>, Dyn>::from_column_slice(&[0.0, 1.0, 2.0, f32::NAN]);
    assert!(matches!(
        Standardize::from_data(&nan),
        Err(Error::NonFinite {
            what: "Standardize::from_data data",
            index: 3
        })
    ));
    let inf = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[0.0, f64::NEG_INFINITY]);
    assert!(matches!(
        Rescale::from_data(&inf),
        Err(Error::NonFinite {
            what: "Rescale::from_data data",
            index: 1
        })
    ));
    let huge = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[-1.5e308, 1.5e308]);
    let err = Rescale::from_data(&huge).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "Rescale::from_data data",
                ..
            }
        ),
        "{err}"
    );
    let (x, y) = (
        OMatrix::<f32, Const<1>, Dyn>::zeros(3),
        OMatrix::<f32, Const<1>, Dyn>::zeros(2),
    );
    let err = Scaled::from_data(Dense::<1, 1>::zeros(), &x, &y).unwrap_err();
    assert!(matches!(
        err,
        Error::LengthMismatch {
            expected: 3,
            found: 2,
            ..
        }
    ));
}

#[test]
fn from_slices_rejects_what_would_give_garbage() {
    let e = |r: constnet::Result<Standardize<2>>| r.unwrap_err().to_string();
    assert_eq!(
        e(Standardize::from_slices(&[0.0], &[1.0, 1.0])),
        "scaler mean: expected 2 values, found 1"
    );
    assert_eq!(
        e(Standardize::from_slices(&[0.0, f32::NAN], &[1.0, 1.0])),
        "scaler mean holds a NaN or infinite value at index 1"
    );
    assert_eq!(
        e(Standardize::from_slices(&[0.0, 0.0], &[1.0, 0.0])),
        "invalid scaler std: a standard deviation is zero or too small to divide by"
    );
    assert!(Rescale::<1, f32>::from_slices(&[0.0], &[1e-45]).is_err()); // 1 / 1e-45 = inf
}

#[test]
fn training_data_is_standardized_inputs_and_targets_in_training_units() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(200, |i, _| {
        rng.random_range(1000.0..5000.0) * (i + 1) as f64
    });
    let y = OMatrix::<f64, Const<3>, Dyn>::from_fn(200, |i, j| {
        x[(0, j)] * (i as f64 - 1.0) * 3.0 + 7.0
    });
    let data = Dataset::new(x, y).unwrap();
    let model = Scaled::from_data(model(0).net, data.x(), data.y()).unwrap();
    let scaled = model.training_data(&data).unwrap();
    let rows: Vec<Vec<f64>> = scaled
        .x()
        .row_iter()
        .map(|r| r.iter().copied().collect())
        .chain(scaled.y().row_iter().map(|r| r.iter().copied().collect()))
        .collect();
    for (k, row) in rows.iter().enumerate() {
        let n = row.len() as f64;
        let mean = row.iter().sum::<f64>() / n;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        if k == 3 {
            // The constant target row (factor 0): shifted to 0, std 1.
            assert!(row.iter().all(|&v| v == 0.0));
        } else {
            assert!(
                mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12,
                "row {k}: {mean} {var}"
            );
        }
    }
    // The network's output on scaled inputs, rescaled, is the model's output on raw inputs.
    let raw = model.forward(data.x());
    let via = model.output.forward(&model.net.forward(scaled.x()));
    assert_eq!(raw, via);
    // A std far smaller than the data's spread overflows: an error, not infinities.
    let tiny = Scaled::from_parts(
        Standardize::new([0.0, 0.0], [1e-310, 1.0]),
        model.net,
        model.output,
    );
    assert!(matches!(
        tiny.training_data(&data),
        Err(Error::NonFinite { what: "x", .. })
    ));
}

/// Steps `optimizer` on a `Scaled` trained as a whole on raw data; its scalers must keep
/// their bits, its network must move.
fn scalers_survive<O: Optimizer<f64, Model>>(mut optimizer: O) {
    let mut m = model(4);
    let before = m.clone();
    let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(32, |i, j| {
        [3000.0, -0.25][i] + (j as f64 - 16.0) * [50.0, 0.01][i]
    });
    let y = OMatrix::<f64, Const<3>, Dyn>::from_fn(32, |i, j| (i + j) as f64 * 100.0);
    Trainer::new(&x, &y)
        .epochs(5)
        .fit(&mut m, &mut optimizer, &Mse)
        .unwrap();
    assert_eq!(bits(&m.input), bits(&before.input));
    assert_eq!(bits(&m.output), bits(&before.output));
    assert_ne!(bits(&m.net), bits(&before.net));
}

#[test]
fn optimizers_never_change_the_scalers() {
    let n = <Model as Params<f64>>::TENSORS;
    let trained = |i| (2..n - 2).contains(&i); // the network's tensors, between the scalers
    assert!((0..n).all(|i| <Model as Params<f64>>::frozen(i) != trained(i)));
    scalers_survive(Sgd::new(1e-3).unwrap());
    scalers_survive(Momentum::new(1e-3, 0.9).unwrap());
    scalers_survive(Adam::new(1e-2).unwrap());
}

#[test]
fn model_files_and_safetensors_keep_every_bit() {
    let m = model(5);
    let back: Model = persist::decode(&persist::encode(&m).unwrap()).unwrap();
    assert_eq!(bits(&back), bits(&m));
    let st = safetensors::encode(&m, &Options::default()).unwrap();
    let back: Model = safetensors::decode(&st, &Options::default()).unwrap();
    assert_eq!(bits(&back), bits(&m));
    // nn.Sequential(Standardize, Linear, Tanh, Linear, Rescale).
    assert_eq!(
        safetensors::keys(&st).unwrap(),
        [
            "0.mean", "0.std", "1.bias", "1.weight", "3.bias", "3.weight", "4.mean", "4.std"
        ]
    );
    // Loading takes the file's scalers, not the type's identity defaults.
    let mut other = m.clone();
    other.output.std[2] = 4.0;
    let st = safetensors::encode(&other, &Options::default()).unwrap();
    let back: Model = safetensors::decode(&st, &Options::default()).unwrap();
    assert_eq!(back.output.std[2], 4.0);
}

#[test]
fn exported_source_builds_the_scalers_with_const_constructors() {
    let src = export::encode(&model(6));
    assert!(src.contains(
        "pub type Model = constnet::Scaled<constnet::net![constnet::Dense<2, 4, f64>, \
         constnet::Tanh, constnet::Dense<4, 3, f64>], 2, 3, f64>;"
    ));
    assert!(src.contains(
        "pub const MODEL: Model = constnet::Scaled::from_parts(\n    constnet::Standardize::new(\n"
    ));
    // 3000.0 and 1000.0, the input scaler's first mean and std, as exact bits.
    assert!(src.contains("f64::from_bits(0x40a7700000000000)"));
    assert!(src.contains("f64::from_bits(0x408f400000000000)"));
    assert!(src.contains("    constnet::Rescale::new(\n"));
    assert!(src.ends_with("    ),\n);\n"));
}

#[test]
fn const_constructors_build_a_model_at_compile_time() {
    static M: Scaled<Dense<1, 1>, 1, 1> = Scaled::from_parts(
        Standardize::new([2.0], [4.0]),
        Dense::from_rows([[3.0]], [1.0]),
        Rescale::new([-1.0], [0.5]),
    );
    // ((10 - 2) / 4 * 3 + 1) * 0.5 - 1 = 2.5
    assert_eq!(M.forward(&SVector::from([10.0]))[0], 2.5);
    const ID: Scaled<net![Dense<1, 2>, Relu, Dense<2, 1>], 1, 1> = Scaled::new(constnet::chain![
        Dense::from_rows([[1.0], [-1.0]], [0.0; 2]),
        Relu,
        Dense::from_rows([[1.0, 1.0]], [0.0])
    ]);
    assert_eq!(
        ID.forward(&SMatrix::<f32, 1, 2>::from([[-3.0], [2.0]])),
        SMatrix::<f32, 1, 2>::from([[3.0], [2.0]])
    );
}

#[test]
fn training_in_scaled_units_is_the_same_whatever_the_datas_units() {
    // The same data in two unit systems (x·1000 + 3000, y·2500 − 10⁴): the training data
    // of a `Scaled` are the same numbers up to rounding (f64: ~1e-16 relative), so one
    // learning rate trains the network alike. A smooth net (Tanh) keeps the two runs from
    // parting at a kink; 1e-9 is far above the rounding and far below any real difference
    // (the loss falls by orders of magnitude).
    let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(40, |i, j| ((i + 1) * j) as f64 / 20.0 - 1.0);
    let y = OMatrix::<f64, Const<3>, Dyn>::from_fn(40, |i, j| {
        (x[(0, j)] * (i as f64 + 1.0)).sin() + x[(1, j)]
    });
    let small = Dataset::new(x.clone(), y.clone()).unwrap();
    let large = Dataset::new(x.map(|v| v * 1000.0 + 3000.0), y.map(|v| v * 2500.0 - 1e4)).unwrap();
    let losses = |data: &Dataset<f64, 2, 3>| {
        let mut m = Scaled::from_data(model(9).net, data.x(), data.y()).unwrap();
        let scaled = m.training_data(data).unwrap();
        let mut sgd = Sgd::new(0.1).unwrap();
        Trainer::new(scaled.x(), scaled.y())
            .epochs(200)
            .fit(&mut m.net, &mut sgd, &Mse)
            .unwrap()
            .train
    };
    let (a, b) = (losses(&small), losses(&large));
    assert!(a[199] < a[0] / 10.0, "it trains: {} → {}", a[0], a[199]);
    for (e, (a, b)) in a.values().iter().zip(b.values()).enumerate() {
        assert!((a - b).abs() <= 1e-9 * a.abs(), "epoch {e}: {a} vs {b}");
    }
}
