//! `.agentblocks` JSON round trips: parse -> read -> write keeps canonical files byte for byte,
//! keeps every other valid file's JSON value, and reports files that are not well-formed.

use agentblocks_dsl::json::{self, read_document, write_document};
use agentblocks_dsl::model::{
    BlockKind, Document, ErrorAction, PlaceholderKind, Provider, Span, Workflow,
};
use agentblocks_dsl::Diagnostic;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/json/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_ok(text: &str) -> Document {
    let (doc, diags) = read_document(text);
    assert!(
        diags.iter().all(|d| !d.is_error()),
        "unexpected errors: {diags:#?}"
    );
    doc.expect("a document")
}

fn value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("valid json")
}

fn errors(text: &str) -> Vec<Diagnostic> {
    let (_, diags) = read_document(text);
    diags.into_iter().filter(Diagnostic::is_error).collect()
}

/// The single error of `text`, checked for code and message, with the text its primary label
/// covers.
fn one_error<'a>(text: &'a str, code: &str, message: &str) -> (&'a str, Diagnostic) {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{text}: {errs:#?}");
    let d = errs.into_iter().next().expect("one error");
    assert_eq!(d.code, code, "{text}");
    assert_eq!(d.message, message, "{text}");
    let span = d.span();
    (&text[span.start..span.end], d)
}

fn workflow(text: &str) -> Workflow {
    read_ok(text).workflow
}

#[test]
fn canonical_files_round_trip_byte_for_byte() {
    for name in [
        "canonical_full.agentblocks",
        "canonical_minimal.agentblocks",
    ] {
        let text = fixture(name);
        let doc = read_ok(&text);
        let written = write_document(&doc);
        if written != text {
            for (i, (a, b)) in written.lines().zip(text.lines()).enumerate() {
                assert_eq!(a, b, "{name}: first difference at line {}", i + 1);
            }
            assert_eq!(written, text, "{name}");
        }
    }
}

#[test]
fn canonical_fixture_is_what_serde_json_prints() {
    let text = fixture("canonical_full.agentblocks");
    let pretty = serde_json::to_string_pretty(&value(&text)).expect("print") + "\n";
    assert_eq!(pretty, text);
}

#[test]
fn non_canonical_file_keeps_its_json_value() {
    let text = fixture("noncanonical.agentblocks");
    let doc = read_ok(&text);
    let written = write_document(&doc);
    assert_eq!(value(&written), value(&text));
    // The written file is canonical: it round-trips byte for byte.
    assert_eq!(write_document(&read_ok(&written)), written);
}

#[test]
fn non_canonical_file_is_read_typed_or_raw() {
    let text = fixture("noncanonical.agentblocks");
    let doc = read_ok(&text);
    assert_eq!(doc.format_version.value, "1.7");
    assert_eq!(doc.extra.len(), 1);
    assert_eq!(doc.extra[0].key.value, "zzz");
    let w = &doc.workflow;
    let blocks = w.blocks.as_ref().expect("blocks");
    let ids: Vec<&str> = blocks.iter().map(|b| b.id.value.as_str()).collect();
    assert_eq!(ids, ["b", "c", "h", "h2", "a", "a2", "a3", "p"]);

    let b = &blocks[0];
    assert!(b.position.is_none() && b.description.is_none());
    let raw: Vec<&str> = b.extra.iter().map(|e| e.key.value.as_str()).collect();
    assert_eq!(raw, ["position", "description", "properties", "x_unknown"]);
    let out = &b.outputs.as_ref().expect("outputs")[0];
    assert!(out.required.is_none());
    assert_eq!(out.extra.len(), 2);

    let c = &blocks[1];
    match &c.kind {
        BlockKind::Code {
            source_code,
            dependencies,
            error_handling,
            ..
        } => {
            assert!(source_code
                .as_ref()
                .is_some_and(|s| s.value.contains("\r\n\t")));
            assert!(dependencies.is_none() && error_handling.is_none());
        }
        other => panic!("{other:?}"),
    }
    let raw: Vec<&str> = c.extra.iter().map(|e| e.key.value.as_str()).collect();
    assert_eq!(raw, ["block_type", "dependencies", "error_handling"]);
    assert_eq!(
        c.inputs.as_ref().expect("inputs")[0].ty.text,
        "List[ Path ]"
    );

    match &blocks[2].kind {
        BlockKind::Hybrid {
            template,
            parameters,
            ..
        } => {
            let template = template.as_ref().expect("template");
            assert!(template
                .placeholders
                .iter()
                .all(|p| matches!(p.kind, PlaceholderKind::Raw(_))));
            let parameters = parameters.as_ref().expect("parameters");
            assert!(parameters[1].ty.is_none());
            assert_eq!(parameters[1].extra[0].key.value, "type");
        }
        other => panic!("{other:?}"),
    }
    // template with an extra key and parameters without names are raw as a whole
    match &blocks[3].kind {
        BlockKind::Hybrid {
            template,
            parameters,
            ..
        } => assert!(template.is_none() && parameters.is_none()),
        other => panic!("{other:?}"),
    }
    assert_eq!(blocks[3].extra.len(), 2);

    match &blocks[4].kind {
        BlockKind::Ai {
            model_config,
            output_format,
            context_analysis,
            fallback_behavior,
            system_prompt,
            ..
        } => {
            assert!(model_config.is_none() && output_format.is_none());
            assert_eq!(
                context_analysis.as_ref().map(|v| &v.value),
                Some(&serde_json::Value::Null)
            );
            assert!(fallback_behavior.is_some());
            assert_eq!(system_prompt.as_ref().map(|s| s.value.as_str()), Some(""));
        }
        other => panic!("{other:?}"),
    }
    // a Local provider with an extra key does not fit: model_config raw
    assert!(matches!(
        &blocks[5].kind,
        BlockKind::Ai {
            model_config: None,
            ..
        }
    ));
    match &blocks[6].kind {
        BlockKind::Ai {
            model_config: Some(config),
            ..
        } => {
            assert!(matches!(config.provider, Provider::OpenAi(_)));
            assert!(config.timeout.is_none());
            assert_eq!(config.extra[0].key.value, "timeout");
            assert!(config
                .temperature
                .as_ref()
                .is_some_and(|t| t.value.is_u64()));
        }
        other => panic!("{other:?}"),
    }
    let p = &blocks[7];
    assert!(
        matches!(&p.kind, BlockKind::Plugin { properties: Some(props), .. } if props.is_empty())
    );
    assert_eq!(p.extra[0].key.value, "language");
    assert_eq!(p.inputs.as_deref().map(<[_]>::len), Some(0));
    assert!(p.outputs.is_none());

    assert_eq!(w.name.as_ref().map(|n| n.value.as_str()), Some(""));
    assert!(w.types.is_none() && w.variables.is_none());
    let conn = &w.connections.as_ref().expect("connections")[0];
    assert!(conn.id.is_none() && conn.data_type.is_none());
    let config = w.execution_config.as_ref().expect("config");
    assert_eq!(
        config.mode.as_ref().map(|m| m.value.as_str()),
        Some("Turbo")
    );
    assert!(config.timeout.is_none() && config.retry_policy.is_none());
    let handling = w.error_handling.as_ref().expect("error_handling");
    assert!(handling.on_block_error.is_none());
    let canvas = w.canvas_state.as_ref().expect("canvas");
    assert!(canvas.pan.is_some());
    assert_eq!(
        w.ui_state.as_ref().map(|v| &v.value),
        Some(&serde_json::Value::Null)
    );
    assert!(w.description.is_none());
    assert_eq!(
        w.author.as_ref().map(|a| a.value.as_str()),
        Some("é✨ 😀 \"q\" \\ \t / \u{8}\u{c}")
    );
}

#[test]
fn canonical_fixture_is_read_typed() {
    let doc = read_ok(&fixture("canonical_full.agentblocks"));
    let w = &doc.workflow;
    let blocks = w.blocks.as_ref().expect("blocks");
    let kinds: Vec<&str> = blocks.iter().map(|b| b.kind.type_name()).collect();
    assert_eq!(
        kinds,
        ["visual", "code", "code", "code", "hybrid", "ai", "ai", "ai", "plugin"]
    );
    let actions: Vec<&ErrorAction> = blocks
        .iter()
        .filter_map(|b| match &b.kind {
            BlockKind::Code { error_handling, .. } => error_handling.as_ref(),
            _ => None,
        })
        .collect();
    assert!(matches!(
        actions[..],
        [
            ErrorAction::Retry(_),
            ErrorAction::Continue(_),
            ErrorAction::Stop(_)
        ]
    ));
    match &blocks[4].kind {
        BlockKind::Hybrid {
            template: Some(t), ..
        } => {
            assert!(matches!(t.placeholders[0].kind, PlaceholderKind::Simple(_)));
            assert!(matches!(
                t.placeholders[1].kind,
                PlaceholderKind::Expression(_)
            ));
            assert!(matches!(
                t.placeholders[2].kind,
                PlaceholderKind::CodeBlock(_)
            ));
            assert!(matches!(
                t.placeholders[3].kind,
                PlaceholderKind::Conditional { .. }
            ));
        }
        other => panic!("{other:?}"),
    }
    match &blocks[6].kind {
        BlockKind::Ai {
            model_config: Some(c),
            ..
        } => {
            assert!(
                matches!(&c.provider, Provider::Local { endpoint, .. } if endpoint.value == "http://localhost:11434/v1")
            );
            assert_eq!(c.extra[0].key.value, "x_quantization");
            assert!(c.temperature.as_ref().is_some_and(|t| t.value.is_f64()));
        }
        other => panic!("{other:?}"),
    }
    // every block holds its known keys typed: only `x_` keys are extras
    for block in blocks {
        assert!(
            block.extra.iter().all(|e| e.key.value.starts_with("x_")),
            "{}",
            block.id.value
        );
    }
    assert_eq!(w.extra.len(), 1);
    assert_eq!(doc.extra.len(), 1);
}

#[test]
fn spans_point_into_the_json_text() {
    let text = fixture("canonical_full.agentblocks");
    let doc = read_ok(&text);
    let at = |span: Span| &text[span.start..span.end];
    let w = &doc.workflow;
    assert_eq!(at(w.header_span), "\"workflow\"");
    assert!(at(w.span).starts_with('{') && at(w.span).ends_with('}'));
    let block = &w.blocks.as_ref().expect("blocks")[0];
    assert_eq!(at(block.id.span), "\"find\"");
    assert!(at(block.span).starts_with("\"find\": {"));
    assert_eq!(at(block.kind_span), "\"visual\"");
    let port = &block.outputs.as_ref().expect("outputs")[0];
    assert!(at(port.span).starts_with('{'));
    assert_eq!(at(port.ty.span), "\"List[Path]\"");
    let extra = &block.extra[0];
    assert!(at(extra.span).starts_with("\"x_editor_note\": {"));
    assert_eq!(at(extra.key.span), "\"x_editor_note\"");
}

#[test]
fn absent_and_empty_stay_apart() {
    let text = r#"{"format_version":"1.0","workflow":{"name":"w","blocks":{},"connections":[],"variables":{},"types":{},"tags":[]}}"#;
    let w = workflow(text);
    assert_eq!(w.blocks.as_deref().map(<[_]>::len), Some(0));
    assert!(w.execution_config.is_none());
    let written = write_document(&read_ok(text));
    assert_eq!(value(&written), value(text));
    let bare = r#"{"format_version":"1.0","workflow":{}}"#;
    let written = write_document(&read_ok(bare));
    assert_eq!(
        written,
        "{\n  \"format_version\": \"1.0\",\n  \"workflow\": {}\n}\n"
    );
}

#[test]
fn numbers_keep_integer_and_float() {
    let text = r#"{"format_version":"1.0","workflow":{"canvas_state":{"zoom":1.0,"pan":{"x":1,"y":-0.0}},"ui_state":{"a":1,"b":1.0,"c":1e2,"d":12345678901234567890123}}}"#;
    let written = write_document(&read_ok(text));
    assert!(written.contains("\"zoom\": 1.0"));
    assert!(written.contains("\"x\": 1,"));
    assert!(written.contains("\"a\": 1,"));
    assert!(written.contains("\"b\": 1.0,"));
    assert_eq!(value(&written), value(text));
}

#[test]
fn raw_known_keys_are_written_at_their_canonical_slot() {
    let text = r#"{"workflow":{"x_first":1,"blocks":{"b":{"x_a":true,"outputs":[],"description":null,"type":"visual","block_type":"t","name":"B","position":{"x":1,"y":2,"z":3}}},"name":"w"},"format_version":"1.0"}"#;
    let written = write_document(&read_ok(text));
    let expected = r#"{
  "format_version": "1.0",
  "workflow": {
    "name": "w",
    "blocks": {
      "b": {
        "type": "visual",
        "block_type": "t",
        "name": "B",
        "description": null,
        "position": {
          "x": 1,
          "y": 2,
          "z": 3
        },
        "outputs": [],
        "x_a": true
      }
    },
    "x_first": 1
  }
}
"#;
    assert_eq!(written, expected);
}

#[test]
fn not_well_formed_files_are_errors() {
    let (at, _) = one_error(
        "[1]",
        "top-level-not-object",
        "the top level of an `.agentblocks` file must be an object, found an array",
    );
    assert_eq!(at, "[1]");
    let (at, _) = one_error(
        r#"{"workflow":{}}"#,
        "missing-key",
        "the file has no `format_version`",
    );
    assert_eq!(at, "{");
    let (at, _) = one_error(
        r#"{"format_version":1,"workflow":{}}"#,
        "wrong-json-type",
        "`format_version` must be a string, found a number",
    );
    assert_eq!(at, "1");
    let (at, _) = one_error(
        r#"{"format_version":"2.0","workflow":{}}"#,
        "unsupported-format-version",
        "unsupported `format_version` \"2.0\"; this version reads 1.x",
    );
    assert_eq!(at, "\"2.0\"");
    one_error(
        r#"{"format_version":"10.0","workflow":{}}"#,
        "unsupported-format-version",
        "unsupported `format_version` \"10.0\"; this version reads 1.x",
    );
    one_error(
        r#"{"format_version":"1.0"}"#,
        "missing-key",
        "the file has no `workflow`",
    );
    let (at, _) = one_error(
        r#"{"format_version":"1.0","workflow":[]}"#,
        "wrong-json-type",
        "`workflow` must be an object, found an array",
    );
    assert_eq!(at, "[]");
    let (at, _) = one_error(
        r#"{"format_version":"1","workflow":{"blocks":[]}}"#,
        "wrong-json-type",
        "`blocks` must be an object of blocks, found an array",
    );
    assert_eq!(at, "[]");

    let wf = |inner: &str| format!(r#"{{"format_version":"1.0","workflow":{{{inner}}}}}"#);
    let text = wf(r#""blocks":{"find":{"name":"x"}}"#);
    let (at, d) = one_error(&text, "missing-key", "block `find` has no `type`");
    assert_eq!(at, "\"find\"");
    assert!(d.help.is_some());
    let text = wf(r#""blocks":{"find":3}"#);
    let (at, _) = one_error(
        &text,
        "wrong-json-type",
        "block `find` must be an object, found a number",
    );
    assert_eq!(at, "3");
    let text = wf(r#""blocks":{"find":{"type":"magic"}}"#);
    let (at, _) = one_error(
        &text,
        "unknown-block-type",
        "block `find` has the unknown `type` \"magic\"",
    );
    assert_eq!(at, "\"magic\"");
    let text = wf(r#""blocks":{"find":{"type":true}}"#);
    one_error(
        &text,
        "wrong-json-type",
        "`type` of block `find` must be a string, found a boolean",
    );
    for (kind, key) in [
        ("visual", "block_type"),
        ("code", "language"),
        ("hybrid", "base_language"),
    ] {
        let text = wf(&format!(r#""blocks":{{"b":{{"type":"{kind}"}}}}"#));
        let (at, _) = one_error(
            &text,
            "missing-key",
            &format!("{kind} block `b` has no `{key}`"),
        );
        assert_eq!(at, "\"b\"");
    }
    let text = wf(r#""blocks":{"b":{"type":"plugin"}}"#);
    one_error(
        &text,
        "missing-key",
        "plugin block `b` has no `plugin` or `block_type`",
    );
    let text = wf(r#""connections":[{"id":"x","source_block":"a"}]"#);
    one_error(
        &text,
        "missing-key",
        "connection `x` has no `source_port`, `target_block` or `target_port`",
    );
    let text = wf(r#""blocks":{"b":{"type":"code","language":5}}"#);
    one_error(
        &text,
        "wrong-json-type",
        "`language` of code block `b` must be a string, found a number",
    );
    let text = wf(r#""blocks":{"b":{"type":"ai","inputs":{}}}"#);
    one_error(
        &text,
        "wrong-json-type",
        "`inputs` of block `b` must be an array, found an object",
    );
    let text = wf(r#""blocks":{"b":{"type":"ai","outputs":[{"name":"o"}]}}"#);
    let (at, _) = one_error(
        &text,
        "missing-key",
        "output `o` of block `b` has no `type`",
    );
    assert_eq!(at, r#"{"name":"o"}"#);
    let text = wf(r#""blocks":{"b":{"type":"ai","inputs":[{"type":"String"}]}}"#);
    one_error(&text, "missing-key", "input 0 of block `b` has no `name`");
    let text = wf(r#""blocks":{"b":{"type":"ai","inputs":[{"name":"i","type":["String"]}]}}"#);
    one_error(
        &text,
        "wrong-json-type",
        "`type` of input `i` of block `b` must be a string, found an array",
    );
    let text = wf(r#""blocks":{"b":{"type":"ai","inputs":["x"]}}"#);
    one_error(
        &text,
        "wrong-json-type",
        "input 0 of block `b` must be an object, found a string",
    );
    let text = wf(r#""connections":{}"#);
    one_error(
        &text,
        "wrong-json-type",
        "`connections` must be an array, found an object",
    );
    let text = wf(r#""connections":[null]"#);
    one_error(
        &text,
        "wrong-json-type",
        "connection 0 must be an object, found null",
    );
    let text =
        wf(r#""connections":[{"id":"c","source_block":"a","source_port":"b","target_block":"c"}]"#);
    one_error(&text, "missing-key", "connection `c` has no `target_port`");
    let text = wf(
        r#""connections":[{"source_block":"a","source_port":1,"target_block":"c","target_port":"d"}]"#,
    );
    one_error(
        &text,
        "wrong-json-type",
        "`source_port` of connection 0 must be a string, found a number",
    );

    let text = wf(r#""name":"a","x":{"k":1,"k":2},"name":"b""#);
    let errs = errors(&text);
    assert_eq!(errs.len(), 2);
    assert!(errs.iter().all(|d| d.code == "duplicate-key"));
    let names: Vec<&str> = errs.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(names, ["duplicate key `name`", "duplicate key `k`"]);
    let first = errs[0].labels[1].span;
    assert_eq!(&text[first.start..first.end], "\"name\"");
    assert_eq!(errs[0].labels[1].message, "first written here");
}

#[test]
fn bad_blocks_are_skipped_but_others_read() {
    let text = r#"{"format_version":"1.0","workflow":{"blocks":{"a":{"type":"ai"},"bad":{},"c":{"type":"ai","inputs":[{"name":"i"},{"name":"j","type":"String"}]}}}}"#;
    let (doc, diags) = read_document(text);
    assert_eq!(diags.len(), 2);
    let blocks = doc.and_then(|d| d.workflow.blocks).expect("blocks");
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[1].inputs.as_ref().map(Vec::len), Some(1));
}

#[test]
fn invalid_json_is_one_diagnostic() {
    let (doc, diags) = read_document("{\"format_version\": \"1.0\",\n  \"workflow\": {\n");
    assert!(doc.is_none());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, "invalid-json");
    assert_eq!(diags[0].labels[1].message, "object opened here");
}

#[test]
fn large_files_parse_and_round_trip() {
    use std::fmt::Write;
    let mut text = String::from("{\n  \"format_version\": \"1.0\",\n  \"workflow\": {\n    \"name\": \"big\",\n    \"blocks\": {\n");
    let n = 5000;
    for i in 0..n {
        let _ = write!(
            text,
            "      \"b{i}\": {{\n        \"type\": \"code\",\n        \"language\": \"python\",\n        \"name\": \"Block {i}\",\n        \"position\": {{\n          \"x\": {i},\n          \"y\": {}.5\n        }},\n        \"source_code\": \"print({i})\\n\",\n        \"inputs\": [\n          {{\n            \"name\": \"in\",\n            \"type\": \"String\"\n          }}\n        ],\n        \"outputs\": [\n          {{\n            \"name\": \"out\",\n            \"type\": \"String\"\n          }}\n        ]\n      }}{}\n",
            i * 2,
            if i + 1 == n { "" } else { "," }
        );
    }
    text.push_str("    }\n  }\n}\n");
    let doc = read_ok(&text);
    assert_eq!(doc.workflow.blocks.as_ref().map(Vec::len), Some(n));
    assert_eq!(write_document(&doc), text);
    assert!(json::parse(&text).is_ok());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Cutting a piece out of a valid file or splicing text in never panics; whatever still
    /// reads without errors round-trips to the same value, and the written file is a fixed
    /// point.
    #[test]
    fn mutated_files_never_panic_and_round_trip(
        start in 0usize..12_000,
        len in 0usize..40,
        insert in "[\\[\\]{}\",:0-9a-z_ .\\-]{0,12}",
    ) {
        let original = fixture("canonical_full.agentblocks");
        let mut start = start.min(original.len());
        while !original.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + len).min(original.len());
        while !original.is_char_boundary(end) {
            end += 1;
        }
        let text = format!("{}{}{}", &original[..start], insert, &original[end..]);
        let (doc, diags) = read_document(&text);
        if let (Some(doc), false) = (doc, diags.iter().any(Diagnostic::is_error)) {
            let written = write_document(&doc);
            proptest::prop_assert_eq!(value(&written), value(&text));
            let again = write_document(&read_ok(&written));
            proptest::prop_assert_eq!(again, written);
        }
    }

    /// Arbitrary text never panics the reader.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = read_document(&text);
    }
}
