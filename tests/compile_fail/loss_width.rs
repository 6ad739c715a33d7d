// The network predicts one value per sample, the target holds two.
use constnet::nalgebra::SVector;
use constnet::{Dense, Forward, Params, Relu, net};

type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];

fn main() {
    let model = <Seed as Params<f32>>::zeros();
    let pred: SVector<f32, 1> = model.forward(&SVector::from([0.5]));
    let target = SVector::<f32, 2>::zeros();
    let _loss = constnet::loss::mse(&pred, &target);
}
