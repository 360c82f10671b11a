//! `textDocument/hover`.

use agentblocks_dsl::ide::{hover, Analysis};
use tower_lsp_server::lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

use super::Ctx;

/// The hover at a position.
pub fn hover(ctx: &Ctx, analysis: &Analysis, position: Position) -> Option<Hover> {
    let lines = ctx.lines(analysis);
    let found = hover::hover(analysis, lines.offset(position))?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: found.markdown,
        }),
        range: Some(lines.range(found.span)),
    })
}
