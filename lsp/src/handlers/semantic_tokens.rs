//! `textDocument/semanticTokens/full` and `full/delta`.

use agentblocks_dsl::ide::semantic_tokens::{diff_tokens, semantic_tokens, TokenType, MODIFIERS};
use agentblocks_dsl::ide::Analysis;
use agentblocks_dsl::model::Span;
use tower_lsp_server::lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensEdit,
    SemanticTokensLegend,
};

use super::Ctx;

/// The legend the server advertises.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TokenType::ALL
            .iter()
            .map(|t| SemanticTokenType::new(t.name()))
            .collect(),
        token_modifiers: MODIFIERS
            .iter()
            .map(|m| SemanticTokenModifier::new(m))
            .collect(),
    }
}

/// The tokens, encoded as LSP's relative integers (multi-line tokens split per line).
pub fn encode(ctx: &Ctx, analysis: &Analysis) -> Vec<u32> {
    let lines = ctx.lines(analysis);
    let text = analysis.text();
    let mut data = Vec::new();
    let (mut prev_line, mut prev_start) = (0u32, 0u32);
    for token in semantic_tokens(analysis) {
        let mut start = token.span.start;
        while start < token.span.end {
            let line_end = text[start..token.span.end]
                .find('\n')
                .map_or(token.span.end, |i| start + i);
            let piece = Span::new(start, line_end);
            let position = lines.position(start);
            let length = lines.len(piece);
            if length > 0 {
                let delta_line = position.line - prev_line;
                let delta_start = if delta_line == 0 {
                    position.character - prev_start
                } else {
                    position.character
                };
                data.extend([
                    delta_line,
                    delta_start,
                    length,
                    token.ty.index(),
                    token.modifiers,
                ]);
                prev_line = position.line;
                prev_start = position.character;
            }
            start = line_end + 1;
        }
    }
    data
}

/// Groups of five integers as LSP tokens.
pub fn to_tokens(data: &[u32]) -> Vec<SemanticToken> {
    data.chunks_exact(5)
        .map(|c| SemanticToken {
            delta_line: c[0],
            delta_start: c[1],
            length: c[2],
            token_type: c[3],
            token_modifiers_bitset: c[4],
        })
        .collect()
}

/// The edits from the previous encoding to the new one.
pub fn delta(old: &[u32], new: &[u32]) -> Vec<SemanticTokensEdit> {
    match diff_tokens(old, new) {
        None => Vec::new(),
        Some((start, delete_count, data)) => vec![SemanticTokensEdit {
            start,
            delete_count,
            data: Some(to_tokens(&data)),
        }],
    }
}
