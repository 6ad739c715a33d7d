//! Step 1 of the learning path: the seed experiment. A 1 → 64 → 64 → 1 ReLU network learns
//! `y = x³ + ε` by full-batch gradient descent, each step written out: forward pass, loss
//! gradient, backward pass, SGD update. Then R², the loss curve and the predictions.
//!
//! `cargo run --release --example cubic [-- --epochs 900 --lr 0.01 --seed 42 --out .]`
//! writes loss.png, fit.png and summary.json. The same loop with mini-batches, validation
//! and early stopping is `constnet::Trainer`; your own CSV goes to the `constnet` tool.
//! Next: `examples/02_custom_layer.rs`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use constnet::data::{Dataset, cubic};
use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::plot::{self, PredictionPlot, Series};
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{Dense, Forward, Init, InitScheme, Params, Relu, fsutil, metrics, net};

/// The network is its type. A layer that does not fit the one before it (say `Dense<63, 1>`
/// last) is a compile error on this line, naming both widths.
type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
/// One value per sample, one sample per column.
type Row = OMatrix<f32, Const<1>, Dyn>;

/// Samples per forward and backward pass: the 1 000 samples run as 4 blocks whose
/// activations stay in the CPU's cache; the blocks' gradients add up to the whole batch's.
const BLOCK: usize = 256;

/// The flags: epochs, learning rate, seed, output folder.
type Flags = (usize, f32, u64, PathBuf);
/// Samples of one input and one target.
type Data = Dataset<f32, 1, 1>;
/// Any error, for `?`.
type Res<T> = Result<T, Box<dyn std::error::Error>>;
const USAGE: &str = "usage: cubic [--epochs 900] [--lr 0.01] [--seed 42] [--out .]";

fn main() -> ExitCode {
    match flags(std::env::args().skip(1).collect()).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cubic: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run((epochs, lr, seed, out): Flags) -> Res<()> {
    // 1. The data: x ~ U(−2, 2), y = x³ + ε, ε ~ N(0, 0.1²); 1 000 samples to train on and
    //    1 000 more to test on.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let train = cubic::<f32, _>(1000, 0.1, &mut rng)?;
    let test = cubic::<f32, _>(1000, 0.1, &mut rng)?;
    // 2. The network, He-initialised from the same seeded RNG.
    let mut net: SeedNet = Init::init(&mut rng, InitScheme::He);
    // 3. Training (below), then 4. R², the share of the targets' variance explained.
    let started = Instant::now();
    let losses = train_sgd(&mut net, &train, epochs, lr)?;
    let seconds = started.elapsed().as_secs_f64();
    let r2 = |d: &Data| metrics::r2(net.forward(d.x()).as_slice(), d.y().as_slice());
    let (train_r2, test_r2) = (r2(&train)?, r2(&test)?);
    println!("train R² {train_r2:.4}, test R² {test_r2:.4} ({epochs} epochs in {seconds:.3} s)");

    // 5. The loss curve, and the predictions beside the test data and the true cubic.
    std::fs::create_dir_all(&out)?;
    plot::loss_curve(&losses)?.save(out.join("loss.png"))?;
    let v = |m: &Row| m.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>();
    let grid = Row::from_fn(401, |_, j| j as f32 / 100.0 - 2.0);
    let (gx, pred) = (v(&grid), v(&net.forward(&grid)));
    let truth = v(&grid.map(|x| x * x * x));
    let (tx, ty) = (v(test.x()), v(test.y()));
    let data = Series::new("test data", &tx, &ty);
    let fit = PredictionPlot::new(data, Series::new("network", &gx, &pred));
    let fit = fit.truth(Series::new("y = x³", &gx, &truth));
    plot::predictions(&fit)?.save(out.join("fit.png"))?;
    let last = losses[epochs - 1];
    let summary = format!(
        "{{\"epochs\": {epochs}, \"lr\": {lr}, \"seed\": {seed}, \"final_train_loss\": {last}, \
         \"train_r2\": {train_r2}, \"test_r2\": {test_r2}, \"train_seconds\": {seconds}}}\n"
    );
    fsutil::write_bytes_atomic(&out.join("summary.json"), summary.as_bytes())?;
    println!("loss.png, fit.png and summary.json in {}", out.display());
    Ok(())
}

/// Full-batch gradient descent with MSE; returns the loss before each epoch's update.
fn train_sgd(net: &mut SeedNet, data: &Data, epochs: usize, lr: f32) -> Res<Vec<f64>> {
    let (x, y, n) = (data.x(), data.y().as_slice(), data.len());
    // What each layer keeps from its forward pass lives in a workspace; a gradient has the
    // network's own type (each `Dense` of it holds ∂L/∂W and ∂L/∂b).
    let mut ws = SeedNet::workspace(Dyn(BLOCK));
    let (mut grad, mut block_grad) = (SeedNet::zeros(), SeedNet::zeros());
    let mut losses = Vec::with_capacity(epochs);
    for epoch in 0..epochs {
        let mut sse = 0.0f32;
        for (b, start) in (0..n).step_by(BLOCK).enumerate() {
            let len = BLOCK.min(n - start);
            let (xb, y) = (x.columns(start, len).into_owned(), &y[start..start + len]);
            // Forward: every layer's output, the prediction ŷ last.
            net.forward_into(&xb, &mut ws);
            let pred = SeedNet::output(&ws);
            let err = |j: usize| pred[j] - y[j];
            // The loss L = Σ (ŷ − y)² / n over the n samples; ∂L/∂ŷ = 2(ŷ − y) / n.
            sse += (0..len).map(|j| err(j) * err(j)).sum::<f32>();
            let dy = Row::from_fn(len, |_, j| err(j) * (2.0 / n as f32));
            // Backward: the chain rule from the last layer to the first, ∂L/∂θ of the block.
            // `backward_into` overwrites its gradient, so the first block writes the total
            // and later ones are added to it.
            let g = if b == 0 { &mut grad } else { &mut block_grad };
            net.backward_into(&xb, &mut ws, &dy, g)?;
            if b > 0 {
                each(&mut grad, &block_grad, |total, g| total + g);
            }
        }
        let loss = sse / n as f32;
        if !loss.is_finite() {
            Err(format!("diverged in epoch {}: loss {loss}", epoch + 1))?;
        }
        losses.push(loss.into());
        // SGD: every parameter θ ← θ − lr · ∂L/∂θ.
        each(net, &grad, |p, g| p - lr * g);
        if (epoch + 1) % (epochs / 10).max(1) == 0 {
            println!("epoch {:>5}/{epochs}  loss {loss:.6}", epoch + 1);
        }
    }
    Ok(losses)
}

/// `a ← f(a, b)` for every parameter of two networks of one type.
fn each(a: &mut SeedNet, b: &SeedNet, f: impl Fn(f32, f32) -> f32) {
    for i in 0..SeedNet::TENSORS {
        let pairs = a.tensor_mut(i).iter_mut().zip(b.tensor(i));
        pairs.for_each(|(a, &b)| *a = f(*a, b));
    }
}

/// `--epochs N`, `--lr X`, `--seed S`, `--out DIR` (the seed's 900, 0.01 and 42; `.`);
/// `--help` prints the usage and exits.
fn flags(args: Vec<String>) -> Res<Flags> {
    let (mut epochs, mut lr, mut seed, mut out) = (900, 0.01f32, 42, PathBuf::from("."));
    for pair in args.chunks(2) {
        let (flag, value) = (pair[0].as_str(), pair.get(1).map_or("", String::as_str));
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e} (try --help)");
        match flag {
            "--epochs" => epochs = value.parse().map_err(|e| bad(&e))?,
            "--lr" => lr = value.parse().map_err(|e| bad(&e))?,
            "--seed" => seed = value.parse().map_err(|e| bad(&e))?,
            "--out" if !value.is_empty() => out = PathBuf::from(value),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => Err(bad(&"unknown flag or missing value"))?,
        }
    }
    // The network computes in f32: 1e300 is infinite there, 1e-50 zero.
    if epochs == 0 || !(lr.is_finite() && lr > 0.0) {
        Err(format!(
            "--epochs must be ≥ 1 and --lr a positive f32 (got {epochs}, {lr})"
        ))?;
    }
    Ok((epochs, lr, seed, out))
}

/// The loop above is the library's `Trainer`, bit for bit: its test is in examples/tests/.
#[cfg(test)]
#[path = "tests/cubic.rs"]
mod tests;
