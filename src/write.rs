//! Atomic file writes: a temporary file beside the target, synced, then renamed over it, so a
//! crash or a full disk never leaves a half-written workflow.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::source::{io_reason, SourceError};

/// Writes `contents` to `path` atomically, keeping the permissions of a file it replaces. A
/// symbolic link is followed: the file it points to is replaced and the link stays a link.
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), SourceError> {
    let shown = path.display();
    let target;
    let path = if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        target = fs::canonicalize(path).map_err(|e| {
            SourceError(format!(
                "cannot write `{shown}`: it is a symbolic link that does not resolve: {}",
                io_reason(&e)
            ))
        })?;
        target.as_path()
    } else {
        path
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| SourceError(format!("cannot write `{shown}`: not a file path")))?;
    if path.is_dir() {
        return Err(SourceError(format!(
            "cannot write `{shown}`: it is a directory"
        )));
    }
    if !dir.is_dir() {
        return Err(SourceError(format!(
            "cannot write `{shown}`: there is no folder `{}`",
            dir.display()
        )));
    }
    let fail =
        |e: std::io::Error| SourceError(format!("cannot write `{shown}`: {}", io_reason(&e)));
    let temp_path = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = fs::File::create(&temp_path)?;
        file.write_all(contents.as_bytes())?;
        if let Ok(metadata) = fs::metadata(path) {
            file.set_permissions(metadata.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&temp_path, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp_path);
        return Err(fail(e));
    }
    Ok(())
}
