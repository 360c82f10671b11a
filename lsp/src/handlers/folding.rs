//! `textDocument/foldingRange`.

use agentblocks_dsl::ide::folding::{folding_ranges, FoldKind};
use agentblocks_dsl::ide::Analysis;
use tower_lsp_server::lsp_types::{FoldingRange, FoldingRangeKind};

use super::Ctx;

/// The folds, by lines (the closing line stays visible).
pub fn folding(ctx: &Ctx, analysis: &Analysis) -> Vec<FoldingRange> {
    let lines = ctx.lines(analysis);
    folding_ranges(analysis)
        .into_iter()
        .filter_map(|fold| {
            let start = lines.position(fold.span.start).line;
            let mut end = lines.position(fold.span.end).line;
            if fold.kind == FoldKind::Region {
                end = end.saturating_sub(1);
            }
            (end > start).then(|| FoldingRange {
                start_line: start,
                end_line: end,
                kind: Some(match fold.kind {
                    FoldKind::Comment => FoldingRangeKind::Comment,
                    FoldKind::Region => FoldingRangeKind::Region,
                }),
                ..FoldingRange::default()
            })
        })
        .collect()
}
