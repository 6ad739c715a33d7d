//! Optimizers: updates checked against arithmetic written out by hand, every
//! hyper-parameter error, and a property that each optimizer lowers a small network's loss.

use constnet::nalgebra::SMatrix;
use constnet::{
    Adam, AdamConfig, Dense, Error, Forward, Init, InitScheme, Momentum, Optimizer, Sgd, Tanh,
    loss, net,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

type Tiny = Dense<2, 1, f64>;
/// [`Tiny`] in `f32`.
type Tiny32 = Dense<2, 1>;

/// θ₀ = (w₀, w₁, b) and three gradients, each (∂w₀, ∂w₁, ∂b).
const THETA0: [f64; 3] = [0.5, -0.3, 0.1];
const GRADS: [[f64; 3]; 3] = [[0.2, -0.4, 0.1], [0.3, 0.1, -0.2], [-0.1, 0.5, 0.05]];

fn tiny(v: [f64; 3]) -> Tiny {
    Tiny::from_slices(&v[..2], &v[2..]).unwrap()
}

fn params(net: &Tiny) -> [f64; 3] {
    [net.w[0], net.w[1], net.b[0]]
}

/// Runs three steps of `opt` from θ₀ with `GRADS`, returning θ after each step.
fn run(opt: &mut impl Optimizer<f64, Tiny>) -> [[f64; 3]; 3] {
    let mut net = tiny(THETA0);
    GRADS.map(|g| {
        opt.step(&mut net, &tiny(g));
        params(&net)
    })
}

fn assert_ulps(found: [[f64; 3]; 3], expected: [[f64; 3]; 3], ulps: u64) {
    for (step, (f, e)) in found.iter().zip(&expected).enumerate() {
        for (i, (&f, &e)) in f.iter().zip(e).enumerate() {
            let d = (f.to_bits() as i64).abs_diff(e.to_bits() as i64);
            assert!(
                d <= ulps,
                "step {step}, parameter {i}: {f} vs {e} ({d} ulps)"
            );
        }
    }
}

/// The three steps of one parameter, given as (θ₀, g₁, g₂, g₃).
fn per_param(f: impl Fn(f64, [f64; 3]) -> [f64; 3]) -> [[f64; 3]; 3] {
    let cols: [[f64; 3]; 3] =
        core::array::from_fn(|i| f(THETA0[i], [GRADS[0][i], GRADS[1][i], GRADS[2][i]]));
    core::array::from_fn(|step| core::array::from_fn(|i| cols[i][step]))
}

#[test]
fn sgd_by_hand() {
    let expected = per_param(|t0, g| {
        let t1 = t0 - 0.1 * g[0];
        let t2 = t1 - 0.1 * g[1];
        let t3 = t2 - 0.1 * g[2];
        [t1, t2, t3]
    });
    assert_ulps(run(&mut Sgd::new(0.1).unwrap()), expected, 0);
}

#[test]
fn momentum_by_hand() {
    // v ← 0.9·v + g; θ ← θ − 0.1·v
    let expected = per_param(|t0, g| {
        let v1 = g[0];
        let t1 = t0 - 0.1 * v1;
        let v2 = 0.9 * v1 + g[1];
        let t2 = t1 - 0.1 * v2;
        let v3 = 0.9 * v2 + g[2];
        let t3 = t2 - 0.1 * v3;
        [t1, t2, t3]
    });
    assert_ulps(run(&mut Momentum::new(0.1, 0.9).unwrap()), expected, 2);
    // A spot value written out in decimal: w₀ after step 2 = 0.5 − 0.1·0.2 − 0.1·(0.18 + 0.3).
    let w0 = run(&mut Momentum::new(0.1, 0.9).unwrap())[1][0];
    assert!((w0 - 0.432).abs() < 1e-15, "{w0}");
}

#[test]
fn nesterov_by_hand() {
    // v ← 0.9·v + g; θ ← θ − 0.1·(g + 0.9·v)
    let expected = per_param(|t0, g| {
        let v1 = g[0];
        let t1 = t0 - 0.1 * (g[0] + 0.9 * v1);
        let v2 = 0.9 * v1 + g[1];
        let t2 = t1 - 0.1 * (g[1] + 0.9 * v2);
        let v3 = 0.9 * v2 + g[2];
        let t3 = t2 - 0.1 * (g[2] + 0.9 * v3);
        [t1, t2, t3]
    });
    assert_ulps(run(&mut Momentum::nesterov(0.1, 0.9).unwrap()), expected, 2);
    // w₀ after step 1 = 0.5 − 0.1·(0.2 + 0.9·0.2) = 0.462.
    let w0 = run(&mut Momentum::nesterov(0.1, 0.9).unwrap())[0][0];
    assert!((w0 - 0.462).abs() < 1e-15, "{w0}");
}

/// Adam with lr 0.01, β₁ 0.9, β₂ 0.999, ε 1e-8 and decoupled weight decay `wd`.
fn adam_by_hand(wd: f64) -> [[f64; 3]; 3] {
    per_param(|t0, g| {
        let (lr, eps) = (0.01, 1e-8);
        // step 1
        let t = t0 * (1.0 - lr * wd);
        let m1 = 0.9 * 0.0 + (1.0 - 0.9) * g[0];
        let v1 = 0.999 * 0.0 + (1.0 - 0.999) * g[0] * g[0];
        let t1 = t - lr * (m1 / (1.0 - 0.9)) / ((v1 / (1.0 - 0.999)).sqrt() + eps);
        // step 2
        let t = t1 * (1.0 - lr * wd);
        let m2 = 0.9 * m1 + (1.0 - 0.9) * g[1];
        let v2 = 0.999 * v1 + (1.0 - 0.999) * g[1] * g[1];
        let t2 = t - lr * (m2 / (1.0 - 0.9 * 0.9)) / ((v2 / (1.0 - 0.999 * 0.999)).sqrt() + eps);
        // step 3
        let t = t2 * (1.0 - lr * wd);
        let m3 = 0.9 * m2 + (1.0 - 0.9) * g[2];
        let v3 = 0.999 * v2 + (1.0 - 0.999) * g[2] * g[2];
        let (c1, c2) = (1.0 - 0.9 * 0.9 * 0.9, 1.0 - 0.999 * 0.999 * 0.999);
        let t3 = t - lr * (m3 / c1) / ((v3 / c2).sqrt() + eps);
        [t1, t2, t3]
    })
}

#[test]
fn adam_by_hand_matches() {
    let found = run(&mut Adam::new(0.01).unwrap());
    assert_ulps(found, adam_by_hand(0.0), 4);
    // The first step moves each parameter by ≈ lr against its gradient's sign.
    for (t, (t0, g)) in found[0].iter().zip(THETA0.iter().zip(GRADS[0])) {
        assert!((t - (t0 - 0.01 * g.signum())).abs() < 1e-9);
    }
}

#[test]
fn adamw_by_hand_matches() {
    let cfg = AdamConfig {
        lr: 0.01,
        weight_decay: 0.5,
        ..AdamConfig::default()
    };
    assert_ulps(run(&mut cfg.build().unwrap()), adam_by_hand(0.5), 4);
}

#[test]
fn adamw_decays_with_zero_gradient() {
    let cfg = AdamConfig {
        lr: 0.1,
        weight_decay: 0.5,
        ..AdamConfig::default()
    };
    let mut adam = cfg.build().unwrap();
    let mut net = tiny(THETA0);
    for _ in 0..3 {
        adam.step(&mut net, &tiny([0.0; 3]));
    }
    let decay = 1.0 - 0.1 * 0.5;
    let expected = THETA0.map(|t| t * decay * decay * decay);
    assert_eq!(params(&net), expected);
    assert_eq!(adam.steps(), 3);
}

#[test]
fn state_is_typed_like_the_network() {
    let mut m = Momentum::new(0.1, 0.9).unwrap();
    let mut net = tiny(THETA0);
    m.step(&mut net, &tiny(GRADS[0]));
    let v: &Tiny = m.velocity();
    assert_eq!(params(v), GRADS[0]);
    let mut adam = Adam::new(0.1).unwrap();
    adam.step(&mut net, &tiny(GRADS[0]));
    assert_eq!(params(adam.first_moment())[0], (1.0 - 0.9) * GRADS[0][0]);
    assert_eq!(adam.second_moment().b[0], (1.0 - 0.999) * 0.1 * 0.1);
}

fn is_param(r: Result<impl Sized, Error>, expected: &str) -> bool {
    matches!(r, Err(Error::InvalidParameter { name, .. }) if name == expected)
}

fn is_lr(r: Result<impl Sized, Error>) -> bool {
    matches!(r, Err(Error::InvalidLearningRate(_)))
}

/// A learning rate valid as an `f64` that does not fit `f32`.
fn is_range(r: Result<impl Sized, Error>) -> bool {
    matches!(r, Err(Error::LearningRateRange { scalar: "f32", .. }))
}

#[test]
fn a_learning_rate_beyond_f32_is_reported_as_given() {
    // Issue #12: `--lr 1e300` said "got inf". The message must show what the user typed.
    // As typed, too: `1e300`, not three hundred digits.
    for (lr, typed, rounds_to) in [(1e300, "1e300", "infinity"), (1e-50, "1e-50", "zero")] {
        let errors = [
            Sgd::<f32>::new(lr).map(|_| ()).unwrap_err(),
            Momentum::<f32, Tiny32>::new(lr, 0.9)
                .map(|_| ())
                .unwrap_err(),
            Adam::<f32, Tiny32>::new(lr).map(|_| ()).unwrap_err(),
        ];
        for err in errors {
            assert!(
                matches!(err, Error::LearningRateRange { lr: l, scalar: "f32" } if l == lr),
                "{err:?}"
            );
            let msg = err.to_string();
            assert!(msg.contains(&format!("learning rate {typed} ")), "{msg}");
            assert!(msg.contains("does not fit the scalar type f32"), "{msg}");
            assert!(msg.contains(&format!("rounds to {rounds_to}")), "{msg}");
            assert!(!msg.contains("got inf"), "{msg}");
        }
    }
    let msg = Sgd::<f32>::new(-1e-30).map(|_| ()).unwrap_err().to_string();
    assert!(msg.ends_with("got -1e-30"), "{msg}");
    let msg = Sgd::<f32>::new(-0.5).map(|_| ()).unwrap_err().to_string();
    assert!(msg.ends_with("got -0.5"), "{msg}");
    // The same values fit f64.
    assert!(Sgd::<f64>::new(1e300).is_ok());
    assert!(Adam::<f64, Tiny>::new(1e-50).is_ok());
}

const BAD_LR: [f64; 5] = [0.0, -0.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
const BAD_UNIT: [f64; 6] = [-0.1, 1.0, 1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

#[test]
fn momentum_rejects_bad_learning_rate() {
    for lr in BAD_LR {
        assert!(is_lr(Momentum::<f64, Tiny>::new(lr, 0.9)), "{lr}");
        assert!(is_lr(Momentum::<f64, Tiny>::nesterov(lr, 0.9)), "{lr}");
    }
    // Underflows to 0 in f32.
    assert!(is_range(Momentum::<f32, Dense<2, 1>>::new(1e-50, 0.9)));
}

#[test]
fn momentum_rejects_bad_momentum() {
    for mu in BAD_UNIT {
        assert!(
            is_param(Momentum::<f64, Tiny>::new(0.1, mu), "momentum"),
            "{mu}"
        );
    }
    // Rounds to 1 in f32.
    assert!(is_param(
        Momentum::<f32, Dense<2, 1>>::new(0.1, 1.0 - 1e-12),
        "momentum"
    ));
    assert!(Momentum::<f64, Tiny>::new(0.1, 1.0 - 1e-12).is_ok());
    assert!(Momentum::<f64, Tiny>::new(0.1, 0.0).is_ok());
}

#[test]
fn nesterov_needs_momentum() {
    assert!(is_param(
        Momentum::<f64, Tiny>::nesterov(0.1, 0.0),
        "momentum"
    ));
}

fn adam(cfg: AdamConfig) -> Result<Adam<f64, Tiny>, Error> {
    cfg.build()
}

#[test]
fn adam_rejects_bad_learning_rate() {
    for lr in BAD_LR {
        assert!(is_lr(Adam::<f64, Tiny>::new(lr)), "{lr}");
    }
    assert!(is_range(Adam::<f32, Dense<2, 1>>::new(1e-50)));
}

#[test]
fn adam_rejects_bad_betas() {
    let d = AdamConfig::default();
    for beta in BAD_UNIT {
        assert!(is_param(adam(AdamConfig { beta1: beta, ..d }), "beta1"));
        assert!(is_param(adam(AdamConfig { beta2: beta, ..d }), "beta2"));
    }
    let almost_one = AdamConfig {
        beta2: 1.0 - 1e-12,
        ..d
    };
    assert!(is_param(almost_one.build::<f32, Dense<2, 1>>(), "beta2"));
    assert!(adam(AdamConfig { beta1: 0.0, ..d }).is_ok());
}

#[test]
fn adam_rejects_bad_eps() {
    let d = AdamConfig::default();
    for eps in [0.0, -1e-8, f64::NAN, f64::INFINITY] {
        assert!(is_param(adam(AdamConfig { eps, ..d }), "eps"), "{eps}");
    }
    let tiny_eps = AdamConfig { eps: 1e-50, ..d };
    assert!(is_param(tiny_eps.build::<f32, Dense<2, 1>>(), "eps"));
}

#[test]
fn adam_rejects_bad_weight_decay() {
    let d = AdamConfig::default();
    for weight_decay in [-0.1, f64::NAN, f64::INFINITY] {
        let cfg = AdamConfig { weight_decay, ..d };
        assert!(is_param(adam(cfg), "weight_decay"), "{weight_decay}");
    }
    // Decoupled decay scales weights by 1 − lr·λ: at lr·λ ≥ 1 it would zero or flip them.
    for (lr, weight_decay) in [(1.0, 1.0), (1.0, 3.0), (0.5, 2.5)] {
        let cfg = AdamConfig {
            lr,
            weight_decay,
            ..d
        };
        assert!(
            is_param(adam(cfg), "weight_decay"),
            "lr {lr}, λ {weight_decay}"
        );
    }
    assert!(
        adam(AdamConfig {
            lr: 0.5,
            weight_decay: 1.9,
            ..d
        })
        .is_ok()
    );
}

#[test]
fn errors_name_the_problem() {
    let e = Momentum::<f64, Tiny>::new(0.1, 1.0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid momentum: must be finite and in [0, 1)"
    );
    let e = adam(AdamConfig {
        eps: 0.0,
        ..AdamConfig::default()
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "invalid eps: must be finite and > 0");
}

type Small = net![Dense<1, 8, f64>, Tanh, Dense<8, 1, f64>];

/// Mean squared error of `net` on a fixed batch: 16 points of y = x³ on [-1, 1].
fn batch() -> (SMatrix<f64, 1, 16>, SMatrix<f64, 1, 16>) {
    let x = SMatrix::from_fn(|_, j| -1.0 + 2.0 * j as f64 / 15.0);
    (x, x.map(|v| v * v * v))
}

fn loss_after(net: &mut Small, opt: &mut impl Optimizer<f64, Small>, steps: usize) -> f64 {
    let (x, y) = batch();
    for _ in 0..steps {
        let (pred, mut cache) = net.forward_train(&x);
        let grad_pred = loss::mse_grad(&pred, &y).unwrap();
        let (_, grad) = net.backward(&x, &mut cache, &grad_pred).unwrap();
        opt.step(net, &grad);
    }
    loss_of(net)
}

fn loss_of(net: &Small) -> f64 {
    let (x, y) = batch();
    loss::mse(&net.forward(&x), &y).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        rng_seed: RngSeed::Fixed(0x0c0f_fee0),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_optimizer_lowers_the_loss(seed in any::<u64>(), which in 0usize..5) {
        let mut net: Small = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::XavierNormal);
        let before = loss_of(&net);
        let steps = 10;
        let after = match which {
            0 => loss_after(&mut net, &mut Sgd::new(0.05).unwrap(), steps),
            1 => loss_after(&mut net, &mut Momentum::new(0.02, 0.9).unwrap(), steps),
            2 => loss_after(&mut net, &mut Momentum::nesterov(0.02, 0.9).unwrap(), steps),
            3 => loss_after(&mut net, &mut Adam::new(0.01).unwrap(), steps),
            _ => {
                let cfg = AdamConfig { lr: 0.01, weight_decay: 0.01, ..AdamConfig::default() };
                loss_after(&mut net, &mut cfg.build().unwrap(), steps)
            }
        };
        prop_assert!(after < before, "optimizer {which}: loss {before} -> {after}");
    }
}
