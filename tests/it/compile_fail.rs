//! Shape and scalar mistakes must be compile errors, on the line where they are made.
//!
//! Each `tests/compile_fail/*.rs` is a small program that must not compile; its `.stderr`
//! snapshot pins the message. Regenerate the snapshots after changing a diagnostic with
//! `TRYBUILD=overwrite cargo test --test it compile_fail`, then read them.

#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("tests/compile_fail/*.rs");
}
