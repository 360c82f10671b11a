//! Executors: run one code block's source in its language and return its outputs.
//!
//! Every executor is a synchronous function taking a [`CodeRequest`]; the scheduler calls them
//! from `tokio::task::spawn_blocking`. Each one
//! - gives the block its inputs as the language's native values ([`Value::Path`] is a
//!   `pathlib.Path` in Python and a string elsewhere),
//! - reads the outputs named like the output ports (or, with one output, the value of the code
//!   itself where the language has one: a lone Python expression, a JavaScript completion value,
//!   shell standard output, the last SQL query's rows),
//! - checks each output against its port's type ([`CodeError::OutputType`]),
//! - sends what the code prints to [`CodeRequest::log`] as it is printed,
//! - stops when [`CodeRequest::timeout`] passes or [`CodeRequest::cancel`] is set, leaving nothing
//!   running, and
//! - reports failures with line numbers in the workflow file ([`CodeRequest::source_offset`]).
//!
//! | language | function | feature |
//! |---|---|---|
//! | `python` | [`python::run_python`] | `python` |
//! | `javascript` | [`javascript::run_javascript`] | `javascript` |
//! | `shell` | [`shell::run_shell`] | always |
//! | `sql` | [`sql::run_sql`] | `sql` |
//! | any, via a hybrid template | [`template::expand_template`] then one of the above | always |
//!
//! [`run_code`] picks the executor by language name.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentblocks_dsl::types::Type;

use crate::value::{TypeMismatch, Value};
pub use python_env::{PythonEnvError, PythonEnvironment, PythonSetting};

#[cfg(feature = "javascript")]
pub mod javascript;
#[cfg(feature = "python")]
pub mod python;
pub mod python_env;
pub mod shell;
#[cfg(feature = "sql")]
pub mod sql;
pub mod template;

/// Everything an executor needs to run one block's code.
pub struct CodeRequest<'a> {
    /// The block's id, for messages.
    pub block_id: &'a str,
    /// The source code to run (already expanded, for a template).
    pub code: &'a str,
    /// Input values by port name.
    pub inputs: &'a [(String, Value)],
    /// Output ports and their declared types, in declaration order.
    pub outputs: &'a [(String, Type)],
    /// Input ports and their declared types (may be empty when they are not known; SQL reads
    /// a list input's record type to give an empty table its columns).
    pub input_types: &'a [(String, Type)],
    /// Declared types (`workflow.types`), to resolve named types when checking outputs.
    pub named_types: &'a [(String, Type)],
    /// The workspace folder: the working directory of shell code.
    pub workspace: &'a Path,
    /// Stop the code after this long.
    pub timeout: Option<Duration>,
    /// Set from another thread to stop the code.
    pub cancel: &'a CancelFlag,
    /// Receives what the code prints, line by line, as it is printed.
    pub log: &'a (dyn Fn(LogLine) + Sync),
    /// Where the code's first line is in the workflow file.
    pub source_offset: SourceLocation,
    /// The environment Python code imports from (other languages ignore it).
    pub python: &'a PythonSetting,
}

impl CodeRequest<'_> {
    /// The instant the timeout passes, if there is one.
    pub fn deadline(&self, start: Instant) -> Option<Instant> {
        self.timeout.and_then(|timeout| start.checked_add(timeout))
    }

    /// The error for a stop: [`CodeError::Cancelled`] when the flag is set, else a timeout.
    pub fn stop_error(&self) -> CodeError {
        if self.cancel.is_cancelled() {
            CodeError::Cancelled
        } else {
            CodeError::Timeout(self.timeout.unwrap_or_default())
        }
    }

    /// Maps a 1-based line of the code to the workflow file's line (through the template's
    /// line map for an expanded template).
    pub fn workflow_line(&self, code_line: u32) -> u32 {
        self.source_offset.workflow_line(code_line)
    }

    /// Resolves a declared type name.
    pub fn resolve_type(&self, name: &str) -> Option<Type> {
        self.named_types
            .iter()
            .find(|(declared, _)| declared == name)
            .map(|(_, ty)| ty.clone())
    }

    /// Checks `value` against output port `port`'s type.
    pub fn check_output(&self, port: &str, ty: &Type, value: &Value) -> Result<(), CodeError> {
        value
            .check(ty, &|name| self.resolve_type(name))
            .map_err(|mismatch| CodeError::OutputType {
                port: port.to_string(),
                mismatch,
            })
    }

    /// Orders and checks outputs found by name: every declared port must be present.
    pub fn collect_outputs(
        &self,
        mut lookup: impl FnMut(&str) -> Option<Value>,
    ) -> Result<Vec<(String, Value)>, CodeError> {
        let mut values = Vec::with_capacity(self.outputs.len());
        for (port, ty) in self.outputs {
            let value =
                lookup(port).ok_or_else(|| CodeError::MissingOutput { port: port.clone() })?;
            self.check_output(port, ty, &value)?;
            values.push((port.clone(), value));
        }
        Ok(values)
    }

    /// Sends a line to the log.
    pub fn emit(&self, stream: Stream, text: impl Into<String>) {
        (self.log)(LogLine {
            stream,
            text: text.into(),
        });
    }
}

/// Where the code is in the workflow file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceLocation {
    /// The workflow file.
    pub file: PathBuf,
    /// 1-based line of the code's first line (a template's first line, for a template).
    pub line: u32,
    /// For code expanded from a template, the template line each code line came from
    /// (`template::Expansion::lines`: entry `i` is for code line `i + 1`); empty when the code
    /// is the block's own, line for line.
    pub line_map: Vec<u32>,
    /// True when the code (or template) is one quoted string on `line` (every `.agentblocks`
    /// file; a `"..."` string in the DSL): every code line is on that workflow line, and
    /// [`SourceLocation::place`] adds the line within the code.
    pub inline: bool,
}

impl SourceLocation {
    /// Maps a 1-based line of the code to the workflow file's line. Lines past the end of the
    /// line map (a language may report an error just after the code) continue from its last
    /// entry.
    pub fn workflow_line(&self, code_line: u32) -> u32 {
        if self.inline {
            return self.line;
        }
        self.line + self.source_line(code_line).saturating_sub(1)
    }

    /// Where code line `code_line` is, for messages: the workflow line, and for inline code
    /// the line within the code too (`10 (code line 3)`).
    pub fn place(&self, code_line: u32) -> String {
        let line = self.workflow_line(code_line);
        if self.inline {
            format!("{line} (code line {})", self.source_line(code_line))
        } else {
            line.to_string()
        }
    }

    /// The 1-based line of the written code (the template, for an expanded template) that code
    /// line `code_line` comes from.
    pub fn source_line(&self, code_line: u32) -> u32 {
        match self.line_map.last() {
            None => code_line,
            Some(&last) => {
                let index = code_line.saturating_sub(1) as usize;
                match self.line_map.get(index) {
                    Some(&line) => line,
                    None => last + (code_line - self.line_map.len() as u32),
                }
            }
        }
    }
}

/// Which stream a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Standard output (`print`, `console.log`).
    Stdout,
    /// Standard error (`sys.stderr`, `console.error`, a shell's stderr).
    Stderr,
}

/// One line the code printed, without its newline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Where it was printed.
    pub stream: Stream,
    /// The text (invalid UTF-8 replaced).
    pub text: String,
}

/// Why a code block did not produce its outputs.
#[derive(Clone, Debug, PartialEq)]
pub enum CodeError {
    /// The code raised, threw, exited non-zero or was rejected by the language.
    Failed {
        /// One-line cause, like `ZeroDivisionError: division by zero`.
        message: String,
        /// The language's traceback or stack, with lines mapped to the workflow file.
        traceback: Option<String>,
        /// The line in the workflow file where it failed, when known.
        line: Option<u32>,
    },
    /// The timeout passed first.
    Timeout(Duration),
    /// The cancel flag was set.
    Cancelled,
    /// An output does not have its port's type.
    OutputType {
        /// The output port.
        port: String,
        /// What was expected and found.
        mismatch: TypeMismatch,
    },
    /// The code did not set an output.
    MissingOutput {
        /// The output port.
        port: String,
    },
    /// The code could not be started: a missing dependency, no interpreter, a disabled feature.
    Setup(String),
}

impl CodeError {
    /// A [`CodeError::Failed`] with only a message.
    pub fn failed(message: impl Into<String>) -> CodeError {
        CodeError::Failed {
            message: message.into(),
            traceback: None,
            line: None,
        }
    }
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeError::Failed { message, line, .. } => match line {
                Some(line) => write!(f, "{message} (line {line})"),
                None => f.write_str(message),
            },
            CodeError::Timeout(after) => write!(f, "timed out after {after:?}"),
            CodeError::Cancelled => f.write_str("cancelled"),
            CodeError::OutputType { port, mismatch } => {
                write!(f, "output `{port}` has the wrong type: {mismatch}")
            }
            CodeError::MissingOutput { port } => write!(f, "output `{port}` was not set"),
            CodeError::Setup(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for CodeError {}

type Hook = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct CancelInner {
    cancelled: AtomicBool,
    next_hook: AtomicU64,
    hooks: Mutex<Vec<(u64, Hook)>>,
}

/// A cancellation flag shared between the scheduler and a running executor, with kill hooks
/// that run when it is set (an executor registers one to interrupt its interpreter or kill its
/// process group). Cloning shares the flag.
#[derive(Clone, Default)]
pub struct CancelFlag {
    inner: Arc<CancelInner>,
}

impl fmt::Debug for CancelFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelFlag")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelFlag {
    /// A flag that is not set.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Sets the flag and runs every registered hook once.
    pub fn cancel(&self) {
        if self.inner.cancelled.swap(true, Ordering::SeqCst) {
            return;
        }
        let hooks = match self.inner.hooks.lock() {
            Ok(mut hooks) => std::mem::take(&mut *hooks),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for (_, hook) in hooks {
            hook();
        }
    }

    /// True once [`CancelFlag::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Registers `hook` to run when the flag is set (at once if it already is). The hook is
    /// removed when the returned guard drops.
    pub fn on_cancel(&self, hook: impl Fn() + Send + Sync + 'static) -> CancelHookGuard {
        let id = self.inner.next_hook.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut hooks) = self.inner.hooks.lock() {
            hooks.push((id, Box::new(hook)));
        }
        // The flag may have been set between the push and now; run the hooks that are left.
        if self.is_cancelled() {
            let hooks = self
                .inner
                .hooks
                .lock()
                .map(|mut hooks| std::mem::take(&mut *hooks))
                .unwrap_or_default();
            for (_, hook) in hooks {
                hook();
            }
        }
        CancelHookGuard {
            flag: self.clone(),
            id,
        }
    }
}

/// Removes a kill hook from its [`CancelFlag`] when dropped.
pub struct CancelHookGuard {
    flag: CancelFlag,
    id: u64,
}

impl Drop for CancelHookGuard {
    fn drop(&mut self) {
        if let Ok(mut hooks) = self.flag.inner.hooks.lock() {
            hooks.retain(|(id, _)| *id != self.id);
        }
    }
}

/// Runs `req.code` in `language` (`python`, `javascript`, `shell`, `sql`). A language this build
/// has no executor for (`rust`, or a feature turned off) is a [`CodeError::Setup`].
pub fn run_code(
    language: &str,
    req: &CodeRequest,
    dependencies: &[String],
) -> Result<Vec<(String, Value)>, CodeError> {
    let _ = dependencies;
    match language {
        #[cfg(feature = "python")]
        "python" => python::run_python(req, dependencies),
        #[cfg(feature = "javascript")]
        "javascript" => javascript::run_javascript(req),
        "shell" => shell::run_shell(req),
        #[cfg(feature = "sql")]
        "sql" => sql::run_sql(req),
        #[cfg(not(feature = "python"))]
        "python" => Err(feature_off(language)),
        #[cfg(not(feature = "javascript"))]
        "javascript" => Err(feature_off(language)),
        #[cfg(not(feature = "sql"))]
        "sql" => Err(feature_off(language)),
        other => Err(CodeError::Setup(format!(
            "`{other}` code blocks are not yet supported"
        ))),
    }
}

#[allow(dead_code)]
fn feature_off(language: &str) -> CodeError {
    CodeError::Setup(format!(
        "this build of agentblocks has no `{language}` executor (cargo feature `{language}` is off)"
    ))
}

/// Splits bytes into lines for the log, replacing invalid UTF-8.
pub(crate) fn lossy_lines(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    bytes
        .split(|b| *b == b'\n')
        .map(|line| String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned())
}
