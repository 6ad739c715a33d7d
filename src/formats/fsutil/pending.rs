//! [`Pending`]: one file's new contents, complete on disk beside it, not yet in place.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{TempFile, resolve_target, stale, sync_dir, sync_file};
use crate::{Error, Result};

/// A file's new contents, written and synced to a temporary file in the target's directory
/// (`.<name>.tmp-<pid>-<n>[.<ext>]`), not yet in place: [`commit`](Self::commit) renames it
/// over the target. Dropping it instead removes the temporary and leaves the target as it
/// was. [`write_atomic`](super::write_atomic) is `Pending::write(…)?.commit()`; a program
/// that replaces several files together stages a `Pending` for each, then
/// [`rename`](Self::rename)s them in order and syncs their directories (see the
/// [module docs](super) for what a crash between the renames leaves).
///
/// ```
/// use constnet::fsutil::Pending;
/// let dir = std::env::temp_dir().join(format!("constnet-doc-pending-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let model = Pending::bytes(&dir.join("model.bin"), b"weights")?;
/// assert!(!dir.join("model.bin").exists()); // not in place yet
/// model.commit()?;
/// assert_eq!(std::fs::read(dir.join("model.bin")).unwrap(), b"weights");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Debug)]
pub struct Pending {
    tmp: TempFile,
    /// The file replaced: links followed, directory canonical ([`resolve_target`]).
    target: PathBuf,
    /// The path as given, for errors.
    path: PathBuf,
}

impl Pending {
    /// Writes the new contents of `path` to a temporary: `write` is called with the
    /// temporary's path (which ends in `path`'s extension) and must create and fill it;
    /// then it is synced, and given the permissions of an existing target.
    ///
    /// # Errors
    /// Whatever `write` returns; [`Error::Io`] naming `path` if it names a folder, a
    /// directory or a device, FIFO or socket (which a regular file must not replace), if
    /// its directory does not exist, or if the temporary cannot be created or synced. On
    /// every error the temporary is removed.
    pub fn write(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<Pending> {
        let mut write = Some(write);
        // Compiled once, not once per caller's closure.
        let mut once = |tmp: &Path| write.take().expect("write_dyn calls the writer once")(tmp);
        Self::write_dyn(path, &mut once)
    }

    /// [`Pending::write`] with the writer behind a trait object.
    fn write_dyn(path: &Path, write: &mut dyn FnMut(&Path) -> Result<()>) -> Result<Pending> {
        let io_err = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let target = resolve_target(path)?;
        let existing = fs::metadata(&target).ok();
        if existing.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(io_err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory, not a file",
            )));
        }
        // A device, FIFO or socket (`/dev/null`) would be replaced by a regular file.
        if existing.as_ref().is_some_and(|m| !m.is_file()) {
            return Err(io_err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is not a regular file (a device, FIFO or socket): refusing to replace it",
            )));
        }
        // `resolve_target` returns a canonical directory joined with a file name.
        let (dir, name) = (
            target.parent().unwrap_or(Path::new(".")),
            target.file_name(),
        );
        let name = name.ok_or_else(|| io_err(io::ErrorKind::InvalidInput.into()))?;
        let ext = target.extension();
        stale::remove_stale(dir, name, ext);
        let tmp = TempFile::create(dir, name, ext).map_err(io_err)?;
        write(&tmp.path)?;
        sync_file(&tmp.path).map_err(io_err)?;
        if let Some(meta) = existing {
            // After the sync: a read-only mode would stop the file being opened for it.
            fs::set_permissions(&tmp.path, meta.permissions()).map_err(io_err)?;
        }
        Ok(Pending {
            tmp,
            target,
            path: path.to_path_buf(),
        })
    }

    /// [`write`](Self::write) of a byte buffer.
    ///
    /// # Errors
    /// As [`write`](Self::write); a failed write names `path`.
    pub fn bytes(path: &Path, bytes: &[u8]) -> Result<Pending> {
        Pending::write(path, |tmp| {
            File::create(tmp)
                .and_then(|mut f| f.write_all(bytes))
                .map_err(|source| Error::Io {
                    path: path.to_path_buf(),
                    source,
                })
        })
    }

    /// The file this replaces ([`resolve_target`] of the path given).
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the new contents over the target; returns the target's directory, which
    /// the caller syncs ([`sync_dir`](super::sync_dir)) to make the rename durable (once for
    /// several files in one directory).
    ///
    /// # Errors
    /// [`Error::Io`] naming the path if the rename fails (the target is then as it was).
    pub fn rename(self) -> Result<PathBuf> {
        fs::rename(&self.tmp.path, &self.target).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })?;
        let dir = self
            .target
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        self.tmp.disarm();
        Ok(dir)
    }

    /// Renames the new contents over the target and syncs the directory.
    ///
    /// # Errors
    /// As [`rename`](Self::rename); [`Error::Io`] naming the directory if it cannot be
    /// synced (the target is then already replaced).
    pub fn commit(self) -> Result<()> {
        sync_dir(&self.rename()?)
    }
}
