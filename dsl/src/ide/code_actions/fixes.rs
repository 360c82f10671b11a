//! The fixes that insert text, which need the file kind and the text (the checker's fixes
//! only replace): adding a missing property, declaring a port a connection names, inserting a
//! conversion block into a connection whose types do not fit. Each builds model nodes and
//! prints them with the one printer of each file kind (`print::print_block`,
//! `json::write::*_value`), then places them where the formatter keeps them (`place`).

use crate::check::diagnostics::{replace_str, replace_type};
use crate::check::{self, Index};
use crate::diagnostic::{Diagnostic, Fix};
use crate::json::write::{block_keys, block_value, connection_value, port_value};
use crate::model::{
    first_blocks, source_port_type, Block, BlockKind, Connection, Json, Port, Position, Property,
    Span, Spanned, Str, TypeRef,
};
use crate::print::BlockPart;
use crate::types::{is_identifier, Type};
use serde_json::Number;

use super::place;
use crate::ide::{Analysis, FileKind};

/// The inserting fixes of `diagnostic`.
pub(super) fn fixes(analysis: &Analysis, diagnostic: &Diagnostic) -> Vec<Fix> {
    let index = || analysis.index();
    let fix = match diagnostic.code {
        "missing-property" => add_property(analysis, diagnostic),
        "unknown-source-port" => {
            index().and_then(|index| declare_port(analysis, &index, diagnostic, Direction::Out))
        }
        "unknown-target-port" => {
            index().and_then(|index| declare_port(analysis, &index, diagnostic, Direction::In))
        }
        "type-mismatch" => {
            index().and_then(|index| insert_conversion(analysis, &index, diagnostic))
        }
        _ => None,
    };
    fix.into_iter().collect()
}

fn str(value: &str) -> Str {
    Str::new(value.to_owned(), Span::default())
}

fn port(name: &str, ty: &Type) -> Port {
    Port {
        span: Span::default(),
        name: str(name),
        ty: TypeRef {
            text: ty.to_string(),
            span: Span::default(),
        },
        required: None,
        description: None,
        default: None,
        extra: Vec::new(),
    }
}

/// A block of `kind` with these ports and nothing else (what a fix prints).
fn bare_block(id: &str, kind: BlockKind, inputs: Vec<Port>, outputs: Vec<Port>) -> Block {
    Block {
        span: Span::default(),
        id: str(id),
        kind,
        kind_span: Span::default(),
        name: None,
        description: None,
        position: None,
        inputs: (!inputs.is_empty()).then_some(inputs),
        outputs: (!outputs.is_empty()).then_some(outputs),
        extra: Vec::new(),
    }
}

fn code_kind(language: &str, code: Option<String>) -> BlockKind {
    BlockKind::Code {
        language: str(language),
        source_code: code.map(|c| str(&c)),
        dependencies: None,
        error_handling: None,
    }
}

/// `missing-property`: "add property `NAME`", with the catalogue's default or a placeholder
/// of the property's kind, after the block's properties.
fn add_property(analysis: &Analysis, diagnostic: &Diagnostic) -> Option<Fix> {
    let name = diagnostic.subject.as_deref()?;
    let block = analysis
        .blocks()
        .iter()
        .find(|b| b.id.span == diagnostic.span())?;
    let def = check::block_def(block)?.property(name)?;
    let value = def.initial_value();
    let edits = match analysis.kind() {
        FileKind::Dsl => {
            let BlockKind::Visual { block_type, .. } = &block.kind else {
                return None;
            };
            let property = Property {
                span: Span::default(),
                key: str(name),
                value: Spanned::new(value, Span::default()),
            };
            let kind = BlockKind::Visual {
                block_type: block_type.clone(),
                properties: Some(vec![property]),
            };
            let tree = analysis.tree()?;
            let indent = place::line_indent(analysis.text(), block.span.start);
            let lines = place::statements(&bare_block("b", kind, vec![], vec![]), indent);
            place::dsl_add_statements(tree, block, BlockPart::KindFields, "properties", &lines)?
        }
        FileKind::Json => {
            let text = analysis.text();
            let root = place::json_tree(text)?;
            let object = &place::json_block(&root, block)?.value;
            match place::member(object, "properties") {
                Some(properties) => {
                    let last = properties.value.as_object()?.len().checked_sub(1);
                    vec![place::json_add_member(
                        text,
                        &properties.value,
                        last,
                        name,
                        &value,
                    )?]
                }
                None => {
                    let members = object.as_object()?;
                    let slot =
                        place::canonical_slot(members, block_keys(&block.kind), "properties");
                    let mut map = serde_json::Map::new();
                    map.insert(name.to_owned(), value);
                    let properties = Json::Object(map);
                    vec![place::json_add_member(
                        text,
                        object,
                        slot,
                        "properties",
                        &properties,
                    )?]
                }
            }
        }
    };
    Some(Fix {
        title: format!("add property `{name}`"),
        edits,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    In,
    Out,
}

/// `unknown-source-port` / `unknown-target-port` on a block whose ports the user declares
/// (code, template, AI): "declare output/input `NAME: TYPE`", typed as the other end (else
/// `Any`). Not offered where the language fixes the outputs (shell) or has them all (SQL).
fn declare_port(
    analysis: &Analysis,
    index: &Index,
    diagnostic: &Diagnostic,
    direction: Direction,
) -> Option<Fix> {
    let span = diagnostic.span();
    let conn = index.connections.iter().find(|c| match direction {
        Direction::Out => c.source_port.span == span,
        Direction::In => c.target_port.span == span,
    })?;
    let (name, (_, block), other) = match direction {
        Direction::Out => (
            &conn.source_port.value,
            index.block(&conn.source_block.value)?,
            index
                .block(&conn.target_block.value)
                .and_then(|(i, _)| index.ports(i)?.input(&conn.target_port.value))
                .and_then(|p| p.ty.clone()),
        ),
        Direction::In => (
            &conn.target_port.value,
            index.block(&conn.target_block.value)?,
            index
                .block(&conn.source_block.value)
                .and_then(|(i, _)| index.ports(i)?.output(&conn.source_port.value))
                .and_then(|p| p.ty.clone()),
        ),
    };
    if !matches!(
        block.kind,
        BlockKind::Code { .. } | BlockKind::Hybrid { .. } | BlockKind::Ai { .. }
    ) {
        return None;
    }
    if let (Direction::Out, Some(language)) = (direction, check::language_def(block)) {
        let outputs = block.outputs.as_ref().map_or(0, Vec::len);
        if language.only_special_outputs || language.max_outputs.is_some_and(|max| outputs >= max) {
            return None;
        }
    }
    let any = Type::Named("Any".to_owned());
    let ty = other.as_deref().unwrap_or(&any);
    let new = port(name, ty);
    let (word, part, key) = match direction {
        Direction::In => ("input", BlockPart::Inputs, "inputs"),
        Direction::Out => ("output", BlockPart::Outputs, "outputs"),
    };
    let edits = match analysis.kind() {
        FileKind::Dsl => {
            let text = analysis.text();
            let indent = place::line_indent(text, block.span.start);
            let (inputs, outputs) = match direction {
                Direction::In => (vec![new], vec![]),
                Direction::Out => (vec![], vec![new]),
            };
            let mini = bare_block(&block.id.value, code_kind("python", None), inputs, outputs);
            let connect_statement = text
                .get(conn.span.start..conn.span.end)
                .is_some_and(|t| t.starts_with("connect"));
            if direction == Direction::Out || !connect_statement {
                let lines = place::statements(&mini, indent);
                place::dsl_add_statements(analysis.tree()?, block, part, key, &lines)?
            } else {
                // The connection was a `connect` statement (there was no input to write it
                // on); the formatter writes it on the new input, so the fix does too.
                let lines =
                    place::statements_with(&mini, std::slice::from_ref(conn), index.blocks, indent);
                let mut edits =
                    place::dsl_add_statements(analysis.tree()?, block, part, key, &lines)?;
                edits.push(place::dsl_remove_line(text, conn.span));
                edits
            }
        }
        FileKind::Json => {
            let text = analysis.text();
            let root = place::json_tree(text)?;
            let object = &place::json_block(&root, block)?.value;
            match place::member(object, key) {
                Some(ports) => vec![place::json_append(text, &ports.value, &port_value(&new))?],
                None => {
                    let slot =
                        place::canonical_slot(object.as_object()?, block_keys(&block.kind), key);
                    let ports = Json::Array(vec![port_value(&new)]);
                    vec![place::json_add_member(text, object, slot, key, &ports)?]
                }
            }
        }
    };
    Some(Fix {
        title: format!(
            "declare {word} `{}: {}`",
            crate::ide::dsl_name(name),
            ty.to_dsl()
        ),
        edits,
    })
}

/// `type-mismatch` on a connection: "insert a conversion", a Python block between the two
/// ends (`in value: SRC <- a.port`, `out value: TGT`) with the target rewired to it, when the
/// pair of types has a sensible conversion.
fn insert_conversion(analysis: &Analysis, index: &Index, diagnostic: &Diagnostic) -> Option<Fix> {
    let conn = index
        .connections
        .iter()
        .find(|c| c.span == diagnostic.span())?;
    let (source_idx, source_block) = index.block(&conn.source_block.value)?;
    let (target_idx, target_block) = index.block(&conn.target_block.value)?;
    let from = index
        .ports(source_idx)?
        .output(&conn.source_port.value)?
        .ty
        .clone()?;
    let to = index
        .ports(target_idx)?
        .input(&conn.target_port.value)?
        .ty
        .clone()?;
    let (expr, imports) = conversion(index, &from, &to, "value")?;
    let code = if imports.is_empty() {
        expr.clone()
    } else {
        let lines: Vec<String> = imports.iter().map(|m| format!("import {m}")).collect();
        format!("{}\nvalue = {expr}", lines.join("\n"))
    };
    let id = fresh_id(index, &conn.source_port.value, &to);
    let mut block = bare_block(
        &id,
        code_kind("python", Some(code)),
        vec![port("value", &from)],
        vec![port("value", &to)],
    );
    block.position = between(
        source_block.position.as_ref(),
        target_block.position.as_ref(),
    );
    let mut feed = Connection {
        span: Span::default(),
        id: None,
        source_block: str(&conn.source_block.value),
        source_port: str(&conn.source_port.value),
        target_block: str(&id),
        target_port: str("value"),
        data_type: None,
        transform: None,
        extra: Vec::new(),
    };
    feed.id = Some(str(&feed.derived_id()));
    // The lowering's default, so that the printer leaves it out.
    let first = first_blocks(index.blocks);
    feed.data_type = source_port_type(index.blocks, &first, &feed).map(|text| TypeRef {
        text: text.to_owned(),
        span: Span::default(),
    });
    // The connection into the target now comes from the new block.
    let mut edits = vec![
        replace_str(&conn.source_block, &id),
        replace_str(&conn.source_port, "value"),
    ];
    let written = |span: Span| span != conn.span && span != Span::default();
    if let Some(old) = conn.id.as_ref().filter(|i| written(i.span)) {
        if old.value == conn.derived_id() {
            let new = format!(
                "{id}.value->{}.{}",
                conn.target_block.value, conn.target_port.value
            );
            edits.push(replace_str(old, &new));
        }
    }
    if let Some(data_type) = conn.data_type.as_ref().filter(|t| written(t.span)) {
        edits.push(replace_type(data_type, &to));
    }
    match analysis.kind() {
        FileKind::Dsl => {
            let text = place::block_text(&block, std::slice::from_ref(&feed), index.blocks);
            edits.push(place::dsl_add_block(analysis.tree()?, source_block, &text)?);
        }
        FileKind::Json => {
            let text = analysis.text();
            let root = place::json_tree(text)?;
            let workflow = &place::member(&root, "workflow")?.value;
            let blocks = &place::member(workflow, "blocks")?.value;
            let after = blocks
                .as_object()?
                .iter()
                .position(|m| m.key.span == source_block.id.span);
            let after = after.or_else(|| blocks.as_object()?.len().checked_sub(1));
            edits.push(place::json_add_member(
                text,
                blocks,
                after,
                &id,
                &block_value(&block),
            )?);
            feed.data_type = Some(TypeRef {
                text: from.to_string(),
                span: Span::default(),
            });
            let connections = &place::member(workflow, "connections")?.value;
            edits.push(place::json_append(
                text,
                connections,
                &connection_value(&feed),
            )?);
        }
    }
    Some(Fix {
        title: format!("insert a conversion: `{expr}`"),
        edits,
    })
}

/// The canvas position halfway between two blocks, when both have one: where a block inserted
/// into the connection between them belongs. Whole when both are whole numbers.
fn between(a: Option<&Position>, b: Option<&Position>) -> Option<Position> {
    let (a, b) = (a?, b?);
    let mid = |p: &Number, q: &Number| -> Option<Number> {
        match (p.as_i64(), q.as_i64()) {
            (Some(p), Some(q)) => Some(Number::from(((i128::from(p) + i128::from(q)) / 2) as i64)),
            _ => Number::from_f64((p.as_f64()? + q.as_f64()?) / 2.0),
        }
    };
    Some(Position {
        span: Span::default(),
        x: Spanned::new(mid(&a.x.value, &b.x.value)?, Span::default()),
        y: Spanned::new(mid(&a.y.value, &b.y.value)?, Span::default()),
    })
}

/// A block id not yet taken, from the source port and the target type: `count_as_string`.
fn fresh_id(index: &Index, port: &str, to: &Type) -> String {
    let word = match to {
        Type::Named(name) | Type::Applied(name, _) => name.to_lowercase(),
        Type::Record(_) => "record".to_owned(),
    };
    let mut base = format!("{port}_as_{word}");
    if !is_identifier(&base) {
        base = format!("as_{word}");
    }
    let mut id = base.clone();
    let mut n = 2;
    while index.block_by_id.contains_key(id.as_str()) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

fn name_of(ty: &Type) -> Option<&str> {
    match ty {
        Type::Named(name) => Some(name),
        _ => None,
    }
}

fn applied<'t>(ty: &'t Type, kind: &str) -> Option<&'t Type> {
    match ty {
        Type::Applied(name, args) if name == kind && args.len() == 1 => args.first(),
        _ => None,
    }
}

/// A Python expression turning `var` of type `from` into a value of type `to`, and the
/// modules it imports; `None` when no conversion makes sense (a number from a list, ...).
fn conversion(
    index: &Index,
    from: &Type,
    to: &Type,
    var: &str,
) -> Option<(String, Vec<&'static str>)> {
    let resolve = |ty: &Type| match ty {
        Type::Named(name) => index.named_type(name).unwrap_or_else(|| ty.clone()),
        _ => ty.clone(),
    };
    let (from, to) = (&resolve(from), &resolve(to));
    if index.assignable(from, to) {
        return Some((var.to_owned(), Vec::new()));
    }
    if let Some(inner) = applied(to, "Optional") {
        return conversion(index, from, inner, var);
    }
    let is = |ty: &Type, names: &[&str]| name_of(ty).is_some_and(|n| names.contains(&n));
    const PATHS: &[&str] = &["Path", "File", "Directory"];
    const STRUCTURED: &[&str] = &["Json", "Dict"];
    let structured = |ty: &Type| {
        matches!(ty, Type::Record(_))
            || matches!(ty, Type::Applied(name, _) if STRUCTURED.contains(&name.as_str()) || name == "List")
            || is(ty, STRUCTURED)
    };
    let plain = |expr: String| Some((expr, Vec::new()));
    if let Some(item) = applied(to, "List") {
        if let Some(source_item) = applied(from, "List") {
            let (each, imports) = conversion(index, source_item, item, "v")?;
            return Some((format!("[{each} for v in {var}]"), imports));
        }
        if index.assignable(from, item) {
            return plain(format!("[{var}]"));
        }
    }
    if let Some(item) = applied(from, "List") {
        if is(to, &["String"]) {
            return plain(format!("\"\\n\".join(str(v) for v in {var})"));
        }
        if index.assignable(item, to) {
            return plain(format!("{var}[0]"));
        }
        return None;
    }
    if applied(from, "Optional").is_some() {
        return None;
    }
    match name_of(to) {
        Some("String")
            if is(
                from,
                &["Integer", "Number", "Boolean", "Path", "File", "Directory"],
            ) =>
        {
            plain(format!("str({var})"))
        }
        Some("String") if structured(from) => Some((format!("json.dumps({var})"), vec!["json"])),
        Some("Integer") if is(from, &["String", "Boolean"]) => plain(format!("int({var})")),
        Some("Integer") if is(from, &["Number"]) => plain(format!("round({var})")),
        Some("Number") if is(from, &["String", "Boolean"]) => plain(format!("float({var})")),
        Some("Boolean") if is(from, &["Integer", "Number"]) => plain(format!("{var} != 0")),
        Some(name) if PATHS.contains(&name) && is(from, &["String"]) => {
            Some((format!("pathlib.Path({var})"), vec!["pathlib"]))
        }
        _ if structured(to) && is(from, &["String"]) => {
            Some((format!("json.loads({var})"), vec!["json"]))
        }
        _ => None,
    }
}
