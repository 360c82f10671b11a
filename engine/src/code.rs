//! The glue between the scheduler and the code executors (`executors::run_code`): code blocks
//! dispatch on their language on a blocking thread, hybrid blocks expand their template first,
//! and a cancelled or timed-out block sets the executor's [`CancelFlag`] (which kills its
//! process group or interrupts its interpreter) and waits for it to stop.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentblocks_dsl::model::{BlockKind, Document};
use agentblocks_dsl::types::Type;
use tokio_util::sync::CancellationToken;

use crate::events::{ErrorKind, EventKind, EventSink, LogStream};
use crate::executors::template::expand_template;
use crate::executors::{
    run_code, CancelFlag, CodeError, CodeRequest, LogLine, PythonSetting, SourceLocation, Stream,
};
use crate::run::Failure;
use crate::value::Value;

/// How long a stopped executor may take to notice before the engine stops waiting for it.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// One code execution's inputs, owned so it can move to a blocking thread.
pub(crate) struct CodeJob {
    pub block_id: String,
    pub language: String,
    pub code: String,
    pub dependencies: Vec<String>,
    pub inputs: Vec<(String, Value)>,
    pub outputs: Vec<(String, Type)>,
    pub input_types: Vec<(String, Type)>,
    pub named_types: Vec<(String, Type)>,
    pub workspace: PathBuf,
    pub timeout: Option<Duration>,
    pub workflow_path: PathBuf,
    pub code_line: u32,
    /// The code is one quoted string on `code_line` (`SourceLocation::inline`).
    pub code_inline: bool,
    /// For an expanded template, the template line of each code line (empty otherwise).
    pub line_map: Vec<u32>,
    pub python: PythonSetting,
}

/// Runs `job` on a blocking thread; `token` stops it.
pub(crate) async fn run_job(
    job: CodeJob,
    sink: EventSink,
    log: Arc<Mutex<Vec<String>>>,
    token: CancellationToken,
) -> Result<Vec<(String, Value)>, Failure> {
    let flag = CancelFlag::new();
    let thread_flag = flag.clone();
    let code_line = job.code_line;
    let mut task = tokio::task::spawn_blocking(move || {
        let log_line = |line: LogLine| {
            let stream = match line.stream {
                Stream::Stdout => LogStream::Stdout,
                Stream::Stderr => LogStream::Stderr,
            };
            if let Ok(mut log) = log.lock() {
                log.push(line.text.clone());
            }
            sink.emit(
                Some(&job.block_id),
                EventKind::Log {
                    stream,
                    line: line.text,
                },
            );
        };
        let request = CodeRequest {
            block_id: &job.block_id,
            code: &job.code,
            inputs: &job.inputs,
            outputs: &job.outputs,
            input_types: &job.input_types,
            named_types: &job.named_types,
            workspace: &job.workspace,
            timeout: job.timeout,
            cancel: &thread_flag,
            log: &log_line,
            source_offset: SourceLocation {
                file: job.workflow_path.clone(),
                line: job.code_line,
                line_map: job.line_map.clone(),
                inline: job.code_inline,
            },
            python: &job.python,
        };
        run_code(&job.language, &request, &job.dependencies)
    });
    let result = tokio::select! {
        result = &mut task => result,
        _ = token.cancelled() => {
            flag.cancel();
            match tokio::time::timeout(STOP_GRACE, &mut task).await {
                Ok(result) => result,
                Err(_) => return Err(Failure::new(
                    ErrorKind::Cancelled,
                    "cancelled (the code did not stop within 5s and was abandoned)",
                )),
            }
        }
    };
    match result {
        Ok(Ok(outputs)) => Ok(outputs),
        Ok(Err(error)) => Err(failure_of(error, code_line)),
        Err(join) => Err(Failure::new(
            ErrorKind::Failed,
            format!("the executor crashed: {join}"),
        )),
    }
}

fn failure_of(error: CodeError, _code_line: u32) -> Failure {
    let message = error.to_string();
    match error {
        CodeError::Failed {
            message,
            traceback,
            line,
        } => Failure {
            kind: ErrorKind::Failed,
            message,
            code_line: line,
            traceback,
        },
        CodeError::Timeout(_) => Failure::new(ErrorKind::Timeout, message),
        CodeError::Cancelled => Failure::new(ErrorKind::Cancelled, message),
        CodeError::OutputType { .. } | CodeError::MissingOutput { .. } => {
            Failure::new(ErrorKind::OutputType, message)
        }
        CodeError::Setup(message) => {
            let kind = if message.contains("not yet supported") || message.contains("not supported")
            {
                ErrorKind::Unsupported
            } else {
                ErrorKind::Setup
            };
            Failure::new(kind, message)
        }
    }
}

/// The code a hybrid block runs: its template expanded with its parameters.
pub fn expand_block(doc: &Document, block_id: &str) -> Result<String, String> {
    let block = doc
        .workflow
        .blocks
        .iter()
        .flatten()
        .find(|b| b.id.value == block_id)
        .ok_or_else(|| format!("the workflow has no block `{block_id}`"))?;
    match &block.kind {
        BlockKind::Hybrid {
            base_language,
            template,
            parameters,
            ..
        } => {
            let template = template
                .as_ref()
                .ok_or_else(|| format!("block `{block_id}` has no template"))?;
            expand_template(
                template,
                parameters.as_deref().unwrap_or(&[]),
                &base_language.value,
            )
        }
        other => Err(format!(
            "block `{block_id}` is a `{}` block, not a template",
            other.type_name()
        )),
    }
}
