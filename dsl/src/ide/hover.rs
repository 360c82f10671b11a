//! Hover: what the name under the cursor is, as Markdown.

use std::fmt::Write as _;

use crate::catalog;
use crate::check::{self, Index};
use crate::model::{Block, BlockKind, Span};

use super::resolve::{symbol_at, Symbol};
use super::Analysis;

/// A hover: the range it is about and Markdown text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// The name hovered.
    pub span: Span,
    /// Markdown.
    pub markdown: String,
}

/// The hover at `offset`, if something is there.
pub fn hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    let (symbol, span) = symbol_at(analysis, offset)?;
    let index = analysis.index()?;
    let markdown = match &symbol {
        Symbol::Block { id } => block_hover(&index, analysis.block(id)?),
        Symbol::BlockKind { block } => kind_hover(analysis.block(block)?),
        Symbol::Port {
            block,
            output,
            name,
        } => port_hover(&index, block, *output, name)?,
        Symbol::Variable { name } => variable_hover(analysis, &index, name)?,
        Symbol::Type { name } => type_hover(analysis, name),
        Symbol::Property { block, key } => property_hover(analysis, block, key)?,
    };
    Some(Hover { span, markdown })
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

fn block_hover(index: &Index, block: &Block) -> String {
    let mut out = format!("```ab\nblock {} = {}", block.id.value, kind_label(block));
    if let Some(name) = &block.name {
        let _ = write!(out, " {:?}", name.value);
    }
    out.push_str("\n```");
    if let Some(description) = &block.description {
        let _ = write!(out, "\n\n{}", description.value);
    }
    if let Some((block_idx, _)) = index.block(&block.id.value) {
        if let Some(ports) = index.ports(block_idx) {
            for (title, list) in [("inputs", &ports.inputs), ("outputs", &ports.outputs)] {
                if list.is_empty() {
                    continue;
                }
                let _ = write!(out, "\n\n**{title}**:");
                for port in list {
                    let ty = port.ty.as_ref().map_or("?".into(), |t| t.to_dsl());
                    let _ = write!(out, " `{}: {ty}`", port.name);
                }
            }
        }
    }
    out
}

fn kind_hover(block: &Block) -> String {
    match &block.kind {
        BlockKind::Visual { block_type, .. } => match catalog::lookup(&block_type.value) {
            Some(def) => block_def_markdown(def),
            None => format!("unknown block type `{}`", block_type.value),
        },
        BlockKind::Code { language, .. } => match catalog::language(&language.value) {
            Some(def) => format!(
                "**{}** code block\n\n{}\n\ninputs: {}\n\noutputs: {}",
                def.name, def.summary, def.inputs, def.outputs
            ),
            None => format!("`{}` code block", language.value),
        },
        BlockKind::Hybrid { base_language, .. } => format!(
            "**template** block: `{{{{placeholders}}}}` in `{}` code, expanded from parameters, then run",
            base_language.value
        ),
        BlockKind::Ai { .. } => {
            "**ai** block: calls a model with `system` and `prompt`; `{name}` in a prompt is an input or a variable".into()
        }
        BlockKind::Plugin {
            plugin, block_type, ..
        } => format!(
            "block `{}` of the workspace plugin `{}`",
            block_type.value, plugin.value
        ),
    }
}

/// The Markdown documentation of a catalogue block (shared with completion).
pub fn block_def_markdown(def: &catalog::BlockDef) -> String {
    let mut out = format!("**{}**: {}\n\n{}", def.name, def.summary, def.documentation);
    if !def.properties.is_empty() {
        out.push_str("\n\n**properties**");
        for prop in &def.properties {
            let _ = write!(out, "\n- `{}` ({})", prop.name, prop.kind.describe());
            if prop.required {
                out.push_str(", required");
            }
            if let Some(default) = &prop.default {
                let _ = write!(out, ", default `{default}`");
            }
            let _ = write!(out, ": {}", prop.help);
        }
    }
    for (title, ports) in [("inputs", &def.inputs), ("outputs", &def.outputs)] {
        if ports.is_empty() {
            continue;
        }
        let _ = write!(out, "\n\n**{title}**");
        for port in ports.iter() {
            let _ = write!(
                out,
                "\n- `{}: {}`: {}",
                port.name,
                port.ty.to_dsl(),
                port.help
            );
        }
    }
    out
}

fn port_hover(index: &Index, block: &str, output: bool, name: &str) -> Option<String> {
    let (block_idx, _) = index.block(block)?;
    let ports = index.ports(block_idx)?;
    let port = if output {
        ports.output(name)
    } else {
        ports.input(name)
    }?;
    let ty = port.ty.as_ref().map_or("?".into(), |t| t.to_dsl());
    let direction = if output { "out" } else { "in" };
    let mut out = format!("```ab\n{direction} {block}.{name}: {ty}\n```");
    if let Some(description) = port.decl.and_then(|d| d.description.as_ref()) {
        let _ = write!(out, "\n\n{}", description.value);
    } else if let Some(def) = port.def {
        let _ = write!(out, "\n\n{}", def.help);
    }
    let port_type = |conn_block: &str, conn_port: &str, want_output: bool| -> String {
        index
            .block(conn_block)
            .and_then(|(i, _)| index.ports(i))
            .and_then(|p| {
                if want_output {
                    p.output(conn_port)
                } else {
                    p.input(conn_port)
                }
            })
            .and_then(|p| p.ty.as_ref())
            .map_or("?".into(), |t| t.to_dsl())
    };
    if output {
        let consumers: Vec<String> = index
            .connections
            .iter()
            .filter(|c| c.source_block.value == block && c.source_port.value == name)
            .map(|c| {
                format!(
                    "`{}.{}: {}`",
                    c.target_block.value,
                    c.target_port.value,
                    port_type(&c.target_block.value, &c.target_port.value, false)
                )
            })
            .collect();
        if consumers.is_empty() {
            out.push_str("\n\nconsumed by nothing: a result of the workflow");
        } else {
            let _ = write!(out, "\n\nconsumed by {}", consumers.join(", "));
        }
    } else {
        let feeds: Vec<String> = index
            .incoming
            .get(&(block_idx, name))
            .into_iter()
            .flatten()
            .filter_map(|&i| index.connections.get(i))
            .map(|c| {
                format!(
                    "`{}.{}: {}`",
                    c.source_block.value,
                    c.source_port.value,
                    port_type(&c.source_block.value, &c.source_port.value, true)
                )
            })
            .collect();
        if !feeds.is_empty() {
            let _ = write!(out, "\n\nfed by {}", feeds.join(", "));
        } else if let Some(variable) = index.variables.get(name) {
            let value = variable
                .value
                .as_ref()
                .map_or("no value".into(), |v| format!("`{}`", v.value));
            let _ = write!(out, "\n\nbound to the variable `{name}` = {value}");
        } else if let Some(default) = port.decl.and_then(|d| d.default.as_ref()) {
            let _ = write!(out, "\n\nnot connected: its default `{}`", default.value);
        } else {
            out.push_str("\n\nnot connected");
        }
    }
    Some(out)
}

fn variable_hover(analysis: &Analysis, index: &Index, name: &str) -> Option<String> {
    let variable = index.variables.get(name)?;
    let mut out = format!("```ab\nvar {name}");
    if let Some(ty) = &variable.ty {
        let _ = write!(out, ": {}", dsl_type(&ty.text));
    }
    if let Some(value) = &variable.value {
        let _ = write!(out, " = {}", value.value);
    }
    out.push_str("\n```");
    if let Some(description) = &variable.description {
        let _ = write!(out, "\n\n{}", description.value);
    }
    let bound: Vec<String> = super::resolve::bound_inputs(analysis, name)
        .map(|(b, _)| format!("`{}.{name}`", b.id.value))
        .collect();
    if !bound.is_empty() {
        let _ = write!(out, "\n\nbinds {}", bound.join(", "));
    }
    Some(out)
}

fn dsl_type(text: &str) -> String {
    crate::types::parse_type(text).map_or_else(|_| text.to_owned(), |t| t.to_dsl())
}

fn type_hover(analysis: &Analysis, name: &str) -> String {
    let declared = analysis
        .document()
        .and_then(|d| d.workflow.types.as_ref())
        .and_then(|types| types.iter().find(|t| t.name.value == name));
    match declared {
        Some(decl) => format!("```ab\ntype {name} = {}\n```", dsl_type(&decl.ty.text)),
        None => {
            let about = match name {
                "String" => "text",
                "Number" => "a number (an `Integer` is one too)",
                "Integer" => "a whole number",
                "Boolean" => "`true` or `false`",
                "Path" => "a file system path (`pathlib.Path` in Python); `File` and `Directory` are paths",
                "File" => "a path to a file",
                "Directory" => "a path to a directory",
                "Json" => "any JSON value; anything flows into it",
                "Any" => "any value; anything flows into it and it flows anywhere",
                "List" => "`List[T]`: a list; covariant",
                "Dict" => "`Dict[K, V]`: a map",
                "Optional" => "`Optional[T]`, written `T?`: a `T` or null",
                _ => "an undeclared type",
            };
            format!("```ab\n{name}\n```\n\n{about}")
        }
    }
}

fn property_hover(analysis: &Analysis, block: &str, key: &str) -> Option<String> {
    let block = analysis.block(block)?;
    let def = check::block_def(block)?.property(key)?;
    let mut out = format!(
        "```ab\n{key} = ...\n```\n\n{}\n\n{}",
        def.help,
        def.kind.describe()
    );
    if def.required {
        out.push_str(", required");
    }
    if let Some(default) = &def.default {
        let _ = write!(out, "; default `{default}`");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;

    fn check(src: &str, expected_parts: &[&str]) {
        let (analysis, offset) = analysis(src);
        let found = hover(&analysis, offset)
            .map(|h| h.markdown)
            .unwrap_or_default();
        for part in expected_parts {
            assert!(found.contains(part), "{part:?} not in:\n{found}");
        }
    }

    const SRC: &str = "workflow {\n  /// the limit\n  var marker: String = \"x\"\n  block find = find_files {\n    directory = \"src\"\n  }\n  block b = python {\n    in files: List[Path] <- find.files\n    in marker: String\n    out n: Integer\n  }\n}\n";

    #[test]
    fn block_type_docs_and_properties() {
        check(
            &SRC.replace("= find_files", "= find_fi$0les"),
            &["**find_files**", "`directory`"],
        );
        check(
            &SRC.replace("directory =", "direc$0tory ="),
            &["directory path"],
        );
    }

    #[test]
    fn ports_feeds_and_consumers() {
        check(
            &SRC.replace("in files:", "in fil$0es:"),
            &["in b.files: List[Path]", "fed by `find.files: List[Path]`"],
        );
        check(
            &SRC.replace("find.files", "find.fil$0es"),
            &["out find.files: List[Path]", "consumed by `b.files"],
        );
        check(
            &SRC.replace("in marker", "in mark$0er"),
            &["bound to the variable `marker` = `\"x\"`"],
        );
    }

    #[test]
    fn variables_and_types() {
        check(
            &SRC.replace("var marker", "var mar$0ker"),
            &[
                "var marker: String = \"x\"",
                "the limit",
                "binds `b.marker`",
            ],
        );
        check(
            &SRC.replace("List[Path]", "List[Pa$0th]"),
            &["file system path"],
        );
    }
}
