//! The README's commands run as written (#22): every line of its ```sh blocks that starts
//! with `constnet ` (or `cargo run --release -p constnet-cli -- `, the same tool), run as if
//! from a scratch folder holding the repository's `data/`, must succeed. Not run here: the
//! firmware section's `target/release/constnet …` lines, which write into `firmware/` (CI
//! runs the firmware itself), and the sample sessions in ```text blocks.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use crate::testing::Scratch;

/// The commands of the README's ```sh blocks, continuation lines joined, comments cut.
fn shell_commands(readme: &str) -> Vec<String> {
    let (mut commands, mut inside, mut pending) = (Vec::new(), false, String::new());
    for line in readme.lines() {
        if line.starts_with("```") {
            inside = line == "```sh";
            continue;
        }
        if !inside {
            continue;
        }
        let code = line.split(" #").next().unwrap_or("").trim_end();
        match code.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => commands.push(std::mem::take(&mut pending) + code),
        }
    }
    commands
}

/// A word that names a file: read from the repository's `data/`, written in `dir`.
fn path_word(word: &str, root: &Path, dir: &Path) -> OsString {
    let is_path = word.contains('/')
        || [".csv", ".cnet", ".safetensors", ".rs"]
            .iter()
            .any(|e| word.ends_with(e));
    match (is_path, word.starts_with("data/")) {
        (true, true) => root.join(word).into_os_string(),
        (true, false) => dir.join(word).into_os_string(),
        (false, _) => word.into(),
    }
}

#[test]
fn the_readme_commands_run_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let dir = Scratch::new("readme");
    let mut ran = Vec::new();
    for command in shell_commands(&readme) {
        let command = command.replace("cargo run --release -p constnet-cli -- ", "constnet ");
        let Some(rest) = command.strip_prefix("constnet ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let sub = words.next().unwrap().to_owned();
        let mut args: Vec<OsString> = words.map(|w| path_word(w, root, &dir.0)).collect();
        // `fit` writes to ./constnet-out by default: the scratch folder's.
        if sub == "fit" && !rest.contains("--out") {
            args.extend(["--out".into(), dir.join("constnet-out").into_os_string()]);
        }
        let code = match sub.as_str() {
            "fit" => crate::fit::main(args),
            "predict" => crate::predict::main(args),
            "inspect" => crate::inspect::main(args),
            other => panic!("README: unknown command `constnet {other}`"),
        };
        assert_eq!(
            format!("{code:?}"),
            format!("{:?}", ExitCode::SUCCESS),
            "README: `{command}` failed"
        );
        ran.push(sub);
    }
    // The README's tool section: fit, predict and inspect, each at least once.
    for sub in ["fit", "predict", "inspect"] {
        assert!(
            ran.iter().any(|s| s == sub),
            "README runs no `constnet {sub}`: {ran:?}"
        );
    }
}
