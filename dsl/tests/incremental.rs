//! Property tests of incremental analysis: after any edit, lowering that reuses the previous
//! lowering's blocks, and an `ide::Analysis` made from the previous one, equal a fresh
//! lowering and a fresh analysis of the same tree (model, spans and diagnostics). Edits land
//! anywhere, and also on the names the blocks' cached checks depend on (named types, variable
//! names, block ids other blocks connect to).

use agentblocks_dsl::ide::Analysis;
use agentblocks_dsl::syntax::lower::{lower, lower_incremental};
use agentblocks_dsl::syntax::SyntaxTree;
use proptest::prelude::*;

const EXAMPLES: &[&str] = &[
    include_str!("../../examples/everything.ab"),
    include_str!("../../examples/cpp-callbacks.ab"),
    include_str!("../../examples/data-pipeline.ab"),
    include_str!("../../examples/templates.ab"),
];

/// A block of one of several kinds, with comments, doc comments and connections; some use
/// the workflow's type `T` and variable `limit`.
fn block(i: usize, kind: usize) -> String {
    let prev = i.saturating_sub(1);
    match kind % KINDS {
        0 => format!(
            "  /// Finds files {i}\n  block b{i} = find_files \"Find {i}\" at ({i}, 0) {{\n    directory = \"./src\" // where\n    out files: List[Path]\n  }}\n"
        ),
        1 => format!(
            "  // plain comment\n  block b{i} = python {{\n    in files: List[Path] <- b{prev}.files\n    /// the limit\n    optional in limit: Integer = 10\n    out files: List[Path]\n    code ```\n      x = 1\n      ```\n  }}\n"
        ),
        2 => format!(
            "  block b{i} = ai \"Ask\" {{\n    model = anthropic(\"claude\", temperature = 0.3)\n    prompt = \"Summarise {{files}}\"\n    in files: List[Path] <- b{prev}.files {{ id = \"c{i}\" }}\n    out summary: String\n  }}\n"
        ),
        3 => format!(
            "  block b{i} = template python {{\n    param n: Integer = 3\n    template ```\n      print({{{{n}}}})\n      ```\n    placeholder n = simple(n)\n    out files: List[Path]\n  }}\n"
        ),
        4 => format!(
            "  block b{i} = filter_content {{\n    pattern = \"fn\"\n    in files: List[Path] <- b{prev}.files, b0.files\n    out files: List[Path]\n    @x = {{\"k\": [1, 2]}}\n  }}\n"
        ),
        5 => format!("  connect b{prev}.files -> b{i}.files\n  block b{i} = python {{ in files: Number\n out files: List[Path] }}\n"),
        // Named types in port types, defaults and template parameters; a variable in a prompt.
        7 => format!(
            "  block b{i} = python {{\n    optional in t: T = {{\"a\": 1}}\n    out files: List[Path]\n    out u: U\n  }}\n"
        ),
        8 => format!(
            "  block b{i} = ai {{\n    prompt = \"Use {{limit}} and {{t}} {{lmit}}\"\n    in t: T <- b{prev}.t\n    out files: List[Path]\n  }}\n"
        ),
        9 => format!(
            "  block b{i} = template python {{\n    param n: T = {{\"a\": 2}}\n    template ```\n      print({{{{n}}}})\n      ```\n    placeholder n = simple(n)\n    out files: List[Path]\n  }}\n"
        ),
        // Comments in a block outside its body, and at the end of its body.
        _ => format!(
            "  block b{i} = python // after the kind\n  \"Step {i}\" /// stray\n  {{\n    out files: List[Path]\n    // before the end\n  }} // after the end\n"
        ),
    }
}

const KINDS: usize = 10;

fn generated() -> impl Strategy<Value = String> {
    prop::collection::vec(0usize..KINDS, 1..8).prop_map(|kinds| {
        let mut text = String::from(
            "/// Generated\nworkflow \"G\" {\n  var limit: Integer = 10\n  type T = {a: Integer}\n",
        );
        for (i, kind) in kinds.into_iter().enumerate() {
            text.push_str(&block(i, kind));
        }
        text.push_str("  // the end\n}\n");
        text
    })
}

fn workflow() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(EXAMPLES).prop_map(str::to_owned),
        generated(),
    ]
}

/// Names the cached checks depend on, or that other blocks refer to: edits at them change
/// what an unchanged block's diagnostics must be.
const NEEDLES: &[&str] = &[
    "type T = ",
    "{a: Integer}",
    "Integer",
    "var limit",
    "limit",
    "block b0",
    "block b1",
    "b1.",
    "T",
    "U",
    "\n}",
];

/// Where an edit goes: a fraction of the length, or at (or just after) the `n`th occurrence of
/// a needle.
#[derive(Clone, Debug)]
enum Place {
    Fraction(f64),
    Needle(&'static str, usize, usize),
}

impl Place {
    fn offset(&self, text: &str) -> usize {
        match *self {
            Place::Fraction(at) => (text.len() as f64 * at) as usize,
            Place::Needle(needle, n, after) => {
                let found: Vec<usize> = text.match_indices(needle).map(|(i, _)| i).collect();
                match found.get(n % found.len().max(1)) {
                    Some(&at) => (at + after.min(needle.len())).min(text.len()),
                    None => text.len() / 2,
                }
            }
        }
    }
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        (0.0f64..=1.0).prop_map(Place::Fraction),
        (prop::sample::select(NEEDLES), 0usize..4, 0usize..12)
            .prop_map(|(needle, n, after)| Place::Needle(needle, n, after)),
    ]
}

/// An edit: where, how much to delete, what to insert.
fn edit() -> impl Strategy<Value = (Place, usize, String)> {
    let inserted = prop::sample::select(vec![
        "",
        "x",
        " ",
        "\n",
        "}",
        "{",
        "\"",
        "```",
        "// c\n",
        "/// d\n",
        ".",
        "<-",
        "@",
        "1",
        "\n  block n = python {\n    out files: List[Path]\n  }\n",
        "  block b0 = find_files {\n  }\n",
        "in files: List[Path] <- b1.files\n",
        "connection_order = [\"b0.files->b1.files\"]\n",
        "T",
        "U",
        "Integer",
        "String",
        "Strin",
        "b1",
        "lmit",
        "  type U = {b: String}\n",
        "  type T = String\n",
        "  var lmit: String = \"x\"\n",
        "  var t: Integer = 1\n",
        "  block b1 = python {\n    out t: T\n  }\n",
    ]);
    (
        place(),
        prop_oneof![Just(0usize), 0usize..4, 0usize..200],
        inserted,
    )
        .prop_map(|(at, len, s)| (at, len, s.to_owned()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn incremental_analysis_equals_fresh(text in workflow(), edits in prop::collection::vec(edit(), 1..6)) {
        let mut tree = SyntaxTree::parse(&text);
        let mut lowered = lower_incremental(&tree, None);
        let mut analysis = Analysis::from_tree(tree.clone());
        for (place, len, inserted) in edits {
            let start = place.offset(tree.text());
            tree.edit(start, start + len, &inserted);
            let fresh = lower(&tree);
            let next = lower_incremental(&tree, Some(&lowered.cache));
            prop_assert_eq!(&next.document, &fresh.0, "text: {:?}", tree.text());
            prop_assert_eq!(&next.diagnostics, &fresh.1, "text: {:?}", tree.text());
            lowered = next;

            let fresh = Analysis::from_tree(tree.clone());
            let next = Analysis::from_tree_after(tree.clone(), &analysis);
            prop_assert_eq!(next.document(), fresh.document());
            prop_assert_eq!(next.diagnostics(), fresh.diagnostics());
            analysis = next;
        }
    }
}

/// Typing into a block reuses every other block.
#[test]
fn typing_reuses_the_other_blocks() {
    let text: String = (0..21).map(|i| block(i, i)).collect();
    let text = format!("workflow \"W\" {{\n{text}}}\n");
    let mut tree = SyntaxTree::parse(&text);
    let first = lower_incremental(&tree, None);
    assert_eq!(first.cache.len(), 21);
    let at = text.find("\"fn\"").expect("a filter block") + 2;
    tree.edit(at, at, "x");
    let next = lower_incremental(&tree, Some(&first.cache));
    assert_eq!(next.document, lower(&tree).0);
    assert_eq!(next.cache.len(), 21);
}
