//! The AgentBlocks engine: plans a workflow and runs it, one block or all, with built-in blocks
//! in Rust and code in Python, JavaScript, shell, SQL and templates, reporting everything on one
//! event stream.
//!
//! The public entry points, in the order a caller uses them:
//! - [`plan::plan`] (or [`plan_text`] from a file's text): check the workflow (any error stops
//!   here, nothing has run) and decide what runs where;
//! - [`explain`]: for each block, whether it will come from the cache, will run or may run
//!   (downstream of a block that will run), and why (code lenses: "cached 2m ago", "will run:
//!   input `files` changed");
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

use crate::cache::Cache;
use crate::plan::InputSource;

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
        /// Set when `--block` would take this upstream block's latest result although it is of
        /// an earlier version of the block or its inputs: what changed since ("code changed").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outdated: Option<String>,
    },
    /// It would run.
    WillRun {
        /// Why, e.g. "input `files` changed", "code changed", "no cached result".
        reason: String,
    },
    /// It reads the outputs of a block that will run (or may run), so whether its own result
    /// is cached depends on what that block produces: it cannot be known before the run.
    MayRun {
        /// Why, e.g. "depends on `save`, which will run".
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

/// For each block the plan selects (in plan order), whether a run with `options` would take its
/// result from the cache or run it, and why. Without the cache (`use_cache: false`) every block
/// runs. A block reading the outputs of a block that will run because its inputs or code
/// changed, or that writes a file, *may* run: its inputs are not known before the run. Blocks
/// that always run because they look at the world (`find_files`, `http_request`) are predicted
/// to give what they gave last time. `options.python`
/// is the environment the run would use (part of Python blocks' cache keys).
pub fn explain(plan: &Plan, options: &RunOptions) -> Vec<BlockExplanation> {
    let python = &options.python;
    let cache = Cache::open(&plan.workspace, &plan.workflow_path);
    // Each block's predicted outputs, when it is predicted from the cache.
    let mut known: Vec<Option<run::Outputs>> = vec![None; plan.blocks.len()];
    // Whether each block will run (true) or may run (false), when it is not from the cache.
    let mut runs: Vec<Option<bool>> = vec![None; plan.blocks.len()];
    let mut out = Vec::new();
    for &i in &plan.order {
        if !plan.selected[i] {
            continue;
        }
        let block = &plan.blocks[i];
        if !options.use_cache {
            out.push(BlockExplanation {
                block: block.id.clone(),
                decision: Decision::WillRun {
                    reason: "`--no-cache`".into(),
                },
            });
            continue;
        }
        // The first upstream block whose outputs cannot be predicted; else the inputs, made
        // as the run makes them.
        let unknown = block.inputs.iter().find_map(|input| match &input.source {
            InputSource::Connection { block: source, .. } if known[*source].is_none() => {
                Some(*source)
            }
            _ => None,
        });
        let inputs = match unknown {
            None => run::gather_inputs(plan, block, &known),
            Some(_) => Vec::new(),
        };
        let latest = cache.latest(&block.id);
        let will_run = |reason: String| Decision::WillRun { reason };
        let decision = if plan.use_latest[i] {
            match &latest {
                Some(entry) => {
                    known[i] = Some(Arc::new(run::values_of(plan, block, entry)));
                    Decision::Cached {
                        cached_at_ms: entry.created_at_ms,
                        outdated: match unknown {
                            None => cache::outdated(block, &inputs, &plan.workspace, python, entry),
                            Some(_) => None,
                        },
                    }
                }
                None => will_run("no cached result".into()),
            }
        } else if matches!(&plan.target, Target::Block(id) if *id == block.id) {
            will_run("it is the `--block` target".into())
        } else if let Some(reason) = cache::volatile_reason(block) {
            // What it gave last time (the files found, the response) is the best guess of what
            // it gives now, so blocks reading it are predicted from it; not so for a block that
            // writes a file, which the next blocks' keys see changed (its modification time).
            if !cache::writes_files(block) {
                known[i] = latest
                    .as_ref()
                    .map(|entry| Arc::new(run::values_of(plan, block, entry)));
            }
            will_run(format!("{reason}; it always runs"))
        } else if let (Some(_), None) = (unknown, &latest) {
            will_run("no cached result".into())
        } else if let Some(source) = unknown {
            let how = if runs[source] == Some(true) {
                "will"
            } else {
                "may"
            };
            Decision::MayRun {
                reason: format!("depends on `{}`, which {how} run", plan.blocks[source].id),
            }
        } else {
            let parts = cache::key_parts(block, &inputs, &plan.workspace, python);
            match cache.get(&parts.key()) {
                Some(entry) => {
                    known[i] = Some(Arc::new(run::values_of(plan, block, &entry)));
                    Decision::Cached {
                        cached_at_ms: entry.created_at_ms,
                        outdated: None,
                    }
                }
                None => will_run(cache::change_reason(&parts, latest.as_ref())),
            }
        };
        runs[i] = match decision {
            Decision::Cached { .. } => None,
            Decision::WillRun { .. } => Some(true),
            Decision::MayRun { .. } => Some(false),
        };
        out.push(BlockExplanation {
            block: block.id.clone(),
            decision,
        });
    }
    out
}
