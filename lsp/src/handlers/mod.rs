//! One module per LSP feature: each converts LSP parameters to offsets, calls `dsl::ide`, and
//! converts the answer back. Nothing here holds state or does I/O.

pub mod code_actions;
pub mod code_lens;
pub mod completion;
pub mod diagnostics;
pub mod folding;
pub mod formatting;
pub mod graph;
pub mod hover;
pub mod inlay_hints;
pub mod navigation;
pub mod run;
pub mod selection;
pub mod semantic_tokens;
pub mod symbols;

use agentblocks_dsl::ide::Analysis;
use tower_lsp_server::lsp_types::Uri;

use crate::position::{Encoding, Lines};

/// What a handler knows besides the analysis.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The document.
    pub uri: Uri,
    /// The client's position encoding.
    pub encoding: Encoding,
    /// Whether the client takes snippets in completions.
    pub snippets: bool,
    /// The document version analysed.
    pub version: i32,
}

impl Ctx {
    /// Position conversions over the analysed text.
    pub fn lines<'a>(&self, analysis: &'a Analysis) -> Lines<'a> {
        Lines {
            text: analysis.text(),
            index: analysis.line_index(),
            encoding: self.encoding,
        }
    }
}

/// Converts an ide text edit.
pub fn text_edit(
    lines: &Lines,
    edit: &agentblocks_dsl::diagnostic::TextEdit,
) -> tower_lsp_server::lsp_types::TextEdit {
    tower_lsp_server::lsp_types::TextEdit {
        range: lines.range(edit.span),
        new_text: edit.new_text.clone(),
    }
}
