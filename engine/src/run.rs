//! The scheduler: runs a [`Plan`]'s blocks as soon as their inputs are ready, emitting one
//! stream of [`Event`](crate::events::Event)s.
//!
//! - Ready blocks wait in a queue ordered by their rank in the plan's stable topological order,
//!   so `Sequential` (one slot) runs exactly that order, and `Parallel` fills up to
//!   `max_concurrent_blocks` slots from the front of the queue.
//! - Each block first asks the cache; then runs up to `max_attempts` times, each attempt under
//!   the block's timeout, with the backoff's delay between attempts.
//! - A failure under `Stop` cancels the running blocks and skips the rest; under `Continue` it
//!   skips only the blocks that depend on it, transitively.
//! - The caller's [`CancellationToken`] and the whole-run timeout stop everything; running code
//!   is killed (process groups, interpreter interrupts) before the run reports.
//! - Each block's end is written to the history as it happens; rollback restores files written
//!   by built-ins when the run did not succeed and the workflow asked for it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::builtins::{run_builtin, BuiltinContext, Journal};
use crate::cache::{self, Cache, CacheEntry};
use crate::code::{run_job, CodeJob};
use crate::events::{
    millis, now_ms, BlockError, ErrorKind, ErrorLocation, EventKind, EventSink, OutputValue,
    RunStatus,
};
use crate::executors::PythonSetting;
use crate::history::{BlockRecord, History};
use crate::plan::{ErrorPolicy, InputSource, Plan, PlannedBlock, Work};
use crate::value::Value;

/// How long an output preview may be, in characters.
const PREVIEW_CHARS: usize = 120;

/// What the caller decides about how a plan runs.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Read and write the result cache.
    pub use_cache: bool,
    /// Record the run in `<workspace>/.agentblocks/runs.db`.
    pub record_history: bool,
    /// The environment Python blocks import from (`--python`, the `pythonPath` setting).
    pub python: PythonSetting,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            use_cache: true,
            record_history: true,
            python: PythonSetting::Embedded,
        }
    }
}

/// Why a block did not produce outputs (internal to the engine; events carry [`BlockError`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The cause.
    pub message: String,
    /// The workflow-file line where code failed.
    pub code_line: Option<u32>,
    /// The language's traceback.
    pub traceback: Option<String>,
}

impl Failure {
    /// A failure with only a kind and a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            code_line: None,
            traceback: None,
        }
    }
}

/// How one block ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockStatus {
    /// It ran and succeeded.
    Succeeded,
    /// Its outputs came from the cache.
    Cached,
    /// It failed (after its retries).
    Failed,
    /// It did not run.
    Skipped,
}

impl BlockStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockStatus::Succeeded => "succeeded",
            BlockStatus::Cached => "cached",
            BlockStatus::Failed => "failed",
            BlockStatus::Skipped => "skipped",
        }
    }
}

/// One block's result in a [`RunReport`].
#[derive(Clone, Debug, PartialEq)]
pub struct BlockReport {
    /// The block's id.
    pub id: String,
    /// How it ended.
    pub status: BlockStatus,
    /// Its outputs (empty unless it succeeded or was cached).
    pub outputs: Vec<(String, Json)>,
    /// How long its last attempt took.
    pub duration: Duration,
    /// How many attempts it made.
    pub attempts: u32,
    /// The failure, or the reason it was skipped.
    pub error: Option<BlockError>,
    /// What it printed.
    pub log: Vec<String>,
}

/// What a run did.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// The history id, when recorded.
    pub run_id: Option<i64>,
    /// How it ended.
    pub status: RunStatus,
    /// How long it took.
    pub duration: Duration,
    /// The blocks the run considered, in plan order.
    pub blocks: Vec<BlockReport>,
}

impl RunReport {
    /// The report of block `id`.
    pub fn block(&self, id: &str) -> Option<&BlockReport> {
        self.blocks.iter().find(|b| b.id == id)
    }

    /// Output `port` of block `id`.
    pub fn output(&self, id: &str, port: &str) -> Option<&Json> {
        self.block(id)?
            .outputs
            .iter()
            .find(|(p, _)| p == port)
            .map(|(_, v)| v)
    }
}

/// A finished block's outputs, shared by the blocks that read them.
/// A block's output values, by port, shared between the blocks reading them.
pub(crate) type Outputs = Arc<Vec<(String, Value)>>;

/// Everything the block tasks share.
struct Shared {
    plan: Arc<Plan>,
    sink: EventSink,
    cache: Option<Cache>,
    journal: Journal,
    python: PythonSetting,
}

/// What a block task returns.
struct Outcome {
    result: Result<(Vec<(String, Value)>, bool), Failure>,
    duration: Duration,
    attempts: u32,
    log: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    Queued,
    Running,
    Done,
    Failed,
    Skipped,
}

/// Runs `plan`, sending events to `sink`, until it ends or `cancel` is cancelled.
pub async fn run_plan(
    plan: Arc<Plan>,
    options: RunOptions,
    sink: EventSink,
    cancel: CancellationToken,
) -> RunReport {
    let started = Instant::now();
    let history = if options.record_history {
        match History::open(&plan.workspace) {
            Ok(history) => Some(history),
            Err(e) => {
                sink.emit(
                    None,
                    EventKind::Warning {
                        message: format!("{e}; this run is not recorded"),
                    },
                );
                None
            }
        }
    } else {
        None
    };
    let run_id = history
        .as_ref()
        .and_then(|h| h.start_run(&plan.workflow_path).ok());
    // Without the cache (`--no-cache`) nothing is read from it, not even `--block`'s upstream
    // results: those blocks run.
    let cache = options
        .use_cache
        .then(|| Cache::open(&plan.workspace, &plan.workflow_path));
    let shared = Arc::new(Shared {
        plan: plan.clone(),
        sink: sink.clone(),
        cache: cache.clone(),
        journal: Journal::default(),
        python: options.python.clone(),
    });
    let latest_cache = cache;

    let n = plan.blocks.len();
    let selected: Vec<usize> = plan
        .order
        .iter()
        .copied()
        .filter(|&i| plan.selected[i])
        .collect();
    sink.emit(
        None,
        EventKind::RunStarted {
            run_id: run_id.map(|id| id.to_string()).unwrap_or_default(),
            workflow: plan.workflow_path.clone(),
            blocks: selected
                .iter()
                .map(|&i| plan.blocks[i].id.clone())
                .collect(),
            mode: match plan.settings.mode {
                crate::plan::Mode::Sequential => "sequential".into(),
                crate::plan::Mode::Parallel => "parallel".into(),
            },
            max_concurrent_blocks: plan.settings.max_concurrent,
        },
    );
    for warning in &plan.warnings {
        sink.emit(
            None,
            EventKind::Warning {
                message: warning.clone(),
            },
        );
    }

    let mut state = vec![State::Skipped; n];
    let mut remaining = vec![0usize; n];
    for &i in &selected {
        state[i] = State::Waiting;
        remaining[i] = plan.blocks[i]
            .dependencies
            .iter()
            .filter(|&&d| plan.selected[d])
            .count();
    }
    let mut outputs: Vec<Option<Outputs>> = vec![None; n];
    let mut reports: HashMap<usize, BlockReport> = HashMap::new();
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> = BinaryHeap::new();

    // `--block`: upstream blocks with a latest cached result take it instead of running.
    for &i in &selected {
        if !plan.use_latest[i] {
            continue;
        }
        let Some(entry) = latest_cache
            .as_ref()
            .and_then(|c| c.latest(&plan.blocks[i].id))
        else {
            continue;
        };
        let values = values_of(&plan, &plan.blocks[i], &entry);
        // Say when the result is of an earlier version (of the block, or of inputs known
        // from the upstream results taken the same way).
        let outdated = known_inputs(&plan, &plan.blocks[i], &outputs).and_then(|inputs| {
            cache::outdated(
                &plan.blocks[i],
                &inputs,
                &plan.workspace,
                &options.python,
                &entry,
            )
        });
        sink.emit(
            Some(&plan.blocks[i].id),
            EventKind::BlockCached {
                outputs: previews(&values),
                cached_at_ms: entry.created_at_ms,
                key: entry.key.clone(),
                outdated,
            },
        );
        state[i] = State::Done;
        reports.insert(
            i,
            report(
                &plan.blocks[i],
                BlockStatus::Cached,
                &values,
                Duration::ZERO,
                0,
                None,
                Vec::new(),
            ),
        );
        outputs[i] = Some(Arc::new(values));
    }
    // Blocks whose every selected upstream is already done are ready.
    for &i in &selected {
        if state[i] == State::Waiting {
            remaining[i] = plan.blocks[i]
                .dependencies
                .iter()
                .filter(|&&d| plan.selected[d] && state[d] != State::Done)
                .count();
        }
    }
    for &i in &selected {
        if state[i] == State::Waiting && remaining[i] == 0 {
            state[i] = State::Queued;
            ready.push(Reverse((plan.rank[i], i)));
            sink.emit(Some(&plan.blocks[i].id), EventKind::BlockQueued);
        }
    }

    let stop_token = cancel.child_token();
    let deadline = plan
        .settings
        .run_timeout
        .map(|t| tokio::time::Instant::now() + t);
    let mut running: JoinSet<(usize, Outcome)> = JoinSet::new();
    let mut task_block: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut stop_reason: Option<String> = None;
    let mut status = RunStatus::Succeeded;
    let limit = plan.settings.max_concurrent.max(1);

    loop {
        while stop_reason.is_none() && running.len() < limit {
            let Some(Reverse((_, i))) = ready.pop() else {
                break;
            };
            let inputs = gather_inputs(&plan, &plan.blocks[i], &outputs);
            state[i] = State::Running;
            let shared = shared.clone();
            let token = stop_token.child_token();
            let handle = running.spawn(async move {
                let outcome = run_block(&shared, i, inputs, token).await;
                (i, outcome)
            });
            task_block.insert(handle.id(), i);
        }
        if running.is_empty() {
            break;
        }
        let sleep = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            joined = running.join_next_with_id() => {
                let Some(joined) = joined else { continue };
                let (i, outcome) = match joined {
                    Ok((_, (i, outcome))) => (i, outcome),
                    Err(error) => {
                        let Some(&i) = task_block.get(&error.id()) else { continue };
                        (i, Outcome {
                            result: Err(Failure::new(ErrorKind::Failed, format!("the block's task failed: {error}"))),
                            duration: Duration::ZERO,
                            attempts: 1,
                            log: Vec::new(),
                        })
                    }
                };
                let block = &plan.blocks[i];
                match outcome.result {
                    Ok((values, cached)) => {
                        state[i] = State::Done;
                        let block_status = if cached { BlockStatus::Cached } else { BlockStatus::Succeeded };
                        reports.insert(i, report(block, block_status, &values, outcome.duration, outcome.attempts, None, outcome.log));
                        outputs[i] = Some(Arc::new(values));
                        for &d in &block.dependents {
                            if state[d] != State::Waiting {
                                continue;
                            }
                            remaining[d] = remaining[d].saturating_sub(1);
                            if remaining[d] == 0 {
                                state[d] = State::Queued;
                                ready.push(Reverse((plan.rank[d], d)));
                                sink.emit(Some(&plan.blocks[d].id), EventKind::BlockQueued);
                            }
                        }
                    }
                    Err(failure) => {
                        if failure.kind == ErrorKind::Cancelled && stop_reason.is_none() && cancel.is_cancelled() {
                            // The run's cancellation reached the block (its token is a child
                            // of the run's) before this loop saw it: the run was cancelled.
                            stop_reason = Some("the run was cancelled".to_string());
                            status = RunStatus::Cancelled;
                            stop_token.cancel();
                        }
                        state[i] = State::Failed;
                        let error = block_error(&plan, block, &failure);
                        reports.insert(i, report(block, BlockStatus::Failed, &[], outcome.duration, outcome.attempts, Some(error), outcome.log));
                        if failure.kind == ErrorKind::Cancelled && stop_reason.is_some() {
                            // Stopped by the run, not a failure of its own.
                        } else if status == RunStatus::Succeeded {
                            status = RunStatus::Failed;
                        }
                        if stop_reason.is_none() {
                            match block.on_error {
                                ErrorPolicy::Stop => {
                                    stop_reason = Some(format!("block `{}` failed", block.id));
                                    stop_token.cancel();
                                }
                                ErrorPolicy::Continue => {
                                    skip_dependents(&plan, i, &mut state, &mut reports, &sink);
                                }
                            }
                        }
                    }
                }
                if let (Some(history), Some(run_id), Some(report)) = (&history, run_id, reports.get(&i)) {
                    let _ = history.record_block(run_id, &record(report));
                }
            }
            _ = cancel.cancelled(), if stop_reason.is_none() => {
                stop_reason = Some("the run was cancelled".to_string());
                status = RunStatus::Cancelled;
                stop_token.cancel();
            }
            _ = sleep, if stop_reason.is_none() => {
                stop_reason = Some("the run timed out".to_string());
                status = RunStatus::TimedOut;
                stop_token.cancel();
            }
        }
    }

    let reason = stop_reason.unwrap_or_else(|| "it was not reached".to_string());
    for &i in &selected {
        if matches!(state[i], State::Waiting | State::Queued) {
            state[i] = State::Skipped;
            skip(&plan, i, &reason, &mut reports, &sink);
            if let (Some(history), Some(run_id), Some(report)) = (&history, run_id, reports.get(&i))
            {
                let _ = history.record_block(run_id, &record(report));
            }
        }
    }

    if status != RunStatus::Succeeded && plan.settings.rollback {
        let (restored, failed) = shared.journal.restore();
        for path in restored {
            sink.emit(
                None,
                EventKind::Warning {
                    message: format!("rolled back `{}`", path.display()),
                },
            );
        }
        for (path, error) in failed {
            sink.emit(
                None,
                EventKind::Warning {
                    message: format!("could not roll back `{}`: {error}", path.display()),
                },
            );
        }
    }

    let blocks: Vec<BlockReport> = selected.iter().filter_map(|i| reports.remove(i)).collect();
    let count = |s: BlockStatus| blocks.iter().filter(|b| b.status == s).count();
    let stopped = |b: &BlockReport| {
        b.status == BlockStatus::Failed
            && b.error.as_ref().map(|e| e.kind) == Some(ErrorKind::Cancelled)
    };
    let cancelled = blocks.iter().filter(|b| stopped(b)).count();
    let duration = started.elapsed();
    if let (Some(history), Some(run_id)) = (&history, run_id) {
        let _ = history.finish_run(run_id, status.as_str());
    }
    sink.emit(
        None,
        EventKind::RunFinished {
            status,
            duration_ms: millis(duration),
            succeeded: count(BlockStatus::Succeeded),
            cached: count(BlockStatus::Cached),
            failed: count(BlockStatus::Failed) - cancelled,
            cancelled,
            skipped: count(BlockStatus::Skipped),
        },
    );
    RunReport {
        run_id,
        status,
        duration,
        blocks,
    }
}

fn skip(
    plan: &Plan,
    i: usize,
    reason: &str,
    reports: &mut HashMap<usize, BlockReport>,
    sink: &EventSink,
) {
    let block = &plan.blocks[i];
    sink.emit(
        Some(&block.id),
        EventKind::BlockSkipped {
            reason: reason.to_string(),
        },
    );
    let error = BlockError {
        kind: ErrorKind::Cancelled,
        message: reason.to_string(),
        location: None,
        traceback: None,
    };
    reports.insert(
        i,
        report(
            block,
            BlockStatus::Skipped,
            &[],
            Duration::ZERO,
            0,
            Some(error),
            Vec::new(),
        ),
    );
}

fn skip_dependents(
    plan: &Plan,
    failed: usize,
    state: &mut [State],
    reports: &mut HashMap<usize, BlockReport>,
    sink: &EventSink,
) {
    let reason = format!("upstream block `{}` failed", plan.blocks[failed].id);
    let mut stack: Vec<usize> = plan.blocks[failed].dependents.clone();
    stack.sort_by_key(|&d| std::cmp::Reverse(plan.rank[d]));
    while let Some(d) = stack.pop() {
        if !matches!(state[d], State::Waiting | State::Queued) {
            continue;
        }
        state[d] = State::Skipped;
        skip(plan, d, &reason, reports, sink);
        stack.extend(plan.blocks[d].dependents.iter().copied());
    }
}

fn report(
    block: &PlannedBlock,
    status: BlockStatus,
    values: &[(String, Value)],
    duration: Duration,
    attempts: u32,
    error: Option<BlockError>,
    log: Vec<String>,
) -> BlockReport {
    BlockReport {
        id: block.id.clone(),
        status,
        outputs: values
            .iter()
            .map(|(p, v)| (p.clone(), v.to_json()))
            .collect(),
        duration,
        attempts,
        error,
        log,
    }
}

fn record(report: &BlockReport) -> BlockRecord {
    BlockRecord {
        block: report.id.clone(),
        status: report.status.as_str().to_string(),
        duration_ms: millis(report.duration),
        outputs: Json::Object(report.outputs.iter().cloned().collect()),
        log: report.log.join("\n"),
        error: report.error.as_ref().map(|e| e.message.clone()),
    }
}

fn previews(values: &[(String, Value)]) -> Vec<OutputValue> {
    values
        .iter()
        .map(|(port, value)| OutputValue {
            port: port.clone(),
            preview: value.preview(PREVIEW_CHARS),
            value: value.to_json(),
        })
        .collect()
}

/// The typed values of a cached entry, for the block's output ports.
pub(crate) fn values_of(
    plan: &Plan,
    block: &PlannedBlock,
    entry: &CacheEntry,
) -> Vec<(String, Value)> {
    entry
        .outputs
        .iter()
        .map(|(port, json)| {
            let value = match block.outputs.iter().find(|(p, _)| p == port) {
                Some((_, ty)) => Value::from_json_typed_in(json, ty, &|name| plan.named_type(name)),
                None => Value::from_json(json),
            };
            (port.clone(), value)
        })
        .collect()
}

pub(crate) fn gather_inputs(
    plan: &Plan,
    block: &PlannedBlock,
    outputs: &[Option<Outputs>],
) -> Vec<(String, Value)> {
    let mut values = Vec::with_capacity(block.inputs.len());
    for input in &block.inputs {
        let value = match &input.source {
            InputSource::Connection {
                block: source,
                port,
            } => outputs[*source]
                .as_ref()
                .and_then(|o| o.iter().find(|(p, _)| p == port))
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null),
            InputSource::Value { value, .. } => {
                Value::from_json_typed_in(value, &input.ty, &|name| plan.named_type(name))
            }
            InputSource::Absent => continue,
        };
        values.push((input.name.clone(), value));
    }
    values
}

/// The block's input values when every upstream block it reads has outputs; `None` otherwise.
fn known_inputs(
    plan: &Plan,
    block: &PlannedBlock,
    outputs: &[Option<Outputs>],
) -> Option<Vec<(String, Value)>> {
    let ready = block.inputs.iter().all(|input| match &input.source {
        InputSource::Connection { block: source, .. } => outputs[*source].is_some(),
        _ => true,
    });
    ready.then(|| gather_inputs(plan, block, outputs))
}

fn block_error(plan: &Plan, block: &PlannedBlock, failure: &Failure) -> BlockError {
    let span = block.span();
    BlockError {
        kind: failure.kind,
        message: failure.message.clone(),
        location: Some(ErrorLocation {
            file: plan.workflow_path.clone(),
            span_start: span.start,
            span_end: span.end,
            line: block.line_col.0,
            column: block.line_col.1,
            code_line: failure.code_line,
        }),
        traceback: failure.traceback.clone(),
    }
}

/// Runs one block: cache, then attempts with timeout and backoff.
async fn run_block(
    shared: &Shared,
    i: usize,
    inputs: Vec<(String, Value)>,
    token: CancellationToken,
) -> Outcome {
    let plan = &shared.plan;
    let block = &plan.blocks[i];
    let sink = &shared.sink;
    let forced = matches!(&plan.target, crate::plan::Target::Block(id) if *id == block.id);
    let mut key_parts = None;
    if let Some(cache) = &shared.cache {
        if cache::volatile_reason(block).is_none() {
            let parts = cache::key_parts(block, &inputs, &plan.workspace, &shared.python);
            if !forced {
                if let Some(entry) = cache.get(&parts.key()) {
                    // This run used it: it is the block's latest result now (what `--block`
                    // reads and `prune` keeps), whichever result was latest before.
                    if let Err(e) = cache.put_latest(&entry) {
                        sink.emit(
                            Some(&block.id),
                            EventKind::Warning {
                                message: format!("cannot write the cache: {e}"),
                            },
                        );
                    }
                    let values = values_of(plan, block, &entry);
                    sink.emit(
                        Some(&block.id),
                        EventKind::BlockCached {
                            outputs: previews(&values),
                            cached_at_ms: entry.created_at_ms,
                            key: entry.key.clone(),
                            outdated: None,
                        },
                    );
                    return Outcome {
                        result: Ok((values, true)),
                        duration: Duration::ZERO,
                        attempts: 0,
                        log: Vec::new(),
                    };
                }
            }
            key_parts = Some(parts);
        }
    }

    let log = Arc::new(Mutex::new(Vec::new()));
    let mut attempt = 0;
    loop {
        attempt += 1;
        sink.emit(Some(&block.id), EventKind::BlockStarted { attempt });
        let started = Instant::now();
        let attempt_token = token.child_token();
        let work = execute(shared, block, &inputs, attempt_token.clone(), log.clone());
        let result = tokio::select! {
            result = work => result,
            _ = sleep_opt(block.timeout) => {
                attempt_token.cancel();
                Err(Failure::new(ErrorKind::Timeout, format!(
                    "timed out after {}",
                    crate::events::format_ms(millis(block.timeout.unwrap_or_default()))
                )))
            }
        };
        let result = result.and_then(|values| check_outputs(plan, block, values));
        let duration = started.elapsed();
        match result {
            Ok(values) => {
                if let Some(cache) = &shared.cache {
                    let keyed = key_parts.is_some();
                    let parts = key_parts.unwrap_or_default();
                    let entry = CacheEntry {
                        key: if keyed { parts.key() } else { String::new() },
                        block: block.id.clone(),
                        created_at_ms: now_ms(),
                        parts,
                        outputs: values
                            .iter()
                            .map(|(p, v)| (p.clone(), v.to_json()))
                            .collect(),
                    };
                    let stored = if keyed {
                        cache.put(&entry)
                    } else {
                        cache.put_latest(&entry)
                    };
                    if let Err(e) = stored {
                        sink.emit(
                            Some(&block.id),
                            EventKind::Warning {
                                message: format!("cannot write the cache: {e}"),
                            },
                        );
                    }
                }
                sink.emit(
                    Some(&block.id),
                    EventKind::BlockFinished {
                        outputs: previews(&values),
                        duration_ms: millis(duration),
                        attempts: attempt,
                    },
                );
                return Outcome {
                    result: Ok((values, false)),
                    duration,
                    attempts: attempt,
                    log: take_log(&log),
                };
            }
            Err(mut failure) => {
                if token.is_cancelled() && failure.kind != ErrorKind::Cancelled {
                    failure = Failure::new(ErrorKind::Cancelled, "cancelled");
                }
                let will_retry = failure.kind.is_retryable()
                    && attempt < block.max_attempts
                    && !token.is_cancelled();
                sink.emit(
                    Some(&block.id),
                    EventKind::BlockFailed {
                        error: block_error(plan, block, &failure),
                        attempt,
                        will_retry,
                        duration_ms: millis(duration),
                    },
                );
                if !will_retry {
                    return Outcome {
                        result: Err(failure),
                        duration,
                        attempts: attempt,
                        log: take_log(&log),
                    };
                }
                let delay = plan
                    .settings
                    .backoff
                    .delay(plan.settings.retry_base_delay, attempt);
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = token.cancelled() => {
                        return Outcome {
                            result: Err(Failure::new(ErrorKind::Cancelled, "cancelled")),
                            duration,
                            attempts: attempt,
                            log: take_log(&log),
                        };
                    }
                }
            }
        }
    }
}

fn take_log(log: &Mutex<Vec<String>>) -> Vec<String> {
    log.lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default()
}

async fn sleep_opt(timeout: Option<Duration>) {
    match timeout {
        Some(timeout) => tokio::time::sleep(timeout).await,
        None => std::future::pending().await,
    }
}

/// Keeps the block's effective outputs, in port order, checking each against its type.
fn check_outputs(
    plan: &Plan,
    block: &PlannedBlock,
    values: Vec<(String, Value)>,
) -> Result<Vec<(String, Value)>, Failure> {
    let mut values = values;
    let mut out = Vec::with_capacity(block.outputs.len());
    for (port, ty) in &block.outputs {
        let Some(position) = values.iter().position(|(p, _)| p == port) else {
            if matches!(block.work, Work::Code { .. } | Work::Template { .. }) {
                // A language's special output nobody declared or reads (a shell's `stderr`).
                continue;
            }
            return Err(Failure::new(
                ErrorKind::OutputType,
                format!("output `{port}` was not set"),
            ));
        };
        let (_, value) = values.swap_remove(position);
        value
            .check(ty, &|name| plan.named_type(name))
            .map_err(|mismatch| {
                Failure::new(
                    ErrorKind::OutputType,
                    format!("output `{port}` has the wrong type: {mismatch}"),
                )
            })?;
        out.push((port.clone(), value));
    }
    Ok(out)
}

async fn execute(
    shared: &Shared,
    block: &PlannedBlock,
    inputs: &[(String, Value)],
    token: CancellationToken,
    log: Arc<Mutex<Vec<String>>>,
) -> Result<Vec<(String, Value)>, Failure> {
    let plan = &shared.plan;
    match &block.work {
        Work::Builtin {
            block_type,
            properties,
        } => {
            let progress = |fraction: Option<f64>, message: String| {
                shared
                    .sink
                    .emit(Some(&block.id), EventKind::Progress { fraction, message });
            };
            let ctx = BuiltinContext {
                workspace: &plan.workspace,
                journal: &shared.journal,
                timeout: block.timeout,
                progress: &progress,
            };
            tokio::select! {
                result = run_builtin(block_type, properties, inputs, &ctx) => result,
                _ = token.cancelled() => Err(Failure::new(ErrorKind::Cancelled, "cancelled")),
            }
        }
        Work::Code {
            language,
            code,
            dependencies,
        } => {
            let job = code_job(
                shared,
                block,
                language,
                code.clone(),
                dependencies.clone(),
                inputs,
            );
            run_job(job, shared.sink.clone(), log, token).await
        }
        Work::Template { language } => {
            let expansion = match &block.block.kind {
                agentblocks_dsl::model::BlockKind::Hybrid {
                    template: Some(template),
                    parameters,
                    ..
                } => crate::executors::template::expand_template_mapped(
                    template,
                    parameters.as_deref().unwrap_or(&[]),
                    language,
                )
                .map_err(|e| {
                    Failure::new(ErrorKind::Setup, format!("cannot expand the template: {e}"))
                })?,
                _ => return Err(Failure::new(ErrorKind::Setup, "the block has no template")),
            };
            let mut job = code_job(shared, block, language, expansion.code, Vec::new(), inputs);
            job.line_map = expansion.lines;
            run_job(job, shared.sink.clone(), log, token).await
        }
        Work::Unsupported(message) => Err(Failure::new(ErrorKind::Unsupported, message.clone())),
    }
}

fn code_job(
    shared: &Shared,
    block: &PlannedBlock,
    language: &str,
    code: String,
    dependencies: Vec<String>,
    inputs: &[(String, Value)],
) -> CodeJob {
    let plan = &shared.plan;
    CodeJob {
        block_id: block.id.clone(),
        language: language.to_string(),
        code,
        dependencies,
        inputs: inputs.to_vec(),
        outputs: block.code_outputs.clone(),
        input_types: block
            .inputs
            .iter()
            .map(|input| (input.name.clone(), input.ty.clone()))
            .collect(),
        named_types: plan.named_types.clone(),
        workspace: plan.workspace.clone(),
        timeout: block.timeout,
        workflow_path: plan.workflow_path.clone(),
        code_line: block.code_line,
        code_inline: block.code_inline,
        line_map: Vec::new(),
        python: shared.python.clone(),
    }
}
