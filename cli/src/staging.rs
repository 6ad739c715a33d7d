//! [`Staging`]: a run's outputs written to temporaries, then moved into place together.
//!
//! Each file is a [`Pending`] (its new contents complete and synced beside it); nothing
//! replaces a target until every output was written, and [`Staging::commit`] then renames
//! them in the order they were staged and syncs their folders. A failure before the commit
//! (a full disk, a plot that cannot be drawn, a folder where a file should go) or a kill
//! leaves every target as it was; dropping a `Staging` removes its temporaries. What a
//! crash during the renames themselves leaves is said in `constnet::fsutil`'s docs: stage
//! the file that describes the others (`summary.json`) last.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use constnet::fsutil::{Pending, remove_stale, resolve_target, sync_dir};
use constnet::{Error, Result};

/// Outputs written to temporaries first and moved into place by [`commit`](Self::commit)
/// only when every one of them was written.
#[derive(Default)]
pub struct Staging {
    entries: Vec<Entry>,
}

enum Entry {
    /// New contents for a file.
    Move(Pending),
    /// Remove `target` (the resolved file); errors name `path` (as given).
    Remove { target: PathBuf, path: PathBuf },
}

impl Entry {
    fn target(&self) -> &Path {
        match self {
            Entry::Move(pending) => pending.target(),
            Entry::Remove { target, .. } => target,
        }
    }
}

impl Staging {
    /// Nothing staged.
    pub fn new() -> Self {
        Staging::default()
    }

    /// Stages new contents for `path` (see [`Pending::bytes`]).
    ///
    /// # Errors
    /// [`Error::Io`] if `path` is already staged (through links and `..` too) or cannot be
    /// written. Nothing is staged on error.
    pub fn write_bytes(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.check_new(path)?;
        self.entries.push(Entry::Move(Pending::bytes(path, bytes)?));
        Ok(())
    }

    /// Stages the removal of `path` (a stale output of an earlier run); a missing file is
    /// fine. The target's stale temporaries are removed now, as a write would.
    ///
    /// # Errors
    /// [`Error::Io`] if `path` is already staged or is a directory.
    pub fn remove(&mut self, path: &Path) -> Result<()> {
        let target = self.check_new(path)?;
        if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: io::Error::new(io::ErrorKind::IsADirectory, "is a directory, not a file"),
            });
        }
        remove_stale(path);
        self.entries.push(Entry::Remove {
            target,
            path: path.to_path_buf(),
        });
        Ok(())
    }

    /// Moves every staged file into place, in staging order, and removes the staged
    /// removals; then syncs the folders.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file whose rename or removal failed (the files before it
    /// are in place, the ones after it are not), or a folder that cannot be synced.
    pub fn commit(mut self) -> Result<()> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for entry in std::mem::take(&mut self.entries) {
            match entry {
                Entry::Move(pending) => {
                    let dir = pending.rename()?;
                    if !dirs.contains(&dir) {
                        dirs.push(dir);
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
        dirs.iter().try_for_each(|dir| sync_dir(dir))
    }

    /// The resolved target of `path`, unless it is staged already.
    fn check_new(&self, path: &Path) -> Result<PathBuf> {
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

#[cfg(test)]
mod tests;
