//! The diagnostics plot: a real training run's snapshots, a dying run, input errors.

use constnet::diagnose::{Diagnostics, diagnose};
use constnet::plot::{PlotError, diagnostics};
use constnet::train::Epoch;
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

/// Trains `net` with full-batch SGD at `lr` for `every * chunks` epochs, taking
/// diagnostics before the first epoch and after every `every` epochs (from the
/// trainer's `on_epoch` callback).
fn snapshots(
    net: &mut Seed,
    lr: f64,
    (x, y): &(Row, Row),
    every: usize,
    chunks: usize,
) -> Vec<(usize, Diagnostics)> {
    let mut out = vec![(0, diagnose(net, x, y, &Mse).unwrap())];
    Trainer::new(x, y)
        .epochs(every * chunks)
        .on_epoch(|e: &Epoch<'_, Seed>| {
            if (e.epoch + 1).is_multiple_of(every) {
                out.push((e.epoch + 1, diagnose(e.net, x, y, &Mse).unwrap()));
            }
        })
        .fit(net, &mut Sgd::new(lr).unwrap(), &Mse)
        .unwrap();
    out
}

fn seed_net(seed: u64) -> Seed {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::He)
}

#[test]
fn a_training_run_draws_an_800_by_800_png() {
    let data = cubic(200, -2.0, 2.0, 1);
    let snaps = snapshots(&mut seed_net(1), 0.01, &data, 30, 5);
    assert_eq!(snaps.len(), 6);
    assert_eq!(snaps[5].0, 150);
    let png = diagnostics(&snaps).unwrap();
    assert_png_sized(&png, (800, 800));
    // One snapshot draws too; snapshots out of epoch order are drawn by epoch.
    assert_png_sized(&diagnostics(&snaps[..1]).unwrap(), (800, 800));
    let reversed: Vec<_> = snaps.iter().rev().cloned().collect();
    assert_eq!(diagnostics(&reversed).unwrap(), png);
}

#[test]
fn a_dying_layer_and_vanished_gradients_still_draw() {
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
    assert_png_sized(&diagnostics(&snaps).unwrap(), (800, 800));

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
    let png = diagnostics(&[(0, flat.clone()), (5, flat)]).unwrap();
    assert_png_sized(&png, (800, 800));
}

#[test]
fn bad_snapshots_are_errors_and_a_good_one_saves_only_as_png() {
    let dir = Scratch::new("plot-diag-bad");
    assert!(matches!(
        diagnostics(&[]),
        Err(PlotError::Data(Error::EmptyData))
    ));
    let (x, y) = cubic(20, -2.0, 2.0, 3);
    let seed = diagnose(&seed_net(3), &x, &y, &Mse).unwrap();
    let small: net![Dense<1, 8>, Relu, Dense<8, 1>] =
        Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He);
    let other = diagnose(&small, &x, &y, &Mse).unwrap();
    assert!(matches!(
        diagnostics(&[(0, seed.clone()), (1, other)]),
        Err(PlotError::Data(Error::InvalidParameter {
            name: "snapshots",
            ..
        }))
    ));
    let png = diagnostics(&[(0, seed)]).unwrap();
    assert!(matches!(png.save(dir.join("d.svg")), Err(Error::Io { .. })));
    assert!(dir.entries().is_empty());
    png.save(dir.join("diagnostics.png")).unwrap();
    assert_eq!(dir.entries(), ["diagnostics.png"]);
    assert_eq!(
        std::fs::read(dir.join("diagnostics.png")).unwrap(),
        png.as_bytes()
    );
}
