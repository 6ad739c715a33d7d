//! Crash-safe file writes: write a temporary file next to the target, fsync it, rename it
//! over the target, fsync the directory.
//!
//! After a crash or power loss the target holds either its old contents or the complete new
//! contents, never a mix, because `rename` within one directory is atomic and the new
//! contents are on disk before the rename is. A failed write leaves the target untouched and
//! no temporary file behind.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Error, Result};

/// Distinguishes temporary files of concurrent writes within one process.
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// How many names to try if a stale temporary file (from a crashed process that had our
/// pid) is in the way.
const ATTEMPTS: usize = 16;

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
/// links to it keep the old contents).
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
/// created, synced or renamed (e.g. the directory does not exist, or `path` has no file
/// name), or naming the directory if it cannot be synced. On every error, including a
/// panic in `write`, the temporary file is removed; except for a failed directory sync
/// (after the rename), the target is untouched.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path.file_name().ok_or_else(|| {
        io_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "path does not name a file",
        ))
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };

    let tmp = TempFile::create(dir, name, path.extension()).map_err(io_err)?;
    write(&tmp.path)?;
    sync_file(&tmp.path).map_err(io_err)?;
    fs::rename(&tmp.path, path).map_err(io_err)?;
    tmp.disarm();
    sync_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// [`write_atomic`] for a byte buffer.
///
/// For model files and other small outputs written in one go.
///
/// # Errors
/// As [`write_atomic`]; a failed write names `path`.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |tmp| {
        File::create(tmp)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })
    })
}

/// A temporary file that is removed when dropped, unless disarmed after the rename.
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
            let mut tmp_name = OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".tmp-{}-{n}", std::process::id()));
            if let Some(ext) = ext {
                tmp_name.push(".");
                tmp_name.push(ext);
            }
            let path = dir.join(tmp_name);
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
        let _ = fs::remove_file(&self.path);
    }
}

/// Flushes a closed file's contents to disk. Opened for writing because Windows needs
/// write access to flush; nothing is written.
fn sync_file(path: &Path) -> io::Result<()> {
    OpenOptions::new().write(true).open(path)?.sync_all()
}

/// Makes a rename in `dir` durable. Unix only: Windows cannot open a directory as a file
/// and makes renames durable on its own.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir()
                .join(format!("constnet-fsutil-{tag}-{}-{n}", std::process::id()));
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn entries(&self) -> Vec<String> {
            let mut names: Vec<String> = fs::read_dir(&self.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn writes_then_replaces() {
        let dir = Scratch::new("replace");
        let target = dir.0.join("model.bin");
        write_bytes_atomic(&target, b"first").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"first");
        write_bytes_atomic(&target, b"second, longer").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"second, longer");
        write_bytes_atomic(&target, b"").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"");
        assert_eq!(dir.entries(), ["model.bin"]);
    }

    #[test]
    fn temp_name_is_hidden_in_the_same_dir_and_keeps_the_extension() {
        let dir = Scratch::new("name");
        let target = dir.0.join("fit.png");
        let mut seen = None;
        write_atomic(&target, |tmp| {
            seen = Some(tmp.to_path_buf());
            fs::write(tmp, b"png").map_err(|source| Error::Io {
                path: tmp.into(),
                source,
            })
        })
        .unwrap();
        let seen = seen.unwrap();
        assert_eq!(seen.parent(), Some(dir.0.as_path()));
        let name = seen.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(".fit.png.tmp-"), "{name}");
        assert!(name.ends_with(".png"), "{name}");
        assert!(!seen.exists());
        assert_eq!(dir.entries(), ["fit.png"]);
    }

    #[test]
    fn no_extension_no_suffix() {
        let dir = Scratch::new("noext");
        let target = dir.0.join("weights");
        write_atomic(&target, |tmp| {
            let name = tmp.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with(".weights.tmp-"), "{name}");
            assert_eq!(name.matches('.').count(), 2, "{name}");
            fs::write(tmp, b"w").map_err(|source| Error::Io {
                path: tmp.into(),
                source,
            })
        })
        .unwrap();
        assert_eq!(dir.entries(), ["weights"]);
    }

    #[test]
    fn failing_writer_leaves_target_and_no_temp() {
        let dir = Scratch::new("fail");
        let target = dir.0.join("model.bin");
        write_bytes_atomic(&target, b"good").unwrap();
        let err = write_atomic(&target, |tmp| {
            fs::write(tmp, b"half").unwrap();
            Err(Error::Plot("boom".into()))
        })
        .unwrap_err();
        assert!(matches!(err, Error::Plot(_)));
        assert_eq!(fs::read(&target).unwrap(), b"good");
        assert_eq!(dir.entries(), ["model.bin"]);
    }

    #[test]
    fn panicking_writer_leaves_no_temp() {
        let dir = Scratch::new("panic");
        let target = dir.0.join("model.bin");
        let result = std::panic::catch_unwind(|| {
            let _ = write_atomic(&target, |_| panic!("writer panicked"));
        });
        assert!(result.is_err());
        assert!(dir.entries().is_empty());
    }

    #[test]
    fn writer_that_deletes_its_file_is_an_error() {
        let dir = Scratch::new("deleted");
        let target = dir.0.join("x.bin");
        let err = write_atomic(&target, |tmp| {
            fs::remove_file(tmp).unwrap();
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(err, Error::Io { ref path, .. } if path == &target));
        assert!(dir.entries().is_empty());
    }

    #[test]
    fn missing_directory_is_an_io_error_naming_the_target() {
        let dir = Scratch::new("missing");
        let target = dir.0.join("no/such/dir/model.bin");
        let mut called = false;
        let err = write_atomic(&target, |_| {
            called = true;
            Ok(())
        })
        .unwrap_err();
        assert!(!called);
        match err {
            Error::Io { path, source } => {
                assert_eq!(path, target);
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
        assert!(dir.entries().is_empty());
    }

    #[test]
    fn target_that_is_a_directory_fails_cleanly() {
        let dir = Scratch::new("isdir");
        let target = dir.0.join("sub");
        fs::create_dir(&target).unwrap();
        assert!(write_bytes_atomic(&target, b"x").is_err());
        assert_eq!(dir.entries(), ["sub"]);
        assert!(target.is_dir());
    }

    #[test]
    fn path_without_file_name_is_rejected() {
        assert!(matches!(
            write_bytes_atomic(Path::new("/"), b"x"),
            Err(Error::Io { .. })
        ));
        assert!(matches!(
            write_bytes_atomic(Path::new(".."), b"x"),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn relative_bare_file_name_uses_current_dir() {
        // Only the directory resolution is checked (no write into the working directory).
        let err = write_atomic(Path::new("constnet-never-written.bin"), |_| {
            Err(Error::EmptyData)
        })
        .unwrap_err();
        assert!(matches!(err, Error::EmptyData));
        assert!(!Path::new("constnet-never-written.bin").exists());
    }
}
