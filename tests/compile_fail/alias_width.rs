// The mistake in a type alias: Rust does not check an alias where it is defined, so the
// error is reported where the alias is first used.
use constnet::{Dense, Params, Relu, net};

type Model = net![Dense<1, 64>, Relu, Dense<63, 1>];

fn main() {
    let _model = <Model as Params<f32>>::zeros();
}
