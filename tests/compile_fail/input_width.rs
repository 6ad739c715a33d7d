// A correct network, called with an input of the wrong width.
use constnet::nalgebra::SVector;
use constnet::{Dense, Forward, Params, Relu, net};

type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];

fn main() {
    let model = <Seed as Params<f32>>::zeros();
    let x = SVector::<f32, 2>::zeros();
    let _y = model.forward(&x);
}
