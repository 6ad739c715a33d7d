// A quantized chain whose second layer takes 3 inputs after a 4-wide layer: the type is
// rejected where it is written.
use constnet::quant::{QChain, QDense, QNet};

fn run(net: &QChain<QDense<1, 4>, QDense<3, 1>>) -> [i8; 1] {
    net.run(&[0])
}

fn main() {}
