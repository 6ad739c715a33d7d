//! Same bits as before: the example's seed runs, trained through the library's `Trainer`,
//! end on exactly the parameters the code before the optimizer and pool rewrite (commit
//! 61b9a68) reached. Every change to the training loop's speed must keep these: they pin
//! the order of every floating-point operation of forward, backward and the optimizers'
//! updates (SGD, momentum, Nesterov, Adam and AdamW).
//!
//! The fingerprints were taken from models the earlier `cubic` example saved with `--save`
//! (same data, seed 42, noise 0.1), loaded and hashed as here; AdamW's (which that example
//! could not run) from this same `seed_run` compiled against commit 61b9a68.

use constnet::data::cubic;
use constnet::{
    Adam, AdamConfig, Dense, Init, InitScheme, Momentum, Mse, Optimizer, Params, Relu, Sgd,
    Trainer, net,
};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];

/// FNV-1a over every parameter's bits, tensor by tensor.
fn fingerprint(net: &SeedNet) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for t in 0..<SeedNet as Params<f32>>::TENSORS {
        for v in net.tensor(t) {
            for byte in v.to_bits().to_le_bytes() {
                h = (h ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    h
}

/// The example's run: train and test data, then the weights, from one seeded RNG.
fn seed_run(
    samples: usize,
    epochs: usize,
    batch: Option<usize>,
    opt: &mut impl Optimizer<f32, SeedNet>,
) -> u64 {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let train = cubic::<f32, _>(samples, 0.1, &mut rng).unwrap();
    let _test = cubic::<f32, _>(samples, 0.1, &mut rng).unwrap();
    let mut model: SeedNet = Init::init(&mut rng, InitScheme::He);
    let mut trainer = Trainer::new(train.x(), train.y())
        .epochs(epochs)
        .shuffle_seed(42)
        .drop_last(false);
    if let Some(b) = batch {
        trainer = trainer.batch_size(b);
    }
    trainer.fit(&mut model, opt, &Mse).unwrap();
    fingerprint(&model)
}

#[test]
fn seed_runs_keep_their_bits() {
    let sgd = |lr| Sgd::new(lr).unwrap();
    let momentum = || Momentum::new(0.01, 0.9).unwrap();
    let runs = [
        (
            "default: sgd, full batch, 900 epochs",
            seed_run(1000, 900, None, &mut sgd(0.01)),
            0x8c78ab1ffbf09748,
        ),
        (
            "sgd, batch 32",
            seed_run(1000, 20, Some(32), &mut sgd(0.01)),
            0xf84c7dd9a8e30c3c,
        ),
        (
            "sgd, batch 1",
            seed_run(1000, 2, Some(1), &mut sgd(0.01)),
            0x810eb21f7df8fe20,
        ),
        (
            "momentum, batch 8",
            seed_run(1000, 5, Some(8), &mut momentum()),
            0xcc8479d7a216c310,
        ),
        (
            "nesterov, full batch",
            seed_run(1000, 100, None, &mut Momentum::nesterov(0.01, 0.9).unwrap()),
            0xee8844bd0c0d35e8,
        ),
        (
            "sgd, 10 000 samples (blocks)",
            seed_run(10_000, 20, None, &mut sgd(0.01)),
            0x5d038982aeae9cd7,
        ),
    ];
    for (name, found, expected) in runs {
        assert_eq!(found, expected, "{name}: {found:#x}");
    }
}

/// Adam's update is vectorised but keeps the textbook order of operations (`m / c1`,
/// `v / c2`, `lr·m̂ / (√v̂ + ε)`); PyTorch's folded corrections would fail every line here.
#[test]
fn adam_runs_keep_their_bits() {
    let adam = || Adam::<f32, SeedNet>::new(1e-3).unwrap();
    let adamw = || {
        AdamConfig {
            lr: 1e-3,
            weight_decay: 1e-2,
            ..AdamConfig::default()
        }
        .build::<f32, SeedNet>()
        .unwrap()
    };
    let runs = [
        (
            "adam, batch 1",
            seed_run(1000, 2, Some(1), &mut adam()),
            0x6823fda01f0088b8,
        ),
        (
            "adam, batch 32",
            seed_run(1000, 20, Some(32), &mut adam()),
            0x61e66a93532a8743,
        ),
        (
            "adam, full batch",
            seed_run(1000, 100, None, &mut adam()),
            0xb9d4746bb6e3ec23,
        ),
        (
            "adamw, batch 8",
            seed_run(1000, 10, Some(8), &mut adamw()),
            0x4dcd6a85d33e2c3e,
        ),
        // 18 000 steps: past step 17 321, where 1 − β₂ᵗ rounds to exactly 1 in f32 and the
        // update stops dividing by it (the first correction did at step 165).
        (
            "adam, batch 1, 18 epochs",
            seed_run(1000, 18, Some(1), &mut adam()),
            0x2d74756f29d937cc,
        ),
    ];
    for (name, found, expected) in runs {
        assert_eq!(found, expected, "{name}: {found:#x}");
    }
}
