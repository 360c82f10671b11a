//! Per-block checks of port declarations: names, duplicates, types, defaults, a visual block's
//! declared ports against the catalogue, and a code language's output conventions.

use std::collections::HashMap;

use super::diagnostics as d;
use super::workflow::{check_extras, check_type};
use super::{block_def, language_def, Scope};
use crate::diagnostic::Diagnostic;
use crate::model::{Block, BlockKind, Port, Span};
use crate::types::{is_identifier, value_fits};

const PORT_KEYS: &[(&str, &str)] = &[
    ("name", "a string"),
    ("type", "a type string"),
    ("required", "a boolean"),
    ("description", "a string"),
];

/// The per-block port checks of block number `block_idx`.
pub(super) fn check(index: Scope, block: &Block, out: &mut Vec<Diagnostic>) {
    let plugin = matches!(block.kind, BlockKind::Plugin { .. });
    for (ports, direction) in [(&block.inputs, "input"), (&block.outputs, "output")] {
        let ports = ports.as_deref().unwrap_or_default();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for port in ports {
            if let Some(first) = seen.get(port.name.value.as_str()) {
                out.push(d::duplicate_port(&port.name, direction, *first));
                continue;
            }
            seen.insert(&port.name.value, port.name.span);
            check_port(index, port, plugin, direction, out);
        }
    }
    catalogue_ports(index, block, out);
    language_outputs(index, block, out);
}

fn check_port(index: Scope, port: &Port, plugin: bool, direction: &str, out: &mut Vec<Diagnostic>) {
    if !is_identifier(&port.name.value) {
        out.push(d::invalid_name(direction, &port.name));
    }
    check_extras(&port.extra, PORT_KEYS, out);
    // A plugin may declare its own types; until manifests exist its names are not checked.
    let parsed = if plugin {
        index.parse_type(&port.ty.text).ok()
    } else {
        check_type(&index, &port.ty, out)
    };
    if let (Some(ty), Some(default)) = (parsed, &port.default) {
        if !value_fits(&default.value, &ty, &|name| index.named_type(name)) {
            out.push(d::value_type(
                &format!("the default of `{}`", port.name.value),
                &default.value,
                default.span,
                &port.ty,
            ));
        }
    }
}

/// A visual block's declared ports must be catalogue ports, with types that agree: a declared
/// input may be narrower than the catalogue's (its type assignable to it), a declared output
/// wider (the catalogue's assignable to it).
fn catalogue_ports(index: Scope, block: &Block, out: &mut Vec<Diagnostic>) {
    let Some(def) = block_def(block) else { return };
    let named = |name: &str| index.named_type(name);
    for port in block.inputs.iter().flatten() {
        match def.input(&port.name.value) {
            Some(cat) => {
                let ok = index
                    .parse_type(&port.ty.text)
                    .is_ok_and(|ty| crate::types::is_assignable(&ty, &cat.ty, &named));
                if !ok {
                    out.push(d::catalog_port_type(
                        &port.name.value,
                        &port.ty,
                        &cat.ty,
                        def.name,
                    ));
                }
            }
            None => {
                let suggestion = d::suggest(&port.name.value, def.inputs.iter().map(|p| p.name));
                out.push(d::unknown_port(&port.name, "input", def.name, suggestion));
            }
        }
    }
    for port in block.outputs.iter().flatten() {
        match def.output(&port.name.value) {
            Some(cat) => {
                let ok = index
                    .parse_type(&port.ty.text)
                    .is_ok_and(|ty| crate::types::is_assignable(&cat.ty, &ty, &named));
                if !ok {
                    out.push(d::catalog_port_type(
                        &port.name.value,
                        &port.ty,
                        &cat.ty,
                        def.name,
                    ));
                }
            }
            None => {
                let suggestion = d::suggest(&port.name.value, def.outputs.iter().map(|p| p.name));
                out.push(d::unknown_port(&port.name, "output", def.name, suggestion));
            }
        }
    }
}

/// A code language's output conventions: a shell block outputs only `stdout`, `stderr` and
/// `exit_code` (with types those are assignable to); a SQL block has at most one output.
fn language_outputs(index: Scope, block: &Block, out: &mut Vec<Diagnostic>) {
    let Some(language) = language_def(block) else {
        return;
    };
    let outputs = block.outputs.as_deref().unwrap_or_default();
    for (i, port) in outputs.iter().enumerate() {
        match language
            .special_outputs
            .iter()
            .find(|p| p.name == port.name.value)
        {
            Some(special) => {
                let named = |name: &str| index.named_type(name);
                let ok = index
                    .parse_type(&port.ty.text)
                    .is_ok_and(|ty| crate::types::is_assignable(&special.ty, &ty, &named));
                if !ok {
                    out.push(d::catalog_port_type(
                        &port.name.value,
                        &port.ty,
                        &special.ty,
                        language.name,
                    ));
                }
            }
            None if language.only_special_outputs => {
                let names: Vec<String> = language
                    .special_outputs
                    .iter()
                    .map(|p| format!("`{}`", p.name))
                    .collect();
                out.push(d::language_output(
                    &port.name,
                    language.name,
                    &format!("its outputs are {}", names.join(", ")),
                ));
            }
            None => {
                if language.max_outputs.is_some_and(|max| i >= max) {
                    out.push(d::language_output(
                        &port.name,
                        language.name,
                        "it outputs the rows of its last statement into its one output",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn duplicate_ports_point_at_both() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let block = b.py("dup", &[("a", "String"), ("a", "Integer")], &[]);
        let (first, second) = {
            let inputs = block.inputs.as_ref().unwrap();
            (inputs[0].name.span, inputs[1].name.span)
        };
        doc.workflow.blocks.as_mut().unwrap().push(block);
        let found = with_code(&doc, "duplicate-port");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "input `a` is declared twice");
        assert_eq!(found[0].span(), second);
        assert_eq!(found[0].labels[1].span, first);
    }

    #[test]
    fn invalid_and_undeclared_types() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let block = b.py(
            "x",
            &[("a", "List[")],
            &[("b", "Lisst[String]"), ("c", "Finding")],
        );
        doc.workflow.blocks.as_mut().unwrap().push(block);
        let invalid = with_code(&doc, "invalid-type");
        assert_eq!(invalid.len(), 2);
        assert_eq!(
            invalid[0].message,
            "invalid type `List[`: expected a type name"
        );
        let undeclared = with_code(&doc, "undeclared-type");
        assert_eq!(undeclared.len(), 1);
        assert_eq!(b.at(undeclared[0].span()), "Finding");
    }

    #[test]
    fn visual_ports_must_match_the_catalogue() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let block = b.visual(
            "r",
            "read_file",
            &[("path", serde_json::json!("a.txt"))],
            &[],
            &[("contents", "String"), ("content", "Number")],
        );
        doc.workflow.blocks.as_mut().unwrap().push(block);
        let unknown = with_code(&doc, "unknown-port");
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].message, "`read_file` has no output `contents`");
        assert_eq!(
            unknown[0].fix.as_ref().unwrap().edits[0].new_text,
            "content"
        );
        let ty = with_code(&doc, "catalog-port-type");
        assert_eq!(ty.len(), 1);
        assert_eq!(
            ty[0].message,
            "port `content` of `read_file` is `String`, not `Number`"
        );
        assert_eq!(ty[0].fix.as_ref().unwrap().edits[0].new_text, "String");
    }

    #[test]
    fn shell_outputs_follow_the_convention() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let block = b.code(
            "sh",
            "shell",
            &[],
            &[("stdout", "String"), ("lines", "List[String]")],
        );
        doc.workflow.blocks.as_mut().unwrap().push(block);
        let found = with_code(&doc, "language-output");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "a `shell` block cannot output `lines`");
    }
}
