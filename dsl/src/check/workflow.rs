//! Workflow-level checks: named types, variables, the execution config's enumerations and run
//! settings, known keys kept as `Extra` because their value did not fit, and duplicate ids.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::diagnostics as d;
use super::{Index, Scope};
use crate::diagnostic::Diagnostic;
use crate::model::{Document, Extra, Span, Str, TypeRef};
use crate::types::{is_identifier, type_problems, value_fits, Type, TypeProblem, SCALAR_TYPES};

const MODES: &[&str] = &["Sequential", "Parallel", "Streaming", "Reactive"];
const LOGGING_LEVELS: &[&str] = &["Trace", "Debug", "Info", "Warn", "Error"];
const BACKOFFS: &[&str] = &["Fixed", "Linear", "Exponential"];
/// The values of an AI block's `output_format`.
pub(super) const OUTPUT_FORMATS: &[&str] = &["Text", "Json"];

const TOP_KEYS: &[(&str, &str)] = &[
    ("format_version", "a string such as \"1.0\""),
    ("workflow", "an object"),
];
const WORKFLOW_KEYS: &[(&str, &str)] = &[
    ("id", "a string"),
    ("name", "a string"),
    ("description", "a string"),
    ("version", "a string"),
    ("created_at", "a string"),
    ("modified_at", "a string"),
    ("author", "a string"),
    ("tags", "an array of strings"),
    ("types", "an object of type strings"),
    ("blocks", "an object of blocks"),
    ("connections", "an array of connections"),
    ("variables", "an object of variables"),
    ("execution_config", "an execution config object"),
    ("error_handling", "an object with `on_block_error`"),
    ("canvas_state", "a canvas state object"),
    ("ui_state", "an object"),
];
const CONFIG_KEYS: &[(&str, &str)] = &[
    ("mode", "a string"),
    ("max_concurrent_blocks", "an integer"),
    ("timeout", "a number of seconds"),
    (
        "retry_policy",
        "an object with `max_attempts` and `backoff`",
    ),
    ("logging_level", "a string"),
];
const RETRY_KEYS: &[(&str, &str)] = &[("max_attempts", "an integer"), ("backoff", "a string")];
const ERROR_HANDLING_KEYS: &[(&str, &str)] = &[(
    "on_block_error",
    "\"Stop\", \"Continue\" or {\"Retry\": attempts}",
)];
const CANVAS_KEYS: &[(&str, &str)] = &[
    ("zoom", "a number"),
    ("pan", "an object {\"x\": number, \"y\": number}"),
    ("selected_blocks", "an array of block ids"),
];
const VARIABLE_KEYS: &[(&str, &str)] = &[("type", "a type string"), ("description", "a string")];
const CONNECTION_KEYS: &[(&str, &str)] = &[
    ("id", "a string"),
    ("source_block", "a string"),
    ("source_port", "a string"),
    ("target_block", "a string"),
    ("target_port", "a string"),
    ("data_type", "a type string"),
];

/// Reports `ill-typed-field` for every extra whose key is one of `known` (`(key, what it
/// must be)`): a known key is only kept as an `Extra` when its value did not fit.
pub(super) fn check_extras(extras: &[Extra], known: &[(&str, &str)], out: &mut Vec<Diagnostic>) {
    for extra in extras {
        if let Some((key, expected)) = known.iter().find(|(key, _)| *key == extra.key.value) {
            let found = match *key {
                "position" | "pan" => d::describe_point(&extra.value.value),
                _ => d::describe_value(&extra.value.value),
            };
            out.push(d::ill_typed_field(
                &extra.key,
                extra.value.span,
                expected,
                &found,
            ));
        }
    }
}

/// Parses and validates a written type: `invalid-type` when it does not parse or is malformed,
/// `undeclared-type` for names not declared. Returns the type when it parses.
pub(super) fn check_type(
    index: &Scope,
    ty: &TypeRef,
    out: &mut Vec<Diagnostic>,
) -> Option<Rc<Type>> {
    let parsed = match index.parse_type(&ty.text) {
        Ok(parsed) => parsed,
        Err(error) => {
            out.push(d::invalid_type(ty, &error.message));
            return None;
        }
    };
    for problem in type_problems(&parsed, &|name| index.is_declared_type(name)) {
        match problem {
            TypeProblem::Undeclared(name) => {
                let candidates = SCALAR_TYPES.iter().copied().chain(index.type_names());
                let suggestion = d::suggest(&name, candidates);
                out.push(d::undeclared_type(ty, &parsed, &name, suggestion));
            }
            TypeProblem::Invalid(reason) => out.push(d::invalid_type(ty, &reason)),
        }
    }
    Some(parsed)
}

fn check_enum(field: &str, value: &Option<Str>, options: &[&str], out: &mut Vec<Diagnostic>) {
    if let Some(value) = value {
        if !options.contains(&value.value.as_str()) {
            let suggestion = d::suggest(&value.value, options.iter().copied());
            out.push(d::unknown_enum_value(field, value, options, suggestion));
        }
    }
}

/// Reports `duplicate-*` for names seen before, keeping the first span of each.
fn report_duplicates<'a>(
    names: impl Iterator<Item = &'a Str>,
    make: fn(&Str, Span) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
    for name in names {
        match seen.get(name.value.as_str()) {
            Some(first) => out.push(make(name, *first)),
            None => {
                seen.insert(&name.value, name.span);
            }
        }
    }
}

/// The workflow-level checks.
pub(super) fn check(doc: &Document, index: &Index, out: &mut Vec<Diagnostic>) {
    let workflow = index.workflow;
    check_extras(&doc.extra, TOP_KEYS, out);
    check_extras(&workflow.extra, WORKFLOW_KEYS, out);

    // Named types.
    let decls = workflow.types.as_deref().unwrap_or_default();
    report_duplicates(decls.iter().map(|t| &t.name), d::duplicate_type, out);
    for decl in decls {
        if crate::types::is_builtin_type_name(&decl.name.value) {
            out.push(d::builtin_type_redeclared(&decl.name));
        } else if !is_identifier(&decl.name.value) {
            out.push(d::invalid_name("type", &decl.name));
        }
        check_type(&index.scope(), &decl.ty, out);
    }

    // Variables.
    let variables = workflow.variables.as_deref().unwrap_or_default();
    report_duplicates(
        variables.iter().map(|v| &v.name),
        d::duplicate_variable,
        out,
    );
    for variable in variables {
        if !is_identifier(&variable.name.value) {
            out.push(d::invalid_name("variable", &variable.name));
        }
        check_extras(&variable.extra, VARIABLE_KEYS, out);
        let Some(ty) = &variable.ty else { continue };
        let Some(parsed) = check_type(&index.scope(), ty, out) else {
            continue;
        };
        if let Some(value) = &variable.value {
            if !value_fits(&value.value, &parsed, &|name| index.named_type(name)) {
                out.push(d::value_type(
                    &format!("the value of `{}`", variable.name.value),
                    &value.value,
                    value.span,
                    ty,
                ));
            }
        }
    }

    // Blocks and connections: duplicate ids (the rest is per block and per connection).
    report_duplicates(index.blocks.iter().map(|b| &b.id), d::duplicate_block, out);
    report_duplicates(
        index.connections.iter().filter_map(|c| c.id.as_ref()),
        d::duplicate_connection,
        out,
    );
    for connection in index.connections {
        check_extras(&connection.extra, CONNECTION_KEYS, out);
    }

    // Sections.
    if let Some(config) = &workflow.execution_config {
        check_extras(&config.extra, CONFIG_KEYS, out);
        check_enum("mode", &config.mode, MODES, out);
        check_enum("logging_level", &config.logging_level, LOGGING_LEVELS, out);
        if let Some(retry) = &config.retry_policy {
            check_extras(&retry.extra, RETRY_KEYS, out);
            check_enum("backoff", &retry.backoff, BACKOFFS, out);
        }
    }
    if let Some(handling) = &workflow.error_handling {
        check_extras(&handling.extra, ERROR_HANDLING_KEYS, out);
    }
    for problem in super::settings::workflow_problems(workflow) {
        out.push(d::invalid_setting(&problem));
    }
    if let Some(canvas) = &workflow.canvas_state {
        check_extras(&canvas.extra, CANVAS_KEYS, out);
        for id in canvas.selected_blocks.iter().flat_map(|s| &s.value) {
            if !index.block_by_id.contains_key(id.value.as_str()) {
                out.push(d::unknown_selected_block(id));
            }
        }
    }
}

/// Checks an AI block's `output_format` spelling (used by `blocks`).
pub(super) fn check_output_format(value: &Option<Str>, out: &mut Vec<Diagnostic>) {
    check_enum("output_format", value, OUTPUT_FORMATS, out);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_support::*;
    use crate::model::*;

    #[test]
    fn clean_workflow_has_no_diagnostics() {
        let mut b = B::default();
        let doc = clean_pipeline(&mut b);
        assert_eq!(super::super::check(&doc), vec![]);
    }

    #[test]
    fn unknown_mode_suggests_the_known_spelling() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let mode = b.q("parallel-ish");
        doc.workflow.execution_config = Some(ExecutionConfig {
            mode: Some(mode.clone()),
            ..ExecutionConfig::default()
        });
        let found = with_code(&doc, "unknown-enum-value");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "`parallel-ish` is not a valid `mode`");
        assert_eq!(found[0].span(), mode.span);
        let fix = found[0].fix.as_ref().unwrap();
        assert_eq!(fix.edits[0].new_text, "\"Parallel\"");
    }

    #[test]
    fn duplicate_and_ill_typed_variables_and_types() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let again = b.var("marker", Some("Integer"), Some(json!("x")));
        let again_span = again.name.span;
        doc.workflow.variables.as_mut().unwrap().push(again);
        let dup = with_code(&doc, "duplicate-variable");
        assert_eq!(dup.len(), 1);
        assert_eq!(dup[0].span(), again_span);
        assert_eq!(b.at(dup[0].labels[1].span), "marker");
        assert_eq!(with_code(&doc, "value-type").len(), 1);

        let name = b.s("Finding");
        let ty = b.ty("{file: Path, line: Integr}");
        doc.workflow.types = Some(vec![TypeDecl {
            span: name.span,
            name,
            ty,
        }]);
        let undeclared = with_code(&doc, "undeclared-type");
        assert_eq!(undeclared.len(), 1);
        assert_eq!(undeclared[0].message, "type `Integr` is not declared");
        assert_eq!(
            undeclared[0].help.as_deref(),
            Some("did you mean `Integer`?")
        );
    }

    #[test]
    fn known_keys_kept_as_extra_are_ill_typed() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let key = b.q("timeout");
        let value = b.json(json!("5m"));
        doc.workflow.execution_config = Some(ExecutionConfig {
            extra: vec![Extra {
                span: key.span.cover(value.span),
                key,
                value: value.clone(),
            }],
            ..ExecutionConfig::default()
        });
        let found = with_code(&doc, "ill-typed-field");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "`timeout` must be a number of seconds, found a string"
        );
        assert_eq!(found[0].span(), value.span);
    }
}
