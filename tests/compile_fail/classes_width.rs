// A digits classifier whose last layer has 9 logits, trained with a 10-class loss.
use constnet::loss::Labels;
use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::{CrossEntropy, Dense, Params, Relu, Sgd, Trainer, net};

type Digits = net![Dense<64, 32>, Relu, Dense<32, 9>];

fn main() {
    let mut model = <Digits as Params<f32>>::zeros();
    let x = OMatrix::<f32, Const<64>, Dyn>::zeros(4);
    let y = Labels::<10>::new(vec![0, 3, 7, 9]).unwrap();
    let mut sgd = Sgd::new(0.1).unwrap();
    let _ = Trainer::new(&x, &y).fit(&mut model, &mut sgd, &CrossEntropy::<10>::new());
}
