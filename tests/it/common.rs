//! Shared test helpers.

use constnet::{Params, Real};
use proptest::test_runner::{Config, RngSeed};

/// Proptest configuration with a fixed RNG seed, so every run checks the same cases and a
/// failure reproduces exactly. Failing cases are also persisted under `proptest-regressions/`.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5eed_c0de),
        ..Config::default()
    }
}

/// Every parameter's bits, tensor by tensor (so 0.0 and -0.0 differ).
pub fn bits<T: Real, N: Params<T>>(net: &N) -> Vec<Vec<u64>> {
    (0..N::TENSORS)
        .map(|i| {
            net.tensor(i)
                .iter()
                .map(|&v| v.as_f64().to_bits())
                .collect()
        })
        .collect()
}
