// A hidden layer of the wrong width, in the network's type: the error must be on the
// signature, naming both widths, before anything is run.
use constnet::{Dense, Relu, net};

fn build() -> net![Dense<1, 64>, Relu, Dense<63, 1>] {
    unimplemented!()
}

fn main() {
    let _ = build;
}
