//! `textDocument/codeAction`: quick fixes (`dsl::ide::code_actions`), conversion of the file to
//! the other kind (a new file beside it), and "expand template" on template blocks (a command,
//! `agentblocks.expandTemplate`, whose result is the expanded code).

use std::collections::HashMap;

use agentblocks_dsl::ide::code_actions::{code_actions, ActionKind};
use agentblocks_dsl::ide::diagnostics::diagnostics;
use agentblocks_dsl::ide::run::expandable_templates;
use agentblocks_dsl::ide::{Analysis, FileKind};
use tower_lsp_server::lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Command, CreateFile, CreateFileOptions,
    DocumentChangeOperation, DocumentChanges, OneOf, OptionalVersionedTextDocumentIdentifier,
    Position, Range, ResourceOp, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};

use super::{diagnostics::convert, text_edit, Ctx};
use tower_lsp_server::UriExt;

/// The actions for a range.
pub fn actions(ctx: &Ctx, analysis: &Analysis, range: Range) -> Vec<CodeActionOrCommand> {
    let lines = ctx.lines(analysis);
    let editor_diagnostics = diagnostics(analysis);
    let span = lines.span(range);
    let expand = expandable_templates(analysis, span)
        .into_iter()
        .map(|block| {
            let title = format!("Expand template `{block}`");
            let args = crate::ext::CommandArgs {
                uri: ctx.uri.clone(),
                block: Some(block),
            };
            CodeActionOrCommand::CodeAction(CodeAction {
                title: title.clone(),
                kind: Some(CodeActionKind::REFACTOR),
                command: Some(Command {
                    title,
                    command: crate::ext::commands::EXPAND_TEMPLATE.to_owned(),
                    arguments: serde_json::to_value(args).ok().map(|a| vec![a]),
                }),
                ..CodeAction::default()
            })
        });
    let mut out: Vec<CodeActionOrCommand> = code_actions(analysis, span)
        .into_iter()
        .filter_map(|action| {
            let mut title = action.title;
            let edit = match (&action.kind, &action.new_file) {
                (ActionKind::Source, Some((kind, text))) => {
                    let target = sibling(&ctx.uri, *kind)?;
                    // A code action cannot ask: the title says what the click replaces.
                    if let Some(path) = target.to_file_path().filter(|p| p.exists()) {
                        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                        title = format!("{title}, replacing `{}`", name.unwrap_or_default());
                    }
                    WorkspaceEdit {
                        document_changes: Some(DocumentChanges::Operations(vec![
                            DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                                uri: target.clone(),
                                options: Some(CreateFileOptions {
                                    overwrite: Some(true),
                                    ignore_if_exists: None,
                                }),
                                annotation_id: None,
                            })),
                            DocumentChangeOperation::Edit(TextDocumentEdit {
                                text_document: OptionalVersionedTextDocumentIdentifier {
                                    uri: target,
                                    version: None,
                                },
                                edits: vec![OneOf::Left(TextEdit {
                                    range: Range::new(Position::new(0, 0), Position::new(0, 0)),
                                    new_text: text.clone(),
                                })],
                            }),
                        ])),
                        ..WorkspaceEdit::default()
                    }
                }
                _ => WorkspaceEdit {
                    changes: Some(HashMap::from([(
                        ctx.uri.clone(),
                        action.edits.iter().map(|e| text_edit(&lines, e)).collect(),
                    )])),
                    ..WorkspaceEdit::default()
                },
            };
            let diagnostics = action
                .fixes
                .and_then(|i| editor_diagnostics.get(i))
                .map(|d| vec![convert(ctx, analysis, d)]);
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(match action.kind {
                    ActionKind::QuickFix => CodeActionKind::QUICKFIX,
                    ActionKind::Source => CodeActionKind::SOURCE,
                }),
                is_preferred: Some(action.kind == ActionKind::QuickFix),
                diagnostics,
                edit: Some(edit),
                ..CodeAction::default()
            }))
        })
        .collect();
    out.extend(expand);
    out
}

/// The URI of the same file name with the other kind's extension.
fn sibling(uri: &Uri, kind: FileKind) -> Option<Uri> {
    let text = uri.as_str();
    let stem = text
        .strip_suffix(".agentblocks")
        .or_else(|| text.strip_suffix(".ab"))?;
    format!("{stem}.{}", kind.extension()).parse().ok()
}
