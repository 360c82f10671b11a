//! Completion: keywords in context, block types from the catalogue, property names and values,
//! `block.` -> that block's ports (type-compatible ones first), types and variables.
//!
//! The context is read from the text around the cursor (the current line, and the innermost
//! unclosed `{` before it), so completion works in text that does not parse yet, which is
//! most text being typed.

use crate::catalog::{self, PropertyKind};
use crate::check::{self, Index};
use crate::model::{Block, BlockKind, Span};
use crate::types::{parse_type, Type, SCALAR_TYPES, TYPE_CONSTRUCTORS};

use super::hover::block_def_markdown;
use super::{dsl_name, Analysis};

/// What kind of thing an item completes (editors pick an icon by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    /// A keyword.
    Keyword,
    /// A block kind (catalogue block, language, `ai`, ...).
    BlockKind,
    /// A property or section key.
    Property,
    /// A value.
    Value,
    /// A port.
    Port,
    /// A block id.
    Block,
    /// A type.
    Type,
    /// A variable.
    Variable,
    /// A statement template.
    Snippet,
}

/// One completion item.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletionItem {
    /// What the list shows.
    pub label: String,
    /// Its kind.
    pub kind: CompletionKind,
    /// A short line beside the label (a type, a summary).
    pub detail: Option<String>,
    /// Markdown documentation.
    pub documentation: Option<String>,
    /// The plain text inserted in place of [`CompletionItem::replace`].
    pub insert_text: String,
    /// The same as a snippet (`${1:placeholder}`), for clients that take snippets.
    pub snippet: Option<String>,
    /// The range the insertion replaces: the partial word before the cursor.
    pub replace: Span,
    /// Sorts the list (lower first).
    pub sort_text: String,
}

impl CompletionItem {
    fn new(label: impl Into<String>, kind: CompletionKind, replace: Span) -> CompletionItem {
        let label = label.into();
        CompletionItem {
            insert_text: label.clone(),
            label,
            kind,
            detail: None,
            documentation: None,
            snippet: None,
            replace,
            sort_text: "5".into(),
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    fn docs(mut self, docs: impl Into<String>) -> Self {
        self.documentation = Some(docs.into());
        self
    }

    fn insert(mut self, text: impl Into<String>) -> Self {
        self.insert_text = text.into();
        self
    }

    fn snippet(mut self, snippet: impl Into<String>) -> Self {
        self.snippet = Some(snippet.into());
        self
    }

    fn rank(mut self, rank: u8) -> Self {
        self.sort_text = format!("{rank}{}", self.label);
        self
    }
}

/// The container the cursor is in.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Container {
    TopLevel,
    Workflow,
    Block { id: String, header: String },
    Section(String),
    Other,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The most block ids one completion list holds; a longer list is cut and marked incomplete,
/// so the client asks again as the user types (rust-analyzer's `completion.limit`).
pub const MAX_BLOCK_ITEMS: usize = 200;

/// A completion list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Completions {
    /// The items.
    pub items: Vec<CompletionItem>,
    /// True when the list depends on the word typed so far (it was filtered by it, or cut
    /// short): the client must ask again when the word changes, rather than filter this list.
    pub incomplete: bool,
}

/// The completions at `offset`.
pub fn completions(analysis: &Analysis, offset: usize) -> Vec<CompletionItem> {
    completion_list(analysis, offset).items
}

/// The completion list at `offset`.
pub fn completion_list(analysis: &Analysis, offset: usize) -> Completions {
    let text = analysis.text();
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return Completions::default();
    }
    let bytes = text.as_bytes();
    let mut word_start = offset;
    while word_start > 0 && is_ident_byte(bytes[word_start - 1]) {
        word_start -= 1;
    }
    let line_start = text[..word_start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..word_start];
    let replace = Span::new(word_start, offset);
    // Inside a string or a code, template or prompt body the text is the user's, not the
    // language's: only a prompt's `{` placeholders complete there.
    if inside_string(analysis, offset) {
        return Completions {
            items: prompt_items(analysis, before, line_start, replace),
            incomplete: false,
        };
    }
    let before_word = before.trim_end();
    let trimmed = before.trim_start();
    // `<- ` or `, ` on an input, `connect ` / `-> `: block ids.
    if before_word.ends_with("<-")
        || (before_word.ends_with(',') && before.contains("<-"))
        || before_word.trim_start() == "connect"
        || (trimmed.starts_with("connect") && before_word.ends_with("->"))
    {
        return block_id_items(analysis, replace);
    }
    Completions {
        items: items_at(analysis, word_start, offset),
        incomplete: false,
    }
}

/// Block ids to connect from or to: the blocks above the cursor first, nearest first, then
/// those below; not the block the cursor is in (a block cannot feed itself). Filtered by the
/// word typed so far (its characters in order, case aside, as clients match) and cut at
/// [`MAX_BLOCK_ITEMS`], so a workflow of thousands of blocks answers at once.
fn block_id_items(analysis: &Analysis, replace: Span) -> Completions {
    let typed = &analysis.text()[replace.start..replace.end];
    let here = analysis.block_at(replace.start).map(|b| b.span);
    let blocks = analysis.blocks();
    let split = blocks.partition_point(|b| b.span.start < replace.start);
    let above = blocks[..split].iter().rev();
    let below = blocks[split..].iter();
    let mut candidates = above
        .chain(below)
        .filter(|b| Some(b.span) != here && super::symbols::fuzzy_match(typed, &b.id.value));
    let items: Vec<CompletionItem> = candidates
        .by_ref()
        .take(MAX_BLOCK_ITEMS)
        .enumerate()
        .map(|(nearness, b)| {
            let mut item = CompletionItem::new(b.id.value.clone(), CompletionKind::Block, replace)
                .insert(format!("{}.", dsl_name(&b.id.value)))
                .detail(kind_detail(b));
            item.sort_text = format!("5{nearness:05}");
            item
        })
        .collect();
    let cut = candidates.next().is_some();
    Completions {
        items,
        incomplete: cut || !typed.is_empty(),
    }
}

/// True when `offset` is inside a string literal: a quoted string, or a fenced body (code,
/// template, prompt), past its opening quote or fence and before its closing one (an unclosed
/// one runs to its end).
fn inside_string(analysis: &Analysis, offset: usize) -> bool {
    let Some(tree) = analysis.tree() else {
        return false;
    };
    // Strings and fenced bodies are tokens, so leaves: the node at the offset, or the one
    // ending there (an unclosed string). Found by descending from the root, never by walking
    // up (`parent` costs the depth each time, and input can nest deep).
    let root = tree.root();
    let at = |o: usize| root.descendant_for_byte_range(o, o);
    for n in [at(offset), offset.checked_sub(1).and_then(at)]
        .into_iter()
        .flatten()
    {
        let text = tree.node_text(n);
        let closed = match n.kind() {
            "string" => crate::syntax::string_is_closed(text),
            "fenced_string" => crate::syntax::fenced_string_is_closed(text),
            _ => continue,
        };
        return n.start_byte() < offset && (offset < n.end_byte() || !closed);
    }
    // A fence opened and never closed is no `fenced_string` node at all, only an error.
    tree.root().has_error() && inside_unclosed_fence(analysis.text(), offset)
}

/// True when the nearest fence line above `offset` opens a body (`code ```…`) rather than
/// closes one (a line of backticks alone).
fn inside_unclosed_fence(text: &str, offset: usize) -> bool {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    for line in text[..line_start].lines().rev() {
        let line = line.trim();
        if line.len() >= 3 && line.bytes().all(|b| b == b'`') {
            return false;
        }
        if line.ends_with("```") {
            return true;
        }
    }
    false
}

/// After `{` in an AI block's prompt: the block's inputs and the variables.
fn prompt_items(
    analysis: &Analysis,
    before: &str,
    line_start: usize,
    replace: Span,
) -> Vec<CompletionItem> {
    // Checked first: finding the container scans the text before the line.
    if !before.ends_with('{') {
        return Vec::new();
    }
    let Container::Block { id, header } = container_at(analysis.text(), line_start) else {
        return Vec::new();
    };
    if !header.contains("= ai") {
        return Vec::new();
    }
    let mut items = variable_items(analysis, replace, false);
    if let Some(block) = analysis.block(&id) {
        for port in super::resolve::ports(block, false) {
            items.push(
                CompletionItem::new(port.name.value.clone(), CompletionKind::Port, replace)
                    .detail(format!("in: {}", port.ty.text))
                    .rank(0),
            );
        }
    }
    items
}

/// The completions of the word `word_start..offset` (a valid range of the text), block ids
/// aside.
fn items_at(analysis: &Analysis, word_start: usize, offset: usize) -> Vec<CompletionItem> {
    let text = analysis.text();
    let replace = Span::new(word_start, offset);
    let line_start = text[..word_start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..word_start];
    let trimmed = before.trim_start();
    let index = analysis.index();
    let container = container_at(text, line_start);

    // `block.` -> that block's ports.
    if let Some(block_id) = before.strip_suffix('.').and_then(trailing_name) {
        let connect_target = trimmed.starts_with("connect") && before.contains("->");
        return port_items(
            analysis,
            index.as_ref(),
            &block_id,
            before,
            connect_target,
            replace,
        );
    }
    let before_word = before.trim_end();
    // `block id = ` -> block kinds.
    if trimmed.starts_with("block")
        && before_word.ends_with('=')
        && before_word.matches('=').count() == 1
    {
        return block_kind_items(replace);
    }
    // A type after `:` in a port, variable or parameter, or inside `[...]` of a type.
    let first_word = trimmed.split_whitespace().next().unwrap_or("");
    let declares = matches!(
        first_word,
        "in" | "out" | "optional" | "required" | "var" | "param" | "type"
    );
    if declares && in_type_position(trimmed) {
        // A type is not its own part (`type T = {a: T}` would be infinite).
        let declaring = trimmed
            .strip_prefix("type ")
            .and_then(|rest| rest.split(|c: char| c == '=' || c.is_whitespace()).next())
            .filter(|name| !name.is_empty());
        let mut items = type_items(analysis, replace);
        items.retain(|item| Some(item.label.as_str()) != declaring);
        return items;
    }
    // `in ` + name: inputs bound to variables of that name.
    if matches!(trimmed, "in " | "optional in " | "required in ") {
        return variable_items(analysis, replace, true);
    }
    // `key = ` in a block: the property's values.
    if let Some(key) = before_word.trim_start().strip_suffix('=').map(str::trim) {
        if let Container::Block { id, header } = &container {
            return value_items(analysis, id, header, key, replace);
        }
        return section_value_items(key, replace);
    }
    // The start of a statement.
    if !trimmed.is_empty() {
        return Vec::new();
    }
    match container {
        Container::TopLevel => {
            vec![
                CompletionItem::new("workflow", CompletionKind::Keyword, replace)
                    .snippet("workflow \"${1:Name}\" {\n  $0\n}"),
            ]
        }
        Container::Workflow => workflow_items(replace),
        Container::Block { id, header } => block_body_items(analysis, &id, &header, replace),
        Container::Section(name) => section_items(&name, replace),
        Container::Other => Vec::new(),
    }
}

/// The identifier (or quoted name) that ends `text`.
fn trailing_name(text: &str) -> Option<String> {
    if let Some(inner) = text.strip_suffix('"') {
        let start = inner.rfind('"')?;
        return serde_json::from_str::<String>(&text[start..]).ok();
    }
    let bytes = text.as_bytes();
    let mut start = bytes.len();
    while start > 0 && is_ident_byte(bytes[start - 1]) {
        start -= 1;
    }
    (start < bytes.len()).then(|| text[start..].to_owned())
}

/// True when the text of a declaration before the cursor ends where a type goes.
fn in_type_position(trimmed: &str) -> bool {
    let Some(colon) = trimmed.find(':') else {
        return trimmed.starts_with("type") && trimmed.trim_end().ends_with('=');
    };
    let after = &trimmed[colon + 1..];
    !after.contains('=') && !after.contains("<-") && !after.contains('{') && !after.contains('"')
}

/// The innermost container whose `{` is open before `line_start`, by scanning braces
/// backwards (strings and comments on a line are skipped).
fn container_at(text: &str, line_start: usize) -> Container {
    let mut depth = 0i32;
    for line in text[..line_start].lines().rev() {
        let code = strip_line(line);
        for b in code.bytes().rev() {
            match b {
                b'}' => depth += 1,
                b'{' => {
                    if depth == 0 {
                        let header = code.trim();
                        let first = header.split_whitespace().next().unwrap_or("");
                        return match first {
                            "workflow" => Container::Workflow,
                            "block" => {
                                let id = header
                                    .strip_prefix("block")
                                    .and_then(|rest| rest.split('=').next())
                                    .map(|id| id.trim().trim_matches('"').to_owned())
                                    .unwrap_or_default();
                                Container::Block {
                                    id,
                                    header: header.to_owned(),
                                }
                            }
                            "config" | "error_handling" | "canvas_state" | "retry_policy"
                                if header.ends_with('{') =>
                            {
                                Container::Section(first.to_owned())
                            }
                            _ => Container::Other,
                        };
                    }
                    depth -= 1;
                }
                _ => {}
            }
        }
    }
    Container::TopLevel
}

/// A line without its strings and its comment.
fn strip_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

fn kind_detail(block: &Block) -> String {
    match &block.kind {
        BlockKind::Visual { block_type, .. } => block_type.value.clone(),
        BlockKind::Code { language, .. } => language.value.clone(),
        BlockKind::Hybrid { base_language, .. } => format!("template {}", base_language.value),
        BlockKind::Ai { .. } => "ai".into(),
        BlockKind::Plugin {
            plugin, block_type, ..
        } => {
            format!("plugin {}.{}", plugin.value, block_type.value)
        }
    }
}

fn port_items(
    analysis: &Analysis,
    index: Option<&Index>,
    block_id: &str,
    before: &str,
    inputs: bool,
    replace: Span,
) -> Vec<CompletionItem> {
    let Some(index) = index else {
        return Vec::new();
    };
    let Some((block_idx, _)) = index.block(block_id) else {
        return Vec::new();
    };
    let Some(ports) = index.ports(block_idx) else {
        return Vec::new();
    };
    // The type of the input being written on this line: `in name: TYPE <- block.`
    let wanted: Option<Type> = before
        .split_once(':')
        .and_then(|(_, rest)| rest.split(['=', '<', '{']).next())
        .and_then(|ty| parse_type(ty.trim()).ok());
    let list = if inputs {
        &ports.inputs
    } else {
        &ports.outputs
    };
    let _ = analysis;
    list.iter()
        .map(|port| {
            let ty = port.ty.as_deref();
            let compatible = match (ty, &wanted) {
                (Some(from), Some(to)) => index.assignable(from, to),
                _ => true,
            };
            let detail = ty.map_or("?".into(), Type::to_dsl);
            let mut item = CompletionItem::new(port.name, CompletionKind::Port, replace)
                .insert(dsl_name(port.name))
                .detail(if compatible || wanted.is_none() {
                    detail
                } else {
                    format!("{detail} (does not fit)")
                })
                .rank(if compatible { 0 } else { 1 });
            if let Some(help) = port
                .decl
                .and_then(|d| d.description.as_ref())
                .map(|d| d.value.clone())
                .or_else(|| port.def.map(|d| d.help.to_owned()))
            {
                item = item.docs(help);
            }
            item
        })
        .collect()
}

fn block_kind_items(replace: Span) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = catalog::blocks()
        .map(|def| {
            CompletionItem::new(def.name, CompletionKind::BlockKind, replace)
                .detail(def.summary)
                .docs(block_def_markdown(def))
                .rank(1)
        })
        .collect();
    for language in catalog::languages() {
        let is_keyword = ["python", "javascript", "shell", "sql", "rust"].contains(&language.name);
        let insert = if is_keyword {
            language.name.to_owned()
        } else {
            format!("code \"{}\"", language.name)
        };
        items.push(
            CompletionItem::new(language.name, CompletionKind::BlockKind, replace)
                .insert(insert)
                .detail(format!("code: {}", language.summary))
                .docs(format!(
                    "{}\n\ninputs: {}\n\noutputs: {}",
                    language.summary, language.inputs, language.outputs
                ))
                .rank(0),
        );
    }
    items.push(
        CompletionItem::new("ai", CompletionKind::BlockKind, replace)
            .detail("call an AI model")
            .rank(0),
    );
    items.push(
        CompletionItem::new("template", CompletionKind::BlockKind, replace)
            .insert("template python")
            .snippet("template ${1:python}")
            .detail("a parameterised code template")
            .rank(2),
    );
    items.push(
        CompletionItem::new("plugin", CompletionKind::BlockKind, replace)
            .insert("plugin ")
            .snippet("plugin ${1:name}.${2:block}")
            .detail("a block of a workspace plugin")
            .rank(2),
    );
    items
}

fn type_items(analysis: &Analysis, replace: Span) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = SCALAR_TYPES
        .iter()
        .map(|name| CompletionItem::new(*name, CompletionKind::Type, replace).rank(1))
        .collect();
    for (name, arity) in TYPE_CONSTRUCTORS {
        let args = if *arity == 2 {
            "${1:K}, ${2:V}"
        } else {
            "${1:T}"
        };
        items.push(
            CompletionItem::new(*name, CompletionKind::Type, replace)
                .insert(format!("{name}["))
                .snippet(format!("{name}[{args}]"))
                .rank(2),
        );
    }
    for decl in analysis
        .document()
        .and_then(|d| d.workflow.types.as_ref())
        .into_iter()
        .flatten()
    {
        items.push(
            CompletionItem::new(decl.name.value.clone(), CompletionKind::Type, replace)
                .detail(decl.ty.text.clone())
                .rank(0),
        );
    }
    items
}

fn variable_items(analysis: &Analysis, replace: Span, with_type: bool) -> Vec<CompletionItem> {
    analysis
        .document()
        .and_then(|d| d.workflow.variables.as_ref())
        .into_iter()
        .flatten()
        .map(|variable| {
            let name = dsl_name(&variable.name.value);
            let ty = variable
                .ty
                .as_ref()
                .map(|t| parse_type(&t.text).map_or_else(|_| t.text.clone(), |ty| ty.to_dsl()));
            let mut item = CompletionItem::new(
                variable.name.value.clone(),
                CompletionKind::Variable,
                replace,
            )
            .detail(match &ty {
                Some(ty) => format!("var: {ty}"),
                None => "var".into(),
            })
            .rank(0);
            if with_type {
                if let Some(ty) = &ty {
                    item = item.insert(format!("{name}: {ty}"));
                }
            }
            if let Some(description) = &variable.description {
                item = item.docs(description.value.clone());
            }
            item
        })
        .collect()
}

fn value_items(
    analysis: &Analysis,
    block_id: &str,
    header: &str,
    key: &str,
    replace: Span,
) -> Vec<CompletionItem> {
    let def = analysis
        .block(block_id)
        .and_then(check::block_def)
        .or_else(|| catalog::lookup(header_kind(header)))
        .and_then(|def| def.property(key));
    let Some(def) = def else {
        return match key {
            "model" => ["anthropic", "openai", "local"]
                .iter()
                .map(|p| {
                    CompletionItem::new(*p, CompletionKind::Value, replace)
                        .insert(format!("{p}(\"\")"))
                        .snippet(format!("{p}(\"${{1:model}}\")"))
                })
                .collect(),
            "output_format" => ["text", "json"]
                .iter()
                .map(|v| CompletionItem::new(*v, CompletionKind::Value, replace))
                .collect(),
            "error_handling" => enum_items(&["stop", "continue", "retry(3)"], replace),
            _ => Vec::new(),
        };
    };
    let mut items = match &def.kind {
        PropertyKind::Select { options } => options
            .iter()
            .map(|o| {
                CompletionItem::new(format!("\"{o}\""), CompletionKind::Value, replace)
                    .detail(def.kind.describe())
            })
            .collect(),
        PropertyKind::Boolean => enum_items(&["true", "false"], replace),
        _ => Vec::new(),
    };
    if let Some(default) = &def.default {
        let label = default.to_string();
        if !items.iter().any(|i| i.label == label) {
            items.push(
                CompletionItem::new(label.clone(), CompletionKind::Value, replace)
                    .detail("default"),
            );
        }
        for item in &mut items {
            if item.label == label {
                item.sort_text = format!("0{}", item.label);
                item.detail = Some("default".into());
            }
        }
    }
    items
}

fn enum_items(values: &[&str], replace: Span) -> Vec<CompletionItem> {
    values
        .iter()
        .map(|v| CompletionItem::new(*v, CompletionKind::Value, replace))
        .collect()
}

fn section_value_items(key: &str, replace: Span) -> Vec<CompletionItem> {
    match key {
        "mode" => enum_items(
            &["sequential", "parallel", "streaming", "reactive"],
            replace,
        ),
        "backoff" => enum_items(&["fixed", "linear", "exponential"], replace),
        "logging_level" => enum_items(&["trace", "debug", "info", "warn", "error"], replace),
        "on_block_error" => enum_items(&["stop", "continue", "retry(3)"], replace),
        _ => Vec::new(),
    }
}

fn keyword(label: &str, snippet: &str, detail: &str, replace: Span) -> CompletionItem {
    let plain = snippet
        .replace("$0", "")
        .split("${")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_owned()
            } else {
                // `1:default}rest` -> `defaultrest`
                let part = part.split_once(':').map_or(part, |(_, p)| p);
                part.replacen('}', "", 1)
            }
        })
        .collect::<String>();
    CompletionItem::new(label, CompletionKind::Keyword, replace)
        .insert(plain)
        .snippet(snippet)
        .detail(detail)
}

fn workflow_items(replace: Span) -> Vec<CompletionItem> {
    vec![
        keyword(
            "block",
            "block ${1:id} = ${2:python} {\n  $0\n}",
            "a block",
            replace,
        )
        .rank(0),
        keyword(
            "var",
            "var ${1:name}: ${2:String} = $0",
            "a variable",
            replace,
        )
        .rank(1),
        keyword("type", "type ${1:Name} = $0", "a named type", replace).rank(1),
        keyword(
            "connect",
            "connect ${1:a.out} -> ${2:b.in}",
            "a connection",
            replace,
        )
        .rank(2),
        keyword(
            "config",
            "config {\n  mode = ${1:parallel}\n}",
            "execution settings",
            replace,
        )
        .rank(2),
        keyword(
            "error_handling",
            "error_handling {\n  on_block_error = ${1:stop}\n}",
            "what a failing block does",
            replace,
        )
        .rank(2),
        keyword(
            "canvas_state",
            "canvas_state {\n  zoom = ${1:1.0}\n}",
            "the canvas view",
            replace,
        )
        .rank(3),
        keyword(
            "version",
            "version = \"${1:1.0.0}\"",
            "workflow version",
            replace,
        )
        .rank(3),
        keyword("author", "author = \"$1\"", "workflow author", replace).rank(3),
        keyword("tags", "tags = [$1]", "workflow tags", replace).rank(3),
    ]
}

fn section_items(section: &str, replace: Span) -> Vec<CompletionItem> {
    let keys: &[(&str, &str)] = match section {
        "config" => &[
            ("mode", "sequential | parallel | streaming | reactive"),
            ("max_concurrent_blocks", "integer"),
            ("timeout", "duration, e.g. 300s"),
            ("retry_policy", "section"),
            ("logging_level", "trace | debug | info | warn | error"),
        ],
        "retry_policy" => &[
            ("max_attempts", "integer"),
            ("backoff", "fixed | linear | exponential"),
        ],
        "error_handling" => &[("on_block_error", "stop | continue | retry(N)")],
        "canvas_state" => &[
            ("zoom", "number"),
            ("pan", "(x, y)"),
            ("selected_blocks", "block ids"),
        ],
        _ => &[],
    };
    keys.iter()
        .map(|(key, detail)| {
            let insert = if *key == "retry_policy" {
                "retry_policy {\n}".to_owned()
            } else {
                format!("{key} = ")
            };
            CompletionItem::new(*key, CompletionKind::Property, replace)
                .insert(insert)
                .detail(*detail)
        })
        .collect()
}

/// The kind word of a block header: `python` in `block a = python "A" {`.
fn header_kind(header: &str) -> &str {
    header
        .split_once('=')
        .and_then(|(_, k)| k.split_whitespace().next())
        .unwrap_or("")
}

fn block_body_items(
    analysis: &Analysis,
    id: &str,
    header: &str,
    replace: Span,
) -> Vec<CompletionItem> {
    let mut items = vec![
        keyword("in", "in ${1:name}: ${2:String}", "an input port", replace).rank(1),
        keyword(
            "out",
            "out ${1:name}: ${2:String}",
            "an output port",
            replace,
        )
        .rank(1),
        keyword(
            "optional",
            "optional in ${1:name}: ${2:String}",
            "an input that may be absent",
            replace,
        )
        .rank(3),
        keyword(
            "required",
            "required in ${1:name}: ${2:String}",
            "an input that must be fed",
            replace,
        )
        .rank(3),
    ];
    let block = analysis.block(id);
    let kind_word = header_kind(header);
    let is_code = matches!(
        kind_word,
        "python" | "javascript" | "shell" | "sql" | "rust" | "code"
    ) || matches!(block.map(|b| &b.kind), Some(BlockKind::Code { .. }));
    if is_code {
        items.push(keyword("code", "code ```\n  $0\n  ```", "the source code", replace).rank(0));
        items.push(
            keyword(
                "dependencies",
                "dependencies = [$1]",
                "packages the code needs",
                replace,
            )
            .rank(2),
        );
        items.push(
            keyword(
                "error_handling",
                "error_handling = ${1:stop}",
                "stop | continue | retry(N)",
                replace,
            )
            .rank(2),
        );
    } else if kind_word == "template" {
        items.push(
            keyword(
                "param",
                "param ${1:name}: ${2:String} = $0",
                "a template parameter",
                replace,
            )
            .rank(0),
        );
        items.push(
            keyword(
                "placeholder",
                "placeholder ${1:name} = simple(${2:param})",
                "how a {{placeholder}} expands",
                replace,
            )
            .rank(0),
        );
        items.push(
            keyword(
                "template",
                "template ```\n  $0\n  ```",
                "the template source",
                replace,
            )
            .rank(0),
        );
        items.push(
            keyword(
                "preview",
                "preview ```\n  $0\n  ```",
                "the expanded preview",
                replace,
            )
            .rank(2),
        );
    } else if kind_word == "ai" {
        items.push(
            keyword(
                "model",
                "model = ${1:anthropic}(\"${2:claude-sonnet-4}\")",
                "the model",
                replace,
            )
            .rank(0),
        );
        items.push(keyword("system", "system = \"$1\"", "the system prompt", replace).rank(0));
        items.push(
            keyword(
                "prompt",
                "prompt = ```\n  $0\n  ```",
                "the prompt; {name} is an input or a variable",
                replace,
            )
            .rank(0),
        );
        items.push(
            keyword(
                "output_format",
                "output_format = ${1:text}",
                "text | json",
                replace,
            )
            .rank(2),
        );
    } else if let Some(def) = block
        .and_then(check::block_def)
        .or_else(|| catalog::lookup(kind_word))
    {
        let present: Vec<&str> = block
            .map(|b| {
                super::resolve::properties(b)
                    .map(|p| p.key.value.as_str())
                    .collect()
            })
            .unwrap_or_default();
        for prop in &def.properties {
            if present.contains(&prop.name) {
                continue;
            }
            let value_snippet = match (&prop.default, &prop.kind) {
                (Some(default), _) => format!("${{1:{}}}", default.to_string().replace('}', "\\}")),
                (None, PropertyKind::Select { options }) => {
                    format!("\"${{1|{}|}}\"", options.join(","))
                }
                (None, PropertyKind::Boolean) => "${1|true,false|}".to_owned(),
                (None, PropertyKind::TextList) => "[\"$1\"]".to_owned(),
                (None, PropertyKind::Number { .. } | PropertyKind::Integer { .. }) => {
                    "${1:0}".to_owned()
                }
                (None, _) => "\"$1\"".to_owned(),
            };
            let mut detail = prop.kind.describe();
            if prop.required {
                detail.push_str(", required");
            }
            items.push(
                CompletionItem::new(prop.name, CompletionKind::Property, replace)
                    .insert(format!("{} = ", prop.name))
                    .snippet(format!("{} = {value_snippet}", prop.name))
                    .detail(detail)
                    .docs(prop.help)
                    .rank(if prop.required { 0 } else { 1 }),
            );
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;

    /// The labels offered at the cursor, in sort order.
    fn labels(src: &str) -> Vec<String> {
        let (analysis, offset) = analysis(src);
        let mut items = completions(&analysis, offset);
        items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
        items.into_iter().map(|i| i.label).collect()
    }

    const SRC: &str = "workflow {\n  type Finding = {file: Path}\n  var marker: String = \"x\"\n  block find = find_files {\n    directory = \"src\"\n  }\n  block count = python {\n    out n: Integer\n    out names: List[String]\n  }\n  block b = python {\n    in files: List[Path] <- find.files\n    in total: Number <- count.$0\n  }\n}\n";

    #[test]
    fn ports_after_a_dot_compatible_first() {
        let found = labels(SRC);
        assert_eq!(found[0], "n", "{found:?}");
        assert!(found.contains(&"names".to_string()));
    }

    #[test]
    fn block_kinds_after_equals() {
        let found = labels("workflow {\n  block x = $0\n}\n");
        assert!(found.contains(&"find_files".to_string()), "{found:?}");
        assert!(found.contains(&"python".to_string()));
        assert!(found.contains(&"ai".to_string()));
    }

    #[test]
    fn properties_values_keywords() {
        let found = labels("workflow {\n  block f = find_files {\n    $0\n  }\n}\n");
        assert!(found.contains(&"directory".to_string()), "{found:?}");
        assert!(found.contains(&"in".to_string()));
        let found = labels("workflow {\n  block f = find_files {\n    recursive = $0\n  }\n}\n");
        assert!(found.contains(&"true".to_string()), "{found:?}");
        let found = labels("workflow {\n  $0\n}\n");
        assert_eq!(found[0], "block");
        assert_eq!(labels("$0"), vec!["workflow"]);
        let found = labels("workflow {\n  config {\n    mode = $0\n  }\n}\n");
        assert!(found.contains(&"parallel".to_string()), "{found:?}");
    }

    #[test]
    fn types_variables_and_block_ids() {
        let found = labels(
            &SRC.replace("count.$0", "count.n")
                .replace("in files: List[Path]", "in files: List[$0"),
        );
        assert_eq!(found[0], "Finding", "{found:?}");
        assert!(found.contains(&"Path".to_string()));
        let found = labels(
            &SRC.replace("count.$0", "count.n")
                .replace("in files: List[Path] <- find.files", "in $0"),
        );
        assert_eq!(found, vec!["marker"]);
        let found = labels(&SRC.replace("count.$0", "$0"));
        assert!(
            found.contains(&"find".to_string()) && found.contains(&"count".to_string()),
            "{found:?}"
        );
    }

    #[test]
    fn block_ids_nearest_above_first_filtered_and_cut() {
        // The block being written is not offered; the ones above come nearest first.
        let found = labels(&SRC.replace("count.$0", "$0"));
        assert_eq!(found, ["count", "find"]);
        let tail = "  block last = python {\n    out x: Integer\n  }\n}\n";
        let found = labels(
            &SRC.replace("count.$0", "$0")
                .replace("}\n}\n", &format!("}}\n{tail}")),
        );
        assert_eq!(found, ["count", "find", "last"]);

        // Typed characters filter (in order, case aside) and make the list incomplete.
        let (a, offset) = analysis(&SRC.replace("count.$0", "FD$0"));
        let list = completion_list(&a, offset);
        assert!(list.incomplete);
        assert_eq!(
            list.items
                .iter()
                .map(|i| i.label.as_str())
                .collect::<Vec<_>>(),
            ["find"]
        );
        assert_eq!(list.items[0].insert_text, "find.");

        // Thousands of blocks: cut at the limit, nearest first, marked incomplete.
        let mut src = String::from("workflow {\n");
        for i in 0..(MAX_BLOCK_ITEMS + 50) {
            src.push_str(&format!(
                "  block b{i} = python {{\n    out x: Integer\n  }}\n"
            ));
        }
        src.push_str("  block z = python {\n    in x: Integer <- $0\n  }\n}\n");
        let (a, offset) = analysis(&src);
        let list = completion_list(&a, offset);
        assert!(list.incomplete);
        assert_eq!(list.items.len(), MAX_BLOCK_ITEMS);
        let last = format!("b{}", MAX_BLOCK_ITEMS + 49);
        assert_eq!(list.items[0].label, last);
        assert!(list.items[0].sort_text < list.items[1].sort_text);
        // A type being declared is not offered inside itself.
        let found = labels("workflow {\n  type Row = {name: $0}\n  type Other = String\n}\n");
        assert!(found.contains(&"Other".to_string()), "{found:?}");
        assert!(!found.contains(&"Row".to_string()), "{found:?}");
        // After an indented `connect `, and after its `->`.
        let found = labels(&SRC.replace(
            "    in total: Number <- count.$0\n  }\n",
            "  }\n  connect $0\n",
        ));
        assert_eq!(found, ["b", "count", "find"]);
        let found = labels(&SRC.replace(
            "    in total: Number <- count.$0\n  }\n",
            "  }\n  connect find.files -> $0\n",
        ));
        assert_eq!(found, ["b", "count", "find"]);
        // Few enough blocks and nothing typed: complete.
        let (a, offset) = analysis(&SRC.replace("count.$0", "$0"));
        assert!(!completion_list(&a, offset).incomplete);
    }

    #[test]
    fn nothing_completes_inside_strings_and_bodies_but_prompt_placeholders() {
        for src in [
            "workflow \"W\" {\n  block a = python {\n    out x: String\n    code ```\n      im$0\n      ```\n  }\n}\n",
            "workflow \"W\" {\n  block a = python {\n    out x: String\n    code ```\n      $0\n      ```\n  }\n}\n",
            "workflow \"W\" {\n  block a = python {\n    code ```\n      x = 1\n      $0",
            "workflow \"W\" {\n  block f = find_files {\n    directory = \"sr$0\"\n  }\n}\n",
            "workflow \"W\" {\n  block f = find_files {\n    directory = \"sr$0\n  }\n}\n",
        ] {
            assert_eq!(labels(src), Vec::<String>::new(), "{src}");
        }
        // Right after a closed string or body, the language completes again.
        let found = labels("workflow \"W\" {\n  block a = python {\n    code ```\n      x = 1\n      ```\n    $0\n  }\n}\n");
        assert!(found.contains(&"out".to_string()), "{found:?}");
        // A prompt's `{` offers the block's inputs and the variables.
        let found = labels("workflow \"W\" {\n  var tone: String = \"dry\"\n  block g = ai {\n    in code: String\n    prompt = ```\n      Explain {$0\n      ```\n  }\n}\n");
        assert!(
            found.contains(&"code".to_string()) && found.contains(&"tone".to_string()),
            "{found:?}"
        );
    }
}
