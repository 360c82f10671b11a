//! `textDocument/documentSymbol` and `workspace/symbol`.

use agentblocks_dsl::ide::symbols::{self, SymbolKind as Kind};
use agentblocks_dsl::ide::Analysis;
use tower_lsp_server::lsp_types::{DocumentSymbol, Location, SymbolInformation, SymbolKind, Uri};

use super::Ctx;
use crate::position::{Encoding, Lines};

fn kind(kind: Kind) -> SymbolKind {
    match kind {
        Kind::Workflow => SymbolKind::MODULE,
        Kind::Block => SymbolKind::CLASS,
        Kind::Input | Kind::Output => SymbolKind::FIELD,
        Kind::Variable => SymbolKind::VARIABLE,
        Kind::Type => SymbolKind::STRUCT,
        Kind::Section => SymbolKind::NAMESPACE,
    }
}

/// The document outline.
pub fn document_symbols(ctx: &Ctx, analysis: &Analysis) -> Vec<DocumentSymbol> {
    let lines = ctx.lines(analysis);
    fn convert(lines: &Lines, symbol: symbols::DocumentSymbol) -> DocumentSymbol {
        #[allow(deprecated)]
        DocumentSymbol {
            name: if symbol.name.is_empty() {
                "_".into()
            } else {
                symbol.name
            },
            detail: symbol.detail,
            kind: kind(symbol.kind),
            tags: None,
            deprecated: None,
            range: lines.range(symbol.span),
            selection_range: lines.range(symbol.selection_span),
            children: Some(
                symbol
                    .children
                    .into_iter()
                    .map(|c| convert(lines, c))
                    .collect(),
            ),
        }
    }
    symbols::document_symbols(analysis)
        .into_iter()
        .map(|s| convert(&lines, s))
        .collect()
}

/// The symbols of one file that match a workspace query.
pub fn workspace_symbols(
    uri: &Uri,
    analysis: &Analysis,
    encoding: Encoding,
    query: &str,
) -> Vec<SymbolInformation> {
    let lines = Lines {
        text: analysis.text(),
        index: analysis.line_index(),
        encoding,
    };
    symbols::workspace_symbols(analysis, query)
        .into_iter()
        .map(|s| {
            #[allow(deprecated)]
            SymbolInformation {
                name: s.name,
                kind: kind(s.kind),
                tags: None,
                deprecated: None,
                location: Location::new(uri.clone(), lines.range(s.span)),
                container_name: s.container,
            }
        })
        .collect()
}
