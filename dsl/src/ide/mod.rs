//! Editor features as plain Rust over byte offsets and strings: no LSP types, no I/O.
//!
//! An [`Analysis`] is one file at one moment: its text, its syntax tree (for `.ab` files), the
//! model, every diagnostic and a [`LineIndex`]. Each feature is a function of an `Analysis` (and
//! an offset) in its own module, returning plain data whose ranges are byte [`Span`]s; the
//! language server converts them to LSP positions.
//!
//! Architecture invariant: nothing here knows LSP. The server (`lsp/`) only converts.

pub mod code_actions;
pub mod completion;
pub mod diagnostics;
pub mod folding;
pub mod format;
pub mod goto_definition;
pub mod graph;
pub mod highlights;
pub mod hover;
pub mod inlay_hints;
pub mod references;
pub mod rename;
pub mod resolve;
pub mod run;
pub mod selection;
pub mod semantic_tokens;
pub mod symbols;

#[cfg(test)]
mod fixture;

use std::collections::HashSet;

pub use crate::convert::FileKind;
use crate::diagnostic::Diagnostic;
use crate::line_index::LineIndex;
use crate::model::{Block, Document, Span};
use crate::syntax::lower::{LowerCache, Lowered};
use crate::syntax::{self, SyntaxTree};
use crate::{check, json};

/// One file analysed: text, tree, model, diagnostics and line index.
#[derive(Clone, Debug)]
pub struct Analysis {
    kind: FileKind,
    tree: Option<SyntaxTree>,
    json_text: Option<String>,
    line_index: LineIndex,
    document: Option<Document>,
    diagnostics: Vec<Diagnostic>,
    /// The blocks lowered, for analysing the next edit incrementally (`.ab` files).
    lower_cache: LowerCache,
    /// The blocks' local check results, likewise (see [`check::CheckCache`]).
    check_cache: check::CheckCache,
}

impl Analysis {
    /// Analyses `text` of the given kind from scratch.
    pub fn new(kind: FileKind, text: &str) -> Analysis {
        match kind {
            FileKind::Dsl => Analysis::from_tree(syntax::parse(text)),
            FileKind::Json => {
                let (document, mut diagnostics) = json::read_document(text);
                if let Some(document) = &document {
                    diagnostics.extend(check::check(document));
                }
                sort_diagnostics(&mut diagnostics);
                Analysis {
                    kind,
                    tree: None,
                    json_text: Some(text.to_owned()),
                    line_index: LineIndex::new(text),
                    document,
                    diagnostics,
                    lower_cache: LowerCache::default(),
                    check_cache: check::CheckCache::default(),
                }
            }
        }
    }

    /// Analyses an already parsed (perhaps incrementally re-parsed) `.ab` tree.
    pub fn from_tree(tree: SyntaxTree) -> Analysis {
        Analysis::analyze_tree(tree, None)
    }

    /// Analyses `tree`, an edit of the text `previous` analysed, reusing what the edit left
    /// unchanged (the lowered blocks whose text is unchanged, see [`LowerCache`], and their
    /// local check results, see [`check::CheckCache`]).
    ///
    /// Architecture invariant: the result equals `Analysis::from_tree(tree)` (property-tested
    /// in `dsl/tests/incremental.rs`).
    pub fn from_tree_after(tree: SyntaxTree, previous: &Analysis) -> Analysis {
        Analysis::analyze_tree(tree, Some(previous))
    }

    fn analyze_tree(tree: SyntaxTree, previous: Option<&Analysis>) -> Analysis {
        let Lowered {
            document,
            diagnostics: lowering,
            cache: lower_cache,
            clean_blocks,
            line_index,
            block_refs,
        } = syntax::lower::lower_incremental(&tree, previous.map(|p| &p.lower_cache));
        let mut diagnostics = syntax::syntax_errors_except(&tree, &clean_blocks);
        // A line with a syntax error gets no other diagnostics: they would be cascades of the
        // syntax error, which says what is wrong (the rule `convert::analyze` follows).
        let broken_lines: HashSet<usize> = diagnostics
            .iter()
            .map(|d| line_index.line_of(d.span().start))
            .collect();
        let (checked, check_cache) =
            check::check_incremental(&document, &block_refs, previous.map(|p| &p.check_cache));
        diagnostics.extend(
            lowering
                .into_iter()
                .chain(checked)
                .filter(|d| !broken_lines.contains(&line_index.line_of(d.span().start))),
        );
        sort_diagnostics(&mut diagnostics);
        Analysis {
            kind: FileKind::Dsl,
            tree: Some(tree),
            json_text: None,
            line_index,
            document: Some(document),
            diagnostics,
            lower_cache,
            check_cache,
        }
    }

    /// The file's kind.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The text analysed.
    pub fn text(&self) -> &str {
        match (&self.tree, &self.json_text) {
            (Some(tree), _) => tree.text(),
            (None, Some(text)) => text,
            (None, None) => "",
        }
    }

    /// The syntax tree (`.ab` files only).
    pub fn tree(&self) -> Option<&SyntaxTree> {
        self.tree.as_ref()
    }

    /// The model; `None` only for a JSON file that is not JSON at all.
    pub fn document(&self) -> Option<&Document> {
        self.document.as_ref()
    }

    /// Every diagnostic (syntax, lowering or reading, and the checker's), sorted by position.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The line index of the text.
    pub fn line_index(&self) -> &LineIndex {
        &self.line_index
    }

    /// True when the file has syntax errors (the formatter then refuses).
    pub fn has_syntax_errors(&self) -> bool {
        match &self.tree {
            Some(tree) => tree.root().has_error(),
            None => self.document.is_none() || self.diagnostics.iter().any(|d| d.is_error()),
        }
    }

    /// The text of a span ("" when the span is not on character boundaries of the text).
    pub fn slice(&self, span: Span) -> &str {
        self.text().get(span.start..span.end).unwrap_or("")
    }

    /// The blocks of the workflow (empty when there is no model).
    pub fn blocks(&self) -> &[Block] {
        self.document
            .as_ref()
            .and_then(|d| d.workflow.blocks.as_deref())
            .unwrap_or(&[])
    }

    /// The block with id `id`.
    pub fn block(&self, id: &str) -> Option<&Block> {
        self.blocks().iter().find(|b| b.id.value == id)
    }

    /// The innermost block whose span holds `offset`.
    pub fn block_at(&self, offset: usize) -> Option<&Block> {
        self.blocks()
            .iter()
            .find(|b| b.span.start <= offset && offset <= b.span.end)
    }

    /// A checker index of the workflow, when there is a model.
    pub fn index(&self) -> Option<check::Index<'_>> {
        self.document
            .as_ref()
            .map(|d| check::Index::build(&d.workflow))
    }
}

fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        (a.span().start, a.span().end, a.code).cmp(&(b.span().start, b.span().end, b.code))
    });
    diagnostics.dedup();
}

/// True when `offset` is within `span` (ends included, so a cursor right after a name is on it).
pub(crate) fn touches(span: Span, offset: usize) -> bool {
    span.start <= offset && offset <= span.end && span != Span::default()
}

/// A name as the DSL writes it: bare when it is an identifier and not a reserved word, else a
/// JSON string.
pub fn dsl_name(name: &str) -> String {
    const RESERVED: &[&str] = &[
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
        "true",
        "false",
        "null",
    ];
    if crate::types::is_identifier(name) && !RESERVED.contains(&name) {
        name.to_owned()
    } else {
        serde_json::Value::String(name.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Typing into one block checks only that block again, until a named type changes.
    #[test]
    fn typing_rechecks_only_the_edited_block() {
        let mut text = String::from("workflow \"W\" {\n  type T = {a: Integer}\n");
        for i in 0..10 {
            text.push_str(&format!(
                "  block b{i} = python {{\n    in t: T = {{\"a\": {i}}}\n    out n: Numbr\n  }}\n"
            ));
        }
        text.push_str("}\n");
        let first = Analysis::new(FileKind::Dsl, &text);
        assert_eq!(first.check_cache.len(), 10);
        let edit = |analysis: &Analysis, at: usize, end: usize, insert: &str| {
            let mut tree = analysis.tree().expect("a tree").clone();
            tree.edit(at, end, insert);
            let next = Analysis::from_tree_after(tree.clone(), analysis);
            assert_eq!(next.diagnostics(), Analysis::from_tree(tree).diagnostics());
            next
        };
        let at = text.find("b5 =").expect("block b5") + 2;
        let typed = edit(&first, at, at, "x");
        assert_eq!(typed.check_cache.reused_from(&first.check_cache), 9);
        assert!(!typed.diagnostics().iter().any(|d| d.code == "value-type"));
        // `a` is no longer an Integer: every block's default is wrong, so none is reused.
        let at = text.find("Integer").expect("the type");
        let retyped = edit(&typed, at, at + "Integer".len(), "String");
        assert_eq!(retyped.check_cache.reused_from(&typed.check_cache), 0);
        assert!(retyped.diagnostics().iter().any(|d| d.code == "value-type"));
    }

    /// Every feature at every offset of every example, whole and cut short, without panicking.
    #[test]
    fn no_feature_panics_anywhere() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("the examples folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e == "ab" || e == "agentblocks")
            })
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("an example");
            let kind = FileKind::from_path(&path.to_string_lossy()).expect("a workflow file");
            for cut in [text.len(), text.len() / 2, text.len() / 3] {
                let mut cut = cut;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                let analysis = Analysis::new(kind, &text[..cut]);
                let _ = diagnostics::diagnostics(&analysis);
                let _ = symbols::document_symbols(&analysis);
                let _ = folding::folding_ranges(&analysis);
                let _ = semantic_tokens::semantic_tokens(&analysis);
                let _ = inlay_hints::inlay_hints(&analysis);
                let _ = graph::graph(&analysis);
                let _ = format::format(&analysis);
                for offset in (0..=cut + 2).step_by(11) {
                    let _ = completion::completions(&analysis, offset);
                    let _ = hover::hover(&analysis, offset);
                    let _ = goto_definition::goto_definition(&analysis, offset);
                    let _ = references::find_references(&analysis, offset, true);
                    let _ = rename::rename(&analysis, offset, "renamed");
                    let _ = selection::selection_ranges(&analysis, offset);
                    let _ = code_actions::code_actions(&analysis, Span::new(offset, offset));
                }
            }
        }
    }
}
