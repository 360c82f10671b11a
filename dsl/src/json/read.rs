//! JSON tree -> model: the `.agentblocks` reader and the field appliers shared with the DSL
//! lowering.
//!
//! Semantics ("typed or raw"): every known key whose value fits the model's type is stored
//! typed; a known key whose value does not fit, and every unknown key, is stored verbatim as an
//! [`Extra`] in the object's `extra` list, in file order. Nothing is lost.
//!
//! The `apply_*_field` functions apply one `"key": value` member to one object kind. Setting a
//! typed field removes an [`Extra`] of the same key, and keeping a known key raw clears the
//! typed field, so a key is held in exactly one place and a later member replaces an earlier
//! one. The DSL lowering converts `@key = value` into a [`Member`] and calls the same function,
//! which is why the two sides agree on every key.
//!
//! What is not well-formed (error diagnostics; the element is skipped and conversion refuses):
//! invalid JSON, a top level that is not an object, a missing, non-string or unsupported
//! `format_version`, a missing or non-object `workflow`, `blocks` that is not an object, a block
//! without its `type` or discriminating key, `inputs`/`outputs`/`connections` that are not
//! arrays, a port or connection without its identity keys, and duplicate keys.

use crate::model::{MappedStr, TextMap};
use std::collections::HashMap;

use super::node::{JsonKind, JsonNode, Member};
use super::parse::parse;
use crate::diagnostic::Diagnostic;
use crate::model::{
    Block, BlockKind, CanvasState, Connection, Document, ErrorAction, ExecutionConfig, Extra, Json,
    ModelConfig, Num, Parameter, Placeholder, PlaceholderKind, Port, Position, Property, Provider,
    RetryPolicy, Span, Spanned, Str, Template, TypeDecl, TypeRef, Variable, Workflow,
    WorkflowErrorHandling,
};

/// Block keys that make a block what it is; the constructor ([`read_block`]) reads them and
/// [`apply_block_field`] refuses those of the block's kind (see [`block_identity_keys`]).
pub const BLOCK_IDENTITY_KEYS: &[&str] =
    &["type", "block_type", "language", "base_language", "plugin"];

/// Port keys read by [`read_port`] and refused by [`apply_port_field`].
pub const PORT_IDENTITY_KEYS: &[&str] = &["name", "type"];

/// Connection keys read by [`read_connection`] and refused by [`apply_connection_field`].
pub const CONNECTION_IDENTITY_KEYS: &[&str] = &CONNECTION_KEYS;

const CONNECTION_KEYS: [&str; 4] = ["source_block", "source_port", "target_block", "target_port"];

/// Parameter keys read by [`read_parameter`] and refused by [`apply_parameter_field`].
pub const PARAMETER_IDENTITY_KEYS: &[&str] = &["name"];

/// The block `type` strings, in the documented order.
pub const BLOCK_TYPES: &[&str] = &["visual", "code", "hybrid", "ai", "plugin"];

/// Code: the file is not a JSON object at the top level.
pub const TOP_LEVEL_NOT_OBJECT: &str = "top-level-not-object";
/// Code: a required key is missing.
pub const MISSING_KEY: &str = "missing-key";
/// Code: a key whose value must have a JSON type has another one (for keys that cannot be
/// kept raw).
pub const WRONG_JSON_TYPE: &str = "wrong-json-type";
/// Code: `format_version` is not `1` or `1.x`.
pub const UNSUPPORTED_FORMAT_VERSION: &str = "unsupported-format-version";
/// Code: a block's `type` is not one of [`BLOCK_TYPES`].
pub const UNKNOWN_BLOCK_TYPE: &str = "unknown-block-type";
/// Code: the same key twice in one object.
pub const DUPLICATE_KEY: &str = "duplicate-key";
/// Code: an `apply_*_field` function was handed an identity key.
pub const IDENTITY_KEY: &str = "identity-key";

/// Reads an `.agentblocks` file.
///
/// Returns `None` only when the text is not JSON or not a JSON object; otherwise the document
/// holds everything that could be read, and the diagnostics say what could not (any error means
/// the file must not be converted).
pub fn read_document(text: &str) -> (Option<Document>, Vec<Diagnostic>) {
    let node = match parse(text) {
        Ok(node) => node,
        Err(diagnostic) => return (None, vec![diagnostic]),
    };
    let mut diags = Vec::new();
    check_duplicate_keys(&node, &mut diags);
    let mut doc = read_document_node(&node, &mut diags);
    if let Some(doc) = &mut doc {
        fill_text_maps(doc, text);
    }
    (doc, diags)
}

/// Maps the strings whose checks point inside them (templates, prompts) back to `text`, by
/// re-scanning each literal's escapes.
fn fill_text_maps(doc: &mut Document, text: &str) {
    for block in doc.workflow.blocks.iter_mut().flatten() {
        fill_block_text_maps(block, text);
    }
}

/// Fills the unknown maps of `block`'s template source and prompts from the quoted literals
/// their spans cover in `text` (the DSL lowering calls it for values written with `@key`).
pub(crate) fn fill_block_text_maps(block: &mut Block, text: &str) {
    let strings: Vec<&mut MappedStr> = match &mut block.kind {
        BlockKind::Hybrid {
            template: Some(template),
            ..
        } => vec![&mut template.source],
        BlockKind::Ai {
            system_prompt,
            user_prompt_template,
            ..
        } => system_prompt
            .iter_mut()
            .chain(user_prompt_template.iter_mut())
            .collect(),
        _ => return,
    };
    for string in strings {
        if string.map.0.is_empty() {
            if let Some(literal) = text.get(string.span.start..string.span.end) {
                string.map = TextMap::of_quoted(literal);
            }
        }
    }
}

/// Reads a parsed top-level JSON value (duplicate keys are not checked here; see
/// [`check_duplicate_keys`]).
pub fn read_document_node(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<Document> {
    let Some(members) = node.as_object() else {
        diags.push(Diagnostic::error(
            TOP_LEVEL_NOT_OBJECT,
            format!(
                "the top level of an `.agentblocks` file must be an object, found {}",
                node.kind_name()
            ),
            node.span,
        ));
        return None;
    };
    let mut doc = Document::default();
    let mut has_version = false;
    let mut has_workflow = false;
    for member in members {
        match member.key.value.as_str() {
            "format_version" => has_version = true,
            "workflow" => has_workflow = true,
            _ => {}
        }
        apply_top_field(&mut doc, member, diags);
    }
    let opening = Span::new(node.span.start, node.span.start + 1);
    if !has_version {
        diags.push(
            Diagnostic::error(MISSING_KEY, "the file has no `format_version`", opening)
                .with_help("add `\"format_version\": \"1.0\"`"),
        );
    }
    if !has_workflow {
        diags.push(Diagnostic::error(
            MISSING_KEY,
            "the file has no `workflow`",
            opening,
        ));
    }
    Some(doc)
}

/// Reports every key written twice in one object, anywhere in the tree (code `duplicate-key`,
/// primary label on the repeated key, related label on the first).
pub fn check_duplicate_keys(node: &JsonNode, diags: &mut Vec<Diagnostic>) {
    match &node.kind {
        JsonKind::Object(members) => {
            if members.len() <= 16 {
                for (i, member) in members.iter().enumerate() {
                    if let Some(first) = members[..i]
                        .iter()
                        .find(|m| m.key.value == member.key.value)
                    {
                        diags.push(duplicate_key(member, first.key.span));
                    }
                }
            } else {
                let mut seen: HashMap<&str, Span> = HashMap::with_capacity(members.len());
                for member in members {
                    match seen.get(member.key.value.as_str()) {
                        Some(first) => diags.push(duplicate_key(member, *first)),
                        None => {
                            seen.insert(&member.key.value, member.key.span);
                        }
                    }
                }
            }
            for member in members {
                check_duplicate_keys(&member.value, diags);
            }
        }
        JsonKind::Array(items) => {
            for item in items {
                check_duplicate_keys(item, diags);
            }
        }
        _ => {}
    }
}

fn duplicate_key(member: &Member, first: Span) -> Diagnostic {
    Diagnostic::error(
        DUPLICATE_KEY,
        format!("duplicate key `{}`", member.key.value),
        member.key.span,
    )
    .with_label(first, "first written here")
}

// ---------------------------------------------------------------------------------------------
// Small fitting helpers: `Some` when the value has the model's type.

fn fit_str(node: &JsonNode) -> Option<Str> {
    node.as_str()
        .map(|s| Spanned::new(s.to_string(), node.span))
}

/// A string whose map is filled in afterwards from the text, where there is one
/// ([`fill_text_maps`]).
fn fit_text(node: &JsonNode) -> Option<MappedStr> {
    fit_str(node).map(MappedStr::from)
}

fn fit_num(node: &JsonNode) -> Option<Num> {
    match &node.kind {
        JsonKind::Number(n) => Some(Spanned::new(n.clone(), node.span)),
        _ => None,
    }
}

fn fit_bool(node: &JsonNode) -> Option<Spanned<bool>> {
    match node.kind {
        JsonKind::Bool(b) => Some(Spanned::new(b, node.span)),
        _ => None,
    }
}

fn any(node: &JsonNode) -> Spanned<Json> {
    Spanned::new(node.to_value(), node.span)
}

fn fit_type(node: &JsonNode) -> Option<TypeRef> {
    node.as_str().map(|s| TypeRef {
        text: s.to_string(),
        span: node.span,
    })
}

fn fit_str_list(node: &JsonNode) -> Option<Spanned<Vec<Str>>> {
    let items = node.as_array()?;
    let list = items.iter().map(fit_str).collect::<Option<Vec<_>>>()?;
    Some(Spanned::new(list, node.span))
}

/// `{"x": number, "y": number}`, exactly those keys in either order.
fn fit_position(node: &JsonNode) -> Option<Position> {
    let members = node.as_object()?;
    let [a, b] = members else { return None };
    let (x, y) = match (a.key.value.as_str(), b.key.value.as_str()) {
        ("x", "y") => (a, b),
        ("y", "x") => (b, a),
        _ => return None,
    };
    Some(Position {
        span: node.span,
        x: fit_num(&x.value)?,
        y: fit_num(&y.value)?,
    })
}

/// `"Stop"`, `"Continue"` or `{"Retry": number}`.
fn fit_error_action(node: &JsonNode) -> Option<ErrorAction> {
    match &node.kind {
        JsonKind::String(s) if s == "Stop" => Some(ErrorAction::Stop(node.span)),
        JsonKind::String(s) if s == "Continue" => Some(ErrorAction::Continue(node.span)),
        JsonKind::Object(members) => match members.as_slice() {
            [m] if m.key.value == "Retry" => fit_num(&m.value).map(ErrorAction::Retry),
            _ => None,
        },
        _ => None,
    }
}

/// `"Anthropic"`, `"OpenAI"` or `{"Local": {"endpoint": string}}` exactly.
fn fit_provider(node: &JsonNode) -> Option<Provider> {
    match &node.kind {
        JsonKind::String(s) if s == "Anthropic" => Some(Provider::Anthropic(node.span)),
        JsonKind::String(s) if s == "OpenAI" => Some(Provider::OpenAi(node.span)),
        JsonKind::Object(members) => match members.as_slice() {
            [local] if local.key.value == "Local" => match local.value.as_object()? {
                [endpoint] if endpoint.key.value == "endpoint" => Some(Provider::Local {
                    span: node.span,
                    endpoint: fit_str(&endpoint.value)?,
                }),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// `workflow.types`: an object of strings.
fn fit_types(node: &JsonNode) -> Option<Vec<TypeDecl>> {
    node.as_object()?
        .iter()
        .map(|m| {
            Some(TypeDecl {
                span: m.span,
                name: m.key.clone(),
                ty: fit_type(&m.value)?,
            })
        })
        .collect()
}

/// `properties`: any object.
fn fit_properties(node: &JsonNode) -> Option<Vec<Property>> {
    Some(
        node.as_object()?
            .iter()
            .map(|m| Property {
                span: m.span,
                key: m.key.clone(),
                value: any(&m.value),
            })
            .collect(),
    )
}

/// `template`: exactly `source` (string) and `placeholders` (object), in either order.
fn fit_template(node: &JsonNode) -> Option<Template> {
    let members = node.as_object()?;
    let [a, b] = members else { return None };
    let (source, placeholders) = match (a.key.value.as_str(), b.key.value.as_str()) {
        ("source", "placeholders") => (a, b),
        ("placeholders", "source") => (b, a),
        _ => return None,
    };
    let placeholders = placeholders
        .value
        .as_object()?
        .iter()
        .map(|m| Placeholder {
            span: m.span,
            name: m.key.clone(),
            kind: placeholder_kind(&m.value),
        })
        .collect();
    Some(Template {
        span: node.span,
        source: fit_text(&source.value)?,
        placeholders,
    })
}

/// A placeholder's shape; anything unknown is [`PlaceholderKind::Raw`].
pub fn placeholder_kind(node: &JsonNode) -> PlaceholderKind {
    fit_placeholder(node).unwrap_or_else(|| PlaceholderKind::Raw(any(node)))
}

fn fit_placeholder(node: &JsonNode) -> Option<PlaceholderKind> {
    let [member] = node.as_object()? else {
        return None;
    };
    match member.key.value.as_str() {
        "Simple" => fit_str(&member.value).map(PlaceholderKind::Simple),
        "Expression" => fit_str(&member.value).map(PlaceholderKind::Expression),
        "CodeBlock" => fit_str(&member.value).map(PlaceholderKind::CodeBlock),
        "Conditional" => {
            let fields = member.value.as_object()?;
            if fields.len() != 3 {
                return None;
            }
            let get = |key: &str| {
                fields
                    .iter()
                    .find(|m| m.key.value == key)
                    .and_then(|m| fit_str(&m.value))
            };
            Some(PlaceholderKind::Conditional {
                condition: get("condition")?,
                if_true: get("if_true")?,
                if_false: get("if_false")?,
            })
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Typed-or-raw bookkeeping.

/// The member kept verbatim.
pub fn to_extra(member: &Member) -> Extra {
    Extra {
        key: member.key.clone(),
        value: any(&member.value),
        span: member.span,
    }
}

/// Keeps `member` raw; an earlier extra of the same key is replaced in place.
fn push_extra(extra: &mut Vec<Extra>, member: &Member) {
    let new = to_extra(member);
    match extra.iter_mut().find(|e| e.key.value == member.key.value) {
        Some(existing) => *existing = new,
        None => extra.push(new),
    }
}

/// Sets a typed field, dropping a raw value of the same key.
fn set<T>(slot: &mut Option<T>, value: T, key: &str, extra: &mut Vec<Extra>) {
    *slot = Some(value);
    extra.retain(|e| e.key.value != key);
}

/// Sets the typed field when the value fits, otherwise keeps the member raw.
fn put<T>(slot: &mut Option<T>, fit: Option<T>, member: &Member, extra: &mut Vec<Extra>) {
    match fit {
        Some(value) => set(slot, value, &member.key.value, extra),
        None => {
            *slot = None;
            push_extra(extra, member);
        }
    }
}

fn identity_key(member: &Member, what: &str) -> Diagnostic {
    Diagnostic::error(
        IDENTITY_KEY,
        format!(
            "`{}` is part of the {what}'s identity and cannot be set as a field",
            member.key.value
        ),
        member.key.span,
    )
}

fn wrong_type(what: &str, expected: &str, node: &JsonNode) -> Diagnostic {
    Diagnostic::error(
        WRONG_JSON_TYPE,
        format!("{what} must be {expected}, found {}", node.kind_name()),
        node.span,
    )
}

/// The last member named `key` (the one `serde_json` would keep).
fn find<'a>(members: &'a [Member], key: &str) -> Option<&'a Member> {
    members.iter().rev().find(|m| m.key.value == key)
}

/// Required string members: one `missing-key` error at `missing_at` naming all the absent
/// keys, a `wrong-json-type` error for each one that is not a string. `Some` only when all fit.
fn required_strs<const N: usize>(
    members: &[Member],
    keys: [&str; N],
    place: &str,
    missing_at: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<[Str; N]> {
    let mut found = Vec::with_capacity(N);
    let mut missing = Vec::new();
    for key in keys {
        match find(members, key) {
            None => missing.push(key),
            Some(member) => match fit_str(&member.value) {
                Some(value) => found.push(value),
                None => diags.push(wrong_type(
                    &format!("`{key}` of {place}"),
                    "a string",
                    &member.value,
                )),
            },
        }
    }
    if !missing.is_empty() {
        diags.push(Diagnostic::error(
            MISSING_KEY,
            format!("{place} has no {}", or_list(&missing)),
            missing_at,
        ));
    }
    found.try_into().ok()
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
fn or_list(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

// ---------------------------------------------------------------------------------------------
// Top level and workflow.

/// Applies one top-level member: `format_version` (checked: a string `1` or `1.x`), `workflow`
/// (an object), anything else kept as an [`Extra`].
pub fn apply_top_field(doc: &mut Document, member: &Member, diags: &mut Vec<Diagnostic>) {
    match member.key.value.as_str() {
        "format_version" => match fit_str(&member.value) {
            Some(version) => {
                if version.value != "1" && !version.value.starts_with("1.") {
                    diags.push(
                        Diagnostic::error(
                            UNSUPPORTED_FORMAT_VERSION,
                            format!(
                                "unsupported `format_version` {}; this version reads 1.x",
                                Json::String(version.value.clone())
                            ),
                            version.span,
                        )
                        .with_help("the file was written by a newer editor; update agentblocks"),
                    );
                }
                doc.format_version = version;
            }
            None => diags.push(wrong_type("`format_version`", "a string", &member.value)),
        },
        "workflow" => {
            if let Some(workflow) = read_workflow(member.key.span, &member.value, diags) {
                doc.workflow = workflow;
            }
        }
        _ => push_extra(&mut doc.extra, member),
    }
}

/// Reads the `workflow` object; `key_span` is the `"workflow"` key (the header span).
pub fn read_workflow(
    key_span: Span,
    node: &JsonNode,
    diags: &mut Vec<Diagnostic>,
) -> Option<Workflow> {
    let Some(members) = node.as_object() else {
        diags.push(wrong_type("`workflow`", "an object", node));
        return None;
    };
    let mut workflow = Workflow {
        span: node.span,
        header_span: key_span,
        ..Workflow::default()
    };
    for member in members {
        apply_workflow_field(&mut workflow, member, diags);
    }
    Some(workflow)
}

/// Applies one member of the workflow object (including `blocks`, `connections`, `types` and
/// `variables`).
pub fn apply_workflow_field(workflow: &mut Workflow, member: &Member, diags: &mut Vec<Diagnostic>) {
    let value = &member.value;
    let w = workflow;
    match member.key.value.as_str() {
        "id" => put(&mut w.id, fit_str(value), member, &mut w.extra),
        "name" => put(&mut w.name, fit_str(value), member, &mut w.extra),
        "description" => put(&mut w.description, fit_str(value), member, &mut w.extra),
        "version" => put(&mut w.version, fit_str(value), member, &mut w.extra),
        "created_at" => put(&mut w.created_at, fit_str(value), member, &mut w.extra),
        "modified_at" => put(&mut w.modified_at, fit_str(value), member, &mut w.extra),
        "author" => put(&mut w.author, fit_str(value), member, &mut w.extra),
        "tags" => put(&mut w.tags, fit_str_list(value), member, &mut w.extra),
        "types" => put(&mut w.types, fit_types(value), member, &mut w.extra),
        "blocks" => {
            if let Some(blocks) = read_blocks(value, diags) {
                set(&mut w.blocks, blocks, "blocks", &mut w.extra);
            }
        }
        "connections" => {
            if let Some(connections) = read_connections(value, diags) {
                set(&mut w.connections, connections, "connections", &mut w.extra);
            }
        }
        "variables" => {
            let fit = fit_variables(value, diags);
            put(&mut w.variables, fit, member, &mut w.extra)
        }
        "execution_config" => {
            let fit = read_execution_config(value, diags);
            put(&mut w.execution_config, fit, member, &mut w.extra)
        }
        "error_handling" => {
            let fit = read_error_handling(value, diags);
            put(&mut w.error_handling, fit, member, &mut w.extra)
        }
        "canvas_state" => {
            let fit = read_canvas_state(value, diags);
            put(&mut w.canvas_state, fit, member, &mut w.extra)
        }
        "ui_state" => set(&mut w.ui_state, any(value), "ui_state", &mut w.extra),
        _ => push_extra(&mut w.extra, member),
    }
}

/// `workflow.blocks`: an object of blocks; `None` (with an error) when not an object. Blocks
/// that are not well-formed are left out (with errors).
pub fn read_blocks(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<Vec<Block>> {
    let Some(members) = node.as_object() else {
        diags.push(wrong_type("`blocks`", "an object of blocks", node));
        return None;
    };
    Some(
        members
            .iter()
            .filter_map(|m| read_block(m.key.clone(), m.span, &m.value, diags))
            .collect(),
    )
}

/// `workflow.connections`: an array of connections; `None` (with an error) when not an array.
pub fn read_connections(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<Vec<Connection>> {
    let Some(items) = node.as_array() else {
        diags.push(wrong_type("`connections`", "an array", node));
        return None;
    };
    Some(
        items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                let place = match item
                    .as_object()
                    .and_then(|m| find(m, "id"))
                    .and_then(|m| m.value.as_str())
                {
                    Some(id) => format!("connection `{id}`"),
                    None => format!("connection {index}"),
                };
                read_connection(item, &place, diags)
            })
            .collect(),
    )
}

/// `workflow.variables`: an object of objects, or `None` (kept raw).
fn fit_variables(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<Vec<Variable>> {
    let members = node.as_object()?;
    if members.iter().any(|m| m.value.as_object().is_none()) {
        return None;
    }
    members
        .iter()
        .map(|m| read_variable(m.key.clone(), m.span, &m.value, diags))
        .collect()
}

/// Reads one variable; `None` when the value is not an object (the caller keeps it raw).
pub fn read_variable(
    name: Str,
    member_span: Span,
    node: &JsonNode,
    diags: &mut Vec<Diagnostic>,
) -> Option<Variable> {
    let members = node.as_object()?;
    let mut variable = Variable {
        span: member_span,
        name,
        ty: None,
        value: None,
        description: None,
        extra: Vec::new(),
    };
    for member in members {
        apply_variable_field(&mut variable, member, diags);
    }
    Some(variable)
}

/// Applies one member of a variable: `type`, `value`, `description`.
pub fn apply_variable_field(
    variable: &mut Variable,
    member: &Member,
    _diags: &mut Vec<Diagnostic>,
) {
    let value = &member.value;
    let v = variable;
    match member.key.value.as_str() {
        "type" => put(&mut v.ty, fit_type(value), member, &mut v.extra),
        "value" => set(&mut v.value, any(value), "value", &mut v.extra),
        "description" => put(&mut v.description, fit_str(value), member, &mut v.extra),
        _ => push_extra(&mut v.extra, member),
    }
}

/// Reads `execution_config`; `None` when not an object (kept raw).
pub fn read_execution_config(
    node: &JsonNode,
    diags: &mut Vec<Diagnostic>,
) -> Option<ExecutionConfig> {
    let members = node.as_object()?;
    let mut config = ExecutionConfig {
        span: node.span,
        ..ExecutionConfig::default()
    };
    for member in members {
        apply_execution_config_field(&mut config, member, diags);
    }
    Some(config)
}

/// Applies one member of `execution_config`.
pub fn apply_execution_config_field(
    config: &mut ExecutionConfig,
    member: &Member,
    diags: &mut Vec<Diagnostic>,
) {
    let value = &member.value;
    let c = config;
    match member.key.value.as_str() {
        "mode" => put(&mut c.mode, fit_str(value), member, &mut c.extra),
        "max_concurrent_blocks" => put(
            &mut c.max_concurrent_blocks,
            fit_num(value),
            member,
            &mut c.extra,
        ),
        "timeout" => put(&mut c.timeout, fit_num(value), member, &mut c.extra),
        "retry_policy" => {
            let fit = read_retry_policy(value, diags);
            put(&mut c.retry_policy, fit, member, &mut c.extra)
        }
        "logging_level" => put(&mut c.logging_level, fit_str(value), member, &mut c.extra),
        _ => push_extra(&mut c.extra, member),
    }
}

/// Reads `retry_policy`; `None` when not an object (kept raw).
pub fn read_retry_policy(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<RetryPolicy> {
    let members = node.as_object()?;
    let mut policy = RetryPolicy {
        span: node.span,
        ..RetryPolicy::default()
    };
    for member in members {
        apply_retry_policy_field(&mut policy, member, diags);
    }
    Some(policy)
}

/// Applies one member of `retry_policy`: `max_attempts`, `backoff`.
pub fn apply_retry_policy_field(
    policy: &mut RetryPolicy,
    member: &Member,
    _diags: &mut Vec<Diagnostic>,
) {
    let value = &member.value;
    let p = policy;
    match member.key.value.as_str() {
        "max_attempts" => put(&mut p.max_attempts, fit_num(value), member, &mut p.extra),
        "backoff" => put(&mut p.backoff, fit_str(value), member, &mut p.extra),
        _ => push_extra(&mut p.extra, member),
    }
}

/// Reads the workflow's `error_handling`; `None` when not an object (kept raw).
pub fn read_error_handling(
    node: &JsonNode,
    diags: &mut Vec<Diagnostic>,
) -> Option<WorkflowErrorHandling> {
    let members = node.as_object()?;
    let mut handling = WorkflowErrorHandling {
        span: node.span,
        ..WorkflowErrorHandling::default()
    };
    for member in members {
        apply_error_handling_field(&mut handling, member, diags);
    }
    Some(handling)
}

/// Applies one member of the workflow's `error_handling`: `on_block_error`.
pub fn apply_error_handling_field(
    handling: &mut WorkflowErrorHandling,
    member: &Member,
    _diags: &mut Vec<Diagnostic>,
) {
    let h = handling;
    match member.key.value.as_str() {
        "on_block_error" => put(
            &mut h.on_block_error,
            fit_error_action(&member.value),
            member,
            &mut h.extra,
        ),
        _ => push_extra(&mut h.extra, member),
    }
}

/// Reads `canvas_state`; `None` when not an object (kept raw).
pub fn read_canvas_state(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<CanvasState> {
    let members = node.as_object()?;
    let mut canvas = CanvasState {
        span: node.span,
        ..CanvasState::default()
    };
    for member in members {
        apply_canvas_state_field(&mut canvas, member, diags);
    }
    Some(canvas)
}

/// Applies one member of `canvas_state`: `zoom`, `pan`, `selected_blocks`.
pub fn apply_canvas_state_field(
    canvas: &mut CanvasState,
    member: &Member,
    _diags: &mut Vec<Diagnostic>,
) {
    let value = &member.value;
    let c = canvas;
    match member.key.value.as_str() {
        "zoom" => put(&mut c.zoom, fit_num(value), member, &mut c.extra),
        "pan" => put(&mut c.pan, fit_position(value), member, &mut c.extra),
        "selected_blocks" => put(
            &mut c.selected_blocks,
            fit_str_list(value),
            member,
            &mut c.extra,
        ),
        _ => push_extra(&mut c.extra, member),
    }
}

// ---------------------------------------------------------------------------------------------
// Blocks.

/// The identity keys of a block of this kind: `type` and the kind's discriminating keys. Other
/// keys of [`BLOCK_IDENTITY_KEYS`] are ordinary (unknown) keys on this kind.
pub fn block_identity_keys(kind: &BlockKind) -> &'static [&'static str] {
    match kind {
        BlockKind::Visual { .. } => &["type", "block_type"],
        BlockKind::Code { .. } => &["type", "language"],
        BlockKind::Hybrid { .. } => &["type", "base_language"],
        BlockKind::Ai { .. } => &["type"],
        BlockKind::Plugin { .. } => &["type", "plugin", "block_type"],
    }
}

/// Reads one block: `id` is the key, `member_span` the whole `"id": {...}` member.
///
/// `None` (with errors) when the block is not an object, has no valid `type`, or lacks its
/// discriminating string (`block_type`, `language`, `base_language`, `plugin`).
pub fn read_block(
    id: Str,
    member_span: Span,
    node: &JsonNode,
    diags: &mut Vec<Diagnostic>,
) -> Option<Block> {
    let place = format!("block `{}`", id.value);
    let Some(members) = node.as_object() else {
        diags.push(wrong_type(&place, "an object", node));
        return None;
    };
    let Some(ty) = find(members, "type") else {
        diags.push(
            Diagnostic::error(MISSING_KEY, format!("{place} has no `type`"), id.span)
                .with_help("a block's `type` is one of `visual`, `code`, `hybrid`, `ai`, `plugin`"),
        );
        return None;
    };
    let Some(type_name) = ty.value.as_str() else {
        diags.push(wrong_type(
            &format!("`type` of {place}"),
            "a string",
            &ty.value,
        ));
        return None;
    };
    let mut need = |key: &str| {
        let place = format!("{type_name} block `{}`", id.value);
        required_strs(members, [key], &place, id.span, diags).map(|[value]| value)
    };
    let kind = match type_name {
        "visual" => BlockKind::Visual {
            block_type: need("block_type")?,
            properties: None,
        },
        "code" => BlockKind::Code {
            language: need("language")?,
            source_code: None,
            dependencies: None,
            error_handling: None,
        },
        "hybrid" => BlockKind::Hybrid {
            base_language: need("base_language")?,
            template: None,
            parameters: None,
            preview_code: None,
        },
        "ai" => BlockKind::Ai {
            model_config: None,
            system_prompt: None,
            user_prompt_template: None,
            context_analysis: None,
            output_format: None,
            fallback_behavior: None,
        },
        "plugin" => {
            let place = format!("plugin block `{}`", id.value);
            let [plugin, block_type] =
                required_strs(members, ["plugin", "block_type"], &place, id.span, diags)?;
            BlockKind::Plugin {
                plugin,
                block_type,
                properties: None,
            }
        }
        other => {
            diags.push(
                Diagnostic::error(
                    UNKNOWN_BLOCK_TYPE,
                    format!(
                        "{place} has the unknown `type` {}",
                        Json::String(other.to_string())
                    ),
                    ty.value.span,
                )
                .with_help("a block's `type` is one of `visual`, `code`, `hybrid`, `ai`, `plugin`"),
            );
            return None;
        }
    };
    let mut block = Block {
        span: member_span,
        id,
        kind,
        kind_span: ty.value.span,
        name: None,
        description: None,
        position: None,
        inputs: None,
        outputs: None,
        extra: Vec::new(),
    };
    let identity = block_identity_keys(&block.kind);
    for member in members {
        if !identity.contains(&member.key.value.as_str()) {
            apply_block_field(&mut block, member, diags);
        }
    }
    Some(block)
}

/// Applies one member of a block, by the block's kind (`source_code` is typed on a code block
/// and an unknown key elsewhere). The identity keys of the block's kind
/// ([`block_identity_keys`]) are refused with an `identity-key` error.
pub fn apply_block_field(block: &mut Block, member: &Member, diags: &mut Vec<Diagnostic>) {
    let key = member.key.value.as_str();
    if block_identity_keys(&block.kind).contains(&key) {
        diags.push(identity_key(member, "block"));
        return;
    }
    let value = &member.value;
    let Block {
        id,
        kind,
        name,
        description,
        position,
        inputs,
        outputs,
        extra,
        ..
    } = block;
    match key {
        "name" => put(name, fit_str(value), member, extra),
        "description" => put(description, fit_str(value), member, extra),
        "position" => put(position, fit_position(value), member, extra),
        "inputs" | "outputs" => {
            let (slot, what) = if key == "inputs" {
                (inputs, "input")
            } else {
                (outputs, "output")
            };
            if let Some(ports) = read_ports(value, what, &id.value, diags) {
                set(slot, ports, key, extra);
            }
        }
        _ => apply_kind_field(kind, member, extra, diags),
    }
}

fn apply_kind_field(
    kind: &mut BlockKind,
    member: &Member,
    extra: &mut Vec<Extra>,
    diags: &mut Vec<Diagnostic>,
) {
    let value = &member.value;
    match (kind, member.key.value.as_str()) {
        (
            BlockKind::Visual { properties, .. } | BlockKind::Plugin { properties, .. },
            "properties",
        ) => put(properties, fit_properties(value), member, extra),
        (BlockKind::Code { source_code, .. }, "source_code") => {
            put(source_code, fit_str(value), member, extra)
        }
        (BlockKind::Code { dependencies, .. }, "dependencies") => {
            put(dependencies, fit_str_list(value), member, extra)
        }
        (BlockKind::Code { error_handling, .. }, "error_handling") => {
            put(error_handling, fit_error_action(value), member, extra)
        }
        (BlockKind::Hybrid { template, .. }, "template") => {
            put(template, fit_template(value), member, extra)
        }
        (BlockKind::Hybrid { parameters, .. }, "parameters") => {
            let fit = fit_parameters(value, diags);
            put(parameters, fit, member, extra)
        }
        (BlockKind::Hybrid { preview_code, .. }, "preview_code") => {
            put(preview_code, fit_str(value), member, extra)
        }
        (BlockKind::Ai { model_config, .. }, "model_config") => {
            let fit = read_model_config(value, diags);
            put(model_config, fit, member, extra)
        }
        (BlockKind::Ai { system_prompt, .. }, "system_prompt") => {
            put(system_prompt, fit_text(value), member, extra)
        }
        (
            BlockKind::Ai {
                user_prompt_template,
                ..
            },
            "user_prompt_template",
        ) => put(user_prompt_template, fit_text(value), member, extra),
        (
            BlockKind::Ai {
                context_analysis, ..
            },
            "context_analysis",
        ) => set(context_analysis, any(value), "context_analysis", extra),
        (BlockKind::Ai { output_format, .. }, "output_format") => {
            put(output_format, fit_str(value), member, extra)
        }
        (
            BlockKind::Ai {
                fallback_behavior, ..
            },
            "fallback_behavior",
        ) => set(fallback_behavior, any(value), "fallback_behavior", extra),
        _ => push_extra(extra, member),
    }
}

/// A block's `inputs` or `outputs` (`what` is `input` or `output`); `None` (with an error) when
/// not an array. Ports that are not well-formed are left out (with errors).
fn read_ports(
    node: &JsonNode,
    what: &str,
    block_id: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Port>> {
    let Some(items) = node.as_array() else {
        diags.push(wrong_type(
            &format!("`{what}s` of block `{block_id}`"),
            "an array",
            node,
        ));
        return None;
    };
    Some(
        items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                let name = item
                    .as_object()
                    .and_then(|m| find(m, "name"))
                    .and_then(|m| m.value.as_str());
                let place = match name {
                    Some(name) => format!("{what} `{name}` of block `{block_id}`"),
                    None => format!("{what} {index} of block `{block_id}`"),
                };
                read_port(item, &place, diags)
            })
            .collect(),
    )
}

/// Reads one port; `place` names it in messages (e.g. "input `x` of block `find`").
///
/// `None` (with errors) when not an object or without a string `name` and `type`.
pub fn read_port(node: &JsonNode, place: &str, diags: &mut Vec<Diagnostic>) -> Option<Port> {
    let Some(members) = node.as_object() else {
        diags.push(wrong_type(place, "an object", node));
        return None;
    };
    let [name, ty] = required_strs(members, ["name", "type"], place, node.span, diags)?;
    let mut port = Port {
        span: node.span,
        name,
        ty: TypeRef {
            text: ty.value,
            span: ty.span,
        },
        required: None,
        description: None,
        default: None,
        extra: Vec::new(),
    };
    for member in members {
        if !PORT_IDENTITY_KEYS.contains(&member.key.value.as_str()) {
            apply_port_field(&mut port, member, diags);
        }
    }
    Some(port)
}

/// Applies one member of a port: `required`, `description`, `default` (`name` and `type` are
/// identity keys).
pub fn apply_port_field(port: &mut Port, member: &Member, diags: &mut Vec<Diagnostic>) {
    let value = &member.value;
    let p = port;
    match member.key.value.as_str() {
        "name" | "type" => diags.push(identity_key(member, "port")),
        "required" => put(&mut p.required, fit_bool(value), member, &mut p.extra),
        "description" => put(&mut p.description, fit_str(value), member, &mut p.extra),
        "default" => set(&mut p.default, any(value), "default", &mut p.extra),
        _ => push_extra(&mut p.extra, member),
    }
}

/// Reads one connection; `place` names it in messages (e.g. "connection 3").
///
/// `None` (with errors) when not an object or without the four string endpoints.
pub fn read_connection(
    node: &JsonNode,
    place: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Connection> {
    let Some(members) = node.as_object() else {
        diags.push(wrong_type(place, "an object", node));
        return None;
    };
    let [source_block, source_port, target_block, target_port] =
        required_strs(members, CONNECTION_KEYS, place, node.span, diags)?;
    let mut connection = Connection {
        span: node.span,
        id: None,
        source_block,
        source_port,
        target_block,
        target_port,
        data_type: None,
        transform: None,
        extra: Vec::new(),
    };
    for member in members {
        if !CONNECTION_IDENTITY_KEYS.contains(&member.key.value.as_str()) {
            apply_connection_field(&mut connection, member, diags);
        }
    }
    Some(connection)
}

/// Applies one member of a connection: `id`, `data_type`, `transform` (the endpoints are
/// identity keys).
pub fn apply_connection_field(
    connection: &mut Connection,
    member: &Member,
    diags: &mut Vec<Diagnostic>,
) {
    let value = &member.value;
    let c = connection;
    match member.key.value.as_str() {
        key if CONNECTION_IDENTITY_KEYS.contains(&key) => {
            diags.push(identity_key(member, "connection"))
        }
        "id" => put(&mut c.id, fit_str(value), member, &mut c.extra),
        "data_type" => put(&mut c.data_type, fit_type(value), member, &mut c.extra),
        "transform" => set(&mut c.transform, any(value), "transform", &mut c.extra),
        _ => push_extra(&mut c.extra, member),
    }
}

/// `parameters`: an array of objects each with a string `name`, or `None` (kept raw).
fn fit_parameters(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<Vec<Parameter>> {
    let items = node.as_array()?;
    if !items.iter().all(|item| {
        item.as_object()
            .and_then(|m| find(m, "name"))
            .is_some_and(|m| m.value.as_str().is_some())
    }) {
        return None;
    }
    items
        .iter()
        .map(|item| read_parameter(item, diags))
        .collect()
}

/// Reads one hybrid parameter; `None` when not an object with a string `name` (the caller
/// keeps the whole `parameters` raw).
pub fn read_parameter(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<Parameter> {
    let members = node.as_object()?;
    let name = fit_str(&find(members, "name")?.value)?;
    let mut parameter = Parameter {
        span: node.span,
        name,
        ty: None,
        value: None,
        default: None,
        description: None,
        extra: Vec::new(),
    };
    for member in members {
        if !PARAMETER_IDENTITY_KEYS.contains(&member.key.value.as_str()) {
            apply_parameter_field(&mut parameter, member, diags);
        }
    }
    Some(parameter)
}

/// Applies one member of a parameter: `type`, `value`, `default`, `description` (`name` is
/// the identity key).
pub fn apply_parameter_field(
    parameter: &mut Parameter,
    member: &Member,
    diags: &mut Vec<Diagnostic>,
) {
    let value = &member.value;
    let p = parameter;
    match member.key.value.as_str() {
        "name" => diags.push(identity_key(member, "parameter")),
        "type" => put(&mut p.ty, fit_type(value), member, &mut p.extra),
        "value" => set(&mut p.value, any(value), "value", &mut p.extra),
        "default" => set(&mut p.default, any(value), "default", &mut p.extra),
        "description" => put(&mut p.description, fit_str(value), member, &mut p.extra),
        _ => push_extra(&mut p.extra, member),
    }
}

/// Reads `model_config`; `None` when not an object or without a fitting `provider` (the caller
/// keeps it raw as a whole).
pub fn read_model_config(node: &JsonNode, diags: &mut Vec<Diagnostic>) -> Option<ModelConfig> {
    let members = node.as_object()?;
    let provider = fit_provider(&find(members, "provider")?.value)?;
    let mut config = ModelConfig {
        span: node.span,
        provider,
        model: None,
        temperature: None,
        max_tokens: None,
        timeout: None,
        extra: Vec::new(),
    };
    for member in members {
        apply_model_config_field(&mut config, member, diags);
    }
    Some(config)
}

/// Applies one member of `model_config`: `provider`, `model`, `temperature`, `max_tokens`,
/// `timeout`. A `provider` that does not fit is kept as an [`Extra`], which the writer prints
/// in the provider's place.
pub fn apply_model_config_field(
    config: &mut ModelConfig,
    member: &Member,
    _diags: &mut Vec<Diagnostic>,
) {
    let value = &member.value;
    let c = config;
    match member.key.value.as_str() {
        "provider" => match fit_provider(value) {
            Some(provider) => {
                c.provider = provider;
                c.extra.retain(|e| e.key.value != "provider");
            }
            None => push_extra(&mut c.extra, member),
        },
        "model" => put(&mut c.model, fit_str(value), member, &mut c.extra),
        "temperature" => put(&mut c.temperature, fit_num(value), member, &mut c.extra),
        "max_tokens" => put(&mut c.max_tokens, fit_num(value), member, &mut c.extra),
        "timeout" => put(&mut c.timeout, fit_num(value), member, &mut c.extra),
        _ => push_extra(&mut c.extra, member),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::write::{block_value, port_value};

    /// The one member of `{"key": value}` written as `member_text`.
    fn member(member_text: &str) -> Member {
        let node = parse(&format!("{{{member_text}}}")).expect("valid json");
        match node.kind {
            JsonKind::Object(mut members) if members.len() == 1 => members.remove(0),
            _ => panic!("not one member: {member_text}"),
        }
    }

    fn block(json: &str) -> Block {
        let node = parse(json).expect("valid json");
        let mut diags = Vec::new();
        let block = read_block(
            Spanned::new("b".into(), Span::default()),
            node.span,
            &node,
            &mut diags,
        );
        assert!(diags.is_empty(), "{diags:?}");
        block.expect("a block")
    }

    fn keys(extra: &[Extra]) -> Vec<&str> {
        extra.iter().map(|e| e.key.value.as_str()).collect()
    }

    #[test]
    fn kind_specific_keys_follow_the_kind() {
        let mut diags = Vec::new();
        let mut visual = block(r#"{"type": "visual", "block_type": "t"}"#);
        apply_block_field(&mut visual, &member(r#""source_code": "x""#), &mut diags);
        apply_block_field(&mut visual, &member(r#""language": "python""#), &mut diags);
        assert!(diags.is_empty());
        assert_eq!(keys(&visual.extra), ["source_code", "language"]);

        let mut code = block(r#"{"type": "code", "language": "python"}"#);
        apply_block_field(&mut code, &member(r#""source_code": "x""#), &mut diags);
        apply_block_field(&mut code, &member(r#""block_type": "t""#), &mut diags);
        assert!(
            matches!(&code.kind, BlockKind::Code { source_code: Some(s), .. } if s.value == "x")
        );
        assert_eq!(keys(&code.extra), ["block_type"]);
        let value = block_value(&code);
        let order: Vec<&String> = value.as_object().expect("object").keys().collect();
        assert_eq!(order, ["type", "language", "source_code", "block_type"]);
    }

    #[test]
    fn identity_keys_are_refused() {
        let mut diags = Vec::new();
        let mut code = block(r#"{"type": "code", "language": "python"}"#);
        apply_block_field(&mut code, &member(r#""language": "rust""#), &mut diags);
        apply_block_field(&mut code, &member(r#""type": "ai""#), &mut diags);
        assert_eq!(diags.len(), 2);
        assert!(diags.iter().all(|d| d.code == IDENTITY_KEY));
        assert!(
            matches!(&code.kind, BlockKind::Code { language, .. } if language.value == "python")
        );
        assert!(code.extra.is_empty());

        let node = parse(r#"{"name": "p", "type": "String"}"#).expect("json");
        let mut port = read_port(&node, "port", &mut diags).expect("port");
        apply_port_field(&mut port, &member(r#""name": "q""#), &mut diags);
        let node = parse(
            r#"{"source_block": "a", "source_port": "b", "target_block": "c", "target_port": "d"}"#,
        )
        .expect("json");
        let mut connection = read_connection(&node, "connection", &mut diags).expect("connection");
        apply_connection_field(
            &mut connection,
            &member(r#""target_port": "e""#),
            &mut diags,
        );
        let node = parse(r#"{"name": "p"}"#).expect("json");
        let mut parameter = read_parameter(&node, &mut diags).expect("parameter");
        apply_parameter_field(&mut parameter, &member(r#""name": "q""#), &mut diags);
        assert_eq!(diags.len(), 5);
        assert_eq!(port.name.value, "p");
        assert_eq!(connection.target_port.value, "d");
        assert_eq!(parameter.name.value, "p");
    }

    #[test]
    fn a_later_member_replaces_an_earlier_one() {
        let mut diags = Vec::new();
        let mut b = block(r#"{"type": "ai", "name": "A"}"#);
        apply_block_field(&mut b, &member(r#""name": null"#), &mut diags);
        assert!(b.name.is_none());
        assert_eq!(keys(&b.extra), ["name"]);
        apply_block_field(&mut b, &member(r#""name": "B""#), &mut diags);
        assert_eq!(b.name.as_ref().map(|n| n.value.as_str()), Some("B"));
        assert!(b.extra.is_empty());
        apply_block_field(&mut b, &member(r#""x": 1"#), &mut diags);
        apply_block_field(&mut b, &member(r#""y": 1"#), &mut diags);
        apply_block_field(&mut b, &member(r#""x": 2"#), &mut diags);
        assert_eq!(keys(&b.extra), ["x", "y"]);
        assert_eq!(b.extra[0].value.value, serde_json::json!(2));
        assert!(diags.is_empty());
    }

    #[test]
    fn port_fields() {
        let mut diags = Vec::new();
        let node = parse(r#"{"name": "p", "type": "Optional[ String ]"}"#).expect("json");
        let mut port = read_port(&node, "port", &mut diags).expect("port");
        assert_eq!(port.ty.text, "Optional[ String ]");
        apply_port_field(&mut port, &member(r#""required": false"#), &mut diags);
        apply_port_field(&mut port, &member(r#""default": null"#), &mut diags);
        apply_port_field(&mut port, &member(r#""description": 5"#), &mut diags);
        assert_eq!(port.required.as_ref().map(|r| r.value), Some(false));
        assert_eq!(port.default.as_ref().map(|d| &d.value), Some(&Json::Null));
        assert_eq!(keys(&port.extra), ["description"]);
        let text = serde_json::to_string(&port_value(&port)).expect("print");
        assert_eq!(
            text,
            r#"{"name":"p","type":"Optional[ String ]","required":false,"description":5,"default":null}"#
        );
    }

    #[test]
    fn model_config_provider_raw_is_written_in_place() {
        let mut diags = Vec::new();
        let node = parse(r#"{"provider": "Anthropic", "model": "m"}"#).expect("json");
        let mut config = read_model_config(&node, &mut diags).expect("config");
        apply_model_config_field(&mut config, &member(r#""provider": "Gemini""#), &mut diags);
        let mut b = block(r#"{"type": "ai"}"#);
        if let BlockKind::Ai { model_config, .. } = &mut b.kind {
            *model_config = Some(config);
        }
        let text = serde_json::to_string(&block_value(&b)).expect("print");
        assert_eq!(
            text,
            r#"{"type":"ai","model_config":{"provider":"Gemini","model":"m"}}"#
        );
        let node = parse(r#"{"provider": "Gemini"}"#).expect("json");
        assert!(read_model_config(&node, &mut diags).is_none());
        let node = parse(r#"{"provider": {"Local": {"endpoint": 5}}}"#).expect("json");
        assert!(read_model_config(&node, &mut diags).is_none());
        assert!(diags.is_empty());
    }

    #[test]
    fn shapes() {
        let fits = |text: &str| fit_error_action(&parse(text).expect("json")).is_some();
        assert!(fits(r#""Stop""#) && fits(r#""Continue""#) && fits(r#"{"Retry": 3}"#));
        assert!(
            !fits(r#""stop""#) && !fits(r#"{"Retry": "3"}"#) && !fits(r#"{"Retry": 3, "x": 1}"#)
        );
        let pos = |text: &str| fit_position(&parse(text).expect("json")).is_some();
        assert!(pos(r#"{"x": 1, "y": 2.5}"#) && pos(r#"{"y": 1, "x": 2}"#));
        assert!(
            !pos(r#"{"x": 1}"#) && !pos(r#"{"x": 1, "x": 2}"#) && !pos(r#"{"x": 1, "y": "2"}"#)
        );
        let kind = |text: &str| placeholder_kind(&parse(text).expect("json"));
        assert!(matches!(
            kind(r#"{"Conditional": {"if_false": "b", "condition": "c", "if_true": "a"}}"#),
            PlaceholderKind::Conditional { .. }
        ));
        assert!(matches!(
            kind(r#"{"Conditional": {"condition": "c", "if_true": "a"}}"#),
            PlaceholderKind::Raw(_)
        ));
        assert!(matches!(
            kind(r#"{"Conditional": {"condition": "c", "if_true": "a", "if_true": "b"}}"#),
            PlaceholderKind::Raw(_)
        ));
        assert!(matches!(kind("null"), PlaceholderKind::Raw(_)));
    }

    #[test]
    fn top_fields() {
        let mut doc = Document::default();
        let mut diags = Vec::new();
        apply_top_field(&mut doc, &member(r#""format_version": "1""#), &mut diags);
        apply_top_field(&mut doc, &member(r#""format_version": "1.12""#), &mut diags);
        assert!(diags.is_empty());
        apply_top_field(&mut doc, &member(r#""format_version": "1x""#), &mut diags);
        apply_top_field(&mut doc, &member(r#""format_version": "2""#), &mut diags);
        assert_eq!(diags.len(), 2);
        assert!(diags.iter().all(|d| d.code == UNSUPPORTED_FORMAT_VERSION));
        apply_top_field(&mut doc, &member(r#""generator": {"a": 1}"#), &mut diags);
        assert_eq!(keys(&doc.extra), ["generator"]);
    }
}
