// A network that mixes f64 and f32 layers fails where its type is written, naming both.
use constnet::{Dense, Relu, net};

fn build() -> net![Dense<1, 16, f64>, Relu, Dense<16, 1>] {
    unimplemented!()
}

fn main() {
    let _ = build;
}
