// The same mistake built with `then`: the error must be on the `then` that adds the layer.
use constnet::{Dense, Net, Relu};

fn main() {
    let _net = Dense::<1, 64>::zeros()
        .then(Relu)
        .then(Dense::<63, 1>::zeros());
}
