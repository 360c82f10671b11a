//! Planning: from a checked workflow model to what the scheduler runs.
//!
//! [`plan`] refuses a workflow with any checker error before anything executes, then builds the
//! block graph (petgraph), a stable topological order (ties by file order), each input's source
//! (a connection, the variable of its name, the port's default, an `--input` override, or
//! nothing when the input is not required), the effective port types, and each block's
//! settings (timeout, attempts, error policy).
//!
//! Settings beyond the `.agentblocks` format are read from keys the format leaves open, which
//! the DSL writes with `@` and which round-trip unchanged:
//! - `execution_config.rollback: true` (`config { @rollback = true }`): restore the files that
//!   built-ins wrote when the run fails;
//! - `execution_config.block_timeout: seconds` (`@block_timeout = 30`): every block's timeout;
//! - a block's `timeout: seconds` (`@timeout = 5` inside the block): that block's timeout.
//!
//! A setting the engine cannot use (a timeout that is not a positive number of seconds,
//! `max_concurrent_blocks = 0`, ...) is the checker's `invalid-setting` error, so it refuses the
//! run rather than being ignored; the settings are read through the same rules
//! (`dsl::check::settings`).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agentblocks_dsl::catalog;
use agentblocks_dsl::check::{self, settings, Index};
use agentblocks_dsl::line_index::LineIndex;
use agentblocks_dsl::model::{Block, BlockKind, Document, ErrorAction, Extra, Json, Span};
use agentblocks_dsl::types::{parse_type, value_fits, Type};
use agentblocks_dsl::Diagnostic;
use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::Map;

/// Which blocks a run executes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// Every block.
    #[default]
    All,
    /// One block; its upstream blocks' outputs come from their latest cached results, and only
    /// upstream blocks with no cached result run.
    Block(String),
    /// A block and everything it depends on.
    Until(String),
}

/// A value given for a variable or an input port from outside the workflow.
#[derive(Clone, Debug, PartialEq)]
pub enum Given {
    /// A JSON value (tests, callers that have one); it must fit the declared type.
    Json(Json),
    /// The text after `=` of `--var name=TEXT` or `--input port=TEXT`, read for the declared
    /// type by [`read_given`].
    Text(String),
}

impl From<Json> for Given {
    fn from(value: Json) -> Given {
        Given::Json(value)
    }
}

/// A value given on the command line for an input port (`--input port=VALUE` or
/// `--input block.port=VALUE`).
#[derive(Clone, Debug, PartialEq)]
pub struct InputOverride {
    /// The block, when given; otherwise the target block of `--block`, or every block with an
    /// input of that name.
    pub block: Option<String>,
    /// The input port.
    pub port: String,
    /// The value.
    pub value: Given,
}

/// Follows declared names (and `Optional`) down to the type a value is read for.
/// Reads a value given for a place of type `ty` (`None`: untyped), the rule of `--var` and
/// `--input`:
/// - for a text type (`String`, `Path`, `File`, `Directory`, optional or not, or a declared
///   name for one) the text is the value as it is, unless it is a JSON string literal, whose
///   contents are the value (`name=123` and `name='"123"'` both give `"123"`);
/// - for `Any`, `Json` or no type, the text is JSON when it parses as JSON, else a string;
/// - for every other type the text must be JSON and the value must fit the type
///   ([`value_fits`]).
///
/// A [`Given::Json`] value is taken as it is and must fit the type. The error is the reason,
/// to follow a naming of the place (`is `Integer`, and `abc` is not JSON ...`).
pub fn read_given(
    given: &Given,
    ty: Option<&Type>,
    named: &dyn Fn(&str) -> Option<Type>,
) -> Result<Json, String> {
    let Some(ty) = ty else {
        return Ok(match given {
            Given::Json(value) => value.clone(),
            Given::Text(text) => {
                serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.clone()))
            }
        });
    };
    let value = match given {
        Given::Json(value) => value.clone(),
        Given::Text(text) => match agentblocks_dsl::types::resolve_required(ty, named) {
            Type::Named(name) if matches!(name.as_str(), "Any" | "Json") => {
                serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.clone()))
            }
            Type::Named(name)
                if matches!(name.as_str(), "String" | "Path" | "File" | "Directory") =>
            {
                match serde_json::from_str(text) {
                    Ok(Json::String(inner)) => Json::String(inner),
                    _ => Json::String(text.clone()),
                }
            }
            _ => serde_json::from_str(text).map_err(|e| {
                format!(
                    "is `{}`, and `{text}` is not JSON ({e}); give a JSON value of that type",
                    ty.to_dsl()
                )
            })?,
        },
    };
    if value_fits(&value, ty, named) {
        Ok(value)
    } else {
        let shown = match given {
            Given::Text(text) => text.clone(),
            Given::Json(value) => value.to_string(),
        };
        Err(format!(
            "is `{}`, and `{shown}` is not a value of that type",
            ty.to_dsl()
        ))
    }
}

/// How a given value is written in messages: `--var name=TEXT`.
fn given_flag(flag: &str, name: &str, given: &Given) -> String {
    match given {
        Given::Text(text) => format!("`{flag} {name}={text}`"),
        Given::Json(value) => format!("`{flag} {name}={value}`"),
    }
}

/// What the caller decides about a run, beyond the workflow itself.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// The workflow file (for messages, locations and the cache's and history's records).
    pub workflow_path: PathBuf,
    /// The workspace: relative paths in the workflow are relative to it. Default: the
    /// workflow file's folder.
    pub workspace: Option<PathBuf>,
    /// `--var name=value`: variable values replacing the workflow's (read for the variable's
    /// type by [`read_given`]).
    pub vars: Vec<(String, Given)>,
    /// `--input`: input values replacing every other source (read for the port's type by
    /// [`read_given`]).
    pub inputs: Vec<InputOverride>,
    /// Which blocks to run.
    pub target: Target,
    /// The first retry's delay; later ones grow with the backoff (tests make this tiny).
    pub retry_base_delay: Duration,
}

impl PlanOptions {
    /// Options for running the whole workflow at `workflow_path`.
    pub fn new(workflow_path: impl Into<PathBuf>) -> PlanOptions {
        PlanOptions {
            workflow_path: workflow_path.into(),
            workspace: None,
            vars: Vec::new(),
            inputs: Vec::new(),
            target: Target::All,
            retry_base_delay: Duration::from_millis(200),
        }
    }
}

/// Why a workflow cannot run.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanError {
    /// The checker found errors (all of its diagnostics are kept, warnings too).
    Invalid(Vec<Diagnostic>),
    /// A usage problem: an unknown `--block`, a bad `--var` or `--input`.
    Usage(String),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Invalid(diagnostics) => {
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                write!(
                    f,
                    "the workflow has {errors} error{}",
                    if errors == 1 { "" } else { "s" }
                )
            }
            PlanError::Usage(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for PlanError {}

/// How blocks are scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One block at a time, in the plan's stable order.
    Sequential,
    /// As many ready blocks at once as `max_concurrent_blocks` allows.
    Parallel,
}

/// What happens when a block fails (after its retries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// Cancel what is running and skip the rest.
    Stop,
    /// Skip only the blocks that depend on the failed one.
    Continue,
}

/// How the delay between attempts grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    /// The same delay every time.
    Fixed,
    /// `base * attempt`.
    Linear,
    /// `base * 2^(attempt - 1)`.
    Exponential,
}

impl Backoff {
    /// The delay after failed attempt number `attempt` (1-based), with ±50% jitter, at most
    /// 30 seconds.
    pub fn delay(self, base: Duration, attempt: u32) -> Duration {
        let factor = match self {
            Backoff::Fixed => 1.0,
            Backoff::Linear => f64::from(attempt.max(1)),
            Backoff::Exponential => 2f64.powi(attempt.saturating_sub(1).min(20) as i32),
        };
        let jitter = 0.5 + fastrand::f64();
        let seconds = (base.as_secs_f64() * factor * jitter).min(30.0);
        Duration::from_secs_f64(seconds.max(0.0))
    }
}

/// Run-wide settings from `execution_config` and `error_handling`.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Sequential or parallel.
    pub mode: Mode,
    /// At most this many blocks at once (1 when sequential).
    pub max_concurrent: usize,
    /// The whole run's timeout.
    pub run_timeout: Option<Duration>,
    /// The backoff between attempts.
    pub backoff: Backoff,
    /// The first retry's delay.
    pub retry_base_delay: Duration,
    /// Restore files written by built-ins when the run fails.
    pub rollback: bool,
}

/// Where an input's value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum InputSource {
    /// An output of another block.
    Connection {
        /// The source block's number.
        block: usize,
        /// The source port.
        port: String,
    },
    /// A value known before the run.
    Value {
        /// The value.
        value: Json,
        /// Where it came from: `variable`, `default`, `--input`, `optional`.
        origin: &'static str,
    },
    /// Nothing: the input is not required and nothing feeds it; the code does not get it.
    Absent,
}

/// One input of a planned block.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedInput {
    /// The port name.
    pub name: String,
    /// Its type (`Any` when the declared type does not parse).
    pub ty: Type,
    /// Its source.
    pub source: InputSource,
}

/// What executes a block.
#[derive(Clone, Debug, PartialEq)]
pub enum Work {
    /// A built-in block, with its properties (catalogue defaults filled in).
    Builtin {
        /// The catalogue name, e.g. `find_files`.
        block_type: String,
        /// The properties by name.
        properties: Map<String, Json>,
    },
    /// Code in a language.
    Code {
        /// `python`, `javascript`, `shell`, `sql`, ...
        language: String,
        /// The source.
        code: String,
        /// Packages the code needs.
        dependencies: Vec<String>,
    },
    /// A hybrid block: its template is expanded, then run in the base language.
    Template {
        /// The base language.
        language: String,
    },
    /// Something this engine does not run yet; the message says what.
    Unsupported(String),
}

/// A block as the scheduler sees it.
#[derive(Clone, Debug)]
pub struct PlannedBlock {
    /// Its number: the position in the file.
    pub index: usize,
    /// Its id.
    pub id: String,
    /// The block in the model.
    pub block: Block,
    /// What executes it.
    pub work: Work,
    /// Its inputs with their sources.
    pub inputs: Vec<PlannedInput>,
    /// Its effective outputs (declared, plus catalogue ones) with their types.
    pub outputs: Vec<(String, Type)>,
    /// The outputs a code executor is asked for: the declared ones, plus a language's special
    /// outputs (a shell's `stdout`) that a connection reads.
    pub code_outputs: Vec<(String, Type)>,
    /// The block's 1-based line and column in the workflow file.
    pub line_col: (u32, u32),
    /// The 1-based line of the first line of its code in the workflow file.
    pub code_line: u32,
    /// True when the code is one quoted string (always in an `.agentblocks` file; a `"..."`
    /// string in the DSL): every line of the code is on `code_line`.
    pub code_inline: bool,
    /// The block's timeout.
    pub timeout: Option<Duration>,
    /// How many attempts at most.
    pub max_attempts: u32,
    /// What a failure does to the rest of the run.
    pub on_error: ErrorPolicy,
    /// The blocks that read this block's outputs.
    pub dependents: Vec<usize>,
    /// The blocks whose outputs this block reads.
    pub dependencies: Vec<usize>,
}

impl PlannedBlock {
    /// The span of the block in the workflow file.
    pub fn span(&self) -> Span {
        self.block.span
    }
}

/// A workflow ready to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The workflow file.
    pub workflow_path: PathBuf,
    /// The workspace folder (absolute when it could be made so).
    pub workspace: PathBuf,
    /// The blocks, in file order.
    pub blocks: Vec<PlannedBlock>,
    /// The dependency graph: node `i` is block `i`, an edge goes from producer to consumer.
    pub graph: DiGraph<usize, ()>,
    /// Every block in a stable topological order (ties by file order).
    pub order: Vec<usize>,
    /// `rank[i]`: block `i`'s position in `order`.
    pub rank: Vec<usize>,
    /// The blocks this run considers (see [`Target`]).
    pub selected: Vec<bool>,
    /// The blocks whose latest cached result stands in for running them (`--block`).
    pub use_latest: Vec<bool>,
    /// The target.
    pub target: Target,
    /// Run-wide settings.
    pub settings: Settings,
    /// Declared named types, to check values against.
    pub named_types: Vec<(String, Type)>,
    /// Things to tell before the run (e.g. `streaming` runs as `parallel`).
    pub warnings: Vec<String>,
    /// The checker's warnings and hints.
    pub diagnostics: Vec<Diagnostic>,
}

impl Plan {
    /// The block with id `id`.
    pub fn block(&self, id: &str) -> Option<&PlannedBlock> {
        self.blocks.iter().find(|b| b.id == id)
    }

    /// Resolves a declared type name.
    pub fn named_type(&self, name: &str) -> Option<Type> {
        self.named_types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    /// Whether a selected block runs Python code (so the run needs its Python environment).
    pub fn runs_python(&self) -> bool {
        self.blocks.iter().zip(&self.selected).any(|(block, selected)| {
            *selected
                && matches!(&block.work, Work::Code { language, .. } | Work::Template { language }
                    if language == "python")
        })
    }
}

/// Plans `doc` (read from `source`, when given, for line numbers in messages).
pub fn plan(
    doc: &Document,
    source: Option<&str>,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let diagnostics = check::check(doc);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(PlanError::Invalid(diagnostics));
    }
    let workflow = &doc.workflow;
    let index = Index::build(workflow);
    let workspace = workspace_of(options);
    let lines = source.map(|text| (text, LineIndex::new(text)));
    let line_col = |offset: usize| -> (u32, u32) {
        match &lines {
            Some((text, index)) => {
                let (line, col) = index.line_col(text, offset);
                (line as u32, col as u32)
            }
            None => (0, 0),
        }
    };

    let mut warnings = Vec::new();
    let settings = settings(doc, options, &mut warnings);
    let config_extra: &[Extra] = workflow.execution_config.as_ref().map_or(&[], |c| &c.extra);
    let default_block_timeout = extra_seconds(config_extra, "block_timeout");
    let (retry_attempts, workflow_action) = retry_and_action(doc);

    let mut variables: HashMap<&str, Json> = HashMap::new();
    for variable in workflow.variables.iter().flatten() {
        if let Some(value) = &variable.value {
            variables
                .entry(variable.name.value.as_str())
                .or_insert_with(|| value.value.clone());
        }
    }
    let named = |name: &str| index.named_type(name);
    // The variables given on the command line: their values must also fit the inputs they feed.
    let mut given_vars: HashMap<&str, String> = HashMap::new();
    for (name, given) in &options.vars {
        let Some(&variable) = index.variables.get(name.as_str()) else {
            return Err(PlanError::Usage(format!(
                "`--var {name}`: the workflow has no variable `{name}`"
            )));
        };
        let flag = given_flag("--var", name, given);
        let ty = match &variable.ty {
            Some(ty) => Some(index.parse_type(&ty.text).map_err(|e| {
                PlanError::Usage(format!("{flag}: the type of `{name}` does not parse: {e}"))
            })?),
            None => None,
        };
        let value = read_given(given, ty.as_deref(), &named)
            .map_err(|why| PlanError::Usage(format!("{flag}: the variable `{name}` {why}")))?;
        given_vars.insert(name.as_str(), flag);
        variables.insert(name.as_str(), value);
    }
    let named_types: Vec<(String, Type)> = index
        .types
        .iter()
        .filter_map(|(name, ty)| Some((name.to_string(), ty.clone()?)))
        .collect();

    let target_id = match &options.target {
        Target::All => None,
        Target::Block(id) | Target::Until(id) => Some(id.as_str()),
    };
    if let Some(id) = target_id {
        if index.block(id).is_none() {
            return Err(PlanError::Usage(format!(
                "the workflow has no block `{id}`"
            )));
        }
    }
    for input in &options.inputs {
        let block = input.block.as_deref().or(match &options.target {
            Target::Block(id) => Some(id.as_str()),
            _ => None,
        });
        let known = match block {
            Some(block) => index.block(block).is_some_and(|(i, _)| {
                index
                    .ports(i)
                    .is_some_and(|p| p.input(&input.port).is_some())
            }),
            None => index.all_ports().any(|p| p.input(&input.port).is_some()),
        };
        if !known {
            return Err(PlanError::Usage(format!(
                "`--input {}`: no block has an input `{}`{}",
                input.port,
                input.port,
                block
                    .map(|b| format!(" in block `{b}`"))
                    .unwrap_or_default()
            )));
        }
    }

    let mut blocks = Vec::with_capacity(index.blocks.len());
    let mut graph =
        DiGraph::<usize, ()>::with_capacity(index.blocks.len(), index.connections.len());
    for i in 0..index.blocks.len() {
        graph.add_node(i);
    }
    for (block_idx, block) in index.blocks.iter().enumerate() {
        // Every block of the index has ports.
        let Some(ports) = index.ports(block_idx) else {
            continue;
        };
        let mut inputs = Vec::new();
        let mut dependencies = Vec::new();
        for port in &ports.inputs {
            let ty = port
                .ty
                .as_deref()
                .cloned()
                .unwrap_or_else(|| Type::Named("Any".into()));
            let override_value = options.inputs.iter().find(|o| {
                o.port == port.name
                    && match (&o.block, &options.target) {
                        (Some(b), _) => b == &block.id.value,
                        (None, Target::Block(id)) => id == &block.id.value,
                        (None, _) => true,
                    }
            });
            let connection = index
                .incoming
                .get(&(block_idx, port.name))
                .and_then(|conns| conns.first())
                .and_then(|&c| index.connections.get(c))
                .and_then(|c| {
                    let (source, _) = index.block(&c.source_block.value)?;
                    Some((source, c.source_port.value.clone()))
                });
            let required = port
                .decl
                .and_then(|d| d.required.as_ref())
                .map(|r| r.value)
                .or(port.def.map(|d| d.required))
                .unwrap_or(true);
            let source = if let Some(o) = override_value {
                let value = read_given(&o.value, Some(&ty), &named).map_err(|why| {
                    let name = format!("{}.{}", block.id.value, port.name);
                    let flag = given_flag(
                        "--input",
                        o.block.as_ref().map_or(port.name, |_| &name),
                        &o.value,
                    );
                    PlanError::Usage(format!("{flag}: input `{name}` {why}"))
                })?;
                InputSource::Value {
                    value,
                    origin: "--input",
                }
            } else if let Some((source, port_name)) = connection {
                if !dependencies.contains(&source) {
                    dependencies.push(source);
                    graph.add_edge(NodeIndex::new(source), NodeIndex::new(block_idx), ());
                }
                InputSource::Connection {
                    block: source,
                    port: port_name,
                }
            } else if let Some(value) = variables.get(port.name) {
                if let Some(flag) = given_vars.get(port.name) {
                    if !value_fits(value, &ty, &named) {
                        return Err(PlanError::Usage(format!(
                            "{flag}: input `{}.{}` takes the variable `{}` and is `{}`, which \
                             `{value}` is not",
                            block.id.value,
                            port.name,
                            port.name,
                            ty.to_dsl()
                        )));
                    }
                }
                InputSource::Value {
                    value: value.clone(),
                    origin: "variable",
                }
            } else if let Some(default) = port.decl.and_then(|d| d.default.as_ref()) {
                InputSource::Value {
                    value: default.value.clone(),
                    origin: "default",
                }
            } else if !required {
                InputSource::Absent
            } else if matches!(&ty, Type::Applied(name, _) if name == "Optional") {
                InputSource::Value {
                    value: Json::Null,
                    origin: "optional",
                }
            } else {
                return Err(PlanError::Usage(format!(
                    "input `{}` of block `{}` has no value: connect it, declare a variable \
                     `{}`, give it a default, or pass `--input {}=JSON`",
                    port.name, block.id.value, port.name, port.name
                )));
            };
            inputs.push(PlannedInput {
                name: port.name.to_string(),
                ty,
                source,
            });
        }
        let code_outputs = ports
            .outputs
            .iter()
            .filter(|p| p.decl.is_some() || index.consumed.contains(&(block_idx, p.name)))
            .map(|p| {
                (
                    p.name.to_string(),
                    p.ty.as_deref()
                        .cloned()
                        .unwrap_or_else(|| Type::Named("Any".into())),
                )
            })
            .collect();
        let outputs = ports
            .outputs
            .iter()
            .map(|p| {
                (
                    p.name.to_string(),
                    p.ty.as_deref()
                        .cloned()
                        .unwrap_or_else(|| Type::Named("Any".into())),
                )
            })
            .collect();
        let work = work_of(block);
        let code_span = match &block.kind {
            BlockKind::Code {
                source_code: Some(code),
                ..
            } => Some(code.span),
            BlockKind::Hybrid {
                template: Some(template),
                ..
            } => Some(template.source.span),
            _ => None,
        };
        let (code_line, code_inline) = match (code_span, &lines) {
            (Some(span), Some((text, _))) => {
                let (line, _) = line_col(span.start);
                let rest = text.get(span.start..).unwrap_or_default();
                // A fenced body starts on the line after its opening fence; a quoted string
                // (JSON's, or the DSL's `"..."`) holds every line of the code on its own line.
                let fenced = rest.starts_with("```");
                (line + u32::from(fenced), rest.starts_with('"'))
            }
            _ => (line_col(block.span.start).0, false),
        };
        let block_action = match &block.kind {
            BlockKind::Code {
                error_handling: Some(action),
                ..
            } => Some(action_of(action)),
            _ => None,
        };
        let (on_error, action_attempts) = block_action.unwrap_or(workflow_action);
        let timeout = extra_seconds(&block.extra, "timeout").or(default_block_timeout);
        blocks.push(PlannedBlock {
            index: block_idx,
            id: block.id.value.clone(),
            block: block.clone(),
            work,
            inputs,
            outputs,
            code_outputs,
            line_col: line_col(block.span.start),
            code_line,
            code_inline,
            timeout,
            max_attempts: retry_attempts.max(action_attempts).max(1),
            on_error,
            dependents: Vec::new(),
            dependencies,
        });
    }
    for i in 0..blocks.len() {
        for dep in blocks[i].dependencies.clone() {
            blocks[dep].dependents.push(i);
        }
    }
    let order = stable_topological_order(&blocks)
        .ok_or_else(|| PlanError::Usage("the workflow's connections form a cycle".to_string()))?;
    let mut rank = vec![0; blocks.len()];
    for (position, &block) in order.iter().enumerate() {
        rank[block] = position;
    }

    let (selected, use_latest) = select(&blocks, &options.target);

    Ok(Plan {
        workflow_path: options.workflow_path.clone(),
        workspace,
        blocks,
        graph,
        order,
        rank,
        selected,
        use_latest,
        target: options.target.clone(),
        settings,
        named_types,
        warnings,
        diagnostics,
    })
}

fn workspace_of(options: &PlanOptions) -> PathBuf {
    let folder = match &options.workspace {
        Some(folder) => folder.clone(),
        None => options
            .workflow_path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    std::path::absolute(&folder).unwrap_or(folder)
}

fn settings(doc: &Document, options: &PlanOptions, warnings: &mut Vec<String>) -> Settings {
    let config = doc.workflow.execution_config.as_ref();
    let mode_text = config
        .and_then(|c| c.mode.as_ref())
        .map(|m| m.value.as_str())
        .unwrap_or("Parallel");
    let mode = match mode_text {
        "Sequential" => Mode::Sequential,
        "Parallel" => Mode::Parallel,
        other => {
            warnings.push(format!(
                "mode `{}` runs as `parallel` for now",
                other.to_lowercase()
            ));
            Mode::Parallel
        }
    };
    let max_concurrent = config
        .and_then(|c| c.max_concurrent_blocks.as_ref())
        .and_then(|n| count(n, 1024))
        .map_or(4, |n| n as usize);
    let run_timeout = config
        .and_then(|c| c.timeout.as_ref())
        .and_then(|n| seconds(&Json::Number(n.value.clone())));
    let backoff = match config
        .and_then(|c| c.retry_policy.as_ref())
        .and_then(|r| r.backoff.as_ref())
        .map(|b| b.value.as_str())
    {
        Some("Fixed") => Backoff::Fixed,
        Some("Linear") => Backoff::Linear,
        _ => Backoff::Exponential,
    };
    let rollback = config
        .and_then(|c| settings::extra(&c.extra, "rollback"))
        .and_then(|e| e.value.value.as_bool())
        .unwrap_or(false);
    Settings {
        mode,
        max_concurrent: if mode == Mode::Sequential {
            1
        } else {
            max_concurrent
        },
        run_timeout,
        backoff,
        retry_base_delay: options.retry_base_delay,
        rollback,
    }
}

/// A timeout as the checker's rule reads it (`check::settings::seconds`).
fn seconds(value: &Json) -> Option<Duration> {
    settings::seconds(value).map(|n| Duration::from_secs_f64(n.min(1e9)))
}

fn extra_seconds(extra: &[Extra], key: &str) -> Option<Duration> {
    settings::extra(extra, key).and_then(|e| seconds(&e.value.value))
}

/// A count (`max_concurrent_blocks`, attempts) as the checker's rule reads it, bounded.
fn count(n: &agentblocks_dsl::model::Num, max: u64) -> Option<u64> {
    settings::count(&n.value).map(|n| n.min(max))
}

/// The retry policy's attempts, and the workflow's error action with its attempts.
fn retry_and_action(doc: &Document) -> (u32, (ErrorPolicy, u32)) {
    let attempts = doc
        .workflow
        .execution_config
        .as_ref()
        .and_then(|c| c.retry_policy.as_ref())
        .and_then(|r| r.max_attempts.as_ref())
        .and_then(|n| count(n, 100))
        .map_or(1, |n| n as u32);
    let action = doc
        .workflow
        .error_handling
        .as_ref()
        .and_then(|e| e.on_block_error.as_ref())
        .map(action_of)
        .unwrap_or((ErrorPolicy::Stop, 1));
    (attempts, action)
}

/// An error action as a policy and a number of attempts: `Retry(n)` is `n` attempts, then stop.
fn action_of(action: &ErrorAction) -> (ErrorPolicy, u32) {
    match action {
        ErrorAction::Stop(_) => (ErrorPolicy::Stop, 1),
        ErrorAction::Continue(_) => (ErrorPolicy::Continue, 1),
        ErrorAction::Retry(n) => (ErrorPolicy::Stop, count(n, 100).map_or(1, |n| n as u32)),
    }
}

fn work_of(block: &Block) -> Work {
    match &block.kind {
        BlockKind::Visual {
            block_type,
            properties,
        } => {
            let mut map = Map::new();
            for property in properties.iter().flatten() {
                map.insert(property.key.value.clone(), property.value.value.clone());
            }
            if let Some(def) = catalog::lookup(&block_type.value) {
                for property in &def.properties {
                    if let (false, Some(default)) =
                        (map.contains_key(property.name), &property.default)
                    {
                        map.insert(property.name.to_string(), default.clone());
                    }
                }
            }
            Work::Builtin {
                block_type: block_type.value.clone(),
                properties: map,
            }
        }
        BlockKind::Code {
            language,
            source_code,
            dependencies,
            ..
        } => {
            if language.value == "rust" {
                return Work::Unsupported(
                    "`rust` code blocks are not supported yet: the engine cannot run Rust \
                     snippets"
                        .to_string(),
                );
            }
            Work::Code {
                language: language.value.clone(),
                code: source_code
                    .as_ref()
                    .map(|c| c.value.clone())
                    .unwrap_or_default(),
                dependencies: dependencies
                    .iter()
                    .flat_map(|d| d.value.iter().map(|s| s.value.clone()))
                    .collect(),
            }
        }
        BlockKind::Hybrid { base_language, .. } => Work::Template {
            language: base_language.value.clone(),
        },
        BlockKind::Ai { .. } => Work::Unsupported(
            "`ai` blocks are not supported yet: model calls arrive with the AI issue".to_string(),
        ),
        BlockKind::Plugin { plugin, .. } => Work::Unsupported(format!(
            "`plugin` blocks are not supported yet: plugin `{}` cannot run",
            plugin.value
        )),
    }
}

/// Kahn's algorithm with the ready blocks taken in file order; `None` on a cycle.
fn stable_topological_order(blocks: &[PlannedBlock]) -> Option<Vec<usize>> {
    let mut remaining: Vec<usize> = blocks.iter().map(|b| b.dependencies.len()).collect();
    let mut ready: BinaryHeap<Reverse<usize>> = remaining
        .iter()
        .enumerate()
        .filter(|(_, n)| **n == 0)
        .map(|(i, _)| Reverse(i))
        .collect();
    let mut order = Vec::with_capacity(blocks.len());
    while let Some(Reverse(block)) = ready.pop() {
        order.push(block);
        for &dependent in &blocks[block].dependents {
            remaining[dependent] -= 1;
            if remaining[dependent] == 0 {
                ready.push(Reverse(dependent));
            }
        }
    }
    (order.len() == blocks.len()).then_some(order)
}

/// The blocks a target selects, and those whose latest cached result stands in for them.
fn select(blocks: &[PlannedBlock], target: &Target) -> (Vec<bool>, Vec<bool>) {
    let n = blocks.len();
    let target_idx = match target {
        Target::All => return (vec![true; n], vec![false; n]),
        Target::Block(id) | Target::Until(id) => blocks.iter().position(|b| &b.id == id),
    };
    let Some(target_idx) = target_idx else {
        return (vec![false; n], vec![false; n]);
    };
    let mut selected = vec![false; n];
    let mut stack = vec![target_idx];
    let mut seen = HashSet::new();
    while let Some(block) = stack.pop() {
        if !seen.insert(block) {
            continue;
        }
        selected[block] = true;
        for input in &blocks[block].inputs {
            if let InputSource::Connection { block: source, .. } = &input.source {
                stack.push(*source);
            }
        }
    }
    let mut use_latest = vec![false; n];
    if matches!(target, Target::Block(_)) {
        for (i, flag) in use_latest.iter_mut().enumerate() {
            *flag = selected[i] && i != target_idx;
        }
    }
    (selected, use_latest)
}

/// Parses a type string, falling back to `Any` (the checker has reported bad ones).
pub fn type_or_any(text: &str) -> Type {
    parse_type(text).unwrap_or_else(|_| Type::Named("Any".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_text_is_read_for_the_declared_type() {
        let named = |name: &str| (name == "Name").then(|| Type::Named("String".into()));
        let read = |text: &str, ty: Option<&str>| {
            let ty = ty.map(|t| parse_type(t).unwrap());
            read_given(&Given::Text(text.into()), ty.as_ref(), &named)
        };
        let json = |text: &str| serde_json::from_str::<Json>(text).unwrap();
        assert_eq!(read("123", Some("String")), Ok(json(r#""123""#)));
        assert_eq!(read(r#""123""#, Some("String?")), Ok(json(r#""123""#)));
        assert_eq!(read("[1]", Some("Name")), Ok(json(r#""[1]""#)));
        assert_eq!(read("./src", Some("Path")), Ok(json(r#""./src""#)));
        assert_eq!(read("plain text", None), Ok(json(r#""plain text""#)));
        assert_eq!(read("[1, 2]", Some("Json")), Ok(json("[1, 2]")));
        assert_eq!(read("null", Some("Integer?")), Ok(Json::Null));
        assert_eq!(read("2", Some("Number")), Ok(json("2")));
        assert!(read("2.5", Some("Integer")).is_err());
        assert!(read("yes", Some("Boolean")).is_err());
        assert!(read(r#"{"a": 1}"#, Some("{a: String}")).is_err());
        assert!(read_given(
            &Given::Json(json("1")),
            Some(&parse_type("String").unwrap()),
            &named
        )
        .is_err());
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        let base = Duration::from_millis(100);
        let fixed = Backoff::Fixed.delay(base, 5);
        assert!(fixed >= Duration::from_millis(50) && fixed < Duration::from_millis(150));
        let exp = Backoff::Exponential.delay(base, 4);
        assert!(exp >= Duration::from_millis(400) && exp < Duration::from_millis(1200));
        assert!(Backoff::Exponential.delay(base, 1000) <= Duration::from_secs(30));
        let linear = Backoff::Linear.delay(base, 3);
        assert!(linear >= Duration::from_millis(150) && linear < Duration::from_millis(450));
    }
}
