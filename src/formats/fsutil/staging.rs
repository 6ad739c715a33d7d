//! [`Staging`]: several outputs written to temporaries, then moved into place together.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{TempFile, resolve_target, stale, sync_dir, sync_file};
use crate::{Error, Result};

/// Outputs written to temporary files first and moved into place by [`commit`](Self::commit)
/// only when every one of them was written; dropping a `Staging` without committing removes
/// the temporaries and leaves every target as it was. See the [module docs](super) for what
/// a crash during the commit can leave.
///
/// ```
/// use constnet::fsutil::Staging;
/// let dir = std::env::temp_dir().join(format!("constnet-doc-staging-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("old.txt"), "from the last run").unwrap();
///
/// let mut staging = Staging::new();
/// staging.write_bytes(&dir.join("model.bin"), b"weights")?;
/// staging.remove(&dir.join("old.txt"))?;
/// // Two outputs onto one file are refused before anything is moved:
/// assert!(staging.write_bytes(&dir.join("model.bin"), b"other").is_err());
/// assert!(!dir.join("model.bin").exists()); // nothing moved yet
/// staging.commit()?;
/// assert_eq!(std::fs::read(dir.join("model.bin")).unwrap(), b"weights");
/// assert!(!dir.join("old.txt").exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
#[derive(Default)]
pub struct Staging {
    entries: Vec<Entry>,
}

enum Entry {
    /// Rename `tmp` over `target` (the resolved file); errors name `path` (as given).
    Move {
        tmp: TempFile,
        target: PathBuf,
        path: PathBuf,
    },
    /// Remove `path` if it exists.
    Remove { target: PathBuf, path: PathBuf },
}

impl Entry {
    fn target(&self) -> &Path {
        match self {
            Entry::Move { target, .. } | Entry::Remove { target, .. } => target,
        }
    }
}

impl Staging {
    /// Nothing staged yet.
    ///
    /// ```
    /// constnet::fsutil::Staging::new().commit()?; // committing nothing does nothing
    /// # Ok::<(), constnet::Error>(())
    /// ```
    pub fn new() -> Self {
        Staging::default()
    }

    /// Stages `path`: `write` is called with a fresh temporary path (hidden, in the
    /// directory of the file `path` resolves to, ending in `path`'s extension) and must
    /// create and fill that file; it is then synced. Stale temporaries of the same target
    /// are removed first (see the [module docs](super#stale-temporaries)).
    ///
    /// ```
    /// use constnet::fsutil::Staging;
    /// let path = std::env::temp_dir().join(format!("constnet-doc-stage-{}.txt", std::process::id()));
    /// let mut staging = Staging::new();
    /// staging.write(&path, |tmp| {
    ///     std::fs::write(tmp, "text").map_err(|source| constnet::Error::Io { path: tmp.into(), source })
    /// })?;
    /// drop(staging); // not committed: nothing written, temporary removed
    /// assert!(!path.exists());
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// Whatever `write` returns; [`Error::Io`] naming `path` if it does not resolve to a
    /// file in an existing directory (see [`resolve_target`]), is a directory or another
    /// non-regular file (a device such as `/dev/null`, a FIFO, a socket), is already
    /// staged (two outputs of one run onto one file), or its temporary cannot be created
    /// or synced. Nothing already staged is affected.
    pub fn write(&mut self, path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        let io_err = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let target = self.new_target(path)?;
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
        self.entries.push(Entry::Move {
            tmp,
            target,
            path: path.to_path_buf(),
        });
        Ok(())
    }

    /// [`write`](Self::write) for a byte buffer.
    ///
    /// ```
    /// use constnet::fsutil::Staging;
    /// let path = std::env::temp_dir().join(format!("constnet-doc-stage-bytes-{}", std::process::id()));
    /// let mut staging = Staging::new();
    /// staging.write_bytes(&path, b"abc")?;
    /// staging.commit()?;
    /// assert_eq!(std::fs::read(&path).unwrap(), b"abc");
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn write_bytes(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.write(path, |tmp| {
            File::create(tmp)
                .and_then(|mut f| f.write_all(bytes))
                .map_err(|source| Error::Io {
                    path: path.to_path_buf(),
                    source,
                })
        })
    }

    /// Stages the removal of `path` (an output of an earlier run that this one does not
    /// replace and that would otherwise be taken for this run's); nothing happens at
    /// commit if it does not exist. A symbolic link is removed itself, not its target.
    /// Stale temporaries of the same target are removed now, as by [`write`](Self::write).
    ///
    /// ```
    /// use constnet::fsutil::Staging;
    /// let mut staging = Staging::new();
    /// staging.remove(&std::env::temp_dir().join("constnet-doc-never-there.png"))?;
    /// staging.commit()?;
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`write`](Self::write) for a path that cannot be resolved, is a directory or is
    /// already staged.
    pub fn remove(&mut self, path: &Path) -> Result<()> {
        let target = self.new_target(path)?;
        if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: io::Error::new(io::ErrorKind::IsADirectory, "is a directory, not a file"),
            });
        }
        // A crashed write of this file left its temporaries as a write would find them.
        if let (Some(dir), Some(name)) = (target.parent(), target.file_name()) {
            stale::remove_stale(dir, name, target.extension());
        }
        self.entries.push(Entry::Remove {
            target,
            path: path.to_path_buf(),
        });
        Ok(())
    }

    /// Whether an output is staged for the file `path` resolves to.
    ///
    /// ```
    /// use constnet::fsutil::Staging;
    /// let path = std::env::temp_dir().join("constnet-doc-staged.bin");
    /// let mut staging = Staging::new();
    /// staging.write_bytes(&path, b"x")?;
    /// assert!(staging.stages(&path)?);
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`resolve_target`].
    pub fn stages(&self, path: &Path) -> Result<bool> {
        let target = resolve_target(path)?;
        Ok(self.entries.iter().any(|e| e.target() == target))
    }

    /// Moves every staged file into place and makes the moves durable, in staging order.
    ///
    /// # Errors
    /// [`Error::Io`] naming the path whose rename or removal failed, or a directory that
    /// could not be synced. The outputs before it have been moved, the rest not (their
    /// temporaries are removed): see the [module docs](super).
    pub fn commit(mut self) -> Result<()> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for entry in std::mem::take(&mut self.entries) {
            match entry {
                Entry::Move { tmp, target, path } => {
                    fs::rename(&tmp.path, &target).map_err(|source| Error::Io { path, source })?;
                    tmp.disarm();
                    if let Some(dir) = target.parent()
                        && !dirs.iter().any(|d| d == dir)
                    {
                        dirs.push(dir.to_path_buf());
                    }
                }
                Entry::Remove { path, .. } => match fs::remove_file(&path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        return Err(Error::Io { path, source: e });
                    }
                    _ => {}
                },
            }
        }
        for dir in dirs {
            sync_dir(&dir).map_err(|source| Error::Io { path: dir, source })?;
        }
        Ok(())
    }

    /// The resolved target of `path`, refused if an output is already staged for it.
    fn new_target(&self, path: &Path) -> Result<PathBuf> {
        let target = resolve_target(path)?;
        if self.entries.iter().any(|e| e.target() == target) {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "another output of this run is written to the same file",
                ),
            });
        }
        Ok(target)
    }
}
