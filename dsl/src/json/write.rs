//! Model -> canonical `.agentblocks` JSON (`/work/shared/format.md`, "Canonical form").
//!
//! Keys stand in the documented order per object; a known key held raw (an [`Extra`] with a
//! known key) is written at its canonical slot, unknown keys follow the known ones in list
//! order. The text is `serde_json::to_string_pretty` plus one trailing newline. The writer
//! prints exactly what the model holds: an absent field stays absent, `Some(vec![])` prints
//! `[]` or `{}`.

use crate::model::MappedStr;
use serde_json::Map;

use crate::model::{
    Block, BlockKind, CanvasState, Connection, Document, ErrorAction, ExecutionConfig, Extra, Json,
    ModelConfig, Num, Parameter, Placeholder, PlaceholderKind, Port, Position, Property, Provider,
    RetryPolicy, Spanned, Str, Template, TypeDecl, TypeRef, Variable, Workflow,
    WorkflowErrorHandling,
};

/// Top-level keys, in canonical order.
pub const TOP_KEYS: &[&str] = &["format_version", "workflow"];
/// Workflow keys, in canonical order.
pub const WORKFLOW_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "version",
    "created_at",
    "modified_at",
    "author",
    "tags",
    "types",
    "blocks",
    "connections",
    "variables",
    "execution_config",
    "error_handling",
    "canvas_state",
    "ui_state",
];
/// Visual block keys, in canonical order.
pub const VISUAL_BLOCK_KEYS: &[&str] = &[
    "type",
    "block_type",
    "name",
    "description",
    "position",
    "properties",
    "inputs",
    "outputs",
];
/// Code block keys, in canonical order.
pub const CODE_BLOCK_KEYS: &[&str] = &[
    "type",
    "language",
    "name",
    "description",
    "position",
    "source_code",
    "dependencies",
    "error_handling",
    "inputs",
    "outputs",
];
/// Hybrid block keys, in canonical order.
pub const HYBRID_BLOCK_KEYS: &[&str] = &[
    "type",
    "base_language",
    "name",
    "description",
    "position",
    "template",
    "parameters",
    "preview_code",
    "inputs",
    "outputs",
];
/// AI block keys, in canonical order.
pub const AI_BLOCK_KEYS: &[&str] = &[
    "type",
    "name",
    "description",
    "position",
    "model_config",
    "system_prompt",
    "user_prompt_template",
    "context_analysis",
    "output_format",
    "fallback_behavior",
    "inputs",
    "outputs",
];
/// Plugin block keys, in canonical order.
pub const PLUGIN_BLOCK_KEYS: &[&str] = &[
    "type",
    "plugin",
    "block_type",
    "name",
    "description",
    "position",
    "properties",
    "inputs",
    "outputs",
];
/// Port keys, in canonical order.
pub const PORT_KEYS: &[&str] = &["name", "type", "required", "description", "default"];
/// `model_config` keys, in canonical order.
pub const MODEL_CONFIG_KEYS: &[&str] =
    &["provider", "model", "temperature", "max_tokens", "timeout"];
/// Parameter keys, in canonical order.
pub const PARAMETER_KEYS: &[&str] = &["name", "type", "value", "default", "description"];
/// Connection keys, in canonical order.
pub const CONNECTION_KEYS: &[&str] = &[
    "id",
    "source_block",
    "source_port",
    "target_block",
    "target_port",
    "data_type",
    "transform",
];
/// Variable keys, in canonical order.
pub const VARIABLE_KEYS: &[&str] = &["type", "value", "description"];
/// `execution_config` keys, in canonical order.
pub const EXECUTION_CONFIG_KEYS: &[&str] = &[
    "mode",
    "max_concurrent_blocks",
    "timeout",
    "retry_policy",
    "logging_level",
];
/// `retry_policy` keys, in canonical order.
pub const RETRY_POLICY_KEYS: &[&str] = &["max_attempts", "backoff"];
/// `canvas_state` keys, in canonical order.
pub const CANVAS_STATE_KEYS: &[&str] = &["zoom", "pan", "selected_blocks"];
/// The workflow's `error_handling` keys.
pub const ERROR_HANDLING_KEYS: &[&str] = &["on_block_error"];

/// The canonical key order of a block of this kind.
pub fn block_keys(kind: &BlockKind) -> &'static [&'static str] {
    match kind {
        BlockKind::Visual { .. } => VISUAL_BLOCK_KEYS,
        BlockKind::Code { .. } => CODE_BLOCK_KEYS,
        BlockKind::Hybrid { .. } => HYBRID_BLOCK_KEYS,
        BlockKind::Ai { .. } => AI_BLOCK_KEYS,
        BlockKind::Plugin { .. } => PLUGIN_BLOCK_KEYS,
    }
}

/// Writes the document as canonical `.agentblocks` JSON, with one trailing newline.
pub fn write_document(doc: &Document) -> String {
    let value = document_value(doc);
    // Serializing a `Value` cannot fail (all keys are strings).
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// The document as a JSON value with canonical key order.
pub fn document_value(doc: &Document) -> Json {
    let mut o = Obj::new(&doc.extra);
    o.field("format_version", Some(string(&doc.format_version)));
    o.field("workflow", Some(workflow_value(&doc.workflow)));
    o.finish(TOP_KEYS)
}

/// Builds one object: known keys in order (raw extras of known keys at their slot), then the
/// unknown extras.
struct Obj<'a> {
    map: Map<String, Json>,
    extra: &'a [Extra],
}

impl<'a> Obj<'a> {
    fn new(extra: &'a [Extra]) -> Obj<'a> {
        Obj {
            map: Map::new(),
            extra,
        }
    }

    fn field(&mut self, key: &str, value: Option<Json>) {
        if let Some(raw) = self.extra.iter().rev().find(|e| e.key.value == key) {
            self.map.insert(key.to_string(), raw.value.value.clone());
        } else if let Some(value) = value {
            self.map.insert(key.to_string(), value);
        }
    }

    fn finish(mut self, known: &[&str]) -> Json {
        for extra in self.extra {
            if !known.contains(&extra.key.value.as_str()) {
                self.map
                    .insert(extra.key.value.clone(), extra.value.value.clone());
            }
        }
        Json::Object(self.map)
    }
}

fn string(s: &Str) -> Json {
    Json::String(s.value.clone())
}

fn opt_str(s: &Option<Str>) -> Option<Json> {
    s.as_ref().map(string)
}

fn opt_text(s: &Option<MappedStr>) -> Option<Json> {
    s.as_deref().map(string)
}

fn num(n: &Num) -> Json {
    Json::Number(n.value.clone())
}

fn opt_num(n: &Option<Num>) -> Option<Json> {
    n.as_ref().map(num)
}

fn opt_any(v: &Option<Spanned<Json>>) -> Option<Json> {
    v.as_ref().map(|v| v.value.clone())
}

fn type_ref(t: &TypeRef) -> Json {
    Json::String(t.text.clone())
}

fn str_list(list: &Spanned<Vec<Str>>) -> Json {
    Json::Array(list.value.iter().map(string).collect())
}

fn position(p: &Position) -> Json {
    let mut map = Map::new();
    map.insert("x".to_string(), num(&p.x));
    map.insert("y".to_string(), num(&p.y));
    Json::Object(map)
}

fn error_action(action: &ErrorAction) -> Json {
    match action {
        ErrorAction::Stop(_) => Json::String("Stop".to_string()),
        ErrorAction::Continue(_) => Json::String("Continue".to_string()),
        ErrorAction::Retry(n) => single("Retry", num(n)),
    }
}

fn single(key: &str, value: Json) -> Json {
    let mut map = Map::new();
    map.insert(key.to_string(), value);
    Json::Object(map)
}

fn workflow_value(w: &Workflow) -> Json {
    let mut o = Obj::new(&w.extra);
    o.field("id", opt_str(&w.id));
    o.field("name", opt_str(&w.name));
    o.field("description", opt_str(&w.description));
    o.field("version", opt_str(&w.version));
    o.field("created_at", opt_str(&w.created_at));
    o.field("modified_at", opt_str(&w.modified_at));
    o.field("author", opt_str(&w.author));
    o.field("tags", w.tags.as_ref().map(str_list));
    o.field("types", w.types.as_deref().map(types_value));
    o.field(
        "blocks",
        w.blocks.as_ref().map(|blocks| {
            Json::Object(
                blocks
                    .iter()
                    .map(|b| (b.id.value.clone(), block_value(b)))
                    .collect(),
            )
        }),
    );
    o.field(
        "connections",
        w.connections
            .as_ref()
            .map(|list| Json::Array(list.iter().map(connection_value).collect())),
    );
    o.field(
        "variables",
        w.variables.as_ref().map(|vars| {
            Json::Object(
                vars.iter()
                    .map(|v| (v.name.value.clone(), variable_value(v)))
                    .collect(),
            )
        }),
    );
    o.field(
        "execution_config",
        w.execution_config.as_ref().map(execution_config_value),
    );
    o.field(
        "error_handling",
        w.error_handling.as_ref().map(error_handling_value),
    );
    o.field(
        "canvas_state",
        w.canvas_state.as_ref().map(canvas_state_value),
    );
    o.field("ui_state", opt_any(&w.ui_state));
    o.finish(WORKFLOW_KEYS)
}

fn types_value(types: &[TypeDecl]) -> Json {
    Json::Object(
        types
            .iter()
            .map(|t| (t.name.value.clone(), type_ref(&t.ty)))
            .collect(),
    )
}

fn properties_value(properties: &[Property]) -> Json {
    Json::Object(
        properties
            .iter()
            .map(|p| (p.key.value.clone(), p.value.value.clone()))
            .collect(),
    )
}

/// One block as a JSON object (without its id, which is the key in `blocks`).
pub fn block_value(b: &Block) -> Json {
    let mut o = Obj::new(&b.extra);
    o.field("type", Some(Json::String(b.kind.type_name().to_string())));
    match &b.kind {
        BlockKind::Visual { block_type, .. } => o.field("block_type", Some(string(block_type))),
        BlockKind::Code { language, .. } => o.field("language", Some(string(language))),
        BlockKind::Hybrid { base_language, .. } => {
            o.field("base_language", Some(string(base_language)))
        }
        BlockKind::Ai { .. } => {}
        BlockKind::Plugin {
            plugin, block_type, ..
        } => {
            o.field("plugin", Some(string(plugin)));
            o.field("block_type", Some(string(block_type)));
        }
    }
    o.field("name", opt_str(&b.name));
    o.field("description", opt_str(&b.description));
    o.field("position", b.position.as_ref().map(position));
    match &b.kind {
        BlockKind::Visual { properties, .. } | BlockKind::Plugin { properties, .. } => {
            o.field("properties", properties.as_deref().map(properties_value));
        }
        BlockKind::Code {
            source_code,
            dependencies,
            error_handling,
            ..
        } => {
            o.field("source_code", opt_str(source_code));
            o.field("dependencies", dependencies.as_ref().map(str_list));
            o.field("error_handling", error_handling.as_ref().map(error_action));
        }
        BlockKind::Hybrid {
            template,
            parameters,
            preview_code,
            ..
        } => {
            o.field("template", template.as_ref().map(template_value));
            o.field(
                "parameters",
                parameters
                    .as_ref()
                    .map(|list| Json::Array(list.iter().map(parameter_value).collect())),
            );
            o.field("preview_code", opt_str(preview_code));
        }
        BlockKind::Ai {
            model_config,
            system_prompt,
            user_prompt_template,
            context_analysis,
            output_format,
            fallback_behavior,
        } => {
            o.field(
                "model_config",
                model_config.as_ref().map(model_config_value),
            );
            o.field("system_prompt", opt_text(system_prompt));
            o.field("user_prompt_template", opt_text(user_prompt_template));
            o.field("context_analysis", opt_any(context_analysis));
            o.field("output_format", opt_str(output_format));
            o.field("fallback_behavior", opt_any(fallback_behavior));
        }
    }
    let ports = |ports: &Option<Vec<Port>>| {
        ports
            .as_ref()
            .map(|list| Json::Array(list.iter().map(port_value).collect()))
    };
    o.field("inputs", ports(&b.inputs));
    o.field("outputs", ports(&b.outputs));
    o.finish(block_keys(&b.kind))
}

/// One port as a JSON object.
pub fn port_value(p: &Port) -> Json {
    let mut o = Obj::new(&p.extra);
    o.field("name", Some(string(&p.name)));
    o.field("type", Some(type_ref(&p.ty)));
    o.field("required", p.required.as_ref().map(|r| Json::Bool(r.value)));
    o.field("description", opt_str(&p.description));
    o.field("default", opt_any(&p.default));
    o.finish(PORT_KEYS)
}

fn template_value(t: &Template) -> Json {
    let mut map = Map::new();
    map.insert("source".to_string(), string(&t.source));
    map.insert(
        "placeholders".to_string(),
        Json::Object(
            t.placeholders
                .iter()
                .map(|p| (p.name.value.clone(), placeholder_value(p)))
                .collect(),
        ),
    );
    Json::Object(map)
}

fn placeholder_value(p: &Placeholder) -> Json {
    match &p.kind {
        PlaceholderKind::Simple(s) => single("Simple", string(s)),
        PlaceholderKind::Expression(s) => single("Expression", string(s)),
        PlaceholderKind::CodeBlock(s) => single("CodeBlock", string(s)),
        PlaceholderKind::Conditional {
            condition,
            if_true,
            if_false,
        } => {
            let mut map = Map::new();
            map.insert("condition".to_string(), string(condition));
            map.insert("if_true".to_string(), string(if_true));
            map.insert("if_false".to_string(), string(if_false));
            single("Conditional", Json::Object(map))
        }
        PlaceholderKind::Raw(raw) => raw.value.clone(),
    }
}

fn parameter_value(p: &Parameter) -> Json {
    let mut o = Obj::new(&p.extra);
    o.field("name", Some(string(&p.name)));
    o.field("type", p.ty.as_ref().map(type_ref));
    o.field("value", opt_any(&p.value));
    o.field("default", opt_any(&p.default));
    o.field("description", opt_str(&p.description));
    o.finish(PARAMETER_KEYS)
}

fn model_config_value(c: &ModelConfig) -> Json {
    let mut o = Obj::new(&c.extra);
    let provider = match &c.provider {
        Provider::Anthropic(_) => Json::String("Anthropic".to_string()),
        Provider::OpenAi(_) => Json::String("OpenAI".to_string()),
        Provider::Local { endpoint, .. } => single("Local", single("endpoint", string(endpoint))),
    };
    o.field("provider", Some(provider));
    o.field("model", opt_str(&c.model));
    o.field("temperature", opt_num(&c.temperature));
    o.field("max_tokens", opt_num(&c.max_tokens));
    o.field("timeout", opt_num(&c.timeout));
    o.finish(MODEL_CONFIG_KEYS)
}

/// One connection as a JSON object.
pub fn connection_value(c: &Connection) -> Json {
    let mut o = Obj::new(&c.extra);
    o.field("id", opt_str(&c.id));
    o.field("source_block", Some(string(&c.source_block)));
    o.field("source_port", Some(string(&c.source_port)));
    o.field("target_block", Some(string(&c.target_block)));
    o.field("target_port", Some(string(&c.target_port)));
    o.field("data_type", c.data_type.as_ref().map(type_ref));
    o.field("transform", opt_any(&c.transform));
    o.finish(CONNECTION_KEYS)
}

fn variable_value(v: &Variable) -> Json {
    let mut o = Obj::new(&v.extra);
    o.field("type", v.ty.as_ref().map(type_ref));
    o.field("value", opt_any(&v.value));
    o.field("description", opt_str(&v.description));
    o.finish(VARIABLE_KEYS)
}

fn execution_config_value(c: &ExecutionConfig) -> Json {
    let mut o = Obj::new(&c.extra);
    o.field("mode", opt_str(&c.mode));
    o.field("max_concurrent_blocks", opt_num(&c.max_concurrent_blocks));
    o.field("timeout", opt_num(&c.timeout));
    o.field(
        "retry_policy",
        c.retry_policy.as_ref().map(retry_policy_value),
    );
    o.field("logging_level", opt_str(&c.logging_level));
    o.finish(EXECUTION_CONFIG_KEYS)
}

fn retry_policy_value(p: &RetryPolicy) -> Json {
    let mut o = Obj::new(&p.extra);
    o.field("max_attempts", opt_num(&p.max_attempts));
    o.field("backoff", opt_str(&p.backoff));
    o.finish(RETRY_POLICY_KEYS)
}

fn error_handling_value(h: &WorkflowErrorHandling) -> Json {
    let mut o = Obj::new(&h.extra);
    o.field(
        "on_block_error",
        h.on_block_error.as_ref().map(error_action),
    );
    o.finish(ERROR_HANDLING_KEYS)
}

fn canvas_state_value(c: &CanvasState) -> Json {
    let mut o = Obj::new(&c.extra);
    o.field("zoom", opt_num(&c.zoom));
    o.field("pan", c.pan.as_ref().map(position));
    o.field("selected_blocks", c.selected_blocks.as_ref().map(str_list));
    o.finish(CANVAS_STATE_KEYS)
}
