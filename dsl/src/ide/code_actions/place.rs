//! Where inserted text goes: the edits that add a statement to a block or a block to the
//! workflow (`.ab`), or a member to an object or an item to an array (`.agentblocks`), at the
//! place the formatter would keep it, with its indentation.

use crate::diagnostic::TextEdit;
use crate::json::{self, JsonNode, Member};
use crate::model::{Block, Connection, Json, Span};
use crate::print::{self, BlockPart};
use crate::syntax::SyntaxTree;

/// The statements `print::print_block` printed for `mini` (its lines between the header and
/// the closing `}`), indented for a block whose line is indented `indent` spaces.
pub(super) fn statements(mini: &Block, indent: usize) -> String {
    statements_with(mini, &[], &[], indent)
}

/// [`statements`] with `connections` into `mini`'s inputs written on them (their sources
/// among `blocks`).
pub(super) fn statements_with(
    mini: &Block,
    connections: &[Connection],
    blocks: &[Block],
    indent: usize,
) -> String {
    let printed = print::print_block(mini, connections, blocks);
    let lines: Vec<&str> = printed.lines().collect();
    let inner = lines.get(1..lines.len().saturating_sub(1)).unwrap_or(&[]);
    reindent(inner, indent)
}

/// A whole block as `print::print_block` prints it in a workflow of `blocks`.
pub(super) fn block_text(block: &Block, connections: &[Connection], blocks: &[Block]) -> String {
    let printed = print::print_block(block, connections, blocks);
    let lines: Vec<&str> = printed.lines().collect();
    reindent(&lines, 2)
}

/// `lines` (printed for a block at two spaces) moved to a block at `indent` spaces, each
/// ending with a line feed.
fn reindent(lines: &[&str], indent: usize) -> String {
    let mut out = String::new();
    for line in lines {
        if !line.is_empty() {
            let own = line.len() - line.trim_start_matches(' ').len();
            out.push_str(&" ".repeat((own + indent).saturating_sub(2)));
            out.push_str(line.trim_start_matches(' '));
        }
        out.push('\n');
    }
    out
}

/// The number of spaces that start the line holding `offset`.
pub(super) fn line_indent(text: &str, offset: usize) -> usize {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    text[start..].len() - text[start..].trim_start_matches(' ').len()
}

/// The `block` node of a `.ab` block.
fn block_node<'t>(tree: &'t SyntaxTree, block: &Block) -> Option<tree_sitter::Node<'t>> {
    let mut node = tree
        .root()
        .descendant_for_byte_range(block.span.start, block.span.end)?;
    while node.kind() != "block" {
        node = node.parent()?;
    }
    Some(node)
}

/// The part of a block body a statement node belongs to (`None` for comments and errors).
fn part_of(tree: &SyntaxTree, node: tree_sitter::Node<'_>) -> Option<BlockPart> {
    match node.kind() {
        "field" | "param" | "placeholder" => Some(BlockPart::KindFields),
        "extra_field" => Some(BlockPart::AtKeys),
        "port" => match node
            .child_by_field_name("direction")
            .map(|d| tree.node_text(d))
        {
            Some("in") => Some(BlockPart::Inputs),
            _ => Some(BlockPart::Outputs),
        },
        "body_string" => Some(BlockPart::Bodies),
        _ => None,
    }
}

/// The edit removing the statement at `span` with its line, and the blank line before it when
/// nothing but a blank line or a `}` follows (a `connect` group left empty).
pub(super) fn dsl_remove_line(text: &str, span: Span) -> TextEdit {
    let mut start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i + 1);
    let next = text[end..].lines().next().unwrap_or("").trim();
    if text[..start].ends_with("\n\n") && (next.is_empty() || next.starts_with('}')) {
        start -= 1;
    }
    TextEdit {
        span: Span::new(start, end),
        new_text: String::new(),
    }
}

/// The edits adding `statements` (lines printed by [`statements`]) of `part` to a `.ab` block:
/// after the last statement of that part or of an earlier one, else after the `{` line. They
/// belong to the block's `collection` (`properties`, `inputs`, `outputs`): an
/// `@collection = ...` statement (written for a present empty one) goes, since it would
/// replace them.
pub(super) fn dsl_add_statements(
    tree: &SyntaxTree,
    block: &Block,
    part: BlockPart,
    collection: &str,
    statements: &str,
) -> Option<Vec<TextEdit>> {
    let text = tree.text();
    let node = block_node(tree, block)?;
    let body = node.child_by_field_name("body")?;
    let mut anchor = body.start_byte() + 1;
    let mut empty = None;
    let mut cursor = body.walk();
    for child in body.named_children(&mut cursor) {
        let key = child
            .child_by_field_name("key")
            .map(|k| tree.node_text(k).trim_matches('"'));
        if child.kind() == "extra_field" && key == Some(collection) {
            empty = Some(dsl_remove_line(
                text,
                Span::new(child.start_byte(), child.end_byte()),
            ));
        } else if part_of(tree, child).is_some_and(|p| p <= part) {
            anchor = child.end_byte();
        }
    }
    let indent = line_indent(text, node.start_byte());
    let insert = after_line(text, anchor, statements, indent + 2);
    Some(match empty {
        Some(removal) if removal.span.start == insert.span.start => vec![TextEdit {
            span: removal.span,
            new_text: insert.new_text,
        }],
        Some(removal) => vec![insert, removal],
        None => vec![insert],
    })
}

/// The edit adding a block (`text`, printed by [`block_text`]) after `after`, a blank line
/// between them.
pub(super) fn dsl_add_block(tree: &SyntaxTree, after: &Block, text: &str) -> Option<TextEdit> {
    let node = block_node(tree, after)?;
    Some(after_line(
        tree.text(),
        node.end_byte(),
        &format!("\n{text}"),
        2,
    ))
}

/// Inserts `lines` (each ending with a line feed) after the line on which `offset` stands,
/// keeping a comment that ends that line on it. When a statement or `}` follows on the same
/// line, the line is broken there, the rest indented `rest_indent` (less two before `}`).
fn after_line(text: &str, offset: usize, lines: &str, rest_indent: usize) -> TextEdit {
    let rest = &text[offset..];
    let line_end = rest.find('\n');
    let on_line = &rest[..line_end.unwrap_or(rest.len())];
    let trimmed = on_line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with("//") {
        return match line_end {
            Some(n) => TextEdit {
                span: Span::new(offset + n + 1, offset + n + 1),
                new_text: lines.to_owned(),
            },
            None => TextEdit {
                span: Span::new(text.len(), text.len()),
                new_text: format!("\n{}", lines.trim_end_matches('\n')),
            },
        };
    }
    let indent = if trimmed.starts_with('}') {
        rest_indent.saturating_sub(2)
    } else {
        rest_indent
    };
    let spaces = on_line.len() - trimmed.len();
    TextEdit {
        span: Span::new(offset, offset + spaces),
        new_text: format!("\n{lines}{}", " ".repeat(indent)),
    }
}

/// The JSON tree of a `.agentblocks` text.
pub(super) fn json_tree(text: &str) -> Option<JsonNode> {
    json::parse(text).ok()
}

/// The member `key` of an object node.
pub(super) fn member<'n>(node: &'n JsonNode, key: &str) -> Option<&'n Member> {
    node.as_object()?.iter().find(|m| m.key.value == key)
}

/// The `workflow.blocks` object and the member of `block` in it (found by its key's span).
pub(super) fn json_block<'n>(root: &'n JsonNode, block: &Block) -> Option<&'n Member> {
    let blocks = &member(&member(root, "workflow")?.value, "blocks")?.value;
    let members = blocks.as_object()?;
    members
        .iter()
        .find(|m| m.key.span == block.id.span)
        .or_else(|| members.iter().find(|m| m.key.value == block.id.value))
}

/// Where a new member `key` goes among `members` in canonical order `order` (the JSON
/// writer's list; unknown keys last): after the member returned, or first when `None`.
pub(super) fn canonical_slot(members: &[Member], order: &[&str], key: &str) -> Option<usize> {
    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(usize::MAX);
    let new = rank(key);
    members.iter().rposition(|m| rank(&m.key.value) <= new)
}

/// `value` as the JSON writer prints it (two-space indentation), its lines after the first
/// indented `indent` spaces more.
fn pretty(value: &Json, indent: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.replace('\n', &format!("\n{}", " ".repeat(indent)))
}

/// The edit adding the member `"key": value` to `object`, after member number `after`
/// (first when `None`).
pub(super) fn json_add_member(
    text: &str,
    object: &JsonNode,
    after: Option<usize>,
    key: &str,
    value: &Json,
) -> Option<TextEdit> {
    let members = object.as_object()?;
    let outer = line_indent(text, object.span.start);
    let inner = outer + 2;
    let entry = format!(
        "{}: {}",
        serde_json::to_string(key).ok()?,
        pretty(value, inner)
    );
    Some(
        match (after.and_then(|i| members.get(i)), members.first()) {
            (Some(previous), _) => TextEdit {
                span: Span::new(previous.span.end, previous.span.end),
                new_text: format!(",\n{}{entry}", " ".repeat(inner)),
            },
            (None, Some(first)) => TextEdit {
                span: Span::new(first.span.start, first.span.start),
                new_text: format!("{entry},\n{}", " ".repeat(inner)),
            },
            (None, None) => TextEdit {
                span: object.span,
                new_text: format!("{{\n{}{entry}\n{}}}", " ".repeat(inner), " ".repeat(outer)),
            },
        },
    )
}

/// The edit appending `value` to the array `array`.
pub(super) fn json_append(text: &str, array: &JsonNode, value: &Json) -> Option<TextEdit> {
    let items = array.as_array()?;
    let outer = line_indent(text, array.span.start);
    let inner = outer + 2;
    let item = pretty(value, inner);
    Some(match items.last() {
        Some(last) => TextEdit {
            span: Span::new(last.span.end, last.span.end),
            new_text: format!(",\n{}{item}", " ".repeat(inner)),
        },
        None => TextEdit {
            span: array.span,
            new_text: format!("[\n{}{item}\n{}]", " ".repeat(inner), " ".repeat(outer)),
        },
    })
}
