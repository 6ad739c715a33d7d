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
