//! The multi-block training step (batches of more than `BLOCK` = 256 samples, the seed
//! run's own path): its gradient and loss equal one unblocked pass over the whole batch.

/// The `Trainer`'s block size (internal to the crate; the tests below straddle it).
const BLOCK: usize = 256;
use constnet::{
    Dense, Forward, Init, InitScheme, Mse, Optimizer, Params, Relu, Trainer, loss, net,
};
use nalgebra::{Const, Dyn, OMatrix};
use rand::{RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

/// Three outputs, so a wrong offset into the targets (`start + OUT` for `start * OUT`)
/// cannot line up by accident.
type Model = net![Dense<2, 16, f64>, Relu, Dense<16, 16, f64>, Relu, Dense<16, 3, f64>];

/// Records the gradient of every step and leaves the network as it is.
struct Record(Vec<Model>);

impl Optimizer<f64, Model> for Record {
    fn step(&mut self, _net: &mut Model, grad: &Model) {
        self.0.push(grad.clone());
    }
}

fn data(n: usize) -> (OMatrix<f64, Const<2>, Dyn>, OMatrix<f64, Const<3>, Dyn>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(n as u64);
    let x = OMatrix::<f64, Const<2>, Dyn>::from_fn(n, |_, _| rng.random_range(-2.0..2.0));
    let y = OMatrix::<f64, Const<3>, Dyn>::from_fn(n, |r, _| {
        (r as f64 + 1.0) * rng.random_range(-1.0..1.0)
    });
    (x, y)
}

#[test]
fn a_full_batch_of_many_blocks_has_the_one_pass_gradient_and_loss() {
    let net: Model = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(9), InitScheme::He);
    // 257 = 256 + 1, 512 = two whole blocks, 1000 = 3·256 + 232, 700 = 2·256 + 188.
    for n in [257, 512, 700, 1000] {
        assert!(n > BLOCK);
        let (x, y) = data(n);
        let mut record = Record(Vec::new());
        let losses = Trainer::new(&x, &y)
            .epochs(2)
            .fit(&mut net.clone(), &mut record, &Mse)
            .unwrap()
            .train;

        // The reference: one forward and backward over all n samples, no blocks.
        let (pred, mut ws) = net.forward_train(&x);
        let reference_loss = loss::mse(&pred, &y).unwrap();
        let (_, reference) = net
            .backward(&x, &mut ws, &loss::mse_grad(&pred, &y).unwrap())
            .unwrap();

        // f64 sums of n ≤ 1000 terms in another order: each differs from the exact sum by
        // at most ~n·ε ≈ 2.2e-13 of the terms' total size. 1e-12 of the tensor's largest
        // entry allows that bound (measured: at most 2.0e-15), while any wrong block
        // (dropped, doubled, shifted by a sample) changes entries by O(1) of their size.
        let mut worst_ratio = 0.0f64;
        assert_eq!(losses.len(), 2);
        assert_eq!(record.0.len(), 2);
        for (epoch, grad) in record.0.iter().enumerate() {
            let rel = (losses[epoch] - reference_loss).abs() / reference_loss;
            assert!(rel < 1e-12, "N = {n}, epoch {epoch}: loss off by {rel:e}");
            for t in 0..Model::TENSORS {
                let (got, want) = (grad.tensor(t), reference.tensor(t));
                let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                assert!(scale > 0.0, "N = {n}: tensor {t} has a zero gradient");
                let worst = got
                    .iter()
                    .zip(want)
                    .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
                worst_ratio = worst_ratio.max(worst / scale);
                assert!(
                    worst <= 1e-12 * scale,
                    "N = {n}, epoch {epoch}, tensor {t}: off by {worst:e} of {scale:e}"
                );
            }
        }
        println!(
            "N = {n}: worst gradient difference {worst_ratio:.1e} of the tensor's largest entry"
        );
        // The network did not change, so both epochs saw the same gradient, bit for bit.
        for t in 0..Model::TENSORS {
            assert_eq!(record.0[0].tensor(t), record.0[1].tensor(t));
        }
    }
}
