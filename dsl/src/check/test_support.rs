//! Builds small models by hand for the checker's unit tests, without a parser.
//!
//! Every string gets a fresh span in a synthetic source text ([`B::text`]), so a test can ask
//! what a diagnostic points at with [`B::at`].

use serde_json::json;

use crate::diagnostic::Diagnostic;
use crate::model::*;

/// A model builder with a synthetic source text.
#[derive(Default)]
pub struct B {
    /// Every string written so far, separated by spaces.
    pub text: String,
}

impl B {
    /// A fresh span holding `text` verbatim.
    pub fn span(&mut self, text: &str) -> Span {
        self.text.push(' ');
        let start = self.text.len();
        self.text.push_str(text);
        Span::new(start, self.text.len())
    }

    /// A bare string (a DSL identifier).
    pub fn s(&mut self, value: &str) -> Str {
        Str::new(value.to_string(), self.span(value))
    }

    /// A quoted string (a JSON string).
    pub fn q(&mut self, value: &str) -> Str {
        let quoted = serde_json::to_string(value).unwrap();
        Str::new(value.to_string(), self.span(&quoted))
    }

    /// A type written bare.
    pub fn ty(&mut self, text: &str) -> TypeRef {
        TypeRef {
            text: text.to_string(),
            span: self.span(text),
        }
    }

    /// A JSON value.
    pub fn json(&mut self, value: Json) -> Spanned<Json> {
        let text = value.to_string();
        Spanned::new(value, self.span(&text))
    }

    /// The text at `span`.
    pub fn at(&self, span: Span) -> &str {
        &self.text[span.start..span.end]
    }

    /// A port `name: ty`.
    pub fn port(&mut self, name: &str, ty: &str) -> Port {
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

    fn ports(&mut self, ports: &[(&str, &str)]) -> Option<Vec<Port>> {
        if ports.is_empty() {
            return None;
        }
        Some(ports.iter().map(|(n, t)| self.port(n, t)).collect())
    }

    /// A block of `kind` with ports.
    pub fn block(
        &mut self,
        id: &str,
        kind: BlockKind,
        inputs: &[(&str, &str)],
        outputs: &[(&str, &str)],
    ) -> Block {
        let id = self.s(id);
        let kind_span = self.span("kind");
        let inputs = self.ports(inputs);
        let outputs = self.ports(outputs);
        Block {
            span: id.span.cover(self.span("}")),
            id,
            kind,
            kind_span,
            name: None,
            description: None,
            position: None,
            inputs,
            outputs,
            extra: vec![],
        }
    }

    /// A visual block with properties.
    pub fn visual(
        &mut self,
        id: &str,
        block_type: &str,
        properties: &[(&str, Json)],
        inputs: &[(&str, &str)],
        outputs: &[(&str, &str)],
    ) -> Block {
        let block_type = self.s(block_type);
        let properties = properties
            .iter()
            .map(|(key, value)| {
                let key = self.s(key);
                let value = self.json(value.clone());
                Property {
                    span: key.span.cover(value.span),
                    key,
                    value,
                }
            })
            .collect();
        let kind = BlockKind::Visual {
            block_type,
            properties: Some(properties),
        };
        self.block(id, kind, inputs, outputs)
    }

    /// A code block.
    pub fn code(
        &mut self,
        id: &str,
        language: &str,
        inputs: &[(&str, &str)],
        outputs: &[(&str, &str)],
    ) -> Block {
        let kind = BlockKind::Code {
            language: self.s(language),
            source_code: None,
            dependencies: None,
            error_handling: None,
        };
        self.block(id, kind, inputs, outputs)
    }

    /// A python block.
    pub fn py(&mut self, id: &str, inputs: &[(&str, &str)], outputs: &[(&str, &str)]) -> Block {
        self.code(id, "python", inputs, outputs)
    }

    /// A connection written `a.x -> b.y`.
    pub fn conn(&mut self, arrow: &str) -> Connection {
        let (from, to) = arrow.split_once(" -> ").unwrap();
        let (sb, sp) = from.split_once('.').unwrap();
        let (tb, tp) = to.split_once('.').unwrap();
        let source_block = self.s(sb);
        let source_port = self.s(sp);
        let target_block = self.s(tb);
        let target_port = self.s(tp);
        Connection {
            span: source_block.span.cover(source_port.span),
            id: None,
            source_block,
            source_port,
            target_block,
            target_port,
            data_type: None,
            transform: None,
            extra: vec![],
        }
    }

    /// A variable `name: ty = value`.
    pub fn var(&mut self, name: &str, ty: Option<&str>, value: Option<Json>) -> Variable {
        let name = self.s(name);
        let ty = ty.map(|t| self.ty(t));
        let value = value.map(|v| self.json(v));
        Variable {
            span: name.span,
            name,
            ty,
            value,
            description: None,
            extra: vec![],
        }
    }
}

/// A document of these parts.
pub fn doc(blocks: Vec<Block>, connections: Vec<Connection>, variables: Vec<Variable>) -> Document {
    Document {
        format_version: Str::new("1.0".into(), Span::default()),
        workflow: Workflow {
            name: Some(Str::new("test".into(), Span::default())),
            blocks: Some(blocks),
            connections: Some(connections),
            variables: Some(variables),
            ..Workflow::default()
        },
        extra: vec![],
        trivia: Trivia::default(),
    }
}

/// The diagnostics of `doc` with code `code`.
pub fn with_code(doc: &Document, code: &str) -> Vec<Diagnostic> {
    super::check(doc)
        .into_iter()
        .filter(|d| d.code == code)
        .collect()
}

/// A small correct workflow: find files, filter them in Python, write a report.
pub fn clean_pipeline(b: &mut B) -> Document {
    let find = b.visual(
        "find",
        "find_files",
        &[("directory", json!("./src")), ("patterns", json!(["*.rs"]))],
        &[],
        &[("files", "List[Path]")],
    );
    let filter = b.py(
        "filter",
        &[("files", "List[Path]"), ("marker", "String")],
        &[("report", "String")],
    );
    let save = b.visual(
        "save",
        "write_file",
        &[("path", json!("out.md"))],
        &[("content", "String")],
        &[],
    );
    let c1 = b.conn("find.files -> filter.files");
    let c2 = b.conn("filter.report -> save.content");
    let var = b.var("marker", Some("String"), Some(json!("TODO")));
    doc(vec![find, filter, save], vec![c1, c2], vec![var])
}
