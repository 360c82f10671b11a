//! The operations the CLI and the language server share: read either file kind into the
//! model with its diagnostics, convert, and format.

use std::collections::HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::line_index::LineIndex;
use crate::model::{Document, Span};
use crate::{json, print, syntax};

/// The two kinds of workflow file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A `.ab` text workflow.
    Dsl,
    /// An `.agentblocks` JSON workflow.
    Json,
}

impl FileKind {
    /// The kind a file name's extension says, if it says one.
    pub fn from_path(path: &str) -> Option<FileKind> {
        if path.ends_with(".ab") {
            Some(FileKind::Dsl)
        } else if path.ends_with(".agentblocks") {
            Some(FileKind::Json)
        } else {
            None
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Dsl => "ab",
            FileKind::Json => "agentblocks",
        }
    }
}

/// A file read into the model.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The model; `None` only when the text is not JSON at all (for JSON files).
    pub document: Option<Document>,
    /// Syntax errors and structural problems, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads a workflow of either kind: parse, report syntax errors, lower or read into the model.
pub fn analyze(kind: FileKind, text: &str) -> Analysis {
    let (document, mut diagnostics) = match kind {
        FileKind::Dsl => {
            let tree = syntax::parse(text);
            let mut diagnostics = syntax::syntax_errors(&tree);
            let (document, lowering) = syntax::lower::lower(&tree);
            // A line with a syntax error gets no lowering errors: they would be cascades of
            // the syntax error, which says what is wrong.
            let index = LineIndex::new(text);
            let broken_lines: HashSet<usize> = diagnostics
                .iter()
                .map(|d| index.line_of(d.span().start))
                .collect();
            diagnostics.extend(
                lowering
                    .into_iter()
                    .filter(|d| !broken_lines.contains(&index.line_of(d.span().start))),
            );
            (Some(document), diagnostics)
        }
        FileKind::Json => json::read_document(text),
    };
    diagnostics.sort_by_key(|d| (d.span().start, d.span().end));
    diagnostics.dedup();
    Analysis {
        document,
        diagnostics,
    }
}

/// The result of a conversion or a format.
#[derive(Clone, Debug)]
pub struct Converted {
    /// The new text.
    pub text: String,
    /// Things worth telling (comments dropped for JSON), never errors.
    pub notes: Vec<Diagnostic>,
}

/// Reads `text` of `from` kind and prints it as `to` kind: `.ab` -> JSON, JSON -> `.ab`,
/// or either into its own canonical form. Only a well-formed file converts: syntax errors
/// and structural problems of the JSON are returned instead; semantic problems (unknown block
/// types, bad connections) never block it.
pub fn convert(from: FileKind, to: FileKind, text: &str) -> Result<Converted, Vec<Diagnostic>> {
    let analysis = analyze(from, text);
    let errors: Vec<Diagnostic> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    let document = match analysis.document {
        Some(document) if errors.is_empty() => document,
        _ => return Err(errors),
    };
    let mut notes = Vec::new();
    let text = match to {
        FileKind::Json => {
            let dropped = document.trivia.count();
            if dropped > 0 {
                notes.push(
                    Diagnostic::new(
                        Severity::Information,
                        "comments-dropped",
                        format!(
                            "{dropped} plain comment{} dropped: JSON has no place for them",
                            if dropped == 1 { " was" } else { "s were" }
                        ),
                        Span::default(),
                    )
                    .with_help("doc comments (`///`) are kept as descriptions"),
                );
            }
            json::write_document(&document)
        }
        FileKind::Dsl => print::print_document(&document),
    };
    Ok(Converted { text, notes })
}

/// Formats a file of either kind into its canonical form (the DSL formatter, or canonical
/// JSON). A file with syntax errors is not formatted.
pub fn format(kind: FileKind, text: &str) -> Result<String, Vec<Diagnostic>> {
    convert(kind, kind, text).map(|converted| converted.text)
}
