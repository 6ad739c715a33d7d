//! Tests of the crash-safe writes and the staging of outputs.
use super::*;

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
        Err(Error::Undefined("boom"))
    })
    .unwrap_err();
    assert!(matches!(err, Error::Undefined(_)));
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

/// The pid of a process that has exited (a child that was waited for).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_written_through_and_kept() {
    let dir = Scratch::new("symlink");
    fs::create_dir(dir.0.join("real")).unwrap();
    let real = dir.0.join("real/model.cnet");
    fs::write(&real, "old").unwrap();
    let link = dir.0.join("model.cnet");
    std::os::unix::fs::symlink("real/model.cnet", &link).unwrap();
    write_bytes_atomic(&link, b"new").unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&real).unwrap(), b"new");
    assert_eq!(fs::read(&link).unwrap(), b"new");
    // A dangling link creates the file it points to.
    let dangling = dir.0.join("dangling.cnet");
    std::os::unix::fs::symlink("real/fresh.cnet", &dangling).unwrap();
    write_bytes_atomic(&dangling, b"fresh").unwrap();
    assert_eq!(fs::read(dir.0.join("real/fresh.cnet")).unwrap(), b"fresh");
    // A loop is an error, not a hang.
    let (a, b) = (dir.0.join("loop-a"), dir.0.join("loop-b"));
    std::os::unix::fs::symlink("loop-b", &a).unwrap();
    std::os::unix::fs::symlink("loop-a", &b).unwrap();
    let err = write_bytes_atomic(&a, b"x").unwrap_err();
    assert!(err.to_string().contains("symbolic links"), "{err}");
}

#[cfg(unix)]
#[test]
fn an_existing_targets_permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new("perms");
    let target = dir.0.join("m.cnet");
    fs::write(&target, "old").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    write_bytes_atomic(&target, b"new").unwrap();
    let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn stale_temporaries_of_dead_processes_are_removed_and_nothing_else() {
    let dir = Scratch::new("stale");
    let dead = dead_pid();
    let own = std::process::id();
    let name = |pid: u32, n: usize, file: &str, ext: Option<&str>| {
        stale::temp_name(file.as_ref(), ext.map(AsRef::as_ref), pid, n)
            .into_string()
            .unwrap()
    };
    let stale_png = name(dead, 3, "fit.png", Some("png"));
    let live_png = name(own, 999_999, "fit.png", Some("png"));
    let other_target = name(dead, 4, "loss.png", Some("png"));
    let look_alike = format!(".fit.png.tmp-{dead}-x.png");
    for f in [&stale_png, &live_png, &other_target, &look_alike] {
        fs::write(dir.0.join(f), "leftover").unwrap();
    }
    fs::write(dir.0.join("fit.png"), "old").unwrap();
    write_bytes_atomic(&dir.0.join("fit.png"), b"new").unwrap();
    let mut expected = vec![
        "fit.png".to_string(),
        live_png.clone(),
        other_target.clone(),
        look_alike.clone(),
    ];
    if !cfg!(target_os = "linux") {
        expected.push(stale_png.clone()); // no /proc: left alone
    }
    expected.sort();
    assert_eq!(dir.entries(), expected);
}

#[test]
fn temp_names_parse_back_to_their_pid_and_nothing_else_does() {
    let name = stale::temp_name("m.cnet".as_ref(), Some("cnet".as_ref()), 42, 7);
    assert_eq!(name, ".m.cnet.tmp-42-7.cnet");
    let pid = |c: &str, ext: Option<&str>| {
        stale::temp_pid(c.as_ref(), "m.cnet".as_ref(), ext.map(AsRef::as_ref))
    };
    assert_eq!(pid(".m.cnet.tmp-42-7.cnet", Some("cnet")), Some(42));
    assert_eq!(pid(".m.cnet.tmp-42-7", None), Some(42));
    for other in [
        "m.cnet",
        ".m.cnet.tmp-42-7",
        ".m.cnet.tmp-42.cnet",
        ".m.cnet.tmp--7.cnet",
        ".m.cnet.tmp-4a-7.cnet",
        ".m.cnetx.tmp-42-7.cnet",
        ".x.cnet.tmp-42-7.cnet",
        ".m.cnet.tmp-42-7.cnet.bak",
    ] {
        assert_eq!(pid(other, Some("cnet")), None, "{other}");
    }
    assert!(stale::process_gone(dead_pid()) || !cfg!(target_os = "linux"));
    assert!(!stale::process_gone(std::process::id()));
}

#[cfg(unix)]
#[test]
fn a_device_is_never_replaced_by_a_regular_file() {
    let err = write_bytes_atomic(Path::new("/dev/null"), b"model").unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let meta = fs::metadata("/dev/null").unwrap();
    assert!(!meta.is_file());
    // No temporary was left in /dev either.
    let leftovers = fs::read_dir("/dev")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".null.tmp-"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn names_up_to_the_file_systems_limit_can_be_written_and_their_leftovers_found() {
    let dir = Scratch::new("long-names");
    let dead = dead_pid();
    // The temporary's name adds `.` and `.tmp-PID-N.ext`: these failed with "File name too
    // long" (os error 36) before.
    for name in [
        format!("{}.cnet", "a".repeat(250)),
        format!("{}.png", "é".repeat(125)),
        "b".repeat(255),
        // An extension too long to keep beside a shortened name.
        format!("m.{}", "e".repeat(240)),
    ] {
        let target = dir.0.join(&name);
        let ext = target.extension().map(ToOwned::to_owned);
        let leftover = stale::temp_name(name.as_ref(), ext.as_deref(), dead, 0);
        assert!(leftover.len() <= 255, "{} bytes", leftover.len());
        fs::write(dir.0.join(&leftover), "leftover").unwrap();
        write_bytes_atomic(&target, b"model").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"model");
        if cfg!(target_os = "linux") {
            assert!(!dir.0.join(&leftover).exists(), "{leftover:?} left");
        }
    }
    // Two long names with the same first 200 bytes have distinct stems.
    let (a, b) = ("x".repeat(240) + "a", "x".repeat(240) + "b");
    assert_ne!(stale::stem(a.as_ref(), None), stale::stem(b.as_ref(), None));
    assert_eq!(
        stale::stem("short.png".as_ref(), Some("png".as_ref())),
        "short.png"
    );
}

#[test]
fn a_path_ending_in_a_separator_names_a_folder_not_a_file() {
    let dir = Scratch::new("trailing");
    fs::write(dir.0.join("m.cnet"), "old").unwrap();
    // `newdir/` was written as a file `newdir`, `m.cnet/.` over `m.cnet`.
    for path in ["newdir/", "m.cnet/."] {
        let err = write_bytes_atomic(&dir.0.join(path), b"x").unwrap_err();
        assert!(err.to_string().contains("names a folder"), "{err}");
    }
    assert_eq!(dir.entries(), ["m.cnet"]);
    assert_eq!(fs::read(dir.0.join("m.cnet")).unwrap(), b"old");
    // A name that merely ends in a dot is a file.
    write_bytes_atomic(&dir.0.join("x."), b"x").unwrap();
}

#[test]
fn a_writer_that_makes_a_folder_of_its_temporary_leaves_nothing() {
    let dir = Scratch::new("writer-dir");
    let err = write_atomic(&dir.0.join("m.bin"), |tmp| {
        fs::remove_file(tmp).unwrap();
        fs::create_dir(tmp).unwrap();
        Ok(())
    });
    assert!(err.is_err());
    assert_eq!(dir.entries(), Vec::<String>::new());
}
