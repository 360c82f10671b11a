//! Lowering: the tree-sitter tree of a `.ab` file to the workflow model.
//!
//! Lowering never fails: a construct it cannot read becomes a diagnostic and the rest of the
//! file still lowers (ERROR and MISSING nodes are skipped; `syntax_errors` reports them).
//! Known keys written with `@key = value` go through the JSON reader's `apply_*_field`
//! functions, so both file kinds mean the same thing by every key.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use tree_sitter::Node;

use super::shift::Shift;
use super::SyntaxTree;
use crate::diagnostic::Diagnostic;
use crate::json::read as jread;
use crate::json::{JsonKind, JsonNode, Member};
use crate::line_index::LineIndex;
use crate::model::*;
use crate::types::{self, parse_type, Type};
use crate::MAX_NESTING;

/// Lowers a parsed `.ab` file to the model, with the problems lowering found (not the syntax
/// errors, which [`super::errors::syntax_errors`] reports).
pub fn lower(tree: &SyntaxTree) -> (Document, Vec<Diagnostic>) {
    let lowered = lower_with(tree, None, false);
    (lowered.document, lowered.diagnostics)
}

/// What [`lower_incremental`] returns: the model, lowering's diagnostics, the cache the next
/// lowering of an edit of this text reuses, and the line index lowering built.
#[derive(Debug)]
pub struct Lowered {
    /// The model.
    pub document: Document,
    /// The problems lowering found.
    pub diagnostics: Vec<Diagnostic>,
    /// The blocks lowered, by text, for the next edit.
    pub cache: LowerCache,
    /// The start bytes of the `block` nodes known to hold no syntax error (filled only when
    /// a cache is kept), for [`super::syntax_errors_except`].
    pub(crate) clean_blocks: FxHashSet<usize>,
    /// The line index of the text (lowering places comments by line), for the caller to
    /// reuse.
    pub line_index: LineIndex,
    /// For each block of the model, in order, the cache entry it is (filled only when a cache
    /// is kept; `None` for a block lowered outside the cache, one with syntax errors).
    pub(crate) block_refs: Vec<Option<BlockRef>>,
}

/// Which [`LowerCache`] entry a block of the model is, and where it now starts.
///
/// Invariant: the block equals the entry's block moved by [`BlockRef::delta`]. Two refs whose
/// [`BlockRef::id`]s are equal, while either entry is alive, are the same entry (the id is its
/// address; holding the ref keeps the entry alive), so the block is the same up to that move.
#[derive(Clone, Debug)]
pub(crate) struct BlockRef {
    entry: Arc<BlockEntry>,
    start: usize,
}

impl BlockRef {
    /// The entry's identity.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.entry) as usize
    }

    /// How far the block moved since the entry was lowered.
    pub(crate) fn delta(&self) -> isize {
        self.start as isize - self.entry.start as isize
    }
}

/// Lowers `tree`, reusing the blocks of `previous` (the cache of an earlier lowering) whose
/// text is unchanged; see [`LowerCache`].
///
/// Architecture invariant: the result equals [`lower`]`(tree)`, spans and diagnostics
/// included, whatever `previous` holds (property-tested in `dsl/tests/incremental.rs`).
pub fn lower_incremental(tree: &SyntaxTree, previous: Option<&LowerCache>) -> Lowered {
    lower_with(tree, previous, true)
}

fn lower_with(tree: &SyntaxTree, previous: Option<&LowerCache>, keep: bool) -> Lowered {
    let mut doc_runs = FxHashMap::default();
    scan_doc_runs(tree.root(), &mut doc_runs);
    let mut lowerer = Lowerer {
        tree,
        text: tree.text(),
        diagnostics: Vec::new(),
        statements: Vec::new(),
        doc_runs,
        previous,
        next: keep.then(LowerCache::default),
        clean_blocks: FxHashSet::default(),
        block_comments: BlockComments::default(),
        block_refs: Vec::new(),
        last_ref: None,
    };
    let mut document = lowerer.lower_file(tree.root());
    let Lowerer {
        mut diagnostics,
        statements,
        next,
        clean_blocks,
        block_comments,
        block_refs,
        ..
    } = lowerer;
    let line_index = LineIndex::new(tree.text());
    document.trivia = attach_comments(
        tree,
        &line_index,
        &statements,
        &block_comments,
        &mut diagnostics,
    );
    Lowered {
        document,
        diagnostics,
        cache: next.unwrap_or_default(),
        clean_blocks,
        line_index,
        block_refs,
    }
}

/// The blocks of one lowering, kept so that lowering an edit of the text lowers only the
/// blocks whose text changed.
///
/// A block's lowering (its model, diagnostics, comment anchors, the connections written on
/// its inputs and the comments inside it) depends only on its key text: from the first `///`
/// line documenting it (or its first byte) to its last byte, plus its block number, which
/// only the comment anchors hold and which are renumbered on reuse. So a block whose key
/// text is unchanged is reused, its spans moved by the distance it moved. Blocks whose tree
/// has errors are always lowered again: tree-sitter's error recovery may depend on more than
/// their text. Everything that crosses blocks (derived connection types, `connection_order`,
/// duplicate ids, comments outside blocks and comment attachment) is recomputed from the
/// reused parts; a connection's derived id depends on the connection alone and is cached with
/// it. The check cache keys on the entries too ([`BlockRef`], `check::CheckCache`).
#[derive(Clone, Debug, Default)]
pub struct LowerCache {
    blocks: FxHashMap<u64, Arc<BlockEntry>>,
}

impl LowerCache {
    /// The number of blocks held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// True when no block is held.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The entry for `key` (the key text), here.
    fn get(&self, hash: u64, key: &str) -> Option<&Arc<BlockEntry>> {
        self.blocks.get(&hash).filter(|entry| &*entry.text == key)
    }
}

/// What lowering one block produced, with spans as of when it was lowered.
#[derive(Debug)]
struct BlockEntry {
    /// The key text.
    text: Box<str>,
    /// Where the key text started.
    start: usize,
    /// The block number it was lowered as.
    index: usize,
    /// True when the block has no syntax error ([`super::errors::is_clean`]).
    clean: bool,
    block: Option<Block>,
    diagnostics: Vec<Diagnostic>,
    statements: Vec<Statement>,
    connections: Vec<WrittenConnection>,
    /// The comments in the block's subtree, as [`collect_comments`] of the block finds them.
    comments: Vec<CommentNode>,
}

fn text_hash(text: &str) -> u64 {
    let mut hasher = FxHasher::default();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Where a statement sits, for attaching comments (see "Comment anchors" in
/// `docs/architecture.md`). Anchors are shared strings: reusing a cached block copies its
/// statements, usually with the same anchors.
#[derive(Clone, Debug)]
struct Statement {
    anchor: Arc<str>,
    /// The container's anchor (`""` for the file).
    container: Arc<str>,
    start: usize,
    end: usize,
    /// For blocks, sections and the workflow: the byte after `{` and the byte of `}`.
    body: Option<(usize, usize)>,
    /// The span of doc comments this statement took as its description.
    doc: Option<Span>,
}

struct Lowerer<'a> {
    tree: &'a SyntaxTree,
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
    statements: Vec<Statement>,
    /// The `///` lines right before each item (after its previous sibling; plain comments
    /// between them do not break the run), by the item's start byte. Holds the runs outside
    /// blocks from the start, and a block's runs once [`Lowerer::lower_block`] scanned it
    /// (see [`scan_doc_runs`]).
    doc_runs: FxHashMap<usize, Vec<Span>>,
    /// The cache of an earlier lowering to reuse blocks from.
    previous: Option<&'a LowerCache>,
    /// The cache this lowering fills, when asked for.
    next: Option<LowerCache>,
    /// The start bytes of blocks without syntax errors (see [`Lowered`]).
    clean_blocks: FxHashSet<usize>,
    /// The comments of the blocks that went through the cache (filled only when a cache is
    /// kept), so that collecting the file's comments skips their subtrees.
    block_comments: BlockComments,
    /// The cache entry of each block lowered into the model so far (see [`Lowered`]).
    block_refs: Vec<Option<BlockRef>>,
    /// The cache entry of the block [`Lowerer::lower_block_cached`] lowered last.
    last_ref: Option<BlockRef>,
}

fn span_of(node: Node) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

/// The named children that are statements or values: no comments, no error nodes, nothing
/// the parser invented.
fn children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|child| !child.is_extra() && !child.is_error() && !child.is_missing())
        .collect()
}

/// The grammar's field ids by name: `child_by_field_name` would search the names on every call.
fn field_id(name: &str) -> Option<std::num::NonZeroU16> {
    static IDS: std::sync::OnceLock<HashMap<String, std::num::NonZeroU16>> =
        std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let language = super::language();
        (1..=language.field_count() as u16)
            .filter_map(|id| {
                let name = language.field_name_for_id(id)?.to_string();
                Some((name, std::num::NonZeroU16::new(id)?))
            })
            .collect()
    })
    .get(name)
    .copied()
}

fn field<'t>(node: Node<'t>, name: &str) -> Option<Node<'t>> {
    node.child_by_field_id(field_id(name)?.get())
        .filter(|n| !n.is_missing() && !n.is_error())
}

fn fields<'t>(node: Node<'t>, name: &str) -> Vec<Node<'t>> {
    let Some(id) = field_id(name) else {
        return Vec::new();
    };
    let mut cursor = node.walk();
    node.children_by_field_id(id, &mut cursor)
        .filter(|n| !n.is_missing() && !n.is_error())
        .collect()
}

const MODES: &[(&str, &str)] = &[
    ("sequential", "Sequential"),
    ("parallel", "Parallel"),
    ("streaming", "Streaming"),
    ("reactive", "Reactive"),
];
const BACKOFFS: &[(&str, &str)] = &[
    ("fixed", "Fixed"),
    ("linear", "Linear"),
    ("exponential", "Exponential"),
];
const LOG_LEVELS: &[(&str, &str)] = &[
    ("trace", "Trace"),
    ("debug", "Debug"),
    ("info", "Info"),
    ("warn", "Warn"),
    ("error", "Error"),
];
const OUTPUT_FORMATS: &[(&str, &str)] = &[("text", "Text"), ("json", "Json")];

impl<'a> Lowerer<'a> {
    fn node_text(&self, node: Node) -> &'a str {
        &self.text[node.start_byte()..node.end_byte()]
    }

    fn error(&mut self, code: &'static str, message: impl Into<String>, span: Span) {
        self.diagnostics
            .push(Diagnostic::error(code, message, span));
    }

    fn statement(
        &mut self,
        anchor: String,
        container: &str,
        node: Node,
        body: Option<Node>,
        doc: Option<Span>,
    ) {
        let body = body.map(|b| {
            let open = b.child(0).map_or(b.start_byte(), |c| c.end_byte());
            let close = b
                .child(b.child_count().saturating_sub(1))
                .filter(|c| c.kind() == "}" && !c.is_missing())
                .map_or(b.end_byte(), |c| c.start_byte());
            (open, close)
        });
        self.statements.push(Statement {
            anchor: anchor.into(),
            container: container.into(),
            start: node.start_byte(),
            end: node.end_byte(),
            body,
            doc,
        });
    }

    // ---- names, strings, values ------------------------------------------------------

    /// The text of a name: an identifier as is, a string decoded.
    fn name(&mut self, node: Node) -> Str {
        let value = match node.kind() {
            "string" => self.decode_string(node),
            _ => self.node_text(node).to_string(),
        };
        Spanned::new(value, span_of(node))
    }

    fn decode_string(&mut self, node: Node) -> String {
        let raw = self.node_text(node);
        let inner = raw.strip_prefix('"').unwrap_or(raw);
        let inner = inner.strip_suffix('"').unwrap_or(inner);
        match decode_escapes(inner) {
            Ok(text) => text,
            Err((offset, message)) => {
                let at = node.start_byte() + 1 + offset;
                self.error(
                    "invalid-escape",
                    message,
                    Span::new(at, (at + 2).min(node.end_byte())),
                );
                String::new()
            }
        }
    }

    /// A fenced body's text, and where each of its lines was written (see [`TextMap`]).
    fn decode_fenced(&mut self, node: Node) -> (String, TextMap) {
        let raw = self.node_text(node);
        let fence_len = raw.bytes().take_while(|&b| b == b'`').count();
        let line_start = self.text[..node.start_byte()]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line_indent: String = self.text[line_start..node.start_byte()]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let prefix = format!("{line_indent}  ");
        let Some(first_newline) = raw.find('\n') else {
            return (String::new(), TextMap::default());
        };
        let body = &raw[first_newline + 1..];
        let mut lines: Vec<&str> = body.split('\n').collect();
        // The last line holds the closing fence (when the string is closed).
        let closed = lines
            .last()
            .is_some_and(|last| last.trim_start().starts_with(&"`".repeat(fence_len)));
        if closed {
            lines.pop();
        }
        let mut out = Vec::with_capacity(lines.len());
        let mut runs = Vec::with_capacity(lines.len());
        let mut decoded = 0;
        let mut offset = node.start_byte() + first_newline + 1;
        for line in lines {
            let line_nocr = line.strip_suffix('\r').unwrap_or(line);
            let content = if let Some(rest) = line_nocr.strip_prefix(&prefix) {
                rest
            } else if line_nocr.trim().is_empty() {
                ""
            } else {
                let indent = line_nocr.len() - line_nocr.trim_start().len();
                self.diagnostics.push(
                    Diagnostic::error(
                        "fenced-string-indentation",
                        format!(
                            "this line of a fenced string is indented {indent} column{}; its lines need {}",
                            if indent == 1 { "" } else { "s" },
                            prefix.len()
                        ),
                        Span::new(offset, offset + line_nocr.len()),
                    )
                    .with_help("indent the text two spaces more than the line that opens the fence"),
                );
                line_nocr.trim_start()
            };
            let written = offset + line_nocr.len() - content.len() - node.start_byte();
            runs.push((decoded as u32, written as u32));
            decoded += content.len() + 1;
            out.push(content);
            offset += line.len() + 1;
        }
        (out.join("\n"), TextMap(runs))
    }

    /// A string-valued node (plain or fenced).
    fn string_value(&mut self, node: Node) -> Option<Str> {
        let value = match node.kind() {
            "string" => self.decode_string(node),
            "fenced_string" => self.decode_fenced(node).0,
            _ => return None,
        };
        Some(Spanned::new(value, span_of(node)))
    }

    /// A string-valued node with where its text was written (for a quoted string, through its
    /// escapes; for a fenced one, each line past the indentation).
    fn text_value(&mut self, node: Node) -> Option<MappedStr> {
        let (value, map) = match node.kind() {
            "string" => {
                let value = self.decode_string(node);
                (value, TextMap::of_quoted(self.node_text(node)))
            }
            "fenced_string" => self.decode_fenced(node),
            _ => return None,
        };
        Some(MappedStr {
            str: Spanned::new(value, span_of(node)),
            map,
        })
    }

    /// [`Self::expect_string`], keeping where the text was written.
    fn expect_text(&mut self, node: Node, what: &str) -> Option<MappedStr> {
        let value = self.text_value(node);
        if value.is_none() {
            self.expect_string(node, what);
        }
        value
    }

    fn expect_string(&mut self, node: Node, what: &str) -> Option<Str> {
        let value = self.string_value(node);
        if value.is_none() {
            let found = describe(node);
            self.error(
                "expected-string",
                format!("expected a string for {what}, found {found}"),
                span_of(node),
            );
        }
        value
    }

    fn expect_number(&mut self, node: Node, what: &str, duration: bool) -> Option<Num> {
        let text = self.node_text(node);
        let digits = match node.kind() {
            "number" => text,
            "duration" if duration => text.strip_suffix('s').unwrap_or(text),
            _ => {
                let expected = if duration {
                    "a duration such as `30s`"
                } else {
                    "a number"
                };
                let found = describe(node);
                self.error(
                    "expected-number",
                    format!("expected {expected} for {what}, found {found}"),
                    span_of(node),
                );
                return None;
            }
        };
        match serde_json::from_str::<serde_json::Number>(digits) {
            Ok(number) => Some(Spanned::new(number, span_of(node))),
            Err(_) => {
                self.error(
                    "invalid-number",
                    format!("`{text}` is not a number"),
                    span_of(node),
                );
                None
            }
        }
    }

    /// Reports a value or type nested deeper than [`MAX_NESTING`] levels at `node` (its opening
    /// bracket, or the `?` of an optional type); nothing deeper is lowered.
    fn too_deep(&mut self, node: Node, what: &str) {
        let start = node.start_byte();
        let at = if node.kind() == "optional_type" {
            node.end_byte().saturating_sub(1)
        } else {
            start
        };
        self.diagnostics.push(
            Diagnostic::error(
                "too-deep",
                format!("{what} nested deeper than {MAX_NESTING} levels"),
                Span::new(at, at + 1),
            )
            .with_primary_message(format!("this {} is too deep", describe_level(node)))
            .with_help(if what == "value" {
                format!(
                    "the `.agentblocks` JSON allows {MAX_NESTING} levels of arrays and objects, \
                     counted from the file's outermost object"
                )
            } else {
                format!("a type may nest `[...]`, `{{...}}` and `?` {MAX_NESTING} levels")
            }),
        );
    }

    /// A value that must be JSON (no identifiers, calls, tuples or durations). `depth` is the
    /// number of JSON arrays and objects around it in the `.agentblocks` file (see `at`).
    fn json(&mut self, node: Node, depth: usize) -> Option<JsonNode> {
        let span = span_of(node);
        if matches!(node.kind(), "array" | "object") && depth >= MAX_NESTING {
            self.too_deep(node, "value");
            return None;
        }
        let kind = match node.kind() {
            "string" | "fenced_string" => JsonKind::String(self.string_value(node)?.value),
            "number" => JsonKind::Number(self.expect_number(node, "a value", false)?.value),
            "true" => JsonKind::Bool(true),
            "false" => JsonKind::Bool(false),
            "null" => JsonKind::Null,
            "array" => {
                let mut items = Vec::new();
                for child in children(node) {
                    items.push(self.json(child, depth + 1)?);
                }
                JsonKind::Array(items)
            }
            "object" => {
                let mut members: Vec<Member> = Vec::new();
                for pair in children(node) {
                    let (Some(key), Some(value)) = (field(pair, "key"), field(pair, "value"))
                    else {
                        continue;
                    };
                    let key = self.name(key);
                    if let Some(first) = members.iter().find(|m| m.key.value == key.value) {
                        let first = first.key.span;
                        self.diagnostics.push(
                            Diagnostic::error(
                                "duplicate-key",
                                format!("duplicate key `{}`", key.value),
                                key.span,
                            )
                            .with_label(first, "first written here"),
                        );
                        continue;
                    }
                    let value = self.json(value, depth + 1)?;
                    members.push(Member {
                        key,
                        value,
                        span: span_of(pair),
                    });
                }
                JsonKind::Object(members)
            }
            _ => {
                let found = describe(node);
                let mut diagnostic = Diagnostic::error(
                    "expected-json",
                    format!("expected a JSON value, found {found}"),
                    span,
                );
                if node.kind() == "identifier" {
                    diagnostic = diagnostic.with_help(format!(
                        "write text in quotes: `\"{}\"`",
                        self.node_text(node)
                    ));
                }
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        Some(JsonNode::new(kind, span))
    }

    fn spanned_json(&mut self, node: Node, depth: usize) -> Option<Spanned<Json>> {
        self.json(node, depth)
            .map(|json| Spanned::new(json.to_value(), json.span))
    }

    /// An `@key = value` statement as a JSON member of an object inside `depth` arrays and
    /// objects (see `at`).
    fn extra_member(&mut self, node: Node, depth: usize) -> Option<Member> {
        let key = self.name(field(node, "key")?);
        let value = self.json(field(node, "value")?, depth)?;
        Some(Member {
            key,
            value,
            span: span_of(node),
        })
    }

    /// An enumeration: a known identifier maps to its JSON spelling; a string is verbatim.
    fn enumeration(&mut self, node: Node, what: &str, known: &[(&str, &str)]) -> Option<Str> {
        match node.kind() {
            "identifier" => {
                let text = self.node_text(node);
                match known.iter().find(|(ident, _)| *ident == text) {
                    Some((_, json)) => Some(Spanned::new(json.to_string(), span_of(node))),
                    None => {
                        let expected: Vec<&str> = known.iter().map(|(ident, _)| *ident).collect();
                        self.diagnostics.push(
                            Diagnostic::error(
                                "unknown-value",
                                format!("unknown {what} `{text}`"),
                                span_of(node),
                            )
                            .with_help(format!("expected one of {}", expected.join(", "))),
                        );
                        None
                    }
                }
            }
            "string" => Some(Spanned::new(self.decode_string(node), span_of(node))),
            _ => {
                let found = describe(node);
                self.error(
                    "unknown-value",
                    format!("expected a {what}, found {found}"),
                    span_of(node),
                );
                None
            }
        }
    }

    fn error_action(&mut self, node: Node) -> Option<ErrorAction> {
        let span = span_of(node);
        match (node.kind(), self.node_text(node)) {
            ("identifier", "stop") => Some(ErrorAction::Stop(span)),
            ("identifier", "continue") => Some(ErrorAction::Continue(span)),
            ("call", _)
                if field(node, "function").is_some_and(|f| self.node_text(f) == "retry") =>
            {
                let args = self.call_arguments(node);
                match args.positional.as_slice() {
                    [count] => self
                        .expect_number(*count, "`retry`", false)
                        .map(ErrorAction::Retry),
                    _ => {
                        self.error(
                            "expected-number",
                            "`retry` takes the number of attempts: `retry(3)`",
                            span,
                        );
                        None
                    }
                }
            }
            _ => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "unknown-value",
                        format!("expected an error action, found {}", describe(node)),
                        span,
                    )
                    .with_help("expected `stop`, `continue` or `retry(N)`"),
                );
                None
            }
        }
    }

    fn call_arguments<'t>(&mut self, node: Node<'t>) -> CallArguments<'t> {
        let mut arguments = CallArguments::default();
        for child in children(node) {
            match child.kind() {
                "argument" => {
                    if let Some(value) = field(child, "value") {
                        arguments.positional.push(value);
                    }
                }
                "named_argument" => {
                    if let (Some(name), Some(value)) = (field(child, "name"), field(child, "value"))
                    {
                        arguments.named.push((self.name(name), value));
                    }
                }
                "extra_field" => arguments.extra.push(child),
                _ => {}
            }
        }
        arguments
    }

    // ---- types ------------------------------------------------------------------------

    fn type_ref(&mut self, node: Node) -> Option<TypeRef> {
        let span = span_of(node);
        if node.kind() == "string" {
            let text = self.decode_string(node);
            return Some(TypeRef { text, span });
        }
        let ty = self.type_tree(node, 0)?;
        Some(TypeRef {
            text: ty.to_string(),
            span,
        })
    }

    /// A type written in the DSL, inside `depth` levels of types.
    fn type_tree(&mut self, node: Node, depth: usize) -> Option<Type> {
        if matches!(
            node.kind(),
            "generic_type" | "optional_type" | "record_type"
        ) && depth >= MAX_NESTING
        {
            self.too_deep(node, "type");
            return None;
        }
        match node.kind() {
            "type_name" | "identifier" => Some(Type::Named(self.node_text(node).to_string())),
            "generic_type" => {
                let name = self.node_text(field(node, "name")?).to_string();
                let mut args = Vec::new();
                for arg in fields(node, "argument") {
                    args.push(self.type_tree(arg, depth + 1)?);
                }
                Some(Type::Applied(name, args))
            }
            "optional_type" => {
                let inner = self.type_tree(field(node, "type")?, depth + 1)?;
                Some(Type::Applied("Optional".to_string(), vec![inner]))
            }
            "record_type" => {
                let mut record = Vec::new();
                for field_node in children(node) {
                    let (Some(name), Some(ty)) =
                        (field(field_node, "name"), field(field_node, "type"))
                    else {
                        continue;
                    };
                    let name = self.name(name).value;
                    record.push((name, self.type_tree(ty, depth + 1)?));
                }
                Some(Type::Record(record))
            }
            "string" => {
                // A quoted type inside another type: accept it if it parses (and, with the
                // levels around it, is not too deep).
                let text = self.decode_string(node);
                match parse_type(&text) {
                    Ok(ty) if depth + types::nesting(&ty) > MAX_NESTING => {
                        self.error(
                            "too-deep",
                            format!("type nested deeper than {MAX_NESTING} levels"),
                            span_of(node),
                        );
                        None
                    }
                    Ok(ty) => Some(ty),
                    Err(e) => {
                        self.error(
                            "invalid-type",
                            format!("invalid type `{text}`: {}", e.message),
                            span_of(node),
                        );
                        None
                    }
                }
            }
            _ => None,
        }
    }

    // ---- doc comments -----------------------------------------------------------------

    /// The `///` lines right before `node` (after the previous sibling), as a description.
    fn doc_comment(&mut self, node: Node) -> (Option<Str>, Option<Span>) {
        let Some(docs) = self.doc_runs.get(&node.start_byte()) else {
            return (None, None);
        };
        let lines: Vec<&str> = docs
            .iter()
            .map(|d| {
                let text = &self.text[d.start..d.end];
                let text = &text[3..];
                let text = text.strip_suffix('\r').unwrap_or(text);
                text.strip_prefix(' ').unwrap_or(text)
            })
            .collect();
        let span = docs[0].cover(docs[docs.len() - 1]);
        (Some(Spanned::new(lines.join("\n"), span)), Some(span))
    }

    // ---- the file and the workflow ----------------------------------------------------

    fn lower_file(&mut self, root: Node) -> Document {
        let mut document = Document {
            format_version: Spanned::new("1.0".to_string(), Span::default()),
            ..Document::default()
        };
        let mut workflow_seen: Option<Span> = None;
        let mut seen_fields: FxHashMap<String, Span> = FxHashMap::default();
        for node in children(root) {
            match node.kind() {
                "field" => {
                    let (Some(key), Some(value)) = (field(node, "key"), field(node, "value"))
                    else {
                        continue;
                    };
                    let key = self.name(key);
                    if !self.first_time(&mut seen_fields, &key) {
                        continue;
                    }
                    if key.value == "format_version" {
                        if let Some(version) = self.expect_string(value, "`format_version`") {
                            document.format_version = version;
                        }
                        self.statement("top.format_version".into(), "", node, None, None);
                    } else {
                        self.unknown_field(&key, "at the top of a file");
                    }
                }
                "extra_field" => {
                    if let Some(member) = self.extra_member(node, at::TOP) {
                        if !self.first_time(
                            &mut seen_fields,
                            &Spanned::new(format!("@{}", member.key.value), member.key.span),
                        ) {
                            continue;
                        }
                        let anchor = format!("top.@{}", member.key.value);
                        jread::apply_top_field(&mut document, &member, &mut self.diagnostics);
                        self.statement(anchor, "", node, None, None);
                    }
                }
                "workflow" => {
                    if let Some(first) = workflow_seen {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "second-workflow",
                                "a file holds one workflow",
                                span_of(node),
                            )
                            .with_label(first, "the first workflow"),
                        );
                        continue;
                    }
                    workflow_seen = Some(span_of(node));
                    document.workflow = self.lower_workflow(node);
                }
                _ => {}
            }
        }
        if workflow_seen.is_none() {
            let end = self.text.len();
            self.diagnostics.push(
                Diagnostic::error(
                    "missing-workflow",
                    "expected a `workflow`",
                    Span::new(end, end),
                )
                .with_help("a file holds one `workflow \"Name\" { ... }`"),
            );
        }
        document
    }

    /// Reports a second declaration of a name that JSON holds as an object key: JSON cannot
    /// hold both, so the workflow does not convert until one is renamed.
    fn unique_key(
        &mut self,
        seen: &mut FxHashMap<String, Span>,
        name: &Str,
        what: &str,
        code: &'static str,
    ) {
        match seen.get(&name.value) {
            Some(first) => self.diagnostics.push(
                Diagnostic::error(
                    code,
                    format!("{what} `{}` is declared twice", name.value),
                    name.span,
                )
                .with_label(*first, "first declared here")
                .with_help(format!(
                    "JSON holds each {what} under its name, so names must differ; rename one"
                )),
            ),
            None => {
                seen.insert(name.value.clone(), name.span);
            }
        }
    }

    fn first_time(&mut self, seen: &mut FxHashMap<String, Span>, key: &Str) -> bool {
        if let Some(first) = seen.get(&key.value) {
            self.diagnostics.push(
                Diagnostic::error(
                    "duplicate-field",
                    format!("`{}` is set twice", key.value.trim_start_matches('@')),
                    key.span,
                )
                .with_label(*first, "first set here"),
            );
            return false;
        }
        seen.insert(key.value.clone(), key.span);
        true
    }

    fn unknown_field(&mut self, key: &Str, place: &str) {
        self.diagnostics.push(
            Diagnostic::error(
                "unknown-field",
                format!("unknown field `{}` {place}", key.value),
                key.span,
            )
            .with_help(format!(
                "JSON keys the language has no syntax for are written `@{}`",
                key.value
            )),
        );
    }

    fn lower_workflow(&mut self, node: Node) -> Workflow {
        let (description, doc) = self.doc_comment(node);
        let name_node = field(node, "name");
        let header_end = name_node.map_or(node.start_byte() + "workflow".len(), |n| n.end_byte());
        let mut workflow = Workflow {
            span: span_of(node),
            header_span: Span::new(node.start_byte(), header_end),
            name: name_node.map(|n| Spanned::new(self.decode_string(n), span_of(n))),
            description,
            ..Workflow::default()
        };
        let body = field(node, "body");
        self.statement("workflow".into(), "", node, body, doc);
        let Some(body) = body else { return workflow };
        let mut seen: FxHashMap<String, Span> = FxHashMap::default();
        let mut connection_order: Option<Vec<Str>> = None;
        let mut pending = PendingConnections::default();
        let items = children(body);
        // Most items of a large workflow are blocks: growing this vector would copy them.
        let mut blocks: Vec<Block> = Vec::with_capacity(items.len());
        let mut types: Vec<TypeDecl> = Vec::new();
        let mut variables: Vec<Variable> = Vec::new();
        let mut keys = WorkflowKeys::default();
        for item in items {
            match item.kind() {
                "field" => {
                    let (Some(key), Some(value)) = (field(item, "key"), field(item, "value"))
                    else {
                        continue;
                    };
                    let key = self.name(key);
                    if !self.first_time(&mut seen, &key) {
                        continue;
                    }
                    let anchor = format!("w.{}", key.value);
                    match key.value.as_str() {
                        "id" => workflow.id = self.expect_string(value, "`id`"),
                        "version" => workflow.version = self.expect_string(value, "`version`"),
                        "created_at" => {
                            workflow.created_at = self.expect_string(value, "`created_at`")
                        }
                        "modified_at" => {
                            workflow.modified_at = self.expect_string(value, "`modified_at`")
                        }
                        "author" => workflow.author = self.expect_string(value, "`author`"),
                        "tags" => workflow.tags = self.string_list(value, "`tags`"),
                        "ui_state" => workflow.ui_state = self.spanned_json(value, at::WORKFLOW),
                        "connection_order" => {
                            connection_order = self
                                .string_list(value, "`connection_order`")
                                .map(|l| l.value)
                        }
                        _ => {
                            self.unknown_field(&key, "in a workflow");
                            continue;
                        }
                    }
                    self.statement(anchor, "workflow", item, None, None);
                }
                "extra_field" => {
                    if let Some(member) = self.extra_member(item, at::WORKFLOW) {
                        if !self.first_time(
                            &mut seen,
                            &Spanned::new(format!("@{}", member.key.value), member.key.span),
                        ) {
                            continue;
                        }
                        self.statement(
                            format!("w.@{}", member.key.value),
                            "workflow",
                            item,
                            None,
                            None,
                        );
                        jread::apply_workflow_field(&mut workflow, &member, &mut self.diagnostics);
                    }
                }
                "type_decl" => {
                    let (Some(name), Some(ty)) = (field(item, "name"), field(item, "type")) else {
                        continue;
                    };
                    let name = self.name(name);
                    self.unique_key(&mut keys.types, &name, "type", "duplicate-type");
                    if let Some(ty) = self.type_ref(ty) {
                        self.statement(
                            format!("type.{}", types.len()),
                            "workflow",
                            item,
                            None,
                            None,
                        );
                        types.push(TypeDecl {
                            span: span_of(item),
                            name,
                            ty,
                        });
                    }
                }
                "var" => {
                    if let Some(variable) = self.lower_variable(item, variables.len()) {
                        self.unique_key(
                            &mut keys.variables,
                            &variable.name,
                            "variable",
                            "duplicate-variable",
                        );
                        variables.push(variable);
                    }
                }
                "section" => self.lower_workflow_section(item, &mut workflow, &mut seen),
                "block" => {
                    if let Some(block) = self.lower_block_cached(item, blocks.len(), &mut pending) {
                        self.unique_key(&mut keys.blocks, &block.id, "block", "duplicate-block");
                        blocks.push(block);
                        let block_ref = self.last_ref.take();
                        if self.next.is_some() {
                            self.block_refs.push(block_ref);
                        }
                    }
                }
                "connect" => {
                    if let Some(connection) = self.lower_connect(item) {
                        pending.standalone.push(connection);
                    }
                }
                _ => {}
            }
        }
        if !types.is_empty() {
            workflow.types = Some(types);
        }
        if !variables.is_empty() {
            workflow.variables = Some(variables);
        }
        let connections = self.finish_connections(&blocks, pending, connection_order);
        if !blocks.is_empty() {
            workflow.blocks = Some(blocks);
        }
        if !connections.is_empty() {
            workflow.connections = Some(connections);
        }
        workflow
    }

    fn string_list(&mut self, node: Node, what: &str) -> Option<Spanned<Vec<Str>>> {
        if node.kind() != "array" {
            let found = describe(node);
            self.error(
                "expected-list",
                format!("expected a list of strings for {what}, found {found}"),
                span_of(node),
            );
            return None;
        }
        let mut items = Vec::new();
        for child in children(node) {
            match child.kind() {
                "string" => items.push(Spanned::new(self.decode_string(child), span_of(child))),
                // Block ids in `selected_blocks` may be bare.
                "identifier" => items.push(Spanned::new(
                    self.node_text(child).to_string(),
                    span_of(child),
                )),
                _ => {
                    let found = describe(child);
                    self.error(
                        "expected-string",
                        format!("expected a string in {what}, found {found}"),
                        span_of(child),
                    );
                }
            }
        }
        Some(Spanned::new(items, span_of(node)))
    }

    fn lower_variable(&mut self, node: Node, index: usize) -> Option<Variable> {
        let name = self.name(field(node, "name")?);
        let (description, doc) = self.doc_comment(node);
        let mut variable = Variable {
            span: span_of(node),
            name,
            ty: field(node, "type").and_then(|t| self.type_ref(t)),
            value: field(node, "value").and_then(|v| self.spanned_json(v, at::VARIABLE)),
            description,
            extra: Vec::new(),
        };
        if let Some(attributes) = field(node, "attributes") {
            for attribute in children(attributes) {
                if attribute.kind() == "extra_field" {
                    if let Some(member) = self.extra_member(attribute, at::VARIABLE) {
                        jread::apply_variable_field(&mut variable, &member, &mut self.diagnostics);
                    }
                } else if let Some(key) = field(attribute, "key") {
                    let key = self.name(key);
                    self.unknown_field(&key, "of a variable");
                }
            }
        }
        self.statement(format!("var.{index}"), "workflow", node, None, doc);
        Some(variable)
    }

    fn lower_workflow_section(
        &mut self,
        node: Node,
        workflow: &mut Workflow,
        seen: &mut FxHashMap<String, Span>,
    ) {
        let Some(name_node) = field(node, "name") else {
            return;
        };
        let name = self.name(name_node);
        let Some(body) = field(node, "body") else {
            return;
        };
        if !matches!(
            name.value.as_str(),
            "config" | "error_handling" | "canvas_state"
        ) {
            self.diagnostics.push(
                Diagnostic::error(
                    "unknown-section",
                    format!("unknown section `{}`", name.value),
                    name.span,
                )
                .with_help(
                    "a workflow has the sections `config`, `error_handling` and `canvas_state`",
                ),
            );
            return;
        }
        if !self.first_time(seen, &name) {
            return;
        }
        let anchor = format!("w.{}", name.value);
        self.statement(anchor.clone(), "workflow", node, Some(body), None);
        let span = span_of(node);
        match name.value.as_str() {
            "config" => {
                let mut config = ExecutionConfig {
                    span,
                    ..ExecutionConfig::default()
                };
                let mut retry_policy = None;
                self.section_entries(
                    body,
                    &anchor,
                    |this, key, value, entry| match key.value.as_str() {
                        "mode" => {
                            config.mode = this.enumeration(value, "mode", MODES);
                            true
                        }
                        "max_concurrent_blocks" => {
                            config.max_concurrent_blocks =
                                this.expect_number(value, "`max_concurrent_blocks`", false);
                            true
                        }
                        "timeout" => {
                            config.timeout = this.expect_number(value, "`timeout`", true);
                            true
                        }
                        "logging_level" => {
                            config.logging_level =
                                this.enumeration(value, "logging level", LOG_LEVELS);
                            true
                        }
                        "@" => {
                            if let Some(member) = this.extra_member(entry, at::SECTION) {
                                jread::apply_execution_config_field(
                                    &mut config,
                                    &member,
                                    &mut this.diagnostics,
                                );
                            }
                            true
                        }
                        _ => false,
                    },
                    |this, section_name, section_body, section_node, section_anchor| {
                        if section_name.value != "retry_policy" {
                            return false;
                        }
                        let mut policy = RetryPolicy {
                            span: span_of(section_node),
                            ..RetryPolicy::default()
                        };
                        this.section_entries(
                            section_body,
                            section_anchor,
                            |this, key, value, entry| match key.value.as_str() {
                                "max_attempts" => {
                                    policy.max_attempts =
                                        this.expect_number(value, "`max_attempts`", false);
                                    true
                                }
                                "backoff" => {
                                    policy.backoff = this.enumeration(value, "backoff", BACKOFFS);
                                    true
                                }
                                "@" => {
                                    if let Some(member) = this.extra_member(entry, at::SECTION + 1)
                                    {
                                        jread::apply_retry_policy_field(
                                            &mut policy,
                                            &member,
                                            &mut this.diagnostics,
                                        );
                                    }
                                    true
                                }
                                _ => false,
                            },
                            |_, _, _, _, _| false,
                        );
                        retry_policy = Some(policy);
                        true
                    },
                );
                if retry_policy.is_some() {
                    config.retry_policy = retry_policy;
                }
                workflow.execution_config = Some(config);
            }
            "error_handling" => {
                let mut handling = WorkflowErrorHandling {
                    span,
                    ..WorkflowErrorHandling::default()
                };
                self.section_entries(
                    body,
                    &anchor,
                    |this, key, value, entry| match key.value.as_str() {
                        "on_block_error" => {
                            handling.on_block_error = this.error_action(value);
                            true
                        }
                        "@" => {
                            if let Some(member) = this.extra_member(entry, at::SECTION) {
                                jread::apply_error_handling_field(
                                    &mut handling,
                                    &member,
                                    &mut this.diagnostics,
                                );
                            }
                            true
                        }
                        _ => false,
                    },
                    |_, _, _, _, _| false,
                );
                workflow.error_handling = Some(handling);
            }
            _ => {
                let mut canvas = CanvasState {
                    span,
                    ..CanvasState::default()
                };
                self.section_entries(
                    body,
                    &anchor,
                    |this, key, value, entry| match key.value.as_str() {
                        "zoom" => {
                            canvas.zoom = this.expect_number(value, "`zoom`", false);
                            true
                        }
                        "pan" => {
                            canvas.pan = this.point(value, "`pan`");
                            true
                        }
                        "selected_blocks" => {
                            canvas.selected_blocks = this.string_list(value, "`selected_blocks`");
                            true
                        }
                        "@" => {
                            if let Some(member) = this.extra_member(entry, at::SECTION) {
                                jread::apply_canvas_state_field(
                                    &mut canvas,
                                    &member,
                                    &mut this.diagnostics,
                                );
                            }
                            true
                        }
                        _ => false,
                    },
                    |_, _, _, _, _| false,
                );
                workflow.canvas_state = Some(canvas);
            }
        }
    }

    /// Walks a section body: `entry(this, key, value, node)` handles `key = value` (and `@`
    /// keys, with key `@`), `nested(this, name, body, node, anchor)` nested sections; each
    /// returns whether it knew the key.
    fn section_entries<'t>(
        &mut self,
        body: Node<'t>,
        anchor: &str,
        mut entry: impl FnMut(&mut Self, &Str, Node<'t>, Node<'t>) -> bool,
        mut nested: impl FnMut(&mut Self, &Str, Node<'t>, Node<'t>, &str) -> bool,
    ) {
        let mut seen: FxHashMap<String, Span> = FxHashMap::default();
        for item in children(body) {
            match item.kind() {
                "field" => {
                    let (Some(key), Some(value)) = (field(item, "key"), field(item, "value"))
                    else {
                        continue;
                    };
                    let key = self.name(key);
                    if !self.first_time(&mut seen, &key) {
                        continue;
                    }
                    if entry(self, &key, value, item) {
                        self.statement(format!("{anchor}.{}", key.value), anchor, item, None, None);
                    } else {
                        self.unknown_field(&key, "in this section");
                    }
                }
                "extra_field" => {
                    let Some(key) = field(item, "key") else {
                        continue;
                    };
                    let key = self.name(key);
                    if !self.first_time(
                        &mut seen,
                        &Spanned::new(format!("@{}", key.value), key.span),
                    ) {
                        continue;
                    }
                    let at = Spanned::new("@".to_string(), key.span);
                    entry(self, &at, item, item);
                    self.statement(format!("{anchor}.@{}", key.value), anchor, item, None, None);
                }
                "section" => {
                    let (Some(name), Some(section_body)) =
                        (field(item, "name"), field(item, "body"))
                    else {
                        continue;
                    };
                    let name = self.name(name);
                    if !self.first_time(&mut seen, &name) {
                        continue;
                    }
                    let nested_anchor = format!("{anchor}.{}", name.value);
                    self.statement(
                        nested_anchor.clone(),
                        anchor,
                        item,
                        Some(section_body),
                        None,
                    );
                    if !nested(self, &name, section_body, item, &nested_anchor) {
                        self.diagnostics.push(Diagnostic::error(
                            "unknown-section",
                            format!("unknown section `{}` here", name.value),
                            name.span,
                        ));
                    }
                }
                _ => {}
            }
        }
    }

    /// `(x, y)` as a position.
    fn point(&mut self, node: Node, what: &str) -> Option<Position> {
        if node.kind() != "tuple" {
            let found = describe(node);
            self.diagnostics.push(
                Diagnostic::error(
                    "expected-point",
                    format!("expected `(x, y)` for {what}, found {found}"),
                    span_of(node),
                )
                .with_help(format!(
                    "write any other shape as `@{}` with a JSON object",
                    what.trim_matches('`')
                )),
            );
            return None;
        }
        let items = children(node);
        if items.len() != 2 {
            self.error(
                "expected-point",
                format!("{what} takes two numbers: `(x, y)`"),
                span_of(node),
            );
            return None;
        }
        let x = self.expect_number(items[0], "x", false)?;
        let y = self.expect_number(items[1], "y", false)?;
        Some(Position {
            span: span_of(node),
            x,
            y,
        })
    }

    // ---- blocks -----------------------------------------------------------------------

    /// Lowers a block, or reuses its earlier lowering (see [`LowerCache`]).
    fn lower_block_cached(
        &mut self,
        node: Node,
        index: usize,
        pending: &mut PendingConnections,
    ) -> Option<Block> {
        self.last_ref = None;
        if self.next.is_none() || node.has_error() {
            return self.lower_block(node, index, pending);
        }
        let start = self
            .doc_runs
            .get(&node.start_byte())
            .and_then(|run| run.first())
            .map_or(node.start_byte(), |doc| doc.start.min(node.start_byte()));
        let key = &self.text[start..node.end_byte()];
        let hash = text_hash(key);
        let found = self
            .next
            .as_ref()
            .and_then(|next| next.get(hash, key))
            .or_else(|| self.previous.and_then(|previous| previous.get(hash, key)))
            .cloned();
        if let Some(entry) = found {
            let delta = start as isize - entry.start as isize;
            self.reuse(&entry, index, delta, pending);
            self.block_comments.insert(
                node.start_byte(),
                entry.comments.iter().map(|comment| {
                    let mut comment = comment.clone();
                    comment.shift(delta);
                    comment
                }),
            );
            // Strings closing depends on the text alone; `has_error` is checked again because
            // the same text can parse differently in a different context.
            if entry.clean && !node.has_error() {
                self.clean_blocks.insert(node.start_byte());
            }
            let mut block = entry.block.clone();
            block.shift(delta);
            self.last_ref = Some(BlockRef {
                entry: Arc::clone(&entry),
                start,
            });
            if let Some(next) = &mut self.next {
                next.blocks.entry(hash).or_insert(entry);
            }
            return block;
        }
        let (n_diagnostics, n_statements, n_connections) = (
            self.diagnostics.len(),
            self.statements.len(),
            pending.on_ports.len(),
        );
        let block = self.lower_block(node, index, pending);
        let clean = super::errors::is_clean(self.tree, node);
        if clean {
            self.clean_blocks.insert(node.start_byte());
        }
        let comments = collect_comments(node, &BlockComments::default());
        self.block_comments
            .insert(node.start_byte(), comments.iter().cloned());
        let entry = BlockEntry {
            text: key.into(),
            start,
            index,
            clean,
            block: block.clone(),
            diagnostics: self.diagnostics[n_diagnostics..].to_vec(),
            statements: self.statements[n_statements..].to_vec(),
            connections: pending.on_ports[n_connections..].to_vec(),
            comments,
        };
        if let Some(next) = &mut self.next {
            let entry = next.blocks.entry(hash).or_insert_with(|| Arc::new(entry));
            // The entry already there (same hash) may be another text's; then this block has
            // no entry to be identified by.
            if &*entry.text == key {
                self.last_ref = Some(BlockRef {
                    entry: Arc::clone(entry),
                    start,
                });
            }
        }
        block
    }

    /// Replays a cached block's diagnostics, comment anchors and connections, moved by
    /// `delta` and renumbered as block number `index`.
    fn reuse(
        &mut self,
        entry: &BlockEntry,
        index: usize,
        delta: isize,
        pending: &mut PendingConnections,
    ) {
        for diagnostic in &entry.diagnostics {
            let mut diagnostic = diagnostic.clone();
            diagnostic.shift(delta);
            self.diagnostics.push(diagnostic);
        }
        // The anchors of a block number `n` start with `block.{n}`.
        let prefixes = (index != entry.index)
            .then(|| (format!("block.{}", entry.index), format!("block.{index}")));
        let renumber = |anchor: &Arc<str>| match &prefixes {
            Some((old, new)) => match anchor.strip_prefix(old.as_str()) {
                Some(rest) => format!("{new}{rest}").into(),
                None => Arc::clone(anchor),
            },
            None => Arc::clone(anchor),
        };
        for statement in &entry.statements {
            let shift = |offset: usize| offset.saturating_add_signed(delta);
            self.statements.push(Statement {
                anchor: renumber(&statement.anchor),
                container: renumber(&statement.container),
                start: shift(statement.start),
                end: shift(statement.end),
                body: statement
                    .body
                    .map(|(open, close)| (shift(open), shift(close))),
                doc: statement.doc.map(|mut doc| {
                    doc.shift(delta);
                    doc
                }),
            });
        }
        for written in &entry.connections {
            let mut written = written.clone();
            written.connection.shift(delta);
            pending.on_ports.push(written);
        }
    }

    fn lower_block(
        &mut self,
        node: Node,
        index: usize,
        pending: &mut PendingConnections,
    ) -> Option<Block> {
        let mut block = self.lower_block_fields(node, index, pending)?;
        // A template or prompt written with `@key` came through the JSON reader, without a map.
        crate::json::read::fill_block_text_maps(&mut block, self.text);
        Some(block)
    }

    fn lower_block_fields(
        &mut self,
        node: Node,
        index: usize,
        pending: &mut PendingConnections,
    ) -> Option<Block> {
        scan_doc_runs(node, &mut self.doc_runs);
        let id = self.name(field(node, "id")?);
        let kind_node = field(node, "kind")?;
        let mut kind = self.block_kind(kind_node)?;
        let (description, doc) = self.doc_comment(node);
        let body = field(node, "body");
        let anchor = format!("block.{index}");
        self.statement(anchor.clone(), "workflow", node, body, doc);
        let mut block = Block {
            span: span_of(node),
            id: id.clone(),
            kind: kind.clone(),
            kind_span: span_of(kind_node),
            name: field(node, "name").map(|n| Spanned::new(self.decode_string(n), span_of(n))),
            description,
            position: field(node, "position").and_then(|p| self.position(p)),
            inputs: None,
            outputs: None,
            extra: Vec::new(),
        };
        let Some(body) = body else { return Some(block) };
        let mut seen: FxHashMap<String, Span> = FxHashMap::default();
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        let mut properties: Vec<Property> = Vec::new();
        let mut params: Vec<Parameter> = Vec::new();
        let mut placeholders: Vec<Placeholder> = Vec::new();
        let mut placeholder_names: FxHashMap<String, Span> = FxHashMap::default();
        let mut template_source: Option<(MappedStr, Span)> = None;
        let mut extras: Vec<Member> = Vec::new();
        for item in children(body) {
            match item.kind() {
                "field" => {
                    let (Some(key_node), Some(value)) = (field(item, "key"), field(item, "value"))
                    else {
                        continue;
                    };
                    let key = self.name(key_node);
                    if !self.first_time(&mut seen, &key) {
                        continue;
                    }
                    let known = match &mut kind {
                        BlockKind::Visual { .. } | BlockKind::Plugin { .. } => {
                            if let Some(json) = self.spanned_json(value, at::PROPERTY) {
                                self.statement(
                                    format!("{anchor}.prop.{}", properties.len()),
                                    &anchor,
                                    item,
                                    None,
                                    None,
                                );
                                properties.push(Property {
                                    span: span_of(item),
                                    key: key.clone(),
                                    value: json,
                                });
                            }
                            continue;
                        }
                        BlockKind::Code {
                            dependencies,
                            error_handling,
                            ..
                        } => match key.value.as_str() {
                            "dependencies" => {
                                *dependencies = self.string_list(value, "`dependencies`");
                                true
                            }
                            "error_handling" => {
                                *error_handling = self.error_action(value);
                                true
                            }
                            _ => false,
                        },
                        BlockKind::Ai {
                            model_config,
                            system_prompt,
                            user_prompt_template,
                            context_analysis,
                            output_format,
                            fallback_behavior,
                        } => match key.value.as_str() {
                            "model" => {
                                *model_config = self.model_config(value);
                                true
                            }
                            "system" => {
                                *system_prompt = self.expect_text(value, "`system`");
                                true
                            }
                            "prompt" => {
                                *user_prompt_template = self.expect_text(value, "`prompt`");
                                true
                            }
                            "context_analysis" => {
                                *context_analysis = self.spanned_json(value, at::BLOCK);
                                true
                            }
                            "output_format" => {
                                *output_format =
                                    self.enumeration(value, "output format", OUTPUT_FORMATS);
                                true
                            }
                            "fallback_behavior" => {
                                *fallback_behavior = self.spanned_json(value, at::BLOCK);
                                true
                            }
                            _ => false,
                        },
                        BlockKind::Hybrid { .. } => false,
                    };
                    if known {
                        self.statement(
                            format!("{anchor}.{}", key.value),
                            &anchor,
                            item,
                            None,
                            None,
                        );
                    } else {
                        let kind_name = block_kind_name(&kind);
                        self.unknown_field(&key, &format!("in {kind_name} block"));
                    }
                }
                "extra_field" => {
                    let Some(member) = self.extra_member(item, at::BLOCK) else {
                        continue;
                    };
                    if !self.first_time(
                        &mut seen,
                        &Spanned::new(format!("@{}", member.key.value), member.key.span),
                    ) {
                        continue;
                    }
                    if jread::block_identity_keys(&kind).contains(&member.key.value.as_str()) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "identity-key",
                                format!("`{}` is written in the block's header", member.key.value),
                                member.key.span,
                            )
                            .with_help("the header `block ID = KIND` says the block's type"),
                        );
                        continue;
                    }
                    self.statement(
                        format!("{anchor}.@{}", member.key.value),
                        &anchor,
                        item,
                        None,
                        None,
                    );
                    extras.push(member);
                }
                "port" => {
                    let Some(direction) = field(item, "direction") else {
                        continue;
                    };
                    let is_input = self.node_text(direction) == "in";
                    let list = if is_input { &mut inputs } else { &mut outputs };
                    let port_anchor = format!(
                        "{anchor}.{}.{}",
                        if is_input { "in" } else { "out" },
                        list.len()
                    );
                    let Some(port) = self.lower_port(item) else {
                        continue;
                    };
                    for source in fields(item, "sources") {
                        if !is_input {
                            self.error(
                                "source-on-output",
                                "only inputs take connections: `in name: Type <- block.port`",
                                span_of(source),
                            );
                            continue;
                        }
                        if let Some(connection) = self.lower_source(source, &id, &port.name) {
                            pending.on_ports.push(connection);
                        }
                    }
                    let list = if is_input { &mut inputs } else { &mut outputs };
                    list.push(port);
                    let doc = self.doc_comment(item).1;
                    self.statement(port_anchor, &anchor, item, None, doc);
                }
                "param" => {
                    if !matches!(kind, BlockKind::Hybrid { .. }) {
                        self.error(
                            "misplaced-statement",
                            "`param` belongs in a `template` block",
                            span_of(item),
                        );
                        continue;
                    }
                    let param_anchor = format!("{anchor}.param.{}", params.len());
                    if let Some(param) = self.lower_param(item) {
                        params.push(param);
                        let doc = self.doc_comment(item).1;
                        self.statement(param_anchor, &anchor, item, None, doc);
                    }
                }
                "placeholder" => {
                    if !matches!(kind, BlockKind::Hybrid { .. }) {
                        self.error(
                            "misplaced-statement",
                            "`placeholder` belongs in a `template` block",
                            span_of(item),
                        );
                        continue;
                    }
                    let placeholder_anchor = format!("{anchor}.placeholder.{}", placeholders.len());
                    if let Some(placeholder) = self.lower_placeholder(item) {
                        self.unique_key(
                            &mut placeholder_names,
                            &placeholder.name,
                            "placeholder",
                            "duplicate-name",
                        );
                        placeholders.push(placeholder);
                        self.statement(placeholder_anchor, &anchor, item, None, None);
                    }
                }
                "body_string" => {
                    let (Some(which), Some(value)) = (field(item, "kind"), field(item, "value"))
                    else {
                        continue;
                    };
                    let which_text = self.node_text(which);
                    let which_key = Spanned::new(which_text.to_string(), span_of(which));
                    if !self.first_time(&mut seen, &which_key) {
                        continue;
                    }
                    let Some(mapped) = self.text_value(value) else {
                        continue;
                    };
                    let ok = match (&mut kind, which_text) {
                        (BlockKind::Code { source_code, .. }, "code") => {
                            *source_code = Some(mapped.str);
                            true
                        }
                        (BlockKind::Hybrid { .. }, "template") => {
                            template_source = Some((mapped, span_of(item)));
                            true
                        }
                        (BlockKind::Hybrid { preview_code, .. }, "preview") => {
                            *preview_code = Some(mapped.str);
                            true
                        }
                        _ => false,
                    };
                    if ok {
                        self.statement(format!("{anchor}.{which_text}"), &anchor, item, None, None);
                    } else {
                        let kind_name = block_kind_name(&kind);
                        self.error(
                            "misplaced-statement",
                            format!("`{which_text}` does not belong in {kind_name} block"),
                            span_of(which),
                        );
                    }
                }
                _ => {}
            }
        }
        match &mut kind {
            BlockKind::Visual {
                properties: slot, ..
            }
            | BlockKind::Plugin {
                properties: slot, ..
            } if !properties.is_empty() => *slot = Some(properties),
            BlockKind::Hybrid {
                template,
                parameters,
                ..
            } => {
                if !params.is_empty() {
                    *parameters = Some(params);
                }
                match template_source {
                    Some((source, span)) => {
                        *template = Some(Template {
                            span,
                            source,
                            placeholders,
                        });
                    }
                    None if !placeholders.is_empty() => {
                        self.error(
                            "placeholder-without-template",
                            "placeholders need a `template` body in the block",
                            placeholders[0].span,
                        );
                    }
                    None => {}
                }
            }
            _ => {}
        }
        block.kind = kind;
        if !inputs.is_empty() {
            block.inputs = Some(inputs);
        }
        if !outputs.is_empty() {
            block.outputs = Some(outputs);
        }
        for member in extras {
            jread::apply_block_field(&mut block, &member, &mut self.diagnostics);
        }
        Some(block)
    }

    fn block_kind(&mut self, node: Node) -> Option<BlockKind> {
        let part = |this: &mut Self, name: &str| field(node, name).map(|n| this.name(n));
        Some(match node.kind() {
            "visual_kind" => BlockKind::Visual {
                block_type: part(self, "type")?,
                properties: None,
            },
            "code_kind" => BlockKind::Code {
                language: part(self, "language")?,
                source_code: None,
                dependencies: None,
                error_handling: None,
            },
            "template_kind" => BlockKind::Hybrid {
                base_language: part(self, "language")?,
                template: None,
                parameters: None,
                preview_code: None,
            },
            "ai_kind" => BlockKind::Ai {
                model_config: None,
                system_prompt: None,
                user_prompt_template: None,
                context_analysis: None,
                output_format: None,
                fallback_behavior: None,
            },
            "plugin_kind" => BlockKind::Plugin {
                plugin: part(self, "plugin")?,
                block_type: part(self, "type")?,
                properties: None,
            },
            _ => return None,
        })
    }

    fn position(&mut self, node: Node) -> Option<Position> {
        let (x, y) = (field(node, "x")?, field(node, "y")?);
        let x = self.expect_number(x, "the x position", false)?;
        let y = self.expect_number(y, "the y position", false)?;
        Some(Position {
            span: span_of(node),
            x,
            y,
        })
    }

    fn lower_port(&mut self, node: Node) -> Option<Port> {
        let name = self.name(field(node, "name")?);
        let Some(ty) = field(node, "type").and_then(|t| self.type_ref(t)) else {
            if node.has_error() {
                // A syntax error already says what is wrong with this port.
                return None;
            }
            self.diagnostics.push(
                Diagnostic::error(
                    "missing-type",
                    format!("port `{}` needs a type", name.value),
                    name.span,
                )
                .with_help(format!(
                    "write `{}: Type`, e.g. `{}: String`",
                    name.value, name.value
                )),
            );
            return None;
        };
        let (description, _) = self.doc_comment(node);
        let required = field(node, "modifier")
            .map(|m| Spanned::new(self.node_text(m) == "required", span_of(m)));
        let mut port = Port {
            span: span_of(node),
            name,
            ty,
            required,
            description,
            default: field(node, "default").and_then(|d| self.spanned_json(d, at::PORT)),
            extra: Vec::new(),
        };
        if let Some(attributes) = field(node, "attributes") {
            for attribute in children(attributes) {
                if attribute.kind() == "extra_field" {
                    let Some(member) = self.extra_member(attribute, at::PORT) else {
                        continue;
                    };
                    if jread::PORT_IDENTITY_KEYS.contains(&member.key.value.as_str()) {
                        self.error(
                            "identity-key",
                            format!("a port's `{}` is written `in name: Type`", member.key.value),
                            member.key.span,
                        );
                        continue;
                    }
                    jread::apply_port_field(&mut port, &member, &mut self.diagnostics);
                } else if let Some(key) = field(attribute, "key") {
                    let key = self.name(key);
                    self.unknown_field(&key, "of a port");
                }
            }
        }
        Some(port)
    }

    fn lower_param(&mut self, node: Node) -> Option<Parameter> {
        let name = self.name(field(node, "name")?);
        let (description, _) = self.doc_comment(node);
        let mut param = Parameter {
            span: span_of(node),
            name,
            ty: field(node, "type").and_then(|t| self.type_ref(t)),
            value: field(node, "value").and_then(|v| self.spanned_json(v, at::PARAMETER)),
            default: None,
            description,
            extra: Vec::new(),
        };
        if let Some(attributes) = field(node, "attributes") {
            for attribute in children(attributes) {
                if attribute.kind() == "extra_field" {
                    let Some(member) = self.extra_member(attribute, at::PARAMETER) else {
                        continue;
                    };
                    if jread::PARAMETER_IDENTITY_KEYS.contains(&member.key.value.as_str()) {
                        self.error(
                            "identity-key",
                            "a parameter's `name` is written after `param`",
                            member.key.span,
                        );
                        continue;
                    }
                    jread::apply_parameter_field(&mut param, &member, &mut self.diagnostics);
                } else if let (Some(key), Some(value)) =
                    (field(attribute, "key"), field(attribute, "value"))
                {
                    let key = self.name(key);
                    if key.value == "default" {
                        param.default = self.spanned_json(value, at::PARAMETER);
                    } else {
                        self.unknown_field(&key, "of a parameter");
                    }
                }
            }
        }
        Some(param)
    }

    fn lower_placeholder(&mut self, node: Node) -> Option<Placeholder> {
        let name = self.name(field(node, "name")?);
        let value = field(node, "value")?;
        let kind = if value.kind() == "call" {
            let function = self.node_text(field(value, "function")?);
            let arguments = self.call_arguments(value);
            let names: Vec<Str> = arguments.positional.iter().map(|a| self.name(*a)).collect();
            let expected = match function {
                "simple" | "expression" | "code_block" => 1,
                "conditional" => 3,
                _ => {
                    self.diagnostics.push(
                        Diagnostic::error("unknown-placeholder-kind", format!("unknown placeholder kind `{function}`"), span_of(value))
                            .with_help("expected `simple(param)`, `expression(param)`, `code_block(language)` or `conditional(param, \"if true\", \"if false\")`"),
                    );
                    return None;
                }
            };
            if names.len() != expected || !arguments.named.is_empty() || !arguments.extra.is_empty()
            {
                self.error(
                    "placeholder-arguments",
                    format!(
                        "`{function}` takes {expected} argument{}",
                        if expected == 1 { "" } else { "s" }
                    ),
                    span_of(value),
                );
                return None;
            }
            let mut names = names.into_iter();
            let mut next = || names.next().unwrap_or_default();
            match function {
                "simple" => PlaceholderKind::Simple(next()),
                "expression" => PlaceholderKind::Expression(next()),
                "code_block" => PlaceholderKind::CodeBlock(next()),
                _ => PlaceholderKind::Conditional {
                    condition: next(),
                    if_true: next(),
                    if_false: next(),
                },
            }
        } else {
            PlaceholderKind::Raw(self.spanned_json(value, at::PLACEHOLDER)?)
        };
        Some(Placeholder {
            span: span_of(node),
            name,
            kind,
        })
    }

    fn model_config(&mut self, node: Node) -> Option<ModelConfig> {
        if node.kind() != "call" {
            let found = describe(node);
            self.diagnostics.push(
                Diagnostic::error("expected-model", format!("expected a model such as `anthropic(\"claude-sonnet-4\")`, found {found}"), span_of(node))
                    .with_help("providers: `anthropic(...)`, `openai(...)`, `local(\"model\", endpoint = \"http://...\")`"),
            );
            return None;
        }
        let function_node = field(node, "function")?;
        let function = self.node_text(function_node);
        let arguments = self.call_arguments(node);
        let provider_span = span_of(function_node);
        let mut endpoint = None;
        let mut config = ModelConfig {
            span: span_of(node),
            provider: Provider::Anthropic(provider_span),
            model: None,
            temperature: None,
            max_tokens: None,
            timeout: None,
            extra: Vec::new(),
        };
        match arguments.positional.as_slice() {
            [] => {}
            [model] => config.model = self.expect_string(*model, "the model name"),
            [_, extra, ..] => {
                self.error("model-arguments", "a provider takes one model name; other settings are named: `temperature = 0.3`", span_of(*extra));
            }
        }
        for (name, value) in arguments.named {
            match name.value.as_str() {
                "temperature" => {
                    config.temperature = self.expect_number(value, "`temperature`", false)
                }
                "max_tokens" => {
                    config.max_tokens = self.expect_number(value, "`max_tokens`", false)
                }
                "timeout" => config.timeout = self.expect_number(value, "`timeout`", true),
                "endpoint" if function == "local" => {
                    endpoint = self.expect_string(value, "`endpoint`")
                }
                _ => self.unknown_field(&name, "of a model"),
            }
        }
        config.provider = match function {
            "anthropic" => Provider::Anthropic(provider_span),
            "openai" => Provider::OpenAi(provider_span),
            "local" => match endpoint {
                Some(endpoint) => Provider::Local {
                    span: provider_span,
                    endpoint,
                },
                None => {
                    self.error(
                        "missing-endpoint",
                        "a `local` model needs `endpoint = \"http://...\"`",
                        span_of(node),
                    );
                    return None;
                }
            },
            other => {
                self.diagnostics.push(
                    Diagnostic::error("unknown-provider", format!("unknown model provider `{other}`"), provider_span)
                        .with_help("providers: `anthropic`, `openai`, `local`; write any other `model_config` as `@model_config = {...}`"),
                );
                return None;
            }
        };
        for extra in arguments.extra {
            if let Some(member) = self.extra_member(extra, at::MODEL) {
                jread::apply_model_config_field(&mut config, &member, &mut self.diagnostics);
            }
        }
        Some(config)
    }

    // ---- connections ------------------------------------------------------------------

    fn lower_source(
        &mut self,
        node: Node,
        target_block: &Str,
        target_port: &Str,
    ) -> Option<WrittenConnection> {
        let source_block = self.name(field(node, "block")?);
        let source_port = self.name(field(node, "port")?);
        let connection = Connection {
            span: span_of(node),
            id: None,
            source_block,
            source_port,
            target_block: target_block.clone(),
            target_port: target_port.clone(),
            data_type: None,
            transform: None,
            extra: Vec::new(),
        };
        Some(self.connection_attributes(connection, field(node, "attributes")))
    }

    fn lower_connect(&mut self, node: Node) -> Option<WrittenConnection> {
        let (from, to) = (field(node, "from")?, field(node, "to")?);
        let connection = Connection {
            span: span_of(node),
            id: None,
            source_block: self.name(field(from, "block")?),
            source_port: self.name(field(from, "port")?),
            target_block: self.name(field(to, "block")?),
            target_port: self.name(field(to, "port")?),
            data_type: None,
            transform: None,
            extra: Vec::new(),
        };
        Some(self.connection_attributes(connection, field(node, "attributes")))
    }

    fn connection_attributes(
        &mut self,
        mut connection: Connection,
        attributes: Option<Node>,
    ) -> WrittenConnection {
        let mut id_written = false;
        let mut data_type_written = false;
        if let Some(attributes) = attributes {
            for attribute in children(attributes) {
                if attribute.kind() == "extra_field" {
                    let Some(member) = self.extra_member(attribute, at::CONNECTION) else {
                        continue;
                    };
                    if jread::CONNECTION_IDENTITY_KEYS.contains(&member.key.value.as_str()) {
                        self.error(
                            "identity-key",
                            format!(
                                "a connection's `{}` is written `block.port`",
                                member.key.value
                            ),
                            member.key.span,
                        );
                        continue;
                    }
                    jread::apply_connection_field(&mut connection, &member, &mut self.diagnostics);
                    continue;
                }
                let (Some(key), Some(value)) = (field(attribute, "key"), field(attribute, "value"))
                else {
                    continue;
                };
                let key = self.name(key);
                match key.value.as_str() {
                    "id" => {
                        id_written = true;
                        connection.id = if value.kind() == "null" {
                            None
                        } else {
                            self.expect_string(value, "`id`")
                        };
                    }
                    "data_type" => {
                        data_type_written = true;
                        connection.data_type = match value.kind() {
                            "null" => None,
                            _ => self.expect_string(value, "`data_type`").map(|s| TypeRef {
                                text: s.value,
                                span: s.span,
                            }),
                        };
                    }
                    "transform" => connection.transform = self.spanned_json(value, at::CONNECTION),
                    _ => self.unknown_field(&key, "of a connection"),
                }
            }
        }
        // Derived here, not in `finish_connections`: the id depends on the connection alone,
        // so a reused block's connections keep theirs (and the 10,000 ids of a 5,000-block
        // workflow are not formatted again on every edit).
        if !id_written {
            connection.id = Some(Spanned::new(connection.derived_id(), connection.span));
        }
        WrittenConnection {
            connection,
            data_type_written,
        }
    }

    /// Fills derived ids and data types, then puts connections in `connection_order`.
    fn finish_connections(
        &mut self,
        blocks: &[Block],
        pending: PendingConnections,
        order: Option<Vec<Str>>,
    ) -> Vec<Connection> {
        let first = first_blocks(blocks);
        let mut connections: Vec<Connection> = pending
            .on_ports
            .into_iter()
            .chain(pending.standalone)
            .map(|written| {
                let mut connection = written.connection;
                if !written.data_type_written {
                    connection.data_type =
                        source_port_type(blocks, &first, &connection).map(|text| TypeRef {
                            text: text.to_string(),
                            span: connection.span,
                        });
                }
                connection
            })
            .collect();
        let Some(order) = order else {
            return connections;
        };
        let text_ids: Vec<String> = connections.iter().map(Connection::effective_id).collect();
        let listed: Vec<&str> = order.iter().map(|id| id.value.as_str()).collect();
        let (ordered, unmatched) = apply_connection_order(&text_ids, &listed);
        for position in unmatched {
            let id = &order[position];
            self.diagnostics.push(Diagnostic::warning(
                "unknown-connection-id",
                format!(
                    "`connection_order` names `{}`, which no connection has",
                    id.value
                ),
                id.span,
            ));
        }
        let mut slots: Vec<Option<Connection>> = connections.drain(..).map(Some).collect();
        ordered
            .into_iter()
            .filter_map(|i| slots[i].take())
            .collect()
    }
}

#[derive(Default)]
struct CallArguments<'t> {
    positional: Vec<Node<'t>>,
    named: Vec<(Str, Node<'t>)>,
    extra: Vec<Node<'t>>,
}

#[derive(Clone, Debug)]
struct WrittenConnection {
    /// The connection, with its id derived unless one was written.
    connection: Connection,
    data_type_written: bool,
}

/// Names a workflow holds as JSON object keys, with where each was first declared.
#[derive(Default)]
struct WorkflowKeys {
    blocks: FxHashMap<String, Span>,
    types: FxHashMap<String, Span>,
    variables: FxHashMap<String, Span>,
}

/// Connections in text order: those written on inputs, then `connect` statements.
#[derive(Default)]
struct PendingConnections {
    on_ports: Vec<WrittenConnection>,
    standalone: Vec<WrittenConnection>,
}

fn block_kind_name(kind: &BlockKind) -> &'static str {
    match kind {
        BlockKind::Visual { .. } => "a built-in",
        BlockKind::Code { .. } => "a code",
        BlockKind::Hybrid { .. } => "a template",
        BlockKind::Ai { .. } => "an `ai`",
        BlockKind::Plugin { .. } => "a plugin",
    }
}

/// How a value node reads in a message: "an identifier `foo`", "a list".
fn describe(node: Node) -> String {
    match node.kind() {
        "string" | "fenced_string" => "a string".to_string(),
        "number" => "a number".to_string(),
        "duration" => "a duration".to_string(),
        "true" | "false" => "a boolean".to_string(),
        "null" => "`null`".to_string(),
        "array" => "a list".to_string(),
        "object" => "an object".to_string(),
        "identifier" => "an identifier".to_string(),
        "call" => "a call".to_string(),
        "tuple" => "a tuple".to_string(),
        other => format!("`{other}`"),
    }
}

/// What one level of nesting at `node` is, for "this ... is too deep".
fn describe_level(node: Node) -> &'static str {
    match node.kind() {
        "array" => "array",
        "object" => "object",
        "optional_type" => "optional type",
        "record_type" => "record type",
        _ => "type",
    }
}

/// How many JSON arrays and objects (the file's outermost object included) enclose a value
/// written at each place, so the lowering counts a value's nesting as the JSON reader will
/// ([`MAX_NESTING`]). `tests/depth.rs` checks each against the JSON `convert` writes.
mod at {
    /// A top-level `@key`: in the file's object.
    pub const TOP: usize = 1;
    /// A workflow `@key`, `ui_state`: in `workflow`.
    pub const WORKFLOW: usize = 2;
    /// An entry of a section (`execution_config`, ...); a nested section adds one.
    pub const SECTION: usize = 3;
    /// A variable's value or `@key`: in `variables.NAME`.
    pub const VARIABLE: usize = 4;
    /// A block's `@key` or kind field: in `blocks.ID`.
    pub const BLOCK: usize = 4;
    /// A connection's `transform` or `@key`: in `connections[i]`.
    pub const CONNECTION: usize = 4;
    /// A property: in `blocks.ID.properties`.
    pub const PROPERTY: usize = 5;
    /// A `model_config` `@key`: in `blocks.ID.model_config`.
    pub const MODEL: usize = 5;
    /// A port's default or `@key`: in `blocks.ID.inputs[i]`.
    pub const PORT: usize = 6;
    /// A parameter's value, default or `@key`: in `blocks.ID.parameters[i]`.
    pub const PARAMETER: usize = 6;
    /// A placeholder's value: in `blocks.ID.template.placeholders`.
    pub const PLACEHOLDER: usize = 6;
}

/// Decodes JSON string escapes; on error, the byte offset in `raw` and a message.
pub fn decode_escapes(raw: &str) -> Result<String, (usize, String)> {
    if !raw.contains('\\') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, escape)) = chars.next() else {
            return Err((at, "a string cannot end with `\\`".to_string()));
        };
        match escape {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let unit = |chars: &mut std::iter::Peekable<std::str::CharIndices>| -> Option<u32> {
                    let mut value = 0;
                    for _ in 0..4 {
                        let (_, digit) = chars.next()?;
                        value = value * 16 + digit.to_digit(16)?;
                    }
                    Some(value)
                };
                let bad = || (at, "`\\u` needs four hex digits".to_string());
                let first = unit(&mut chars).ok_or_else(bad)?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    let lone = || (at, "lone surrogate in `\\u` escape".to_string());
                    if chars.next().map(|(_, c)| c) != Some('\\')
                        || chars.next().map(|(_, c)| c) != Some('u')
                    {
                        return Err(lone());
                    }
                    let second = unit(&mut chars).ok_or_else(bad)?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(lone());
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else if (0xDC00..0xE000).contains(&first) {
                    return Err((at, "lone surrogate in `\\u` escape".to_string()));
                } else {
                    first
                };
                out.push(char::from_u32(code).ok_or_else(bad)?);
            }
            other => return Err((at, format!("unknown escape `\\{other}`"))),
        }
    }
    Ok(out)
}

// ---- comments ---------------------------------------------------------------------------

/// Node kind ids the tree walks compare (`Node::kind` costs a `strlen` per call).
struct KindIds {
    comment: u16,
    doc_comment: u16,
    fenced_string: u16,
    block: u16,
    bodies: [u16; 3],
    /// Nodes whose children are items that take doc comments, and the nodes leading to them,
    /// blocks excepted (see [`scan_doc_runs`]).
    documented: [u16; 4],
}

fn kind_ids() -> &'static KindIds {
    static IDS: std::sync::OnceLock<KindIds> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let language = super::language();
        let id = |kind: &str| language.id_for_node_kind(kind, true);
        KindIds {
            comment: id("comment"),
            doc_comment: id("doc_comment"),
            fenced_string: id("fenced_string"),
            block: id("block"),
            bodies: [id("workflow_body"), id("block_body"), id("section_body")],
            documented: [
                id("source_file"),
                id("workflow"),
                id("workflow_body"),
                id("block_body"),
            ],
        }
    })
}

/// Adds to `runs` the run of doc comments before each item among the children of `node` and
/// of the nodes below it that hold items. Items that take a description (the workflow, blocks,
/// ports, variables, parameters) are children of the file, the workflow body and block bodies,
/// so only those are scanned.
///
/// The scan does not enter blocks below `node`: lowering scans a block when it lowers it (and
/// not when it reuses it), so an edit scans the top level and the changed blocks only.
fn scan_doc_runs(node: Node, runs: &mut FxHashMap<usize, Vec<Span>>) {
    let ids = kind_ids();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        let mut cursor = node.walk();
        let mut run: Vec<Span> = Vec::new();
        for child in node.children(&mut cursor) {
            let kind = child.kind_id();
            if kind == ids.doc_comment {
                run.push(span_of(child));
            } else if kind != ids.comment {
                if !run.is_empty() {
                    runs.insert(child.start_byte(), std::mem::take(&mut run));
                }
                if ids.documented.contains(&kind) {
                    stack.push(child);
                }
            }
        }
    }
}

/// A comment of the text and the body (`{ ... }`) it sits in.
#[derive(Clone, Debug)]
struct CommentNode {
    span: Span,
    is_doc: bool,
    /// The start byte of the innermost workflow, block or section body holding it, below the
    /// node [`collect_comments`] walked; `None` for a comment in no body below that node (in
    /// the body holding the node, or at the top level of the file when it is the root).
    body: Option<usize>,
}

impl Shift for CommentNode {
    fn shift(&mut self, delta: isize) {
        self.span.shift(delta);
        if let Some(body) = &mut self.body {
            *body = body.saturating_add_signed(delta);
        }
    }
}

/// The comments of blocks whose subtrees were already walked (lowered) or whose comments are
/// known from the [`LowerCache`], by the block's start byte.
#[derive(Debug, Default)]
struct BlockComments {
    /// The range of [`BlockComments::comments`] holding each block's comments.
    by_block: FxHashMap<usize, Range<usize>>,
    /// Every block's comments, block after block, as [`collect_comments`] of the block finds
    /// them.
    comments: Vec<CommentNode>,
}

impl BlockComments {
    /// Records the comments of the block starting at `start`.
    fn insert(&mut self, start: usize, comments: impl IntoIterator<Item = CommentNode>) {
        let from = self.comments.len();
        self.comments.extend(comments);
        self.by_block.insert(start, from..self.comments.len());
    }

    /// The comments of the block starting at `start`, when known.
    fn get(&self, start: usize) -> Option<&[CommentNode]> {
        let range = self.by_block.get(&start)?;
        Some(&self.comments[range.clone()])
    }
}

/// Attaches every plain comment (and every `///` line no item took) to a statement anchor.
fn attach_comments(
    tree: &SyntaxTree,
    lines: &LineIndex,
    statements: &[Statement],
    blocks: &BlockComments,
    diagnostics: &mut Vec<Diagnostic>,
) -> Trivia {
    let text = tree.text();
    let line_of = |offset: usize| lines.line_of(offset);
    // The doc runs items took as descriptions: disjoint, sorted by start.
    let mut doc_runs: Vec<Span> = statements.iter().filter_map(|s| s.doc).collect();
    doc_runs.sort();
    let claimed = |span: Span| {
        let after = doc_runs.partition_point(|run| run.start <= span.start);
        after > 0 && span.end <= doc_runs[after - 1].end
    };
    // Containers by their body's start byte; statements by container, in text order.
    let mut containers: FxHashMap<usize, usize> = FxHashMap::default();
    let mut siblings: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, statement) in statements.iter().enumerate() {
        if let Some((open, _)) = statement.body {
            containers.insert(open.saturating_sub(1), i);
        }
        siblings.entry(&statement.container).or_default().push(i);
    }
    for list in siblings.values_mut() {
        list.sort_by_key(|&i| statements[i].start);
    }
    let mut trivia = Trivia::default();
    for comment in collect_comments(tree.root(), blocks) {
        let span = comment.span;
        if comment.is_doc && claimed(span) {
            continue;
        }
        let comment_text = text[span.start..span.end].trim_end().to_string();
        if comment.is_doc {
            diagnostics.push(
                Diagnostic::warning("stray-doc-comment", "this doc comment documents nothing", span)
                    .with_help("doc comments go right before a workflow, block, port, `var` or `param`; use `//` for a plain comment"),
            );
        }
        let line = line_of(span.start);
        let owner = comment
            .body
            .and_then(|start| containers.get(&start))
            .map(|&i| &statements[i]);
        let container = owner.map_or("", |s| &*s.anchor);
        let empty = Vec::new();
        let list = siblings.get(container).unwrap_or(&empty);
        // Statements of the container before and after the comment.
        let split = list.partition_point(|&i| statements[i].start < span.start);
        let before = split.checked_sub(1).map(|k| &statements[list[k]]);
        let next = list.get(split).map(|&i| &statements[i]);
        // Right after the container's `{`, on its line: the container's trailing comment.
        if let (Some(owner), None) = (owner, before) {
            let (open, _) = owner.body.unwrap_or_default();
            if line_of(open) == line {
                let entry = trivia.entry(&owner.anchor);
                if entry.trailing.is_none() {
                    entry.trailing = Some(comment_text);
                    continue;
                }
            }
        }
        if let Some(before) = before {
            // Inside a one-line statement (a multi-line list): its leading comment.
            if before.body.is_none() && span.start < before.end {
                trivia.entry(&before.anchor).leading.push(comment_text);
                continue;
            }
            // At the end of the line a statement ends on.
            if before.end <= span.start
                && line_of(before.end.saturating_sub(1).max(before.start)) == line
            {
                // After the workflow's `}`: the file's trailing comment, printed there.
                if container.is_empty() && &*before.anchor == "workflow" {
                    let entry = trivia.entry("eof");
                    if entry.trailing.is_none() {
                        entry.trailing = Some(comment_text);
                        continue;
                    }
                }
                if before.body.is_some() {
                    let end = container_end_anchor(&before.anchor);
                    trivia.entry(&end).leading.push(comment_text);
                    continue;
                }
                let entry = trivia.entry(&before.anchor);
                if entry.trailing.is_none() {
                    entry.trailing = Some(comment_text);
                    continue;
                }
            }
        }
        // Before the next statement of the container, else at the container's end.
        match next {
            Some(next) => trivia.entry(&next.anchor).leading.push(comment_text),
            None if container.is_empty() => trivia.entry("eof").leading.push(comment_text),
            None => trivia
                .entry(&container_end_anchor(container))
                .leading
                .push(comment_text),
        }
    }
    trivia
}

/// The anchor of the comments before a container's `}`.
fn container_end_anchor(container: &str) -> String {
    match container {
        "workflow" => "w.end".to_string(),
        other => format!("{other}.end"),
    }
}

/// Every `comment` and `doc_comment` node in the subtree of `root`, in text order, with the
/// body it sits in. The subtrees of the blocks in `known` are not walked: their comments are
/// taken from there.
fn collect_comments(root: Node, known: &BlockComments) -> Vec<CommentNode> {
    let ids = kind_ids();
    let mut out = Vec::new();
    let mut cursor = root.walk();
    // The bodies enclosing the cursor, with their depth.
    let mut bodies: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0usize;
    // Iterative pre-order walk: deep nesting cannot overflow the stack.
    loop {
        let node = cursor.node();
        while bodies.last().is_some_and(|&(d, _)| d >= depth) {
            bodies.pop();
        }
        let kind = node.kind_id();
        let enclosing = bodies.last().map(|&(_, start)| start);
        let block_comments = (kind == ids.block)
            .then(|| known.get(node.start_byte()))
            .flatten();
        if let Some(comments) = block_comments {
            out.extend(comments.iter().map(|comment| CommentNode {
                body: comment.body.or(enclosing),
                ..comment.clone()
            }));
        } else if kind == ids.comment || kind == ids.doc_comment {
            out.push(CommentNode {
                span: span_of(node),
                is_doc: kind == ids.doc_comment,
                body: enclosing,
            });
        } else if ids.bodies.contains(&kind) {
            bodies.push((depth, node.start_byte()));
        }
        // Tokens have no children; fenced strings hold no comments; known blocks are done.
        if block_comments.is_none()
            && kind != ids.fenced_string
            && node.child_count() > 0
            && cursor.goto_first_child()
        {
            depth += 1;
            continue;
        }
        loop {
            if depth == 0 {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            cursor.goto_parent();
            depth -= 1;
        }
    }
}
