//! What is at an offset, and every place that names it: the core of definition, references,
//! rename, highlights and hover.

use crate::model::{Block, Port, Span, TypeRef};

use super::{touches, Analysis};

/// Something a name in the file refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// A block, by id.
    Block {
        /// The block's id.
        id: String,
    },
    /// A port of a block.
    Port {
        /// The block's id.
        block: String,
        /// True for an output, false for an input.
        output: bool,
        /// The port's name.
        name: String,
    },
    /// A workflow variable.
    Variable {
        /// Its name.
        name: String,
    },
    /// A named type (declared or built in).
    Type {
        /// Its name.
        name: String,
    },
    /// A block's kind as written (`find_files`, `python`, ...).
    BlockKind {
        /// The id of the block whose kind it is.
        block: String,
    },
    /// A property of a visual or plugin block.
    Property {
        /// The block's id.
        block: String,
        /// The property's name.
        key: String,
    },
}

/// One place that names a symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// The name as written (quotes included for a quoted name).
    pub span: Span,
    /// True at a declaration.
    pub is_definition: bool,
}

/// The symbol whose name is at `offset`, and the span of that name.
pub fn symbol_at(analysis: &Analysis, offset: usize) -> Option<(Symbol, Span)> {
    let document = analysis.document()?;
    let workflow = &document.workflow;
    let mut best: Option<(Symbol, Span)> = None;
    let mut consider = |symbol: Symbol, span: Span| {
        if touches(span, offset)
            && best
                .as_ref()
                .is_none_or(|(_, b)| span.end - span.start < b.end - b.start)
        {
            best = Some((symbol, span));
        }
    };
    for block in analysis.blocks() {
        if !(block.span.start <= offset && offset <= block.span.end) {
            continue;
        }
        let id = &block.id.value;
        consider(Symbol::Block { id: id.clone() }, block.id.span);
        consider(Symbol::BlockKind { block: id.clone() }, block.kind_span);
        for (output, ports) in [(false, &block.inputs), (true, &block.outputs)] {
            for port in ports.iter().flatten() {
                consider(
                    Symbol::Port {
                        block: id.clone(),
                        output,
                        name: port.name.value.clone(),
                    },
                    port.name.span,
                );
                if let Some((name, span)) = type_name_at(analysis, &port.ty, offset) {
                    consider(Symbol::Type { name }, span);
                }
            }
        }
        for property in properties(block) {
            consider(
                Symbol::Property {
                    block: id.clone(),
                    key: property.key.value.clone(),
                },
                property.key.span,
            );
        }
        if let crate::model::BlockKind::Hybrid { parameters, .. } = &block.kind {
            for parameter in parameters.iter().flatten() {
                if let Some((name, span)) = parameter
                    .ty
                    .as_ref()
                    .and_then(|ty| type_name_at(analysis, ty, offset))
                {
                    consider(Symbol::Type { name }, span);
                }
            }
        }
    }
    for connection in workflow.connections.iter().flatten() {
        let (source, target) = (&connection.source_block, &connection.target_block);
        consider(
            Symbol::Block {
                id: source.value.clone(),
            },
            source.span,
        );
        consider(
            Symbol::Port {
                block: source.value.clone(),
                output: true,
                name: connection.source_port.value.clone(),
            },
            connection.source_port.span,
        );
        consider(
            Symbol::Block {
                id: target.value.clone(),
            },
            target.span,
        );
        consider(
            Symbol::Port {
                block: target.value.clone(),
                output: false,
                name: connection.target_port.value.clone(),
            },
            connection.target_port.span,
        );
        if let Some((name, span)) = connection
            .data_type
            .as_ref()
            .and_then(|ty| type_name_at(analysis, ty, offset))
        {
            consider(Symbol::Type { name }, span);
        }
    }
    for variable in workflow.variables.iter().flatten() {
        consider(
            Symbol::Variable {
                name: variable.name.value.clone(),
            },
            variable.name.span,
        );
        if let Some((name, span)) = variable
            .ty
            .as_ref()
            .and_then(|ty| type_name_at(analysis, ty, offset))
        {
            consider(Symbol::Type { name }, span);
        }
    }
    for decl in workflow.types.iter().flatten() {
        consider(
            Symbol::Type {
                name: decl.name.value.clone(),
            },
            decl.name.span,
        );
        if let Some((name, span)) = type_name_at(analysis, &decl.ty, offset) {
            consider(Symbol::Type { name }, span);
        }
    }
    if let Some(selected) = workflow
        .canvas_state
        .as_ref()
        .and_then(|c| c.selected_blocks.as_ref())
    {
        for id in &selected.value {
            consider(
                Symbol::Block {
                    id: id.value.clone(),
                },
                id.span,
            );
        }
    }
    best
}

/// Every place that names `symbol`, sorted by position, without duplicates.
pub fn references(analysis: &Analysis, symbol: &Symbol) -> Vec<Reference> {
    let mut out = Vec::new();
    let Some(document) = analysis.document() else {
        return out;
    };
    let workflow = &document.workflow;
    let mut push = |span: Span, is_definition: bool| {
        if span != Span::default() {
            out.push(Reference {
                span,
                is_definition,
            });
        }
    };
    match symbol {
        Symbol::Block { id } => {
            for block in analysis.blocks().iter().filter(|b| &b.id.value == id) {
                push(block.id.span, true);
            }
            for connection in workflow.connections.iter().flatten() {
                if &connection.source_block.value == id {
                    push(connection.source_block.span, false);
                }
                if &connection.target_block.value == id {
                    push(connection.target_block.span, false);
                }
            }
            if let Some(selected) = workflow
                .canvas_state
                .as_ref()
                .and_then(|c| c.selected_blocks.as_ref())
            {
                for selected_id in selected.value.iter().filter(|s| &s.value == id) {
                    push(selected_id.span, false);
                }
            }
        }
        Symbol::Port {
            block,
            output,
            name,
        } => {
            for b in analysis.blocks().iter().filter(|b| &b.id.value == block) {
                for port in ports(b, *output).filter(|p| &p.name.value == name) {
                    push(port.name.span, true);
                }
            }
            for connection in workflow.connections.iter().flatten() {
                let (end_block, end_port) = if *output {
                    (&connection.source_block, &connection.source_port)
                } else {
                    (&connection.target_block, &connection.target_port)
                };
                if &end_block.value == block && &end_port.value == name {
                    push(end_port.span, false);
                }
            }
        }
        Symbol::Variable { name } => {
            for variable in workflow.variables.iter().flatten() {
                if &variable.name.value == name {
                    push(variable.name.span, true);
                }
            }
            // The inputs it feeds by their name (see `rename`, which refuses to break that).
            for (_, port) in bound_inputs(analysis, name) {
                push(port.name.span, false);
            }
        }
        Symbol::Type { name } => {
            for decl in workflow.types.iter().flatten() {
                if &decl.name.value == name {
                    push(decl.name.span, true);
                }
            }
            for ty in type_refs(analysis) {
                for span in word_spans(analysis, ty.span, name) {
                    push(span, false);
                }
            }
        }
        Symbol::BlockKind { .. } | Symbol::Property { .. } => {}
    }
    out.sort();
    out.dedup_by_key(|r| r.span);
    out
}

/// The properties of a visual or plugin block.
pub(crate) fn properties(block: &Block) -> impl Iterator<Item = &crate::model::Property> {
    match &block.kind {
        crate::model::BlockKind::Visual { properties, .. }
        | crate::model::BlockKind::Plugin { properties, .. } => properties.as_deref(),
        _ => None,
    }
    .unwrap_or(&[])
    .iter()
}

/// The inputs named like variable `name`, with their blocks: those the variable feeds when no
/// connection does.
pub(crate) fn bound_inputs<'a>(
    analysis: &'a Analysis,
    name: &'a str,
) -> impl Iterator<Item = (&'a Block, &'a Port)> + 'a {
    analysis.blocks().iter().flat_map(move |block| {
        ports(block, false)
            .filter(move |p| p.name.value == name)
            .map(move |p| (block, p))
    })
}

/// A block's declared inputs (`output` false) or outputs.
pub(crate) fn ports(block: &Block, output: bool) -> impl Iterator<Item = &Port> {
    if output {
        &block.outputs
    } else {
        &block.inputs
    }
    .as_deref()
    .unwrap_or(&[])
    .iter()
}

/// Every type written in the workflow.
fn type_refs(analysis: &Analysis) -> Vec<&TypeRef> {
    let mut out = Vec::new();
    let Some(document) = analysis.document() else {
        return out;
    };
    let workflow = &document.workflow;
    out.extend(workflow.types.iter().flatten().map(|d| &d.ty));
    out.extend(
        workflow
            .variables
            .iter()
            .flatten()
            .filter_map(|v| v.ty.as_ref()),
    );
    out.extend(
        workflow
            .connections
            .iter()
            .flatten()
            .filter_map(|c| c.data_type.as_ref()),
    );
    for block in analysis.blocks() {
        out.extend(ports(block, false).map(|p| &p.ty));
        out.extend(ports(block, true).map(|p| &p.ty));
        if let crate::model::BlockKind::Hybrid { parameters, .. } = &block.kind {
            out.extend(parameters.iter().flatten().filter_map(|p| p.ty.as_ref()));
        }
    }
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The spans of `word` as a whole word inside `span` of the text.
fn word_spans(analysis: &Analysis, span: Span, word: &str) -> Vec<Span> {
    let text = analysis.slice(span);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    if word.is_empty() {
        return out;
    }
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(word)) {
        let start = from + found;
        let end = start + word.len();
        let before_ok = start == 0 || !is_word_byte(bytes[start - 1]);
        let after_ok = end == bytes.len() || !is_word_byte(bytes[end]);
        if before_ok && after_ok {
            out.push(Span::new(span.start + start, span.start + end));
        }
        from = end;
    }
    out
}

/// The type name (a word) at `offset` inside a written type.
fn type_name_at(analysis: &Analysis, ty: &TypeRef, offset: usize) -> Option<(String, Span)> {
    if !touches(ty.span, offset) {
        return None;
    }
    let text = analysis.text().as_bytes();
    let mut start = offset.min(text.len());
    while start > ty.span.start && is_word_byte(text[start - 1]) {
        start -= 1;
    }
    let mut end = offset.min(text.len());
    while end < ty.span.end && is_word_byte(text[end]) {
        end += 1;
    }
    if start == end {
        return None;
    }
    let name = analysis.slice(Span::new(start, end));
    if name.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name.to_owned(), Span::new(start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::cursor;

    fn at(src: &str) -> Option<Symbol> {
        let (text, offset) = cursor(src);
        let analysis = Analysis::new(crate::ide::FileKind::Dsl, &text);
        symbol_at(&analysis, offset).map(|(symbol, _)| symbol)
    }

    #[test]
    fn finds_blocks_ports_variables_and_types() {
        let src = "workflow {\n  type Finding = {file: Path}\n  var limit: Integer = 3\n  block a = python {\n    out x: List[Find$0ing]\n  }\n  block b = python {\n    in y: List[Finding] <- a.x\n  }\n}\n";
        assert_eq!(
            at(src),
            Some(Symbol::Type {
                name: "Finding".into()
            })
        );
        assert_eq!(
            at(&src.replace("$0", "").replace("<- a.x", "<- a.$0x")),
            Some(Symbol::Port {
                block: "a".into(),
                output: true,
                name: "x".into()
            })
        );
        assert_eq!(
            at(&src.replace("$0", "").replace("<- a.x", "<- $0a.x")),
            Some(Symbol::Block { id: "a".into() })
        );
        assert_eq!(
            at(&src.replace("$0", "").replace("var limit", "var li$0mit")),
            Some(Symbol::Variable {
                name: "limit".into()
            })
        );
    }
}
