//! Python executor: CPython embedded with pyo3.
//!
//! Each run gets fresh globals holding the inputs (`Path` values as `pathlib.Path`, lists and
//! dictionaries natively, `None` for null). Outputs are the globals named like the output
//! ports, or, when the block has one output and the code is a single expression, that
//! expression's value. `print` and `sys.stderr` go to the block's log through a per-thread
//! writer, so blocks running at the same time keep their logs apart.
//!
//! The code runs on a thread of its own while the calling thread forwards log lines and
//! watches the deadline and the cancel flag. To stop a runaway block it raises
//! `AgentBlocksStop` in the block's thread with `PyThreadState_SetAsyncExc` (repeatedly, in
//! case the code catches it). Code blocked inside a C call that never returns to the
//! interpreter (a long `time.sleep`) cannot be interrupted that way: after a grace period the
//! run is reported stopped and the thread finishes in the background when the call returns.
//!
//! Before the dependency check, the block's [`PythonSetting`] is applied to the one interpreter
//! (`use_environment` in the harness): `sys.path` starts with the chosen environment's
//! directories and holds no other environment's (see [`super::python_env`]).

use std::collections::HashMap;
use std::os::raw::c_long;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{
    PyBool, PyBytes, PyCFunction, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};

use super::{CodeError, CodeRequest, LogLine, PythonSetting, Stream};
use crate::value::{TypeMismatch, Value};

/// How long a stopped block gets to unwind before the run is reported stopped anyway.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// How often the stop exception is raised again while the block keeps running.
const STOP_REPEAT: Duration = Duration::from_millis(100);
/// How deep nested lists and dictionaries may go when converting a Python value.
const MAX_DEPTH: usize = 200;

/// The Python side: output redirection, running the code, formatting errors.
const HARNESS: &std::ffi::CStr = cr#"
import ast, builtins, importlib.util, linecache, os, pathlib, sys, threading, traceback

PurePath = pathlib.PurePath
Path = pathlib.Path


class AgentBlocksStop(BaseException):
    """Raised in a block's thread to stop it (timeout or cancel)."""


_local = threading.local()


class _Writer:
    def __init__(self, emit, stream):
        self._emit = emit
        self._stream = stream
        self._buf = ""

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not " + type(text).__name__)
        self._buf += text
        if "\n" in self._buf:
            *lines, self._buf = self._buf.split("\n")
            for line in lines:
                self._emit(self._stream, line)
        return len(text)

    def flush(self):
        pass

    def finish(self):
        if self._buf:
            self._emit(self._stream, self._buf)
            self._buf = ""

    def isatty(self):
        return False

    def writable(self):
        return True

    encoding = "utf-8"
    errors = "replace"


class _Dispatch:
    """Stands in for sys.stdout/sys.stderr, writing to the current block's writer."""

    def __init__(self, original, index):
        self._original = original
        self._index = index

    def _target(self):
        writers = getattr(_local, "writers", None)
        return writers[self._index] if writers else self._original

    def write(self, text):
        target = self._target()
        return target.write(text) if target is not None else len(text)

    def flush(self):
        target = self._target()
        if target is not None:
            target.flush()

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self._target(), name)


if not isinstance(sys.stdout, _Dispatch):
    sys.stdout = _Dispatch(sys.stdout, 0)
if not isinstance(sys.stderr, _Dispatch):
    sys.stderr = _Dispatch(sys.stderr, 1)

_IMPORT_NAMES = {
    "beautifulsoup4": "bs4",
    "pillow": "PIL",
    "scikit-learn": "sklearn",
    "scikit-image": "skimage",
    "pyyaml": "yaml",
    "python-dateutil": "dateutil",
    "opencv-python": "cv2",
    "opencv-python-headless": "cv2",
    "protobuf": "google.protobuf",
    "pyzmq": "zmq",
    "attrs": "attr",
}


def import_name(requirement):
    name = requirement.strip()
    for stop in "<>=!~;[ @":
        name = name.split(stop, 1)[0]
    return _IMPORT_NAMES.get(name.lower(), name.replace("-", "_"))


def missing_dependencies(requirements):
    missing = []
    for requirement in requirements:
        name = import_name(requirement)
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append((requirement, name))
    return missing


def _workflow_line(lineno, offset, lines, inline):
    """(workflow line, how the traceback names it) of code line `lineno`. The written code's
    line is `lineno`, or through `lines` (a template's line map, the template line of each code
    line) when given. Code in one quoted string (`inline`: JSON) is all on line `offset`, named
    with the line within the code; other code counts from `offset`."""
    source = lineno
    if lines:
        if 1 <= lineno <= len(lines):
            source = lines[lineno - 1]
        elif lineno > len(lines):
            source = lines[-1] + lineno - len(lines)
    if inline:
        return (offset, "%d (code line %d)" % (offset, source))
    line = source + offset - 1
    return (line, str(line))


def _describe(error, fname, workflow_file, offset, block_id, lines, inline):
    """(message, traceback, workflow line) for an exception raised by the block."""
    line = None
    if isinstance(error, SyntaxError) and error.filename == fname:
        line, place = _workflow_line(error.lineno or 1, offset, lines, inline)
        message = "SyntaxError: " + str(error.msg)
        text = (error.text or "").rstrip("\n")
        tb = '  File "%s", line %s\n    %s\n%s' % (workflow_file, place, text.strip(), message)
        return (message, tb, line)
    summary = traceback.TracebackException.from_exception(error)
    out = ["Traceback (most recent call last):"]
    started = False
    for frame in summary.stack:
        if frame.filename == fname:
            started = True
        if not started:
            continue
        if frame.filename == fname:
            line, place = _workflow_line(frame.lineno, offset, lines, inline)
            name = "block `%s`" % block_id if frame.name == "<module>" else frame.name
            out.append('  File "%s", line %s, in %s' % (workflow_file, place, name))
        else:
            out.append('  File "%s", line %d, in %s' % (frame.filename, frame.lineno, frame.name))
        if frame.line:
            out.append("    " + frame.line.strip())
    message = "".join(summary.format_exception_only()).strip().splitlines()[-1]
    out.extend("".join(summary.format_exception_only()).rstrip("\n").splitlines())
    return (message, "\n".join(out), line)


# Compiled blocks by (source, whether a lone expression is the output): a block that runs
# again (a retry, the next run, a thousand blocks of one template) is not parsed again. Each
# keeps the file name it was first compiled under, so tracebacks still map to the workflow.
_compiled = {}
_COMPILED_MAX = 512
_compile_lock = threading.Lock()


def _compile(code, single, fname):
    key = (code, single is not None)
    entry = _compiled.get(key)
    if entry is not None:
        return entry
    tree = ast.parse(code, fname, "exec")
    if single is not None and len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        entry = (fname, "eval", compile(ast.Expression(tree.body[0].value), fname, "eval"))
    else:
        entry = (fname, "exec", compile(tree, fname, "exec"))
    if len(_compiled) >= _COMPILED_MAX:
        for old_fname, _, _ in _compiled.values():
            linecache.cache.pop(old_fname, None)
        _compiled.clear()
    linecache.cache[fname] = (len(code), None, code.splitlines(True), fname)
    _compiled[key] = entry
    return entry


def run(code, inputs, single, emit, fname, workflow_file, offset, block_id, lines, inline):
    """Runs the code; returns ("ok", namespace), ("stop", None) or ("error", description)."""
    writers = (_Writer(emit, 0), _Writer(emit, 1))
    _local.writers = writers
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    try:
        namespace.update(inputs)
        with _compile_lock:
            fname, kind, compiled = _compile(code, single, fname)
        if kind == "eval":
            return ("ok", {single: eval(compiled, namespace)})
        exec(compiled, namespace)
        return ("ok", namespace)
    except AgentBlocksStop:
        return ("stop", None)
    except SystemExit as error:
        if error.code in (None, 0):
            return ("ok", namespace)
        return ("error", _describe(error, fname, workflow_file, offset, block_id, lines, inline))
    except BaseException as error:
        return ("error", _describe(error, fname, workflow_file, offset, block_id, lines, inline))
    finally:
        try:
            for writer in writers:
                writer.finish()
        finally:
            _local.writers = None


def path_bytes(path):
    return os.fsencode(path)


# The environment whose directories are on sys.path: (key, the directories this module added).
_environment = [None, []]
_environment_lock = threading.Lock()


def _within(location, roots):
    for root in roots:
        if location == root or location.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def use_environment(key, paths):
    """Puts `paths` (another interpreter's sys.path directories; none for the embedded
    interpreter alone) ahead of the embedded defaults, once per change of `key`. The previous
    environment's directories leave sys.path, and the modules imported from them leave
    sys.modules, so nothing of it stays importable."""
    key = (key, tuple(paths))
    with _environment_lock:
        if _environment[0] == key:
            return
        old = _environment[1]
        if old:
            removed = set(old)
            sys.path[:] = [entry for entry in sys.path if entry not in removed]
            for entry in old:
                sys.path_importer_cache.pop(entry, None)
            for name, module in list(sys.modules.items()):
                origin = getattr(module, "__file__", None)
                if isinstance(origin, str):
                    locations = [origin]
                else:
                    try:
                        locations = list(getattr(module, "__path__", None) or [])
                    except Exception:
                        locations = []
                if any(isinstance(l, str) and _within(l, old) for l in locations):
                    sys.modules.pop(name, None)
        added = []
        for entry in paths:
            if entry not in sys.path and entry not in added:
                added.append(entry)
        sys.path[0:0] = added
        _environment[0] = key
        _environment[1] = added
        importlib.invalidate_caches()
"#;

static HARNESS_MODULE: GILOnceCell<Py<PyModule>> = GILOnceCell::new();
static RUN_COUNTER: AtomicU64 = AtomicU64::new(0);

fn harness(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    HARNESS_MODULE
        .get_or_try_init(py, || {
            PyModule::from_code(py, HARNESS, c"<agentblocks>", c"_agentblocks").map(Bound::unbind)
        })
        .map(|module| module.bind(py))
}

enum Message {
    Started(c_long),
    Log(LogLine),
    Done(Result<HashMap<String, Value>, CodeError>),
}

/// What the worker thread owns.
struct Job {
    block_id: String,
    code: String,
    inputs: Vec<(String, Value)>,
    outputs: Vec<String>,
    dependencies: Vec<String>,
    workflow_file: String,
    offset: u32,
    /// The template line of each code line, for a template (else empty: code line for line).
    lines: Vec<u32>,
    /// The code is one quoted string on line `offset` (`SourceLocation::inline`).
    inline: bool,
    python: PythonSetting,
}

/// Runs `req.code` as Python after checking that every package in `dependencies` can be
/// imported, and returns the outputs in port order.
pub fn run_python(
    req: &CodeRequest,
    dependencies: &[String],
) -> Result<Vec<(String, Value)>, CodeError> {
    if req.cancel.is_cancelled() {
        return Err(CodeError::Cancelled);
    }
    let start = Instant::now();
    let job = Job {
        block_id: req.block_id.to_string(),
        code: req.code.to_string(),
        inputs: req.inputs.to_vec(),
        outputs: req.outputs.iter().map(|(port, _)| port.clone()).collect(),
        dependencies: dependencies.to_vec(),
        workflow_file: req.source_offset.file.to_string_lossy().into_owned(),
        offset: req.source_offset.line.max(1),
        lines: req.source_offset.line_map.clone(),
        inline: req.source_offset.inline,
        python: req.python.clone(),
    };
    let finished = Arc::new(AtomicBool::new(false));
    let (sender, receiver) = mpsc::channel();
    {
        let finished = finished.clone();
        thread::Builder::new()
            .name(format!("python:{}", req.block_id))
            .spawn(move || {
                let result = Python::with_gil(|py| {
                    let id = py
                        .import("threading")
                        .and_then(|threading| threading.call_method0("get_ident"))
                        .and_then(|id| id.extract::<u64>());
                    if let Ok(id) = id {
                        let _ = sender.send(Message::Started(id as c_long));
                    }
                    let result = run_job(py, &job, &sender);
                    finished.store(true, Ordering::SeqCst);
                    result
                });
                let _ = sender.send(Message::Done(result));
            })
            .map_err(|err| CodeError::Setup(format!("could not start a Python thread: {err}")))?;
    }

    let deadline = req.deadline(start);
    let mut thread_id = None;
    let mut first_stop: Option<Instant> = None;
    let mut last_stop = Instant::now();
    loop {
        let now = Instant::now();
        let stopping = req.cancel.is_cancelled() || deadline.is_some_and(|d| now >= d);
        if stopping {
            let first = *first_stop.get_or_insert(now);
            if now.duration_since(first) >= STOP_GRACE {
                return Err(req.stop_error());
            }
            if let Some(id) = thread_id {
                if first == now || now.duration_since(last_stop) >= STOP_REPEAT {
                    last_stop = now;
                    interrupt(id, finished.clone());
                }
            }
        }
        let mut wait = Duration::from_millis(20);
        if let Some(deadline) = deadline {
            if !stopping {
                wait = wait.min(deadline.saturating_duration_since(now));
            }
        }
        match receiver.recv_timeout(wait) {
            Ok(Message::Started(id)) => thread_id = Some(id),
            Ok(Message::Log(line)) => (req.log)(line),
            Ok(Message::Done(result)) => {
                let mut values = match result {
                    Ok(values) => values,
                    Err(_) if first_stop.is_some() => return Err(req.stop_error()),
                    Err(err) => return Err(err),
                };
                if first_stop.is_some() {
                    return Err(req.stop_error());
                }
                return req.collect_outputs(|port| values.remove(port));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(CodeError::Setup(
                    "the Python thread ended without a result".into(),
                ));
            }
        }
    }
}

/// Raises `AgentBlocksStop` in the block's thread, from a helper thread so that the caller
/// never waits for the GIL.
fn interrupt(thread_id: c_long, finished: Arc<AtomicBool>) {
    let _ = thread::Builder::new()
        .name("python-stop".into())
        .spawn(move || {
            Python::with_gil(|py| {
                if finished.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stop) = harness(py).and_then(|module| module.getattr("AgentBlocksStop")) {
                    // SAFETY: the GIL is held, `finished` is false so the thread is still
                    // inside its `with_gil`, and the exception class is a live object.
                    unsafe {
                        pyo3::ffi::PyThreadState_SetAsyncExc(thread_id, stop.as_ptr());
                    }
                }
            });
        });
}

fn run_job(
    py: Python<'_>,
    job: &Job,
    sender: &mpsc::Sender<Message>,
) -> Result<HashMap<String, Value>, CodeError> {
    let module = harness(py).map_err(|err| setup_error(py, "could not start Python", err))?;
    use_environment(py, module, job)?;

    if !job.dependencies.is_empty() {
        let missing = module
            .call_method1("missing_dependencies", (job.dependencies.clone(),))
            .and_then(|missing| missing.extract::<Vec<(String, String)>>())
            .map_err(|err| setup_error(py, "could not check Python dependencies", err))?;
        if !missing.is_empty() {
            let names: Vec<String> = missing
                .iter()
                .map(|(requirement, module)| {
                    if requirement == module {
                        format!("`{requirement}`")
                    } else {
                        format!("`{requirement}` (module `{module}`)")
                    }
                })
                .collect();
            let interpreter = match job.python.environment() {
                Some(environment) => environment.interpreter.display().to_string(),
                None => py
                    .import("sys")
                    .and_then(|sys| sys.getattr("prefix"))
                    .and_then(|prefix| prefix.extract::<String>())
                    .map(|prefix| format!("{prefix}/bin/python3"))
                    .unwrap_or_else(|_| "python3".into()),
            };
            return Err(CodeError::Setup(format!(
                "block `{}` needs the Python package{} {}, which {} not installed; install with \
                 `{interpreter} -m pip install {}`",
                job.block_id,
                if missing.len() == 1 { "" } else { "s" },
                names.join(", "),
                if missing.len() == 1 { "is" } else { "are" },
                missing
                    .iter()
                    .map(|(requirement, _)| requirement.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            )));
        }
    }

    let inputs = PyDict::new(py);
    let path_class = module
        .getattr("Path")
        .map_err(|err| setup_error(py, "could not load pathlib", err))?;
    for (name, value) in &job.inputs {
        let object = to_python(py, value, &path_class)
            .map_err(|err| setup_error(py, &format!("could not pass input `{name}`"), err))?;
        inputs
            .set_item(name, object)
            .map_err(|err| setup_error(py, &format!("could not pass input `{name}`"), err))?;
    }

    let emit_sender = sender.clone();
    let emit = PyCFunction::new_closure(
        py,
        Some(c"emit"),
        None,
        move |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<()> {
            let (stream, text): (u8, Bound<'_, PyAny>) = args.extract()?;
            let text = match text.downcast::<PyString>() {
                Ok(text) => text.to_string_lossy().into_owned(),
                Err(_) => return Err(PyTypeError::new_err("expected a string")),
            };
            let stream = if stream == 0 {
                Stream::Stdout
            } else {
                Stream::Stderr
            };
            let _ = emit_sender.send(Message::Log(LogLine { stream, text }));
            Ok(())
        },
    )
    .map_err(|err| setup_error(py, "could not redirect output", err))?;

    let single = (job.outputs.len() == 1).then(|| job.outputs[0].clone());
    let fname = format!(
        "<block {}#{}>",
        job.block_id,
        RUN_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let outcome = module.call_method1(
        "run",
        (
            job.code.as_str(),
            inputs,
            single,
            emit,
            fname,
            job.workflow_file.as_str(),
            job.offset,
            job.block_id.as_str(),
            job.lines.clone(),
            job.inline,
        ),
    );
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(err) => return Err(python_failure(py, err)),
    };
    let (status, payload): (String, Bound<'_, PyAny>) = outcome
        .extract()
        .map_err(|err| setup_error(py, "unexpected result from the Python harness", err))?;
    match status.as_str() {
        "ok" => {
            let namespace = payload
                .downcast::<PyDict>()
                .map_err(|_| CodeError::Setup("the Python harness returned no namespace".into()))?;
            let mut values = HashMap::new();
            for port in &job.outputs {
                let Ok(Some(object)) = namespace.get_item(port) else {
                    continue;
                };
                let value = from_python(&object, module, 0).map_err(|found| CodeError::OutputType {
                    port: port.clone(),
                    mismatch: TypeMismatch {
                        path: String::new(),
                        expected: "a value (None, bool, int, float, str, pathlib.Path, list, tuple or dict with str keys)".into(),
                        found,
                    },
                })?;
                values.insert(port.clone(), value);
            }
            Ok(values)
        }
        "stop" => Err(CodeError::Cancelled),
        _ => {
            let (message, traceback, line): (String, String, Option<u32>) = payload
                .extract()
                .unwrap_or_else(|_| ("the block raised an exception".into(), String::new(), None));
            Err(CodeError::Failed {
                message,
                traceback: (!traceback.is_empty()).then_some(traceback),
                line,
            })
        }
    }
}

/// Makes `sys.path` hold the job's environment (see `python_env`); an unusable one fails the
/// block instead of letting it import from elsewhere.
fn use_environment(
    py: Python<'_>,
    module: &Bound<'_, PyModule>,
    job: &Job,
) -> Result<(), CodeError> {
    let (key, paths): (Option<String>, Vec<String>) = match &job.python {
        PythonSetting::Embedded => (None, Vec::new()),
        PythonSetting::Environment(environment) => (
            Some(environment.interpreter.to_string_lossy().into_owned()),
            environment
                .paths
                .iter()
                .map(|path| path.to_string_lossy().into_owned())
                .collect(),
        ),
        PythonSetting::Unusable(problem) => {
            return Err(CodeError::Setup(format!(
                "block `{}` cannot run: {problem}",
                job.block_id
            )))
        }
    };
    module
        .call_method1("use_environment", (key, paths))
        .map(|_| ())
        .map_err(|err| setup_error(py, "could not set up the Python environment", err))
}

fn setup_error(py: Python<'_>, context: &str, err: PyErr) -> CodeError {
    CodeError::Setup(format!("{context}: {}", describe_err(py, &err)))
}

fn describe_err(py: Python<'_>, err: &PyErr) -> String {
    let name = err
        .get_type(py)
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let value = err
        .value(py)
        .str()
        .map(|text| text.to_string_lossy().into_owned())
        .unwrap_or_default();
    if value.is_empty() {
        name
    } else {
        format!("{name}: {value}")
    }
}

/// An exception that escaped the harness: the stop exception arriving late, or a failure
/// while finishing the run.
fn python_failure(py: Python<'_>, err: PyErr) -> CodeError {
    let is_stop = harness(py)
        .and_then(|module| module.getattr("AgentBlocksStop"))
        .map(|stop| err.get_type(py).is(&stop))
        .unwrap_or(false);
    if is_stop {
        CodeError::Cancelled
    } else {
        CodeError::failed(describe_err(py, &err))
    }
}

fn to_python<'py>(
    py: Python<'py>,
    value: &Value,
    path_class: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        Value::Number(n) => PyFloat::new(py, *n).into_any(),
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Path(p) => path_class.call1((p.to_string_lossy().as_ref(),))?,
        Value::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item, path_class)?)?;
            }
            list.into_any()
        }
        Value::Dict(entries) => {
            let dict = PyDict::new(py);
            for (key, item) in entries {
                dict.set_item(key, to_python(py, item, path_class)?)?;
            }
            dict.into_any()
        }
    })
}

/// Converts a Python object to a [`Value`]; the error describes what could not be converted.
fn from_python(
    object: &Bound<'_, PyAny>,
    module: &Bound<'_, PyModule>,
    depth: usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("a value nested more than {MAX_DEPTH} levels deep"));
    }
    let type_name = || {
        object
            .get_type()
            .name()
            .map(|name| name.to_string())
            .unwrap_or_else(|_| "object".into())
    };
    if object.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = object.downcast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if object.is_instance_of::<PyInt>() {
        return Ok(match object.extract::<i64>() {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::Number(object.extract::<f64>().unwrap_or(f64::NAN)),
        });
    }
    if let Ok(f) = object.downcast::<PyFloat>() {
        return Ok(Value::Number(f.value()));
    }
    if let Ok(s) = object.downcast::<PyString>() {
        return Ok(Value::String(s.to_string_lossy().into_owned()));
    }
    let is_path = module
        .getattr("PurePath")
        .and_then(|class| object.is_instance(&class))
        .unwrap_or(false);
    if is_path {
        let bytes = module
            .call_method1("path_bytes", (object,))
            .map_err(|_| "a path that cannot be encoded".to_string())?;
        let bytes = bytes
            .downcast::<PyBytes>()
            .map_err(|_| "a path that cannot be encoded".to_string())?;
        use std::os::unix::ffi::OsStrExt;
        return Ok(Value::Path(PathBuf::from(std::ffi::OsStr::from_bytes(
            bytes.as_bytes(),
        ))));
    }
    if let Ok(list) = object.downcast::<PyList>() {
        return list
            .iter()
            .map(|item| from_python(&item, module, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::List);
    }
    if let Ok(tuple) = object.downcast::<PyTuple>() {
        return tuple
            .iter()
            .map(|item| from_python(&item, module, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::List);
    }
    if let Ok(dict) = object.downcast::<PyDict>() {
        let mut entries = Vec::with_capacity(dict.len());
        for (key, item) in dict.iter() {
            let Ok(key) = key.downcast::<PyString>() else {
                let key_type = key
                    .get_type()
                    .name()
                    .map(|name| name.to_string())
                    .unwrap_or_else(|_| "object".into());
                return Err(format!(
                    "a `dict` with a `{key_type}` key (keys must be `str`)"
                ));
            };
            entries.push((
                key.to_string_lossy().into_owned(),
                from_python(&item, module, depth + 1)?,
            ));
        }
        return Ok(Value::Dict(entries));
    }
    Err(format!("a Python `{}`", type_name()))
}

/// The version of the embedded Python, like `3.11.7 (main, ...)`.
pub fn python_version() -> String {
    Python::with_gil(|py| py.version().to_string())
}
