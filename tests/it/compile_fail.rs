//! Shape and scalar mistakes must be compile errors, on the line where they are made.
//!
//! Each `tests/compile_fail/*.rs` is a small program that must not compile; its `.stderr`
//! snapshot pins the message. Regenerate the snapshots after changing a diagnostic with
//! `TRYBUILD=overwrite cargo test -p constnet-tests --test it compile_fail`, then read them.

#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("compile_fail/*.rs");
}

/// The README quotes the compiler's words: they must be the snapshot's, to the letter.
#[test]
fn readme_quotes_the_snapshot() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let stderr =
        std::fs::read_to_string(root.join("tests/compile_fail/hidden_width.stderr")).unwrap();
    let quoted: Vec<&str> = stderr.lines().take(11).collect();
    assert!(
        readme.contains(&format!("```text\n{}\n```", quoted.join("\n"))),
        "README's quoted error differs from tests/compile_fail/hidden_width.stderr"
    );
}
