//! `textDocument/selectionRange`.

use agentblocks_dsl::ide::selection::selection_ranges;
use agentblocks_dsl::ide::Analysis;
use tower_lsp_server::lsp_types::{Position, SelectionRange};

use super::Ctx;

/// One nested selection range per position.
pub fn selection(ctx: &Ctx, analysis: &Analysis, positions: &[Position]) -> Vec<SelectionRange> {
    let lines = ctx.lines(analysis);
    positions
        .iter()
        .map(|position| {
            let offset = lines.offset(*position);
            let spans = selection_ranges(analysis, offset);
            let mut range: Option<SelectionRange> = None;
            for span in spans.into_iter().rev() {
                range = Some(SelectionRange {
                    range: lines.range(span),
                    parent: range.map(Box::new),
                });
            }
            range.unwrap_or(SelectionRange {
                range: tower_lsp_server::lsp_types::Range::new(*position, *position),
                parent: None,
            })
        })
        .collect()
}
