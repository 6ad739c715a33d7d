//! Shared test helpers.

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
