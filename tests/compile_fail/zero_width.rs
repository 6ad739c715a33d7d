// A zero-width layer written in a constant (the form `export` writes) fails where it is
// written, even under `cargo check`.
use constnet::Dense;

static LAYER: Dense<0, 3> = Dense::from_rows([[]; 3], [0.0; 3]);

fn main() {
    let _ = &LAYER;
}
