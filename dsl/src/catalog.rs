//! The block catalogue: the one registry of built-in block definitions and code-language
//! conventions, shared by the checker, the editor features and the engine.
//!
//! A built-in (visual) block is defined by its properties (settings with a kind, a default and
//! help text) and its typed ports. A visual block in a workflow may leave its ports undeclared:
//! the catalogue's ports are then its ports. Ports it does declare must name catalogue ports
//! (see `check::ports`).
//!
//! Code languages are described as data too ([`LanguageDef`]): how inputs reach the code, how
//! outputs are read back, and which output ports have a fixed meaning (a shell block's
//! `stdout`, `stderr` and `exit_code`).

use std::sync::LazyLock;

use serde_json::json;

use crate::model::Json;
use crate::types::{parse_type, Type};

/// What values a property takes.
#[derive(Clone, Debug, PartialEq)]
pub enum PropertyKind {
    /// Any string.
    Text,
    /// A JSON number, optionally bounded (inclusive).
    Number {
        /// Smallest allowed value.
        min: Option<f64>,
        /// Largest allowed value.
        max: Option<f64>,
    },
    /// A JSON integer (`1`, not `1.0`), optionally bounded (inclusive).
    Integer {
        /// Smallest allowed value.
        min: Option<i64>,
        /// Largest allowed value.
        max: Option<i64>,
    },
    /// `true` or `false`.
    Boolean,
    /// One string of a fixed set.
    Select {
        /// The allowed strings.
        options: &'static [&'static str],
    },
    /// A path to a file, as a string; when `extensions` is not empty the file name must end
    /// with one of them.
    File {
        /// Allowed extensions, with the dot (`.csv`).
        extensions: &'static [&'static str],
    },
    /// A path to a directory, as a string.
    Directory,
    /// A colour as `#rgb` or `#rrggbb`.
    Color,
    /// A calendar date as `YYYY-MM-DD`.
    Date,
    /// A number in `min..=max` on a grid of `step` from `min`.
    Range {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
        /// Granularity.
        step: f64,
    },
    /// A list of strings (glob patterns such as `*.cpp`).
    TextList,
    /// An object whose values are strings (HTTP headers).
    TextMap,
}

impl PropertyKind {
    /// A short human description, e.g. `integer >= 1`, `one of "GET", "POST"`.
    pub fn describe(&self) -> String {
        fn bounds<T: std::fmt::Display>(base: &str, min: &Option<T>, max: &Option<T>) -> String {
            match (min, max) {
                (Some(min), Some(max)) => format!("{base} in {min}..={max}"),
                (Some(min), None) => format!("{base} >= {min}"),
                (None, Some(max)) => format!("{base} <= {max}"),
                (None, None) => base.to_string(),
            }
        }
        match self {
            PropertyKind::Text => "text".to_string(),
            PropertyKind::Number { min, max } => bounds("number", min, max),
            PropertyKind::Integer { min, max } => bounds("integer", min, max),
            PropertyKind::Boolean => "boolean".to_string(),
            PropertyKind::Select { options } => {
                let quoted: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
                format!("one of {}", quoted.join(", "))
            }
            PropertyKind::File { extensions: &[] } => "file path".to_string(),
            PropertyKind::File { extensions } => {
                format!("file path ({})", extensions.join(", "))
            }
            PropertyKind::Directory => "directory path".to_string(),
            PropertyKind::Color => "colour (#rrggbb)".to_string(),
            PropertyKind::Date => "date (YYYY-MM-DD)".to_string(),
            PropertyKind::Range { min, max, step } => {
                format!("number in {min}..={max} step {step}")
            }
            PropertyKind::TextList => "list of text".to_string(),
            PropertyKind::TextMap => "object of text values".to_string(),
        }
    }

    /// A value of this kind to start from where no default is given: `""` for text and
    /// paths, the minimum (else 0) for numbers, `false`, the first option of a select, `[]`,
    /// `{}`. (A colour and a date get a value of their form.)
    pub fn placeholder(&self) -> Json {
        match self {
            PropertyKind::Text | PropertyKind::File { .. } | PropertyKind::Directory => json!(""),
            PropertyKind::Number { min, .. } => min.map_or(json!(0), |min| json!(min)),
            PropertyKind::Integer { min, .. } => json!(min.unwrap_or(0)),
            PropertyKind::Range { min, .. } => json!(min),
            PropertyKind::Boolean => json!(false),
            PropertyKind::Select { options } => options.first().map_or(json!(""), |o| json!(o)),
            PropertyKind::Color => json!("#000000"),
            PropertyKind::Date => json!("2000-01-01"),
            PropertyKind::TextList => json!([]),
            PropertyKind::TextMap => json!({}),
        }
    }

    /// The kind's name in `agentblocks blocks --format json`.
    pub fn name(&self) -> &'static str {
        match self {
            PropertyKind::Text => "text",
            PropertyKind::Number { .. } => "number",
            PropertyKind::Integer { .. } => "integer",
            PropertyKind::Boolean => "boolean",
            PropertyKind::Select { .. } => "select",
            PropertyKind::File { .. } => "file",
            PropertyKind::Directory => "directory",
            PropertyKind::Color => "color",
            PropertyKind::Date => "date",
            PropertyKind::Range { .. } => "range",
            PropertyKind::TextList => "text_list",
            PropertyKind::TextMap => "text_map",
        }
    }

    fn to_json(&self) -> Json {
        let mut value = json!({ "kind": self.name() });
        let extra = match self {
            PropertyKind::Number { min, max } => json!({ "min": min, "max": max }),
            PropertyKind::Integer { min, max } => json!({ "min": min, "max": max }),
            PropertyKind::Select { options } => json!({ "options": options }),
            PropertyKind::File { extensions } => json!({ "extensions": extensions }),
            PropertyKind::Range { min, max, step } => {
                json!({ "min": min, "max": max, "step": step })
            }
            _ => json!({}),
        };
        if let (Some(target), Json::Object(extra)) = (value.as_object_mut(), extra) {
            target.extend(extra);
        }
        value
    }
}

/// One property of a built-in block.
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyDef {
    /// The property's key.
    pub name: &'static str,
    /// What values it takes.
    pub kind: PropertyKind,
    /// The value used when the property is absent.
    pub default: Option<Json>,
    /// True when the block cannot run without it (such a property has no default).
    pub required: bool,
    /// Required only when another property has one of some values:
    /// `(property, values)`, e.g. `find` when `operation` is `replace`.
    pub required_when: Option<(&'static str, &'static [&'static str])>,
    /// One sentence for people.
    pub help: &'static str,
}

impl PropertyDef {
    /// The value a new property starts with: its default, else its kind's placeholder.
    pub fn initial_value(&self) -> Json {
        self.default
            .clone()
            .unwrap_or_else(|| self.kind.placeholder())
    }
}

/// One typed port of a built-in block.
#[derive(Clone, Debug, PartialEq)]
pub struct PortDef {
    /// The port's name.
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// For an input: false when the block runs without it.
    pub required: bool,
    /// One sentence for people.
    pub help: &'static str,
}

/// A built-in block type.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockDef {
    /// The `block_type`, e.g. `find_files`.
    pub name: &'static str,
    /// One line for lists and completion.
    pub summary: &'static str,
    /// A paragraph for hovers and `agentblocks blocks`.
    pub documentation: &'static str,
    /// Its settings, in display order.
    pub properties: Vec<PropertyDef>,
    /// Its input ports.
    pub inputs: Vec<PortDef>,
    /// Its output ports.
    pub outputs: Vec<PortDef>,
}

impl BlockDef {
    /// The property named `name`.
    pub fn property(&self, name: &str) -> Option<&PropertyDef> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The input port named `name`.
    pub fn input(&self, name: &str) -> Option<&PortDef> {
        self.inputs.iter().find(|p| p.name == name)
    }

    /// The output port named `name`.
    pub fn output(&self, name: &str) -> Option<&PortDef> {
        self.outputs.iter().find(|p| p.name == name)
    }

    /// The definition as JSON (what `agentblocks blocks --format json` prints for it).
    pub fn to_json(&self) -> Json {
        let properties: Vec<Json> = self
            .properties
            .iter()
            .map(|p| {
                let mut value = json!({
                    "name": p.name,
                    "type": p.kind.to_json(),
                    "required": p.required,
                    "help": p.help,
                });
                if let Some(object) = value.as_object_mut() {
                    if let Some(default) = &p.default {
                        object.insert("default".into(), default.clone());
                    }
                    if let Some((property, values)) = p.required_when {
                        object.insert(
                            "required_when".into(),
                            json!({ "property": property, "values": values }),
                        );
                    }
                }
                value
            })
            .collect();
        json!({
            "name": self.name,
            "summary": self.summary,
            "documentation": self.documentation,
            "properties": properties,
            "inputs": self.inputs.iter().map(PortDef::to_json).collect::<Vec<_>>(),
            "outputs": self.outputs.iter().map(PortDef::to_json).collect::<Vec<_>>(),
        })
    }
}

impl PortDef {
    fn to_json(&self) -> Json {
        json!({
            "name": self.name,
            "type": self.ty.to_string(),
            "required": self.required,
            "help": self.help,
        })
    }
}

/// How a code language exchanges values with its block's ports.
#[derive(Clone, Debug, PartialEq)]
pub struct LanguageDef {
    /// The `language` string, e.g. `python`.
    pub name: &'static str,
    /// One line for people.
    pub summary: &'static str,
    /// How input port values reach the code.
    pub inputs: &'static str,
    /// How output port values are read back.
    pub outputs: &'static str,
    /// Output ports filled by the runtime rather than the code, with their types. A block may
    /// declare them (with a type these are assignable to) or leave them out.
    pub special_outputs: Vec<PortDef>,
    /// When true, a block of this language may only declare [`LanguageDef::special_outputs`].
    pub only_special_outputs: bool,
    /// When set, a block of this language declares at most this many outputs.
    pub max_outputs: Option<usize>,
}

impl LanguageDef {
    /// The language as JSON (part of `agentblocks blocks --format json`).
    pub fn to_json(&self) -> Json {
        json!({
            "name": self.name,
            "summary": self.summary,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "special_outputs": self.special_outputs.iter().map(PortDef::to_json).collect::<Vec<_>>(),
            "only_special_outputs": self.only_special_outputs,
            "max_outputs": self.max_outputs,
        })
    }
}

fn ty(text: &str) -> Type {
    // Every type string in this file is a literal tested by `all_catalogue_types_parse`.
    parse_type(text).unwrap_or(Type::Named("Any".to_string()))
}

fn port(name: &'static str, ty_text: &str, help: &'static str) -> PortDef {
    PortDef {
        name,
        ty: ty(ty_text),
        required: true,
        help,
    }
}

fn optional_port(name: &'static str, ty_text: &str, help: &'static str) -> PortDef {
    PortDef {
        required: false,
        ..port(name, ty_text, help)
    }
}

fn prop(name: &'static str, kind: PropertyKind, help: &'static str) -> PropertyDef {
    PropertyDef {
        name,
        kind,
        default: None,
        required: false,
        required_when: None,
        help,
    }
}

fn required(mut def: PropertyDef) -> PropertyDef {
    def.required = true;
    def
}

fn default(mut def: PropertyDef, value: Json) -> PropertyDef {
    def.default = Some(value);
    def
}

fn required_when(
    mut def: PropertyDef,
    property: &'static str,
    values: &'static [&'static str],
) -> PropertyDef {
    def.required_when = Some((property, values));
    def
}

const TRANSFORM_OPERATIONS: &[&str] = &[
    "upper",
    "lower",
    "trim",
    "replace",
    "regex_replace",
    "template",
];

const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

static BLOCKS: LazyLock<Vec<BlockDef>> = LazyLock::new(|| {
    use PropertyKind::*;
    vec![
        BlockDef {
            name: "find_files",
            summary: "Find files under a directory whose names match glob patterns",
            documentation: "Walks `directory` (recursively unless `recursive` is false) and \
                outputs the paths of the files whose names match any of `patterns`, in \
                lexicographic order, stopping after `max_files` when it is set.",
            properties: vec![
                required(prop("directory", Directory, "The directory to search")),
                default(
                    prop(
                        "patterns",
                        TextList,
                        "Glob patterns a file name must match (any)",
                    ),
                    json!(["*"]),
                ),
                default(
                    prop("recursive", Boolean, "Search subdirectories too"),
                    json!(true),
                ),
                prop(
                    "max_files",
                    Integer {
                        min: Some(1),
                        max: None,
                    },
                    "Stop after this many files (no limit when absent)",
                ),
            ],
            inputs: vec![],
            outputs: vec![port("files", "List[Path]", "The matching files")],
        },
        BlockDef {
            name: "read_file",
            summary: "Read a text file",
            documentation: "Reads the file at `path` as UTF-8 text.",
            properties: vec![required(prop(
                "path",
                File { extensions: &[] },
                "The file to read",
            ))],
            inputs: vec![],
            outputs: vec![port("content", "String", "The file's text")],
        },
        BlockDef {
            name: "write_file",
            summary: "Write text to a file",
            documentation: "Writes the `content` input to the file at `path` (atomically, \
                creating missing parent directories) and outputs the path written.",
            properties: vec![
                required(prop("path", File { extensions: &[] }, "The file to write")),
                default(
                    prop("append", Boolean, "Append instead of replacing the file"),
                    json!(false),
                ),
            ],
            inputs: vec![port("content", "String", "The text to write")],
            outputs: vec![port("path", "Path", "The file written")],
        },
        BlockDef {
            name: "filter_content",
            summary: "Keep the files whose content matches a pattern",
            documentation: "Reads each file of `files` and keeps those whose text contains \
                `pattern` (a regular expression when `regex` is true); `invert` keeps the \
                others instead.",
            properties: vec![
                required(prop(
                    "pattern",
                    Text,
                    "The text (or regular expression) to look for",
                )),
                default(
                    prop("regex", Boolean, "Treat `pattern` as a regular expression"),
                    json!(false),
                ),
                default(
                    prop("invert", Boolean, "Keep the files that do not match"),
                    json!(false),
                ),
            ],
            inputs: vec![port("files", "List[Path]", "The files to filter")],
            outputs: vec![port("files", "List[Path]", "The files kept")],
        },
        BlockDef {
            name: "transform_text",
            summary: "Transform text: change case, trim, replace or fill a template",
            documentation: "Applies `operation` to the `text` input: `upper`, `lower`, \
                `trim`, `replace` (every `find` by `replace`), `regex_replace` (`find` is a \
                regular expression, `replace` may use `$1`) or `template` (`template` with \
                `{text}` replaced by the input).",
            properties: vec![
                required(prop(
                    "operation",
                    Select {
                        options: TRANSFORM_OPERATIONS,
                    },
                    "What to do to the text",
                )),
                required_when(
                    prop("find", Text, "The text or regular expression to replace"),
                    "operation",
                    &["replace", "regex_replace"],
                ),
                default(prop("replace", Text, "The replacement"), json!("")),
                required_when(
                    prop("template", Text, "The template; `{text}` is the input"),
                    "operation",
                    &["template"],
                ),
            ],
            inputs: vec![port("text", "String", "The text to transform")],
            outputs: vec![port("text", "String", "The transformed text")],
        },
        BlockDef {
            name: "http_request",
            summary: "Make an HTTP request",
            documentation: "Sends `method` to `url` with `headers` and `body`, and outputs \
                the status, the body as text and the body parsed as JSON (null when it is \
                not JSON). A status of 400 or more is not a failure of the block.",
            properties: vec![
                required(prop("url", Text, "The URL, http:// or https://")),
                default(
                    prop(
                        "method",
                        Select {
                            options: HTTP_METHODS,
                        },
                        "The HTTP method",
                    ),
                    json!("GET"),
                ),
                default(prop("headers", TextMap, "Request headers"), json!({})),
                prop("body", Text, "The request body"),
                default(
                    prop(
                        "timeout",
                        Number {
                            min: Some(0.0),
                            max: None,
                        },
                        "Seconds before the request is abandoned",
                    ),
                    json!(30),
                ),
            ],
            inputs: vec![],
            outputs: vec![
                port("status", "Integer", "The HTTP status code"),
                port("body", "String", "The response body as text"),
                port("json", "Json", "The response body parsed as JSON, or null"),
            ],
        },
        BlockDef {
            name: "list_directory",
            summary: "List the entries of a directory",
            documentation: "Outputs the paths of the files and directories in `path` (and \
                below it when `recursive` is true), in lexicographic order.",
            properties: vec![
                required(prop("path", Directory, "The directory to list")),
                default(
                    prop("recursive", Boolean, "List subdirectories too"),
                    json!(false),
                ),
            ],
            inputs: vec![],
            outputs: vec![port("entries", "List[Path]", "The entries")],
        },
        BlockDef {
            name: "json_parse",
            summary: "Parse text as JSON",
            documentation: "Parses the `text` input as JSON; the block fails when it is not \
                JSON.",
            properties: vec![],
            inputs: vec![port("text", "String", "The JSON text")],
            outputs: vec![port("value", "Json", "The parsed value")],
        },
        BlockDef {
            name: "merge",
            summary: "Merge two or three values into one list",
            documentation: "Outputs one list: for each of `a`, `b` and `c` in that order that \
                has a value, the elements of a list value, or the value itself otherwise. `c` \
                is optional; chain merges for more inputs.",
            properties: vec![],
            inputs: vec![
                port("a", "Any", "The first value"),
                port("b", "Any", "The second value"),
                optional_port("c", "Any", "An optional third value"),
            ],
            outputs: vec![port(
                "merged",
                "List[Any]",
                "The values, lists flattened one level",
            )],
        },
    ]
});

static LANGUAGES: LazyLock<Vec<LanguageDef>> = LazyLock::new(|| {
    vec![
        LanguageDef {
            name: "python",
            summary: "Python 3, embedded",
            inputs: "each input is a global variable named after its port, as a native value \
                (a `Path` is a `pathlib.Path`)",
            outputs: "each output is read from the global variable of its name; a block with \
                one output whose code ends in an expression may output that expression's value",
            special_outputs: vec![],
            only_special_outputs: false,
            max_outputs: None,
        },
        LanguageDef {
            name: "javascript",
            summary: "JavaScript (ES2020) on QuickJS",
            inputs: "each input is a global constant named after its port (paths are strings)",
            outputs: "each output is read from the global variable of its name; a block with \
                one output may output the value of the code's last expression",
            special_outputs: vec![],
            only_special_outputs: false,
            max_outputs: None,
        },
        LanguageDef {
            name: "shell",
            summary: "A POSIX shell script run by `sh` in its own process group",
            inputs: "each input is an environment variable named after its port: text and \
                paths as is, anything else (lists included) as JSON",
            outputs: "only the process's `stdout`, `stderr` and `exit_code` (a non-zero exit \
                code fails the block unless `exit_code` is declared)",
            special_outputs: vec![
                port("stdout", "String", "Standard output"),
                port("stderr", "String", "Standard error"),
                port("exit_code", "Integer", "The exit status"),
            ],
            only_special_outputs: true,
            max_outputs: None,
        },
        LanguageDef {
            name: "sql",
            summary: "SQL on an in-memory SQLite database",
            inputs: "a list input becomes a table named after its port (a column per record \
                field or dictionary key); any other input is a named parameter `:name`",
            outputs: "the rows of the last statement, as a list of records, into the one output",
            special_outputs: vec![],
            only_special_outputs: false,
            max_outputs: Some(1),
        },
        LanguageDef {
            name: "rust",
            summary: "A Rust snippet (checked, not yet run by the engine)",
            inputs: "each input is a `let` binding named after its port, as a `serde_json::Value`",
            outputs: "each output is read from the binding of its name",
            special_outputs: vec![],
            only_special_outputs: false,
            max_outputs: None,
        },
    ]
});

/// The built-in block named `block_type`.
pub fn lookup(block_type: &str) -> Option<&'static BlockDef> {
    BLOCKS.iter().find(|def| def.name == block_type)
}

/// Every built-in block, in catalogue order.
pub fn blocks() -> impl Iterator<Item = &'static BlockDef> {
    BLOCKS.iter()
}

/// The code language named `name` (`python`, `javascript`, `shell`, `sql`, `rust`).
pub fn language(name: &str) -> Option<&'static LanguageDef> {
    LANGUAGES.iter().find(|def| def.name == name)
}

/// Every code language, in catalogue order.
pub fn languages() -> impl Iterator<Item = &'static LanguageDef> {
    LANGUAGES.iter()
}

/// The whole catalogue as JSON: `{"blocks": [...], "languages": [...]}`.
pub fn to_json() -> Json {
    json!({
        "blocks": blocks().map(BlockDef::to_json).collect::<Vec<_>>(),
        "languages": languages().map(LanguageDef::to_json).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_catalogue_types_parse() {
        // `ty` falls back to `Any` on a parse error; no catalogue port may be that fallback
        // unless it says `Any`.
        for def in blocks() {
            for port in def.inputs.iter().chain(&def.outputs) {
                assert!(port.ty != Type::Named("Any".into()) || def.name == "merge");
            }
        }
    }

    #[test]
    fn lookup_finds_every_required_block() {
        for name in [
            "find_files",
            "read_file",
            "write_file",
            "filter_content",
            "transform_text",
            "http_request",
            "list_directory",
            "json_parse",
            "merge",
        ] {
            assert!(lookup(name).is_some(), "{name}");
        }
        assert!(lookup("nope").is_none());
        let find = lookup("find_files").unwrap();
        assert_eq!(find.output("files").unwrap().ty.to_string(), "List[Path]");
        assert_eq!(
            find.property("patterns").unwrap().default,
            Some(json!(["*"]))
        );
        assert!(language("shell").unwrap().only_special_outputs);
        assert!(language("cobol").is_none());
    }

    #[test]
    fn defaults_fit_their_kinds_and_required_have_none() {
        for def in blocks() {
            for p in &def.properties {
                assert!(
                    !(p.required && p.default.is_some()),
                    "{}.{}",
                    def.name,
                    p.name
                );
            }
        }
        let json = to_json();
        assert_eq!(json["blocks"].as_array().unwrap().len(), 9);
    }
}
