//! `textDocument/definition`, `references`, `documentHighlight`, `prepareRename` and `rename`.

use std::collections::HashMap;

use agentblocks_dsl::ide::{goto_definition, highlights, references, rename, Analysis};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::{
    DocumentHighlight, DocumentHighlightKind, GotoDefinitionResponse, Location, Position,
    PrepareRenameResponse, WorkspaceEdit,
};

use super::{text_edit, Ctx};

/// Go to definition.
pub fn definition(
    ctx: &Ctx,
    analysis: &Analysis,
    position: Position,
) -> Option<GotoDefinitionResponse> {
    let lines = ctx.lines(analysis);
    let spans = goto_definition::goto_definition(analysis, lines.offset(position));
    let locations: Vec<Location> = spans
        .into_iter()
        .map(|s| Location::new(ctx.uri.clone(), lines.range(s)))
        .collect();
    match locations.len() {
        0 => None,
        1 => locations
            .into_iter()
            .next()
            .map(GotoDefinitionResponse::Scalar),
        _ => Some(GotoDefinitionResponse::Array(locations)),
    }
}

/// Find references.
pub fn references(
    ctx: &Ctx,
    analysis: &Analysis,
    position: Position,
    include_declaration: bool,
) -> Vec<Location> {
    let lines = ctx.lines(analysis);
    references::find_references(analysis, lines.offset(position), include_declaration)
        .into_iter()
        .map(|r| Location::new(ctx.uri.clone(), lines.range(r.span)))
        .collect()
}

/// Document highlights (declarations as writes).
pub fn highlights(ctx: &Ctx, analysis: &Analysis, position: Position) -> Vec<DocumentHighlight> {
    let lines = ctx.lines(analysis);
    highlights::document_highlights(analysis, lines.offset(position))
        .into_iter()
        .map(|r| DocumentHighlight {
            range: lines.range(r.span),
            kind: Some(if r.is_definition {
                DocumentHighlightKind::WRITE
            } else {
                DocumentHighlightKind::READ
            }),
        })
        .collect()
}

/// Prepare rename: the name's range, or an error saying why it cannot be renamed.
pub fn prepare_rename(
    ctx: &Ctx,
    analysis: &Analysis,
    position: Position,
) -> Result<Option<PrepareRenameResponse>> {
    let lines = ctx.lines(analysis);
    match rename::prepare_rename(analysis, lines.offset(position)) {
        Ok(span) => Ok(Some(PrepareRenameResponse::Range(lines.range(span)))),
        Err(rename::RenameError(message)) => Err(Error::invalid_params(message)),
    }
}

/// Rename: one workspace edit for the document.
pub fn rename(
    ctx: &Ctx,
    analysis: &Analysis,
    position: Position,
    new_name: &str,
) -> Result<Option<WorkspaceEdit>> {
    let lines = ctx.lines(analysis);
    let edits = rename::rename(analysis, lines.offset(position), new_name)
        .map_err(|rename::RenameError(message)| Error::invalid_params(message))?;
    let edits = edits.iter().map(|e| text_edit(&lines, e)).collect();
    Ok(Some(WorkspaceEdit {
        changes: Some(HashMap::from([(ctx.uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }))
}
