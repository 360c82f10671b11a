//! `agentblocks run`: plan and run a workflow (or one block, or everything up to one), showing
//! progress, and exit 0 on success, 1 when the run failed, 2 when the workflow is invalid.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use agentblocks_dsl::convert::analyze;
use agentblocks_engine::events::{describe, format_ms, Event, EventKind};
use agentblocks_engine::plan::{Given, InputOverride};
use agentblocks_engine::{
    explain, plan, Decision, PlanError, PlanOptions, PythonEnvironment, PythonSetting, RunOptions,
    RunStatus, Target,
};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::output::outln;
use crate::render::{emit_human, stderr_stream};
use crate::source::read_source;
use crate::{report_error, Status};

/// The arguments of `agentblocks run`.
pub struct RunArgs {
    /// The workflow file.
    pub file: PathBuf,
    /// `--var name=value`.
    pub vars: Vec<String>,
    /// `--block ID`.
    pub block: Option<String>,
    /// `--until ID`.
    pub until: Option<String>,
    /// `--input port=JSON`.
    pub inputs: Vec<String>,
    /// `--json`: one event a line on standard output.
    pub json: bool,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--explain`: say what would run and why, run nothing.
    pub explain: bool,
    /// `--python PATH`: the interpreter whose packages Python blocks import.
    pub python: Option<PathBuf>,
}

/// The Python environment of the run: `--python` (an unusable one is a usage error), else
/// `$VIRTUAL_ENV/bin/python` when `VIRTUAL_ENV` is set and the plan runs Python (an unusable
/// one fails the Python blocks with the reason), else the embedded Python alone.
fn python_setting(
    args: &RunArgs,
    plan: &agentblocks_engine::Plan,
) -> Result<PythonSetting, String> {
    if let Some(python) = &args.python {
        return PythonEnvironment::probe(python)
            .map(|environment| PythonSetting::Environment(environment.into()))
            .map_err(|err| format!("--python: {err}"));
    }
    match std::env::var_os("VIRTUAL_ENV").filter(|venv| !venv.is_empty()) {
        Some(venv) if plan.runs_python() => {
            let python = PathBuf::from(venv).join("bin/python");
            Ok(match PythonEnvironment::probe(&python) {
                Ok(environment) => PythonSetting::Environment(environment.into()),
                Err(err) => PythonSetting::Unusable(format!("{err} (from `VIRTUAL_ENV`)")),
            })
        }
        _ => Ok(PythonSetting::Embedded),
    }
}

/// A `name=value` argument; the value is read for the declared type when the run is planned
/// (`agentblocks_engine::plan::read_given`).
fn parse_assignment(flag: &str, text: &str) -> Result<(String, Given), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{flag} {text}`: expected `name=value`"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{flag} {text}`: the name is empty"));
    }
    Ok((name.to_string(), Given::Text(value.to_string())))
}

/// Runs `agentblocks run`.
pub fn run(args: &RunArgs) -> Status {
    let source = match read_source(&args.file, None) {
        Ok(source) => source,
        Err(e) => {
            report_error(e);
            return Status::Usage;
        }
    };
    let shown = args.file.display().to_string();
    let analysis = analyze(source.kind, &source.text);
    let document = match analysis.document {
        Some(document) if !analysis.has_errors() => document,
        _ => {
            emit_human(
                &mut stderr_stream(),
                &shown,
                &source.text,
                &analysis.diagnostics,
            );
            eprintln!("error: `{shown}` cannot run: it has errors");
            return Status::Usage;
        }
    };
    let mut options = PlanOptions::new(args.file.clone());
    for var in &args.vars {
        match parse_assignment("--var", var) {
            Ok(assignment) => options.vars.push(assignment),
            Err(e) => {
                report_error(e);
                return Status::Usage;
            }
        }
    }
    for input in &args.inputs {
        match parse_assignment("--input", input) {
            Ok((name, value)) => {
                let (block, port) = match name.split_once('.') {
                    Some((block, port)) => (Some(block.to_string()), port.to_string()),
                    None => (None, name),
                };
                options.inputs.push(InputOverride { block, port, value });
            }
            Err(e) => {
                report_error(e);
                return Status::Usage;
            }
        }
    }
    options.target = match (&args.block, &args.until) {
        (Some(_), Some(_)) => {
            report_error("`--block` and `--until` cannot be used together");
            return Status::Usage;
        }
        (Some(id), None) => Target::Block(id.clone()),
        (None, Some(id)) => Target::Until(id.clone()),
        (None, None) => Target::All,
    };
    let plan = match plan(&document, Some(&source.text), &options) {
        Ok(plan) => plan,
        Err(PlanError::Invalid(diagnostics)) => {
            emit_human(&mut stderr_stream(), &shown, &source.text, &diagnostics);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "error: `{shown}` cannot run: {errors} error{}",
                if errors == 1 { "" } else { "s" }
            );
            return Status::Usage;
        }
        Err(PlanError::Usage(message)) => {
            report_error(message);
            return Status::Usage;
        }
    };
    let python = match python_setting(args, &plan) {
        Ok(python) => python,
        Err(message) => {
            report_error(message);
            return Status::Usage;
        }
    };
    let run_options = RunOptions {
        use_cache: !args.no_cache,
        record_history: true,
        python,
    };
    if args.explain {
        return print_explanation(&plan, &run_options, args.json);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            report_error(format!("cannot start the runtime: {e}"));
            return Status::Usage;
        }
    };
    let json = args.json;
    let (status, output) = runtime.block_on(async move {
        let mut handle = agentblocks_engine::start(plan, run_options);
        let mut view = View::new(json);
        let mut signals = StopSignals::new();
        let (mut reader_gone, mut watching) = (watch_stdout_reader(), true);
        // Once set, the run is being cancelled; signals are ignored until it stops.
        let mut stopping = false;
        // Standard output failed (a closed pipe): nothing more is printed, the run is cancelled.
        let mut output = Ok(());
        loop {
            tokio::select! {
                event = handle.events.recv() => match event {
                    Some(event) => {
                        if output.is_ok() {
                            output = view.show(&event);
                        }
                    }
                    None => break,
                },
                gone = reader_gone.recv(), if watching => {
                    watching = false;
                    if gone.is_some() && output.is_ok() {
                        output = Err(std::io::ErrorKind::BrokenPipe.into());
                    }
                }
                name = signals.recv(), if !stopping => {
                    stopping = true;
                    view.note(&format!(
                        "interrupted ({name}): stopping the run (signals are ignored until it stops)"
                    ));
                    handle.cancel.cancel();
                }
            }
            if output.is_err() && !stopping {
                stopping = true;
                handle.cancel.cancel();
            }
        }
        let report = handle.wait().await;
        view.finish();
        (report.status, output)
    });
    if let Err(error) = output {
        return crate::output::failed(&error);
    }
    match status {
        RunStatus::Succeeded => Status::Success,
        _ => Status::Failure,
    }
}

/// Sends once when standard output is a pipe whose reader has gone (`| head -1` has what it
/// wanted), so the run stops then rather than at its next line, which may be minutes away.
/// Nothing is sent (and the channel closes) when standard output is not a pipe.
fn watch_stdout_reader() -> tokio::sync::mpsc::UnboundedReceiver<()> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    #[cfg(unix)]
    {
        // SAFETY: fstat only fills the zeroed struct it is given.
        let is_pipe = unsafe {
            let mut stat: libc::stat = std::mem::zeroed();
            libc::fstat(libc::STDOUT_FILENO, &mut stat) == 0
                && stat.st_mode & libc::S_IFMT == libc::S_IFIFO
        };
        if is_pipe {
            // A pipe's writing end reports POLLERR once its reader has closed it; asking for no
            // events waits for just that. The thread ends with the process.
            let _ = std::thread::Builder::new()
                .name("stdout-watch".into())
                .spawn(move || loop {
                    let mut fd = libc::pollfd {
                        fd: libc::STDOUT_FILENO,
                        events: 0,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd, for the length given.
                    let ready = unsafe { libc::poll(&mut fd, 1, -1) };
                    if ready > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                        let _ = tx.send(());
                        return;
                    }
                    if ready < 0
                        && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
                    {
                        return;
                    }
                });
        }
    }
    #[cfg(not(unix))]
    drop(tx);
    rx
}

/// The signals that cancel a run the way Ctrl-C does: SIGINT, SIGTERM (`kill`, a service
/// manager) and SIGHUP (the terminal closed). Listening replaces their default action (ending
/// the process at once, which would leave the blocks' processes running); the run is cancelled
/// instead, which kills them, and the process exits when the run has stopped.
struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            StopSignals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
                hangup: signal(SignalKind::hangup()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Waits for the next signal; its name.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            async fn next(stream: &mut Option<tokio::signal::unix::Signal>) {
                let received = match stream {
                    Some(stream) => stream.recv().await.is_some(),
                    None => false,
                };
                // `None`: the runtime is shutting down; nothing more will come.
                if !received {
                    std::future::pending::<()>().await;
                }
            }
            tokio::select! {
                () = next(&mut self.interrupt) => "Ctrl-C",
                () = next(&mut self.terminate) => "SIGTERM",
                () = next(&mut self.hangup) => "SIGHUP",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

fn print_explanation(plan: &agentblocks_engine::Plan, options: &RunOptions, json: bool) -> Status {
    let explanation = explain(plan, options);
    let now = agentblocks_engine::events::now_ms();
    let printed = explanation.iter().try_for_each(|line| {
        if json {
            return match serde_json::to_string(line) {
                Ok(text) => outln!("{text}"),
                Err(e) => Err(std::io::Error::other(e)),
            };
        }
        match &line.decision {
            Decision::Cached {
                cached_at_ms,
                outdated,
            } => outln!(
                "{}: from cache (made {} ago{})",
                line.block,
                format_ms(now.saturating_sub(*cached_at_ms)),
                outdated
                    .as_ref()
                    .map(|why| format!("; an earlier version: {why}"))
                    .unwrap_or_default()
            ),
            Decision::WillRun { reason } => outln!("{}: will run: {reason}", line.block),
            Decision::MayRun { reason } => outln!("{}: may run: {reason}", line.block),
        }
    });
    match printed {
        Ok(()) => Status::Success,
        Err(error) => crate::output::failed(&error),
    }
}

/// How events are shown: JSON lines, progress bars on a terminal, or timestamped plain lines.
struct View {
    json: bool,
    bars: Option<(MultiProgress, ProgressBar)>,
    running: Vec<(String, ProgressBar)>,
}

impl View {
    fn new(json: bool) -> View {
        let bars = (!json && std::io::stderr().is_terminal()).then(|| {
            let multi = MultiProgress::new();
            let total = multi.add(ProgressBar::new(0));
            total.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} blocks {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            (multi, total)
        });
        View {
            json,
            bars,
            running: Vec::new(),
        }
    }

    fn note(&self, message: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(message);
            }
            None => {
                let _ = writeln!(std::io::stderr(), "{message}");
            }
        }
    }

    /// Shows one event; an error when standard output cannot be written (the bars go to
    /// standard error, whose failures are ignored).
    fn show(&mut self, event: &Event) -> std::io::Result<()> {
        if self.json {
            if let Ok(text) = serde_json::to_string(event) {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{text}")?;
                out.flush()?;
            }
            return Ok(());
        }
        let line = describe(event);
        let details = match &event.kind {
            EventKind::BlockFailed { error, .. } => error.traceback.clone(),
            _ => None,
        };
        let Some((multi, total)) = self.bars.clone() else {
            let stamp = clock(event.ts_ms);
            let mut out = std::io::stdout().lock();
            writeln!(out, "{stamp} {line}")?;
            if let Some(details) = details {
                for detail in details.lines() {
                    writeln!(out, "{stamp}     {detail}")?;
                }
            }
            return out.flush();
        };
        let block = event.block.clone().unwrap_or_default();
        match &event.kind {
            EventKind::RunStarted { blocks, .. } => {
                total.set_length(blocks.len() as u64);
                let _ = multi.println(line);
            }
            EventKind::BlockStarted { .. } => {
                if !self.running.iter().any(|(b, _)| *b == block) {
                    let spinner = multi.add(ProgressBar::new_spinner());
                    spinner.set_message(block.clone());
                    spinner.enable_steady_tick(Duration::from_millis(100));
                    self.running.push((block, spinner));
                }
            }
            EventKind::Progress { fraction, message } => {
                if let Some((_, spinner)) = self.running.iter().find(|(b, _)| *b == block) {
                    let percent = fraction
                        .map(|f| format!(" {:.0}%", f * 100.0))
                        .unwrap_or_default();
                    spinner.set_message(format!("{block}{percent} {message}"));
                }
            }
            EventKind::BlockQueued => {}
            EventKind::BlockFinished { .. }
            | EventKind::BlockCached { .. }
            | EventKind::BlockSkipped { .. }
            | EventKind::BlockFailed {
                will_retry: false, ..
            } => {
                self.stop_spinner(&block);
                total.inc(1);
                let _ = multi.println(line);
                if let Some(details) = details {
                    let _ = multi.println(indent(&details));
                }
            }
            _ => {
                let _ = multi.println(line);
            }
        }
        Ok(())
    }

    fn stop_spinner(&mut self, block: &str) {
        if let Some(position) = self.running.iter().position(|(b, _)| b == block) {
            let (_, spinner) = self.running.remove(position);
            spinner.finish_and_clear();
        }
    }

    fn finish(&mut self) {
        for (_, spinner) in self.running.drain(..) {
            spinner.finish_and_clear();
        }
        if let Some((_, total)) = &self.bars {
            total.finish_and_clear();
        }
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `HH:MM:SS.mmm` (UTC) of a timestamp in milliseconds since the Unix epoch.
fn clock(ts_ms: u64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ts_ms);
    let text = humantime::format_rfc3339_millis(time).to_string();
    text.get(11..23).unwrap_or(&text).to_string()
}
