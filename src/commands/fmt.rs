//! `agentblocks fmt`: rewrite files in canonical form, or list those that are not.

use std::path::PathBuf;

use agentblocks_dsl::convert::format;

use crate::output::outln;
use crate::render::{emit_human, stderr_stream};
use crate::source::read_source;
use crate::write::write_atomic;
use crate::{report_error, Status};

/// Formats `files` in place; with `check`, changes nothing and lists what would change.
pub fn run(files: &[PathBuf], check: bool) -> Status {
    let mut status = Status::Success;
    let mut stream = stderr_stream();
    for path in files {
        let source = match read_source(path, None) {
            Ok(source) => source,
            Err(e) => {
                report_error(e);
                status = status.max(Status::Usage);
                continue;
            }
        };
        let formatted = match format(source.kind, &source.text) {
            Ok(formatted) => formatted,
            Err(diagnostics) => {
                report_error(format_args!(
                    "cannot format `{}`: it has errors",
                    path.display()
                ));
                emit_human(
                    &mut stream,
                    &path.display().to_string(),
                    &source.text,
                    &diagnostics,
                );
                status = status.max(Status::Failure);
                continue;
            }
        };
        if formatted == source.text {
            continue;
        }
        if check {
            if let Err(error) = outln!("{}", path.display()) {
                return crate::output::failed(&error);
            }
            status = status.max(Status::Failure);
        } else if let Err(e) = write_atomic(path, &formatted) {
            report_error(e);
            status = status.max(Status::Usage);
        }
    }
    status
}
