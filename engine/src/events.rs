//! The one event stream of a run: everything the CLI, the language server and the preview show
//! comes from these events, in the order the engine emitted them.
//!
//! Events are serde-serializable; `agentblocks run --json` prints one per line. Every event has
//! a timestamp (`ts_ms`, milliseconds since the Unix epoch) and the id of the block it is about
//! (`block`, absent for run-level events); the rest depends on `event`, its kind.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use tokio::sync::mpsc;

/// One thing that happened during a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened, in milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// The block it is about; `None` for run-level events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The run began; nothing has executed yet.
    RunStarted {
        /// The run's id in the history (`agentblocks runs ID`); empty when not recorded.
        run_id: String,
        /// The workflow file.
        workflow: PathBuf,
        /// The ids of the blocks this run will consider, in the order they would run
        /// sequentially.
        blocks: Vec<String>,
        /// The mode the blocks run in: `sequential` or `parallel`.
        mode: String,
        /// At most this many blocks run at once.
        max_concurrent_blocks: usize,
    },
    /// All the block's inputs are ready; it waits for a free slot.
    BlockQueued,
    /// The block began executing (one event per attempt).
    BlockStarted {
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// A line the block printed.
    Log {
        /// `stdout` or `stderr`.
        stream: LogStream,
        /// The line, without its newline.
        line: String,
    },
    /// The block reports how far it is.
    Progress {
        /// Between 0 and 1, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fraction: Option<f64>,
        /// What it is doing.
        message: String,
    },
    /// The block succeeded.
    BlockFinished {
        /// Its outputs, in port order.
        outputs: Vec<OutputValue>,
        /// How long the successful attempt took, in milliseconds.
        duration_ms: u64,
        /// How many attempts it took.
        attempts: u32,
    },
    /// An attempt of the block failed.
    BlockFailed {
        /// What went wrong and where.
        error: BlockError,
        /// Which attempt failed.
        attempt: u32,
        /// True when another attempt follows (after a backoff delay).
        will_retry: bool,
        /// How long the attempt took, in milliseconds.
        duration_ms: u64,
    },
    /// The block did not run.
    BlockSkipped {
        /// Why, e.g. "upstream block `parse` failed".
        reason: String,
    },
    /// The block's outputs came from the cache; it did not execute.
    BlockCached {
        /// Its outputs, in port order.
        outputs: Vec<OutputValue>,
        /// When the cached result was made, in milliseconds since the Unix epoch.
        cached_at_ms: u64,
        /// The cache key.
        key: String,
        /// Set when `--block` took this upstream block's latest result although it is of an
        /// earlier version of the block or its inputs: what changed since ("code changed").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outdated: Option<String>,
    },
    /// Something worth knowing that is not an error.
    Warning {
        /// The message (lowercase, things in backticks).
        message: String,
    },
    /// The run ended; no event follows.
    RunFinished {
        /// How it ended.
        status: RunStatus,
        /// How long it took, in milliseconds.
        duration_ms: u64,
        /// Blocks that executed and succeeded.
        succeeded: usize,
        /// Blocks served from the cache.
        cached: usize,
        /// Blocks that failed.
        failed: usize,
        /// Blocks stopped while they ran, by the run's cancellation or timeout or by another
        /// block's failure under `Stop` (their `block_failed` has kind `cancelled`); not counted
        /// in `failed`.
        #[serde(default)]
        cancelled: usize,
        /// Blocks that did not run.
        skipped: usize,
    },
}

/// Which output stream a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    /// Standard output (`print`, `console.log`).
    Stdout,
    /// Standard error.
    Stderr,
}

/// One output of a block: a short preview for display and the full value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputValue {
    /// The output port.
    pub port: String,
    /// A short one-line preview of the value.
    pub preview: String,
    /// The whole value as JSON.
    pub value: Json,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every block it ran succeeded (or came from the cache).
    Succeeded,
    /// A block failed.
    Failed,
    /// The run was cancelled (Ctrl-C, or the caller's token).
    Cancelled,
    /// The whole-run timeout passed.
    TimedOut,
}

impl RunStatus {
    /// The lowercase name used in the history and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::TimedOut => "timed_out",
        }
    }

    /// The status in words: `timed out` rather than `timed_out`.
    pub fn describe(self) -> &'static str {
        match self {
            RunStatus::TimedOut => "timed out",
            other => other.as_str(),
        }
    }
}

/// Why a block failed, located in the workflow file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// A one-line, lowercase cause (`ZeroDivisionError: division by zero`).
    pub message: String,
    /// Where: the block in the workflow file, and the line inside its code when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<ErrorLocation>,
    /// The language's traceback, with lines mapped to the workflow file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceback: Option<String>,
}

/// The kinds of block failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The block's work failed (an exception, a non-zero exit, a missing file).
    Failed,
    /// The block's timeout passed.
    Timeout,
    /// The run was cancelled while the block ran.
    Cancelled,
    /// An output did not have its port's type, or was not set.
    OutputType,
    /// The block could not start (a missing dependency, a bad property).
    Setup,
    /// The block's kind is not supported by this engine yet (AI, plugins, Rust code).
    Unsupported,
}

impl ErrorKind {
    /// True when trying again may help.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Failed | ErrorKind::Timeout)
    }
}

/// A place in the workflow file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorLocation {
    /// The workflow file.
    pub file: PathBuf,
    /// The block's byte range in the file.
    pub span_start: usize,
    /// One past the block's last byte.
    pub span_end: usize,
    /// The block's first line, 1-based.
    pub line: u32,
    /// The block's first column, 1-based (in characters).
    pub column: u32,
    /// The line in the workflow file where the code failed, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_line: Option<u32>,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A duration in whole milliseconds.
pub fn millis(duration: Duration) -> u64 {
    duration.as_millis().min(u128::from(u64::MAX)) as u64
}

/// The sending end of a run's event stream. Cloning shares the stream.
#[derive(Clone, Debug)]
pub struct EventSink {
    tx: mpsc::UnboundedSender<Event>,
}

impl EventSink {
    /// A new stream: the sink and its receiving end.
    pub fn channel() -> (EventSink, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (EventSink { tx }, rx)
    }

    /// Sends an event stamped now. A closed receiver is not an error: nobody is listening.
    pub fn emit(&self, block: Option<&str>, kind: EventKind) {
        let _ = self.tx.send(Event {
            ts_ms: now_ms(),
            block: block.map(str::to_string),
            kind,
        });
    }
}

/// Formats an event as one plain line for a terminal or a log file (no timestamp).
pub fn describe(event: &Event) -> String {
    let block = event.block.as_deref().unwrap_or("");
    match &event.kind {
        EventKind::RunStarted {
            workflow,
            blocks,
            mode,
            ..
        } => format!(
            "run started: `{}`, {} block{}, {mode}",
            workflow.display(),
            blocks.len(),
            if blocks.len() == 1 { "" } else { "s" }
        ),
        EventKind::BlockQueued => format!("{block}: queued"),
        EventKind::BlockStarted { attempt } if *attempt > 1 => {
            format!("{block}: started (attempt {attempt})")
        }
        EventKind::BlockStarted { .. } => format!("{block}: started"),
        EventKind::Log { stream, line } => match stream {
            LogStream::Stdout => format!("{block} | {line}"),
            LogStream::Stderr => format!("{block} ! {line}"),
        },
        EventKind::Progress { fraction, message } => match fraction {
            Some(f) => format!("{block}: {:.0}% {message}", f * 100.0),
            None => format!("{block}: {message}"),
        },
        EventKind::BlockFinished {
            outputs,
            duration_ms,
            ..
        } => format!(
            "{block}: finished in {} {}",
            format_ms(*duration_ms),
            outputs_line(outputs)
        )
        .trim_end()
        .to_string(),
        EventKind::BlockFailed {
            error, will_retry, ..
        } => {
            let place = error
                .location
                .as_ref()
                .map(|l| format!(" at {}:{}", l.file.display(), l.code_line.unwrap_or(l.line)))
                .unwrap_or_default();
            let retry = if *will_retry { " (will retry)" } else { "" };
            format!("{block}: failed{place}: {}{retry}", error.message)
        }
        EventKind::BlockSkipped { reason } => format!("{block}: skipped: {reason}"),
        EventKind::BlockCached {
            outputs, outdated, ..
        } => {
            let earlier = outdated
                .as_ref()
                .map(|why| format!(" (an earlier version: {why})"))
                .unwrap_or_default();
            format!("{block}: from cache{earlier} {}", outputs_line(outputs))
                .trim_end()
                .to_string()
        }
        EventKind::Warning { message } if block.is_empty() => format!("warning: {message}"),
        EventKind::Warning { message } => format!("{block}: warning: {message}"),
        EventKind::RunFinished {
            status,
            duration_ms,
            succeeded,
            cached,
            failed,
            cancelled,
            skipped,
        } => format!(
            "run {} in {}: {succeeded} ran, {cached} cached, {failed} failed, {}{skipped} skipped",
            status.describe(),
            format_ms(*duration_ms),
            if *cancelled > 0 {
                format!("{cancelled} cancelled, ")
            } else {
                String::new()
            }
        ),
    }
}

fn outputs_line(outputs: &[OutputValue]) -> String {
    outputs
        .iter()
        .map(|o| format!("{} = {}", o.port, o.preview))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A duration for people: `12ms`, `1.5s`, `2m 3s` (the language server's wording too).
pub use agentblocks_dsl::ide::run::duration as format_ms;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_flat_with_their_kind() {
        let event = Event {
            ts_ms: 5,
            block: Some("find".into()),
            kind: EventKind::BlockStarted { attempt: 1 },
        };
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(
            text,
            r#"{"ts_ms":5,"block":"find","event":"block_started","attempt":1}"#
        );
        let back: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn a_timed_out_run_reads_as_words() {
        let event = Event {
            ts_ms: 0,
            block: None,
            kind: EventKind::RunFinished {
                status: RunStatus::TimedOut,
                duration_ms: 1500,
                succeeded: 1,
                cached: 0,
                failed: 0,
                cancelled: 0,
                skipped: 1,
            },
        };
        assert_eq!(
            describe(&event),
            "run timed out in 1.5s: 1 ran, 0 cached, 0 failed, 1 skipped"
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_ms(12), "12ms");
        assert_eq!(format_ms(1500), "1.5s");
        assert_eq!(format_ms(123_000), "2m 3s");
    }
}
