//! `diagnose`: active units, gradient norms (blocked = direct), dead layers and the verdict.

use constnet::diagnose::{BLOCK, EXPLOSION_FACTOR, Failure, MIN_TRAIN_R2, check_learned, diagnose};
use constnet::{
    Dense, Error, Forward, Init, InitScheme, Mse, Params, Real, Relu, Sgd, Trainer, loss, net,
};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

type SeedNet<T = f32> = net![Dense<1, 64, T>, Relu, Dense<64, 64, T>, Relu, Dense<64, 1, T>];
type Row<T = f32> = OMatrix<T, Const<1>, Dyn>;

fn model<T: Real>(seed: u64) -> SeedNet<T> {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::He)
}

/// `n` samples of y = x³ plus uniform noise, x in [-2, 2).
fn cubic<T: Real>(n: usize, seed: u64) -> (Row<T>, Row<T>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Row::from_fn(n, |_, _| T::cast(rng.random_range(-2.0..2.0)));
    let y = x.map(|v| v * v * v + T::cast(rng.random_range(-0.17..0.17)));
    (x, y)
}

/// Per layer with parameters, the L2 norm of a direct whole-batch backward's gradient,
/// summed in the order `diagnose` sums (tensor by tensor, in f64).
fn direct_norms<T: Real>(net: &SeedNet<T>, x: &Row<T>, y: &Row<T>) -> Vec<f64> {
    let (pred, mut ws) = net.forward_train(x);
    let grad_pred = loss::mse_grad(&pred, y).unwrap();
    let (_, grad) = net.backward(x, &mut ws, &grad_pred).unwrap();
    // Tensors 0,1: first Dense; 2,3: second; 4,5: last (ReLUs own none).
    (0..3)
        .map(|l| {
            let sq: f64 = (2 * l..2 * l + 2)
                .flat_map(|i| grad.tensor(i))
                .map(|v| v.as_f64() * v.as_f64())
                .sum();
            sq.sqrt()
        })
        .collect()
}

fn reported_norms(diag: &constnet::diagnose::Diagnostics) -> Vec<f64> {
    diag.layers.iter().filter_map(|l| l.grad_norm).collect()
}

#[test]
fn one_block_gives_the_direct_gradient_norms_bit_for_bit() {
    // At most BLOCK samples are one block: the same passes as a direct backward.
    let (x, y) = cubic::<f32>(BLOCK, 1);
    let net = model::<f32>(1);
    let diag = diagnose(&net, &x, &y, &Mse).unwrap();
    let direct = direct_norms(&net, &x, &y);
    assert_eq!(reported_norms(&diag), direct);
    assert!(direct.iter().all(|&n| n > 0.0));
    let mse = loss::mse(&net.forward(&x), &y).unwrap();
    assert_eq!(diag.loss, f64::from(mse));
}

#[test]
fn blocked_gradient_norms_match_a_whole_batch_backward() {
    // 1000 samples = 3 full blocks and one of 232: the blocks' gradients are summed in
    // another order than the whole batch's products sum them. In f64, reordering a sum of
    // n terms changes it by at most ~n·ε·Σ|terms| = 1000 · 1.1e-16 ≈ 1.1e-13 of the
    // terms' magnitude; 1e-10 relative allows the norm 1000× cancellation on top, and is
    // still far below any real difference (a block dropped or counted twice moves the
    // norm by ~25 %).
    let (x, y) = cubic::<f64>(1000, 2);
    let net = model::<f64>(2);
    let blocked = reported_norms(&diagnose(&net, &x, &y, &Mse).unwrap());
    let direct = direct_norms(&net, &x, &y);
    assert_eq!(blocked.len(), 3);
    for (b, d) in blocked.iter().zip(&direct) {
        assert!((b - d).abs() <= 1e-10 * d, "blocked {b}, direct {d}");
    }
}

#[test]
fn activity_counts_every_sample_across_blocks() {
    // 600 samples (3 blocks): counts add up to 600 per unit, and match a direct count on
    // the pre-activations of the whole batch.
    let (x, y) = cubic::<f32>(600, 3);
    let net = model::<f32>(3);
    let diag = diagnose(&net, &x, &y, &Mse).unwrap();
    let a = diag.layers[1].activity.as_ref().unwrap();
    assert_eq!((a.samples, a.units()), (600, 64));
    let h = net.first.first.first.first.forward(&x); // Dense 1→64, before its ReLU
    let direct: Vec<u64> = h
        .row_iter()
        .map(|r| r.iter().filter(|&&v| v > 0.0).count() as u64)
        .collect();
    assert_eq!(a.active, direct);
    assert!(diag.dead_layers().is_empty());
}

#[test]
fn reports_follow_a_forward_pass_that_computes_what_forward_computes() {
    let (x, _) = cubic::<f32>(300, 4);
    let net = model::<f32>(4);
    let mut reports = Vec::new();
    let (y, ws) = net.forward_train(&x);
    net.report(&x, &ws, &mut reports);
    assert_eq!(y, net.forward(&x));
    let tensors: usize = reports.iter().map(|r| r.tensors).sum();
    assert_eq!(tensors, <SeedNet as Params<f32>>::TENSORS);
    let names: Vec<_> = reports.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["Dense 1→64", "Relu", "Dense 64→64", "Relu", "Dense 64→1"]
    );
}

#[test]
fn a_dead_hidden_layer_is_reported_and_refused_by_name() {
    let (x, y) = cubic::<f32>(500, 5);
    let mut net = model::<f32>(5);
    // Hidden layer 2's pre-activations are at most ~|W|·|h| ≪ 1e3 below zero: all negative.
    net.first.first.second.b.fill(-1e3);
    let diag = diagnose(&net, &x, &y, &Mse).unwrap();
    assert_eq!(diag.hidden_layers(), [(1, 1), (2, 3)]);
    assert_eq!(diag.dead_layers(), [2]);
    let dead = diag.layers[3].activity.as_ref().unwrap();
    assert_eq!((dead.alive_units(), dead.active_fraction()), (0, 0.0));
    // Nothing passes a dead layer backwards: every layer before it gets a zero gradient.
    assert_eq!(diag.layers[0].grad_norm, Some(0.0));
    assert_eq!(diag.layers[2].grad_norm, Some(0.0));
    assert!(diag.layers[4].grad_norm.unwrap() > 0.0); // the output bias still learns

    let table = diag.to_string();
    assert!(table.contains("Relu (hidden 2)"), "{table}");
    assert!(table.contains("0/64 (0%)"), "{table}");

    // However good the loss and R² look, a dead layer is refused.
    let failure = check_learned(&[1.0, 0.5], 0.9, &diag).unwrap_err();
    assert_eq!(
        failure,
        Failure::DeadLayer {
            hidden_layer: 2,
            units: 64
        }
    );
    // The failure is an error of its own: its message is the cause (a program adds "the
    // network learned nothing: " and its remedy).
    let msg = failure.to_string();
    assert!(
        msg.starts_with("every unit of hidden layer 2 (64 units) is inactive"),
        "{msg}"
    );
}

#[test]
fn a_trained_seed_network_passes_the_verdict() {
    // The seed experiment's settings on 200 samples: SGD lr 0.01, 900 full-batch epochs.
    let (x, y) = cubic::<f32>(200, 6);
    let mut net = model::<f32>(6);
    let losses = Trainer::new(&x, &y)
        .epochs(900)
        .fit(&mut net, &mut Sgd::new(0.01).unwrap(), &Mse)
        .unwrap()
        .train
        .to_vec();
    let pred = net.forward(&x);
    let r2 = constnet::metrics::r2(pred.as_slice(), y.as_slice()).unwrap();
    let diag = diagnose(&net, &x, &y, &Mse).unwrap();
    assert!(r2 > 0.9, "train R² {r2}");
    assert!(diag.dead_layers().is_empty(), "{diag}");
    assert_eq!(check_learned(&losses, r2, &diag), Ok(()));
    // Near a minimum every layer's loss gradient is smaller than at the start (measured:
    // 8.4, 60, 48 at init; 1.6, 5.5, 2.1 after these 900 epochs, which end still moving:
    // the seed's SGD sits at the edge of stability).
    let start = diagnose(&model::<f32>(6), &x, &y, &Mse).unwrap();
    let (before, after) = (reported_norms(&start), reported_norms(&diag));
    assert!(
        after.iter().zip(&before).all(|(a, b)| a < b),
        "{before:?} → {after:?}"
    );
}

fn healthy() -> constnet::diagnose::Diagnostics {
    let (x, y) = cubic::<f32>(50, 7);
    diagnose(&model::<f32>(7), &x, &y, &Mse).unwrap()
}

#[test]
fn an_exploded_loss_that_never_recovered_is_refused() {
    let diag = healthy();
    assert!(diag.dead_layers().is_empty());
    let peak = EXPLOSION_FACTOR * 2.0;
    // Blew up and ended no lower than it started (equal counts as not recovered).
    for history in [vec![2.0, peak, 3.0], vec![2.0, peak * 10.0, 2.0]] {
        match check_learned(&history, 0.9, &diag) {
            Err(Failure::Exploded {
                first, peak_epoch, ..
            }) => assert_eq!((first, peak_epoch), (2.0, 1)),
            other => panic!("{history:?}: {other:?}"),
        }
    }
    // A non-finite loss is an infinite peak, wherever it is, the first epoch too (a
    // history of NaN was accepted before: `peak ≥ 100 · NaN` is false).
    for history in [
        [2.0, f64::NAN, 5.0],
        [f64::NAN; 3],
        [f64::NAN, 1.0, f64::INFINITY],
        [f64::INFINITY; 3],
    ] {
        match check_learned(&history, 0.9, &diag) {
            Err(Failure::Exploded { peak, .. }) => assert_eq!(peak, f64::INFINITY),
            other => panic!("{history:?}: {other:?}"),
        }
    }
    // A non-finite start that ends finite recovered, NaN as ∞ (the fit is judged by R²).
    for first in [f64::NAN, f64::INFINITY] {
        assert_eq!(check_learned(&[first, 1.0, 0.5], 0.9, &diag), Ok(()));
    }
    let msg = check_learned(&[2.0, peak, 3.0], 0.9, &diag)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("exploded from 2.0000e0 to 2.0000e2 (epoch 2)"),
        "{msg}"
    );
}

#[test]
fn a_spike_that_recovered_or_stayed_small_is_not_an_explosion() {
    let diag = healthy();
    let peak = EXPLOSION_FACTOR * 2.0;
    // Spiked but ended below the start.
    assert_eq!(check_learned(&[2.0, peak, 1.9], 0.9, &diag), Ok(()));
    // Never reached the factor, even though it ended higher.
    assert_eq!(check_learned(&[2.0, peak * 0.99, 3.0], 0.9, &diag), Ok(()));
    // No history: not judged by this rule.
    assert_eq!(check_learned(&[], 0.9, &diag), Ok(()));
}

#[test]
fn a_train_r2_near_zero_or_below_is_refused() {
    let diag = healthy();
    for r2 in [0.0, -0.0, MIN_TRAIN_R2 - 1e-9, -847.0, f64::NAN] {
        match check_learned(&[1.0, 0.9], r2, &diag) {
            Err(Failure::NoFit { train_r2 }) => {
                assert!(train_r2.to_bits() == r2.to_bits() || (r2.is_nan() && train_r2.is_nan()));
            }
            other => panic!("R² {r2}: {other:?}"),
        }
    }
    assert_eq!(check_learned(&[1.0, 0.9], MIN_TRAIN_R2, &diag), Ok(()));
    let msg = check_learned(&[1.0], -0.0313, &diag)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("train R² -0.0313"), "{msg}");
}

#[test]
fn bad_data_is_a_typed_error() {
    let net = model::<f32>(8);
    let empty = Row::<f32>::zeros(0);
    assert!(matches!(
        diagnose(&net, &empty, &empty, &Mse),
        Err(Error::EmptyData)
    ));
    let (x, y) = cubic::<f32>(10, 8);
    let short = Row::<f32>::zeros(9);
    assert!(matches!(
        diagnose(&net, &x, &short, &Mse),
        Err(Error::LengthMismatch {
            expected: 10,
            found: 9,
            ..
        })
    ));
    let mut bad = x.clone();
    bad[3] = f32::NAN;
    assert!(matches!(
        diagnose(&net, &bad, &y, &Mse),
        Err(Error::NonFinite {
            what: "x",
            index: 3
        })
    ));
    let mut bad = y.clone();
    bad[9] = f32::INFINITY;
    assert!(matches!(
        diagnose(&net, &x, &bad, &Mse),
        Err(Error::NonFinite {
            what: "y",
            index: 9
        })
    ));
}

/// 300 full-batch SGD epochs of the seed network (init seed 0) on 200 samples of
/// `100·sin(6·(x − lo)/(hi − lo))`, x uniform in [lo, hi): a smooth curve in units the
/// network was not made for. Returns the loss history, train R² and diagnostics.
fn unscaled_run(lo: f32, hi: f32, lr: f64) -> (Vec<f64>, f64, constnet::diagnose::Diagnostics) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let x = Row::<f32>::from_fn(200, |_, _| rng.random_range(lo..hi));
    let y = x.map(|v| ((v - lo) / (hi - lo) * 6.0).sin() * 1e2);
    let mut net = model::<f32>(0);
    let losses = Trainer::new(&x, &y)
        .epochs(300)
        .fit(&mut net, &mut Sgd::new(lr).unwrap(), &Mse)
        .unwrap()
        .train
        .to_vec();
    let r2 = constnet::metrics::r2(net.forward(&x).as_slice(), y.as_slice()).unwrap();
    (losses, r2, diagnose(&net, &x, &y, &Mse).unwrap())
}

#[test]
fn real_runs_that_learned_nothing_are_refused() {
    // Issue #11's cases, reproduced: training "succeeds" (finite parameters, no error)
    // with a network that learned nothing. Measured: train R² -0.0019, 2.6e-9 and -2.0e6.

    // x in [100, 104] at the seed's lr: the loss jumps ~10⁶× and every ReLU dies.
    let (losses, r2, diag) = unscaled_run(100.0, 104.0, 0.01);
    assert_eq!(diag.dead_layers(), [1, 2]);
    assert!(r2 < MIN_TRAIN_R2, "{r2}");
    assert!(matches!(
        check_learned(&losses, r2, &diag),
        Err(Failure::DeadLayer {
            hidden_layer: 1,
            units: 64
        })
    ));

    // x in [0, 5] at the seed's lr: units stay alive, yet the network predicts the mean.
    let (losses, r2, diag) = unscaled_run(0.0, 5.0, 0.01);
    assert!(diag.dead_layers().is_empty(), "{diag}");
    assert_eq!(
        check_learned(&losses, r2, &diag),
        Err(Failure::NoFit { train_r2: r2 })
    );

    // x in [1000, 5000] at lr 1e-6: the loss explodes and ends far above where it began
    // (and the layers die). With the dead layers out of the picture, the explosion rule
    // alone refuses it.
    let (losses, r2, diag) = unscaled_run(1000.0, 5000.0, 1e-6);
    assert_eq!(diag.dead_layers(), [1, 2]);
    match check_learned(&losses, r2, &healthy()) {
        Err(Failure::Exploded {
            first, peak, last, ..
        }) => {
            assert!(peak >= EXPLOSION_FACTOR * first && last >= first);
        }
        other => panic!("{other:?}"),
    }
}

/// SiLU, written as a user would: it gets its report (`Forward::report`, its activity) from
/// the blanket impl.
#[derive(Clone, Copy, Debug, Default)]
struct Swish;

impl<D: nalgebra::DimName, T: Real> constnet::Layer<D, T> for Swish {
    type Out = D;
}

impl constnet::Activation for Swish {
    fn f<T: Real>(&self, x: T) -> T {
        x * constnet::Sigmoid.f(x)
    }
    fn df<T: Real>(&self, x: T) -> T {
        let s = constnet::Sigmoid.f(x);
        s + x * s * (T::one() - s)
    }
}

#[test]
fn frozen_constants_and_your_own_activations_map_to_the_right_layers() {
    // LeakyRelu owns one frozen tensor (its slope): the gradient tensors of the Dense
    // layers after it are found past it, and it gets no norm of its own.
    type Mixed = net![
        Dense<1, 8, f64>,
        constnet::LeakyRelu<f64>,
        Dense<8, 8, f64>,
        Swish,
        Dense<8, 1, f64>
    ];
    let net: Mixed = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(9), InitScheme::He);
    let (x, y) = cubic::<f64>(40, 9);
    let diag = diagnose(&net, &x, &y, &Mse).unwrap();
    let tensors: Vec<usize> = diag.layers.iter().map(|l| l.tensors).collect();
    assert_eq!(tensors, [2, 1, 2, 0, 2]);
    let names: Vec<&str> = diag.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        ["Dense 1→8", "LeakyRelu", "Dense 8→8", "Swish", "Dense 8→1"]
    );
    assert_eq!(diag.hidden_layers(), [(1, 1), (2, 3)]);
    // A leaky ReLU's and SiLU's derivatives are nowhere exactly 0 on these inputs.
    for i in [1, 3] {
        let a = diag.layers[i].activity.as_ref().unwrap();
        assert_eq!(a.active_fraction(), 1.0, "layer {i}");
    }

    // The norms are those of the gradient tensors 0-1, 3-4 and 5-6 of a direct backward.
    let (pred, mut ws) = net.forward_train(&x);
    let (_, grad) = net
        .backward(&x, &mut ws, &loss::mse_grad(&pred, &y).unwrap())
        .unwrap();
    let norm = |ts: [usize; 2]| -> f64 {
        let sq: f64 = ts.iter().flat_map(|&i| grad.tensor(i)).map(|v| v * v).sum();
        sq.sqrt()
    };
    let expected = [
        Some(norm([0, 1])),
        None,
        Some(norm([3, 4])),
        None,
        Some(norm([5, 6])),
    ];
    let reported: Vec<Option<f64>> = diag.layers.iter().map(|l| l.grad_norm).collect();
    assert_eq!(reported, expected);
}

/// A `Scaled` model reports its scalers around its network, keeps the hidden-layer count of
/// the network alone, and finds the same dead layer as the bare network on scaled data.
#[test]
fn a_scaled_model_reports_its_scalers_and_the_same_hidden_layers() {
    use constnet::{Dense, Init, InitScheme, Relu, Scaled, net};
    use rand::SeedableRng;
    type Inner = net![Dense<1, 8>, Relu, Dense<8, 8>, Relu, Dense<8, 1>];
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(300, |_, j| 1000.0 + 13.0 * j as f32);
    let y = x.map(|v| (v - 3000.0) * 5.0);
    let mut inner: Inner = Init::init(&mut rng, InitScheme::He);
    inner.first.first.second.b.fill(-1e3); // hidden layer 2 dead on scaled inputs
    let model = Scaled::from_data(inner.clone(), &x, &y).unwrap();
    let diag = diagnose(&model, &x, &y, &Mse).unwrap();
    let names: Vec<_> = diag.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names.first(), Some(&"Standardize"));
    assert_eq!(names.last(), Some(&"Rescale"));
    assert!(diag.layers[0].grad_norm.is_none() && diag.layers.last().unwrap().grad_norm.is_none());
    assert_eq!(diag.hidden_layers().len(), 2);
    let (sx, sy) = (model.input.forward(&x), model.output.to_training(&y));
    assert_eq!(
        diag.dead_layers(),
        diagnose(&inner, &sx, &sy, &Mse).unwrap().dead_layers()
    );
    assert_eq!(diag.dead_layers(), [2]);
}

/// The dead layer's width is its own, not another hidden layer's.
#[test]
fn a_dead_layer_is_reported_with_its_own_width() {
    type Uneven = net![Dense<1, 4>, Relu, Dense<4, 6>, Relu, Dense<6, 1>];
    let mut model = <Uneven as Params<f32>>::zeros();
    model.first.first.first.first.b.fill(1.0); // hidden layer 1 (4 units): always on
    model.first.first.second.b.fill(-1.0); // hidden layer 2 (6 units): always off
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(10, |_, j| j as f32);
    let diag = diagnose(&model, &x, &x, &Mse).unwrap();
    assert_eq!(diag.dead_layers(), [2]);
    let failure = check_learned(&[1.0, 0.5], 0.9, &diag).unwrap_err();
    assert_eq!(
        failure,
        Failure::DeadLayer {
            hidden_layer: 2,
            units: 6
        }
    );
}

/// A peak reached twice is reported at its first epoch.
#[test]
fn an_explosion_is_dated_by_the_first_epoch_of_its_peak() {
    let healthy = constnet::diagnose::Diagnostics {
        layers: vec![],
        samples: 4,
        loss: 1.0,
    };
    let failure = check_learned(&[1.0, 500.0, 500.0, 2.0], 0.9, &healthy).unwrap_err();
    assert!(
        matches!(failure, Failure::Exploded { peak_epoch: 1, .. }),
        "{failure:?}"
    );
}

/// #23.10's probe: a fit far off (train R² −4.09e52) is quoted in exponent notation, not
/// as 53 digits; an ordinary one with four decimals.
#[test]
fn a_far_off_r2_is_quoted_in_exponent_notation() {
    let far = Failure::NoFit {
        train_r2: -4.0935629e52,
    }
    .to_string();
    assert!(far.contains("train R² -4.0936e52 (below 0.1)"), "{far}");
    let near = Failure::NoFit { train_r2: 0.0089 }.to_string();
    assert!(near.contains("train R² 0.0089 (below 0.1)"), "{near}");
}
