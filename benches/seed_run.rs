//! One run of the seed experiment through the `Trainer`, timed like
//! `/work/shared/reference/seed_numpy.py` (its `train_s` covers the 900 epochs only):
//! 1 000 samples x ~ U(−2, 2), y = x³ + N(0, 0.1²), `1 → 64 → ReLU → 64 → ReLU → 1`, He init,
//! plain SGD lr 0.01, full batch, 900 epochs, f32.
//!
//! `cargo bench --bench seed_run` prints one line in the script's format, so the two can be
//! compared in one sitting; wrap it in `/usr/bin/time -v` for the peak memory. (Data and
//! initial weights come from different generators than NumPy's, so the MSE and R² match
//! only as a band; see NOTES.)

use std::time::Instant;

use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::rand::{Rng, RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{Dense, Forward, Init, InitScheme, Mse, Relu, Sgd, Trainer, loss, net};

type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];

/// A standard normal draw (Box–Muller; the crate does not re-export `rand_distr`).
fn normal(rng: &mut impl Rng) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn main() {
    let n = 1000;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(n, |_, _| rng.random_range(-2.0..2.0));
    let y = x.map(|v| v * v * v + (0.1 * normal(&mut rng)) as f32);
    let mut model: SeedNet = Init::init(&mut rng, InitScheme::He);
    let mut sgd = Sgd::new(0.01).unwrap();

    let start = Instant::now();
    // The Trainer's defaults are the seed's: 900 full-batch epochs.
    let history = Trainer::new(&x, &y).fit(&mut model, &mut sgd, &Mse);
    let train_s = start.elapsed().as_secs_f64();

    let history = history.expect("the seed run diverged");
    let losses = &history.train;
    let pred = model.forward(&x);
    let mean = y.mean();
    let ss_tot: f64 = y.iter().map(|&t| ((t - mean) as f64).powi(2)).sum();
    let ss_res = loss::mse(&pred, &y).unwrap() as f64 * n as f64;
    println!(
        "n={n} epochs={} first_mse={:.4} final_mse={:.4} r2={:.4} train_s={train_s:.3}",
        history.epochs(),
        losses[0],
        losses[losses.len() - 1],
        1.0 - ss_res / ss_tot
    );
}
