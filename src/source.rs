//! Reading workflow files safely: every way a path can be wrong is a clear message.

use std::fs;
use std::path::Path;

use agentblocks_dsl::convert::FileKind;

/// The largest workflow file read (generated 5,000-block workflows are a few MB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A workflow file read into memory.
pub struct SourceFile {
    /// The file's text.
    pub text: String,
    /// `.ab` or `.agentblocks`.
    pub kind: FileKind,
}

/// Why a file could not be read; rendered as one line.
#[derive(Debug)]
pub struct SourceError(pub String);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceError {}

/// The file kind of `path` from its extension, or a message saying which are known.
pub fn kind_of(path: &Path) -> Result<FileKind, SourceError> {
    FileKind::from_path(&path.to_string_lossy()).ok_or_else(|| {
        SourceError(format!(
            "`{}`: unknown file kind; expected a `.ab` or `.agentblocks` file",
            path.display()
        ))
    })
}

/// Reads a workflow file: it must exist, be a regular file of at most [`MAX_FILE_BYTES`], and
/// hold UTF-8 text.
pub fn read_source(path: &Path, kind: Option<FileKind>) -> Result<SourceFile, SourceError> {
    let kind = match kind {
        Some(kind) => kind,
        None => kind_of(path)?,
    };
    let shown = path.display();
    let metadata = fs::metadata(path)
        .map_err(|e| SourceError(format!("cannot read `{shown}`: {}", io_reason(&e))))?;
    if metadata.is_dir() {
        return Err(SourceError(format!(
            "`{shown}` is a directory, not a workflow file"
        )));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(SourceError(format!(
            "`{shown}` is {:.1} MB; workflow files larger than {} MB are not supported",
            metadata.len() as f64 / 1e6,
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = fs::read(path)
        .map_err(|e| SourceError(format!("cannot read `{shown}`: {}", io_reason(&e))))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        SourceError(format!(
            "`{shown}` is not UTF-8 text (invalid byte at offset {}); is it a workflow file?",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok(SourceFile { text, kind })
}

/// A short lowercase reason for an I/O error.
pub fn io_reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "no such file".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = error.to_string();
            // Drop the " (os error N)" suffix and lowercase the first letter.
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}
