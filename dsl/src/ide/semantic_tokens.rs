//! Semantic tokens: every token of an `.ab` file classified by what it names, and the diff
//! between two encodings (for delta requests).

use crate::model::Span;

use super::Analysis;

/// Token types; the legend is [`TokenType::ALL`] in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    /// Keywords and `true`/`false`/`null`.
    Keyword,
    /// Types.
    Type,
    /// Block ids and variables.
    Variable,
    /// Ports and parameters.
    Parameter,
    /// Property and section keys.
    Property,
    /// Block kinds and calls.
    Function,
    /// Sections.
    Namespace,
    /// Enumeration values (`parallel`).
    EnumMember,
    /// `@` keys.
    Decorator,
    /// Strings.
    String,
    /// Numbers and durations.
    Number,
    /// Comments.
    Comment,
    /// `<-`, `->`, `=`, `?`.
    Operator,
}

impl TokenType {
    /// Every type, in legend order.
    pub const ALL: [TokenType; 13] = [
        TokenType::Keyword,
        TokenType::Type,
        TokenType::Variable,
        TokenType::Parameter,
        TokenType::Property,
        TokenType::Function,
        TokenType::Namespace,
        TokenType::EnumMember,
        TokenType::Decorator,
        TokenType::String,
        TokenType::Number,
        TokenType::Comment,
        TokenType::Operator,
    ];

    /// The LSP standard name of the type.
    pub fn name(self) -> &'static str {
        match self {
            TokenType::Keyword => "keyword",
            TokenType::Type => "type",
            TokenType::Variable => "variable",
            TokenType::Parameter => "parameter",
            TokenType::Property => "property",
            TokenType::Function => "function",
            TokenType::Namespace => "namespace",
            TokenType::EnumMember => "enumMember",
            TokenType::Decorator => "decorator",
            TokenType::String => "string",
            TokenType::Number => "number",
            TokenType::Comment => "comment",
            TokenType::Operator => "operator",
        }
    }

    /// The index in the legend.
    pub fn index(self) -> u32 {
        TokenType::ALL.iter().position(|t| *t == self).unwrap_or(0) as u32
    }
}

/// Modifier bits; the legend is [`MODIFIERS`] in bit order.
pub const MODIFIERS: [&str; 3] = ["declaration", "documentation", "defaultLibrary"];
/// The `declaration` modifier bit.
pub const DECLARATION: u32 = 1;
/// The `documentation` modifier bit.
pub const DOCUMENTATION: u32 = 2;
/// The `defaultLibrary` modifier bit.
pub const DEFAULT_LIBRARY: u32 = 4;

/// One classified token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    /// Its range.
    pub span: Span,
    /// Its type.
    pub ty: TokenType,
    /// Modifier bits.
    pub modifiers: u32,
}

const BUILTIN_TYPES: &[&str] = &[
    "String",
    "Number",
    "Integer",
    "Boolean",
    "Path",
    "File",
    "Directory",
    "Json",
    "Any",
    "List",
    "Dict",
    "Optional",
];

fn classify(
    kind: &str,
    parent: &str,
    field: Option<&str>,
    text: &str,
    named: bool,
) -> Option<(TokenType, u32)> {
    Some(match (kind, parent, field) {
        ("comment", _, _) => (TokenType::Comment, 0),
        ("doc_comment", _, _) => (TokenType::Comment, DOCUMENTATION),
        ("string" | "fenced_string", "block", Some("id")) => (TokenType::Variable, DECLARATION),
        ("string" | "fenced_string", _, _) => (TokenType::String, 0),
        ("number" | "duration", _, _) => (TokenType::Number, 0),
        ("true" | "false" | "null", _, _) => (TokenType::Keyword, 0),
        ("type_name", _, _) => (
            TokenType::Type,
            if BUILTIN_TYPES.contains(&text) {
                DEFAULT_LIBRARY
            } else {
                0
            },
        ),
        ("identifier", "block", Some("id")) | ("identifier", "var", Some("name")) => {
            (TokenType::Variable, DECLARATION)
        }
        ("identifier", "port" | "param" | "placeholder", Some("name")) => {
            (TokenType::Parameter, DECLARATION)
        }
        ("identifier", "source" | "port_ref", Some("block")) => (TokenType::Variable, 0),
        ("identifier", "source" | "port_ref", Some("port")) => (TokenType::Parameter, 0),
        ("identifier", "type_decl", Some("name")) => (TokenType::Type, DECLARATION),
        ("identifier", "field" | "pair" | "record_field", _) if field != Some("value") => {
            (TokenType::Property, 0)
        }
        ("identifier", "extra_field", Some("key")) => (TokenType::Decorator, 0),
        ("identifier", "section", Some("name")) => (TokenType::Namespace, 0),
        ("identifier", "visual_kind" | "plugin_kind" | "call", _) => (TokenType::Function, 0),
        ("identifier", "named_argument", _) => (TokenType::Parameter, 0),
        ("identifier", _, _) => (TokenType::EnumMember, 0),
        ("ai_kind", _, _) => (TokenType::Function, DEFAULT_LIBRARY),
        (_, "code_kind" | "template_kind", Some("language")) if !named => {
            (TokenType::Function, DEFAULT_LIBRARY)
        }
        ("@", _, _) => (TokenType::Decorator, 0),
        ("<-" | "->" | "=" | "?", _, _) => (TokenType::Operator, 0),
        _ if !named && text.bytes().all(|b| b.is_ascii_alphabetic()) && !text.is_empty() => {
            (TokenType::Keyword, 0)
        }
        _ => return None,
    })
}

/// The tokens of an `.ab` file, in order (none for JSON files).
pub fn semantic_tokens(analysis: &Analysis) -> Vec<SemanticToken> {
    let mut out = Vec::new();
    let Some(tree) = analysis.tree() else {
        return out;
    };
    let mut cursor = tree.root().walk();
    // The kinds of the nodes above the cursor (`parent()` searches from the root each time,
    // which would make a deeply nested file quadratic).
    let mut parents: Vec<&str> = Vec::new();
    loop {
        let node = cursor.node();
        let leaf_like = node.child_count() == 0
            || matches!(
                node.kind(),
                "string" | "fenced_string" | "type_name" | "ai_kind"
            );
        if leaf_like && !node.is_missing() {
            let parent = parents.last().copied().unwrap_or("");
            let text = tree.node_text(node);
            if let Some((ty, modifiers)) = classify(
                node.kind(),
                parent,
                cursor.field_name(),
                text,
                node.is_named(),
            ) {
                out.push(SemanticToken {
                    span: Span::new(node.start_byte(), node.end_byte()),
                    ty,
                    modifiers,
                });
            }
        }
        if !leaf_like && cursor.goto_first_child() {
            parents.push(node.kind());
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
            parents.pop();
        }
    }
}

/// The smallest single edit turning the encoded tokens `old` into `new` (both in LSP's groups
/// of five integers): `(start, delete_count, data)`, in integers; `None` when they are equal.
pub fn diff_tokens(old: &[u32], new: &[u32]) -> Option<(u32, u32, Vec<u32>)> {
    if old == new {
        return None;
    }
    let prefix = old
        .chunks(5)
        .zip(new.chunks(5))
        .take_while(|(a, b)| a == b)
        .count()
        * 5;
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old[prefix..]
        .rchunks(5)
        .zip(new[prefix..].rchunks(5))
        .take_while(|(a, b)| a == b)
        .count()
        * 5;
    let suffix = suffix.min(max_suffix / 5 * 5);
    Some((
        prefix as u32,
        (old.len() - prefix - suffix) as u32,
        new[prefix..new.len() - suffix].to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::FileKind;

    #[test]
    fn classifies_names_by_role() {
        let analysis = Analysis::new(
            FileKind::Dsl,
            "/// doc\nworkflow {\n  block a = python {\n    in x: List[Path] <- b.y\n  }\n}\n",
        );
        let found: Vec<String> = semantic_tokens(&analysis)
            .iter()
            .map(|t| format!("{}:{}:{}", analysis.slice(t.span), t.ty.name(), t.modifiers))
            .collect();
        assert_eq!(
            found.join(" "),
            "/// doc:comment:2 workflow:keyword:0 block:keyword:0 a:variable:1 =:operator:0 python:function:4 in:keyword:0 x:parameter:1 List:type:4 Path:type:4 <-:operator:0 b:variable:0 y:parameter:0"
        );
    }

    #[test]
    fn diffs() {
        let old = [0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 2, 0, 1, 0, 0];
        let new = [0, 0, 1, 0, 0, 1, 0, 2, 0, 0, 2, 0, 1, 0, 0];
        assert_eq!(diff_tokens(&old, &new), Some((5, 5, vec![1, 0, 2, 0, 0])));
        assert_eq!(diff_tokens(&old, &old), None);
        assert_eq!(diff_tokens(&old, &old[..10]), Some((10, 5, vec![])));
        assert_eq!(diff_tokens(&[], &old[..5]), Some((0, 0, old[..5].to_vec())));
    }
}
