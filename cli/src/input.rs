//! The files a command reads: regular files only.

use std::path::Path;

use crate::model::RunResult;

/// `path` must be a regular file (through symbolic links). A FIFO would block the open
/// until something writes to it (forever, if nothing does), and a device such as
/// `/dev/zero` never ends; the tool also reads a data file twice (its header, then its
/// rows), which a pipe cannot give.
pub fn regular_file(path: &Path, flag: &str) -> RunResult<()> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    if meta.is_dir() {
        return Err(format!("{flag} {}: is a folder, not a file", path.display()).into());
    }
    if !meta.is_file() {
        return Err(format!(
            "{flag} {}: is not a regular file (a FIFO, device or socket): the tool reads \
             files, save the data to one first",
            path.display()
        )
        .into());
    }
    Ok(())
}
