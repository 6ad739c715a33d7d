//! Crash-safe file writes: write a temporary file next to the target, fsync it, rename it
//! over the target, fsync the directory ([`write_atomic`]); and the parts of that,
//! [`Pending`] and [`sync_dir`], with which a program replaces several files together
//! (the `constnet` tool stages a run's outputs that way).
//!
//! # What is promised
//!
//! - **One file** ([`write_atomic`]): after a crash or power loss the target holds either
//!   its old contents or the complete new contents, never a mix, because `rename` within
//!   one directory is atomic and the new contents are on disk before the rename is. A failed
//!   write leaves the target untouched and no temporary file behind.
//! - **Several files** (a [`Pending`] each): every file is written and synced to a
//!   temporary first; only when all of them succeeded does the program rename them into
//!   place, one after the other. A failure before that (a full disk, a read-only folder, a
//!   plot that cannot be drawn) leaves every target as it was.
//! - **Symbolic links** are written through: the new file replaces the file the link
//!   points to (the temporary is made in *that* file's directory), and the link stays. An
//!   existing target's permissions are kept.
//!
//! # What a crash during the final moves can leave
//!
//! Renames are each atomic, but not atomic together: a process killed (or a machine losing
//! power) between two of them leaves the targets renamed so far with their new contents
//! and the others with their old ones, each file whole. Renaming the file that describes
//! the others last (as the `constnet` tool does with `summary.json`) means: if that file
//! is new, all are. The
//! temporaries not yet renamed stay behind as hidden files `.<name>.tmp-<pid>-<n>[.<ext>]`;
//! the next write to the same target removes them ("stale temporaries", below). A rename
//! that *fails* part-way (rare: the temporaries sit in the targets' own directories) is
//! reported as an error with the same partial state.
//!
//! # Stale temporaries
//!
//! Before it creates a temporary for a target, a write removes the temporaries of that same
//! target left by crashed processes: files named exactly `.<name>.tmp-<pid>-<n>[.<ext>]`
//! (our pattern, for this name only) whose process `pid` no longer exists. Whether a process
//! exists is read from `/proc`, so this happens on Linux only; elsewhere stale temporaries
//! are left alone. A process in another PID namespace (container) writing to the same
//! folder is invisible in `/proc` and could lose its temporary: do not share an output
//! folder across containers.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Error, Result};

mod pending;
mod stale;
#[cfg(test)]
mod tests;

pub use pending::Pending;

/// Distinguishes temporary files of concurrent writes within one process.
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// How many names to try if a stale temporary file (from a crashed process that had our
/// pid) is in the way.
const ATTEMPTS: usize = 16;

/// How many symbolic links [`resolve_target`] follows before giving up (Linux's limit).
const MAX_LINKS: usize = 40;

/// Writes `path` atomically: `write` is called with a fresh temporary path in the same
/// directory and must create and fill that file; then the file is fsynced, renamed over
/// `path` and the directory is fsynced.
///
/// The temporary name is `.<file name>.tmp-<pid>-<n><.ext>`, hidden on Unix and ending in
/// the target's extension, because some writers (plotters) choose the format from it. It is
/// created empty (exclusively, so no other file is clobbered) before `write` runs, so
/// `write` must truncate it (`File::create` does).
///
/// The parent directory must exist: creating it is the caller's job. A new file gets
/// default permissions; an existing target is replaced, not modified in place (so hard
/// links to it keep the old contents), and keeps its permissions. A symbolic link is
/// written through (see the [module docs](self)).
///
/// ```
/// use constnet::fsutil::write_atomic;
/// let path = std::env::temp_dir().join(format!("constnet-doc-atomic-{}.txt", std::process::id()));
/// write_atomic(&path, |tmp| {
///     std::fs::write(tmp, "complete contents").map_err(|source| constnet::Error::Io {
///         path: tmp.to_path_buf(),
///         source,
///     })
/// })?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "complete contents");
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// Whatever `write` returns; [`Error::Io`] naming `path` if the temporary file cannot be
/// created, synced or renamed (e.g. the directory does not exist, `path` has no file
/// name or is a directory), or naming the directory if it cannot be synced. On every error,
/// including a panic in `write`, the temporary file is removed; except for a failed
/// directory sync (after the rename), the target is untouched.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    Pending::write(path, write)?.commit()
}

/// [`write_atomic`] for a byte buffer.
///
/// For model files and other small outputs written in one go.
///
/// ```
/// use constnet::fsutil::write_bytes_atomic;
/// let path = std::env::temp_dir().join(format!("constnet-doc-bytes-{}.bin", std::process::id()));
/// write_bytes_atomic(&path, b"\x01\x02")?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"\x01\x02");
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`write_atomic`]; a failed write names `path`.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    Pending::bytes(path, bytes)?.commit()
}

/// Removes the temporaries a crashed write of `path` left behind (see [Stale
/// temporaries](self#stale-temporaries)); what a write does first, for a program that
/// removes a file instead of writing it. Best effort: nothing is reported.
pub fn remove_stale(path: &Path) {
    if let Ok(target) = resolve_target(path)
        && let (Some(dir), Some(name)) = (target.parent(), target.file_name())
    {
        stale::remove_stale(dir, name, target.extension());
    }
}

/// The file a write to `path` replaces: symbolic links followed (the last component too),
/// the directory made absolute and canonical. Two paths name the same file for reading or
/// writing exactly when their `resolve_target`s are equal (hard links aside: they are
/// distinct names, and replacing one leaves the other's contents alone).
///
/// The file itself need not exist; its directory must.
///
/// ```
/// use constnet::fsutil::resolve_target;
/// let dir = std::env::temp_dir();
/// let a = resolve_target(&dir.join("x.csv"))?;
/// let b = resolve_target(&dir.join(".").join("x.csv"))?;
/// assert_eq!(a, b);
/// assert!(a.is_absolute());
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`] naming `path` if its directory does not exist or cannot be read, a link
/// cannot be read, there are more than 40 links in a row (a loop), or the path does not
/// name a file (`/`, `..`, or one ending in a separator or `/.`: `out/`, `m.cnet/.`).
pub fn resolve_target(path: &Path) -> Result<PathBuf> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if names_folder(path) {
        return Err(io_err(io::Error::new(io::ErrorKind::InvalidInput, FOLDER)));
    }
    let mut current = path.to_path_buf();
    let mut links = 0;
    loop {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io_err(io::Error::other(
                        "too many levels of symbolic links",
                    )));
                }
                let link = fs::read_link(&current).map_err(io_err)?;
                // A relative link is relative to the link's own directory.
                current = match current.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => break,
            Err(e) => return Err(io_err(e)),
        }
    }
    let not_a_file = |why: &str| io_err(io::Error::new(io::ErrorKind::InvalidInput, why));
    if names_folder(&current) {
        return Err(not_a_file(FOLDER));
    }
    let name = current
        .file_name()
        .ok_or_else(|| not_a_file("path does not name a file"))?;
    let dir = match current.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Ok(fs::canonicalize(dir).map_err(io_err)?.join(name))
}

const FOLDER: &str = "names a folder (it ends with a separator), not a file";

/// Whether `path` ends in a separator or a separator and `.` (`dir/`, `dir/.`): it names a
/// folder, though `file_name` would skip the ending and give `dir`.
fn names_folder(path: &Path) -> bool {
    let raw = path.as_os_str().as_encoded_bytes();
    let sep = |b: &u8| std::path::is_separator(char::from(*b));
    match raw {
        [.., last] if sep(last) => true,
        [.., before, b'.'] => sep(before),
        _ => false,
    }
}

/// A temporary file that is removed when dropped, unless disarmed after the rename.
#[derive(Debug)]
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn create(
        dir: &Path,
        name: &std::ffi::OsStr,
        ext: Option<&std::ffi::OsStr>,
    ) -> io::Result<TempFile> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(stale::temp_name(name, ext, std::process::id(), n));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => return Ok(TempFile { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free temporary file name")))
    }

    /// The file has been renamed into place: nothing to remove.
    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // Best effort: the error being returned (or the panic) matters more than this one.
        // A writer that made a folder of it: removed if empty.
        if fs::remove_file(&self.path).is_err() {
            let _ = fs::remove_dir(&self.path);
        }
    }
}

/// Flushes a closed file's contents to disk. Opened for writing because Windows needs
/// write access to flush; nothing is written.
fn sync_file(path: &Path) -> io::Result<()> {
    OpenOptions::new().write(true).open(path)?.sync_all()
}

/// Makes the renames into `dir` durable (an fsync of the directory). Unix only: Windows
/// cannot open a directory as a file and makes renames durable on its own.
///
/// # Errors
/// [`Error::Io`] naming `dir`.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let sync = || -> io::Result<()> {
        #[cfg(unix)]
        File::open(dir)?.sync_all()?;
        Ok(())
    };
    sync().map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}
