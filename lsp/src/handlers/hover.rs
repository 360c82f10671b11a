//! `textDocument/hover`, with the last run's values and durations when there was a run.

use std::collections::HashMap;

use agentblocks_dsl::ide::run::{last_run_section, BlockRun};
use agentblocks_dsl::ide::{hover, Analysis};
use tower_lsp_server::lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

use super::Ctx;

/// The hover at a position.
pub fn hover(ctx: &Ctx, analysis: &Analysis, position: Position) -> Option<Hover> {
    hover_after_run(ctx, analysis, position, &HashMap::new())
}

/// The hover at a position, followed by what the last run did there (`last` maps block ids to
/// their last run in this document).
pub fn hover_after_run(
    ctx: &Ctx,
    analysis: &Analysis,
    position: Position,
    last: &HashMap<String, BlockRun>,
) -> Option<Hover> {
    let lines = ctx.lines(analysis);
    let offset = lines.offset(position);
    let found = hover::hover(analysis, offset);
    let run = if last.is_empty() {
        None
    } else {
        last_run_section(analysis, offset, &|block| last.get(block).cloned())
    };
    let (span, markdown) = match (found, run) {
        (Some(found), Some((_, section))) => (
            found.span,
            format!("{}\n\n---\n\n{section}", found.markdown),
        ),
        (Some(found), None) => (found.span, found.markdown),
        (None, Some((span, section))) => (span, section),
        (None, None) => return None,
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(lines.range(span)),
    })
}
