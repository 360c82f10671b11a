//! JavaScript executor: QuickJS through rquickjs.
//!
//! Each run gets a fresh runtime and context with a memory limit and an interrupt handler that
//! stops the code when the timeout passes or the cancel flag is set. Inputs are globals (paths
//! as strings). The code is evaluated as a global script (with top-level `await` allowed when it
//! uses `await`); then an event loop runs pending jobs and timers (`setTimeout`, `setInterval`,
//! `clearTimeout`, `clearInterval`, kept by the prelude in JavaScript and fired from Rust) until
//! its promise settles and nothing is left to run, as Node would before exiting. With one
//! output, a completion value that is not `undefined` is the output (`["a"].map(x => x)`);
//! otherwise outputs are read by name (`var`, `let`, `const` and `globalThis` properties all
//! work). `console.log`/`info`/`debug` go
//! to the log as stdout and `console.error`/`warn` as stderr.
//!
//! The context runs on a scoped thread of its own so that the console can stream lines to the
//! caller's log, which QuickJS could not hold (it needs `'static` callbacks).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::{
    Array, CaughtError, Context, Ctx, Function, Object, Runtime, Type as JsType, Value as JsValue,
};

use super::{CodeError, CodeRequest, LogLine, Stream};
use crate::value::{TypeMismatch, Value};

/// The memory a block's JavaScript may use.
pub const MEMORY_LIMIT: usize = 256 * 1024 * 1024;
/// The native stack a block's JavaScript may use.
const STACK_LIMIT: usize = 1024 * 1024;
/// The file name QuickJS reports for the block's code; replaced with the workflow file.
const FILE_NAME: &str = "<block>";
/// How deep nested arrays and objects may go when converting a result.
const MAX_DEPTH: usize = 200;

const PRELUDE: &str = r#"
(() => {
  const emit = globalThis.__agentblocks_emit;
  delete globalThis.__agentblocks_emit;
  const show = (value) => {
    if (typeof value === "string") return value;
    if (value instanceof Error) return String(value) + (value.stack ? "\n" + value.stack.trimEnd() : "");
    try {
      const json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch (error) {
      return String(value);
    }
  };
  const writer = (stream) => (...args) => {
    for (const line of args.map(show).join(" ").split("\n")) emit(stream, line);
  };
  globalThis.console = {
    log: writer(0), info: writer(0), debug: writer(0), trace: writer(0),
    error: writer(1), warn: writer(1),
  };

  // Timers: the event loop in Rust asks `wait` how long until the next one is due (-1 when
  // none is left), sleeps, then calls `fire`, which runs the due ones in order.
  const timers = new Map();
  let nextId = 1;
  const schedule = (repeat) => (callback, delay = 0, ...args) => {
    if (typeof callback !== "function") throw new TypeError("the callback must be a function");
    const ms = Math.max(0, Number(delay) || 0);
    const id = nextId++;
    timers.set(id, { at: Date.now() + ms, every: repeat ? Math.max(1, ms) : null, callback, args });
    return id;
  };
  const clear = (id) => { timers.delete(id); };
  globalThis.setTimeout = schedule(false);
  globalThis.setInterval = schedule(true);
  globalThis.clearTimeout = clear;
  globalThis.clearInterval = clear;
  return {
    wait() {
      let next = Infinity;
      for (const timer of timers.values()) next = Math.min(next, timer.at);
      return next === Infinity ? -1 : Math.max(0, next - Date.now());
    },
    fire() {
      const now = Date.now();
      const due = [...timers].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
      for (const [id, timer] of due) {
        if (!timers.has(id)) continue; // cleared by an earlier callback
        if (timer.every === null) timers.delete(id); else timer.at = now + timer.every;
        timer.callback(...timer.args);
      }
    },
  };
})()
"#;

/// Runs `req.code` as JavaScript and returns the outputs in port order.
pub fn run_javascript(req: &CodeRequest) -> Result<Vec<(String, Value)>, CodeError> {
    if req.cancel.is_cancelled() {
        return Err(CodeError::Cancelled);
    }
    let start = Instant::now();
    let (sender, receiver) = mpsc::channel::<LogLine>();
    let result = thread::scope(|scope| {
        let worker = thread::Builder::new()
            .name(format!("javascript:{}", req.block_id))
            .spawn_scoped(scope, || run_in_context(req, start, sender))
            .map_err(|err| CodeError::Setup(format!("could not start a JavaScript thread: {err}")));
        for line in receiver.iter() {
            (req.log)(line);
        }
        match worker {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|_| Err(CodeError::Setup("the JavaScript thread panicked".into()))),
            Err(err) => Err(err),
        }
    })?;
    let mut values = result;
    req.collect_outputs(|port| {
        values
            .iter()
            .position(|(name, _)| name == port)
            .map(|index| values.swap_remove(index).1)
    })
}

fn run_in_context(
    req: &CodeRequest,
    start: Instant,
    sender: mpsc::Sender<LogLine>,
) -> Result<Vec<(String, Value)>, CodeError> {
    let setup = |err: rquickjs::Error| CodeError::Setup(format!("could not start QuickJS: {err}"));
    let runtime = Runtime::new().map_err(setup)?;
    runtime.set_memory_limit(MEMORY_LIMIT);
    runtime.set_max_stack_size(STACK_LIMIT);
    let stopped = Arc::new(AtomicBool::new(false));
    {
        let stopped = stopped.clone();
        let cancel = req.cancel.clone();
        let deadline = req.deadline(start);
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let stop = cancel.is_cancelled() || deadline.is_some_and(|d| Instant::now() >= d);
            if stop {
                stopped.store(true, Ordering::SeqCst);
            }
            stop
        })));
    }
    let context = Context::full(&runtime).map_err(setup)?;
    let result = context.with(|ctx| -> Result<Vec<(String, Value)>, CodeError> {
        let event_loop = EventLoop {
            timers: install_prelude(&ctx, sender).map_err(setup)?,
            ctx: ctx.clone(),
            req,
            stopped: &stopped,
            deadline: req.deadline(start),
        };
        let globals = ctx.globals();
        for (name, value) in req.inputs {
            let js = to_js(&ctx, value).map_err(setup)?;
            globals.set(name.as_str(), js).map_err(setup)?;
        }

        let mut options = EvalOptions::default();
        options.global = true;
        // Top-level `await` needs QuickJS's async script mode, whose stack traces lose the
        // line inside functions; code that does not mention `await` runs as a plain script.
        let is_async = req.code.contains("await");
        options.promise = is_async;
        options.filename = Some(FILE_NAME.to_string());
        let evaluated: Result<JsValue, _> = ctx.eval_with_options(req.code, options);
        let completion = match evaluated {
            Ok(value) => event_loop.settle(value)?,
            Err(err) => return Err(js_failure(&ctx, err, req, &stopped)),
        };
        // With top-level await allowed, QuickJS resolves to `{value: completion}`.
        let completion = match completion.as_object() {
            Some(object) if is_async && !completion.is_array() && !completion.is_function() => {
                object
                    .get::<_, JsValue>("value")
                    .unwrap_or(completion.clone())
            }
            _ => completion,
        };
        let completion = event_loop.settle(completion)?;

        let mut values = Vec::new();
        let single = req.outputs.len() == 1;
        for (port, _) in req.outputs {
            let value = if single && !completion.is_undefined() {
                completion.clone()
            } else {
                // Reads `var`, `let` and `const` declarations as well as properties.
                let read = format!("typeof {port} === 'undefined' ? undefined : {port}");
                match ctx.eval::<JsValue, _>(read) {
                    Ok(value) => value,
                    Err(err) => return Err(js_failure(&ctx, err, req, &stopped)),
                }
            };
            if value.is_undefined() {
                continue;
            }
            let value = from_js(&value, 0).map_err(|found| CodeError::OutputType {
                port: port.clone(),
                mismatch: TypeMismatch {
                    path: String::new(),
                    expected:
                        "a JSON-like value (null, boolean, number, string, array, plain object)"
                            .into(),
                    found,
                },
            })?;
            values.push((port.clone(), value));
        }
        Ok(values)
    });
    if stopped.load(Ordering::SeqCst) {
        return Err(req.stop_error());
    }
    result
}

/// Installs `console` and the timers; returns the timers' `{wait, fire}` for the event loop.
fn install_prelude<'js>(
    ctx: &Ctx<'js>,
    sender: mpsc::Sender<LogLine>,
) -> rquickjs::Result<Object<'js>> {
    let emit = Function::new(ctx.clone(), move |stream: i32, text: String| {
        let stream = if stream == 0 {
            Stream::Stdout
        } else {
            Stream::Stderr
        };
        let _ = sender.send(LogLine { stream, text });
    })?;
    ctx.globals().set("__agentblocks_emit", emit)?;
    ctx.eval(PRELUDE)
}

/// The block's event loop: pending jobs (promise reactions) first, then timers, waiting for
/// the next one while watching the timeout and the cancel flag (the interrupt handler only
/// sees them while JavaScript runs).
struct EventLoop<'a, 'js> {
    ctx: Ctx<'js>,
    /// The prelude's `{wait, fire}`.
    timers: Object<'js>,
    req: &'a CodeRequest<'a>,
    stopped: &'a AtomicBool,
    deadline: Option<Instant>,
}

impl<'js> EventLoop<'_, 'js> {
    /// Runs the loop until `value` (when a promise) settles and nothing is left to run;
    /// returns what it resolved to.
    fn settle(&self, value: JsValue<'js>) -> Result<JsValue<'js>, CodeError> {
        let Some(promise) = value.as_promise().cloned() else {
            while self.turn()? {}
            return Ok(value);
        };
        loop {
            match promise.result::<JsValue>() {
                Some(Ok(value)) => {
                    while self.turn()? {}
                    return Ok(value);
                }
                Some(Err(err)) => return Err(self.failure(err)),
                None => {}
            }
            if !self.turn()? {
                return Err(CodeError::failed(
                    "the block's promise never settled (no pending job or timer is left to \
                     settle it)",
                ));
            }
        }
    }

    /// Runs one pending job, else waits for the next timer and fires the due ones; false when
    /// neither is left.
    fn turn(&self) -> Result<bool, CodeError> {
        self.check_stop()?;
        if self.ctx.execute_pending_job() {
            self.check_stop()?;
            return Ok(true);
        }
        let call = |name: &str| -> Result<JsValue<'js>, CodeError> {
            self.timers
                .get::<_, Function>(name)
                .and_then(|f| f.call(()))
                .map_err(|err| self.failure(err))
        };
        let Some(wait) = call("wait")?.as_number().filter(|ms| *ms >= 0.0) else {
            return Ok(false);
        };
        let due = Instant::now() + Duration::from_secs_f64(wait.min(1e9) / 1000.0);
        while let Some(left) = due.checked_duration_since(Instant::now()) {
            if left.is_zero() {
                break;
            }
            self.check_stop()?;
            thread::sleep(left.min(Duration::from_millis(20)));
        }
        call("fire")?;
        self.check_stop()?;
        Ok(true)
    }

    /// The stop error once the run is cancelled or past its deadline.
    fn check_stop(&self) -> Result<(), CodeError> {
        let late = self.deadline.is_some_and(|d| Instant::now() >= d);
        if late || self.req.cancel.is_cancelled() {
            self.stopped.store(true, Ordering::SeqCst);
        }
        if self.stopped.load(Ordering::SeqCst) {
            return Err(self.req.stop_error());
        }
        Ok(())
    }

    fn failure(&self, err: rquickjs::Error) -> CodeError {
        js_failure(&self.ctx, err, self.req, self.stopped)
    }
}

/// Describes a thrown exception, with `<block>:LINE` mapped to the workflow file.
fn js_failure(
    ctx: &Ctx<'_>,
    err: rquickjs::Error,
    req: &CodeRequest,
    stopped: &AtomicBool,
) -> CodeError {
    if stopped.load(Ordering::SeqCst) {
        return req.stop_error();
    }
    let caught = CaughtError::from_error(ctx, err);
    let (message, stack) = match &caught {
        CaughtError::Exception(exception) => {
            let name = exception
                .get::<_, String>("name")
                .unwrap_or_else(|_| "Error".into());
            let message = exception.message().unwrap_or_default();
            (
                if message.is_empty() {
                    name
                } else {
                    format!("{name}: {message}")
                },
                exception.stack().unwrap_or_default(),
            )
        }
        CaughtError::Value(value) => {
            let text = from_js(value, 0)
                .map(|value| match value {
                    Value::String(text) => text,
                    other => other.to_json().to_string(),
                })
                .unwrap_or_else(|found| found);
            (format!("uncaught {text}"), String::new())
        }
        CaughtError::Error(error) => (error.to_string(), String::new()),
    };
    if message.contains("out of memory") {
        return CodeError::failed(format!(
            "{message} (the limit is {} MB)",
            MEMORY_LIMIT / (1024 * 1024)
        ));
    }
    let file = req.source_offset.file.to_string_lossy();
    let mut first_line = None;
    let mut mapped = String::new();
    for (i, text) in stack.lines().enumerate() {
        if i > 0 {
            mapped.push('\n');
        }
        mapped.push_str(&map_locations(text, &file, req, &mut first_line));
    }
    // A syntax error names its place in the message, not the stack.
    let message = map_locations(&message, &file, req, &mut first_line);
    CodeError::Failed {
        message,
        traceback: (!mapped.trim().is_empty()).then_some(mapped),
        line: first_line,
    }
}

/// Replaces every `<block>:LINE` in `text` with `FILE:WORKFLOW_LINE` (`FILE:LINE (code line N)`
/// for code in one quoted string), remembering the first workflow line.
fn map_locations(text: &str, file: &str, req: &CodeRequest, first: &mut Option<u32>) -> String {
    let marker = format!("{FILE_NAME}:");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&marker) {
        out.push_str(&rest[..at]);
        let after = &rest[at + marker.len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        match after[..digits].parse::<u32>() {
            Ok(line) if req.source_offset.inline => {
                // `FILE:LINE (code line N, column C)`: the column is within the code line.
                first.get_or_insert(req.workflow_line(line));
                let tail = &after[digits..];
                let column = tail
                    .strip_prefix(':')
                    .map(|t| t.chars().take_while(char::is_ascii_digit).count())
                    .filter(|&n| n > 0);
                let place = req.source_offset.place(line);
                match column {
                    Some(n) => {
                        let place = place.trim_end_matches(')');
                        out.push_str(&format!("{file}:{place}, column {})", &tail[1..=n]));
                        rest = &tail[1 + n..];
                    }
                    None => {
                        out.push_str(&format!("{file}:{place}"));
                        rest = tail;
                    }
                }
                continue;
            }
            Ok(line) => {
                let mapped = req.workflow_line(line);
                first.get_or_insert(mapped);
                out.push_str(&format!("{file}:{mapped}"));
            }
            Err(_) => out.push_str(&marker),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

fn to_js<'js>(ctx: &Ctx<'js>, value: &Value) -> rquickjs::Result<JsValue<'js>> {
    Ok(match value {
        Value::Null => JsValue::new_null(ctx.clone()),
        Value::Bool(b) => JsValue::new_bool(ctx.clone(), *b),
        Value::Integer(i) => match i32::try_from(*i) {
            Ok(small) => JsValue::new_int(ctx.clone(), small),
            Err(_) => JsValue::new_float(ctx.clone(), *i as f64),
        },
        Value::Number(n) => JsValue::new_float(ctx.clone(), *n),
        Value::String(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
        Value::Path(p) => {
            rquickjs::String::from_str(ctx.clone(), &p.to_string_lossy())?.into_value()
        }
        Value::List(items) => {
            let array = Array::new(ctx.clone())?;
            for (i, item) in items.iter().enumerate() {
                array.set(i, to_js(ctx, item)?)?;
            }
            array.into_value()
        }
        Value::Dict(entries) => {
            let object = Object::new(ctx.clone())?;
            for (key, item) in entries {
                object.set(key.as_str(), to_js(ctx, item)?)?;
            }
            object.into_value()
        }
    })
}

/// Converts a JavaScript value; the error describes what could not be converted.
fn from_js(value: &JsValue<'_>, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("a value nested more than {MAX_DEPTH} levels deep"));
    }
    Ok(match value.type_of() {
        JsType::Uninitialized | JsType::Undefined | JsType::Null => Value::Null,
        JsType::Bool => Value::Bool(value.as_bool().unwrap_or(false)),
        JsType::Int => Value::Integer(i64::from(value.as_int().unwrap_or(0))),
        JsType::Float => {
            let n = value.as_float().unwrap_or(f64::NAN);
            if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
                Value::Integer(n as i64)
            } else {
                Value::Number(n)
            }
        }
        JsType::String => Value::String(
            value
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_default(),
        ),
        JsType::BigInt => match value.as_big_int().map(|b| b.clone().to_i64()) {
            Some(Ok(i)) => Value::Integer(i),
            _ => return Err("a BigInt too large for 64 bits".into()),
        },
        JsType::Array => {
            let Some(array) = value.as_array() else {
                return Err("an array that cannot be read".into());
            };
            let mut items = Vec::with_capacity(array.len());
            for item in array.iter::<JsValue>() {
                let item = item.map_err(|err| format!("an array that cannot be read ({err})"))?;
                items.push(from_js(&item, depth + 1)?);
            }
            Value::List(items)
        }
        JsType::Object | JsType::Exception => {
            let Some(object) = value.as_object() else {
                return Err("an object that cannot be read".into());
            };
            let mut entries = Vec::new();
            for prop in object.props::<String, JsValue>() {
                let (key, item) =
                    prop.map_err(|err| format!("an object that cannot be read ({err})"))?;
                if item.is_undefined() || item.is_function() {
                    continue;
                }
                entries.push((key, from_js(&item, depth + 1)?));
            }
            Value::Dict(entries)
        }
        other => return Err(format!("a JavaScript {}", other.as_str())),
    })
}
