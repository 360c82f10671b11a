//! Tests of the canonical DSL printer: models built by hand, exact text expected.

use agentblocks_dsl::model::*;
use agentblocks_dsl::print::print_document;
use serde_json::json;

fn s(text: &str) -> Str {
    Spanned::new(text.to_string(), Span::default())
}

fn n(value: serde_json::Value) -> Num {
    match value {
        serde_json::Value::Number(number) => Spanned::new(number, Span::default()),
        other => panic!("not a number: {other}"),
    }
}

fn j(value: serde_json::Value) -> Spanned<Json> {
    Spanned::new(value, Span::default())
}

fn ty(text: &str) -> TypeRef {
    TypeRef {
        text: text.to_string(),
        span: Span::default(),
    }
}

fn extra(key: &str, value: serde_json::Value) -> Extra {
    Extra {
        key: s(key),
        value: j(value),
        span: Span::default(),
    }
}

fn port(name: &str, t: &str) -> Port {
    Port {
        span: Span::default(),
        name: s(name),
        ty: ty(t),
        required: None,
        description: None,
        default: None,
        extra: vec![],
    }
}

fn pos(x: serde_json::Value, y: serde_json::Value) -> Position {
    Position {
        span: Span::default(),
        x: n(x),
        y: n(y),
    }
}

fn block(id: &str, kind: BlockKind) -> Block {
    Block {
        span: Span::default(),
        id: s(id),
        kind,
        kind_span: Span::default(),
        name: None,
        description: None,
        position: None,
        inputs: None,
        outputs: None,
        extra: vec![],
    }
}

fn visual(block_type: &str, props: Option<Vec<(&str, serde_json::Value)>>) -> BlockKind {
    BlockKind::Visual {
        block_type: s(block_type),
        properties: props.map(|props| {
            props
                .into_iter()
                .map(|(k, v)| Property {
                    span: Span::default(),
                    key: s(k),
                    value: j(v),
                })
                .collect()
        }),
    }
}

fn code(language: &str, source: Option<&str>) -> BlockKind {
    BlockKind::Code {
        language: s(language),
        source_code: source.map(s),
        dependencies: None,
        error_handling: None,
    }
}

fn conn(
    id: Option<&str>,
    from: (&str, &str),
    to: (&str, &str),
    data_type: Option<&str>,
) -> Connection {
    Connection {
        span: Span::default(),
        id: id.map(s),
        source_block: s(from.0),
        source_port: s(from.1),
        target_block: s(to.0),
        target_port: s(to.1),
        data_type: data_type.map(ty),
        transform: None,
        extra: vec![],
    }
}

fn derived(from: (&str, &str), to: (&str, &str), data_type: &str) -> Connection {
    let id = format!("{}.{}->{}.{}", from.0, from.1, to.0, to.1);
    conn(Some(&id), from, to, Some(data_type))
}

fn doc(workflow: Workflow) -> Document {
    Document {
        format_version: s("1.0"),
        workflow,
        extra: vec![],
        trivia: Trivia::default(),
    }
}

fn named(name: &str) -> Workflow {
    Workflow {
        name: Some(s(name)),
        ..Workflow::default()
    }
}

fn wf_blocks(blocks: Vec<Block>, connections: Option<Vec<Connection>>) -> Document {
    doc(Workflow {
        blocks: Some(blocks),
        connections,
        ..named("W")
    })
}

#[track_caller]
fn check(document: &Document, expected: &str) {
    let actual = print_document(document);
    assert_eq!(
        actual, expected,
        "\n--- actual ---\n{actual}\n--- expected ---\n{expected}"
    );
}

#[test]
fn empty_workflow() {
    check(&doc(Workflow::default()), "workflow {\n}\n");
    check(&doc(named("Empty")), "workflow \"Empty\" {\n}\n");
}

#[test]
fn language_reference_example() {
    let mut find = block(
        "find",
        visual(
            "find_files",
            Some(vec![
                ("directory", json!("./src/")),
                ("patterns", json!(["*.cpp", "*.hpp"])),
            ]),
        ),
    );
    find.name = Some(s("Find C++ Files"));
    find.position = Some(pos(json!(100), json!(100)));
    find.outputs = Some(vec![port("files", "List[Path]")]);
    let mut filter = block(
        "filter",
        code(
            "python",
            Some("[f for f in files if \"GetMouseDown\" in f.read_text()]"),
        ),
    );
    filter.name = Some(s("Filter by Content"));
    filter.position = Some(pos(json!(100), json!(300)));
    filter.inputs = Some(vec![port("files", "List[Path]")]);
    filter.outputs = Some(vec![port("filtered_files", "List[Path]")]);
    let document = doc(Workflow {
        description: Some(s("Add callback functions to C++ files")),
        version: Some(s("1.0.0")),
        tags: Some(Spanned::new(
            vec![s("cpp"), s("refactoring")],
            Span::default(),
        )),
        variables: Some(vec![Variable {
            span: Span::default(),
            name: s("function_name"),
            ty: Some(ty("String")),
            value: Some(j(json!("onMouseDown"))),
            description: Some(s("Name of the callback function to generate")),
            extra: vec![],
        }]),
        execution_config: Some(ExecutionConfig {
            mode: Some(s("Parallel")),
            max_concurrent_blocks: Some(n(json!(4))),
            timeout: Some(n(json!(300))),
            ..ExecutionConfig::default()
        }),
        blocks: Some(vec![find, filter]),
        connections: Some(vec![derived(
            ("find", "files"),
            ("filter", "files"),
            "List[Path]",
        )]),
        ..named("C++ Function Injection")
    });
    check(
        &document,
        r#"/// Add callback functions to C++ files
workflow "C++ Function Injection" {
  version = "1.0.0"
  tags = ["cpp", "refactoring"]

  /// Name of the callback function to generate
  var function_name: String = "onMouseDown"

  config {
    mode = parallel
    max_concurrent_blocks = 4
    timeout = 300s
  }

  block find = find_files "Find C++ Files" at (100, 100) {
    directory = "./src/"
    patterns = ["*.cpp", "*.hpp"]
    out files: List[Path]
  }

  block filter = python "Filter by Content" at (100, 300) {
    in files: List[Path] <- find.files
    out filtered_files: List[Path]
    code ```
      [f for f in files if "GetMouseDown" in f.read_text()]
      ```
  }
}
"#,
    );
}

#[test]
fn top_level_format_version_and_extras() {
    let mut document = doc(Workflow::default());
    document.format_version = s("1.1");
    document.extra = vec![
        extra("generator", json!({"name": "desktop", "build": 412})),
        extra("my key", json!(null)),
    ];
    check(
        &document,
        r#"format_version = "1.1"
@generator = {"name": "desktop", "build": 412}
@"my key" = null

workflow {
}
"#,
    );
    let mut document = doc(Workflow::default());
    document.extra = vec![extra("x", json!(1))];
    check(&document, "@x = 1\n\nworkflow {\n}\n");
}

#[test]
fn workflow_attributes_and_at_keys() {
    let document = doc(Workflow {
        id: Some(s("7c9e")),
        description: Some(s("line one\r\nline two")),
        version: Some(s("1.0.0")),
        created_at: Some(s("2026-01-05T10:00:00Z")),
        modified_at: Some(s("2026-01-06T09:30:00Z")),
        author: Some(s("Ada")),
        tags: Some(Spanned::new(vec![], Span::default())),
        types: Some(vec![]),
        blocks: Some(vec![]),
        connections: Some(vec![]),
        variables: Some(vec![]),
        extra: vec![
            extra("extension", json!({"anything": [1, 2.0, null]})),
            extra("ui_state", json!("not an object")),
            extra("name", json!(5)),
        ],
        ..Workflow::default()
    });
    check(
        &document,
        r#"workflow {
  id = "7c9e"
  version = "1.0.0"
  created_at = "2026-01-05T10:00:00Z"
  modified_at = "2026-01-06T09:30:00Z"
  author = "Ada"
  tags = []
  @name = 5
  @description = "line one\r\nline two"
  @types = {}
  @blocks = {}
  @connections = []
  @variables = {}
  @ui_state = "not an object"
  @extension = {"anything": [1, 2.0, null]}
}
"#,
    );
}

#[test]
fn types_and_variables() {
    let var = |name: &str, t: Option<&str>, value: Option<serde_json::Value>| Variable {
        span: Span::default(),
        name: s(name),
        ty: t.map(ty),
        value: value.map(j),
        description: None,
        extra: vec![],
    };
    let mut with_extra = var("limit", Some("Integer"), Some(json!(10)));
    with_extra.extra = vec![extra("ui", json!({"slider": true}))];
    let mut doc_var = var("multi", None, Some(json!("a\nb")));
    doc_var.description = Some(s("first\n\n  indented\tand tab"));
    let mut bad_doc = var("in", Some("Optional[String]"), None);
    bad_doc.description = Some(s("bell\u{7}"));
    let mut fenced_but_extra = var("m2", None, Some(json!("a\nb")));
    fenced_but_extra.extra = vec![extra("k", json!("x\ny"))];
    let document = doc(Workflow {
        types: Some(vec![
            TypeDecl {
                span: Span::default(),
                name: s("Finding"),
                ty: ty("{file: Path, line: Integer}"),
            },
            TypeDecl {
                span: Span::default(),
                name: s("Odd"),
                ty: ty("List[ Path ]"),
            },
            TypeDecl {
                span: Span::default(),
                name: s("type"),
                ty: ty("Optional[List[type]]"),
            },
        ]),
        variables: Some(vec![
            var("function_name", Some("String"), Some(json!("onMouseDown"))),
            with_extra,
            var("bare", None, None),
            doc_var,
            bad_doc,
            fenced_but_extra,
            var("float", Some("Number"), Some(json!(1.0))),
        ]),
        ..Workflow::default()
    });
    check(
        &document,
        r#"workflow {
  type Finding = {file: Path, line: Integer}
  type Odd = "List[ Path ]"
  type "type" = "Optional[List[type]]"

  var function_name: String = "onMouseDown"
  var limit: Integer = 10 { @ui = {"slider": true} }
  var bare
  /// first
  ///
  ///   indented	and tab
  var multi = ```
    a
    b
    ```
  var "in": String? { @description = "bell\u0007" }
  var m2 = "a\nb" { @k = "x\ny" }
  var float: Number = 1.0
}
"#,
    );
}

#[test]
fn sections() {
    let document = doc(Workflow {
        execution_config: Some(ExecutionConfig {
            mode: Some(s("parallel-ish")),
            max_concurrent_blocks: Some(n(json!(4))),
            timeout: Some(n(json!(2.5))),
            retry_policy: Some(RetryPolicy {
                max_attempts: Some(n(json!(3))),
                backoff: Some(s("Exponential")),
                extra: vec![extra("jitter", json!(true))],
                ..RetryPolicy::default()
            }),
            logging_level: Some(s("Info")),
            extra: vec![extra("future", json!("x")), extra("timeout", json!("5m"))],
            ..ExecutionConfig::default()
        }),
        error_handling: Some(WorkflowErrorHandling {
            on_block_error: Some(ErrorAction::Retry(n(json!(3)))),
            ..WorkflowErrorHandling::default()
        }),
        canvas_state: Some(CanvasState {
            zoom: Some(n(json!(1.25))),
            pan: Some(pos(json!(-40), json!(12.5))),
            selected_blocks: Some(Spanned::new(vec![s("find")], Span::default())),
            extra: vec![extra("grid", json!(8))],
            ..CanvasState::default()
        }),
        ui_state: Some(j(json!({"panels": {"left": true}}))),
        ..Workflow::default()
    });
    check(
        &document,
        r#"workflow {
  config {
    mode = "parallel-ish"
    max_concurrent_blocks = 4
    timeout = 2.5s
    retry_policy {
      max_attempts = 3
      backoff = exponential
      @jitter = true
    }
    logging_level = info
    @timeout = "5m"
    @future = "x"
  }
  error_handling {
    on_block_error = retry(3)
  }
  canvas_state {
    zoom = 1.25
    pan = (-40, 12.5)
    selected_blocks = ["find"]
    @grid = 8
  }
  ui_state = {"panels": {"left": true}}
}
"#,
    );
    let document = doc(Workflow {
        execution_config: Some(ExecutionConfig {
            mode: Some(s("Sequential")),
            logging_level: Some(s("Trace")),
            retry_policy: Some(RetryPolicy {
                backoff: Some(s("Fixed")),
                ..RetryPolicy::default()
            }),
            ..ExecutionConfig::default()
        }),
        error_handling: Some(WorkflowErrorHandling {
            on_block_error: Some(ErrorAction::Stop(Span::default())),
            ..WorkflowErrorHandling::default()
        }),
        canvas_state: Some(CanvasState::default()),
        ..Workflow::default()
    });
    check(
        &document,
        r#"workflow {
  config {
    mode = sequential
    retry_policy {
      backoff = fixed
    }
    logging_level = trace
  }
  error_handling {
    on_block_error = stop
  }
  canvas_state {
  }
}
"#,
    );
}

#[test]
fn visual_and_plugin_blocks() {
    let mut find = block(
        "my block",
        visual(
            "find files",
            Some(vec![
                ("code", json!("x")),
                ("script", json!("line 1\nline 2\n")),
                ("nested", json!({"k": "a\nb", "list": []})),
                ("crlf", json!("a\r\nb")),
                ("unicode", json!("héllo ✓ \u{1F600}")),
            ]),
        ),
    );
    find.extra = vec![
        extra("zzz", json!(1)),
        extra("position", json!({"x": 1, "y": 2, "z": 0})),
        extra("description", json!(null)),
    ];
    let mut empty = block("empty", visual("noop", Some(vec![])));
    empty.inputs = Some(vec![]);
    empty.outputs = Some(vec![]);
    empty.name = Some(s("Ünïcode \"quoted\""));
    let plugin = block(
        "split",
        BlockKind::Plugin {
            plugin: s("csv_tools"),
            block_type: s("split"),
            properties: Some(vec![Property {
                span: Span::default(),
                key: s("sep"),
                value: j(json!(",")),
            }]),
        },
    );
    let plugin2 = block(
        "p2",
        BlockKind::Plugin {
            plugin: s("my-plugin"),
            block_type: s("in"),
            properties: None,
        },
    );
    let keyword_visual = block("v", visual("template", None));
    check(
        &wf_blocks(vec![find, empty, plugin, plugin2, keyword_visual], None),
        r#"workflow "W" {
  block "my block" = visual "find files" {
    code = "x"
    script = ```
      line 1
      line 2

      ```
    nested = {"k": "a\nb", "list": []}
    crlf = "a\r\nb"
    unicode = "héllo ✓ 😀"
    @description = null
    @position = {"x": 1, "y": 2, "z": 0}
    @zzz = 1
  }

  block empty = noop "Ünïcode \"quoted\"" {
    @properties = {}
    @inputs = []
    @outputs = []
  }

  block split = plugin csv_tools.split {
    sep = ","
  }

  block p2 = plugin "my-plugin"."in" {
  }

  block v = visual "template" {
  }
}
"#,
    );
}

#[test]
fn code_blocks_and_fences() {
    let mut filter = block(
        "filter",
        BlockKind::Code {
            language: s("python"),
            source_code: Some(s("print(1)\n")),
            dependencies: Some(Spanned::new(vec![s("regex")], Span::default())),
            error_handling: Some(ErrorAction::Retry(n(json!(2)))),
        },
    );
    filter.description = Some(s("Filters"));
    let ts = block(
        "ts",
        BlockKind::Code {
            language: s("typescript"),
            source_code: Some(s("")),
            dependencies: Some(Spanned::new(vec![], Span::default())),
            error_handling: Some(ErrorAction::Continue(Span::default())),
        },
    );
    let ticks = block("ticks", code("shell", Some("echo ```\n  ````x`` \n\tdone")));
    let crlf = block("crlf", code("sql", Some("select 1;\r\nselect 2;")));
    let blank_lines = block("blank", code("rust", Some("\n\nfn main() {}\n\n")));
    let no_code = block("none", code("javascript", None));
    check(
        &wf_blocks(vec![filter, ts, ticks, crlf, blank_lines, no_code], None),
        "workflow \"W\" {
  /// Filters
  block filter = python {
    dependencies = [\"regex\"]
    error_handling = retry(2)
    code ```
      print(1)

      ```
  }

  block ts = code \"typescript\" {
    dependencies = []
    error_handling = continue
    code ```
      ```
  }

  block ticks = shell {
    code `````
      echo ```
        ````x`` 
      \tdone
      `````
  }

  block crlf = sql {
    code \"select 1;\\r\\nselect 2;\"
  }

  block blank = rust {
    code ```


      fn main() {}


      ```
  }

  block none = javascript {
  }
}
",
    );
}

#[test]
fn hybrid_blocks() {
    let param = |name: &str, t: Option<&str>, value: Option<serde_json::Value>| Parameter {
        span: Span::default(),
        name: s(name),
        ty: t.map(ty),
        value: value.map(j),
        default: None,
        description: None,
        extra: vec![],
    };
    let mut func = param("func_name", Some("String"), Some(json!("get_value")));
    func.default = Some(j(json!("getter")));
    func.description = Some(s("Name of the generated function"));
    let mut odd = param("odd", None, Some(json!("x\ny")));
    odd.description = Some(s("tab\u{b}"));
    odd.extra = vec![extra("hint", json!("h"))];
    let placeholder = |name: &str, kind: PlaceholderKind| Placeholder {
        span: Span::default(),
        name: s(name),
        kind,
    };
    let mut make = block(
        "make",
        BlockKind::Hybrid {
            base_language: s("python"),
            template: Some(Template {
                span: Span::default(),
                source: s("def {{func_name}}():\n    {{body}}").into(),
                placeholders: vec![
                    placeholder("func_name", PlaceholderKind::Simple(s("func_name"))),
                    placeholder("limit", PlaceholderKind::Expression(s("in"))),
                    placeholder("body", PlaceholderKind::CodeBlock(s("python"))),
                    placeholder("ts", PlaceholderKind::CodeBlock(s("c++"))),
                    placeholder(
                        "check",
                        PlaceholderKind::Conditional {
                            condition: s("strict"),
                            if_true: s("assert x"),
                            if_false: s("pass"),
                        },
                    ),
                    placeholder("raw", PlaceholderKind::Raw(j(json!({"Future": [1]})))),
                ],
            }),
            parameters: Some(vec![
                func,
                param("body", Some("String"), Some(json!("return 1"))),
                param("strict", Some("Boolean"), Some(json!(true))),
                param("multi", None, Some(json!("a\nb"))),
                odd,
                param("bare", None, None),
            ]),
            preview_code: Some(s("def get_value():\n    return 1")),
        },
    );
    make.name = Some(s("Make accessor"));
    make.outputs = Some(vec![port("code", "String")]);
    let other = block(
        "other",
        BlockKind::Hybrid {
            base_language: s("typescript"),
            template: Some(Template {
                span: Span::default(),
                source: s("").into(),
                placeholders: vec![],
            }),
            parameters: Some(vec![]),
            preview_code: None,
        },
    );
    let weird = block(
        "weird",
        BlockKind::Hybrid {
            base_language: s("c++"),
            template: None,
            parameters: None,
            preview_code: None,
        },
    );
    check(
        &wf_blocks(vec![make, other, weird], None),
        r#"workflow "W" {
  block make = template python "Make accessor" {
    /// Name of the generated function
    param func_name: String = "get_value" { default = "getter" }
    param body: String = "return 1"
    param strict: Boolean = true
    param multi = ```
      a
      b
      ```
    param odd = "x\ny" { @description = "tab\u000b", @hint = "h" }
    param bare
    placeholder func_name = simple(func_name)
    placeholder limit = expression("in")
    placeholder body = code_block(python)
    placeholder ts = code_block("c++")
    placeholder check = conditional(strict, "assert x", "pass")
    placeholder raw = {"Future": [1]}
    out "code": String
    template ```
      def {{func_name}}():
          {{body}}
      ```
    preview ```
      def get_value():
          return 1
      ```
  }

  block other = template typescript {
    @parameters = []
    template ```
      ```
  }

  block weird = template "c++" {
  }
}
"#,
    );
}

#[test]
fn ai_blocks() {
    let mut generate = block(
        "generate",
        BlockKind::Ai {
            model_config: Some(ModelConfig {
                span: Span::default(),
                provider: Provider::Anthropic(Span::default()),
                model: Some(s("claude-sonnet-4")),
                temperature: Some(n(json!(0.3))),
                max_tokens: Some(n(json!(2000))),
                timeout: Some(n(json!(60))),
                extra: vec![extra("top_p", json!(0.9))],
            }),
            system_prompt: Some(s("You are a C++ code generator.").into()),
            user_prompt_template: Some(
                s("Write a function named {function_name}.\nContext: {code_context}").into(),
            ),
            context_analysis: Some(j(json!({"depth": 2}))),
            output_format: Some(s("Text")),
            fallback_behavior: Some(j(json!({"retry": true}))),
        },
    );
    generate.name = Some(s("Generate Callback"));
    let mut input = port("function_name", "String");
    input.required = Some(Spanned::new(true, Span::default()));
    let mut optional = port("code_context", "Optional[String]");
    optional.required = Some(Spanned::new(false, Span::default()));
    generate.inputs = Some(vec![input, optional]);
    generate.outputs = Some(vec![port("generated_code", "String")]);
    let openai = block(
        "o",
        BlockKind::Ai {
            model_config: Some(ModelConfig {
                span: Span::default(),
                provider: Provider::OpenAi(Span::default()),
                model: None,
                temperature: None,
                max_tokens: None,
                timeout: None,
                extra: vec![],
            }),
            system_prompt: None,
            user_prompt_template: None,
            context_analysis: None,
            output_format: Some(s("Json")),
            fallback_behavior: None,
        },
    );
    let local = block(
        "l",
        BlockKind::Ai {
            model_config: Some(ModelConfig {
                span: Span::default(),
                provider: Provider::Local {
                    span: Span::default(),
                    endpoint: s("http://localhost:11434/v1"),
                },
                model: Some(s("llama")),
                temperature: None,
                max_tokens: None,
                timeout: Some(n(json!(1.5))),
                extra: vec![],
            }),
            system_prompt: Some(s("multi\nline").into()),
            user_prompt_template: Some(s("").into()),
            context_analysis: None,
            output_format: Some(s("Yaml")),
            fallback_behavior: None,
        },
    );
    check(
        &wf_blocks(vec![generate, openai, local], None),
        r#"workflow "W" {
  block generate = ai "Generate Callback" {
    model = anthropic("claude-sonnet-4", temperature = 0.3, max_tokens = 2000, timeout = 60s, @top_p = 0.9)
    system = "You are a C++ code generator."
    prompt = ```
      Write a function named {function_name}.
      Context: {code_context}
      ```
    context_analysis = {"depth": 2}
    output_format = text
    fallback_behavior = {"retry": true}
    required in function_name: String
    optional in code_context: String?
    out generated_code: String
  }

  block o = ai {
    model = openai()
    output_format = json
  }

  block l = ai {
    model = local("llama", endpoint = "http://localhost:11434/v1", timeout = 1.5s)
    system = ```
      multi
      line
      ```
    prompt = ""
    output_format = "Yaml"
  }
}
"#,
    );
}

#[test]
fn ports() {
    let mut b = block("b", visual("x", None));
    let mut described = port("files", "List[Path]");
    described.description = Some(s("The files\nto scan"));
    let mut with_default = port("limit", "Integer");
    with_default.required = Some(Spanned::new(false, Span::default()));
    with_default.default = Some(j(json!(100)));
    let mut fenced_default = port("text", "String");
    fenced_default.default = Some(j(json!("a\nb")));
    let mut extras = port("out", "List[Finding]");
    extras.extra = vec![
        extra("color", json!("#ff0000")),
        extra("required", json!("yes")),
    ];
    extras.description = Some(s("cr\r"));
    let mut trailing_space = port("t", "String");
    trailing_space.description = Some(s("ends with space \nnext"));
    b.inputs = Some(vec![
        described,
        with_default,
        fenced_default,
        port("in", "List[ Path ]"),
        port("x", "Dict[String, Optional[Integer]]"),
    ]);
    b.outputs = Some(vec![extras, trailing_space]);
    check(
        &wf_blocks(vec![b], None),
        r##"workflow "W" {
  block b = x {
    /// The files
    /// to scan
    in files: List[Path]
    optional in limit: Integer = 100
    in text: String = ```
      a
      b
      ```
    in "in": "List[ Path ]"
    in x: Dict[String, Integer?]
    out "out": List[Finding] { @"required" = "yes", @description = "cr\r", @color = "#ff0000" }
    out t: String { @description = "ends with space \nnext" }
  }
}
"##,
    );
}

fn two_blocks() -> Vec<Block> {
    let mut a = block("a", visual("src", None));
    a.outputs = Some(vec![port("x", "String"), port("y", "Integer")]);
    let mut b = block("b", visual("dst", None));
    let mut first = port("p", "String");
    first.default = Some(j(json!("d\ne")));
    b.inputs = Some(vec![first, port("q", "Integer")]);
    vec![a, b]
}

#[test]
fn connections_on_inputs_with_attributes() {
    let mut transformed = conn(Some("c-17"), ("a", "y"), ("b", "p"), Some("Integer"));
    transformed.transform = Some(j(json!({"map": "upper"})));
    transformed.extra = vec![extra("label", json!("L")), extra("data_type", json!(5))];
    let connections = vec![
        derived(("a", "x"), ("b", "p"), "String"),
        transformed,
        conn(None, ("a", "y"), ("b", "q"), None),
        conn(
            Some("a.x->b.q"),
            ("a", "x"),
            ("b", "q"),
            Some("Optional[String]"),
        ),
        conn(Some("a.zz->b.q"), ("a", "zz"), ("b", "q"), None),
        conn(Some("x"), ("missing", "o"), ("b", "q"), Some("String")),
    ];
    check(
        &wf_blocks(two_blocks(), Some(connections)),
        r#"workflow "W" {
  block a = src {
    out x: String
    out y: Integer
  }

  block b = dst {
    in p: String = "d\ne" <- a.x, a.y { id = "c-17", transform = {"map": "upper"}, @data_type = 5, @label = "L" }
    in q: Integer <- a.y { id = null, data_type = null }, a.x { data_type = "Optional[String]" }, a.zz, missing.o { id = "x", data_type = "String" }
  }
}
"#,
    );
}

#[test]
fn connection_order_and_dangling_connections() {
    let connections = vec![
        conn(
            Some("dangling"),
            ("a", "x"),
            ("nowhere", "in"),
            Some("String"),
        ),
        derived(("a", "y"), ("b", "q"), "Integer"),
        derived(("a", "x"), ("b", "p"), "String"),
        derived(("a", "x"), ("b", "zz"), "String"),
        conn(None, ("a", "x"), ("b", "p"), Some("String")),
    ];
    check(
        &wf_blocks(two_blocks(), Some(connections)),
        r#"workflow "W" {
  connection_order = ["dangling", "a.y->b.q", "a.x->b.p", "a.x->b.zz", "a.x->b.p"]

  block a = src {
    out x: String
    out y: Integer
  }

  block b = dst {
    in p: String = "d\ne" <- a.x, a.x { id = null }
    in q: Integer <- a.y
  }

  connect a.x -> nowhere."in" { id = "dangling" }
  connect a.x -> b.zz
}
"#,
    );
}

#[test]
fn duplicate_ids_that_hide_the_order_fall_back_to_connect_statements() {
    let connections = vec![
        conn(Some("same"), ("a", "x"), ("b", "q"), Some("String")),
        conn(Some("same"), ("a", "x"), ("b", "p"), Some("String")),
    ];
    check(
        &wf_blocks(two_blocks(), Some(connections)),
        r#"workflow "W" {
  block a = src {
    out x: String
    out y: Integer
  }

  block b = dst {
    in p: String = ```
      d
      e
      ```
    in q: Integer
  }

  connect a.x -> b.q { id = "same" }
  connect a.x -> b.p { id = "same" }
}
"#,
    );
}

#[test]
fn duplicate_block_ids_and_port_names_use_the_first() {
    let mut a1 = block("a", visual("one", None));
    a1.inputs = Some(vec![port("p", "String"), port("p", "Integer")]);
    let a2 = {
        let mut b = block("a", visual("two", None));
        b.inputs = Some(vec![port("p", "String")]);
        b
    };
    let connections = vec![derived(("s", "o"), ("a", "p"), "String")];
    check(
        &wf_blocks(vec![a1, a2], Some(connections)),
        r#"workflow "W" {
  block a = one {
    in p: String <- s.o { data_type = "String" }
    in p: Integer
  }

  block a = two {
    in p: String
  }
}
"#,
    );
}

fn comments(leading: &[&str], trailing: Option<&str>) -> Comments {
    Comments {
        leading: leading.iter().map(|c| c.to_string()).collect(),
        trailing: trailing.map(str::to_string),
    }
}

#[test]
fn comments_at_their_anchors() {
    let mut b = block("b", code("python", Some("x = 1")));
    b.description = Some(s("Doc"));
    b.inputs = Some(vec![port("i", "String")]);
    let mut document = doc(Workflow {
        description: Some(s("Workflow doc")),
        version: Some(s("1")),
        execution_config: Some(ExecutionConfig {
            mode: Some(s("Parallel")),
            retry_policy: Some(RetryPolicy::default()),
            ..ExecutionConfig::default()
        }),
        blocks: Some(vec![b]),
        connections: Some(vec![conn(Some("c"), ("z", "o"), ("zz", "i"), None)]),
        ..named("W")
    });
    document.format_version = s("1.1");
    document.trivia = Trivia::from_iter(vec![
        (
            "top.format_version".into(),
            comments(&["// top"], Some("// fv")),
        ),
        (
            "workflow".into(),
            comments(&["// before workflow"], Some("// after brace")),
        ),
        (
            "w.version".into(),
            comments(&["// lead", "// lead 2"], Some("// trail")),
        ),
        ("w.config".into(), comments(&[], Some("// config"))),
        (
            "w.config.mode".into(),
            comments(&[], Some("// sequential | parallel")),
        ),
        (
            "w.config.retry_policy.end".into(),
            comments(&["// nothing here"], None),
        ),
        ("w.config.end".into(), comments(&["// end of config"], None)),
        (
            "block.0".into(),
            comments(&["// the block"], Some("// opened")),
        ),
        ("block.0.in.0".into(), comments(&[], Some("// port"))),
        (
            "block.0.code".into(),
            comments(&["// code next"], Some("// after fence")),
        ),
        ("block.0.end".into(), comments(&["// last in block"], None)),
        ("conn.0".into(), comments(&["// dangling"], Some("// !"))),
        (
            "w.gone".into(),
            comments(&["// orphan"], Some("// orphan trailing")),
        ),
        ("w.end".into(), comments(&["// end of workflow"], None)),
        ("eof".into(), comments(&["// after everything"], None)),
    ]);
    check(
        &document,
        r#"// top
format_version = "1.1" // fv

// before workflow
/// Workflow doc
workflow "W" { // after brace
  // lead
  // lead 2
  version = "1" // trail

  config { // config
    mode = parallel // sequential | parallel
    retry_policy {
      // nothing here
    }
    // end of config
  }

  // the block
  /// Doc
  block b = python { // opened
    in i: String // port
    // code next
    code ```
      x = 1
      ``` // after fence
    // last in block
  }

  // dangling
  connect z.o -> zz.i { id = "c" } // !
  // end of workflow
  // orphan
  // orphan trailing
}
// after everything
"#,
    );
}

#[test]
fn printing_is_deterministic_and_ignores_spans() {
    let mut document = wf_blocks(two_blocks(), None);
    let first = print_document(&document);
    document.workflow.span = Span::new(3, 99);
    if let Some(blocks) = document.workflow.blocks.as_mut() {
        blocks[0].span = Span::new(1, 2);
    }
    assert_eq!(print_document(&document), first);
    assert!(first.ends_with("}\n") && !first.ends_with("\n\n"));
    assert!(!first.contains('\r'));
}

#[test]
fn more_at_fallbacks_and_doc_edges() {
    let mut b = block("b", visual("x", None));
    b.description = Some(s("form\u{c}feed"));
    b.extra = vec![extra("source_code", json!("a\nb"))];
    let mut c = block("c", visual("x", None));
    c.description = Some(s("ends with newline\n"));
    let mut document = doc(Workflow {
        error_handling: Some(WorkflowErrorHandling {
            on_block_error: None,
            extra: vec![
                extra("notify", json!(["ops"])),
                extra("on_block_error", json!("Explode")),
            ],
            ..WorkflowErrorHandling::default()
        }),
        blocks: Some(vec![b, c]),
        ..Workflow::default()
    });
    document.trivia =
        Trivia::from_iter(vec![("eof".into(), comments(&["// bye"], Some("// end")))]);
    check(
        &document,
        r#"workflow {
  error_handling {
    @on_block_error = "Explode"
    @notify = ["ops"]
  }

  block b = x {
    @description = "form\ffeed"
    @source_code = ```
      a
      b
      ```
  }

  /// ends with newline
  ///
  block c = x {
  }
} // end
// bye
"#,
    );
}

/// Reads a fenced string back the way `docs/language.md` defines it: the lines after the
/// opening fence up to a line holding only the fence, less the statement's indentation plus two.
fn read_fence(text: &str, opening: &str, indent: usize) -> Option<String> {
    let start = text.find(opening)? + opening.len();
    let rest = &text[start..];
    let fence: String = rest.chars().take_while(|&c| c == '`').collect();
    let mut lines = rest[fence.len()..].strip_prefix('\n')?.split('\n');
    let prefix = " ".repeat(indent + 2);
    let mut content = Vec::new();
    loop {
        let line = lines.next()?;
        if line.trim() == fence {
            return Some(content.join("\n"));
        }
        if let Some(stripped) = line.strip_prefix(&prefix) {
            content.push(stripped.to_string());
        } else if line.trim().is_empty() {
            content.push(String::new());
        } else {
            return None;
        }
    }
}

proptest::proptest! {
    #[test]
    fn code_bodies_read_back(source in "[a-z `\t\n\r\u{7}é]{0,40}") {
        let document = wf_blocks(vec![block("b", code("python", Some(&source)))], None);
        let text = print_document(&document);
        let back = if source.contains('\r') || source.contains('\u{7}') {
            let line = text.lines().find(|l| l.trim_start().starts_with("code \"")).unwrap();
            serde_json::from_str::<String>(line.trim_start().strip_prefix("code ").unwrap()).unwrap()
        } else {
            read_fence(&text, "    code ", 4).unwrap()
        };
        proptest::prop_assert_eq!(back, source);
    }
}
