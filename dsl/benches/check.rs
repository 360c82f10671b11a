//! Benchmark of `check` on generated workflows (built in code, no parser): 500 and 5,000
//! blocks, mixing visual, Python, SQL, AI and template blocks in chains with fan-in.

use std::hint::black_box;

use agentblocks_dsl::check::check;
use agentblocks_dsl::model::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::json;

struct Gen {
    offset: usize,
}

impl Gen {
    fn span(&mut self, len: usize) -> Span {
        let span = Span::new(self.offset, self.offset + len);
        self.offset += len + 1;
        span
    }

    fn s(&mut self, value: &str) -> Str {
        Str::new(value.to_string(), self.span(value.len()))
    }

    fn ty(&mut self, text: &str) -> TypeRef {
        TypeRef {
            text: text.to_string(),
            span: self.span(text.len()),
        }
    }

    fn port(&mut self, name: &str, ty: &str) -> Port {
        let name = self.s(name);
        let ty = self.ty(ty);
        Port {
            span: name.span.cover(ty.span),
            name,
            ty,
            required: None,
            description: None,
            default: None,
            extra: vec![],
        }
    }

    fn block(&mut self, id: &str, kind: BlockKind, inputs: Vec<Port>, outputs: Vec<Port>) -> Block {
        let id = self.s(id);
        let kind_span = self.span(6);
        Block {
            span: id.span,
            id,
            kind,
            kind_span,
            name: None,
            description: None,
            position: None,
            inputs: Some(inputs),
            outputs: Some(outputs),
            extra: vec![],
        }
    }

    fn conn(&mut self, from: &str, from_port: &str, to: &str, to_port: &str) -> Connection {
        let source_block = self.s(from);
        let source_port = self.s(from_port);
        Connection {
            span: source_block.span.cover(source_port.span),
            id: None,
            source_block,
            source_port,
            target_block: self.s(to),
            target_port: self.s(to_port),
            data_type: None,
            transform: None,
            extra: vec![],
        }
    }
}

/// `n` blocks in groups of five: find_files -> python -> sql -> ai -> write_file, each group
/// also feeding the previous group's python block into its own.
fn workflow(n: usize) -> Document {
    let mut g = Gen { offset: 0 };
    let mut blocks = Vec::with_capacity(n);
    let mut connections = Vec::with_capacity(n * 2);
    for group in 0..n / 5 {
        let find = format!("find_{group}");
        let py = format!("py_{group}");
        let sql = format!("sql_{group}");
        let ai = format!("ai_{group}");
        let save = format!("save_{group}");
        let properties = vec![
            Property {
                span: g.span(1),
                key: g.s("directory"),
                value: Spanned::new(json!("./src"), g.span(7)),
            },
            Property {
                span: g.span(1),
                key: g.s("patterns"),
                value: Spanned::new(json!(["*.rs", "*.md"]), g.span(15)),
            },
        ];
        let kind = BlockKind::Visual {
            block_type: g.s("find_files"),
            properties: Some(properties),
        };
        let out = vec![g.port("files", "List[Path]")];
        blocks.push(g.block(&find, kind, vec![], out));

        let kind = BlockKind::Code {
            language: g.s("python"),
            source_code: None,
            dependencies: None,
            error_handling: None,
        };
        let mut inputs = vec![g.port("files", "List[Path]"), g.port("limit", "Integer")];
        let mut previous = g.port("previous", "List[Finding]");
        previous.required = Some(Spanned::new(false, g.span(5)));
        inputs.push(previous);
        let outputs = vec![g.port("findings", "List[Finding]")];
        blocks.push(g.block(&py, kind, inputs, outputs));
        connections.push(g.conn(&find, "files", &py, "files"));
        if group > 0 {
            let before = format!("py_{}", group - 1);
            connections.push(g.conn(&before, "findings", &py, "previous"));
        }

        let kind = BlockKind::Code {
            language: g.s("sql"),
            source_code: None,
            dependencies: None,
            error_handling: None,
        };
        let inputs = vec![g.port("findings", "List[Finding]")];
        let outputs = vec![g.port("rows", "List[Dict[String, Json]]")];
        blocks.push(g.block(&sql, kind, inputs, outputs));
        connections.push(g.conn(&py, "findings", &sql, "findings"));

        let kind = BlockKind::Ai {
            model_config: None,
            system_prompt: Some(g.s("Summarise.").into()),
            user_prompt_template: Some(g.s("Rows: {rows}, limit {limit}").into()),
            context_analysis: None,
            output_format: Some(g.s("Text")),
            fallback_behavior: None,
        };
        let inputs = vec![
            g.port("rows", "List[Dict[String, Json]]"),
            g.port("limit", "Integer"),
        ];
        let outputs = vec![g.port("summary", "String")];
        blocks.push(g.block(&ai, kind, inputs, outputs));
        connections.push(g.conn(&sql, "rows", &ai, "rows"));

        let properties = vec![Property {
            span: g.span(1),
            key: g.s("path"),
            value: Spanned::new(json!("out.md"), g.span(8)),
        }];
        let kind = BlockKind::Visual {
            block_type: g.s("write_file"),
            properties: Some(properties),
        };
        let inputs = vec![g.port("content", "String")];
        blocks.push(g.block(&save, kind, inputs, vec![]));
        connections.push(g.conn(&ai, "summary", &save, "content"));
    }
    let finding = TypeDecl {
        span: g.span(1),
        name: g.s("Finding"),
        ty: g.ty("{file: Path, line: Integer}"),
    };
    let limit = Variable {
        span: g.span(1),
        name: g.s("limit"),
        ty: Some(g.ty("Integer")),
        value: Some(Spanned::new(json!(10), g.span(2))),
        description: None,
        extra: vec![],
    };
    Document {
        format_version: Str::new("1.0".into(), Span::default()),
        workflow: Workflow {
            name: Some(Str::new("bench".into(), Span::default())),
            types: Some(vec![finding]),
            blocks: Some(blocks),
            connections: Some(connections),
            variables: Some(vec![limit]),
            ..Workflow::default()
        },
        extra: vec![],
        trivia: Trivia::default(),
    }
}

fn bench_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    for n in [500, 5_000] {
        let doc = workflow(n);
        // The generated workflow is correct: the benchmark measures the clean path.
        assert_eq!(
            check(&doc),
            vec![],
            "the generated workflow must check clean"
        );
        group.bench_with_input(BenchmarkId::from_parameter(n), &doc, |b, doc| {
            b.iter(|| check(black_box(doc)))
        });
    }
    // And one with a mistake on every block (unknown port names), the error path.
    let mut broken = workflow(5_000);
    for conn in broken.workflow.connections.iter_mut().flatten() {
        conn.target_port.value.push('x');
    }
    group.bench_function("5000-broken", |b| b.iter(|| check(black_box(&broken))));
    group.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
