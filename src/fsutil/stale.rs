//! Names of temporary files, and removing the ones crashed processes left behind.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::Path;

/// `.<name>.tmp-<pid>-<n>[.<ext>]`: hidden, unique per process and write, and ending in the
/// target's extension (writers such as plotters pick the format from it).
pub(super) fn temp_name(name: &OsStr, ext: Option<&OsStr>, pid: u32, n: usize) -> OsString {
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".tmp-{pid}-{n}"));
    if let Some(ext) = ext {
        tmp.push(".");
        tmp.push(ext);
    }
    tmp
}

/// The pid in `candidate` if it is a temporary name of the target `name` (with `ext`), as
/// [`temp_name`] makes them; `None` for any other file.
pub(super) fn temp_pid(candidate: &OsStr, name: &OsStr, ext: Option<&OsStr>) -> Option<u32> {
    let bytes = candidate.as_encoded_bytes();
    let rest = bytes.strip_prefix(b".")?;
    let rest = rest.strip_prefix(name.as_encoded_bytes())?;
    let mut rest = rest.strip_prefix(b".tmp-")?;
    if let Some(ext) = ext {
        rest = rest.strip_suffix(ext.as_encoded_bytes())?;
        rest = rest.strip_suffix(b".")?;
    }
    let text = std::str::from_utf8(rest).ok()?;
    let (pid, n) = text.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) {
        return None;
    }
    pid.parse().ok()
}

/// Whether the process `pid` is known to have exited. Read from `/proc` on Linux; `false`
/// (unknown: keep its files) elsewhere or when `/proc` is not mounted.
pub(super) fn process_gone(pid: u32) -> bool {
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
    } else {
        false
    }
}

/// Removes, best effort, the regular files in `dir` that are temporaries of the target
/// `name` (with `ext`) whose process is gone. Errors are ignored: a temporary that cannot
/// be removed is only a leftover, not a reason to fail the write.
pub(super) fn remove_stale(dir: &Path, name: &OsStr, ext: Option<&OsStr>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = temp_pid(&entry.file_name(), name, ext) else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && process_gone(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}
