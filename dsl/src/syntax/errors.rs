//! Syntax error messages: `ERROR` and `MISSING` nodes of the tree, unclosed strings and fenced
//! strings, turned into diagnostics that say what was expected and where the construct began.
//!
//! Every walk here is iterative (tree cursors and parent links), so deep nesting cannot
//! overflow the stack.

use rustc_hash::FxHashSet;
use tree_sitter::Node;

use super::{fenced_string_is_closed, line_col, string_is_closed, SyntaxTree};
use crate::diagnostic::Diagnostic;
use crate::model::Span;

/// Code of a closing bracket that is missing.
const UNCLOSED_DELIMITER: &str = "unclosed-delimiter";
/// Code of a `"` string without its closing quote.
const UNTERMINATED_STRING: &str = "unterminated-string";
/// Code of a fenced string without its closing fence.
const UNTERMINATED_FENCED_STRING: &str = "unterminated-fenced-string";
/// Code of a token that is not allowed where it stands.
const UNEXPECTED_TOKEN: &str = "unexpected-token";
/// Code of a token the parser had to assume.
const MISSING_TOKEN: &str = "missing-token";
/// Code of a port that starts with neither `in` nor `out`.
const UNKNOWN_PORT_DIRECTION: &str = "unknown-port-direction";
/// Code of any other syntax error.
const SYNTAX_ERROR: &str = "syntax-error";

/// All syntax errors of a parsed text, one diagnostic per distinct error, sorted by position.
pub fn syntax_errors(tree: &SyntaxTree) -> Vec<Diagnostic> {
    syntax_errors_except(tree, &FxHashSet::default())
}

/// [`syntax_errors`], without walking into the `block` nodes starting at the bytes of `clean`,
/// which the caller knows hold no syntax error (see [`is_clean`]).
pub(crate) fn syntax_errors_except(tree: &SyntaxTree, clean: &FxHashSet<usize>) -> Vec<Diagnostic> {
    let block_kind = super::language().id_for_node_kind("block", true);
    let mut diagnostics = Vec::new();
    // Where an unterminated fenced string starts: it swallows the rest of the file, so errors
    // after it are consequences, not news.
    let mut swallowed_from: Option<usize> = None;
    let mut cursor = tree.root().walk();
    let mut in_error = 0usize;
    loop {
        let node = cursor.node();
        let mut descend = true;
        if node.kind_id() == block_kind && clean.contains(&node.start_byte()) {
            descend = false;
        } else if node.is_missing() {
            if in_error == 0 {
                diagnostics.push(missing_node(tree, node));
            }
            descend = false;
        } else if node.is_error() {
            if in_error == 0 {
                if let Some(diagnostic) = error_node(tree, node) {
                    diagnostics.push(diagnostic);
                }
            }
        } else {
            match node.kind() {
                "string" if !string_is_closed(tree.node_text(node)) => {
                    diagnostics.push(unterminated_string(tree, node));
                }
                "fenced_string" if !fenced_string_is_closed(tree.node_text(node)) => {
                    swallowed_from = Some(
                        swallowed_from
                            .map_or(node.start_byte(), |start| start.min(node.start_byte())),
                    );
                    diagnostics.push(unterminated_fenced_string(tree, node));
                }
                _ => {}
            }
        }
        if node.is_error() {
            in_error += 1;
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node().is_error() {
                in_error = in_error.saturating_sub(1);
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return finish(diagnostics, swallowed_from);
            }
        }
    }
}

/// True when the subtree of `node` yields no syntax error: it has no `ERROR` or `MISSING`
/// node and every string and fenced string in it is closed. For a `block`, that depends only
/// on its text, so incremental lowering remembers it with the block.
pub(crate) fn is_clean(tree: &SyntaxTree, node: Node<'_>) -> bool {
    if node.has_error() {
        return false;
    }
    let mut cursor = node.walk();
    let mut depth = 0usize;
    loop {
        let current = cursor.node();
        let closed = match current.kind() {
            "string" => string_is_closed(tree.node_text(current)),
            "fenced_string" => fenced_string_is_closed(tree.node_text(current)),
            _ => true,
        };
        if !closed {
            return false;
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if depth == 0 {
                return true;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return true;
            }
            depth -= 1;
        }
    }
}

/// Sorts, removes duplicates and the consequences of an unterminated fenced string.
fn finish(mut diagnostics: Vec<Diagnostic>, swallowed_from: Option<usize>) -> Vec<Diagnostic> {
    if let Some(start) = swallowed_from {
        diagnostics.retain(|diagnostic| {
            diagnostic.code == UNTERMINATED_FENCED_STRING || diagnostic.span().end <= start
        });
    }
    diagnostics.sort_by(|a, b| {
        (a.span().start, a.span().end, &a.message).cmp(&(b.span().start, b.span().end, &b.message))
    });
    diagnostics.dedup_by(|a, b| a.span().start == b.span().start && a.code == b.code);
    diagnostics
}

fn span_of(node: Node<'_>) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

/// `L:C` (1-based) of a byte offset.
fn at(tree: &SyntaxTree, byte: usize) -> String {
    let (line, column) = line_col(tree.text(), byte);
    format!("{line}:{column}")
}

/// Whether a node is a comment (an extra that never matters to errors).
fn is_comment(node: Node<'_>) -> bool {
    matches!(node.kind(), "comment" | "doc_comment")
}

/// The leaves (tokens) under `node`, comments left out, in order.
fn leaves<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    loop {
        let current = cursor.node();
        if current.child_count() == 0 {
            if !is_comment(current) {
                out.push(current);
            }
        } else if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// The last token (not a comment) before `node` in the text.
fn previous_leaf<'t>(node: Node<'t>) -> Option<Node<'t>> {
    let mut current = node;
    loop {
        let mut sibling = current.prev_sibling();
        while let Some(candidate) = sibling {
            if let Some(leaf) = leaves(candidate).pop() {
                return Some(leaf);
            }
            sibling = candidate.prev_sibling();
        }
        current = current.parent()?;
    }
}

/// The first token (not a comment) after `node` in the text.
fn next_leaf<'t>(node: Node<'t>) -> Option<Node<'t>> {
    let mut current = node;
    loop {
        let mut sibling = current.next_sibling();
        while let Some(candidate) = sibling {
            if let Some(leaf) = leaves(candidate).into_iter().next() {
                return Some(leaf);
            }
            sibling = candidate.next_sibling();
        }
        current = current.parent()?;
    }
}

/// The text of a node, shortened for a message.
fn short_text(tree: &SyntaxTree, node: Node<'_>) -> String {
    let text = tree.node_text(node);
    let first_line = text.lines().next().unwrap_or("");
    if first_line.chars().count() > 24 {
        let cut: String = first_line.chars().take(21).collect();
        format!("{cut}...")
    } else {
        first_line.to_owned()
    }
}

/// A token named for a message: `` `)` ``, `` `foo` ``, `a fenced string`.
fn describe_token(tree: &SyntaxTree, node: Node<'_>) -> String {
    match node.kind() {
        "fenced_string" => "a fenced string".to_owned(),
        "string" => format!("string `{}`", short_text(tree, node)),
        _ if node.is_named() => format!("`{}`", short_text(tree, node)),
        kind => format!("`{kind}`"),
    }
}

/// The name a construct is known by (`filter` for `block filter = ...`).
fn name_of(tree: &SyntaxTree, node: Node<'_>) -> Option<String> {
    let field = match node.kind() {
        "block" => "id",
        "workflow" | "section" | "port" | "var" | "param" | "placeholder" | "type_decl" => "name",
        "field" | "extra_field" | "pair" => "key",
        "call" => "function",
        _ => return None,
    };
    let name = node.child_by_field_name(field)?;
    if name.is_missing() {
        return None;
    }
    let text = tree.node_text(name);
    Some(text.trim_matches('"').to_owned())
}

/// A construct named for a message: "block `filter`", "the workflow", "an array".
fn describe_construct(tree: &SyntaxTree, node: Node<'_>) -> String {
    let named = |what: &str| match name_of(tree, node) {
        Some(name) => format!("{what} `{name}`"),
        None => format!("the {what}"),
    };
    match node.kind() {
        "workflow" => match name_of(tree, node) {
            Some(name) => format!("workflow `{name}`"),
            None => "the workflow".to_owned(),
        },
        "block" => named("block"),
        "section" => named("section"),
        "port" => named("port"),
        "var" => named("variable"),
        "param" => named("parameter"),
        "placeholder" => named("placeholder"),
        "type_decl" => named("type"),
        "field" => named("field"),
        "extra_field" => match name_of(tree, node) {
            Some(name) => format!("`@{name}`"),
            None => "the `@` field".to_owned(),
        },
        "call" => named("call"),
        "connect" => "the connection".to_owned(),
        "source" => "the source".to_owned(),
        "attribute_list" => "the attribute list".to_owned(),
        "array" => "the array".to_owned(),
        "object" => "the object".to_owned(),
        "tuple" => "the tuple".to_owned(),
        "position" => "the position".to_owned(),
        "record_type" => "the record type".to_owned(),
        "generic_type" => "the type".to_owned(),
        kind => format!("the {}", kind.replace('_', " ")),
    }
}

/// The construct that owns a bracketed body: the block of a `block_body`, the array itself.
fn owner_of_body(node: Node<'_>) -> Node<'_> {
    match node.kind() {
        "workflow_body" | "block_body" | "section_body" => node.parent().unwrap_or(node),
        "attribute_list" => node.parent().unwrap_or(node),
        _ => node,
    }
}

/// The nearest enclosing construct worth naming, for "... in block `filter`".
fn enclosing_context(tree: &SyntaxTree, node: Node<'_>) -> Option<String> {
    let mut current = node.parent();
    while let Some(ancestor) = current {
        match ancestor.kind() {
            "port" | "var" | "param" | "placeholder" | "type_decl" | "block" | "section"
            | "workflow" | "connect" => return Some(describe_construct(tree, ancestor)),
            _ => current = ancestor.parent(),
        }
    }
    None
}

/// A diagnostic for a token the parser assumed (`MISSING`).
fn missing_node(tree: &SyntaxTree, node: Node<'_>) -> Diagnostic {
    let position = node.start_byte();
    let span = Span::new(position, position);
    let kind = node.kind();
    if matches!(kind, "}" | "]" | ")") {
        if let Some(parent) = node.parent() {
            let open = parent
                .child(0)
                .filter(|child| matches!(child.kind(), "{" | "[" | "("));
            let owner = owner_of_body(parent);
            // The opening bracket of a call's argument list is a child of the call itself.
            let open = open.or_else(|| {
                let mut cursor = parent.walk();
                let found = parent
                    .children(&mut cursor)
                    .find(|child| matches!(child.kind(), "{" | "[" | "("));
                found
            });
            let what = describe_construct(tree, owner);
            if let Some(open) = open {
                let opened = at(tree, open.start_byte());
                return Diagnostic::error(
                    UNCLOSED_DELIMITER,
                    format!("expected `{kind}` to close {what} opened at {opened}"),
                    span,
                )
                .with_primary_message(format!("`{kind}` expected here"))
                .with_label(span_of(open), format!("{what} opened here"));
            }
            return Diagnostic::error(
                UNCLOSED_DELIMITER,
                format!("expected `{kind}` to close {what}"),
                span,
            );
        }
    }
    // A statement without its name right after a value that is a bare word on the next line:
    // `version =` followed by `author = "x"` reads as `version = author`, `= "x"`.
    if kind == "identifier" {
        if let Some(diagnostic) = value_taken_from_next_line(tree, node) {
            return diagnostic;
        }
    }
    let expected = match kind {
        "identifier" => "a name".to_owned(),
        "string" => "a string".to_owned(),
        other => format!("`{other}`"),
    };
    let after = previous_leaf(node)
        .map(|leaf| format!(" after {}", describe_token(tree, leaf)))
        .unwrap_or_default();
    let context = enclosing_context(tree, node)
        .map(|context| format!(" in {context}"))
        .unwrap_or_default();
    Diagnostic::error(
        MISSING_TOKEN,
        format!("expected {expected}{after}{context}"),
        span,
    )
    .with_primary_message(format!("{expected} expected here"))
}

/// See [`missing_node`]: the case of a value that was really the next statement's key.
fn value_taken_from_next_line(tree: &SyntaxTree, missing: Node<'_>) -> Option<Diagnostic> {
    let statement = missing.parent()?;
    if statement.child(0)? != missing {
        return None;
    }
    let previous = statement.prev_named_sibling()?;
    let value = previous.child_by_field_name("value")?;
    if value.kind() != "identifier" {
        return None;
    }
    let mut cursor = previous.walk();
    let equals = previous
        .children(&mut cursor)
        .find(|child| child.kind() == "=")?;
    if value.start_position().row <= equals.end_position().row {
        return None;
    }
    let span = Span::new(equals.end_byte(), equals.end_byte());
    let what = describe_construct(tree, previous);
    Some(
        Diagnostic::error(
            MISSING_TOKEN,
            format!("expected a value after `=` in {what}"),
            span,
        )
        .with_primary_message("a value expected here")
        .with_label(
            span_of(value),
            format!("`{}` starts the next statement", tree.node_text(value)),
        ),
    )
}

/// What must follow an operator token, by the construct it stands in.
fn expected_after(operator: &str, context_kind: Option<&str>) -> Option<&'static str> {
    Some(match (operator, context_kind) {
        (":", Some("pair")) => "a value",
        (":", _) => "a type",
        ("=", Some("type_decl")) => "a type",
        ("=", Some("block")) => "a block kind",
        ("=", _) => "a value",
        ("<-", _) => "a source `block.port`",
        ("->", _) => "a target `block.port`",
        (".", _) => "a port name",
        ("@", _) => "a key",
        ("at", _) => "a position `(x, y)`",
        ("block" | "var" | "param" | "placeholder" | "type" | "in" | "out", _) => "a name",
        _ => return None,
    })
}

/// The kind of the construct a token belongs to, looking through `ERROR` nodes: the nearest
/// ancestor that is not an error, or the construct the keywords before it in the error start.
fn context_kind<'t>(
    tree: &SyntaxTree,
    error: Node<'t>,
    before: usize,
) -> (Option<&'static str>, Option<String>) {
    // Keywords inside the error (before the byte `before`) name the construct being written.
    let mut tokens = leaves(error);
    tokens.retain(|token| token.start_byte() < before);
    let mut kind = None;
    let mut name = None;
    for (index, token) in tokens.iter().enumerate() {
        let found = match token.kind() {
            "block" => Some("block"),
            "in" | "out" => Some("port"),
            "var" => Some("var"),
            "param" => Some("param"),
            "type" => Some("type_decl"),
            "placeholder" => Some("placeholder"),
            "connect" => Some("connect"),
            _ => None,
        };
        if let Some(found) = found {
            kind = Some(found);
            name = tokens
                .get(index + 1)
                .filter(|next| matches!(next.kind(), "identifier" | "string"))
                .map(|next| tree.node_text(*next).trim_matches('"').to_owned());
        }
    }
    if kind.is_some() {
        return (kind, name);
    }
    let mut current = error.parent();
    while let Some(ancestor) = current {
        let found = match ancestor.kind() {
            "port" => Some("port"),
            "var" => Some("var"),
            "param" => Some("param"),
            "type_decl" => Some("type_decl"),
            "placeholder" => Some("placeholder"),
            "block" => Some("block"),
            "pair" => Some("pair"),
            "field" | "extra_field" | "named_argument" => Some("field"),
            "record_field" => Some("record_field"),
            "connect" => Some("connect"),
            _ => None,
        };
        if let Some(found) = found {
            return (Some(found), name_of(tree, ancestor));
        }
        current = ancestor.parent();
    }
    (None, None)
}

/// "port `files`" from a context kind and name.
fn context_phrase(kind: &str, name: Option<&str>) -> String {
    let what = match kind {
        "var" => "variable",
        "param" => "parameter",
        "type_decl" => "type",
        "record_field" => "record field",
        "connect" => return "the connection".to_owned(),
        "pair" => "object entry",
        other => other,
    };
    match name {
        Some(name) => format!("{what} `{name}`"),
        None => format!("the {what}"),
    }
}

/// A diagnostic for an `ERROR` node (`None` when a fenced string inside explains it).
fn error_node(tree: &SyntaxTree, error: Node<'_>) -> Option<Diagnostic> {
    let tokens = leaves(error);
    if tokens.iter().any(|token| {
        token.kind() == "fenced_string" && !fenced_string_is_closed(tree.node_text(*token))
    }) {
        return None;
    }
    let parent_kind = error.parent().map(|parent| parent.kind());

    // `inout files: String` in a block: a port with an unknown direction.
    if parent_kind == Some("block_body") && tokens.len() >= 3 {
        let [first, second, third, ..] = tokens[..] else {
            return None;
        };
        if first.kind() == "identifier"
            && matches!(second.kind(), "identifier" | "string")
            && third.kind() == ":"
        {
            return Some(
                Diagnostic::error(
                    UNKNOWN_PORT_DIRECTION,
                    format!(
                        "unknown port direction `{}` for port `{}`",
                        tree.node_text(first),
                        tree.node_text(second).trim_matches('"')
                    ),
                    span_of(first),
                )
                .with_primary_message("expected `in` or `out`")
                .with_help(
                    "a port starts with `in` or `out`, optionally after `required` or `optional`",
                ),
            );
        }
    }

    let Some(&last) = tokens.last() else {
        // An empty error node: the parser met something it could not use at this point.
        let found = next_leaf(error);
        let span = found.map_or(span_of(error), span_of);
        let message = match found {
            Some(found) => format!("unexpected {}", describe_token(tree, found)),
            None => "unexpected end of file".to_owned(),
        };
        return Some(Diagnostic::error(SYNTAX_ERROR, message, span));
    };

    // An operator with nothing usable after it: `in files: <- a.b`.
    let (kind, name) = context_kind(tree, error, usize::MAX);
    if let Some(expected) = expected_after(last.kind(), kind) {
        if !last.is_named() {
            let context = kind
                .map(|kind| format!(" in {}", context_phrase(kind, name.as_deref())))
                .unwrap_or_default();
            let found = next_leaf(error);
            let span = match found {
                Some(found) if found.start_position().row == last.end_position().row => {
                    span_of(found)
                }
                _ => Span::new(last.end_byte(), last.end_byte()),
            };
            let mut diagnostic = Diagnostic::error(
                MISSING_TOKEN,
                format!("expected {expected} after `{}`{context}", last.kind()),
                span,
            );
            if let Some(found) = found.filter(|found| span == span_of(*found)) {
                diagnostic = diagnostic
                    .with_primary_message(format!("found {}", describe_token(tree, found)));
            }
            return Some(diagnostic);
        }
    }

    // Otherwise the first token that does not fit is the news.
    let culprit = first_unexpected(tree, error, &tokens).unwrap_or(tokens[0]);
    let span = span_of(culprit);
    let (kind, name) = context_kind(tree, error, culprit.start_byte());
    let context = match kind {
        Some(kind) if culprit != tokens[0] => Some(context_phrase(kind, name.as_deref())),
        _ => enclosing_context(tree, error),
    }
    .map(|context| format!(" in {context}"))
    .unwrap_or_default();
    let mut diagnostic = Diagnostic::error(
        UNEXPECTED_TOKEN,
        format!("unexpected {}{context}", describe_token(tree, culprit)),
        span,
    );
    if let Some(expected) = expected_list(culprit, previous_leaf(culprit)) {
        diagnostic = diagnostic.with_primary_message(format!("expected {expected}"));
    }
    if let Some(help) = statement_help(parent_kind).filter(|_| culprit == tokens[0]) {
        diagnostic = diagnostic.with_help(help);
    }
    Some(diagnostic)
}

/// The first token of an error that the parse state before it does not accept.
fn first_unexpected<'t>(
    _tree: &SyntaxTree,
    error: Node<'t>,
    tokens: &[Node<'t>],
) -> Option<Node<'t>> {
    let language = error.language();
    let mut state = previous_leaf(error).map(|leaf| leaf.next_parse_state())?;
    for &token in tokens {
        let symbol = token.grammar_id();
        let accepted = language
            .lookahead_iterator(state)
            .is_some_and(|mut lookahead| lookahead.any(|valid| valid == symbol));
        if !accepted {
            return Some(token);
        }
        state = token.next_parse_state();
        if state == 0 {
            return None;
        }
    }
    None
}

/// "`=` or `{`" when the tokens the parser wanted before `token` are few enough to list.
fn expected_list(token: Node<'_>, previous: Option<Node<'_>>) -> Option<String> {
    let state = previous?.next_parse_state();
    let language = token.language();
    let mut names: Vec<String> = Vec::new();
    for symbol in language.lookahead_iterator(state)? {
        let Some(name) = language.node_kind_for_id(symbol) else {
            continue;
        };
        let described = match name {
            "comment" | "doc_comment" | "end" | "ERROR" => continue,
            // Hidden rules (`_name`) are what the visible ones above spell out.
            _ if name.starts_with('_') => continue,
            "identifier" => "a name".to_owned(),
            "string" => "a string".to_owned(),
            "fenced_string" => "a fenced string".to_owned(),
            "number" => "a number".to_owned(),
            "duration" => "a duration".to_owned(),
            _ if language.node_kind_is_named(symbol) => continue,
            other => format!("`{other}`"),
        };
        if !names.contains(&described) {
            names.push(described);
        }
        if names.len() > 4 {
            return None;
        }
    }
    match names.len() {
        0 => None,
        1 => names.pop(),
        _ => {
            let last = names.pop()?;
            Some(format!("{} or {last}", names.join(", ")))
        }
    }
}

/// What may stand in a container, for the help of an unexpected token.
fn statement_help(container: Option<&str>) -> Option<&'static str> {
    Some(match container? {
        "block_body" => "a block holds properties `key = value`, `@key = value`, ports `in`/`out`, `param`, `placeholder` and `code`/`template`/`preview` bodies",
        "workflow_body" => "a workflow holds fields `key = value`, `@key = value`, `type`, `var`, sections `name { ... }`, `block` and `connect` statements",
        "section_body" => "a section holds `key = value`, `@key = value` and nested sections",
        "attribute_list" => "braces after a port, variable, parameter or connection hold `key = value` and `@key = value`",
        "source_file" => "a file holds `key = value`, `@key = value` and one `workflow`",
        _ => return None,
    })
}

/// A `"` string whose closing quote is missing.
fn unterminated_string(tree: &SyntaxTree, node: Node<'_>) -> Diagnostic {
    Diagnostic::error(
        UNTERMINATED_STRING,
        format!(
            "string opened at {} is never closed",
            at(tree, node.start_byte())
        ),
        span_of(node),
    )
    .with_primary_message("the string ends at the end of the line")
    .with_help("close it with `\"` on the same line (a string cannot span lines; use a fenced string for that)")
}

/// A fenced string without its closing fence.
fn unterminated_fenced_string(tree: &SyntaxTree, node: Node<'_>) -> Diagnostic {
    let fence: String = tree
        .node_text(node)
        .chars()
        .take_while(|&c| c == '`')
        .collect();
    let start = node.start_byte();
    let fence_span = Span::new(start, start + fence.len());
    Diagnostic::error(
        UNTERMINATED_FENCED_STRING,
        format!(
            "fenced string opened at {} is never closed",
            at(tree, start)
        ),
        fence_span,
    )
    .with_primary_message("this fence is never closed")
    .with_help(format!("close it with a line holding only {fence}"))
}
