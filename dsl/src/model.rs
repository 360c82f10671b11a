//! The typed workflow model: what a `.ab` file and an `.agentblocks` file both mean.
//!
//! Every node carries the [`Span`] of the text it was read from (DSL or JSON), so diagnostics
//! can point at either file kind. Known fields are typed; a known field whose JSON value does
//! not fit its type, and every unknown key, is kept verbatim as an [`Extra`] so that nothing is
//! ever lost (see `docs/language.md`, "The `@` form").
//!
//! Conventions:
//! - `Option<T>` is "the key is absent" when `None`. `Option<Vec<T>>` distinguishes an absent
//!   collection (`None`) from a present, empty one (`Some(vec![])`).
//! - Enumerations are stored as the exact JSON string ([`Str`]); the printer maps the known
//!   spellings (`"Parallel"`) to DSL identifiers (`parallel`) and keeps any other spelling
//!   verbatim as a string literal.
//! - Numbers are `serde_json::Number`, which keeps integers and floats apart (`1` vs `1.0`).

use std::collections::{HashMap, VecDeque};

use rustc_hash::FxHashMap;

use serde_json::Number;

/// A JSON value; maps keep the file's key order (`serde_json` with `preserve_order`).
pub type Json = serde_json::Value;

/// A byte range in the source text (DSL or JSON) a node was read from.
///
/// Nodes built in memory (not read from text) have the empty span `0..0`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A value with the span it was read from.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wraps a value with its span.
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

/// A string with its span.
pub type Str = Spanned<String>;

/// Where the bytes of a decoded string were written: `(decoded offset, source offset)` pairs,
/// by decoded offset, each starting a run where both advance together; source offsets are
/// relative to the literal's span start, so moving the string (`syntax/shift.rs`) leaves the
/// map as is. Empty when unknown (a string built in memory, or read through `@key`).
///
/// A quoted string has a run after each escape; a fenced body one per line (the decoded text
/// is the lines with the common indentation removed).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TextMap(pub Vec<(u32, u32)>);

impl TextMap {
    /// The map of a quoted literal (`literal` is its whole text, quotes included), re-scanned
    /// for JSON escapes (the DSL's quoted strings have the same); empty when it is not one.
    pub fn of_quoted(literal: &str) -> TextMap {
        let Some(inner) = literal
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
        else {
            return TextMap::default();
        };
        let mut runs = vec![(0, 1)];
        let bytes = inner.as_bytes();
        let (mut decoded, mut at) = (0usize, 0usize);
        while at < bytes.len() {
            if bytes[at] != b'\\' {
                at += 1;
                decoded += 1;
                continue;
            }
            let (written, len) = match bytes.get(at + 1) {
                Some(b'u') => {
                    let unit = |from: usize| {
                        inner
                            .get(from..from + 4)
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                    };
                    let low = inner.get(at + 6..at + 8) == Some("\\u");
                    match unit(at + 2) {
                        Some(0xD800..=0xDBFF) => match unit(at + 8) {
                            Some(0xDC00..=0xDFFF) if low => (12, 4),
                            _ => return TextMap::default(),
                        },
                        Some(code) => match char::from_u32(code) {
                            Some(c) => (6, c.len_utf8()),
                            None => return TextMap::default(),
                        },
                        None => return TextMap::default(),
                    }
                }
                Some(_) => (2, 1),
                None => return TextMap::default(),
            };
            at += written;
            decoded += len;
            runs.push((decoded as u32, (at + 1) as u32));
        }
        TextMap(runs)
    }

    /// The source offset (relative to the span start) of decoded offset `at`.
    fn source(&self, at: usize) -> Option<usize> {
        let i = self
            .0
            .partition_point(|(d, _)| *d as usize <= at)
            .checked_sub(1)?;
        let (d, s) = self.0[i];
        Some(s as usize + (at - d as usize))
    }
}

/// A string whose decoded text can map back to where it was written: a template's source and
/// an AI block's prompts, whose checks point inside them. Reads as the [`Str`] it holds.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MappedStr {
    /// The string.
    pub str: Str,
    /// Where its bytes were written.
    pub map: TextMap,
}

impl MappedStr {
    /// The span of the decoded bytes `start..end`, when it is known: through the map, or, for
    /// a quoted string without escapes (its span two bytes longer than its text), directly.
    pub fn span_of(&self, start: usize, end: usize) -> Option<Span> {
        let base = self.str.span.start;
        if end <= start || end > self.str.value.len() {
            return None;
        }
        if !self.map.0.is_empty() {
            let from = base + self.map.source(start)?;
            let to = base + self.map.source(end - 1)? + 1;
            return (to <= self.str.span.end && from < to).then(|| Span::new(from, to));
        }
        let written = self.str.span.end.saturating_sub(base);
        (written == self.str.value.len() + 2).then(|| Span::new(base + 1 + start, base + 1 + end))
    }
}

impl From<Str> for MappedStr {
    fn from(str: Str) -> MappedStr {
        MappedStr {
            str,
            map: TextMap::default(),
        }
    }
}

impl std::ops::Deref for MappedStr {
    type Target = Str;
    fn deref(&self) -> &Str {
        &self.str
    }
}

impl std::ops::DerefMut for MappedStr {
    fn deref_mut(&mut self) -> &mut Str {
        &mut self.str
    }
}

/// A JSON number with its span (integers and floats stay distinct).
pub type Num = Spanned<Number>;

/// A JSON key kept verbatim: an unknown key, or a known key whose value does not fit the
/// model's type for it. Written `@key = value` in the DSL.
#[derive(Clone, Debug, PartialEq)]
pub struct Extra {
    /// The key, exactly as in the JSON object.
    pub key: Str,
    /// The value, verbatim.
    pub value: Spanned<Json>,
    /// The whole `@key = value` statement (DSL) or `"key": value` member (JSON).
    pub span: Span,
}

/// The whole file: the JSON top level.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Document {
    /// `format_version`; the DSL omits it when it is `"1.0"`.
    pub format_version: Str,
    /// The workflow.
    pub workflow: Workflow,
    /// Unknown top-level keys.
    pub extra: Vec<Extra>,
    /// Plain comments of the DSL text (JSON has none); see [`Trivia`].
    pub trivia: Trivia,
}

/// The workflow object.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Workflow {
    /// The span of the whole workflow (DSL: `workflow ... { ... }`; JSON: the object).
    pub span: Span,
    /// The span of the header: DSL `workflow "Name"`; JSON the `"workflow"` key.
    pub header_span: Span,
    /// `id`.
    pub id: Option<Str>,
    /// `name` (display name).
    pub name: Option<Str>,
    /// `description` (DSL: the `///` doc comment before `workflow`).
    pub description: Option<Str>,
    /// `version`.
    pub version: Option<Str>,
    /// `created_at`.
    pub created_at: Option<Str>,
    /// `modified_at`.
    pub modified_at: Option<Str>,
    /// `author`.
    pub author: Option<Str>,
    /// `tags`.
    pub tags: Option<Spanned<Vec<Str>>>,
    /// `types`: named types, in the file's order.
    pub types: Option<Vec<TypeDecl>>,
    /// `blocks`, in the file's order.
    pub blocks: Option<Vec<Block>>,
    /// `connections`, in the file's order (the order they were drawn).
    pub connections: Option<Vec<Connection>>,
    /// `variables`, in the file's order.
    pub variables: Option<Vec<Variable>>,
    /// `execution_config`.
    pub execution_config: Option<ExecutionConfig>,
    /// `error_handling`.
    pub error_handling: Option<WorkflowErrorHandling>,
    /// `canvas_state`.
    pub canvas_state: Option<CanvasState>,
    /// `ui_state`, kept as is.
    pub ui_state: Option<Spanned<Json>>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// A named type: one entry of `workflow.types`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDecl {
    /// The whole declaration.
    pub span: Span,
    /// The type's name (the JSON key).
    pub name: Str,
    /// What it stands for.
    pub ty: TypeRef,
}

/// A type as written: the verbatim JSON type string plus its span.
///
/// The text is kept exactly (a non-canonical spelling such as `"List[ Path ]"` survives a round
/// trip); [`crate::types`] parses it.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeRef {
    /// The type string exactly as the JSON file holds it (`Optional[String]`, never `String?`).
    pub text: String,
    /// Where it was written.
    pub span: Span,
}

/// One block: an entry of `workflow.blocks`.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// The whole block.
    pub span: Span,
    /// The block's id (the JSON key).
    pub id: Str,
    /// The `type` and its kind-specific fields.
    pub kind: BlockKind,
    /// Span of the kind as written (DSL: `python`, `find_files`, `plugin x.y`; JSON: `"type"`).
    pub kind_span: Span,
    /// `name`, the display name.
    pub name: Option<Str>,
    /// `description`.
    pub description: Option<Str>,
    /// `position`.
    pub position: Option<Position>,
    /// `inputs`.
    pub inputs: Option<Vec<Port>>,
    /// `outputs`.
    pub outputs: Option<Vec<Port>>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// A canvas position `{"x": number, "y": number}` (exactly those two keys; anything else is
/// kept as an [`Extra`] named `position`).
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    /// Where it was written.
    pub span: Span,
    /// `x`.
    pub x: Num,
    /// `y`.
    pub y: Num,
}

/// The `type` of a block and the fields that only that type has.
// Blocks are few and stored inline in `Vec<Block>`; boxing the AI variant would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum BlockKind {
    /// `"type": "visual"`: a built-in block.
    Visual {
        /// `block_type`, e.g. `find_files` (required).
        block_type: Str,
        /// `properties`, in the file's order.
        properties: Option<Vec<Property>>,
    },
    /// `"type": "code"`.
    Code {
        /// `language` (required), e.g. `python`.
        language: Str,
        /// `source_code`.
        source_code: Option<Str>,
        /// `dependencies`.
        dependencies: Option<Spanned<Vec<Str>>>,
        /// `error_handling`.
        error_handling: Option<ErrorAction>,
    },
    /// `"type": "hybrid"`: a code template.
    Hybrid {
        /// `base_language` (required).
        base_language: Str,
        /// `template`.
        template: Option<Template>,
        /// `parameters`.
        parameters: Option<Vec<Parameter>>,
        /// `preview_code`.
        preview_code: Option<Str>,
    },
    /// `"type": "ai"`.
    Ai {
        /// `model_config`.
        model_config: Option<ModelConfig>,
        /// `system_prompt`.
        system_prompt: Option<MappedStr>,
        /// `user_prompt_template`.
        user_prompt_template: Option<MappedStr>,
        /// `context_analysis`, kept as is.
        context_analysis: Option<Spanned<Json>>,
        /// `output_format`: `"Text"` or `"Json"` (verbatim).
        output_format: Option<Str>,
        /// `fallback_behavior`, kept as is.
        fallback_behavior: Option<Spanned<Json>>,
    },
    /// `"type": "plugin"`.
    Plugin {
        /// `plugin`: the plugin's name (required).
        plugin: Str,
        /// `block_type`: a block the plugin provides (required).
        block_type: Str,
        /// `properties`.
        properties: Option<Vec<Property>>,
    },
}

impl BlockKind {
    /// The JSON `type` string of this kind.
    pub fn type_name(&self) -> &'static str {
        match self {
            BlockKind::Visual { .. } => "visual",
            BlockKind::Code { .. } => "code",
            BlockKind::Hybrid { .. } => "hybrid",
            BlockKind::Ai { .. } => "ai",
            BlockKind::Plugin { .. } => "plugin",
        }
    }
}

/// One entry of a block's `properties` object.
#[derive(Clone, Debug, PartialEq)]
pub struct Property {
    /// The whole `key = value` statement / JSON member.
    pub span: Span,
    /// The property's name.
    pub key: Str,
    /// Its value, kept as is.
    pub value: Spanned<Json>,
}

/// An input or output port.
#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    /// The whole port declaration.
    pub span: Span,
    /// `name` (required).
    pub name: Str,
    /// `type` (required).
    pub ty: TypeRef,
    /// `required`; absent means required for an input.
    pub required: Option<Spanned<bool>>,
    /// `description`.
    pub description: Option<Str>,
    /// `default`.
    pub default: Option<Spanned<Json>>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// What happens when a block fails: `"Stop"`, `"Continue"` or `{"Retry": attempts}`.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorAction {
    /// `"Stop"`.
    Stop(Span),
    /// `"Continue"`.
    Continue(Span),
    /// `{"Retry": attempts}`.
    Retry(Num),
}

/// A hybrid block's `template`: `{"source": string, "placeholders": {name: Placeholder}}`, both
/// keys present and no others (anything else is kept as an [`Extra`] named `template`).
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Where it was written.
    pub span: Span,
    /// `source`: the code with `{{name}}` placeholders.
    pub source: MappedStr,
    /// `placeholders`, in the file's order.
    pub placeholders: Vec<Placeholder>,
}

/// One entry of `template.placeholders`.
#[derive(Clone, Debug, PartialEq)]
pub struct Placeholder {
    /// The whole entry.
    pub span: Span,
    /// The placeholder's name, as written `{{name}}` in the source.
    pub name: Str,
    /// How it is expanded.
    pub kind: PlaceholderKind,
}

/// How a placeholder expands.
#[derive(Clone, Debug, PartialEq)]
pub enum PlaceholderKind {
    /// `{"Simple": param}`: the parameter's value as plain text.
    Simple(Str),
    /// `{"Expression": param}`: the value as a literal of the base language.
    Expression(Str),
    /// `{"CodeBlock": language}`: a parameter of the placeholder's name holding code.
    CodeBlock(Str),
    /// `{"Conditional": {"condition": param, "if_true": text, "if_false": text}}`.
    Conditional {
        /// `condition`: a parameter name.
        condition: Str,
        /// `if_true`.
        if_true: Str,
        /// `if_false`.
        if_false: Str,
    },
    /// Any other JSON value, kept as is.
    Raw(Spanned<Json>),
}

/// One entry of a hybrid block's `parameters`.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// The whole entry.
    pub span: Span,
    /// `name` (required).
    pub name: Str,
    /// `type`.
    pub ty: Option<TypeRef>,
    /// `value`.
    pub value: Option<Spanned<Json>>,
    /// `default`.
    pub default: Option<Spanned<Json>>,
    /// `description`.
    pub description: Option<Str>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// An AI block's `model_config`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Where it was written.
    pub span: Span,
    /// `provider` (required).
    pub provider: Provider,
    /// `model`.
    pub model: Option<Str>,
    /// `temperature`.
    pub temperature: Option<Num>,
    /// `max_tokens`.
    pub max_tokens: Option<Num>,
    /// `timeout`, in seconds.
    pub timeout: Option<Num>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// An AI provider: `"Anthropic"`, `"OpenAI"` or `{"Local": {"endpoint": url}}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Provider {
    /// `"Anthropic"`.
    Anthropic(Span),
    /// `"OpenAI"`.
    OpenAi(Span),
    /// `{"Local": {"endpoint": url}}`.
    Local {
        /// Where it was written.
        span: Span,
        /// The endpoint URL.
        endpoint: Str,
    },
}

/// One entry of `workflow.connections`.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// The whole connection (DSL: the `<- block.port` source, or the `connect` statement).
    pub span: Span,
    /// `id`; DSL-written connections without one get [`Connection::derived_id`].
    pub id: Option<Str>,
    /// `source_block` (required).
    pub source_block: Str,
    /// `source_port` (required).
    pub source_port: Str,
    /// `target_block` (required).
    pub target_block: Str,
    /// `target_port` (required).
    pub target_port: Str,
    /// `data_type`; DSL-written connections without one get the source port's type.
    pub data_type: Option<TypeRef>,
    /// `transform`, kept as is.
    pub transform: Option<Spanned<Json>>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

impl Connection {
    /// The id a connection written in the DSL without `id = ...` gets:
    /// `source_block.source_port->target_block.target_port`.
    pub fn derived_id(&self) -> String {
        derived_id_of(
            &self.source_block.value,
            &self.source_port.value,
            &self.target_block.value,
            &self.target_port.value,
        )
    }

    /// The id that names this connection in `connection_order`: its `id`, or the derived one.
    pub fn effective_id(&self) -> String {
        match &self.id {
            Some(id) => id.value.clone(),
            None => self.derived_id(),
        }
    }
}

/// The position of the first block with each id, by id (see [`first_blocks`]).
pub type FirstBlocks<'a> = FxHashMap<&'a str, usize>;

/// The position of the first block with each id (later duplicates are the checker's concern).
pub fn first_blocks(blocks: &[Block]) -> FirstBlocks<'_> {
    let mut index = FirstBlocks::with_capacity_and_hasher(blocks.len(), Default::default());
    for (i, block) in blocks.iter().enumerate() {
        index.entry(block.id.value.as_str()).or_insert(i);
    }
    index
}

/// The type text of the port a connection reads: the first output of that name of the first
/// block of that id. A connection written in the DSL without `data_type` gets it, and the
/// printer leaves out a `data_type` equal to it.
pub fn source_port_type<'a>(
    blocks: &'a [Block],
    first: &FirstBlocks,
    connection: &Connection,
) -> Option<&'a str> {
    let block = &blocks[*first.get(connection.source_block.value.as_str())?];
    block
        .outputs
        .as_deref()?
        .iter()
        .find(|port| port.name.value == connection.source_port.value)
        .map(|port| port.ty.text.as_str())
}

/// The id a connection between these ends gets when none is written ([`Connection::derived_id`]).
pub fn derived_id_of(
    source_block: &str,
    source_port: &str,
    target_block: &str,
    target_port: &str,
) -> String {
    format!("{source_block}.{source_port}->{target_block}.{target_port}")
}

/// Applies `connection_order`: `text_ids` are the effective ids of the connections in text
/// order; each id of `order` takes the first connection with that id not yet taken, and the
/// connections it does not name follow in text order. Returns the new order (indices into
/// `text_ids`) and the positions in `order` of ids that matched no connection.
pub fn apply_connection_order(text_ids: &[String], order: &[&str]) -> (Vec<usize>, Vec<usize>) {
    let mut by_id: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, id) in text_ids.iter().enumerate() {
        by_id.entry(id.as_str()).or_default().push_back(i);
    }
    let mut taken = vec![false; text_ids.len()];
    let mut ordered = Vec::with_capacity(text_ids.len());
    let mut unmatched = Vec::new();
    for (position, id) in order.iter().enumerate() {
        match by_id.get_mut(id).and_then(VecDeque::pop_front) {
            Some(i) => {
                taken[i] = true;
                ordered.push(i);
            }
            None => unmatched.push(position),
        }
    }
    ordered.extend((0..text_ids.len()).filter(|&i| !taken[i]));
    (ordered, unmatched)
}

/// One entry of `workflow.variables`.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    /// The whole declaration.
    pub span: Span,
    /// The variable's name (the JSON key).
    pub name: Str,
    /// `type`.
    pub ty: Option<TypeRef>,
    /// `value`.
    pub value: Option<Spanned<Json>>,
    /// `description`.
    pub description: Option<Str>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// `workflow.execution_config`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ExecutionConfig {
    /// Where it was written.
    pub span: Span,
    /// `mode`: `"Sequential" | "Parallel" | "Streaming" | "Reactive"` (verbatim).
    pub mode: Option<Str>,
    /// `max_concurrent_blocks`.
    pub max_concurrent_blocks: Option<Num>,
    /// `timeout`, in seconds.
    pub timeout: Option<Num>,
    /// `retry_policy`.
    pub retry_policy: Option<RetryPolicy>,
    /// `logging_level`: `"Trace" | "Debug" | "Info" | "Warn" | "Error"` (verbatim).
    pub logging_level: Option<Str>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// `execution_config.retry_policy`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RetryPolicy {
    /// Where it was written.
    pub span: Span,
    /// `max_attempts`.
    pub max_attempts: Option<Num>,
    /// `backoff`: `"Fixed" | "Linear" | "Exponential"` (verbatim).
    pub backoff: Option<Str>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// `workflow.error_handling`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct WorkflowErrorHandling {
    /// Where it was written.
    pub span: Span,
    /// `on_block_error`.
    pub on_block_error: Option<ErrorAction>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// `workflow.canvas_state`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CanvasState {
    /// Where it was written.
    pub span: Span,
    /// `zoom`.
    pub zoom: Option<Num>,
    /// `pan` (`{"x", "y"}`, like [`Position`]).
    pub pan: Option<Position>,
    /// `selected_blocks`: block ids.
    pub selected_blocks: Option<Spanned<Vec<Str>>>,
    /// Unknown keys, and known keys whose value does not fit the model.
    pub extra: Vec<Extra>,
}

/// Plain comments of a DSL file, attached to the statements they precede or follow.
///
/// JSON cannot hold them; the formatter prints them back at their anchors. Anchors are the
/// strings documented in `docs/architecture.md` ("Comment anchors"), computed identically by
/// the lowering and the printer.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Trivia {
    /// Comments by anchor, in the order the anchors were first seen.
    comments: Vec<(String, Comments)>,
    /// Position of each anchor in `comments`.
    index: HashMap<String, usize>,
}

impl Trivia {
    /// True when the file had no plain comments.
    pub fn is_empty(&self) -> bool {
        self.comments.is_empty()
    }

    /// The comments attached at `anchor`, if any.
    pub fn get(&self, anchor: &str) -> Option<&Comments> {
        self.index.get(anchor).map(|&i| &self.comments[i].1)
    }

    /// The comments at `anchor`, created empty if needed.
    pub fn entry(&mut self, anchor: &str) -> &mut Comments {
        let index = match self.index.get(anchor) {
            Some(&index) => index,
            None => {
                self.comments
                    .push((anchor.to_string(), Comments::default()));
                self.index
                    .insert(anchor.to_string(), self.comments.len() - 1);
                self.comments.len() - 1
            }
        };
        &mut self.comments[index].1
    }

    /// Every anchor and its comments, in the order the anchors were first seen.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Comments)> {
        self.comments.iter().map(|(anchor, c)| (anchor.as_str(), c))
    }

    /// The number of comment lines held.
    pub fn count(&self) -> usize {
        self.comments
            .iter()
            .map(|(_, c)| c.leading.len() + usize::from(c.trailing.is_some()))
            .sum()
    }
}

impl FromIterator<(String, Comments)> for Trivia {
    fn from_iter<I: IntoIterator<Item = (String, Comments)>>(items: I) -> Trivia {
        let mut trivia = Trivia::default();
        for (anchor, comments) in items {
            *trivia.entry(&anchor) = comments;
        }
        trivia
    }
}

/// The comments of one anchor.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Comments {
    /// Whole-line comments before the statement, each the full text from `//` to the end of
    /// its line (trailing whitespace removed).
    pub leading: Vec<String>,
    /// A comment at the end of the statement's last line.
    pub trailing: Option<String>,
}
