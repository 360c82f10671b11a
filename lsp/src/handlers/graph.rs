//! The custom `agentblocks/graph` and `agentblocks/moveBlock` requests.

use std::collections::HashMap;

use agentblocks_dsl::ide::{graph, Analysis};
use tower_lsp_server::lsp_types::WorkspaceEdit;

use super::{text_edit, Ctx};
use crate::ext;

/// The graph with LSP ranges.
pub fn graph(ctx: &Ctx, analysis: &Analysis) -> ext::GraphResult {
    let lines = ctx.lines(analysis);
    let g = graph::graph(analysis);
    let ports = |ports: Vec<graph::GraphPort>| -> Vec<ext::GraphPort> {
        ports
            .into_iter()
            .map(|p| ext::GraphPort {
                name: p.name,
                ty: p.ty,
                range: p.span.map(|s| lines.range(s)),
            })
            .collect()
    };
    ext::GraphResult {
        version: Some(ctx.version),
        has_errors: g.has_errors,
        blocks: g
            .blocks
            .into_iter()
            .map(|b| ext::GraphBlock {
                id: b.id,
                kind: b.kind.to_owned(),
                kind_label: b.kind_label,
                name: b.name,
                position: b.position.map(|(x, y)| ext::Point { x, y }),
                range: lines.range(b.span),
                id_range: lines.range(b.id_span),
                inputs: ports(b.inputs),
                outputs: ports(b.outputs),
            })
            .collect(),
        connections: g
            .connections
            .into_iter()
            .map(|c| ext::GraphConnection {
                id: c.id,
                source_block: c.source_block,
                source_port: c.source_port,
                target_block: c.target_block,
                target_port: c.target_port,
                ty: c.ty,
                valid: c.valid,
                problem: c.problem,
                range: lines.range(c.span),
            })
            .collect(),
    }
}

/// The edit that moves a block (`null` when there is no such block).
pub fn move_block(
    ctx: &Ctx,
    analysis: &Analysis,
    params: &ext::MoveBlockParams,
) -> Option<WorkspaceEdit> {
    let lines = ctx.lines(analysis);
    let edit = graph::move_block(analysis, &params.block, params.x, params.y)?;
    Some(WorkspaceEdit {
        changes: Some(HashMap::from([(
            ctx.uri.clone(),
            vec![text_edit(&lines, &edit)],
        )])),
        ..WorkspaceEdit::default()
    })
}
