//! The AgentBlocks engine: plans a workflow and runs it, one block or all, with built-in blocks
//! in Rust and code in Python, JavaScript, shell, SQL and templates, reporting everything on one
//! event stream.
//!
//! The public entry points, in the order a caller uses them:
//! - [`plan::plan`] (or [`plan_text`] from a file's text): check the workflow (any error stops
//!   here, nothing has run) and decide what runs where;
//! - [`explain`]: for each block, whether it will come from the cache or run, and why (code
//!   lenses: "cached 2m ago", "will run: input `files` changed");
//! - [`start`]: run the plan on the current tokio runtime; the [`RunHandle`] gives the event
//!   stream, a cancellation token and the final [`run::RunReport`];
//! - [`expand_block`]: a template block's expanded code;
//! - [`history::History`]: past runs.
//!
//! Architecture invariants: this crate depends on the `dsl` model, types, catalogue and checker,
//! never on its syntax tree; everything a run does is reported on its one event stream; a block
//! never runs before the checker has accepted the whole workflow.

#![warn(missing_docs)]

pub mod builtins;
pub mod cache;
mod code;
pub mod events;
pub mod executors;
pub mod history;
pub mod plan;
pub mod run;
pub mod value;

use std::sync::Arc;

use agentblocks_dsl::convert::{analyze, FileKind};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use code::expand_block;
pub use events::{Event, EventKind, RunStatus};
pub use executors::{PythonEnvError, PythonEnvironment, PythonSetting};
pub use plan::{plan, Plan, PlanError, PlanOptions, Target};
pub use run::{RunOptions, RunReport};

use crate::cache::{Cache, CacheEntry};
use crate::plan::InputSource;
use crate::value::Value;

/// A running workflow.
#[derive(Debug)]
pub struct RunHandle {
    /// The run's events, in order; the last one is `RunFinished`.
    pub events: UnboundedReceiver<Event>,
    /// Cancel this to stop the run: running blocks are killed, the rest skipped.
    pub cancel: CancellationToken,
    /// The run itself; resolves to its report.
    pub task: JoinHandle<RunReport>,
}

impl RunHandle {
    /// Waits for the run to end, dropping the events not yet read.
    pub async fn wait(self) -> RunReport {
        drop(self.events);
        match self.task.await {
            Ok(report) => report,
            Err(error) => RunReport {
                run_id: None,
                status: RunStatus::Failed,
                duration: std::time::Duration::ZERO,
                blocks: vec![run::BlockReport {
                    id: String::new(),
                    status: run::BlockStatus::Failed,
                    outputs: Vec::new(),
                    duration: std::time::Duration::ZERO,
                    attempts: 0,
                    error: Some(events::BlockError {
                        kind: events::ErrorKind::Failed,
                        message: format!("the engine failed: {error}"),
                        location: None,
                        traceback: None,
                    }),
                    log: Vec::new(),
                }],
            },
        }
    }
}

/// Starts running `plan` on the current tokio runtime (call it from inside one).
pub fn start(plan: Plan, options: RunOptions) -> RunHandle {
    let (sink, events) = events::EventSink::channel();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(run::run_plan(Arc::new(plan), options, sink, cancel.clone()));
    RunHandle {
        events,
        cancel,
        task,
    }
}

/// Runs `plan` to the end and returns its report with every event, in order.
pub async fn run_collect(plan: Plan, options: RunOptions) -> (RunReport, Vec<Event>) {
    let mut handle = start(plan, options);
    let mut events = Vec::new();
    while let Some(event) = handle.events.recv().await {
        events.push(event);
    }
    let report = handle.wait().await;
    (report, events)
}

/// Reads a workflow's text (of `kind`) and plans it: syntax errors and checker errors alike come
/// back as [`PlanError::Invalid`].
pub fn plan_text(kind: FileKind, text: &str, options: &PlanOptions) -> Result<Plan, PlanError> {
    let analysis = analyze(kind, text);
    match analysis.document {
        Some(document) if !analysis.has_errors() => plan::plan(&document, Some(text), options),
        _ => Err(PlanError::Invalid(analysis.diagnostics)),
    }
}

/// What a run would do with one block.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Its outputs would come from the cache.
    Cached {
        /// When the cached result was made, in milliseconds since the Unix epoch.
        cached_at_ms: u64,
    },
    /// It would run.
    WillRun {
        /// Why, e.g. "input `files` changed", "code changed", "no cached result".
        reason: String,
    },
}

/// One block's [`Decision`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockExplanation {
    /// The block's id.
    pub block: String,
    /// What a run would do.
    #[serde(flatten)]
    pub decision: Decision,
}

/// For each block the plan selects (in plan order), whether a run with the cache would take its
/// result from the cache or run it, and why. Upstream outputs are predicted from the cache: a
/// block that always runs (it reads the file system) is assumed to produce its latest outputs.
/// `python` is the environment the run would use (part of Python blocks' cache keys).
pub fn explain(plan: &Plan, python: &PythonSetting) -> Vec<BlockExplanation> {
    let cache = Cache::open(&plan.workspace, &plan.workflow_path);
    let mut known: Vec<Option<Vec<(String, Value)>>> = vec![None; plan.blocks.len()];
    let mut out = Vec::new();
    for &i in &plan.order {
        if !plan.selected[i] {
            continue;
        }
        let block = &plan.blocks[i];
        let latest = cache.latest(&block.id);
        let decision = if plan.use_latest[i] {
            match &latest {
                Some(entry) => {
                    known[i] = Some(entry_values(entry));
                    Decision::Cached {
                        cached_at_ms: entry.created_at_ms,
                    }
                }
                None => Decision::WillRun {
                    reason: "no cached result".into(),
                },
            }
        } else if matches!(&plan.target, Target::Block(id) if *id == block.id) {
            Decision::WillRun {
                reason: "it is the `--block` target".into(),
            }
        } else if let Some(reason) = cache::volatile_reason(block) {
            known[i] = latest.as_ref().map(entry_values);
            Decision::WillRun {
                reason: format!("{reason}; it always runs"),
            }
        } else {
            let mut inputs = Vec::new();
            let mut unknown = None;
            for input in &block.inputs {
                match &input.source {
                    InputSource::Connection {
                        block: source,
                        port,
                    } => match &known[*source] {
                        Some(values) => {
                            let value = values
                                .iter()
                                .find(|(p, _)| p == port)
                                .map(|(_, v)| retype(v, &input.ty, plan))
                                .unwrap_or(Value::Null);
                            inputs.push((input.name.clone(), value));
                        }
                        None => {
                            unknown.get_or_insert(*source);
                        }
                    },
                    InputSource::Value { value, .. } => inputs.push((
                        input.name.clone(),
                        Value::from_json_typed_in(value, &input.ty, &|n| plan.named_type(n)),
                    )),
                    InputSource::Absent => {}
                }
            }
            match unknown {
                Some(source) => Decision::WillRun {
                    reason: format!("upstream block `{}` will run", plan.blocks[source].id),
                },
                None => {
                    let parts = cache::key_parts(block, &inputs, &plan.workspace, python);
                    match cache.get(&parts.key()) {
                        Some(entry) => {
                            known[i] = Some(entry_values(&entry));
                            Decision::Cached {
                                cached_at_ms: entry.created_at_ms,
                            }
                        }
                        None => Decision::WillRun {
                            reason: cache::change_reason(&parts, latest.as_ref()),
                        },
                    }
                }
            }
        };
        out.push(BlockExplanation {
            block: block.id.clone(),
            decision,
        });
    }
    out
}

fn entry_values(entry: &CacheEntry) -> Vec<(String, Value)> {
    entry
        .outputs
        .iter()
        .map(|(p, v)| (p.clone(), Value::from_json(v)))
        .collect()
}

fn retype(value: &Value, ty: &agentblocks_dsl::types::Type, plan: &Plan) -> Value {
    Value::from_json_typed_in(&value.to_json(), ty, &|n| plan.named_type(n))
}
