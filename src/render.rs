//! Showing diagnostics: codespan-reporting for people (colours on a terminal), JSON for tools.

use std::io::IsTerminal;

use agentblocks_dsl::diagnostic::{Diagnostic, Severity};
use agentblocks_dsl::line_index::{LineIndex, Utf16Position};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};
use serde_json::{json, Value};

/// A stream for human output on standard error, coloured only on a terminal.
pub fn stderr_stream() -> termcolor::StandardStream {
    let choice = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        termcolor::ColorChoice::Auto
    } else {
        termcolor::ColorChoice::Never
    };
    termcolor::StandardStream::stderr(choice)
}

/// Renders `diagnostics` of one file the way rustc does.
pub fn emit_human(
    out: &mut dyn termcolor::WriteColor,
    path: &str,
    text: &str,
    diagnostics: &[Diagnostic],
) {
    let file = SimpleFile::new(path, text);
    let config = term::Config::default();
    for diagnostic in diagnostics {
        let rendered = to_codespan(diagnostic, text.len());
        if term::emit(out, &config, &file, &rendered).is_err() {
            // The spans did not fit the text: still say what is wrong.
            let _ = writeln!(
                out,
                "{}[{}]: {} ({path})",
                diagnostic.severity.as_str(),
                diagnostic.code,
                diagnostic.message
            );
        }
    }
}

fn to_codespan(diagnostic: &Diagnostic, text_len: usize) -> cs::Diagnostic<()> {
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Information => cs::Severity::Note,
        Severity::Hint => cs::Severity::Help,
    };
    let labels = diagnostic
        .labels
        .iter()
        .enumerate()
        .filter(|(_, label)| label.span != Default::default() || text_len == 0)
        .map(|(i, label)| {
            let range = label.span.start.min(text_len)..label.span.end.min(text_len);
            let style = if i == 0 {
                cs::LabelStyle::Primary
            } else {
                cs::LabelStyle::Secondary
            };
            cs::Label::new(style, (), range).with_message(label.message.clone())
        })
        .collect();
    let mut notes = Vec::new();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    if let Some(fix) = &diagnostic.fix {
        notes.push(format!("fix: {}", fix.title));
    }
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code)
        .with_message(diagnostic.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// The JSON range of a span: 0-based lines, UTF-16 characters (as LSP counts).
fn range_json(index: &LineIndex, text: &str, span: agentblocks_dsl::Span) -> Value {
    let position = |p: Utf16Position| json!({"line": p.line, "character": p.character});
    json!({
        "start": position(index.utf16_position(text, span.start)),
        "end": position(index.utf16_position(text, span.end)),
    })
}

/// One file's entry of `check --format json`.
pub fn file_json(path: &str, text: &str, diagnostics: &[Diagnostic]) -> Value {
    let index = LineIndex::new(text);
    let diagnostics: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let related: Vec<Value> = d.labels[1..]
                .iter()
                .map(|label| {
                    json!({
                        "path": path,
                        "range": range_json(&index, text, label.span),
                        "message": label.message,
                    })
                })
                .collect();
            json!({
                "severity": d.severity.as_str(),
                "code": d.code,
                "message": d.message,
                "range": range_json(&index, text, d.span()),
                "related": related,
                "help": d.help,
            })
        })
        .collect();
    json!({"path": path, "diagnostics": diagnostics})
}
