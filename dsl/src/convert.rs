//! The operations the CLI and the language server share: read either file kind into the
//! model with its diagnostics, convert, and format.

use std::collections::HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::line_index::LineIndex;
use crate::model::{Document, Span};
use crate::{check, json, print, syntax};

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

/// Reads a workflow of either kind into the model: parse, report syntax errors, lower (DSL) or
/// read (JSON). Only problems that stop conversion are reported; [`analyze`] adds the checks.
pub fn read(kind: FileKind, text: &str) -> Analysis {
    let (document, mut diagnostics) = match kind {
        FileKind::Dsl => {
            let tree = syntax::parse(text);
            let mut diagnostics = syntax::syntax_errors(&tree);
            let (document, lowering) = syntax::lower::lower(&tree);
            diagnostics.extend(without_cascades(text, &diagnostics, lowering));
            (Some(document), diagnostics)
        }
        FileKind::Json => json::read_document(text),
    };
    sort(&mut diagnostics);
    Analysis {
        document,
        diagnostics,
    }
}

/// Reads a workflow of either kind and checks it: everything `agentblocks check` reports.
pub fn analyze(kind: FileKind, text: &str) -> Analysis {
    let mut analysis = read(kind, text);
    if let Some(document) = &analysis.document {
        let found = check::check(document);
        let found = without_cascades(text, &analysis.diagnostics, found);
        analysis.diagnostics.extend(found);
        sort(&mut analysis.diagnostics);
    }
    analysis
}

/// `later` without the diagnostics on a line where `first` already has an error: they would
/// be cascades of it (a port whose type did not parse is not also "unfed").
fn without_cascades(text: &str, first: &[Diagnostic], later: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let errors: Vec<&Diagnostic> = first.iter().filter(|d| d.is_error()).collect();
    if errors.is_empty() {
        return later;
    }
    let index = LineIndex::new(text);
    let broken_lines: HashSet<usize> = errors
        .iter()
        .map(|d| index.line_of(d.span().start))
        .collect();
    later
        .into_iter()
        .filter(|d| !broken_lines.contains(&index.line_of(d.span().start)))
        .collect()
}

fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by_key(|d| (d.span().start, d.span().end));
    diagnostics.dedup();
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
    let analysis = read(from, text);
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
