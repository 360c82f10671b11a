//! Document symbols (workflow > blocks > ports, variables, types) and workspace symbols.

use crate::model::{Block, Span};

use super::resolve::ports;
use super::Analysis;

/// What a symbol is (editors pick an icon by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// The workflow.
    Workflow,
    /// A block.
    Block,
    /// An input port.
    Input,
    /// An output port.
    Output,
    /// A variable.
    Variable,
    /// A named type.
    Type,
    /// A section (`config`, ...).
    Section,
}

/// A symbol of the file, with its children.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentSymbol {
    /// Its name.
    pub name: String,
    /// A short detail (kind, type).
    pub detail: Option<String>,
    /// Its kind.
    pub kind: SymbolKind,
    /// The whole declaration.
    pub span: Span,
    /// The name in the declaration.
    pub selection_span: Span,
    /// Nested symbols.
    pub children: Vec<DocumentSymbol>,
}

fn symbol(
    name: &str,
    detail: Option<String>,
    kind: SymbolKind,
    span: Span,
    selection: Span,
) -> DocumentSymbol {
    // Editors require the selection inside the range.
    let span = span.cover(selection);
    DocumentSymbol {
        name: name.to_owned(),
        detail,
        kind,
        span,
        selection_span: selection,
        children: Vec::new(),
    }
}

fn block_detail(block: &Block) -> String {
    let kind = match &block.kind {
        crate::model::BlockKind::Visual { block_type, .. } => block_type.value.clone(),
        crate::model::BlockKind::Code { language, .. } => language.value.clone(),
        crate::model::BlockKind::Hybrid { base_language, .. } => {
            format!("template {}", base_language.value)
        }
        crate::model::BlockKind::Ai { .. } => "ai".into(),
        crate::model::BlockKind::Plugin {
            plugin, block_type, ..
        } => format!("plugin {}.{}", plugin.value, block_type.value),
    };
    match &block.name {
        Some(name) => format!("{kind} \"{}\"", name.value),
        None => kind,
    }
}

/// The outline of the file: the workflow, holding its types, variables, sections and blocks
/// (each holding its ports).
pub fn document_symbols(analysis: &Analysis) -> Vec<DocumentSymbol> {
    let Some(document) = analysis.document() else {
        return Vec::new();
    };
    let workflow = &document.workflow;
    let name = workflow
        .name
        .as_ref()
        .map_or("workflow", |n| n.value.as_str());
    let mut root = symbol(
        name,
        workflow.version.as_ref().map(|v| v.value.clone()),
        SymbolKind::Workflow,
        workflow.span,
        workflow.header_span,
    );
    for decl in workflow.types.iter().flatten() {
        root.children.push(symbol(
            &decl.name.value,
            Some(decl.ty.text.clone()),
            SymbolKind::Type,
            decl.span,
            decl.name.span,
        ));
    }
    for variable in workflow.variables.iter().flatten() {
        root.children.push(symbol(
            &variable.name.value,
            variable.ty.as_ref().map(|t| t.text.clone()),
            SymbolKind::Variable,
            variable.span,
            variable.name.span,
        ));
    }
    if let Some(config) = &workflow.execution_config {
        root.children.push(symbol(
            "config",
            None,
            SymbolKind::Section,
            config.span,
            config.span,
        ));
    }
    for block in analysis.blocks() {
        let mut node = symbol(
            &block.id.value,
            Some(block_detail(block)),
            SymbolKind::Block,
            block.span,
            block.id.span,
        );
        for (output, kind) in [(false, SymbolKind::Input), (true, SymbolKind::Output)] {
            for port in ports(block, output) {
                node.children.push(symbol(
                    &port.name.value,
                    Some(port.ty.text.clone()),
                    kind,
                    port.span,
                    port.name.span,
                ));
            }
        }
        root.children.push(node);
    }
    vec![root]
}

/// A symbol found by a workspace search.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkspaceSymbol {
    /// Its name (`block.port` for a port).
    pub name: String,
    /// Its kind.
    pub kind: SymbolKind,
    /// The name's place in its file.
    pub span: Span,
    /// The enclosing symbol's name.
    pub container: Option<String>,
}

/// True when every character of `query` appears in `name` in order (case-insensitive).
pub fn fuzzy_match(query: &str, name: &str) -> bool {
    let mut name = name.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .all(|q| name.any(|c| c == q))
}

/// The symbols of one file that match `query` (fuzzy; an empty query matches all).
pub fn workspace_symbols(analysis: &Analysis, query: &str) -> Vec<WorkspaceSymbol> {
    let mut out = Vec::new();
    let mut stack: Vec<(DocumentSymbol, Option<String>)> = document_symbols(analysis)
        .into_iter()
        .map(|s| (s, None))
        .collect();
    while let Some((symbol, container)) = stack.pop() {
        let name = match (&container, symbol.kind) {
            (Some(block), SymbolKind::Input | SymbolKind::Output) => {
                format!("{block}.{}", symbol.name)
            }
            _ => symbol.name.clone(),
        };
        if fuzzy_match(query, &name) {
            out.push(WorkspaceSymbol {
                name,
                kind: symbol.kind,
                span: symbol.selection_span,
                container: container.clone(),
            });
        }
        for child in symbol.children {
            stack.push((child, Some(symbol.name.clone())));
        }
    }
    out.sort_by_key(|s| s.span.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::FileKind;

    const SRC: &str = "workflow \"W\" {\n  var v: String\n  block a = python {\n    out x: String\n  }\n  block b = python {\n    in y: String <- a.x\n  }\n}\n";

    fn outline(symbols: &[DocumentSymbol], depth: usize, out: &mut String) {
        for s in symbols {
            out.push_str(&format!("{}{:?} {}\n", "  ".repeat(depth), s.kind, s.name));
            outline(&s.children, depth + 1, out);
        }
    }

    #[test]
    fn outline_of_a_workflow() {
        let analysis = Analysis::new(FileKind::Dsl, SRC);
        let mut out = String::new();
        outline(&document_symbols(&analysis), 0, &mut out);
        assert_eq!(
            out,
            "Workflow W\n  Variable v\n  Block a\n    Output x\n  Block b\n    Input y\n"
        );
    }

    #[test]
    fn json_files_and_workspace_search() {
        let json = crate::convert::convert(FileKind::Dsl, FileKind::Json, SRC)
            .expect("converts")
            .text;
        let analysis = Analysis::new(FileKind::Json, &json);
        let found: Vec<String> = workspace_symbols(&analysis, "by")
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(found, vec!["b.y"]);
        let symbol = &workspace_symbols(&analysis, "b.y")[0];
        assert_eq!(analysis.slice(symbol.span), "\"y\"");
    }
}
