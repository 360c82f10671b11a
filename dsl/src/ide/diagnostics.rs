//! Diagnostics as an editor shows them: primary range, severity, code, message (with the help
//! sentence), related places and tags.

use crate::diagnostic::{Fix, Severity};
use crate::model::Span;

use super::Analysis;

/// How an editor may render a diagnostic besides its severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// Unused code (greyed out).
    Unnecessary,
    /// Deprecated (struck through).
    Deprecated,
}

/// One diagnostic for the editor.
#[derive(Clone, Debug, PartialEq)]
pub struct EditorDiagnostic {
    /// The primary range.
    pub span: Span,
    /// How bad it is.
    pub severity: Severity,
    /// The stable code, e.g. `type-mismatch`.
    pub code: &'static str,
    /// The message, with the help sentence on a second line when there is one.
    pub message: String,
    /// The other labelled places.
    pub related: Vec<(Span, String)>,
    /// Rendering tags.
    pub tags: Vec<Tag>,
    /// The machine-applicable fix, if any.
    pub fix: Option<Fix>,
}

/// The file's diagnostics, ready for an editor.
pub fn diagnostics(analysis: &Analysis) -> Vec<EditorDiagnostic> {
    analysis
        .diagnostics()
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if !d.labels[0].message.is_empty() {
                message.push_str(": ");
                message.push_str(&d.labels[0].message);
            }
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let mut tags = Vec::new();
            if d.code.contains("unused") {
                tags.push(Tag::Unnecessary);
            }
            if d.code.contains("deprecated") {
                tags.push(Tag::Deprecated);
            }
            EditorDiagnostic {
                span: d.span(),
                severity: d.severity,
                code: d.code,
                message,
                related: d.labels[1..]
                    .iter()
                    .map(|l| {
                        let message = if l.message.is_empty() {
                            "related".to_owned()
                        } else {
                            l.message.clone()
                        };
                        (l.span, message)
                    })
                    .collect(),
                tags,
                fix: d.fix.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::FileKind;

    /// Renders diagnostics as `line:col code: message`, one a line.
    fn render(analysis: &Analysis) -> String {
        diagnostics(analysis)
            .iter()
            .map(|d| {
                let (line, column) = analysis
                    .line_index()
                    .line_col(analysis.text(), d.span.start);
                let tags = if d.tags.is_empty() {
                    String::new()
                } else {
                    format!(" {:?}", d.tags)
                };
                format!(
                    "{line}:{column} {} {}{tags}: {}",
                    d.severity.as_str(),
                    d.code,
                    d.message.lines().next().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn type_mismatch_with_related_place() {
        let analysis = Analysis::new(
            FileKind::Dsl,
            "workflow {\n  block a = python {\n    out x: List[Path]\n  }\n  block b = python {\n    in y: Number <- a.x\n  }\n}\n",
        );
        let found = diagnostics(&analysis);
        let mismatch = found
            .iter()
            .find(|d| d.code == "type-mismatch")
            .expect("a type mismatch");
        assert!(!mismatch.related.is_empty());
        assert!(render(&analysis).contains("6:"), "{}", render(&analysis));
    }

    #[test]
    fn syntax_errors_and_json_positions() {
        let analysis = Analysis::new(FileKind::Dsl, "workflow {\n  block a = python {\n");
        assert!(render(&analysis).contains("error"), "{}", render(&analysis));
        let analysis = Analysis::new(FileKind::Json, "{\"workflow\": {\"blocks\": 3}}");
        assert!(!diagnostics(&analysis).is_empty());
        let analysis = Analysis::new(FileKind::Json, "{ not json");
        assert!(!diagnostics(&analysis).is_empty());
    }

    #[test]
    fn unused_is_tagged() {
        let analysis = Analysis::new(
            FileKind::Dsl,
            "workflow {\n  block a = python {\n    out x: String\n    out unused: String\n  }\n  block b = python {\n    in y: String <- a.x\n  }\n}\n",
        );
        let rendered = render(&analysis);
        assert!(
            rendered.contains("unused-output [Unnecessary]"),
            "{rendered}"
        );
    }
}
