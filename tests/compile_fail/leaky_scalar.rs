// A parametrised activation has a scalar type too: an f32 LeakyRelu in an f64 network
// fails where the network is written.
use constnet::{Dense, LeakyRelu, net};

fn build() -> net![Dense<1, 4, f64>, LeakyRelu, Dense<4, 1, f64>] {
    unimplemented!()
}

fn main() {
    let _ = build;
}
