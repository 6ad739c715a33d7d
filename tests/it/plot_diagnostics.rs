//! The diagnostics plot: a real training run's snapshots, a dying run, input errors.

use constnet::diagnose::{Diagnostics, diagnose};
use constnet::fsutil::Staging;
use constnet::plot::{diagnostics, stage_diagnostics};
use constnet::{Dense, Error, Init, InitScheme, Mse, Relu, Sgd, Trainer, net};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

use crate::plot::assert_png_sized;
use crate::scratch::Scratch;

type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
type Row = OMatrix<f32, Const<1>, Dyn>;

/// `n` samples of y = x³ plus uniform noise, x in [lo, hi).
fn cubic(n: usize, lo: f32, hi: f32, seed: u64) -> (Row, Row) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Row::from_fn(n, |_, _| rng.random_range(lo..hi));
    let y = x.map(|v| v * v * v + rng.random_range(-0.17..0.17f32));
    (x, y)
}

/// Trains `net` with SGD at `lr`, taking diagnostics before the first epoch and after
/// every `every` epochs, `chunks` times (SGD has no state, so chunks of `fit` are one run).
fn snapshots(
    net: &mut Seed,
    lr: f64,
    (x, y): &(Row, Row),
    every: usize,
    chunks: usize,
) -> Vec<(usize, Diagnostics)> {
    let mut out = vec![(0, diagnose(net, x, y, &Mse).unwrap())];
    for c in 1..=chunks {
        Trainer::new(x, y)
            .epochs(every)
            .fit(net, &mut Sgd::new(lr).unwrap(), &Mse)
            .unwrap();
        out.push((c * every, diagnose(net, x, y, &Mse).unwrap()));
    }
    out
}

fn seed_net(seed: u64) -> Seed {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::He)
}

#[test]
fn a_training_run_draws_an_800_by_800_png() {
    let dir = Scratch::new("plot-diag-run");
    let data = cubic(200, -2.0, 2.0, 1);
    let snaps = snapshots(&mut seed_net(1), 0.01, &data, 30, 5);
    assert_eq!(snaps.len(), 6);
    diagnostics(&dir.join("diagnostics.png"), &snaps).unwrap();
    assert_png_sized(&dir.join("diagnostics.png"), (800, 800));
    // One snapshot, and snapshots out of epoch order, draw too.
    diagnostics(&dir.join("one.png"), &snaps[..1]).unwrap();
    let reversed: Vec<_> = snaps.iter().rev().cloned().collect();
    diagnostics(&dir.join("reversed.png"), &reversed).unwrap();
    assert_eq!(
        dir.entries(),
        ["diagnostics.png", "one.png", "reversed.png"]
    );
}

#[test]
fn a_dying_layer_and_vanished_gradients_still_draw() {
    let dir = Scratch::new("plot-diag-dead");
    let (x, y) = cubic(100, -2.0, 2.0, 2);
    let mut net = seed_net(2);
    let mut snaps = vec![(0, diagnose(&net, &x, &y, &Mse).unwrap())];
    // Hidden layer 2 dies: the gradients of layers 1 and 3 become exactly zero, which a
    // log axis cannot show (skipped, documented).
    net.first.first.second.b.fill(-1e3);
    let dead = diagnose(&net, &x, &y, &Mse).unwrap();
    assert_eq!(dead.dead_layers(), [2]);
    assert_eq!(dead.layers[0].grad_norm, Some(0.0));
    snaps.push((1, dead.clone()));
    snaps.push((2, dead));
    diagnostics(&dir.join("dead.png"), &snaps).unwrap();
    assert_png_sized(&dir.join("dead.png"), (800, 800));

    // A zero network on zero targets: every gradient norm is zero.
    let zero: Seed = constnet::Params::zeros();
    let x0 = Row::zeros(10);
    let flat = diagnose(&zero, &x0, &x0, &Mse).unwrap();
    assert!(
        flat.layers
            .iter()
            .filter_map(|l| l.grad_norm)
            .all(|g| g == 0.0)
    );
    diagnostics(&dir.join("flat.png"), &[(0, flat.clone()), (5, flat)]).unwrap();
    assert_png_sized(&dir.join("flat.png"), (800, 800));
}

#[test]
fn bad_snapshots_are_errors_and_stage_nothing() {
    let dir = Scratch::new("plot-diag-bad");
    let path = dir.join("diagnostics.png");
    let mut staging = Staging::new();
    assert!(matches!(
        stage_diagnostics(&mut staging, &path, &[]),
        Err(Error::EmptyData)
    ));
    let (x, y) = cubic(20, -2.0, 2.0, 3);
    let seed = diagnose(&seed_net(3), &x, &y, &Mse).unwrap();
    let small: net![Dense<1, 8>, Relu, Dense<8, 1>] =
        Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He);
    let other = diagnose(&small, &x, &y, &Mse).unwrap();
    assert!(matches!(
        stage_diagnostics(&mut staging, &path, &[(0, seed.clone()), (1, other)]),
        Err(Error::InvalidParameter {
            name: "snapshots",
            ..
        })
    ));
    assert!(matches!(
        stage_diagnostics(&mut staging, &dir.join("d.svg"), &[(0, seed.clone())]),
        Err(Error::Plot(_))
    ));
    assert!(dir.entries().is_empty());
    // A good one is staged, and appears only on commit.
    stage_diagnostics(&mut staging, &path, &[(0, seed)]).unwrap();
    assert!(!path.exists());
    staging.commit().unwrap();
    assert_png_sized(&path, (800, 800));
}
