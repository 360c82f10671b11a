//! Open documents: text in a rope, the incrementally re-parsed tree, and the latest analysis.
//!
//! Analysis is incremental too: each document keeps the last analysis made (of whatever
//! version), and the next `.ab` analysis starts from it (`Analysis::from_tree_after`), which
//! lowers again only the blocks whose text changed. Any earlier analysis is a sound starting
//! point: the result always equals a fresh analysis of the current tree.
//!
//! All documents sit behind one lock, taken only briefly and never across an `.await`. The
//! `didChange` handler applies its edits while holding it, before its first `.await`, and
//! tower-lsp-server polls each notification's future for the first time in arrival order, so
//! edits are applied strictly in the order they arrive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use agentblocks_dsl::ide::{Analysis, FileKind};
use agentblocks_dsl::syntax::{self, SyntaxTree};
use ropey::Rope;
use tower_lsp_server::lsp_types::{Position, TextDocumentContentChangeEvent};

use crate::position::Encoding;

/// One open document.
#[derive(Debug)]
pub struct Document {
    /// `.ab` or `.agentblocks`.
    pub kind: FileKind,
    /// The client's version.
    pub version: i32,
    /// The text.
    pub rope: Rope,
    tree: Option<SyntaxTree>,
    analysis: Option<Arc<Analysis>>,
    /// The latest analysis of an earlier version, to analyse the current one incrementally.
    previous: Option<Arc<Analysis>>,
    /// The last semantic tokens sent: result id and data.
    pub tokens: Option<(String, Vec<u32>)>,
    /// True when the tree has been edited incrementally since it was parsed from scratch.
    edited: bool,
}

/// What a worker needs to analyse a document away from the lock.
pub enum AnalysisInput {
    /// Already analysed at this version.
    Ready(Arc<Analysis>),
    /// An `.ab` tree to lower and check, and an analysis of an earlier version to start from.
    Tree(SyntaxTree, Option<Arc<Analysis>>),
    /// An `.ab` text to parse afresh (see [`FRESH_PARSE_WITH_ERRORS`]), then as `Tree`.
    Reparse(String, Option<Arc<Analysis>>),
    /// A JSON text to read and check.
    Json(String),
}

/// Up to this size, an incrementally edited tree with syntax errors is parsed afresh before
/// analysis.
///
/// Tree-sitter's error recovery can depend on the subtrees an incremental parse reuses, so
/// after some edit histories an incremental tree's errors differ (in place or wording) from a
/// fresh parse of the same text. A fresh parse makes the diagnostics a function of the text
/// alone; it costs about 7 ms at 100 KB, paid only while the text has errors. Larger files keep
/// the incremental tree, whose errors are still right, only not always worded the same.
pub const FRESH_PARSE_WITH_ERRORS: usize = 256 * 1024;

impl AnalysisInput {
    /// The analysis (computed when not ready).
    pub fn run(self) -> Arc<Analysis> {
        match self {
            AnalysisInput::Ready(analysis) => analysis,
            AnalysisInput::Reparse(text, previous) => {
                AnalysisInput::Tree(syntax::parse(&text), previous).run()
            }
            AnalysisInput::Tree(tree, None) => Arc::new(Analysis::from_tree(tree)),
            AnalysisInput::Tree(tree, Some(previous)) => {
                Arc::new(Analysis::from_tree_after(tree, &previous))
            }
            AnalysisInput::Json(text) => Arc::new(Analysis::new(FileKind::Json, &text)),
        }
    }
}

impl Document {
    /// A document opened with `text`.
    pub fn new(kind: FileKind, text: &str, version: i32) -> Document {
        Document {
            kind,
            version,
            rope: Rope::from_str(text),
            tree: (kind == FileKind::Dsl).then(|| syntax::parse(text)),
            analysis: None,
            previous: None,
            tokens: None,
            edited: false,
        }
    }

    /// The byte offset of a position in the current text (clamped to the text).
    fn offset(&self, position: Position, encoding: Encoding) -> usize {
        let rope = &self.rope;
        let line = position.line as usize;
        if line >= rope.len_lines() {
            return rope.len_bytes();
        }
        let line_start_char = rope.line_to_char(line);
        let line_slice = rope.line(line);
        let mut units = 0usize;
        let mut chars = 0usize;
        for c in line_slice.chars() {
            if c == '\n' || c == '\r' {
                break;
            }
            let width = match encoding {
                Encoding::Utf16 => c.len_utf16(),
                Encoding::Utf8 => c.len_utf8(),
            };
            if units + width > position.character as usize {
                break;
            }
            units += width;
            chars += 1;
        }
        rope.char_to_byte(line_start_char + chars)
    }

    /// Applies one content change (a range edit, or the whole text) to the rope and the tree.
    pub fn apply_change(&mut self, change: &TextDocumentContentChangeEvent, encoding: Encoding) {
        if let Some(analysis) = self.analysis.take() {
            self.previous = Some(analysis);
        }
        match change.range {
            None => {
                self.rope = Rope::from_str(&change.text);
                if self.kind == FileKind::Dsl {
                    self.tree = Some(syntax::parse(&change.text));
                }
                self.edited = false;
            }
            Some(range) => {
                let start = self.offset(range.start, encoding);
                let end = self.offset(range.end, encoding).max(start);
                let (start_char, end_char) =
                    (self.rope.byte_to_char(start), self.rope.byte_to_char(end));
                self.rope.remove(start_char..end_char);
                self.rope.insert(start_char, &change.text);
                if let Some(tree) = &mut self.tree {
                    tree.edit(start, end, &change.text);
                    self.edited = true;
                }
            }
        }
    }

    /// What it takes to analyse the current text.
    pub fn input(&self) -> AnalysisInput {
        match (&self.analysis, &self.tree) {
            (Some(analysis), _) => AnalysisInput::Ready(analysis.clone()),
            (None, Some(tree))
                if self.edited
                    && tree.root().has_error()
                    && tree.text().len() <= FRESH_PARSE_WITH_ERRORS =>
            {
                AnalysisInput::Reparse(tree.text().to_owned(), self.previous.clone())
            }
            (None, Some(tree)) => AnalysisInput::Tree(tree.clone(), self.previous.clone()),
            (None, None) => AnalysisInput::Json(self.rope.to_string()),
        }
    }

    /// The text the tree holds (`.ab` files), for consistency checks.
    pub fn tree_text(&self) -> Option<&str> {
        self.tree.as_ref().map(SyntaxTree::text)
    }
}

/// All open documents, by URI.
#[derive(Debug, Default)]
pub struct Documents {
    map: Mutex<HashMap<String, Document>>,
}

impl Documents {
    /// The locked map. Only the edit functions above run under it (no feature code), so a
    /// poisoned lock is taken over rather than taking the server down.
    pub fn lock(&self) -> MutexGuard<'_, HashMap<String, Document>> {
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The version and analysis input of a document.
    pub fn snapshot(&self, uri: &str) -> Option<(i32, FileKind, AnalysisInput)> {
        self.lock().get(uri).map(|d| (d.version, d.kind, d.input()))
    }

    /// The text of a document as the rope holds it, and as its tree holds it (`.ab` files).
    pub fn texts(&self, uri: &str) -> Option<(String, Option<String>)> {
        self.lock()
            .get(uri)
            .map(|d| (d.rope.to_string(), d.tree_text().map(str::to_owned)))
    }

    /// The current version of a document.
    pub fn version(&self, uri: &str) -> Option<i32> {
        self.lock().get(uri).map(|d| d.version)
    }

    /// Stores an analysis made at `version`; false when the document has moved on (the
    /// analysis is then kept only as the start of the next incremental one) or is closed.
    pub fn store(&self, uri: &str, version: i32, analysis: &Arc<Analysis>) -> bool {
        match self.lock().get_mut(uri) {
            Some(doc) if doc.version == version => {
                doc.analysis = Some(analysis.clone());
                true
            }
            Some(doc) => {
                doc.previous = Some(analysis.clone());
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::lsp_types::Range;

    #[test]
    fn incremental_edits_keep_rope_and_tree_in_step() {
        let mut doc = Document::new(FileKind::Dsl, "workflow {\n  var é = 1\n}\n", 1);
        let change = TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(1, 7), Position::new(1, 7))),
            range_length: None,
            text: "x😀".into(),
        };
        doc.apply_change(&change, Encoding::Utf16);
        assert_eq!(doc.rope.to_string(), "workflow {\n  var éx😀 = 1\n}\n");
        assert_eq!(doc.tree_text(), Some("workflow {\n  var éx😀 = 1\n}\n"));
        // Past the end of the file: appended.
        let change = TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(99, 0), Position::new(99, 5))),
            range_length: None,
            text: "// end".into(),
        };
        doc.apply_change(&change, Encoding::Utf16);
        assert!(doc.rope.to_string().ends_with("}\n// end"));
        assert_eq!(
            doc.tree_text().map(str::to_owned),
            Some(doc.rope.to_string())
        );
    }

    #[test]
    fn edits_start_from_the_last_analysis() {
        let text = "workflow \"W\" {\n  block a = python {\n    out x: String\n  }\n}\n";
        let documents = Documents::default();
        documents
            .lock()
            .insert("u".into(), Document::new(FileKind::Dsl, text, 1));
        let Some((_, _, input)) = documents.snapshot("u") else {
            panic!("the document is open");
        };
        let first = input.run();
        assert!(documents.store("u", 1, &first));
        let change = TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(2, 10), Position::new(2, 10))),
            range_length: None,
            text: "y".into(),
        };
        if let Some(doc) = documents.lock().get_mut("u") {
            doc.apply_change(&change, Encoding::Utf16);
            doc.version = 2;
        }
        let Some((_, _, input)) = documents.snapshot("u") else {
            panic!("the document is open");
        };
        assert!(
            matches!(&input, AnalysisInput::Tree(_, Some(previous)) | AnalysisInput::Reparse(_, Some(previous)) if Arc::ptr_eq(previous, &first))
        );
        let second = input.run();
        let fresh = Analysis::new(FileKind::Dsl, &documents.texts("u").unwrap_or_default().0);
        assert_eq!(second.document(), fresh.document());
        assert_eq!(second.diagnostics(), fresh.diagnostics());
    }
}
