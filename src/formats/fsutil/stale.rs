//! Names of temporary files, and removing the ones crashed processes left behind.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::Path;

/// The longest file name most file systems take (Linux's `NAME_MAX`), in bytes.
const NAME_MAX: usize = 255;
/// `.` + `.tmp-<u32>-<usize>`: at most 1 + 5 + 10 + 1 + 20 bytes.
const WRAPPING: usize = 37;

/// The target's name as its temporaries carry it: whole when the temporary's name fits in
/// [`NAME_MAX`] bytes; else its first characters, `~` and a hash of the whole name (a
/// 250-byte name is a valid target, but its temporary would not be a valid file name).
/// The same for every write to one target, so its stale temporaries are still found.
pub(super) fn stem(name: &OsStr, ext: Option<&OsStr>) -> OsString {
    let budget = NAME_MAX.saturating_sub(WRAPPING + temp_ext(ext).map_or(0, |e| e.len() + 1));
    if name.len() <= budget {
        return name.to_owned();
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = name
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let tag = format!("~{hash:016x}");
    debug_assert_eq!(tag.len(), HASHED);
    let lossy = name.to_string_lossy();
    let mut end = budget.saturating_sub(tag.len()).min(lossy.len());
    while !lossy.is_char_boundary(end) {
        end -= 1;
    }
    let mut stem = OsString::from(&lossy[..end]);
    stem.push(tag);
    stem
}

/// The extension a temporary carries: the target's, unless it is too long to fit beside a
/// shortened stem (then none: only the model writers, which do not look at it, meet such
/// names; the plots' are `png`).
fn temp_ext(ext: Option<&OsStr>) -> Option<&OsStr> {
    ext.filter(|e| WRAPPING + HASHED + 1 + e.len() <= NAME_MAX)
}

/// `~` and 16 hex digits.
const HASHED: usize = 17;

/// `.<stem>.tmp-<pid>-<n>[.<ext>]`: hidden, unique per process and write, and ending in the
/// target's extension (writers such as plotters pick the format from it); the stem is the
/// target's name, shortened if need be ([`stem`]).
pub(super) fn temp_name(name: &OsStr, ext: Option<&OsStr>, pid: u32, n: usize) -> OsString {
    let mut tmp = OsString::from(".");
    tmp.push(stem(name, ext));
    tmp.push(format!(".tmp-{pid}-{n}"));
    if let Some(ext) = temp_ext(ext) {
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
    let stem = stem(name, ext);
    let rest = rest.strip_prefix(stem.as_encoded_bytes())?;
    let mut rest = rest.strip_prefix(b".tmp-")?;
    if let Some(ext) = temp_ext(ext) {
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
