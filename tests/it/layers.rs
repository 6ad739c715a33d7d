//! Layer construction, initialisation, activations' edge cases and the errors the layer
//! API promises.

use constnet::layer::{Back, Before};
use constnet::nalgebra::{Const, Dyn, OMatrix, SMatrix, SVector};
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{
    Activation, Dense, Error, Forward, Init, InitScheme, Params, Relu, Sigmoid, Tanh, loss, net,
};

type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];

#[test]
fn from_slices_is_row_major_like_pytorch() {
    // W = [[1, 2, 3], [4, 5, 6]] (2 outputs × 3 inputs).
    let layer = Dense::<3, 2>::from_slices(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[0.5, -0.5]).unwrap();
    assert_eq!(
        layer.w,
        SMatrix::<f32, 2, 3>::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    );
    let y = layer.forward(&SVector::from([1.0, 0.0, -1.0]));
    assert_eq!(y, SVector::from([1.0 - 3.0 + 0.5, 4.0 - 6.0 - 0.5]));
}

#[test]
fn from_slices_rejects_wrong_lengths_and_non_finite_values() {
    let w = [0.0f32; 6];
    assert!(matches!(
        Dense::<3, 2>::from_slices(&w[..5], &[0.0; 2]),
        Err(Error::LengthMismatch {
            expected: 6,
            found: 5,
            ..
        })
    ));
    assert!(matches!(
        Dense::<3, 2>::from_slices(&w, &[0.0; 3]),
        Err(Error::LengthMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    let mut bad = w;
    bad[4] = f32::NAN;
    assert!(matches!(
        Dense::<3, 2>::from_slices(&bad, &[0.0; 2]),
        Err(Error::NonFinite { index: 4, .. })
    ));
    assert!(matches!(
        Dense::<3, 2>::from_slices(&w, &[0.0, f32::INFINITY]),
        Err(Error::NonFinite { index: 1, .. })
    ));
}

#[test]
fn init_is_seeded_and_scaled() {
    let draw = |seed| -> SeedNet {
        Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::He)
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
    // He: Var(w) = 2 / fan_in. 4096 weights of the 64×64 layer: the sample variance is
    // within 10% of 2/64 with overwhelming probability (its relative s.e. is √(2/4096) ≈ 2.2%).
    let w = draw(3).first.first.second.w;
    let var = w.iter().map(|v| v * v).sum::<f32>() / 4096.0;
    assert!(
        (var - 2.0 / 64.0).abs() < 0.1 * 2.0 / 64.0,
        "variance {var}"
    );
    let net = draw(3);
    assert!(
        net.tensor(1).iter().all(|&b| b == 0.0),
        "biases start at zero"
    );
    // f32 and f64 draw the same stream: the f32 weights are the f64 ones, rounded.
    let f64net: Dense<1, 64, f64> =
        Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He);
    let f32net: Dense<1, 64, f32> =
        Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He);
    assert!(
        f64net
            .w
            .iter()
            .zip(f32net.w.iter())
            .all(|(a, b)| *a as f32 == *b)
    );
    // Xavier uniform stays inside ±√(6 / (fan_in + fan_out)).
    let x: Dense<64, 64> = Init::init(
        &mut Xoshiro256PlusPlus::seed_from_u64(4),
        InitScheme::XavierUniform,
    );
    let a = (6.0f32 / 128.0).sqrt();
    assert!(x.w.iter().all(|v| v.abs() <= a));
}

#[test]
fn activations_at_the_edges() {
    for x in [-1000.0f32, -88.0, -20.0, 0.0, 20.0, 88.0, 1000.0] {
        for (f, df) in [
            (Sigmoid.f(x), Sigmoid.df(x)),
            (Tanh.f(x), Tanh.df(x)),
            (Relu.f(x), Relu.df(x)),
        ] {
            assert!(f.is_finite() && df.is_finite(), "x = {x}: f {f}, f' {df}");
        }
        assert!((0.0..=1.0).contains(&Sigmoid.f(x)));
    }
    assert_eq!(Relu.df(0.0f64), 0.0, "ReLU'(0) is taken as 0");
    assert!(
        Relu.f(f32::NAN).is_nan(),
        "NaN must not be laundered into 0"
    );
    assert_eq!(Sigmoid.f(0.0f64), 0.5);
    // The negative branch is the same function: σ(−x) = 1 − σ(x).
    for x in [0.5f64, 3.0, 30.0] {
        assert!((Sigmoid.f(-x) - (1.0 - Sigmoid.f(x))).abs() < 1e-15);
    }
}

#[test]
fn backward_with_a_mismatched_batch_is_an_error_not_a_panic() {
    let net: SeedNet = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(5), InitScheme::He);
    let x = OMatrix::<f32, Const<1>, Dyn>::from_element(10, 0.5);
    let (pred, mut ws) = net.forward_train(&x);
    let short = OMatrix::<f32, Const<1>, Dyn>::zeros(9);
    assert!(matches!(
        net.backward(&x, &mut ws, &short),
        Err(Error::LengthMismatch {
            expected: 10,
            found: 9,
            ..
        })
    ));
    // A workspace filled by another batch size is also caught.
    let other = OMatrix::<f32, Const<1>, Dyn>::from_element(7, 0.5);
    let grad_pred = loss::mse_grad(&pred, &x).unwrap();
    let mut ws7 = <SeedNet as Forward<f32, Const<1>, Dyn>>::workspace(Dyn(7));
    net.forward_into(&other, &mut ws7);
    let mut grad = SeedNet::zeros();
    assert!(
        net.backward_params(&x, &mut ws7, &grad_pred, &mut grad)
            .is_err()
    );
    // The fused hook too: an activation input of another batch size, for the tiled
    // (64-wide, > 5 samples) and the column kernels.
    let hidden = Dense::<64, 64>::zeros();
    for n in [10, 3] {
        let h = OMatrix::<f32, Const<64>, Dyn>::from_element(n, 0.5);
        let z = OMatrix::<f32, Const<64>, Dyn>::from_element(n - 1, 0.5);
        let mut ws = <Dense<64, 64> as Forward<f32, Const<64>, Dyn>>::workspace(Dyn(n));
        let mut out = OMatrix::<f32, Const<64>, Dyn>::zeros(n);
        let mut g = Dense::zeros();
        let back = Back {
            grad_out: &h,
            grad: &mut g,
        };
        let act = Before {
            act: &Relu,
            input: &z,
            grad: &mut out,
        };
        assert!(matches!(
            hidden.backward_activated(&h, &mut ws, back, act),
            Err(Error::LengthMismatch { .. })
        ));
    }
    // And a loss over mismatched batches.
    assert!(matches!(
        loss::mse(&pred, &short),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        loss::mse(
            &short.columns(0, 0).into_owned(),
            &short.columns(0, 0).into_owned()
        ),
        Err(Error::EmptyData)
    ));
}

#[test]
fn nan_inputs_give_nan_outputs() {
    let net: SeedNet = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(7), InitScheme::He);
    assert!(net.forward(&SVector::from([f32::NAN]))[0].is_nan());
    let mut broken = net.clone();
    broken.first.first.first.first.w[3] = f32::NAN;
    assert!(!broken.is_finite());
    assert!(broken.forward(&SVector::from([1.0]))[0].is_nan());
}

#[test]
fn a_workspace_of_another_size_is_resized_by_forward() {
    let net: SeedNet = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(6), InitScheme::He);
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(12, |_, j| j as f32 / 6.0 - 1.0);
    let mut ws = <SeedNet as Forward<f32, Const<1>, Dyn>>::workspace(Dyn(3));
    net.forward_into(&x, &mut ws);
    assert_eq!(
        <SeedNet as Forward<f32, Const<1>, Dyn>>::output(&ws),
        &net.forward(&x)
    );
}

/// Which kernels a wide layer's runtime-sized batch takes is part of its results (the tiled
/// kernels and the column kernels round differently): on a CPU with the tiled kernels
/// (AVX-512F + FMA, or AVX2 + FMA for f32), each output of `Dense<16, 16>` on a batch of 8
/// is one FMA chain over the inputs in index order, starting from the bias. (Kills the
/// `columns` routing mutant that sent such batches to the column kernels.)
#[test]
fn a_wide_runtime_batch_takes_the_tiled_kernels_where_the_cpu_has_them() {
    #[cfg(target_arch = "x86_64")]
    {
        let fma = std::arch::is_x86_feature_detected!("fma");
        let wide = std::arch::is_x86_feature_detected!("avx512f")
            || std::arch::is_x86_feature_detected!("avx2");
        if !(fma && wide) {
            eprintln!("no tiled kernels on this CPU: route not pinned");
            return;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut layer: Dense<16, 16> = Init::init(&mut rng, InitScheme::He);
        layer.b = SVector::from_fn(|i, _| 0.1 * i as f32 - 0.7);
        let x = OMatrix::<f32, Const<16>, Dyn>::from_fn(8, |i, j| {
            ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0
        });
        let y = layer.forward(&x);
        for j in 0..8 {
            for o in 0..16 {
                let chain =
                    (0..16).fold(layer.b[o], |acc, i| layer.w[(o, i)].mul_add(x[(i, j)], acc));
                assert_eq!(
                    y[(o, j)].to_bits(),
                    chain.to_bits(),
                    "output {o} of sample {j}"
                );
            }
        }
    }
}
