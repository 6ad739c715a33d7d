//! Step 4 of the learning path: a classifier. Handwritten digits (`data/digits.csv`: 1797
//! images of 8×8 grey levels 0–16, labels 0–9; source in `data/README.md`).
//!
//! ```sh
//! cargo run --release --example 04_digits
//! ```
//!
//! 1. Read the 64 pixel columns and the label column by name into a typed
//!    `Labeled<f32, 64, 10>`: 64 inputs and 10 classes are part of the data's type.
//! 2. Hold out a stratified fifth (every digit in its share: scikit-learn's
//!    `StratifiedKFold(5, shuffle=True)` protocol, fold 0).
//! 3. Standardize the pixels with the training rows' mean and deviation, inside the model
//!    (`Scaled`: raw pixels in, the 10 logits out).
//! 4. Train `Dense<64, 32> → ReLU → Dense<32, 32> → ReLU → Dense<32, 10>` on the logits with
//!    `CrossEntropy<10>` (softmax and loss fused) and Adam, mini-batches of 32.
//! 5. Accuracy against always answering the most frequent digit, and the confusion matrix.

use constnet::data::{KFold, Labeled};
use constnet::metrics::Confusion;
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{
    Adam, CrossEntropy, Dense, Forward, Init, InitScheme, Relu, Scaled, Standardize, Trainer, eval,
    net,
};

/// The network on standardized pixels; its widths are checked by the compiler, up to the
/// loss: `CrossEntropy<10>` on a `Dense<32, 9>` does not compile.
type Net = net![Dense<64, 32>, Relu, Dense<32, 32>, Relu, Dense<32, 10>];
/// Raw pixels in, logits out (the output scaler stays the identity).
type Model = Scaled<Net, 64, 10>;
type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Trains on a stratified 80% of `path`'s rows and returns the test rows' confusion matrix.
fn run(path: &std::path::Path, seed: u64) -> Res<Confusion<10>> {
    // 1. Columns pixel_0_0 … pixel_7_7, then the label.
    let names: Vec<String> = (0..64)
        .map(|i| format!("pixel_{}_{}", i / 8, i % 8))
        .collect();
    let inputs: [&str; 64] = std::array::from_fn(|i| names[i].as_str());
    let data = Labeled::<f32, 64, 10>::from_csv_labels_path(path, inputs, "digit")?;

    // 2. A stratified fifth held out.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let folds = KFold::stratified(data.y().as_slice(), 5, &mut rng)?;
    let (train, test) = data.fold(&folds, 0)?;

    // 3. The scaler from the training rows only; the network trains on scaled pixels.
    let mut model = Model::new(Init::init(&mut rng, InitScheme::XavierUniform));
    model.input = Standardize::from_data(train.x())?;
    let x = model.input.forward(train.x());

    // 4. 60 epochs of mini-batches of 32 (shuffled every epoch, seeded).
    let history = Trainer::new(&x, train.y())
        .epochs(60)
        .batch_size(32)
        .shuffle_seed(seed)
        .fit(
            &mut model.net,
            &mut Adam::new(1e-3)?,
            &CrossEntropy::<10>::new(),
        )?;
    println!(
        "trained {} epochs on {} rows: loss {:.3} -> {:.4}, training accuracy {:.4}",
        history.epochs(),
        train.len(),
        history.train.first().unwrap_or(f64::NAN),
        history.train.last().unwrap_or(f64::NAN),
        history.train_accuracy.last().unwrap_or(f64::NAN),
    );

    // 5. The held-out rows, raw pixels through the whole model, in blocks.
    Ok(eval::confusion(&model, test.x(), test.y().as_slice())?)
}

fn main() -> Res<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits.csv");
    let c = run(&path, 42)?;
    println!(
        "test accuracy {:.4} on {} rows (always answering the most frequent digit: {:.4}), \
         macro F1 {:.4}",
        c.accuracy()?,
        c.total(),
        c.majority_share()?,
        c.macro_f1()
    );
    println!("\nconfusion matrix (rows: true digit, columns: predicted)");
    println!(
        "     {}",
        (0..10).map(|p| format!("{p:>4}")).collect::<String>()
    );
    for (t, row) in c.counts().iter().enumerate() {
        let cells: String = row.iter().map(|n| format!("{n:>4}")).collect();
        println!("  {t}  {cells}   recall {:.3}", c.recall(t));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// scikit-learn's MLPClassifier with one hidden layer of 32 scores 0.9724 on average over
    /// 15 stratified folds of this data, 0.9528 on its worst (data/README.md): this held-out
    /// fifth must reach 0.95.
    #[test]
    fn classifies_held_out_digits_like_scikit_learn() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits.csv");
        let c = super::run(&path, 42).unwrap();
        assert_eq!(c.total(), 360); // a stratified fifth of 1797
        let accuracy = c.accuracy().unwrap();
        assert!(accuracy >= 0.95, "test accuracy {accuracy}");
    }
}
