//! Helpers shared by the data-driven test harnesses.

use std::path::Path;

use agentblocks_dsl::Diagnostic;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::NoColor};

/// Diagnostics as `agentblocks check` renders them, without colours.
pub fn render(path: &str, text: &str, diagnostics: &[Diagnostic]) -> String {
    let file = SimpleFile::new(path, text);
    let mut out = NoColor::new(Vec::new());
    for diagnostic in diagnostics {
        let severity = match diagnostic.severity {
            agentblocks_dsl::Severity::Error => cs::Severity::Error,
            agentblocks_dsl::Severity::Warning => cs::Severity::Warning,
            agentblocks_dsl::Severity::Information => cs::Severity::Note,
            agentblocks_dsl::Severity::Hint => cs::Severity::Help,
        };
        let labels = diagnostic
            .labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let style = if i == 0 {
                    cs::LabelStyle::Primary
                } else {
                    cs::LabelStyle::Secondary
                };
                cs::Label::new(style, (), label.span.start..label.span.end)
                    .with_message(label.message.clone())
            })
            .collect();
        let mut notes = Vec::new();
        if let Some(help) = &diagnostic.help {
            notes.push(format!("help: {help}"));
        }
        let rendered = cs::Diagnostic::new(severity)
            .with_code(diagnostic.code)
            .with_message(diagnostic.message.clone())
            .with_labels(labels)
            .with_notes(notes);
        term::emit(&mut out, &term::Config::default(), &file, &rendered)
            .expect("spans fit the text");
    }
    String::from_utf8(out.into_inner()).expect("rendered text is UTF-8")
}

/// Compares `actual` with the file `dir/name`, or writes it under `BLESS=1`.
pub fn expect_file(dir: &Path, name: &str, actual: &str, failures: &mut Vec<String>) {
    let path = dir.join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{}: differs\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(_) => failures.push(format!("{} is missing (run with BLESS=1)", path.display())),
    }
}
