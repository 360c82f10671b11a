//! Property tests of the three round trips of format.md on generated workflows: canonical JSON
//! -> DSL -> JSON is byte for byte; canonical DSL -> JSON -> DSL is byte for byte; the
//! formatter is idempotent; and the parser never panics on arbitrary text.

use agentblocks_dsl::convert::{analyze, convert, format, FileKind};
use agentblocks_dsl::json::write_document;
use agentblocks_dsl::model::*;
use agentblocks_dsl::print::print_document;
use proptest::prelude::*;
use serde_json::json;

fn s(value: impl Into<String>) -> Str {
    Spanned::new(value.into(), Span::default())
}

fn sp<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Span::default())
}

/// Text with everything that has broken converters: quotes, backslashes, tabs, CRLF, fences,
/// non-ASCII, control characters, braces and comment markers.
fn nasty_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "Hello", " ", "  ", "\t", "\n", "\r\n", "\"", "\\", "```", "````", "`", "{", "}",
        "{{x}}", "//", "///", "/*", "é", "日本", "😀", "\u{7}", "\u{0}", "$", "@", "<-", "=", "#",
        "0", "-1", "null", "true", "x_y",
    ]);
    prop::collection::vec(pieces, 0..8).prop_map(|parts| parts.concat())
}

fn identifier() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a",
        "files",
        "in",
        "out",
        "block",
        "python",
        "my-name",
        "with space",
        "_x",
        "A1",
        "type",
        "template",
        "code",
        "preview",
        "null",
        "é",
        "",
    ])
    .prop_map(str::to_string)
}

fn number() -> impl Strategy<Value = serde_json::Number> {
    prop_oneof![
        any::<i32>().prop_map(serde_json::Number::from),
        any::<u64>().prop_map(serde_json::Number::from),
        (-1.0e6f64..1.0e6).prop_map(|f| serde_json::Number::from_f64(f).unwrap()),
        Just(serde_json::Number::from_f64(1.0).unwrap()),
        Just(serde_json::Number::from_f64(0.5).unwrap()),
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number().prop_map(Json::Number),
        nasty_text().prop_map(Json::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((nasty_text(), inner), 0..4).prop_map(|members| {
                let mut map = serde_json::Map::new();
                for (key, value) in members {
                    map.insert(key, value);
                }
                Json::Object(map)
            }),
        ]
    })
}

/// Unknown keys: distinct, never a known key of any object.
fn extras() -> impl Strategy<Value = Vec<Extra>> {
    prop::collection::vec(json_value(), 0..3).prop_map(|values| {
        values
            .into_iter()
            .enumerate()
            .map(|(i, value)| Extra {
                key: s(format!("x_unknown_{i}")),
                value: sp(value),
                span: Span::default(),
            })
            .collect()
    })
}

fn type_text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "String",
        "List[Path]",
        "Optional[String]",
        "Dict[String, List[Integer]]",
        "{a: String, b: Number}",
        "List[ Path ]",
        "String?",
        "Finding",
        "not a type[",
    ])
    .prop_map(str::to_string)
}

fn opt<T: std::fmt::Debug + Clone>(
    strategy: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::of(strategy)
}

fn port() -> impl Strategy<Value = Port> {
    (
        identifier(),
        type_text(),
        opt(any::<bool>()),
        opt(nasty_text()),
        opt(json_value()),
        extras(),
    )
        .prop_map(|(name, ty, required, description, default, extra)| Port {
            span: Span::default(),
            name: s(name),
            ty: TypeRef {
                text: ty,
                span: Span::default(),
            },
            required: required.map(sp),
            description: description.map(s),
            default: default.map(sp),
            extra,
        })
}

fn ports() -> impl Strategy<Value = Option<Vec<Port>>> {
    opt(prop::collection::vec(port(), 0..3))
}

fn error_action() -> impl Strategy<Value = ErrorAction> {
    prop_oneof![
        Just(ErrorAction::Stop(Span::default())),
        Just(ErrorAction::Continue(Span::default())),
        (0u32..10).prop_map(|n| ErrorAction::Retry(sp(serde_json::Number::from(n)))),
    ]
}

fn properties() -> impl Strategy<Value = Option<Vec<Property>>> {
    opt(prop::collection::vec((identifier(), json_value()), 0..3)).prop_map(|props| {
        props.map(|props| {
            let mut seen = std::collections::HashSet::new();
            props
                .into_iter()
                .filter(|(key, _)| seen.insert(key.clone()))
                .map(|(key, value)| Property {
                    span: Span::default(),
                    key: s(key),
                    value: sp(value),
                })
                .collect()
        })
    })
}

fn block_kind() -> impl Strategy<Value = BlockKind> {
    let enum_text = prop::sample::select(vec!["Text", "Json", "weird"]).prop_map(str::to_string);
    prop_oneof![
        (
            prop::sample::select(vec!["find_files", "python", "visual", "with space"]),
            properties()
        )
            .prop_map(|(block_type, properties)| BlockKind::Visual {
                block_type: s(block_type),
                properties,
            }),
        (
            prop::sample::select(vec!["python", "javascript", "shell", "sql", "typescript"]),
            opt(nasty_text()),
            opt(prop::collection::vec(nasty_text(), 0..3)),
            opt(error_action()),
        )
            .prop_map(|(language, code, deps, error_handling)| BlockKind::Code {
                language: s(language),
                source_code: code.map(s),
                dependencies: deps.map(|d| sp(d.into_iter().map(s).collect())),
                error_handling,
            }),
        (
            opt(nasty_text()),
            opt(nasty_text()),
            opt(json_value()),
            opt(enum_text),
            opt(json_value()),
            opt((0u32..3, opt(nasty_text()), opt(number()))),
        )
            .prop_map(
                |(system, prompt, context, format, fallback, model)| BlockKind::Ai {
                    model_config: model.map(|(provider, model, temperature)| ModelConfig {
                        span: Span::default(),
                        provider: match provider {
                            0 => Provider::Anthropic(Span::default()),
                            1 => Provider::OpenAi(Span::default()),
                            _ => Provider::Local {
                                span: Span::default(),
                                endpoint: s("http://127.0.0.1:1/v1"),
                            },
                        },
                        model: model.map(s),
                        temperature: temperature.map(sp),
                        max_tokens: None,
                        timeout: None,
                        extra: Vec::new(),
                    }),
                    system_prompt: system.map(|t| s(t).into()),
                    user_prompt_template: prompt.map(|t| s(t).into()),
                    context_analysis: context.map(sp),
                    output_format: format.map(s),
                    fallback_behavior: fallback.map(sp),
                }
            ),
        (
            opt(nasty_text()),
            opt(prop::collection::vec(
                (identifier(), opt(json_value())),
                0..3
            )),
            opt(nasty_text()),
            prop::collection::vec((identifier(), 0u32..5), 0..3),
        )
            .prop_map(
                |(source, params, preview, placeholders)| BlockKind::Hybrid {
                    base_language: s("python"),
                    template: source.map(|source| Template {
                        span: Span::default(),
                        source: s(source).into(),
                        placeholders: {
                            let mut seen = std::collections::HashSet::new();
                            placeholders
                                .into_iter()
                                .filter(|(name, _)| seen.insert(name.clone()))
                                .map(|(name, kind)| Placeholder {
                                    span: Span::default(),
                                    name: s(name.clone()),
                                    kind: match kind {
                                        0 => PlaceholderKind::Simple(s(name)),
                                        1 => PlaceholderKind::Expression(s(name)),
                                        2 => PlaceholderKind::CodeBlock(s("python")),
                                        3 => PlaceholderKind::Conditional {
                                            condition: s(name),
                                            if_true: s("yes \"q\""),
                                            if_false: s(""),
                                        },
                                        _ => PlaceholderKind::Raw(sp(json!({"Future": [1, null]}))),
                                    },
                                })
                                .collect()
                        },
                    }),
                    parameters: params.map(|params| {
                        params
                            .into_iter()
                            .map(|(name, value)| Parameter {
                                span: Span::default(),
                                name: s(name),
                                ty: Some(TypeRef {
                                    text: "String".into(),
                                    span: Span::default(),
                                }),
                                value: value.map(sp),
                                default: None,
                                description: None,
                                extra: Vec::new(),
                            })
                            .collect()
                    }),
                    preview_code: preview.map(s),
                }
            ),
        (
            prop::sample::select(vec!["csv_tools", "my-plugin"]),
            properties()
        )
            .prop_map(|(plugin, properties)| BlockKind::Plugin {
                plugin: s(plugin),
                block_type: s("split"),
                properties,
            }),
    ]
}

fn block(index: usize) -> impl Strategy<Value = Block> {
    (
        block_kind(),
        opt(nasty_text()),
        opt(nasty_text()),
        opt((number(), number())),
        ports(),
        ports(),
        extras(),
    )
        .prop_map(
            move |(kind, name, description, position, inputs, outputs, extra)| Block {
                span: Span::default(),
                id: s(
                    ["find", "filter", "in", "my block", "b"][index % 5].to_string()
                        + &index.to_string(),
                ),
                kind,
                kind_span: Span::default(),
                name: name.map(s),
                description: description.map(s),
                position: position.map(|(x, y)| Position {
                    span: Span::default(),
                    x: sp(x),
                    y: sp(y),
                }),
                inputs,
                outputs,
                extra,
            },
        )
}

fn workflow() -> impl Strategy<Value = Document> {
    let blocks = (0usize..4).prop_flat_map(|n| (0..n).map(block).collect::<Vec<_>>());
    let enum_text = prop::sample::select(vec!["Parallel", "Sequential", "Reactive", "odd"])
        .prop_map(str::to_string);
    (
        (
            opt(nasty_text()),
            opt(nasty_text()),
            opt(nasty_text()),
            opt(prop::collection::vec(nasty_text(), 0..3)),
            opt(prop::collection::vec((identifier(), type_text()), 0..3)),
        ),
        blocks,
        any::<bool>(),
        prop::collection::vec(
            (0usize..8, 0usize..8, opt(nasty_text()), any::<bool>()),
            0..5,
        ),
        opt(prop::collection::vec(
            (
                identifier(),
                opt(type_text()),
                opt(json_value()),
                opt(nasty_text()),
            ),
            0..3,
        )),
        (
            opt((opt(enum_text), opt(number()), opt(error_action()))),
            opt(json_value()),
            extras(),
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                (name, description, author, tags, types),
                blocks,
                blocks_present,
                connections,
                variables,
                (config, ui_state, extra),
                shuffle,
            )| {
                let connections: Vec<Connection> = connections
                    .into_iter()
                    .map(|(from, to, id, typed)| {
                        let pick = |i: usize| {
                            blocks
                                .get(i % blocks.len().max(1))
                                .map_or("ghost".to_string(), |b| b.id.value.clone())
                        };
                        let target_port = blocks
                            .get(to % blocks.len().max(1))
                            .and_then(|b| b.inputs.as_ref()?.first().map(|p| p.name.value.clone()))
                            .unwrap_or_else(|| "nowhere".into());
                        Connection {
                            span: Span::default(),
                            id: id.map(s),
                            source_block: s(pick(from)),
                            source_port: s("out"),
                            target_block: s(pick(to)),
                            target_port: s(target_port),
                            data_type: typed.then(|| TypeRef {
                                text: "List[Path]".into(),
                                span: Span::default(),
                            }),
                            transform: None,
                            extra: Vec::new(),
                        }
                    })
                    .collect();
                let mut connections = connections;
                if shuffle {
                    connections.reverse();
                }
                let dedup = |items: Vec<(String, _)>| {
                    let mut seen = std::collections::HashSet::new();
                    items
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect::<Vec<_>>()
                };
                Document {
                    format_version: s("1.0"),
                    workflow: Workflow {
                        name: name.map(s),
                        description: description.map(s),
                        author: author.map(s),
                        tags: tags.map(|t| sp(t.into_iter().map(s).collect())),
                        types: types.map(|types| {
                            dedup(types)
                                .into_iter()
                                .map(|(name, text)| TypeDecl {
                                    span: Span::default(),
                                    name: s(name),
                                    ty: TypeRef {
                                        text,
                                        span: Span::default(),
                                    },
                                })
                                .collect()
                        }),
                        blocks: (blocks_present || !blocks.is_empty()).then_some(blocks),
                        connections: (!connections.is_empty()).then_some(connections),
                        variables: variables.map(|vars| {
                            let mut seen = std::collections::HashSet::new();
                            vars.into_iter()
                                .filter(|v| seen.insert(v.0.clone()))
                                .map(|(name, ty, value, description)| Variable {
                                    span: Span::default(),
                                    name: s(name),
                                    ty: ty.map(|text| TypeRef {
                                        text,
                                        span: Span::default(),
                                    }),
                                    value: value.map(sp),
                                    description: description.map(s),
                                    extra: Vec::new(),
                                })
                                .collect()
                        }),
                        execution_config: config.map(|(mode, timeout, on_error)| ExecutionConfig {
                            mode: mode.map(s),
                            timeout: timeout.map(sp),
                            retry_policy: on_error.as_ref().map(|_| RetryPolicy {
                                max_attempts: Some(sp(3.into())),
                                backoff: Some(s("Exponential")),
                                ..RetryPolicy::default()
                            }),
                            ..ExecutionConfig::default()
                        }),
                        ui_state: ui_state.map(sp),
                        extra,
                        ..Workflow::default()
                    },
                    extra: Vec::new(),
                    trivia: Trivia::default(),
                }
            },
        )
}

proptest! {
    // 256 cases by default; `PROPTEST_CASES=N` runs more.
    #[test]
    fn round_trips_hold_on_generated_workflows(document in workflow()) {
        let json = write_document(&document);
        // Canonical JSON -> DSL -> JSON: byte for byte.
        let dsl = convert(FileKind::Json, FileKind::Dsl, &json)
            .unwrap_or_else(|d| panic!("JSON -> DSL failed: {d:?}\n{json}"))
            .text;
        let back = convert(FileKind::Dsl, FileKind::Json, &dsl)
            .unwrap_or_else(|d| panic!("DSL -> JSON failed: {d:?}\n{dsl}"))
            .text;
        prop_assert_eq!(&back, &json, "JSON -> DSL -> JSON differs; the DSL was:\n{}", dsl);
        // The DSL printed is canonical: formatting it changes nothing...
        let formatted = format(FileKind::Dsl, &dsl).unwrap();
        prop_assert_eq!(&formatted, &dsl);
        // ...and canonical DSL -> JSON -> DSL is byte for byte.
        let again = convert(FileKind::Json, FileKind::Dsl, &back).unwrap().text;
        prop_assert_eq!(&again, &dsl);
        // The printer prints what the model holds, the same from either side.
        prop_assert_eq!(print_document(&document), dsl);
    }

    #[test]
    fn parsing_never_panics(text in "(?s).{0,400}") {
        let _ = analyze(FileKind::Dsl, &text);
        let _ = analyze(FileKind::Json, &text);
        let _ = format(FileKind::Dsl, &text);
    }

    #[test]
    fn parsing_never_panics_on_near_misses(document in workflow(), cut in 0usize..4000, junk in "[{}\\[\\]()\"`=<>@:,./ a-z\n]{0,6}") {
        let dsl = print_document(&document);
        let mut at = cut.min(dsl.len());
        while !dsl.is_char_boundary(at) {
            at -= 1;
        }
        let broken = format!("{}{}{}", &dsl[..at], junk, &dsl[at..]);
        let analysis = analyze(FileKind::Dsl, &broken);
        // Whatever broke, every diagnostic points inside the text.
        for diagnostic in &analysis.diagnostics {
            prop_assert!(diagnostic.span().end <= broken.len());
        }
        let json = write_document(&document);
        let mut at = cut.min(json.len());
        while !json.is_char_boundary(at) {
            at -= 1;
        }
        let broken_json = format!("{}{}{}", &json[..at], junk, &json[at..]);
        let _ = analyze(FileKind::Json, &broken_json);
    }
}
