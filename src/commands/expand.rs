//! `agentblocks expand`: print a template block's code with its placeholders expanded.

use std::path::Path;

use agentblocks_dsl::convert::analyze;

use crate::output::out;
use crate::render::{emit_human, stderr_stream};
use crate::source::read_source;
use crate::{report_error, Status};

/// Prints block `block`'s expanded template.
pub fn run(file: &Path, block: &str) -> Status {
    let source = match read_source(file, None) {
        Ok(source) => source,
        Err(e) => {
            report_error(e);
            return Status::Usage;
        }
    };
    let analysis = analyze(source.kind, &source.text);
    let document = match analysis.document {
        Some(document) if !analysis.has_errors() => document,
        _ => {
            emit_human(
                &mut stderr_stream(),
                &file.display().to_string(),
                &source.text,
                &analysis.diagnostics,
            );
            return Status::Usage;
        }
    };
    match agentblocks_engine::expand_block(&document, block) {
        Ok(code) => {
            let newline = if code.ends_with('\n') { "" } else { "\n" };
            match out!("{code}{newline}") {
                Ok(()) => Status::Success,
                Err(error) => crate::output::failed(&error),
            }
        }
        Err(message) => {
            report_error(message);
            Status::Failure
        }
    }
}
