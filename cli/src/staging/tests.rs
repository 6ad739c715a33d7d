//! Tests of the staging of outputs.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("constnet-fsutil-{tag}-{}-{n}", std::process::id()));
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
fn a_failure_part_way_through_staging_leaves_every_target_as_it_was() {
    let dir = Scratch::new("staged-fail");
    let (model, plot, summary) = (
        dir.0.join("m.cnet"),
        dir.0.join("fit.png"),
        dir.0.join("summary.json"),
    );
    for (p, text) in [
        (&model, "old model"),
        (&plot, "old plot"),
        (&summary, "old"),
    ] {
        fs::write(p, text).unwrap();
    }
    let mut staging = Staging::new();
    staging.write_bytes(&model, b"new model").unwrap();
    staging.write_bytes(&plot, b"new plot").unwrap();
    // The last output cannot be written (its place is taken by a folder).
    let folder = dir.0.join("taken");
    fs::create_dir(&folder).unwrap();
    let err = staging.write_bytes(&folder, b"new summary").unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    fs::remove_dir(&folder).unwrap();
    drop(staging);
    assert_eq!(fs::read_to_string(&model).unwrap(), "old model");
    assert_eq!(fs::read_to_string(&plot).unwrap(), "old plot");
    assert_eq!(fs::read_to_string(&summary).unwrap(), "old");
    assert_eq!(dir.entries(), ["fit.png", "m.cnet", "summary.json"]);
}

#[test]
fn a_commit_moves_everything_in_order_and_removes_staged_removals() {
    let dir = Scratch::new("staged-ok");
    fs::write(dir.0.join("loss.png"), "stale").unwrap();
    let mut staging = Staging::new();
    staging.write_bytes(&dir.0.join("a"), b"1").unwrap();
    staging.remove(&dir.0.join("loss.png")).unwrap();
    staging.write_bytes(&dir.0.join("b"), b"2").unwrap();
    assert_eq!(dir.entries().len(), 3, "{:?}", dir.entries()); // two temporaries + loss.png
    staging.commit().unwrap();
    assert_eq!(dir.entries(), ["a", "b"]);
}

#[test]
fn two_outputs_onto_one_file_are_refused_even_through_links_and_dots() {
    let dir = Scratch::new("twice");
    let target = dir.0.join("m.cnet");
    let mut staging = Staging::new();
    staging.write_bytes(&target, b"1").unwrap();
    let dotted = dir.0.join(".").join("m.cnet");
    let err = staging.write_bytes(&dotted, b"2").unwrap_err();
    assert!(err.to_string().contains("same file"), "{err}");
    #[cfg(unix)]
    {
        let link = dir.0.join("link.cnet");
        std::os::unix::fs::symlink("m.cnet", &link).unwrap();
        assert!(staging.write_bytes(&link, b"3").is_err());
    }
    staging.commit().unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"1");
}

#[test]
fn removing_a_directory_is_refused_when_staged() {
    let dir = Scratch::new("remove-dir");
    fs::create_dir(dir.0.join("loss.png")).unwrap();
    let mut staging = Staging::new();
    assert!(staging.remove(&dir.0.join("loss.png")).is_err());
    assert!(dir.0.join("loss.png").is_dir());
}

#[test]
fn a_staged_removal_also_removes_the_targets_stale_temporaries() {
    let dir = Scratch::new("remove-stale");
    // The name a crashed write of loss.png by a process that is gone leaves behind.
    let leftover = format!(".loss.png.tmp-{}-1.png", dead_pid());
    fs::write(dir.0.join(&leftover), "leftover").unwrap();
    fs::write(dir.0.join("loss.png"), "old").unwrap();
    let mut staging = Staging::new();
    staging.remove(&dir.0.join("loss.png")).unwrap();
    staging.commit().unwrap();
    let expected: Vec<String> = if cfg!(target_os = "linux") {
        vec![]
    } else {
        vec![leftover]
    };
    assert_eq!(dir.entries(), expected);
}

/// The pid of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}
