//! The seed example's test (`cargo test --example cubic`): the loop it writes out is the
//! library's full-batch step.

use super::*;
use constnet::{Mse, Sgd, Trainer};

/// The loop `train_sgd` writes out in examples/cubic.rs is the library's full-batch step,
/// bit for bit.
#[test]
fn the_written_out_loop_is_the_trainers() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let data = cubic::<f32, _>(1000, 0.1, &mut rng).unwrap();
    let mut by_hand: SeedNet = Init::init(&mut rng, InitScheme::He);
    let mut trainer = by_hand.clone();
    let losses = train_sgd(&mut by_hand, &data, 30, 0.01).unwrap();
    let mut sgd = Sgd::new(0.01).unwrap();
    let h = Trainer::new(data.x(), data.y()).epochs(30);
    let h = h.fit(&mut trainer, &mut sgd, &Mse).unwrap();
    assert_eq!(losses, h.train.to_vec());
    assert!((0..SeedNet::TENSORS).all(|i| by_hand.tensor(i) == trainer.tensor(i)));
}

/// The flags: the seed's defaults, values as given, and every bad value or flag refused in
/// one line that names it (`main` prints it and exits 1).
#[test]
fn flags_default_to_the_seed_and_refuse_bad_values_by_name() {
    let parse = |line: &str| flags(line.split_whitespace().map(String::from).collect());
    let (epochs, lr, seed, out) = parse("").unwrap();
    assert_eq!((epochs, lr, seed, out), (900, 0.01, 42, PathBuf::from(".")));
    let given = parse("--epochs 5 --lr 0.5 --seed 7 --out o").unwrap();
    assert_eq!(given, (5, 0.5, 7, PathBuf::from("o")));
    for (line, says) in [
        ("--epochs 0", "--epochs must be ≥ 1"),
        ("--epochs -3", "--epochs -3: invalid digit"),
        ("--lr -1", "a positive f32 (got 900, -1)"),
        ("--lr 1e300", "(got 900, inf)"),
        ("--lr nan", "(got 900, NaN)"),
        ("--seed x", "--seed x: invalid digit"),
        ("--bogus 3", "--bogus 3: unknown flag"),
        ("--epochs", "--epochs : cannot parse"),
        ("--out", "--out : unknown flag or missing value"),
    ] {
        let e = parse(line).unwrap_err().to_string();
        assert!(e.contains(says) && !e.contains('\n'), "{line}: {e}");
    }
}
