//! `textDocument/completion`.

use agentblocks_dsl::ide::completion::{completion_list, CompletionKind};
use agentblocks_dsl::ide::Analysis;
use tower_lsp_server::lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionResponse, CompletionTextEdit,
    Documentation, InsertTextFormat, MarkupContent, MarkupKind, Position, TextEdit,
};

use super::Ctx;

/// The completion list at a position: an array, or a list marked incomplete when it depends on
/// the word typed so far (the client then asks again as the word changes).
pub fn completion(ctx: &Ctx, analysis: &Analysis, position: Position) -> CompletionResponse {
    let lines = ctx.lines(analysis);
    let list = completion_list(analysis, lines.offset(position));
    let items = list
        .items
        .into_iter()
        .map(|item| {
            let (new_text, format) = match (&item.snippet, ctx.snippets) {
                (Some(snippet), true) => (snippet.clone(), InsertTextFormat::SNIPPET),
                _ => (item.insert_text.clone(), InsertTextFormat::PLAIN_TEXT),
            };
            CompletionItem {
                label: item.label,
                kind: Some(match item.kind {
                    CompletionKind::Keyword => CompletionItemKind::KEYWORD,
                    CompletionKind::BlockKind => CompletionItemKind::CLASS,
                    CompletionKind::Property => CompletionItemKind::PROPERTY,
                    CompletionKind::Value => CompletionItemKind::VALUE,
                    CompletionKind::Port => CompletionItemKind::FIELD,
                    CompletionKind::Block => CompletionItemKind::MODULE,
                    CompletionKind::Type => CompletionItemKind::TYPE_PARAMETER,
                    CompletionKind::Variable => CompletionItemKind::VARIABLE,
                    CompletionKind::Snippet => CompletionItemKind::SNIPPET,
                }),
                detail: item.detail,
                documentation: item.documentation.map(|value| {
                    Documentation::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value,
                    })
                }),
                sort_text: Some(item.sort_text),
                insert_text_format: Some(format),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                    range: lines.range(item.replace),
                    new_text,
                })),
                ..CompletionItem::default()
            }
        })
        .collect();
    if list.incomplete {
        CompletionResponse::List(CompletionList {
            is_incomplete: true,
            items,
        })
    } else {
        CompletionResponse::Array(items)
    }
}
