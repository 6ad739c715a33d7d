//! `constnet`: train a typed neural network on your own CSV file, check it honestly, and use
//! it — from the command line.
//!
//! ```text
//! constnet fit --data FILE.csv [--inputs a,b] [--target y] [--classify] [FLAGS]
//! constnet predict --model MODEL --data FILE.csv [--out predictions.csv]
//! constnet inspect MODEL
//! ```
//!
//! Every command prints one line on success and exits 0; an error is one line on stderr
//! (`constnet <command>: error: …`) and a non-zero exit: 2 for a mistake in the flags
//! (nothing was read or written), 1 for everything else. `constnet <command> --help` lists
//! a command's flags.

mod columns;
mod fit;
mod input;
mod inspect;
mod model;
mod outliers;
mod predict;
#[cfg(test)]
mod readme_tests;
mod staging;
#[cfg(test)]
mod testing;

use std::ffi::OsString;
use std::process::ExitCode;

/// The commands, for `--help` and the error for an unknown one.
const USAGE: &str = "\
constnet: train a typed neural network on your own CSV file, check it honestly, and use it

USAGE:
    constnet fit --data FILE.csv [--inputs a,b] [--target y] [--classify] [FLAGS]
    constnet predict --model MODEL --data FILE.csv [--out predictions.csv]
    constnet inspect MODEL

COMMANDS:
    fit        train (or cross-validate) a network on a CSV file's columns, with plots,
               summary.json and an honest verdict; save it, export it for firmware
    predict    a saved model's predictions for every row of a CSV file, in raw units
    inspect    what a model file holds: architecture, widths, parameters, scaling, columns

`constnet COMMAND --help` lists a command's flags.
";

fn main() -> ExitCode {
    let mut raw = std::env::args_os().skip(1);
    let Some(command) = raw.next() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    match command.to_str() {
        Some("fit") => fit::main(raw),
        Some("predict") => predict::main(raw),
        Some("inspect") => inspect::main(raw),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("-V" | "--version") => {
            println!("constnet {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => {
            let shown = command.to_string_lossy();
            eprintln!(
                "constnet: error: unknown command `{}` (commands: fit, predict, inspect; see \
                 constnet --help)",
                one_line(&shown)
            );
            ExitCode::from(2)
        }
    }
}

/// A message on one line even if a path in it holds a line break.
pub fn one_line(message: &str) -> String {
    message.replace('\n', "\\n").replace('\r', "\\r")
}

/// Prints a command's warning on one line.
pub fn warn(command: &str, message: &str) {
    eprintln!("constnet {command}: warning: {}", one_line(message));
}

/// The end of a command: its summary line and exit 0, or its error line and exit 1.
pub fn finish(command: &str, result: Result<String, Box<dyn std::error::Error>>) -> ExitCode {
    match result {
        Ok(line) => {
            println!("{}", one_line(&line));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("constnet {command}: error: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// A mistake in a command's flags: one line and exit 2.
pub fn usage_error(command: &str, message: &str) -> ExitCode {
    eprintln!("constnet {command}: error: {}", one_line(message));
    ExitCode::from(2)
}

/// The raw arguments after the command, as lexopt takes them.
pub type Raw = std::iter::Skip<std::env::ArgsOs>;

/// Collects the remaining arguments (tests pass their own).
pub fn collect(raw: impl Iterator<Item = OsString>) -> Vec<OsString> {
    raw.collect()
}
