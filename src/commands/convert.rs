//! `agentblocks convert`: `.ab` <-> `.agentblocks`, losslessly.

use std::io::Write;
use std::path::Path;

use agentblocks_dsl::convert::{convert, FileKind};

use crate::render::{emit_human, stderr_stream};
use crate::source::{kind_of, read_source};
use crate::write::write_atomic;
use crate::{report_error, Status};

/// Converts `input`; writes `output` atomically, or standard output.
pub fn run(input: &Path, output: Option<&Path>, to: Option<FileKind>) -> Status {
    let source = match read_source(input, None) {
        Ok(source) => source,
        Err(e) => {
            report_error(e);
            return Status::Usage;
        }
    };
    let to = match (to, output) {
        (Some(kind), Some(path)) => match kind_of(path) {
            // An output named for the other kind would hold text its name belies.
            Ok(named) if named != kind => {
                report_error(format_args!(
                    "`--to {}` disagrees with the output `{}`, a `.{}` file name; nothing was written",
                    kind_flag(kind),
                    path.display(),
                    named.extension()
                ));
                return Status::Usage;
            }
            _ => kind,
        },
        (Some(kind), None) => kind,
        (None, Some(path)) => match kind_of(path) {
            Ok(kind) => kind,
            Err(e) => {
                report_error(e);
                return Status::Usage;
            }
        },
        (None, None) => match source.kind {
            FileKind::Dsl => FileKind::Json,
            FileKind::Json => FileKind::Dsl,
        },
    };
    let converted = match convert(source.kind, to, &source.text) {
        Ok(converted) => converted,
        Err(diagnostics) => {
            report_error(format_args!(
                "cannot convert `{}`: it has errors; nothing was written",
                input.display()
            ));
            emit_human(
                &mut stderr_stream(),
                &input.display().to_string(),
                &source.text,
                &diagnostics,
            );
            return Status::Failure;
        }
    };
    for note in &converted.notes {
        eprintln!("note: {}", note.message);
    }
    match output {
        Some(path) => {
            if let Err(e) = write_atomic(path, &converted.text) {
                report_error(e);
                return Status::Usage;
            }
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(converted.text.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return Status::Usage;
            }
        }
    }
    Status::Success
}

/// The `--to` value of a kind.
fn kind_flag(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Dsl => "dsl",
        FileKind::Json => "json",
    }
}
