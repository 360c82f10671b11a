//! Property tests of the parser: `parse` and `syntax_errors` never panic, and an incremental
//! `edit` gives the same tree as a fresh parse of the edited text.

use agentblocks_dsl::syntax::{self, SyntaxTree};
use proptest::prelude::*;

const SAMPLE: &str = r#"/// Doc
workflow "W" {
  version = "1.0.0"
  config { mode = parallel timeout = 300s }
  block find = find_files "Find" at (100, 100) {
    patterns = ["*.cpp", {"a": null}]
    out files: List[Path]
  }
  block filter = python {
    in files: List[Path]? <- find.files { id = "c" }
    code ```
      print("x")
      ```
  }
}
"#;

/// Text made of the language's own pieces, so that random strings reach deep into the grammar.
fn fragments() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "workflow", "block", "in", "out", "{", "}", "[", "]", "(", ")", "=", ":", ",", ".", "<-",
        "->", "@", "?", "\"s\"", "\"", "```\n", "  ```", "\n", " ", "x", "List", "1", "2.5s",
        "//c\n", "///d\n", "\0", "é", "code", "python", "at",
    ]);
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn never_panics(text in any::<String>()) {
        let tree = syntax::parse(&text);
        let _ = syntax::syntax_errors(&tree);
        let _ = tree.to_sexp(true);
    }

    #[test]
    fn never_panics_on_fragments(text in fragments()) {
        let tree = syntax::parse(&text);
        let _ = syntax::syntax_errors(&tree);
    }

    #[test]
    fn incremental_edit_matches_fresh_parse(
        edits in prop::collection::vec((any::<usize>(), 0usize..20, fragments()), 1..5)
    ) {
        let mut tree = SyntaxTree::parse(SAMPLE);
        for (start, length, inserted) in edits {
            let len = tree.text().len();
            let start = if len == 0 { 0 } else { start % (len + 1) };
            tree.edit(start, start.saturating_add(length), &inserted);
            let fresh = SyntaxTree::parse(tree.text());
            // Tree-sitter's error recovery may settle differently when it reuses an old tree,
            // so trees are compared exactly when the edited text is valid; otherwise both must
            // cover the whole text and both must see errors.
            if fresh.root().has_error() {
                prop_assert!(tree.root().has_error());
                prop_assert_eq!(tree.root().end_byte(), fresh.root().end_byte());
            } else {
                prop_assert_eq!(tree.to_sexp(true), fresh.to_sexp(true), "text: {:?}", tree.text());
            }
        }
    }
}

/// Edits that keep the text valid, so the trees must match exactly.
fn valid_edit() -> impl Strategy<Value = (usize, String)> {
    let inserted = prop::sample::select(vec![
        "\n",
        " ",
        "// note\n",
        "    out extra: String\n",
        "    n = [1, 2]\n",
        "x",
    ]);
    (0usize..3, inserted).prop_map(|(i, s)| (i, s.to_owned()))
}

proptest! {
    #[test]
    fn valid_incremental_edits_match(edits in prop::collection::vec(valid_edit(), 1..8)) {
        let mut tree = SyntaxTree::parse(SAMPLE);
        for (place, inserted) in edits {
            // Right after a block's opening line, where a statement may start.
            let anchor = if inserted == "x" { "version = \"1.0" } else { "(100, 100) {\n" };
            let Some(at) = tree.text().find(anchor).map(|i| i + anchor.len()) else { continue };
            let at = if place == 0 || inserted == "x" { at } else { tree.text().len() - 6 };
            tree.edit(at, at, &inserted);
            let fresh = SyntaxTree::parse(tree.text());
            prop_assert!(!fresh.root().has_error(), "text: {:?}", tree.text());
            prop_assert_eq!(tree.to_sexp(true), fresh.to_sexp(true));
        }
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let text = format!("workflow {{ x = {} }}", "[".repeat(200_000));
    let tree = syntax::parse(&text);
    let errors = syntax::syntax_errors(&tree);
    assert!(!errors.is_empty());
    let _ = tree.to_sexp(false);
}

#[test]
fn odd_edits_are_clamped() {
    let mut tree = SyntaxTree::parse("workflow { x = \"é\" }");
    tree.edit(17, 16, "");
    tree.edit(1000, 2000, "y");
    assert_eq!(
        tree.to_sexp(true),
        SyntaxTree::parse(tree.text()).to_sexp(true)
    );
}
