//! `agentblocks check`: report every problem of each file.

use std::path::PathBuf;

use agentblocks_dsl::convert::analyze;

use crate::output::outln;
use crate::render::{emit_human, file_json, stderr_stream};
use crate::source::read_source;
use crate::{report_error, Status};

/// Checks `files`; with `json`, prints one JSON object on standard output.
pub fn run(files: &[PathBuf], json: bool) -> Status {
    let mut status = Status::Success;
    let mut entries = Vec::new();
    let mut stream = stderr_stream();
    let (mut errors, mut warnings) = (0usize, 0usize);
    for path in files {
        let source = match read_source(path, None) {
            Ok(source) => source,
            Err(e) => {
                report_error(e);
                status = status.max(Status::Usage);
                continue;
            }
        };
        let analysis = analyze(source.kind, &source.text);
        let shown = path.display().to_string();
        errors += analysis.diagnostics.iter().filter(|d| d.is_error()).count();
        warnings += analysis
            .diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .count();
        if analysis.has_errors() {
            status = status.max(Status::Failure);
        }
        if json {
            entries.push(file_json(&shown, &source.text, &analysis.diagnostics));
        } else {
            emit_human(&mut stream, &shown, &source.text, &analysis.diagnostics);
        }
    }
    if json {
        if let Err(error) = outln!("{}", serde_json::json!({ "files": entries })) {
            return crate::output::failed(&error);
        }
    } else if status != Status::Usage {
        let checked = files.len();
        eprintln!(
            "checked {checked} file{}: {errors} error{}, {warnings} other diagnostic{}",
            if checked == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        );
    }
    status
}
