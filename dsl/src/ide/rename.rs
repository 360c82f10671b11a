//! Rename a block id, a port, a variable or a type, and every connection and reference to it.

use crate::diagnostic::TextEdit;
use crate::model::Span;

use super::resolve::{references, symbol_at, Symbol};
use super::{dsl_name, Analysis, FileKind};

/// Why a rename cannot be done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameError(pub String);

/// The span of the name that would be renamed at `offset`, if it can be.
pub fn prepare_rename(analysis: &Analysis, offset: usize) -> Result<Span, RenameError> {
    match symbol_at(analysis, offset) {
        Some((Symbol::BlockKind { .. } | Symbol::Property { .. }, _)) => Err(RenameError(
            "only block ids, ports, variables and types can be renamed".into(),
        )),
        Some((Symbol::Type { name }, _)) if crate::types::is_builtin_type_name(&name) => {
            Err(RenameError(format!("`{name}` is a built-in type")))
        }
        Some((
            Symbol::Port {
                block,
                output,
                name,
            },
            span,
        )) => fixed_port(analysis, &block, output, &name)
            .map_or(Ok(span), |why| Err(RenameError(why))),
        Some((_, span)) => Ok(span),
        None => Err(RenameError("no block, port, variable or type here".into())),
    }
}

/// Why a port's name cannot change, if it cannot: a built-in block's ports are the
/// catalogue's, and a language's special outputs (`stdout`, `exit_code`) are what they are.
fn fixed_port(analysis: &Analysis, block: &str, output: bool, name: &str) -> Option<String> {
    let block = analysis.block(block)?;
    if let Some(def) = crate::check::block_def(block) {
        return Some(format!(
            "`{name}` is a port of the built-in block `{}`: its name is fixed",
            def.name
        ));
    }
    let special = crate::check::language_def(block)
        .is_some_and(|def| output && def.special_outputs.iter().any(|p| p.name == name));
    special.then(|| format!("`{name}` is an output the language gives its name to"))
}

/// Why `new_name` cannot be the symbol's name, if it cannot: not a name, or taken.
fn conflict(analysis: &Analysis, symbol: &Symbol, new_name: &str) -> Option<String> {
    if !crate::types::is_identifier(new_name) {
        return Some(format!(
            "`{new_name}` is not a name: letters, digits and `_`, not starting with a digit"
        ));
    }
    let workflow = &analysis.document()?.workflow;
    match symbol {
        Symbol::Block { id } if id != new_name => analysis
            .block(new_name)
            .map(|_| format!("there is already a block `{new_name}`")),
        Symbol::Port {
            block,
            output,
            name,
        } if name != new_name => {
            let taken = analysis.block(block).is_some_and(|b| {
                super::resolve::ports(b, *output).any(|p| p.name.value == new_name)
            });
            let direction = if *output { "an output" } else { "an input" };
            taken.then(|| format!("block `{block}` already has {direction} `{new_name}`"))
        }
        Symbol::Variable { name } if name != new_name => {
            if workflow
                .variables
                .iter()
                .flatten()
                .any(|v| v.name.value == new_name)
            {
                return Some(format!("there is already a variable `{new_name}`"));
            }
            // Inputs named like the variable take its value; renamed, they would not (and
            // renaming them would break the code that reads them by that name).
            let bound: Vec<String> = super::resolve::bound_inputs(analysis, name)
                .map(|(b, _)| format!("`{}.{name}`", b.id.value))
                .collect();
            (!bound.is_empty()).then(|| {
                format!(
                    "variable `{name}` feeds {} by its name; renamed, it would feed nothing",
                    bound.join(", ")
                )
            })
        }
        Symbol::Type { name } if name != new_name => {
            let builtin = crate::types::is_builtin_type_name(new_name);
            let declared = workflow
                .types
                .iter()
                .flatten()
                .any(|t| t.name.value == new_name);
            (builtin || declared).then(|| format!("there is already a type `{new_name}`"))
        }
        _ => None,
    }
}

/// The edits that rename the symbol at `offset` to `new_name` everywhere in the file.
pub fn rename(
    analysis: &Analysis,
    offset: usize,
    new_name: &str,
) -> Result<Vec<TextEdit>, RenameError> {
    prepare_rename(analysis, offset)?;
    let Some((symbol, _)) = symbol_at(analysis, offset) else {
        return Err(RenameError("no block, port, variable or type here".into()));
    };
    if new_name.is_empty() {
        return Err(RenameError("the new name is empty".into()));
    }
    if let Some(why) = conflict(analysis, &symbol, new_name) {
        return Err(RenameError(why));
    }
    let is_type = matches!(symbol, Symbol::Type { .. });
    let mut edits: Vec<TextEdit> = references(analysis, &symbol)
        .into_iter()
        .map(|reference| {
            let written = analysis.slice(reference.span);
            let quoted = written.starts_with('"');
            let new_text = match analysis.kind() {
                // A type name inside a type, or a name in JSON: always a bare word or a string.
                _ if is_type && !(reference.is_definition && quoted) => new_name.to_owned(),
                FileKind::Json => serde_json::Value::String(new_name.to_owned()).to_string(),
                FileKind::Dsl => dsl_name(new_name),
            };
            TextEdit {
                span: reference.span,
                new_text,
            }
        })
        .collect();
    edits.extend(connection_id_edits(analysis, &symbol, new_name));
    Ok(edits)
}

/// Connection ids written out that spell the renamed block or port, rewritten as the ids they
/// spell: an explicit `id` equal to its connection's derived id (`a.x->b.y`), and the entries
/// of the DSL's `connection_order`. Left alone, they would name connections that no longer
/// exist, and the connections' order would change.
fn connection_id_edits(analysis: &Analysis, symbol: &Symbol, new_name: &str) -> Vec<TextEdit> {
    let Some(document) = analysis.document() else {
        return Vec::new();
    };
    let connections = document.workflow.connections.as_deref().unwrap_or(&[]);
    // Each affected connection's derived id, before and after.
    let renamed: std::collections::HashMap<String, String> = connections
        .iter()
        .filter_map(|conn| {
            let mut ends = [
                conn.source_block.value.as_str(),
                conn.source_port.value.as_str(),
                conn.target_block.value.as_str(),
                conn.target_port.value.as_str(),
            ];
            match symbol {
                Symbol::Block { id } => {
                    for at in [0, 2] {
                        if ends[at] == id {
                            ends[at] = new_name;
                        }
                    }
                }
                Symbol::Port {
                    block,
                    output,
                    name,
                } => {
                    let (b, p) = if *output { (0, 1) } else { (2, 3) };
                    if ends[b] == block && ends[p] == name {
                        ends[p] = new_name;
                    }
                }
                _ => return None,
            }
            let new = crate::model::derived_id_of(ends[0], ends[1], ends[2], ends[3]);
            let old = conn.derived_id();
            (new != old).then_some((old, new))
        })
        .collect();
    if renamed.is_empty() {
        return Vec::new();
    }
    let quoted = |span: Span, new: &str| TextEdit {
        span,
        new_text: serde_json::Value::String(new.to_owned()).to_string(),
    };
    let mut edits = Vec::new();
    for conn in connections {
        let Some(id) = &conn.id else { continue };
        let written = id.span != conn.span && id.span != Span::default();
        if let (true, Some(new)) = (written, renamed.get(&id.value)) {
            if analysis.slice(id.span).starts_with('"') {
                edits.push(quoted(id.span, new));
            }
        }
    }
    // `connection_order = ["a.x->b.y", ...]` in the workflow's body.
    let Some(tree) = analysis.tree() else {
        return edits;
    };
    let mut cursor = tree.root().walk();
    let workflows: Vec<_> = tree.root().named_children(&mut cursor).collect();
    for workflow in workflows.into_iter().filter(|n| n.kind() == "workflow") {
        let Some(body) = workflow.child_by_field_name("body") else {
            continue;
        };
        let mut cursor = body.walk();
        for field in body.named_children(&mut cursor) {
            let is_order = field.kind() == "field"
                && field
                    .child_by_field_name("key")
                    .is_some_and(|k| tree.node_text(k) == "connection_order");
            let Some(list) = field.child_by_field_name("value").filter(|_| is_order) else {
                continue;
            };
            let mut cursor = list.walk();
            for item in list.named_children(&mut cursor) {
                let text = tree.node_text(item);
                let Ok(value) = serde_json::from_str::<String>(text) else {
                    continue;
                };
                if let Some(new) = renamed.get(&value) {
                    edits.push(quoted(Span::new(item.start_byte(), item.end_byte()), new));
                }
            }
        }
    }
    edits
}

/// Applies non-overlapping edits to a text (a helper for clients and tests).
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut edits: Vec<&TextEdit> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    let mut out = text.to_owned();
    for edit in edits {
        if edit.span.start <= edit.span.end
            && edit.span.end <= out.len()
            && out.is_char_boundary(edit.span.start)
            && out.is_char_boundary(edit.span.end)
        {
            out.replace_range(edit.span.start..edit.span.end, &edit.new_text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;

    fn check(src: &str, new_name: &str, expected: &str) {
        let (analysis, offset) = analysis(src);
        let edits = rename(&analysis, offset, new_name).expect("renames");
        assert_eq!(apply_edits(analysis.text(), &edits), expected);
        // The renamed workflow has no new diagnostics.
        let after = Analysis::new(FileKind::Dsl, expected);
        assert_eq!(
            after.diagnostics().len(),
            analysis.diagnostics().len(),
            "{:?}",
            after.diagnostics()
        );
    }

    #[test]
    fn block_id_updates_connections() {
        check(
            "workflow {\n  block a$0 = python {\n    out x: String\n  }\n  block b = python {\n    in y: String <- a.x\n  }\n  connect a.x -> b.z\n}\n",
            "source",
            "workflow {\n  block source = python {\n    out x: String\n  }\n  block b = python {\n    in y: String <- source.x\n  }\n  connect source.x -> b.z\n}\n",
        );
    }

    #[test]
    fn port_from_a_connection_and_quoting() {
        check(
            "workflow {\n  block a = python {\n    out x: String\n  }\n  block b = python {\n    in y: String <- a.x$0\n  }\n}\n",
            "in",
            "workflow {\n  block a = python {\n    out \"in\": String\n  }\n  block b = python {\n    in y: String <- a.\"in\"\n  }\n}\n",
        );
    }

    #[test]
    fn type_everywhere() {
        check(
            "workflow {\n  type F$0 = {a: String}\n  block a = python {\n    out x: List[F]\n  }\n  block b = python {\n    in y: List[F] <- a.x\n  }\n}\n",
            "Finding",
            "workflow {\n  type Finding = {a: String}\n  block a = python {\n    out x: List[Finding]\n  }\n  block b = python {\n    in y: List[Finding] <- a.x\n  }\n}\n",
        );
    }

    #[test]
    fn refuses_keywords_and_builtins() {
        let (a, offset) = analysis("workflow {\n  block a = pyt$0hon {\n  }\n}\n");
        assert!(rename(&a, offset, "x").is_err());
        let (a, offset) = analysis("workflow {\n  var v: Str$0ing\n}\n");
        assert!(rename(&a, offset, "x").is_err());
    }

    #[test]
    fn taken_invalid_and_fixed_names_are_refused() {
        let src = "workflow {\n  var name: String = \"x\"\n  var other: String = \"y\"\n  type T = String\n  block a = python {\n    out x: String\n    out y: String\n  }\n  block b = python {\n    in z: String <- a.x\n  }\n  block f = find_files {\n    directory = \".\"\n    out files: List[Path]\n  }\n  block s = shell {\n    out stdout: String\n  }\n}\n";
        let refused = |at: &str, new_name: &str| {
            let (analysis, offset) = analysis(&src.replacen(at, &format!("{at}$0"), 1));
            rename(&analysis, offset, new_name).expect_err(new_name).0
        };
        assert_eq!(refused("block a", "b"), "there is already a block `b`");
        assert_eq!(
            refused("block a", "my block"),
            "`my block` is not a name: letters, digits and `_`, not starting with a digit"
        );
        assert_eq!(refused("out x", "y"), "block `a` already has an output `y`");
        assert_eq!(
            refused("var name", "other"),
            "there is already a variable `other`"
        );
        let bound = src.replace("in z: String <- a.x", "in name: String");
        let (a, offset) = analysis(&bound.replacen("var name", "var name$0", 1));
        assert_eq!(
            rename(&a, offset, "who").expect_err("bound").0,
            "variable `name` feeds `b.name` by its name; renamed, it would feed nothing"
        );
        // Its references are the declaration and the input it feeds.
        let found = references(
            &a,
            &Symbol::Variable {
                name: "name".into(),
            },
        );
        let texts: Vec<&str> = found.iter().map(|r| a.slice(r.span)).collect();
        assert_eq!(texts, ["name", "name"]);
        assert!(found[0].is_definition && !found[1].is_definition);
        assert_eq!(
            refused("type T", "String"),
            "there is already a type `String`"
        );
        assert!(refused("out files", "paths").contains("built-in block `find_files`"));
        assert!(refused("out stdout", "out").contains("the language gives its name to"));
        // Renaming to its own name is allowed (a no-op).
        let (analysis, offset) = analysis(&src.replacen("block a", "block a$0", 1));
        assert!(rename(&analysis, offset, "a").is_ok());
    }

    #[test]
    fn connection_ids_follow_a_renamed_block_or_port() {
        let src = "workflow {\n  connection_order = [\"a.x->b.z\", \"a.x->b.y\"]\n\n  block a$0 = python {\n    out x: String\n  }\n\n  block b = python {\n    in y: String <- a.x\n    in z: String <- a.x\n  }\n}\n";
        let (a, offset) = analysis(src);
        let text = apply_edits(a.text(), &rename(&a, offset, "src").expect("renames"));
        assert!(
            text.contains("connection_order = [\"src.x->b.z\", \"src.x->b.y\"]"),
            "{text}"
        );
        let after = Analysis::new(FileKind::Dsl, &text);
        assert!(after.diagnostics().is_empty(), "{:?}", after.diagnostics());
        // The order is kept: `z`'s connection first.
        let json = crate::convert::convert(FileKind::Dsl, FileKind::Json, &text)
            .expect("converts")
            .text;
        assert!(json.find("src.x->b.z") < json.find("src.x->b.y"), "{json}");

        // A port, and an explicit JSON id that is the derived one.
        let json = crate::convert::convert(
            FileKind::Dsl,
            FileKind::Json,
            src.replace("$0", "").as_str(),
        )
        .expect("converts")
        .text;
        let at = json.find("\"x\"").expect("the port's name") + 1;
        let a = Analysis::new(FileKind::Json, &json);
        let text = apply_edits(a.text(), &rename(&a, at, "out").expect("renames"));
        assert!(text.contains("\"id\": \"a.out->b.z\""), "{text}");
        assert!(!text.contains("a.x->"), "{text}");
    }
}
