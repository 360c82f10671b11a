//! Connection checks: both ends exist, the source type fits the target, the stored
//! `data_type` agrees; and, per block, inputs fed twice or not at all and outputs nothing uses.

use super::diagnostics::{self as d, End};
use super::workflow::check_type;
use super::{Index, PortInfo};
use crate::diagnostic::Diagnostic;
use crate::model::{BlockKind, Port, TypeRef};
use crate::types::{is_identifier, type_problems, value_fits, Type, TypeProblem};

/// Checks connection number `conn_idx`: its ends, its type and its `data_type`.
pub(super) fn check_connection(index: &Index, conn_idx: usize, out: &mut Vec<Diagnostic>) {
    let Some(conn) = index.connections.get(conn_idx) else {
        return;
    };
    let block_ids = || index.block_by_id.keys().copied();
    let source = index.block(&conn.source_block.value);
    let target = index.block(&conn.target_block.value);
    if source.is_none() {
        // Not the block being fed: a block cannot feed itself.
        let others = block_ids().filter(|id| *id != conn.target_block.value);
        let suggestion = d::suggest(&conn.source_block.value, others);
        out.push(d::unknown_source_block(
            &conn.source_block,
            conn.span,
            suggestion,
        ));
    }
    if target.is_none() {
        let suggestion = d::suggest(&conn.target_block.value, block_ids());
        out.push(d::unknown_target_block(
            &conn.target_block,
            conn.span,
            suggestion,
        ));
    }
    let source_port = source.and_then(|(idx, block)| {
        let ports = index.ports(idx)?;
        let port = ports.output(&conn.source_port.value);
        if port.is_none() && !ports.open {
            let suggestion = d::suggest(
                &conn.source_port.value,
                ports.outputs.iter().map(|p| p.name),
            );
            out.push(d::unknown_source_port(
                &block.id.value,
                &conn.source_port,
                block.id.span,
                suggestion,
            ));
        }
        Some((block, port?))
    });
    let target_port = target.and_then(|(idx, block)| {
        let ports = index.ports(idx)?;
        let port = ports.input(&conn.target_port.value);
        if port.is_none() && !ports.open {
            let suggestion =
                d::suggest(&conn.target_port.value, ports.inputs.iter().map(|p| p.name));
            // A block that owns its ports can declare the input, typed as the source.
            let declare = matches!(
                block.kind,
                BlockKind::Code { .. } | BlockKind::Hybrid { .. } | BlockKind::Ai { .. }
            )
            .then(|| {
                let ty = source_port
                    .as_ref()
                    .and_then(|(_, p)| p.ty.as_deref())
                    .map_or_else(|| "Any".to_string(), Type::to_dsl);
                let name = &conn.target_port.value;
                let name = if is_identifier(name) {
                    name.clone()
                } else {
                    serde_json::to_string(name).unwrap_or_default()
                };
                format!("in {name}: {ty}")
            });
            out.push(d::unknown_target_port(
                &block.id.value,
                &conn.target_port,
                block.id.span,
                suggestion,
                declare,
            ));
        }
        Some((block, port?))
    });
    let Some((source_block, source_port)) = source_port else {
        return;
    };
    let Some(source_ty) = &source_port.ty else {
        return;
    };
    // A `data_type` that is the source port's type (as the DSL derives it, and as converted
    // JSON stores it) says nothing new: that type is checked where the port declares it.
    let same_as_source = |ty: &TypeRef| {
        index
            .parse_type(&ty.text)
            .is_ok_and(|parsed| *parsed == **source_ty)
    };
    if let Some(data_type) = conn.data_type.as_ref().filter(|ty| !same_as_source(ty)) {
        if let Some(parsed) = check_type(&index.scope(), data_type, out) {
            if parsed != *source_ty {
                let name = format!("{}.{}", source_block.id.value, source_port.name);
                out.push(d::data_type_mismatch(
                    data_type,
                    &name,
                    source_ty,
                    source_port.span_or(source_block.id.span),
                ));
            }
        }
    }
    let Some((target_block, target_port)) = target_port else {
        return;
    };
    let Some(target_ty) = &target_port.ty else {
        return;
    };
    // A type naming an undeclared type is reported where it is written; a mismatch on it
    // would only repeat that (and suggest spreading the misspelling).
    let undeclared = |ty: &Type| {
        type_problems(ty, &|name| index.is_declared_type(name))
            .iter()
            .any(|p| matches!(p, TypeProblem::Undeclared(_)))
    };
    if !index.assignable(source_ty, target_ty) && !undeclared(source_ty) && !undeclared(target_ty) {
        let from = End {
            name: format!("{}.{}", source_block.id.value, source_port.name),
            ty: source_ty,
            span: source_port.span_or(source_block.id.span),
        };
        let to = End {
            name: format!("{}.{}", target_block.id.value, target_port.name),
            ty: target_ty,
            span: target_port.span_or(target_block.id.span),
        };
        // Changing the target's declaration is a fix only where the block owns its ports.
        let own_ports = !matches!(target_block.kind, BlockKind::Visual { .. });
        let decl = target_port.decl.filter(|_| own_ports).map(|p: &Port| &p.ty);
        out.push(d::type_mismatch(conn.span, &from, &to, decl));
    }
}

fn is_optional(ty: Option<&Type>) -> bool {
    matches!(ty, Some(Type::Applied(name, args)) if name == "Optional" && args.len() == 1)
}

/// An input needs feeding unless it is `required: false`, has a default, or has an
/// `Optional` type (it then gets null).
fn needs_feeding(port: &PortInfo) -> bool {
    let not_required = match port.decl {
        Some(decl) => decl.required.as_ref().is_some_and(|r| !r.value) || decl.default.is_some(),
        None => port.def.is_some_and(|def| !def.required),
    };
    !not_required && !is_optional(port.ty.as_deref())
}

/// Inputs of block number `block_idx` fed twice, or required and fed by nothing.
pub(super) fn check_block_inputs(index: &Index, block_idx: usize, out: &mut Vec<Diagnostic>) {
    let (Some(block), Some(ports)) = (index.blocks.get(block_idx), index.ports(block_idx)) else {
        return;
    };
    // A block whose id another block already took is not the target of any connection.
    if index.block_by_id.get(block.id.value.as_str()) != Some(&block_idx) {
        return;
    }
    for port in &ports.inputs {
        let span = port.decl.map_or(block.id.span, |decl| decl.name.span);
        let feeding = index.incoming.get(&(block_idx, port.name));
        match feeding.map(Vec::as_slice) {
            Some([first, rest @ ..]) => {
                let first_span = index.connections[*first].span;
                for extra in rest {
                    let name = format!("{}.{}", block.id.value, port.name);
                    out.push(d::input_fed_twice(
                        &name,
                        index.connections[*extra].span,
                        first_span,
                    ));
                }
            }
            _ => match index.variables.get(port.name) {
                Some(variable) => {
                    let var_ty = variable.ty.as_ref();
                    let parsed = var_ty.and_then(|t| index.parse_type(&t.text).ok());
                    let input = port.decl.map_or(&block.id, |decl| &decl.name);
                    if let (Some(var_ty), Some(parsed), Some(port_ty)) = (var_ty, parsed, &port.ty)
                    {
                        if !index.assignable(&parsed, port_ty) {
                            out.push(d::variable_type_mismatch(
                                input,
                                &variable.name,
                                var_ty,
                                port_ty,
                            ));
                        }
                    }
                    // An untyped variable is as its value: `var n = "5"` is a `String`.
                    if let (None, Some(value), Some(port_ty)) = (var_ty, &variable.value, &port.ty)
                    {
                        if !value_fits(&value.value, port_ty, &|name| index.named_type(name)) {
                            out.push(d::untyped_variable_mismatch(
                                input,
                                &variable.name,
                                value,
                                port_ty,
                            ));
                        }
                    }
                }
                None if needs_feeding(port) => {
                    out.push(d::unfed_input(&block.id.value, port.name, span));
                }
                None => {}
            },
        }
    }
}

/// Declared outputs of block number `block_idx` that nothing consumes, when some other output
/// of the block is consumed (a block none of whose outputs are used is a sink: its outputs are
/// the workflow's results).
pub(super) fn check_block_outputs(index: &Index, block_idx: usize, out: &mut Vec<Diagnostic>) {
    let (Some(block), Some(ports)) = (index.blocks.get(block_idx), index.ports(block_idx)) else {
        return;
    };
    let used = |name: &str| index.consumed.contains(&(block_idx, name));
    if !ports.outputs.iter().any(|p| used(p.name)) {
        return;
    }
    for port in &ports.outputs {
        if let Some(decl) = port.decl {
            if !used(port.name) {
                out.push(d::unused_output(&block.id.value, &decl.name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::model::TypeRef;

    #[test]
    fn type_mismatch_names_both_types_and_both_ends() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let count = b.py("count", &[("n", "Number")], &[]);
        let n_span = count.inputs.as_ref().unwrap()[0].span;
        let conn = b.conn("find.files -> count.n");
        let conn_span = conn.span;
        doc.workflow.blocks.as_mut().unwrap().push(count);
        doc.workflow.connections.as_mut().unwrap().push(conn);
        let found = with_code(&doc, "type-mismatch");
        assert_eq!(found.len(), 1);
        let diag = &found[0];
        assert_eq!(
            diag.message,
            "`find.files` is `List[Path]` but `count.n` expects `Number`"
        );
        assert_eq!(diag.span(), conn_span);
        // The source port is the catalogue's `files`, declared in the block.
        assert_eq!(b.at(diag.labels[1].span), "files List[Path]");
        assert_eq!(diag.labels[2].span, n_span);
        assert_eq!(diag.fix.as_ref().unwrap().edits[0].new_text, "List[Path]");
    }

    #[test]
    fn unknown_ends_suggest_names() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let conns = doc.workflow.connections.as_mut().unwrap();
        conns.push(b.conn("fnd.files -> filter.files2"));
        conns.push(b.conn("find.file -> filter.marker"));
        conns.push(b.conn("find.files -> filtr.files"));
        conns.push(b.conn("find.files -> filter.file"));
        let source_block = with_code(&doc, "unknown-source-block");
        assert_eq!(source_block.len(), 1);
        assert_eq!(source_block[0].message, "no block `fnd` to connect from");
        assert_eq!(
            source_block[0].fix.as_ref().unwrap().edits[0].new_text,
            "find"
        );
        let source_port = with_code(&doc, "unknown-source-port");
        assert_eq!(source_port.len(), 1);
        assert_eq!(source_port[0].message, "block `find` has no output `file`");
        assert_eq!(
            source_port[0].fix.as_ref().unwrap().edits[0].new_text,
            "files"
        );
        assert_eq!(with_code(&doc, "unknown-target-block").len(), 1);
        let target_port = with_code(&doc, "unknown-target-port");
        assert_eq!(target_port.len(), 2);
    }

    #[test]
    fn fed_twice_unfed_and_variables() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let second = b.conn("find.files -> filter.files");
        let second_span = second.span;
        doc.workflow.connections.as_mut().unwrap().push(second);
        let twice = with_code(&doc, "input-fed-twice");
        assert_eq!(twice.len(), 1);
        assert_eq!(twice[0].span(), second_span);
        assert_eq!(
            twice[0].message,
            "input `filter.files` is fed by more than one connection"
        );

        // Without the variable, `marker` is unfed.
        doc.workflow.variables = None;
        let unfed = with_code(&doc, "unfed-input");
        assert_eq!(unfed.len(), 1);
        assert_eq!(
            unfed[0].message,
            "input `filter.marker` is required but nothing feeds it"
        );
        assert_eq!(b.at(unfed[0].span()), "marker");

        // An optional type or `required: false` is not unfed.
        let blocks = doc.workflow.blocks.as_mut().unwrap();
        blocks[1].inputs.as_mut().unwrap()[1].ty = TypeRef {
            text: "Optional[String]".into(),
            span: b.span("String?"),
        };
        assert!(with_code(&doc, "unfed-input").is_empty());

        // A catalogue input nothing feeds is reported at its declaration, or at the block
        // when the block does not declare it.
        doc.workflow.connections.as_mut().unwrap().remove(1);
        let unfed = with_code(&doc, "unfed-input");
        assert_eq!(unfed.len(), 1);
        assert_eq!(
            unfed[0].message,
            "input `save.content` is required but nothing feeds it"
        );
        assert_eq!(b.at(unfed[0].span()), "content");
        doc.workflow.blocks.as_mut().unwrap()[2].inputs = None;
        let unfed = with_code(&doc, "unfed-input");
        assert_eq!(b.at(unfed[0].span()), "save");
    }

    #[test]
    fn variable_of_the_wrong_type() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        doc.workflow.variables = Some(vec![b.var(
            "marker",
            Some("Integer"),
            Some(serde_json::json!(1)),
        )]);
        let found = with_code(&doc, "type-mismatch");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "input `marker` takes the variable `marker` of type `Integer` but expects `String`"
        );
    }

    #[test]
    fn untyped_variable_is_as_its_value() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        doc.workflow.variables = Some(vec![b.var("marker", None, Some(serde_json::json!(5)))]);
        let found = with_code(&doc, "type-mismatch");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "input `marker` takes the variable `marker`, whose value `5` is not `String`"
        );
        doc.workflow.variables = Some(vec![b.var(
            "marker",
            None,
            Some(serde_json::json!("GetMouseDown")),
        )]);
        assert!(with_code(&doc, "type-mismatch").is_empty());
    }

    #[test]
    fn data_type_and_unused_outputs() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let ty = b.ty("List[String]");
        doc.workflow.connections.as_mut().unwrap()[0].data_type = Some(ty.clone());
        let found = with_code(&doc, "data-type-mismatch");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].span(), ty.span);
        assert_eq!(found[0].severity, crate::diagnostic::Severity::Warning);

        let extra = b.port("count", "Integer");
        doc.workflow.blocks.as_mut().unwrap()[1]
            .outputs
            .as_mut()
            .unwrap()
            .push(extra);
        let unused = with_code(&doc, "unused-output");
        assert_eq!(unused.len(), 1);
        assert_eq!(unused[0].message, "output `filter.count` is not used");
    }
}
