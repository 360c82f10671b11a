//! The repository's examples (`examples/*.ab`), built by hand as models, check clean. Once the
//! parser lands these become data-driven tests over the files themselves.

use serde_json::json;

use super::test_support::*;
use crate::model::*;

fn ai(
    b: &mut B,
    id: &str,
    prompt: &str,
    inputs: &[(&str, &str)],
    outputs: &[(&str, &str)],
) -> Block {
    let kind = BlockKind::Ai {
        model_config: None,
        system_prompt: Some(
            b.q("You are a C++ code generator. Answer with code only.")
                .into(),
        ),
        user_prompt_template: Some(b.q(prompt).into()),
        context_analysis: None,
        output_format: Some(b.s("Text")),
        fallback_behavior: None,
    };
    b.block(id, kind, inputs, outputs)
}

#[test]
fn cpp_callbacks_checks_clean() {
    let mut b = B::default();
    let find = b.visual(
        "find",
        "find_files",
        &[
            ("directory", json!("./cpp-project/src")),
            ("patterns", json!(["*.cpp", "*.hpp"])),
            ("recursive", json!(true)),
        ],
        &[],
        &[("files", "List[Path]")],
    );
    let filter = b.py(
        "filter",
        &[("files", "List[Path]"), ("marker", "String")],
        &[("filtered_files", "List[Path]")],
    );
    let context = b.py(
        "context",
        &[("filtered_files", "List[Path]")],
        &[("code_context", "String")],
    );
    let generate = ai(
        &mut b,
        "generate",
        "Generate a C++ callback function named {function_name} that ... {code_context}",
        &[("function_name", "String"), ("code_context", "String")],
        &[("generated_code", "String")],
    );
    let connections = vec![
        b.conn("find.files -> filter.files"),
        b.conn("filter.filtered_files -> context.filtered_files"),
        b.conn("context.code_context -> generate.code_context"),
    ];
    let variables = vec![
        b.var("function_name", Some("String"), Some(json!("onMouseDown"))),
        b.var("marker", Some("String"), Some(json!("GetMouseDown"))),
    ];
    let mut doc = doc(
        vec![find, filter, context, generate],
        connections,
        variables,
    );
    doc.workflow.execution_config = Some(ExecutionConfig {
        mode: Some(b.s("Parallel")),
        retry_policy: Some(RetryPolicy {
            backoff: Some(b.s("Exponential")),
            ..RetryPolicy::default()
        }),
        ..ExecutionConfig::default()
    });
    assert_eq!(super::check(&doc), vec![]);
}

#[test]
fn data_pipeline_checks_clean() {
    let mut b = B::default();
    let read = b.visual(
        "read",
        "read_file",
        &[("path", json!("./data/orders.csv"))],
        &[],
        &[("content", "String")],
    );
    let parse = b.py(
        "parse",
        &[("content", "String")],
        &[("orders", "List[Order]")],
    );
    let totals = b.code(
        "totals",
        "sql",
        &[("orders", "List[Order]"), ("min_amount", "Number")],
        &[("rows", "List[Dict[String, Json]]")],
    );
    let render = b.code(
        "render",
        "javascript",
        &[("rows", "List[Dict[String, Json]]")],
        &[("report", "String")],
    );
    let save = b.visual(
        "save",
        "write_file",
        &[("path", json!("./out/report.md"))],
        &[("content", "String")],
        &[("path", "Path")],
    );
    let count = b.code(
        "count",
        "shell",
        &[("report_path", "Path")],
        &[("stdout", "String")],
    );
    let connections = vec![
        b.conn("read.content -> parse.content"),
        b.conn("parse.orders -> totals.orders"),
        b.conn("totals.rows -> render.rows"),
        b.conn("render.report -> save.content"),
        b.conn("save.path -> count.report_path"),
    ];
    let variables = vec![b.var("min_amount", Some("Number"), Some(json!(10.0)))];
    let mut doc = doc(
        vec![read, parse, totals, render, save, count],
        connections,
        variables,
    );
    let name = b.s("Order");
    doc.workflow.types = Some(vec![TypeDecl {
        span: name.span,
        name,
        ty: b.ty("{id: Integer, customer: String, amount: Number}"),
    }]);
    assert_eq!(super::check(&doc), vec![]);
}

#[test]
fn templates_checks_clean() {
    let mut b = B::default();
    let mut params = Vec::new();
    for (name, ty, value) in [
        ("func_name", "String", json!("get_answer")),
        ("value", "Integer", json!(42)),
        ("validate", "Boolean", json!(true)),
        ("body", "String", json!("result = value * 2")),
    ] {
        let name = b.s(name);
        params.push(Parameter {
            span: name.span,
            name,
            ty: Some(b.ty(ty)),
            value: Some(b.json(value)),
            default: None,
            description: None,
            extra: vec![],
        });
    }
    let mut placeholder = |name: &str, kind: PlaceholderKind| {
        let name = b.s(name);
        Placeholder {
            span: name.span,
            name,
            kind,
        }
    };
    let kinds = [
        (
            "func_name",
            PlaceholderKind::Simple(Str::new("func_name".into(), Span::new(0, 9))),
        ),
        (
            "value",
            PlaceholderKind::Expression(Str::new("value".into(), Span::new(0, 5))),
        ),
        (
            "body",
            PlaceholderKind::CodeBlock(Str::new("python".into(), Span::new(0, 6))),
        ),
        (
            "check",
            PlaceholderKind::Conditional {
                condition: Str::new("validate".into(), Span::new(0, 8)),
                if_true: Str::new("assert isinstance(value, int)".into(), Span::default()),
                if_false: Str::new("pass".into(), Span::default()),
            },
        ),
    ];
    let placeholders: Vec<Placeholder> =
        kinds.into_iter().map(|(n, k)| placeholder(n, k)).collect();
    let source = b.s(
        "def {{func_name}}():\n    value = {{value}}\n    {{check}}\n    {{body}}\n    return result\n\nresult = {{func_name}}()",
    );
    let kind = BlockKind::Hybrid {
        base_language: b.s("python"),
        template: Some(Template {
            span: source.span,
            source: source.into(),
            placeholders,
        }),
        parameters: Some(params),
        preview_code: None,
    };
    let block = b.block("make", kind, &[], &[("result", "Integer")]);
    let doc = doc(vec![block], vec![], vec![]);
    assert_eq!(super::check(&doc), vec![]);
}

#[test]
fn everything_tour_blocks_check_as_documented() {
    // From `everything.ab`: an AI block with an input fed by the variable `label` that its
    // prompt never uses (a warning the example earns), and a plugin block whose undeclared
    // properties are not checked and whose optional-typed input needs no feeding.
    let mut b = B::default();
    let summarise = ai(
        &mut b,
        "summarise",
        "Findings: {findings}",
        &[("findings", "Json"), ("label", "String")],
        &[("summary", "Json")],
    );
    let kind = BlockKind::Plugin {
        plugin: b.s("csv_tools"),
        block_type: b.s("split_rows"),
        properties: None,
    };
    let split = b.block(
        "split",
        kind,
        &[("text", "String?")],
        &[("rows", "List[String]")],
    );
    let src = b.py("grep", &[], &[("findings", "Json")]);
    let connections = vec![b.conn("grep.findings -> summarise.findings")];
    let variables = vec![b.var("label", Some("String"), Some(json!("tour")))];
    let doc = doc(vec![src, summarise, split], connections, variables);
    let codes: Vec<_> = super::check(&doc).iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["unused-prompt-input"]);
}

#[test]
fn odd_models_do_not_panic() {
    // Empty names, duplicate ids, unparsable types, connections to nowhere, empty spans.
    let mut b = B::default();
    let mut blocks = vec![
        b.py("", &[("", "")], &[("", "List[")]),
        b.py("", &[("x", "{a: , }")], &[("x", "Dict[String]")]),
        b.visual("v", "", &[("", json!(null))], &[("", "")], &[]),
        b.visual("w", "merge", &[], &[("a", "Any?")], &[("merged", "]")]),
    ];
    blocks.push(Block {
        span: Span::default(),
        id: Str::default(),
        kind: BlockKind::Hybrid {
            base_language: Str::default(),
            template: Some(Template {
                span: Span::default(),
                source: Str::new("{{".into(), Span::new(5, 2)).into(),
                placeholders: vec![],
            }),
            parameters: Some(vec![]),
            preview_code: None,
        },
        kind_span: Span::default(),
        name: None,
        description: None,
        position: None,
        inputs: Some(vec![]),
        outputs: None,
        extra: vec![],
    });
    let connections = vec![
        b.conn(". -> ."),
        b.conn("x.y -> x.y"),
        b.conn("w.merged -> w.a"),
        b.conn("v.a -> v.b"),
    ];
    let doc = doc(blocks, connections, vec![b.var("", Some("?"), None)]);
    let diagnostics = super::check(&doc);
    assert!(diagnostics.iter().any(|d| d.code == "invalid-type"));
    assert!(diagnostics.iter().any(|d| d.code == "duplicate-block"));
    assert!(diagnostics.iter().all(|d| !d.message.ends_with('.')));
    assert!(super::check(&Document::default()).is_empty());
}
