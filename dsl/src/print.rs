//! Model -> canonical DSL text: the formatter's back end and the JSON -> DSL converter.
//!
//! [`print_document`] is a pure function of the model (spans are ignored): the same model always
//! prints the same text. The layout rules are those of `docs/language.md` ("Canonical format");
//! plain comments come from [`Document::trivia`] at the anchors of `docs/architecture.md`
//! ("Comment anchors"), and a comment whose anchor is not reached is printed before the
//! workflow's closing `}` so that none is ever lost.

use std::collections::{HashMap, HashSet};

use crate::model::{
    apply_connection_order, first_blocks, source_port_type, Block, BlockKind, CanvasState,
    Connection, Document, ErrorAction, ExecutionConfig, Extra, FirstBlocks, Json, ModelConfig,
    Parameter, PlaceholderKind, Port, Position, Provider, RetryPolicy, Str, Trivia, TypeRef,
    Variable, Workflow, WorkflowErrorHandling,
};
use crate::types::{self, Type};

/// The keywords of the language: a name equal to one of them is printed as a string.
pub const KEYWORDS: &[&str] = &[
    "workflow",
    "block",
    "in",
    "out",
    "required",
    "optional",
    "var",
    "type",
    "param",
    "placeholder",
    "connect",
    "at",
    "code",
    "template",
    "preview",
    "visual",
    "plugin",
    "ai",
    "python",
    "javascript",
    "shell",
    "sql",
    "rust",
    "true",
    "false",
    "null",
];

/// The code languages written bare after `=` in a block header (`python`, ...).
const CODE_LANGUAGES: &[&str] = &["python", "javascript", "shell", "sql", "rust"];

// The known keys of each object, in canonical order: the JSON writer's lists, so that `@`
// keys print in the order the writer puts them.
use crate::json::write::{
    block_keys, CANVAS_STATE_KEYS as CANVAS_KEYS, CONNECTION_KEYS, ERROR_HANDLING_KEYS,
    EXECUTION_CONFIG_KEYS as CONFIG_KEYS, MODEL_CONFIG_KEYS as MODEL_KEYS, PARAMETER_KEYS,
    PORT_KEYS, RETRY_POLICY_KEYS as RETRY_KEYS, TOP_KEYS, VARIABLE_KEYS, WORKFLOW_KEYS,
};

const MODES: &[(&str, &str)] = &[
    ("Sequential", "sequential"),
    ("Parallel", "parallel"),
    ("Streaming", "streaming"),
    ("Reactive", "reactive"),
];
const BACKOFFS: &[(&str, &str)] = &[
    ("Fixed", "fixed"),
    ("Linear", "linear"),
    ("Exponential", "exponential"),
];
const LEVELS: &[(&str, &str)] = &[
    ("Trace", "trace"),
    ("Debug", "debug"),
    ("Info", "info"),
    ("Warn", "warn"),
    ("Error", "error"),
];
const OUTPUT_FORMATS: &[(&str, &str)] = &[("Text", "text"), ("Json", "json")];

/// Prints the canonical DSL text of a document: two-space indentation, LF line endings, one
/// trailing newline, comments from [`Document::trivia`] at their anchors.
pub fn print_document(doc: &Document) -> String {
    let mut printer = Printer {
        out: String::new(),
        trivia: &doc.trivia,
        used: HashSet::new(),
        first: first_blocks(doc.workflow.blocks.as_deref().unwrap_or(&[])),
    };
    printer.document(doc);
    printer.out
}

/// True when `name` prints bare: an identifier that is not a keyword.
pub fn is_bare_name(name: &str) -> bool {
    types::is_identifier(name) && !KEYWORDS.contains(&name)
}

/// A name (block id, port, variable, type, property, parameter, placeholder, `@` key) as the
/// DSL writes it: bare when [`is_bare_name`], else a JSON string literal.
pub fn print_name(name: &str) -> String {
    if is_bare_name(name) {
        name.to_string()
    } else {
        quote(name)
    }
}

/// A JSON string literal with JSON's escapes.
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// True when `text` can be written as a fenced string or as `///` lines: no carriage return
/// and no control character other than tab and line feed.
pub fn is_fence_representable(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
}

/// The fence for `text`: backticks, one more than its longest run of backticks, at least three.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// A JSON value on one line in DSL syntax (object keys always quoted, strings always quoted).
pub fn print_json_inline(value: &Json) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => out.push_str(&quote(s)),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(key));
                out.push_str(": ");
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// A type as the DSL writes it: the DSL spelling (`T?`) when the text is canonical and names
/// no keyword, else the text verbatim as a string literal.
fn print_type(ty: &TypeRef) -> String {
    if types::is_canonical(&ty.text) {
        if let Ok(parsed) = types::parse_type(&ty.text) {
            if !type_names_keyword(&parsed) {
                return parsed.to_dsl();
            }
        }
    }
    quote(&ty.text)
}

fn type_names_keyword(ty: &Type) -> bool {
    match ty {
        Type::Named(name) => KEYWORDS.contains(&name.as_str()),
        Type::Applied(name, args) => {
            KEYWORDS.contains(&name.as_str()) || args.iter().any(type_names_keyword)
        }
        Type::Record(fields) => fields
            .iter()
            .any(|(name, ty)| KEYWORDS.contains(&name.as_str()) || type_names_keyword(ty)),
    }
}

/// A known enumeration spelling as its identifier, any other spelling as a string.
fn print_enum(value: &str, table: &[(&str, &str)]) -> String {
    table
        .iter()
        .find(|(json, _)| *json == value)
        .map(|(_, dsl)| dsl.to_string())
        .unwrap_or_else(|| quote(value))
}

fn print_error_action(action: &ErrorAction) -> String {
    match action {
        ErrorAction::Stop(_) => "stop".to_string(),
        ErrorAction::Continue(_) => "continue".to_string(),
        ErrorAction::Retry(n) => format!("retry({})", n.value),
    }
}

fn print_strings(items: &[Str]) -> String {
    let parts: Vec<String> = items.iter().map(|s| quote(&s.value)).collect();
    format!("[{}]", parts.join(", "))
}

fn print_position(p: &Position) -> String {
    format!("({}, {})", p.x.value, p.y.value)
}

/// A code language or template base language: bare when it is one of the five code languages
/// or an identifier that is not a keyword, else a string.
fn print_language(lang: &str) -> String {
    if CODE_LANGUAGES.contains(&lang) {
        lang.to_string()
    } else {
        print_name(lang)
    }
}

/// True when `text` can be written as `///` lines: it is fence-representable and no line ends
/// with a space or a tab (editors and comment handling strip trailing whitespace, so such a
/// description is written `@description = "..."`).
pub fn is_doc_representable(text: &str) -> bool {
    is_fence_representable(text)
        && text
            .split('\n')
            .all(|line| !line.ends_with(' ') && !line.ends_with('\t'))
}

/// The description written as `///` lines, when it can be.
fn doc_text(description: &Option<Str>) -> Option<&str> {
    description
        .as_ref()
        .map(|d| d.value.as_str())
        .filter(|d| is_doc_representable(d))
}

/// `@description` for a description that cannot be a doc comment.
fn description_extra(description: &Option<Str>) -> Option<(String, Json)> {
    description
        .as_ref()
        .filter(|d| !is_doc_representable(&d.value))
        .map(|d| ("description".to_string(), Json::String(d.value.clone())))
}

/// `@` entries of an object: `synth` (entries made from the model, such as a present empty
/// collection) and the extras; keys of `order` first in that order, then the others in list
/// order.
fn at_entries(order: &[&str], synth: Vec<(String, Json)>, extras: &[Extra]) -> Vec<(String, Json)> {
    let mut all: Vec<(String, Json)> = synth;
    all.extend(
        extras
            .iter()
            .map(|e| (e.key.value.clone(), e.value.value.clone())),
    );
    let rank = |key: &str| order.iter().position(|k| *k == key).unwrap_or(order.len());
    all.sort_by_key(|(key, _)| rank(key));
    all
}

/// `@key = value` items of an inline `{ ... }` group.
fn inline_ats(entries: &[(String, Json)]) -> Vec<String> {
    entries
        .iter()
        .map(|(key, value)| format!("@{} = {}", print_name(key), print_json_inline(value)))
        .collect()
}

/// How a statement's value ends its line.
enum Tail {
    /// On the statement's line.
    Inline(String),
    /// A fenced string holding this text.
    Fence(String),
}

/// A field's JSON value: a string holding a line feed is fenced when it can be, anything else
/// is inline.
fn value_tail(value: &Json) -> Tail {
    match value {
        Json::String(s) if s.contains('\n') && is_fence_representable(s) => Tail::Fence(s.clone()),
        _ => Tail::Inline(print_json_inline(value)),
    }
}

fn string_tail(text: &str) -> Tail {
    value_tail(&Json::String(text.to_string()))
}

/// A body (`code`, `template`, `preview`): always fenced when it can be.
fn body_tail(text: &str) -> Tail {
    if is_fence_representable(text) {
        Tail::Fence(text.to_string())
    } else {
        Tail::Inline(quote(text))
    }
}

/// Where each connection is printed.
struct Placement {
    /// Connection indices by (block index, input index).
    inputs: HashMap<(usize, usize), Vec<usize>>,
    /// Connection indices printed as `connect` statements, in model order.
    connects: Vec<usize>,
    /// `connection_order`, when the model's order is not the text's.
    order: Option<Vec<String>>,
}

fn place_connections(wf: &Workflow) -> Placement {
    let blocks = wf.blocks.as_deref().unwrap_or(&[]);
    let conns = wf.connections.as_deref().unwrap_or(&[]);
    let first = first_blocks(blocks);
    let mut inputs: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    let mut connects = Vec::new();
    for (k, c) in conns.iter().enumerate() {
        let target = first.get(c.target_block.value.as_str()).and_then(|&bi| {
            let ports = blocks[bi].inputs.as_deref().unwrap_or(&[]);
            ports
                .iter()
                .position(|p| p.name.value == c.target_port.value)
                .map(|pi| (bi, pi))
        });
        match target {
            Some(key) => inputs.entry(key).or_default().push(k),
            None => connects.push(k),
        }
    }
    let mut natural: Vec<usize> = Vec::with_capacity(conns.len());
    for (bi, block) in blocks.iter().enumerate() {
        for pi in 0..block.inputs.as_ref().map_or(0, Vec::len) {
            if let Some(list) = inputs.get(&(bi, pi)) {
                natural.extend(list);
            }
        }
    }
    natural.extend(&connects);
    let model: Vec<usize> = (0..conns.len()).collect();
    if natural == model {
        return Placement {
            inputs,
            connects,
            order: None,
        };
    }
    let ids: Vec<String> = conns.iter().map(Connection::effective_id).collect();
    // What the lowering will do with `connection_order`.
    let text_ids: Vec<String> = natural.iter().map(|&k| ids[k].clone()).collect();
    let order: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (rebuilt, _) = apply_connection_order(&text_ids, &order);
    let rebuilt: Vec<usize> = rebuilt.into_iter().map(|i| natural[i]).collect();
    if rebuilt == model {
        Placement {
            inputs,
            connects,
            order: Some(ids),
        }
    } else {
        // Duplicate ids make the order unrecoverable: write every connection as a `connect`
        // statement, in model order.
        Placement {
            inputs: HashMap::new(),
            connects: model,
            order: None,
        }
    }
}

/// The parts of a block's body, in the order the printer writes them (`docs/language.md`,
/// "Block body order"). An edit that adds a statement to a block puts it at the end of its
/// part (`ide::code_actions`), where the formatter keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BlockPart {
    /// Properties; `dependencies`, `error_handling`; `param`s, `placeholder`s; AI fields.
    KindFields,
    /// `@key = value` statements.
    AtKeys,
    /// `in` ports.
    Inputs,
    /// `out` ports.
    Outputs,
    /// `code`, `template`, `preview`.
    Bodies,
}

impl BlockPart {
    /// Every part, in printing order.
    pub const ORDER: [BlockPart; 5] = [
        BlockPart::KindFields,
        BlockPart::AtKeys,
        BlockPart::Inputs,
        BlockPart::Outputs,
        BlockPart::Bodies,
    ];
}

/// The `@key = {}` / `@key = []` entry of a present but empty collection (`len == Some(0)`).
fn empty_collection(key: &str, len: Option<usize>, object: bool) -> Option<(String, Json)> {
    (len == Some(0)).then(|| {
        let value = if object {
            Json::Object(serde_json::Map::new())
        } else {
            Json::Array(Vec::new())
        };
        (key.to_string(), value)
    })
}

/// Prints one block as it stands in a workflow whose blocks are `blocks` (the sources of its
/// connections), without comments: the `block` line at two spaces, its statements at four,
/// `connections` into its inputs written on them. What a quick fix inserts
/// (`ide::code_actions`).
pub fn print_block(block: &Block, connections: &[Connection], blocks: &[Block]) -> String {
    let mut inputs: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (k, c) in connections.iter().enumerate() {
        let port = block
            .inputs
            .iter()
            .flatten()
            .position(|p| p.name.value == c.target_port.value);
        if let (true, Some(j)) = (c.target_block.value == block.id.value, port) {
            inputs.entry((0, j)).or_default().push(k);
        }
    }
    let placement = Placement {
        inputs,
        connects: Vec::new(),
        order: None,
    };
    let trivia = Trivia::default();
    let mut printer = Printer {
        out: String::new(),
        trivia: &trivia,
        used: HashSet::new(),
        first: first_blocks(blocks),
    };
    printer.block(0, block, blocks, connections, &placement);
    printer.out
}

struct Printer<'a> {
    out: String,
    trivia: &'a Trivia,
    used: HashSet<String>,
    /// The first block with each id, for connections' derived `data_type`.
    first: FirstBlocks<'a>,
}

impl Printer<'_> {
    fn indent(&mut self, indent: usize) {
        for _ in 0..indent {
            self.out.push(' ');
        }
    }

    /// Prints the leading comments of `anchor`, marks it printed, returns its trailing comment.
    fn leading(&mut self, indent: usize, anchor: &str) -> Option<String> {
        self.used.insert(anchor.to_string());
        let comments = self.trivia.get(anchor)?;
        for line in &comments.leading {
            self.indent(indent);
            self.out.push_str(line);
            self.out.push('\n');
        }
        comments.trailing.clone()
    }

    /// Prints every comment of `anchor` on lines of its own.
    fn comment_lines(&mut self, indent: usize, anchor: &str) {
        if let Some(trailing) = self.leading(indent, anchor) {
            self.indent(indent);
            self.out.push_str(&trailing);
            self.out.push('\n');
        }
    }

    fn end_line(&mut self, trailing: Option<String>) {
        if let Some(trailing) = trailing {
            self.out.push(' ');
            self.out.push_str(&trailing);
        }
        self.out.push('\n');
    }

    fn doc(&mut self, indent: usize, doc: Option<&str>) {
        let Some(doc) = doc else { return };
        for line in doc.split('\n') {
            self.indent(indent);
            self.out.push_str("///");
            if !line.is_empty() {
                self.out.push(' ');
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
    }

    /// One statement: comments, doc comment, `head`, then the tail (inline or fenced).
    fn stmt(
        &mut self,
        indent: usize,
        anchor: &str,
        doc: Option<&str>,
        head: &str,
        tail: Option<Tail>,
    ) {
        let trailing = self.leading(indent, anchor);
        self.doc(indent, doc);
        self.indent(indent);
        self.out.push_str(head);
        match tail {
            None => self.end_line(trailing),
            Some(Tail::Inline(text)) => {
                self.out.push(' ');
                self.out.push_str(&text);
                self.end_line(trailing);
            }
            Some(Tail::Fence(text)) => {
                let fence = fence_for(&text);
                self.out.push(' ');
                self.out.push_str(&fence);
                self.out.push('\n');
                if !text.is_empty() {
                    for line in text.split('\n') {
                        if !line.is_empty() {
                            self.indent(indent + 2);
                            self.out.push_str(line);
                        }
                        self.out.push('\n');
                    }
                }
                // The closing fence stands at the content's indentation, as in the examples
                // of `docs/language.md` (any indentation closes it).
                self.indent(indent + 2);
                self.out.push_str(&fence);
                self.end_line(trailing);
            }
        }
    }

    fn at_stmts(&mut self, indent: usize, prefix: &str, entries: &[(String, Json)]) {
        for (key, value) in entries {
            let anchor = format!("{prefix}.@{key}");
            let head = format!("@{} =", print_name(key));
            self.stmt(indent, &anchor, None, &head, Some(value_tail(value)));
        }
    }

    /// Opens a multi-line statement: comments, doc comment, `header {` and its trailing comment.
    fn open(&mut self, indent: usize, anchor: &str, doc: Option<&str>, header: &str) {
        let trailing = self.leading(indent, anchor);
        self.doc(indent, doc);
        self.indent(indent);
        self.out.push_str(header);
        self.out.push_str(" {");
        self.end_line(trailing);
    }

    /// Closes a multi-line statement: the comments of `anchor.end`, then `}`.
    fn close(&mut self, indent: usize, anchor: &str) {
        self.comment_lines(indent + 2, &format!("{anchor}.end"));
        self.indent(indent);
        self.out.push_str("}\n");
    }

    fn document(&mut self, doc: &Document) {
        let mut top = false;
        if doc.format_version.value != "1.0" {
            let tail = Tail::Inline(quote(&doc.format_version.value));
            self.stmt(
                0,
                "top.format_version",
                None,
                "format_version =",
                Some(tail),
            );
            top = true;
        } else if self.trivia.get("top.format_version").is_some() {
            // Left out (it is the default), its comments (a licence header) stay at the top,
            // where they read back as the workflow's.
            self.comment_lines(0, "top.format_version");
        }
        let entries = at_entries(TOP_KEYS, Vec::new(), &doc.extra);
        self.at_stmts(0, "top", &entries);
        if top || !entries.is_empty() {
            self.out.push('\n');
        }
        self.workflow(&doc.workflow);
    }

    fn workflow(&mut self, wf: &Workflow) {
        let header = match &wf.name {
            Some(name) => format!("workflow {}", quote(&name.value)),
            None => "workflow".to_string(),
        };
        self.open(0, "workflow", doc_text(&wf.description), &header);
        let mut blank = false;

        // Attributes and `@` keys.
        let mut synth: Vec<(String, Json)> =
            description_extra(&wf.description).into_iter().collect();
        let empty_object = || Json::Object(serde_json::Map::new());
        if wf.types.as_ref().is_some_and(Vec::is_empty) {
            synth.push(("types".into(), empty_object()));
        }
        if wf.blocks.as_ref().is_some_and(Vec::is_empty) {
            synth.push(("blocks".into(), empty_object()));
        }
        if wf.connections.as_ref().is_some_and(Vec::is_empty) {
            synth.push(("connections".into(), Json::Array(Vec::new())));
        }
        if wf.variables.as_ref().is_some_and(Vec::is_empty) {
            synth.push(("variables".into(), empty_object()));
        }
        let ats = at_entries(WORKFLOW_KEYS, synth, &wf.extra);
        let attrs: Vec<(&str, &Option<Str>)> = vec![
            ("id", &wf.id),
            ("version", &wf.version),
            ("created_at", &wf.created_at),
            ("modified_at", &wf.modified_at),
            ("author", &wf.author),
        ];
        let has_attrs =
            attrs.iter().any(|(_, v)| v.is_some()) || wf.tags.is_some() || !ats.is_empty();
        if has_attrs {
            for (field, value) in attrs {
                if let Some(value) = value {
                    let tail = Tail::Inline(quote(&value.value));
                    self.stmt(
                        2,
                        &format!("w.{field}"),
                        None,
                        &format!("{field} ="),
                        Some(tail),
                    );
                }
            }
            if let Some(tags) = &wf.tags {
                let tail = Tail::Inline(print_strings(&tags.value));
                self.stmt(2, "w.tags", None, "tags =", Some(tail));
            }
            self.at_stmts(2, "w", &ats);
            blank = true;
        }

        // Types.
        if let Some(decls) = wf.types.as_ref().filter(|t| !t.is_empty()) {
            self.blank(&mut blank);
            for (i, decl) in decls.iter().enumerate() {
                let line = format!(
                    "type {} = {}",
                    print_name(&decl.name.value),
                    print_type(&decl.ty)
                );
                self.stmt(2, &format!("type.{i}"), None, &line, None);
            }
        }

        // Variables.
        if let Some(vars) = wf.variables.as_ref().filter(|v| !v.is_empty()) {
            self.blank(&mut blank);
            for (i, var) in vars.iter().enumerate() {
                self.variable(i, var);
            }
        }

        // Sections.
        let placement = place_connections(wf);
        let has_sections = wf.execution_config.is_some()
            || wf.error_handling.is_some()
            || wf.canvas_state.is_some()
            || wf.ui_state.is_some()
            || placement.order.is_some();
        if has_sections {
            self.blank(&mut blank);
            if let Some(config) = &wf.execution_config {
                self.config(config);
            }
            if let Some(handling) = &wf.error_handling {
                self.error_handling(handling);
            }
            if let Some(canvas) = &wf.canvas_state {
                self.canvas(canvas);
            }
            if let Some(ui) = &wf.ui_state {
                self.stmt(
                    2,
                    "w.ui_state",
                    None,
                    "ui_state =",
                    Some(value_tail(&ui.value)),
                );
            }
            if let Some(order) = &placement.order {
                let ids: Vec<Json> = order.iter().map(|id| Json::String(id.clone())).collect();
                let tail = Tail::Inline(print_json_inline(&Json::Array(ids)));
                self.stmt(
                    2,
                    "w.connection_order",
                    None,
                    "connection_order =",
                    Some(tail),
                );
            }
        }

        // Blocks.
        let conns = wf.connections.as_deref().unwrap_or(&[]);
        let blocks = wf.blocks.as_deref().unwrap_or(&[]);
        for (i, block) in blocks.iter().enumerate() {
            self.blank(&mut blank);
            self.block(i, block, blocks, conns, &placement);
        }

        // `connect` statements.
        if !placement.connects.is_empty() {
            self.blank(&mut blank);
            for &k in &placement.connects {
                let c = &conns[k];
                let mut line = format!(
                    "connect {}.{} -> {}.{}",
                    print_name(&c.source_block.value),
                    print_name(&c.source_port.value),
                    print_name(&c.target_block.value),
                    print_name(&c.target_port.value)
                );
                let attrs = connection_attrs(c, blocks, &self.first);
                if !attrs.is_empty() {
                    line.push_str(&format!(" {{ {} }}", attrs.join(", ")));
                }
                self.stmt(2, &format!("conn.{k}"), None, &line, None);
            }
        }

        // The end: `w.end`, then any comment whose anchor was not reached.
        self.comment_lines(2, "w.end");
        let orphans: Vec<String> = self
            .trivia
            .iter()
            .map(|(anchor, _)| anchor.to_string())
            .filter(|anchor| anchor != "eof" && !self.used.contains(anchor))
            .collect();
        for anchor in orphans {
            self.comment_lines(2, &anchor);
        }
        self.out.push('}');
        let trailing = self.trivia.get("eof").and_then(|c| c.trailing.clone());
        self.end_line(trailing);
        if let Some(eof) = self.trivia.get("eof") {
            for line in &eof.leading {
                self.out.push_str(line);
                self.out.push('\n');
            }
        }
    }

    /// A blank line before a group, unless it is the first of its container.
    fn blank(&mut self, blank: &mut bool) {
        if *blank {
            self.out.push('\n');
        }
        *blank = true;
    }

    fn variable(&mut self, i: usize, var: &Variable) {
        let mut line = format!("var {}", print_name(&var.name.value));
        if let Some(ty) = &var.ty {
            line.push_str(": ");
            line.push_str(&print_type(ty));
        }
        let ats = at_entries(
            VARIABLE_KEYS,
            description_extra(&var.description).into_iter().collect(),
            &var.extra,
        );
        let mut tail = None;
        if let Some(value) = &var.value {
            line.push_str(" =");
            if ats.is_empty() {
                tail = Some(value_tail(&value.value));
            } else {
                line.push(' ');
                line.push_str(&print_json_inline(&value.value));
            }
        }
        if !ats.is_empty() {
            line.push_str(&format!(" {{ {} }}", inline_ats(&ats).join(", ")));
        }
        self.stmt(
            2,
            &format!("var.{i}"),
            doc_text(&var.description),
            &line,
            tail,
        );
    }

    fn config(&mut self, config: &ExecutionConfig) {
        self.open(2, "w.config", None, "config");
        if let Some(mode) = &config.mode {
            let tail = Tail::Inline(print_enum(&mode.value, MODES));
            self.stmt(4, "w.config.mode", None, "mode =", Some(tail));
        }
        if let Some(n) = &config.max_concurrent_blocks {
            let tail = Tail::Inline(n.value.to_string());
            self.stmt(
                4,
                "w.config.max_concurrent_blocks",
                None,
                "max_concurrent_blocks =",
                Some(tail),
            );
        }
        if let Some(n) = &config.timeout {
            let tail = Tail::Inline(format!("{}s", n.value));
            self.stmt(4, "w.config.timeout", None, "timeout =", Some(tail));
        }
        if let Some(retry) = &config.retry_policy {
            self.retry_policy(retry);
        }
        if let Some(level) = &config.logging_level {
            let tail = Tail::Inline(print_enum(&level.value, LEVELS));
            self.stmt(
                4,
                "w.config.logging_level",
                None,
                "logging_level =",
                Some(tail),
            );
        }
        let ats = at_entries(CONFIG_KEYS, Vec::new(), &config.extra);
        self.at_stmts(4, "w.config", &ats);
        self.close(2, "w.config");
    }

    fn retry_policy(&mut self, retry: &RetryPolicy) {
        let anchor = "w.config.retry_policy";
        self.open(4, anchor, None, "retry_policy");
        if let Some(n) = &retry.max_attempts {
            let tail = Tail::Inline(n.value.to_string());
            self.stmt(
                6,
                &format!("{anchor}.max_attempts"),
                None,
                "max_attempts =",
                Some(tail),
            );
        }
        if let Some(backoff) = &retry.backoff {
            let tail = Tail::Inline(print_enum(&backoff.value, BACKOFFS));
            self.stmt(
                6,
                &format!("{anchor}.backoff"),
                None,
                "backoff =",
                Some(tail),
            );
        }
        let ats = at_entries(RETRY_KEYS, Vec::new(), &retry.extra);
        self.at_stmts(6, anchor, &ats);
        self.close(4, anchor);
    }

    fn error_handling(&mut self, handling: &WorkflowErrorHandling) {
        self.open(2, "w.error_handling", None, "error_handling");
        if let Some(action) = &handling.on_block_error {
            let tail = Tail::Inline(print_error_action(action));
            self.stmt(
                4,
                "w.error_handling.on_block_error",
                None,
                "on_block_error =",
                Some(tail),
            );
        }
        let ats = at_entries(ERROR_HANDLING_KEYS, Vec::new(), &handling.extra);
        self.at_stmts(4, "w.error_handling", &ats);
        self.close(2, "w.error_handling");
    }

    fn canvas(&mut self, canvas: &CanvasState) {
        self.open(2, "w.canvas_state", None, "canvas_state");
        if let Some(zoom) = &canvas.zoom {
            let tail = Tail::Inline(zoom.value.to_string());
            self.stmt(4, "w.canvas_state.zoom", None, "zoom =", Some(tail));
        }
        if let Some(pan) = &canvas.pan {
            let tail = Tail::Inline(print_position(pan));
            self.stmt(4, "w.canvas_state.pan", None, "pan =", Some(tail));
        }
        if let Some(selected) = &canvas.selected_blocks {
            let tail = Tail::Inline(print_strings(&selected.value));
            self.stmt(
                4,
                "w.canvas_state.selected_blocks",
                None,
                "selected_blocks =",
                Some(tail),
            );
        }
        let ats = at_entries(CANVAS_KEYS, Vec::new(), &canvas.extra);
        self.at_stmts(4, "w.canvas_state", &ats);
        self.close(2, "w.canvas_state");
    }

    fn block(
        &mut self,
        i: usize,
        block: &Block,
        blocks: &[Block],
        conns: &[Connection],
        placement: &Placement,
    ) {
        let anchor = format!("block.{i}");
        let mut header = format!(
            "block {} = {}",
            print_name(&block.id.value),
            block_kind(&block.kind)
        );
        if let Some(name) = &block.name {
            header.push(' ');
            header.push_str(&quote(&name.value));
        }
        if let Some(position) = &block.position {
            header.push_str(" at ");
            header.push_str(&print_position(position));
        }
        self.open(2, &anchor, doc_text(&block.description), &header);

        let mut synth: Vec<(String, Json)> =
            description_extra(&block.description).into_iter().collect();
        for part in BlockPart::ORDER {
            match part {
                BlockPart::KindFields => self.kind_fields(&anchor, &block.kind, &mut synth),
                BlockPart::AtKeys => {
                    synth.extend(empty_collection(
                        "inputs",
                        block.inputs.as_ref().map(Vec::len),
                        false,
                    ));
                    synth.extend(empty_collection(
                        "outputs",
                        block.outputs.as_ref().map(Vec::len),
                        false,
                    ));
                    let ats = at_entries(
                        block_keys(&block.kind),
                        std::mem::take(&mut synth),
                        &block.extra,
                    );
                    self.at_stmts(4, &anchor, &ats);
                }
                BlockPart::Inputs => {
                    for (j, port) in block.inputs.iter().flatten().enumerate() {
                        let sources: Vec<&Connection> = placement
                            .inputs
                            .get(&(i, j))
                            .map(|list| list.iter().map(|&k| &conns[k]).collect())
                            .unwrap_or_default();
                        self.port(&format!("{anchor}.in.{j}"), "in", port, &sources, blocks);
                    }
                }
                BlockPart::Outputs => {
                    for (j, port) in block.outputs.iter().flatten().enumerate() {
                        self.port(&format!("{anchor}.out.{j}"), "out", port, &[], blocks);
                    }
                }
                BlockPart::Bodies => self.bodies(&anchor, &block.kind),
            }
        }
        self.close(2, &anchor);
    }

    /// A block's kind fields (properties, `model`, `param`s, ...); `@` keys for present empty
    /// collections go to `synth`.
    fn kind_fields(&mut self, anchor: &str, kind: &BlockKind, synth: &mut Vec<(String, Json)>) {
        match kind {
            BlockKind::Visual { properties, .. } | BlockKind::Plugin { properties, .. } => {
                synth.extend(empty_collection(
                    "properties",
                    properties.as_ref().map(Vec::len),
                    true,
                ));
                for (j, prop) in properties.iter().flatten().enumerate() {
                    // `code`, `template` and `preview` start bodies, but `=` makes them
                    // property names (the grammar's `field`), so they print bare here.
                    let key = match prop.key.value.as_str() {
                        bare @ ("code" | "template" | "preview") => bare.to_string(),
                        other => print_name(other),
                    };
                    let head = format!("{key} =");
                    self.stmt(
                        4,
                        &format!("{anchor}.prop.{j}"),
                        None,
                        &head,
                        Some(value_tail(&prop.value.value)),
                    );
                }
            }
            BlockKind::Code {
                dependencies,
                error_handling,
                ..
            } => {
                if let Some(deps) = dependencies {
                    let tail = Tail::Inline(print_strings(&deps.value));
                    self.stmt(
                        4,
                        &format!("{anchor}.dependencies"),
                        None,
                        "dependencies =",
                        Some(tail),
                    );
                }
                if let Some(action) = error_handling {
                    let tail = Tail::Inline(print_error_action(action));
                    self.stmt(
                        4,
                        &format!("{anchor}.error_handling"),
                        None,
                        "error_handling =",
                        Some(tail),
                    );
                }
            }
            BlockKind::Hybrid {
                template,
                parameters,
                ..
            } => {
                synth.extend(empty_collection(
                    "parameters",
                    parameters.as_ref().map(Vec::len),
                    false,
                ));
                for (j, param) in parameters.iter().flatten().enumerate() {
                    self.parameter(&format!("{anchor}.param.{j}"), param);
                }
                if let Some(template) = template {
                    for (j, placeholder) in template.placeholders.iter().enumerate() {
                        let line = format!(
                            "placeholder {} = {}",
                            print_name(&placeholder.name.value),
                            print_placeholder(&placeholder.kind)
                        );
                        self.stmt(4, &format!("{anchor}.placeholder.{j}"), None, &line, None);
                    }
                }
            }
            BlockKind::Ai {
                model_config,
                system_prompt,
                user_prompt_template,
                context_analysis,
                output_format,
                fallback_behavior,
            } => {
                if let Some(model) = model_config {
                    let tail = Tail::Inline(print_model(model));
                    self.stmt(4, &format!("{anchor}.model"), None, "model =", Some(tail));
                }
                if let Some(system) = system_prompt {
                    self.stmt(
                        4,
                        &format!("{anchor}.system"),
                        None,
                        "system =",
                        Some(string_tail(&system.value)),
                    );
                }
                if let Some(prompt) = user_prompt_template {
                    self.stmt(
                        4,
                        &format!("{anchor}.prompt"),
                        None,
                        "prompt =",
                        Some(string_tail(&prompt.value)),
                    );
                }
                if let Some(value) = context_analysis {
                    let tail = value_tail(&value.value);
                    self.stmt(
                        4,
                        &format!("{anchor}.context_analysis"),
                        None,
                        "context_analysis =",
                        Some(tail),
                    );
                }
                if let Some(format) = output_format {
                    let tail = Tail::Inline(print_enum(&format.value, OUTPUT_FORMATS));
                    self.stmt(
                        4,
                        &format!("{anchor}.output_format"),
                        None,
                        "output_format =",
                        Some(tail),
                    );
                }
                if let Some(value) = fallback_behavior {
                    let tail = value_tail(&value.value);
                    self.stmt(
                        4,
                        &format!("{anchor}.fallback_behavior"),
                        None,
                        "fallback_behavior =",
                        Some(tail),
                    );
                }
            }
        }
    }

    /// A block's bodies (`code`; `template`, `preview`).
    fn bodies(&mut self, anchor: &str, kind: &BlockKind) {
        match kind {
            BlockKind::Code {
                source_code: Some(code),
                ..
            } => {
                self.stmt(
                    4,
                    &format!("{anchor}.code"),
                    None,
                    "code",
                    Some(body_tail(&code.value)),
                );
            }
            BlockKind::Hybrid {
                template,
                preview_code,
                ..
            } => {
                if let Some(template) = template {
                    let tail = body_tail(&template.source.value);
                    self.stmt(
                        4,
                        &format!("{anchor}.template"),
                        None,
                        "template",
                        Some(tail),
                    );
                }
                if let Some(preview) = preview_code {
                    let tail = body_tail(&preview.value);
                    self.stmt(4, &format!("{anchor}.preview"), None, "preview", Some(tail));
                }
            }
            _ => {}
        }
    }

    fn parameter(&mut self, anchor: &str, param: &Parameter) {
        let mut line = format!("param {}", print_name(&param.name.value));
        if let Some(ty) = &param.ty {
            line.push_str(": ");
            line.push_str(&print_type(ty));
        }
        let ats = at_entries(
            PARAMETER_KEYS,
            description_extra(&param.description).into_iter().collect(),
            &param.extra,
        );
        let mut attrs = Vec::new();
        if let Some(default) = &param.default {
            attrs.push(format!("default = {}", print_json_inline(&default.value)));
        }
        attrs.extend(inline_ats(&ats));
        let mut tail = None;
        if let Some(value) = &param.value {
            line.push_str(" =");
            if attrs.is_empty() {
                tail = Some(value_tail(&value.value));
            } else {
                line.push(' ');
                line.push_str(&print_json_inline(&value.value));
            }
        }
        if !attrs.is_empty() {
            line.push_str(&format!(" {{ {} }}", attrs.join(", ")));
        }
        self.stmt(4, anchor, doc_text(&param.description), &line, tail);
    }

    fn port(
        &mut self,
        anchor: &str,
        direction: &str,
        port: &Port,
        sources: &[&Connection],
        blocks: &[Block],
    ) {
        let mut line = String::new();
        match port.required.as_ref().map(|r| r.value) {
            Some(true) => line.push_str("required "),
            Some(false) => line.push_str("optional "),
            None => {}
        }
        line.push_str(&format!(
            "{direction} {}: {}",
            print_name(&port.name.value),
            print_type(&port.ty)
        ));
        let ats = at_entries(
            PORT_KEYS,
            description_extra(&port.description).into_iter().collect(),
            &port.extra,
        );
        let mut rest = String::new();
        if !ats.is_empty() {
            rest.push_str(&format!(" {{ {} }}", inline_ats(&ats).join(", ")));
        }
        if !sources.is_empty() {
            let parts: Vec<String> = sources
                .iter()
                .map(|c| {
                    let mut source = format!(
                        "{}.{}",
                        print_name(&c.source_block.value),
                        print_name(&c.source_port.value)
                    );
                    let attrs = connection_attrs(c, blocks, &self.first);
                    if !attrs.is_empty() {
                        source.push_str(&format!(" {{ {} }}", attrs.join(", ")));
                    }
                    source
                })
                .collect();
            rest.push_str(" <- ");
            rest.push_str(&parts.join(", "));
        }
        let mut tail = None;
        if let Some(default) = &port.default {
            line.push_str(" =");
            if rest.is_empty() {
                tail = Some(value_tail(&default.value));
            } else {
                line.push(' ');
                line.push_str(&print_json_inline(&default.value));
            }
        }
        line.push_str(&rest);
        self.stmt(4, anchor, doc_text(&port.description), &line, tail);
    }
}

/// The KIND part of a block header.
fn block_kind(kind: &BlockKind) -> String {
    match kind {
        BlockKind::Visual { block_type, .. } => {
            if is_bare_name(&block_type.value) {
                block_type.value.clone()
            } else {
                format!("visual {}", quote(&block_type.value))
            }
        }
        BlockKind::Code { language, .. } => {
            if CODE_LANGUAGES.contains(&language.value.as_str()) {
                language.value.clone()
            } else {
                format!("code {}", quote(&language.value))
            }
        }
        BlockKind::Hybrid { base_language, .. } => {
            format!("template {}", print_language(&base_language.value))
        }
        BlockKind::Ai { .. } => "ai".to_string(),
        BlockKind::Plugin {
            plugin, block_type, ..
        } => format!(
            "plugin {}.{}",
            print_name(&plugin.value),
            print_name(&block_type.value)
        ),
    }
}

fn print_placeholder(kind: &PlaceholderKind) -> String {
    match kind {
        PlaceholderKind::Simple(param) => format!("simple({})", print_name(&param.value)),
        PlaceholderKind::Expression(param) => format!("expression({})", print_name(&param.value)),
        PlaceholderKind::CodeBlock(lang) => format!("code_block({})", print_language(&lang.value)),
        PlaceholderKind::Conditional {
            condition,
            if_true,
            if_false,
        } => format!(
            "conditional({}, {}, {})",
            print_name(&condition.value),
            quote(&if_true.value),
            quote(&if_false.value)
        ),
        PlaceholderKind::Raw(value) => print_json_inline(&value.value),
    }
}

fn print_model(model: &ModelConfig) -> String {
    let (provider, endpoint) = match &model.provider {
        Provider::Anthropic(_) => ("anthropic", None),
        Provider::OpenAi(_) => ("openai", None),
        Provider::Local { endpoint, .. } => ("local", Some(endpoint)),
    };
    let mut args = Vec::new();
    if let Some(name) = &model.model {
        args.push(quote(&name.value));
    }
    if let Some(endpoint) = endpoint {
        args.push(format!("endpoint = {}", quote(&endpoint.value)));
    }
    if let Some(t) = &model.temperature {
        args.push(format!("temperature = {}", t.value));
    }
    if let Some(n) = &model.max_tokens {
        args.push(format!("max_tokens = {}", n.value));
    }
    if let Some(n) = &model.timeout {
        args.push(format!("timeout = {}s", n.value));
    }
    args.extend(inline_ats(&at_entries(
        MODEL_KEYS,
        Vec::new(),
        &model.extra,
    )));
    format!("{provider}({})", args.join(", "))
}

/// What a connection's `{ ... }` holds: only what differs from the derived defaults.
fn connection_attrs(c: &Connection, blocks: &[Block], first: &FirstBlocks) -> Vec<String> {
    let mut attrs = Vec::new();
    match &c.id {
        None => attrs.push("id = null".to_string()),
        Some(id) if id.value == c.derived_id() => {}
        Some(id) => attrs.push(format!("id = {}", quote(&id.value))),
    }
    match (&c.data_type, source_port_type(blocks, first, c)) {
        (None, None) => {}
        (None, Some(_)) => attrs.push("data_type = null".to_string()),
        (Some(ty), Some(derived)) if ty.text == derived => {}
        (Some(ty), _) => attrs.push(format!("data_type = {}", quote(&ty.text))),
    }
    if let Some(transform) = &c.transform {
        attrs.push(format!(
            "transform = {}",
            print_json_inline(&transform.value)
        ));
    }
    attrs.extend(inline_ats(&at_entries(
        CONNECTION_KEYS,
        Vec::new(),
        &c.extra,
    )));
    attrs
}
