//! `textDocument/inlayHint`.

use agentblocks_dsl::ide::inlay_hints::{inlay_hints, HintKind};
use agentblocks_dsl::ide::Analysis;
use tower_lsp_server::lsp_types::{InlayHint, InlayHintKind, InlayHintLabel, Range};

use super::Ctx;

/// The hints inside a range.
pub fn hints(ctx: &Ctx, analysis: &Analysis, range: Range) -> Vec<InlayHint> {
    let lines = ctx.lines(analysis);
    let span = lines.span(range);
    inlay_hints(analysis)
        .into_iter()
        .filter(|h| span.start <= h.offset && h.offset <= span.end)
        .map(|h| InlayHint {
            position: lines.position(h.offset),
            label: InlayHintLabel::String(h.label),
            kind: Some(match h.kind {
                HintKind::Type => InlayHintKind::TYPE,
                HintKind::Binding => InlayHintKind::PARAMETER,
            }),
            text_edits: None,
            tooltip: None,
            padding_left: Some(h.kind == HintKind::Binding),
            padding_right: None,
            data: None,
        })
        .collect()
}
