//! Code actions: the checker's fixes as quick fixes, and converting the file to the other kind.

use crate::convert;
use crate::diagnostic::TextEdit;
use crate::model::Span;

use super::{Analysis, FileKind};

/// The kind of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// Fixes a diagnostic.
    QuickFix,
    /// Acts on the whole file.
    Source,
}

/// One action.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeAction {
    /// What the editor shows.
    pub title: String,
    /// Its kind.
    pub kind: ActionKind,
    /// Edits to this file.
    pub edits: Vec<TextEdit>,
    /// A new file beside this one: its kind and text (conversions).
    pub new_file: Option<(FileKind, String)>,
    /// The diagnostic (index in [`Analysis::diagnostics`]) it fixes.
    pub fixes: Option<usize>,
}

/// The actions available for the range `span`.
pub fn code_actions(analysis: &Analysis, span: Span) -> Vec<CodeAction> {
    let mut out = Vec::new();
    for (i, diagnostic) in analysis.diagnostics().iter().enumerate() {
        let at = diagnostic.span();
        let overlaps = at.start <= span.end && span.start <= at.end;
        if let (true, Some(fix)) = (overlaps, &diagnostic.fix) {
            out.push(CodeAction {
                title: fix.title.clone(),
                kind: ActionKind::QuickFix,
                edits: fix.edits.clone(),
                new_file: None,
                fixes: Some(i),
            });
        }
    }
    let (to, title) = match analysis.kind() {
        FileKind::Dsl => (FileKind::Json, "Convert to JSON (.agentblocks)"),
        FileKind::Json => (FileKind::Dsl, "Convert to DSL (.ab)"),
    };
    if let Ok(converted) = convert::convert(analysis.kind(), to, analysis.text()) {
        out.push(CodeAction {
            title: title.to_owned(),
            kind: ActionKind::Source,
            edits: Vec::new(),
            new_file: Some((to, converted.text)),
            fixes: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;
    use crate::ide::rename::apply_edits;

    #[test]
    fn did_you_mean_fix_and_conversion() {
        let (analysis, offset) = analysis("workflow {\n  block a = find_fils$0 {\n  }\n}\n");
        let actions = code_actions(&analysis, Span::new(offset, offset));
        let fix = actions
            .iter()
            .find(|a| a.kind == ActionKind::QuickFix)
            .expect("a quick fix");
        assert!(apply_edits(analysis.text(), &fix.edits).contains("= find_files {"));
        let convert = actions
            .iter()
            .find(|a| a.kind == ActionKind::Source)
            .expect("convert");
        assert!(convert
            .new_file
            .as_ref()
            .is_some_and(|(k, t)| *k == FileKind::Json && t.contains("\"blocks\"")));
    }
}
