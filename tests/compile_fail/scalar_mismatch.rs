// An f64 input into an f32 network.
use constnet::nalgebra::SVector;
use constnet::{Dense, Forward, Params, Relu, net};

type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];

fn main() {
    let model = <Seed as Params<f32>>::zeros();
    let x = SVector::<f64, 1>::zeros();
    let _y = model.forward(&x);
}
