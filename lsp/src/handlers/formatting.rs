//! `textDocument/formatting` and `rangeFormatting`: the canonical formatter's whole-document
//! edit, refused (with an error the editor shows) while the file has syntax errors.

use agentblocks_dsl::ide::{format, Analysis};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::TextEdit;

use super::{text_edit, Ctx};

/// The formatting edits.
pub fn formatting(ctx: &Ctx, analysis: &Analysis) -> Result<Option<Vec<TextEdit>>> {
    let lines = ctx.lines(analysis);
    match format::format(analysis) {
        Ok(edits) => Ok(Some(edits.iter().map(|e| text_edit(&lines, e)).collect())),
        Err(format::FormatError(message)) => Err(Error::invalid_request().tap_message(message)),
    }
}

trait TapMessage {
    fn tap_message(self, message: String) -> Self;
}

impl TapMessage for Error {
    fn tap_message(mut self, message: String) -> Self {
        self.message = message.into();
        self
    }
}
