//! The workflow as a graph for the preview: blocks with their ports and positions, connections
//! with their types and whether they are valid, each with its text range. Drawn from whatever
//! the model holds, so it is there even while the text has errors. Also `move_block`, the edit
//! that moves a block on the canvas (one line).

use crate::check::Index;
use crate::diagnostic::TextEdit;
use crate::model::{Block, BlockKind, Span};
use crate::types::Type;

use super::{Analysis, FileKind};

/// A port in the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphPort {
    /// Its name.
    pub name: String,
    /// Its type in DSL spelling, when known.
    pub ty: Option<String>,
    /// Its declaration, when the block declares it (catalogue ports have none).
    pub span: Option<Span>,
}

/// A block in the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphBlock {
    /// Its id.
    pub id: String,
    /// `visual`, `code`, `hybrid`, `ai` or `plugin`.
    pub kind: &'static str,
    /// Its kind as written (`find_files`, `python`, `template python`, ...).
    pub kind_label: String,
    /// Its display name.
    pub name: Option<String>,
    /// Its canvas position.
    pub position: Option<(f64, f64)>,
    /// The whole block.
    pub span: Span,
    /// Its id in the text.
    pub id_span: Span,
    /// Inputs.
    pub inputs: Vec<GraphPort>,
    /// Outputs.
    pub outputs: Vec<GraphPort>,
}

/// A connection in the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphConnection {
    /// Its effective id.
    pub id: String,
    /// Source block id.
    pub source_block: String,
    /// Source port.
    pub source_port: String,
    /// Target block id.
    pub target_block: String,
    /// Target port.
    pub target_port: String,
    /// The type flowing (the source port's), when known.
    pub ty: Option<String>,
    /// False when an end is missing or the types do not fit.
    pub valid: bool,
    /// Why it is not valid.
    pub problem: Option<String>,
    /// Where it is written.
    pub span: Span,
}

/// The whole graph.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Graph {
    /// Blocks in file order.
    pub blocks: Vec<GraphBlock>,
    /// Connections in model order.
    pub connections: Vec<GraphConnection>,
    /// True when the file has errors (the graph may miss what did not parse).
    pub has_errors: bool,
}

fn kind_label(block: &Block) -> String {
    match &block.kind {
        BlockKind::Visual { block_type, .. } => block_type.value.clone(),
        BlockKind::Code { language, .. } => language.value.clone(),
        BlockKind::Hybrid { base_language, .. } => format!("template {}", base_language.value),
        BlockKind::Ai { .. } => "ai".into(),
        BlockKind::Plugin {
            plugin, block_type, ..
        } => format!("plugin {}.{}", plugin.value, block_type.value),
    }
}

/// The graph of the file.
pub fn graph(analysis: &Analysis) -> Graph {
    let has_errors = analysis.diagnostics().iter().any(|d| d.is_error());
    let Some(index) = analysis.index() else {
        return Graph {
            has_errors,
            ..Graph::default()
        };
    };
    let blocks = index
        .blocks
        .iter()
        .enumerate()
        .map(|(i, block)| {
            let ports = index.ports(i);
            let convert = |list: Option<&Vec<crate::check::PortInfo>>| -> Vec<GraphPort> {
                list.into_iter()
                    .flatten()
                    .map(|p| GraphPort {
                        name: p.name.to_owned(),
                        ty: p.ty.as_deref().map(Type::to_dsl),
                        span: p.decl.map(|d| d.span),
                    })
                    .collect()
            };
            GraphBlock {
                id: block.id.value.clone(),
                kind: block.kind.type_name(),
                kind_label: kind_label(block),
                name: block.name.as_ref().map(|n| n.value.clone()),
                position: block
                    .position
                    .as_ref()
                    .and_then(|p| Some((p.x.value.as_f64()?, p.y.value.as_f64()?))),
                span: block.span,
                id_span: block.id.span,
                inputs: convert(ports.map(|p| &p.inputs)),
                outputs: convert(ports.map(|p| &p.outputs)),
            }
        })
        .collect();
    let connections = index
        .connections
        .iter()
        .map(|c| {
            let (ty, problem) = connection_check(&index, c);
            GraphConnection {
                id: c.effective_id(),
                source_block: c.source_block.value.clone(),
                source_port: c.source_port.value.clone(),
                target_block: c.target_block.value.clone(),
                target_port: c.target_port.value.clone(),
                ty: ty.as_ref().map(Type::to_dsl),
                valid: problem.is_none(),
                problem,
                span: c.span,
            }
        })
        .collect();
    Graph {
        blocks,
        connections,
        has_errors,
    }
}

fn connection_check(index: &Index, c: &crate::model::Connection) -> (Option<Type>, Option<String>) {
    let Some((source_idx, _)) = index.block(&c.source_block.value) else {
        return (None, Some(format!("no block `{}`", c.source_block.value)));
    };
    let Some((target_idx, _)) = index.block(&c.target_block.value) else {
        return (None, Some(format!("no block `{}`", c.target_block.value)));
    };
    let (Some(source_ports), Some(target_ports)) =
        (index.ports(source_idx), index.ports(target_idx))
    else {
        return (None, None);
    };
    let source = source_ports.output(&c.source_port.value);
    let target = target_ports.input(&c.target_port.value);
    let ty = source.and_then(|p| p.ty.as_deref().cloned());
    if source.is_none() && !source_ports.open {
        return (
            ty,
            Some(format!(
                "`{}` has no output `{}`",
                c.source_block.value, c.source_port.value
            )),
        );
    }
    if target.is_none() && !target_ports.open {
        return (
            ty,
            Some(format!(
                "`{}` has no input `{}`",
                c.target_block.value, c.target_port.value
            )),
        );
    }
    if let (Some(from), Some(to)) = (&ty, target.and_then(|p| p.ty.as_ref())) {
        if !index.assignable(from, to) {
            return (
                ty.clone(),
                Some(format!(
                    "`{}` does not fit `{}`",
                    from.to_dsl(),
                    to.to_dsl()
                )),
            );
        }
    }
    (ty, None)
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        serde_json::Number::from_f64(value).map_or_else(|| "0".into(), |n| n.to_string())
    }
}

/// The edit that puts block `id` at `(x, y)` on the canvas: it changes the position where it is
/// written (a header's `at (x, y)`, an `@position = {...}`, a JSON `"position"`), or adds an
/// `at (x, y)` to the header. `None` when there is no such block, when its position is an
/// `@position` with keys besides `x` and `y` (kept verbatim, so not movable), or, in a JSON
/// file, when the block has no position to change.
pub fn move_block(analysis: &Analysis, id: &str, x: f64, y: f64) -> Option<TextEdit> {
    let block = analysis.block(id)?;
    let (x, y) = (number(x), number(y));
    match (analysis.kind(), &block.position) {
        // `at (x, y)` on the header, or an `@position = {...}` in the body: each kept as written.
        (FileKind::Dsl, Some(position)) => Some(TextEdit {
            span: position.span,
            new_text: if analysis.slice(position.span).starts_with("at") {
                format!("at ({x}, {y})")
            } else {
                format!("{{\"x\": {x}, \"y\": {y}}}")
            },
        }),
        // As the canonical JSON writes it: one key a line, indented from the key's line.
        (FileKind::Json, Some(position)) => {
            let text = analysis.text();
            let line_start = text[..position.span.start].rfind('\n').map_or(0, |i| i + 1);
            let indent: String = text[line_start..]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            Some(TextEdit {
                span: position.span,
                new_text: format!("{{\n{indent}  \"x\": {x},\n{indent}  \"y\": {y}\n{indent}}}"),
            })
        }
        // A position with keys besides `x` and `y` is kept verbatim as an `@position`; it
        // wins over a header `at`, so only an edit by hand can move that block.
        (_, None) if crate::check::settings::extra(&block.extra, "position").is_some() => None,
        (FileKind::Dsl, None) => {
            let tree = analysis.tree()?;
            let node = tree
                .root()
                .descendant_for_byte_range(block.span.start, block.span.end)?;
            let body = node.child_by_field_name("body")?;
            Some(TextEdit {
                span: Span::new(body.start_byte(), body.start_byte()),
                new_text: format!("at ({x}, {y}) "),
            })
        }
        (FileKind::Json, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::rename::apply_edits;

    const SRC: &str = "workflow {\n  block a = python at (10, 20) {\n    out x: List[Path]\n  }\n  block b = python {\n    in y: Number <- a.x\n    in z: List[Path] <- a.x\n  }\n}\n";

    #[test]
    fn blocks_ports_and_connection_validity() {
        let analysis = Analysis::new(FileKind::Dsl, SRC);
        let graph = graph(&analysis);
        assert_eq!(graph.blocks.len(), 2);
        assert_eq!(graph.blocks[0].position, Some((10.0, 20.0)));
        assert_eq!(graph.blocks[0].outputs[0].ty.as_deref(), Some("List[Path]"));
        let validity: Vec<(bool, Option<String>)> = graph
            .connections
            .iter()
            .map(|c| (c.valid, c.ty.clone()))
            .collect();
        assert_eq!(
            validity,
            vec![
                (false, Some("List[Path]".into())),
                (true, Some("List[Path]".into()))
            ]
        );
    }

    #[test]
    fn drawn_while_the_text_is_broken() {
        let broken = SRC.replace("in z: List[Path] <- a.x", "in z: List[Path] <- a.");
        let graph = graph(&Analysis::new(FileKind::Dsl, &broken));
        assert!(graph.has_errors);
        assert_eq!(graph.blocks.len(), 2);
    }

    #[test]
    fn moves_change_one_line() {
        let analysis = Analysis::new(FileKind::Dsl, SRC);
        let edit = move_block(&analysis, "a", 1.5, -3.0).expect("an edit");
        let moved = apply_edits(SRC, &[edit]);
        assert!(moved.contains("block a = python at (1.5, -3) {"));
        let edit = move_block(&analysis, "b", 7.0, 8.0).expect("an edit");
        let moved = apply_edits(SRC, &[edit]);
        assert!(moved.contains("block b = python at (7, 8) {"), "{moved}");
        let diff = SRC
            .lines()
            .zip(moved.lines())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(diff, 1);
    }

    #[test]
    fn move_block_keeps_the_way_a_position_is_written() {
        let moved = |kind: FileKind, src: &str| {
            let analysis = Analysis::new(kind, src);
            let edit = move_block(&analysis, "e", 7.0, 8.0)?;
            Some(apply_edits(src, &[edit]))
        };
        let body = "workflow \"W\" {\n  block e = python \"E\" {\n    @position = {\"x\": 1, \"y\": 2}\n    out x: String\n  }\n}\n";
        let text = moved(FileKind::Dsl, body).expect("moved");
        assert!(
            text.contains("    @position = {\"x\": 7, \"y\": 8}\n"),
            "{text}"
        );
        assert!(
            Analysis::new(FileKind::Dsl, &text).diagnostics().is_empty(),
            "{text}"
        );
        // Other keys beside x and y: not a position the graph can move.
        let other = body.replace("\"y\": 2}", "\"y\": 2, \"z\": 3}");
        assert_eq!(moved(FileKind::Dsl, &other), None);
        // JSON: as the canonical writer lays it out, so `fmt --check` stays clean.
        let json = crate::convert::convert(FileKind::Dsl, FileKind::Json, body)
            .expect("converts")
            .text;
        let text = moved(FileKind::Json, &json).expect("moved");
        let canonical = crate::convert::convert(FileKind::Json, FileKind::Json, &text)
            .expect("reads")
            .text;
        assert_eq!(text, canonical);
        assert!(text.contains("\"x\": 7,"), "{text}");
    }
}
