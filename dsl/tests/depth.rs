//! Deep nesting is a diagnostic, never a stack overflow, and both readers agree on the limit
//! (`agentblocks_dsl::MAX_NESTING`, the JSON reader's).
//!
//! Run in a debug build (its stack frames are the largest): 20,000 levels (eight times what once
//! overflowed the stack) of arrays, objects and types go through reading, checking, formatting,
//! conversion and every editor feature.

use agentblocks_dsl::convert::{analyze, convert, FileKind};
use agentblocks_dsl::ide::{self, Analysis};
use agentblocks_dsl::{Span, MAX_NESTING};

const DEEP: usize = 20_000;

fn array(n: usize) -> String {
    "[".repeat(n) + &"]".repeat(n)
}

fn list_type(n: usize) -> String {
    "List[".repeat(n) + "String" + &"]".repeat(n)
}

/// The deepest nesting of arrays and objects in JSON text (strings skipped).
fn json_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    max
}

fn codes(kind: FileKind, text: &str) -> Vec<&'static str> {
    analyze(kind, text)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

/// Every place a JSON value can be written in a `.ab` file, `VALUE` standing for it.
const PLACES: &[&str] = &[
    "@top = VALUE\nworkflow \"W\" {\n}\n",
    "workflow \"W\" {\n  @k = VALUE\n}\n",
    "workflow \"W\" {\n  ui_state = VALUE\n}\n",
    "workflow \"W\" {\n  var v = VALUE\n}\n",
    "workflow \"W\" {\n  var v { @k = VALUE }\n}\n",
    "workflow \"W\" {\n  config {\n    @k = VALUE\n  }\n}\n",
    "workflow \"W\" {\n  config {\n    retry_policy {\n      @k = VALUE\n    }\n  }\n}\n",
    "workflow \"W\" {\n  error_handling {\n    @k = VALUE\n  }\n}\n",
    "workflow \"W\" {\n  canvas_state {\n    @k = VALUE\n  }\n}\n",
    "workflow \"W\" {\n  block b = read_file {\n    path = VALUE\n  }\n}\n",
    "workflow \"W\" {\n  block b = read_file {\n    @k = VALUE\n  }\n}\n",
    "workflow \"W\" {\n  block b = ai {\n    context_analysis = VALUE\n    fallback_behavior = VALUE\n  }\n}\n",
    "workflow \"W\" {\n  block b = ai {\n    model = openai(@k = VALUE)\n  }\n}\n",
    "workflow \"W\" {\n  block b = python {\n    in x: Json = VALUE\n    out y: Json { @k = VALUE }\n  }\n}\n",
    "workflow \"W\" {\n  block b = template python {\n    param p: Json = VALUE { default = VALUE, @k = VALUE }\n    placeholder q = VALUE\n    template ```\n      {{q}}\n      ```\n  }\n}\n",
    "workflow \"W\" {\n  block a = python {\n    out y: Json\n  }\n  block b = python {\n    in x: Json <- a.y { transform = VALUE, @k = VALUE }\n  }\n}\n",
];

/// At every place, the deepest value the lowering accepts converts to JSON exactly
/// `MAX_NESTING` deep, which the JSON reader accepts; one level more is `too-deep`.
#[test]
fn the_dsl_limit_is_the_json_limit_at_every_place() {
    for place in PLACES {
        let fits = (1..=MAX_NESTING)
            .rev()
            .find(|&n| {
                !codes(FileKind::Dsl, &place.replace("VALUE", &array(n))).contains(&"too-deep")
            })
            .unwrap_or_else(|| panic!("no depth fits in {place}"));
        let text = place.replace("VALUE", &array(fits));
        let json = convert(FileKind::Dsl, FileKind::Json, &text)
            .unwrap_or_else(|e| panic!("{place} converts: {e:?}"))
            .text;
        assert_eq!(json_depth(&json), MAX_NESTING, "{place}");
        assert!(
            !codes(FileKind::Json, &json).contains(&"invalid-json"),
            "{place}: the JSON reader accepts what the lowering accepted"
        );
        let deeper = place.replace("VALUE", &array(fits + 1));
        let diagnostics = analyze(FileKind::Dsl, &deeper);
        let too_deep: Vec<_> = diagnostics
            .diagnostics
            .iter()
            .filter(|d| d.code == "too-deep")
            .collect();
        assert!(!too_deep.is_empty(), "{place}");
        for d in too_deep {
            assert_eq!(
                d.message,
                format!("value nested deeper than {MAX_NESTING} levels")
            );
            assert_eq!(&deeper[d.span().start..d.span().end], "[", "{place}");
        }
    }
}

#[test]
fn types_nest_as_deep_in_both_readers() {
    let ok = format!(
        "workflow \"W\" {{\n  var v: {}\n}}\n",
        list_type(MAX_NESTING)
    );
    assert!(
        codes(FileKind::Dsl, &ok).is_empty(),
        "{:?}",
        codes(FileKind::Dsl, &ok)
    );
    let json = convert(FileKind::Dsl, FileKind::Json, &ok).unwrap().text;
    assert!(codes(FileKind::Json, &json).is_empty());

    for deep in [
        list_type(MAX_NESTING + 1),
        format!("String{}", "?".repeat(MAX_NESTING + 1)),
        "{a: ".repeat(MAX_NESTING + 1) + "String" + &"}".repeat(MAX_NESTING + 1),
        format!("List[\"{}\"]", list_type(MAX_NESTING)),
        format!("\"{}\"", list_type(MAX_NESTING + 1)),
    ] {
        let text = format!("workflow \"W\" {{\n  var v: {deep}\n}}\n");
        let dsl = analyze(FileKind::Dsl, &text);
        assert!(
            dsl.diagnostics
                .iter()
                .any(|d| d.message.contains("type nested deeper than 256 levels")),
            "{deep:.40}: {:?}",
            dsl.diagnostics
        );
    }
    assert_eq!(
        agentblocks_dsl::types::TOO_DEEP,
        format!("type nested deeper than {MAX_NESTING} levels")
    );
}

/// Every editor feature on one analysis, at a few offsets.
fn every_feature(analysis: &Analysis, offsets: &[usize]) {
    let _ = ide::diagnostics::diagnostics(analysis);
    let _ = ide::symbols::document_symbols(analysis);
    let _ = ide::folding::folding_ranges(analysis);
    let _ = ide::semantic_tokens::semantic_tokens(analysis);
    let _ = ide::inlay_hints::inlay_hints(analysis);
    let _ = ide::graph::graph(analysis);
    let _ = ide::format::format(analysis);
    for &offset in offsets {
        let _ = ide::completion::completions(analysis, offset);
        let _ = ide::hover::hover(analysis, offset);
        let _ = ide::goto_definition::goto_definition(analysis, offset);
        let _ = ide::references::find_references(analysis, offset, true);
        let _ = ide::rename::rename(analysis, offset, "renamed");
        let _ = ide::selection::selection_ranges(analysis, offset);
        let _ = ide::code_actions::code_actions(analysis, Span::new(offset, offset));
    }
}

/// 100,000 levels everywhere the input can nest: values, types in the DSL, type strings in the
/// DSL and in JSON, JSON itself; whole, and cut short (unclosed brackets are syntax errors).
#[test]
fn a_hundred_thousand_levels_are_diagnostics() {
    let object = "{\"a\": ".repeat(DEEP) + "1" + &"}".repeat(DEEP);
    let dsl = format!(
        "workflow \"D\" {{\n  @deep = {deep}\n  var t: {ty}\n  var u: String{q}\n  var r: {rec}\n  \
         block b = python {{\n    in x: \"{ty}\"\n    @k = {object}\n  }}\n}}\n",
        deep = array(DEEP),
        ty = list_type(DEEP),
        q = "?".repeat(DEEP),
        rec = "{a: ".repeat(DEEP) + "String" + &"}".repeat(DEEP),
    );
    let json = format!(
        "{{\"format_version\": \"1.0\", \"workflow\": {{\"name\": \"x\", \"types\": {{\"T\": \"{ty}\"}}, \
         \"blocks\": {{\"b\": {{\"type\": \"code\", \"language\": \"python\", \"source_code\": \"\", \
         \"inputs\": [{{\"name\": \"i\", \"type\": \"{ty}\", \"default\": {deep}}}]}}}}}}}}",
        ty = list_type(DEEP),
        deep = array(DEEP),
    );
    for (kind, text) in [(FileKind::Dsl, dsl), (FileKind::Json, json)] {
        for cut in [text.len(), text.len() / 2, text.len() / 3] {
            let text = &text[..cut];
            let analysis = Analysis::new(kind, text);
            assert!(
                analysis
                    .diagnostics()
                    .iter()
                    .any(|d| d.severity == agentblocks_dsl::Severity::Error),
                "{kind:?} cut at {cut} has errors"
            );
            let other = match kind {
                FileKind::Dsl => FileKind::Json,
                FileKind::Json => FileKind::Dsl,
            };
            assert!(convert(kind, other, text).is_err());
            let offsets = [0, 30, cut / 4, cut / 2, cut.saturating_sub(5), cut];
            every_feature(&analysis, &offsets);
        }
    }
}
