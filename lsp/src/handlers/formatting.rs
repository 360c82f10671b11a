//! `textDocument/formatting` and `rangeFormatting`: the canonical formatter's whole-document
//! edit. While the file has syntax errors there is nothing to format and no edit is made (the
//! diagnostics say what is wrong), rather than an error, which editors that format on save
//! would show on every save (rust-analyzer does the same when rustfmt cannot parse).

use agentblocks_dsl::ide::{format, Analysis};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::lsp_types::TextEdit;

use super::{text_edit, Ctx};

/// The formatting edits; none while the file does not parse.
pub fn formatting(ctx: &Ctx, analysis: &Analysis) -> Result<Option<Vec<TextEdit>>> {
    let lines = ctx.lines(analysis);
    Ok(format::format(analysis)
        .ok()
        .map(|edits| edits.iter().map(|e| text_edit(&lines, e)).collect()))
}
