//! Shell executor: `sh -c CODE` in the workspace folder, in its own process group.
//!
//! Inputs are environment variables (strings as they are, paths as their text, anything else as
//! JSON). An output port named `stdout` gets standard output without one trailing newline
//! (text for `String`/`Path` ports, parsed as JSON otherwise), one named `stderr` standard error
//! read the same way, and one named `exit_code` the exit status; a non-zero status fails the
//! block unless `exit_code` is declared. Standard error (always, captured or not) and standard
//! output (when no `stdout` port takes it) stream to the log line by line. The
//! whole process group is killed (SIGTERM, then SIGKILL) on timeout, cancel, and when `sh`
//! exits, so no background job outlives its block.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use agentblocks_dsl::types::{resolve_required, Type};

use super::{lossy_lines, CodeError, CodeRequest, Stream};
use crate::value::Value;

/// The port that receives standard output.
pub const STDOUT_PORT: &str = "stdout";
/// The port that receives standard error.
pub const STDERR_PORT: &str = "stderr";
/// The port that receives the exit status.
pub const EXIT_CODE_PORT: &str = "exit_code";

/// How long the process group gets between SIGTERM and SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(500);

/// Runs `req.code` with `sh -c` and returns its `stdout`, `stderr` and `exit_code` outputs.
pub fn run_shell(req: &CodeRequest) -> Result<Vec<(String, Value)>, CodeError> {
    if let Some((port, _)) = req
        .outputs
        .iter()
        .find(|(port, _)| ![STDOUT_PORT, STDERR_PORT, EXIT_CODE_PORT].contains(&port.as_str()))
    {
        return Err(CodeError::Setup(format!(
            "shell blocks can only have the outputs `stdout`, `stderr` and `exit_code`, not \
             `{port}`"
        )));
    }
    if req.cancel.is_cancelled() {
        return Err(CodeError::Cancelled);
    }
    let stdout_type = req
        .outputs
        .iter()
        .find(|(port, _)| port == STDOUT_PORT)
        .map(|(_, ty)| ty.clone());
    let wants_exit_code = req.outputs.iter().any(|(port, _)| port == EXIT_CODE_PORT);
    let capture_stderr = req.outputs.iter().any(|(port, _)| port == STDERR_PORT);

    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(req.code)
        .current_dir(req.workspace)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (name, value) in req.inputs {
        match value {
            Value::String(text) => command.env(name, text),
            Value::Path(path) => command.env(name, path),
            other => command.env(name, other.to_json().to_string()),
        };
    }
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| CodeError::Setup(format!("could not start `sh`: {err}")))?;
    let pgid = child.id() as libc::pid_t;
    let _hook = req.cancel.on_cancel(move || {
        signal_group(pgid, libc::SIGKILL);
    });

    let (stderr_tx, stderr_rx) = mpsc::channel::<String>();
    // Standard error streams to the log line by line and, for a `stderr` port, is kept whole.
    let stderr_reader = child.stderr.take().map(|stderr| {
        thread::spawn(move || {
            let mut whole = Vec::new();
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if capture_stderr {
                    whole.extend_from_slice(&line);
                }
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                for text in lossy_lines(text) {
                    // The log may be gone (the block is ending); keep reading for the port.
                    let _ = stderr_tx.send(text);
                }
            }
            whole
        })
    });
    let (stdout_tx, stdout_rx) = mpsc::channel::<StdoutChunk>();
    let capture_stdout = stdout_type.is_some();
    if let Some(mut stdout) = child.stdout.take() {
        thread::spawn(move || {
            if capture_stdout {
                let mut buffer = Vec::new();
                let _ = stdout.read_to_end(&mut buffer);
                let _ = stdout_tx.send(StdoutChunk::All(buffer));
            } else {
                for line in BufReader::new(stdout).split(b'\n') {
                    let Ok(line) = line else { break };
                    for text in lossy_lines(&line) {
                        if stdout_tx.send(StdoutChunk::Line(text)).is_err() {
                            return;
                        }
                    }
                }
                let _ = stdout_tx.send(StdoutChunk::All(Vec::new()));
            }
        });
    }

    let (status_tx, status_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = status_tx.send(child.wait());
    });

    let deadline = req.deadline(start);
    let mut stderr_tail: Vec<String> = Vec::new();
    let mut stdout_bytes: Option<Vec<u8>> = None;
    let pump = |stderr_tail: &mut Vec<String>, stdout_bytes: &mut Option<Vec<u8>>| {
        for text in stderr_rx.try_iter() {
            req.emit(Stream::Stderr, text.clone());
            stderr_tail.push(text);
            if stderr_tail.len() > 20 {
                stderr_tail.remove(0);
            }
        }
        for chunk in stdout_rx.try_iter() {
            match chunk {
                StdoutChunk::Line(text) => req.emit(Stream::Stdout, text),
                StdoutChunk::All(bytes) => *stdout_bytes = Some(bytes),
            }
        }
    };
    let status = loop {
        pump(&mut stderr_tail, &mut stdout_bytes);
        let mut wait = Duration::from_millis(20);
        if let Some(deadline) = deadline {
            let now = Instant::now();
            if now >= deadline {
                kill_group(pgid);
                return Err(CodeError::Timeout(req.timeout.unwrap_or_default()));
            }
            wait = wait.min(deadline - now);
        }
        if req.cancel.is_cancelled() {
            kill_group(pgid);
            return Err(CodeError::Cancelled);
        }
        match status_rx.recv_timeout(wait) {
            Ok(Ok(status)) => break status,
            Ok(Err(err)) => {
                kill_group(pgid);
                return Err(CodeError::Setup(format!("could not wait for `sh`: {err}")));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                kill_group(pgid);
                return Err(CodeError::Setup("lost track of the `sh` process".into()));
            }
        }
    };
    // `sh` has exited; background jobs it left would hold the pipes open and keep running.
    kill_group(pgid);
    let mut stderr_bytes = stderr_reader
        .and_then(|reader| reader.join().ok())
        .unwrap_or_default();
    let drain_deadline = Instant::now() + Duration::from_secs(2);
    while stdout_bytes.is_none() && Instant::now() < drain_deadline {
        pump(&mut stderr_tail, &mut stdout_bytes);
        if stdout_bytes.is_none() {
            match stdout_rx.recv_timeout(Duration::from_millis(20)) {
                Ok(StdoutChunk::Line(text)) => req.emit(Stream::Stdout, text),
                Ok(StdoutChunk::All(bytes)) => stdout_bytes = Some(bytes),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    }
    pump(&mut stderr_tail, &mut stdout_bytes);
    if req.cancel.is_cancelled() {
        return Err(CodeError::Cancelled);
    }

    let exit_code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    if exit_code != 0 && !wants_exit_code {
        let line = stderr_tail
            .iter()
            .rev()
            .find_map(|text| sh_error_line(text));
        return Err(CodeError::Failed {
            message: match stderr_tail.last() {
                Some(last) => format!("exit status {exit_code}: {last}"),
                None => format!("exit status {exit_code}"),
            },
            traceback: (!stderr_tail.is_empty()).then(|| stderr_tail.join("\n")),
            line: line.map(|line| req.workflow_line(line)),
        });
    }

    let mut outputs = Vec::new();
    for (port, ty) in req.outputs {
        let value = if port == EXIT_CODE_PORT {
            Value::Integer(i64::from(exit_code))
        } else if port == STDERR_PORT {
            parse_stream(&std::mem::take(&mut stderr_bytes), port, ty, req)?
        } else {
            let bytes = stdout_bytes.take().unwrap_or_default();
            parse_stream(&bytes, port, ty, req)?
        };
        req.check_output(port, ty, &value)?;
        outputs.push((port.clone(), value));
    }
    Ok(outputs)
}

enum StdoutChunk {
    Line(String),
    All(Vec<u8>),
}

/// Reads standard output or error as the type of its port (`stdout` or `stderr`).
fn parse_stream(
    bytes: &[u8],
    port: &str,
    ty: &Type,
    req: &CodeRequest,
) -> Result<Value, CodeError> {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes).into_owned();
    let inner = &resolve_required(ty, &|name| req.resolve_type(name));
    match inner {
        Type::Named(name) if name == "String" => Ok(Value::String(text)),
        Type::Named(name) if matches!(name.as_str(), "Path" | "File" | "Directory") => {
            Ok(Value::Path(text.into()))
        }
        _ => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(json) => Ok(Value::from_json_typed_in(&json, ty, &|name| {
                req.resolve_type(name)
            })),
            Err(_) if matches!(inner, Type::Named(name) if name == "Any") => {
                Ok(Value::String(text))
            }
            Err(err) => Err(CodeError::OutputType {
                port: port.into(),
                mismatch: crate::value::TypeMismatch {
                    path: String::new(),
                    expected: ty.to_string(),
                    found: format!(
                        "text that is not JSON ({err}): {}",
                        Value::String(text).preview(60)
                    ),
                },
            }),
        },
    }
}

/// The script line in an error `sh` (dash) prints, like `sh: 3: nosuch: not found`.
fn sh_error_line(text: &str) -> Option<u32> {
    let rest = text.strip_prefix("sh: ")?;
    let (number, _) = rest.split_once(':')?;
    number.trim().parse().ok()
}

fn signal_group(pgid: libc::pid_t, signal: libc::c_int) -> bool {
    // SAFETY: killpg only sends a signal; a pgid that no longer exists gives ESRCH.
    unsafe { libc::killpg(pgid, signal) == 0 }
}

/// SIGTERM to the group, then SIGKILL to whatever is still there after a grace period.
fn kill_group(pgid: libc::pid_t) {
    if !signal_group(pgid, libc::SIGTERM) {
        return;
    }
    let until = Instant::now() + TERM_GRACE;
    while Instant::now() < until {
        if !signal_group(pgid, 0) {
            return;
        }
        thread::sleep(Duration::from_millis(5));
    }
    signal_group(pgid, libc::SIGKILL);
}
