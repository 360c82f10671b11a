//! `textDocument/publishDiagnostics`: the ide diagnostics with codes, related places and tags.

use agentblocks_dsl::diagnostic::Severity;
use agentblocks_dsl::ide::diagnostics::{diagnostics, EditorDiagnostic, Tag};
use agentblocks_dsl::ide::Analysis;
use tower_lsp_server::lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString,
};

use super::Ctx;

/// The LSP diagnostics of a document.
pub fn to_lsp(ctx: &Ctx, analysis: &Analysis) -> Vec<Diagnostic> {
    diagnostics(analysis)
        .iter()
        .map(|d| convert(ctx, analysis, d))
        .collect()
}

/// One diagnostic.
pub fn convert(ctx: &Ctx, analysis: &Analysis, d: &EditorDiagnostic) -> Diagnostic {
    let lines = ctx.lines(analysis);
    let severity = match d.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    };
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .map(|(span, message)| DiagnosticRelatedInformation {
            location: Location::new(ctx.uri.clone(), lines.range(*span)),
            message: message.clone(),
        })
        .collect();
    let tags: Vec<DiagnosticTag> = d
        .tags
        .iter()
        .map(|t| match t {
            Tag::Unnecessary => DiagnosticTag::UNNECESSARY,
            Tag::Deprecated => DiagnosticTag::DEPRECATED,
        })
        .collect();
    Diagnostic {
        range: lines.range(d.span),
        severity: Some(severity),
        code: Some(NumberOrString::String(d.code.to_owned())),
        source: Some("agentblocks".into()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: (!tags.is_empty()).then_some(tags),
        ..Diagnostic::default()
    }
}
