//! Executor tests on real interpreters: inputs and outputs, logs, errors with workflow lines,
//! timeouts, cancellation, type mismatches, and template expansion.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use agentblocks_dsl::types::{parse_type, Type};
use agentblocks_engine::executors::{
    run_code, CancelFlag, CodeError, CodeRequest, LogLine, PythonSetting, SourceLocation, Stream,
};
use agentblocks_engine::value::Value;

/// One executor call and what it logged.
struct Outcome {
    result: Result<Vec<(String, Value)>, CodeError>,
    logs: Vec<LogLine>,
}

impl Outcome {
    fn output(&self, port: &str) -> Value {
        let outputs = match &self.result {
            Ok(outputs) => outputs,
            Err(err) => panic!("block failed: {err:?}\nlogs: {:?}", self.logs),
        };
        outputs
            .iter()
            .find(|(name, _)| name == port)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("no output {port}"))
    }

    fn error(&self) -> &CodeError {
        match &self.result {
            Ok(outputs) => panic!("block succeeded with {outputs:?}"),
            Err(err) => err,
        }
    }

    fn stdout(&self) -> Vec<&str> {
        self.logs
            .iter()
            .filter(|line| line.stream == Stream::Stdout)
            .map(|line| line.text.as_str())
            .collect()
    }
}

struct Call<'a> {
    language: &'a str,
    code: &'a str,
    inputs: Vec<(String, Value)>,
    outputs: Vec<(String, Type)>,
    input_types: Vec<(String, Type)>,
    named_types: Vec<(String, Type)>,
    timeout: Option<Duration>,
    dependencies: Vec<String>,
    workspace: PathBuf,
    cancel: CancelFlag,
}

fn call<'a>(language: &'a str, code: &'a str) -> Call<'a> {
    Call {
        language,
        code,
        inputs: Vec::new(),
        outputs: Vec::new(),
        input_types: Vec::new(),
        named_types: Vec::new(),
        timeout: Some(Duration::from_secs(20)),
        dependencies: Vec::new(),
        workspace: std::env::temp_dir(),
        cancel: CancelFlag::new(),
    }
}

impl Call<'_> {
    fn input(mut self, name: &str, value: Value) -> Self {
        self.inputs.push((name.to_string(), value));
        self
    }

    /// Declares input `name`'s type (the executors get values; only SQL reads types).
    fn input_type(mut self, name: &str, ty: &str) -> Self {
        self.input_types
            .push((name.to_string(), parse_type(ty).expect("valid type")));
        self
    }

    fn named_type(mut self, name: &str, ty: &str) -> Self {
        self.named_types
            .push((name.to_string(), parse_type(ty).expect("valid type")));
        self
    }

    fn output(mut self, name: &str, ty: &str) -> Self {
        self.outputs
            .push((name.to_string(), parse_type(ty).expect("valid type")));
        self
    }

    fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn run(self) -> Outcome {
        let logs = Mutex::new(Vec::new());
        let log = |line: LogLine| logs.lock().unwrap().push(line);
        let req = CodeRequest {
            block_id: "test_block",
            code: self.code,
            inputs: &self.inputs,
            outputs: &self.outputs,
            input_types: &self.input_types,
            named_types: &self.named_types,
            workspace: &self.workspace,
            timeout: self.timeout,
            cancel: &self.cancel,
            log: &log,
            source_offset: SourceLocation {
                file: PathBuf::from("flow.ab"),
                line: 10,
                line_map: Vec::new(),
                inline: false,
            },
            python: &PythonSetting::Embedded,
        };
        let result = run_code(self.language, &req, &self.dependencies);
        Outcome {
            result,
            logs: logs.into_inner().unwrap(),
        }
    }
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

fn path(text: &str) -> Value {
    Value::Path(PathBuf::from(text))
}

/// Cancels `flag` after `delay`, from another thread.
fn cancel_after(flag: &CancelFlag, delay: Duration) {
    let flag = flag.clone();
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        flag.cancel();
    });
}

fn assert_mismatch(err: &CodeError, port: &str, expected: &str, found: &str) {
    match err {
        CodeError::OutputType { port: p, mismatch } => {
            assert_eq!(p, port);
            assert_eq!(mismatch.expected, expected);
            assert!(
                mismatch.found.contains(found),
                "{} should name {found}",
                mismatch.found
            );
            let text = err.to_string();
            assert!(text.contains(expected) && text.contains(found), "{text}");
        }
        other => panic!("expected an output type error, got {other:?}"),
    }
}

/// Asserts that the call was stopped by its timeout.
fn assert_timed_out(outcome: &Outcome) {
    assert!(
        matches!(outcome.error(), CodeError::Timeout(_)),
        "{:?}",
        outcome.result
    );
}

fn failed_line(err: &CodeError) -> (String, Option<String>, Option<u32>) {
    match err {
        CodeError::Failed {
            message,
            traceback,
            line,
        } => (message.clone(), traceback.clone(), *line),
        other => panic!("expected a failure, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Python

#[cfg(feature = "python")]
mod python {
    use super::*;

    #[test]
    fn inputs_and_outputs_round_trip_with_pathlib() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.cpp"), "GetMouseDown();").unwrap();
        std::fs::write(dir.path().join("b.cpp"), "nothing").unwrap();
        let files = Value::List(vec![
            Value::Path(dir.path().join("a.cpp")),
            Value::Path(dir.path().join("b.cpp")),
        ]);
        let outcome = call(
            "python",
            "assert all(isinstance(f, pathlib.Path) for f in files)\n\
             import pathlib\n\
             count = len(files) + n\n\
             info = {'name': name, 'ratio': 0.5, 'none': None, 'pair': (1, 'x')}\n\
             first = files[0]\n",
        )
        .input("files", files)
        .input("n", Value::Integer(1))
        .input("name", s("x"))
        .output("count", "Integer")
        .output("info", "Dict[String, Any]")
        .output("first", "Path")
        .run();
        // `pathlib` is used before it is imported: the harness must have bound paths anyway.
        let err = outcome.error();
        let (message, _, line) = failed_line(err);
        assert!(message.contains("NameError"), "{message}");
        assert_eq!(line, Some(10));

        let outcome = call(
            "python",
            "import pathlib\n\
             assert all(isinstance(f, pathlib.Path) for f in files)\n\
             count = len(files) + n\n\
             info = {'name': name, 'ratio': 0.5, 'none': None, 'pair': (1, 'x')}\n\
             first = files[0]\n",
        )
        .input(
            "files",
            Value::List(vec![path("/tmp/a.cpp"), path("/tmp/b.cpp")]),
        )
        .input("n", Value::Integer(1))
        .input("name", s("x"))
        .output("count", "Integer")
        .output("info", "Dict[String, Any]")
        .output("first", "Path")
        .run();
        assert_eq!(outcome.output("count"), Value::Integer(3));
        assert_eq!(
            outcome.output("info"),
            Value::Dict(vec![
                ("name".into(), s("x")),
                ("ratio".into(), Value::Number(0.5)),
                ("none".into(), Value::Null),
                ("pair".into(), Value::List(vec![Value::Integer(1), s("x")])),
            ])
        );
        assert_eq!(outcome.output("first"), path("/tmp/a.cpp"));
    }

    #[test]
    fn single_expression_is_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.cpp");
        let b = dir.path().join("b.cpp");
        std::fs::write(&a, "void f() { GetMouseDown(); }").unwrap();
        std::fs::write(&b, "void g() {}").unwrap();
        let outcome = call(
            "python",
            "[file for file in files if \"GetMouseDown\" in file.read_text()]\n",
        )
        .input(
            "files",
            Value::List(vec![Value::Path(a.clone()), Value::Path(b)]),
        )
        .output("filtered_files", "List[Path]")
        .run();
        assert_eq!(
            outcome.output("filtered_files"),
            Value::List(vec![Value::Path(a)])
        );
    }

    #[test]
    fn print_goes_to_the_log() {
        let outcome = call(
            "python",
            "import sys\nprint('hello', 42)\nprint('no newline', end='')\nsys.stderr.write('oops\\n')\nx = 1\n",
        )
        .output("x", "Integer")
        .run();
        assert_eq!(outcome.output("x"), Value::Integer(1));
        assert_eq!(outcome.stdout(), vec!["hello 42", "no newline"]);
        assert!(outcome
            .logs
            .iter()
            .any(|line| line.stream == Stream::Stderr && line.text == "oops"));
    }

    #[test]
    fn exception_has_traceback_and_workflow_line() {
        // The second run takes the compiled code from the cache: its traceback must map the
        // same way.
        for _ in 0..2 {
            exception_maps_to_the_workflow();
        }
    }

    fn exception_maps_to_the_workflow() {
        let outcome = call(
            "python",
            "def helper(x):\n    return 1 / x\n\ny = helper(0)\n",
        )
        .output("y", "Number")
        .run();
        let (message, traceback, line) = failed_line(outcome.error());
        assert_eq!(message, "ZeroDivisionError: division by zero");
        // Line 2 of the code is line 11 of the workflow file (the code starts on line 10).
        assert_eq!(line, Some(11));
        let traceback = traceback.unwrap();
        assert!(
            traceback.contains("File \"flow.ab\", line 13, in block `test_block`"),
            "{traceback}"
        );
        assert!(
            traceback.contains("File \"flow.ab\", line 11, in helper"),
            "{traceback}"
        );
        assert!(traceback.contains("return 1 / x"), "{traceback}");
        assert!(!traceback.contains("_agentblocks"), "{traceback}");
    }

    #[test]
    fn syntax_error_has_workflow_line() {
        let outcome = call("python", "x = 1\ny = (\n").output("y", "Any").run();
        let (message, _, line) = failed_line(outcome.error());
        assert!(message.starts_with("SyntaxError"), "{message}");
        assert!(matches!(line, Some(11) | Some(12)), "{line:?}");
    }

    #[test]
    fn runaway_loop_times_out() {
        let outcome = call("python", "while True:\n    pass\n")
            .output("x", "Any")
            .timeout(Duration::from_millis(300))
            .run();
        assert_timed_out(&outcome);
        // The interpreter is usable afterwards.
        let outcome = call("python", "1 + 1").output("x", "Integer").run();
        assert_eq!(outcome.output("x"), Value::Integer(2));
    }

    #[test]
    fn loop_that_catches_the_stop_still_stops() {
        let outcome = call(
            "python",
            "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n",
        )
        .output("x", "Any")
        .timeout(Duration::from_millis(200))
        .run();
        assert_timed_out(&outcome);
    }

    #[test]
    fn cancel_stops_a_running_block() {
        let c = call("python", "n = 0\nwhile True:\n    n += 1\n").output("n", "Integer");
        cancel_after(&c.cancel, Duration::from_millis(200));
        let outcome = c.run();
        assert_eq!(outcome.error(), &CodeError::Cancelled);
    }

    #[test]
    fn wrong_output_type_names_both() {
        let outcome = call("python", "'abc'").output("count", "Integer").run();
        assert_mismatch(outcome.error(), "count", "Integer", "String");
        let outcome = call("python", "x = [1, 'two']")
            .output("x", "List[Integer]")
            .run();
        match outcome.error() {
            CodeError::OutputType { mismatch, .. } => assert_eq!(mismatch.path, "[1]"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_output_and_unconvertible_values() {
        let outcome = call("python", "x = 1\ny = 2")
            .output("x", "Integer")
            .output("z", "Integer")
            .run();
        assert_eq!(
            outcome.error(),
            &CodeError::MissingOutput { port: "z".into() }
        );
        let outcome = call("python", "{1, 2}").output("x", "Any").run();
        assert!(
            outcome.error().to_string().contains("set"),
            "{}",
            outcome.error()
        );
        let outcome = call("python", "{1: 'a'}").output("x", "Any").run();
        assert!(
            outcome.error().to_string().contains("int"),
            "{}",
            outcome.error()
        );
    }

    #[test]
    fn missing_dependency_is_named() {
        let mut c = call("python", "1").output("x", "Integer");
        c.dependencies = vec!["json".into(), "surely-not-installed-pkg>=1.0".into()];
        let outcome = c.run();
        match outcome.error() {
            CodeError::Setup(message) => {
                assert!(
                    message.contains("`surely-not-installed-pkg>=1.0`"),
                    "{message}"
                );
                assert!(message.contains("surely_not_installed_pkg"), "{message}");
                assert!(!message.contains("`json`"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sys_exit_zero_is_success() {
        let outcome = call("python", "x = 5\nimport sys\nsys.exit(0)\n")
            .output("x", "Integer")
            .run();
        assert_eq!(outcome.output("x"), Value::Integer(5));
    }
}

// ---------------------------------------------------------------------------------------------
// Shell

mod shell {
    use super::*;

    #[test]
    fn inputs_are_environment_and_stdout_is_output() {
        let outcome = call(
            "shell",
            "printf '%s|%s|%s\\n' \"$name\" \"$file\" \"$items\"",
        )
        .input("name", s("it's"))
        .input("file", path("/tmp/x y"))
        .input("items", Value::List(vec![Value::Integer(1), s("a")]))
        .output("stdout", "String")
        .run();
        assert_eq!(outcome.output("stdout"), s("it's|/tmp/x y|[1,\"a\"]"));
    }

    #[test]
    fn stdout_parsed_as_json_for_other_types() {
        let outcome = call("shell", "echo '[1, 2, 3]'")
            .output("stdout", "List[Integer]")
            .run();
        assert_eq!(
            outcome.output("stdout"),
            Value::List(vec![
                Value::Integer(1),
                Value::Integer(2),
                Value::Integer(3)
            ])
        );
        let outcome = call("shell", "echo hello")
            .output("stdout", "Integer")
            .run();
        assert!(matches!(outcome.error(), CodeError::OutputType { .. }));
        assert!(outcome.error().to_string().contains("Integer"));
    }

    #[test]
    fn runs_in_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = call("shell", "pwd").output("stdout", "Path");
        c.workspace = dir.path().to_path_buf();
        let outcome = c.run();
        let Value::Path(pwd) = outcome.output("stdout") else {
            panic!()
        };
        assert_eq!(
            pwd.canonicalize().unwrap(),
            dir.path().canonicalize().unwrap()
        );
    }

    #[test]
    fn stderr_and_stdout_stream_to_the_log() {
        let outcome = call("shell", "echo out; echo err >&2; echo 'bad \\377 byte' >&2").run();
        assert!(outcome.result.is_ok());
        assert_eq!(outcome.stdout(), vec!["out"]);
        let errs: Vec<&str> = outcome
            .logs
            .iter()
            .filter(|line| line.stream == Stream::Stderr)
            .map(|line| line.text.as_str())
            .collect();
        assert_eq!(errs[0], "err");
        assert!(errs[1].starts_with("bad"));
    }

    #[test]
    fn nonzero_exit_fails_unless_exit_code_declared() {
        let outcome = call("shell", "echo fine\nnosuchcommand_xyz\n").run();
        let (message, _, line) = failed_line(outcome.error());
        assert!(message.contains("exit status 127"), "{message}");
        assert_eq!(line, Some(11));
        let outcome = call("shell", "echo hi; exit 3")
            .output("stdout", "String")
            .output("exit_code", "Integer")
            .run();
        assert_eq!(outcome.output("exit_code"), Value::Integer(3));
        assert_eq!(outcome.output("stdout"), s("hi"));
    }

    #[test]
    fn stderr_is_an_output_and_still_streams_to_the_log() {
        let outcome = call(
            "shell",
            "echo out; echo one >&2; printf 'two\\n\\n' >&2; exit 4",
        )
        .output("stdout", "String")
        .output("stderr", "String")
        .output("exit_code", "Integer")
        .run();
        assert_eq!(outcome.output("stdout"), s("out"));
        // One trailing newline removed, like stdout.
        assert_eq!(outcome.output("stderr"), s("one\ntwo\n"));
        assert_eq!(outcome.output("exit_code"), Value::Integer(4));
        let errs: Vec<&str> = outcome
            .logs
            .iter()
            .filter(|line| line.stream == Stream::Stderr)
            .map(|line| line.text.as_str())
            .collect();
        assert_eq!(errs, ["one", "two", ""]);

        // Alone, and empty when nothing is written; JSON for other types.
        let outcome = call("shell", "true").output("stderr", "String").run();
        assert_eq!(outcome.output("stderr"), s(""));
        let outcome = call("shell", "echo '[1]' >&2")
            .output("stderr", "List[Integer]")
            .run();
        assert_eq!(
            outcome.output("stderr"),
            Value::List(vec![Value::Integer(1)])
        );
    }

    fn pids_alive(pid_file: &Path) -> Vec<i32> {
        let text = std::fs::read_to_string(pid_file).unwrap_or_default();
        text.split_whitespace()
            .filter_map(|pid| pid.parse::<i32>().ok())
            .filter(|pid| {
                // A zombie is not running; look at the state in /proc.
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .map(|stat| {
                        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
                        !state.starts_with('Z')
                    })
                    .unwrap_or(false)
            })
            .collect()
    }

    #[test]
    fn timeout_kills_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pids");
        let code = "sleep 100 & echo $! >> pids\nsleep 100 & echo $! >> pids\nsleep 100\n";
        let mut c = call("shell", code).timeout(Duration::from_millis(300));
        c.workspace = dir.path().to_path_buf();
        let outcome = c.run();
        assert_timed_out(&outcome);
        let pids = std::fs::read_to_string(&pid_file).unwrap();
        assert_eq!(pids.lines().count(), 2);
        assert!(pids_alive(&pid_file).is_empty(), "still running: {pids}");
    }

    #[test]
    fn cancel_kills_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pids");
        let mut c = call(
            "shell",
            "sleep 100 & echo $! >> pids\nwhile true; do sleep 1; done\n",
        );
        c.workspace = dir.path().to_path_buf();
        cancel_after(&c.cancel, Duration::from_millis(300));
        let outcome = c.run();
        assert_eq!(outcome.error(), &CodeError::Cancelled);
        assert!(pids_alive(&pid_file).is_empty());
    }

    #[test]
    fn background_jobs_do_not_outlive_a_finished_block() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pids");
        let mut c =
            call("shell", "sleep 100 & echo $! >> pids\necho done").output("stdout", "String");
        c.workspace = dir.path().to_path_buf();
        let outcome = c.run();
        assert_eq!(outcome.output("stdout"), s("done"));
        assert!(pids_alive(&pid_file).is_empty());
    }

    #[test]
    fn other_outputs_are_refused() {
        let outcome = call("shell", "true").output("result", "String").run();
        assert!(matches!(outcome.error(), CodeError::Setup(_)));
    }
}

#[test]
fn rust_code_is_not_supported_yet() {
    let outcome = call("rust", "fn main() {}").run();
    assert!(outcome.error().to_string().contains("not yet supported"));
}

// ---------------------------------------------------------------------------------------------
// JavaScript

#[cfg(feature = "javascript")]
mod javascript {
    use super::*;

    #[test]
    fn inputs_and_outputs_by_name() {
        let outcome = call(
            "javascript",
            "var count = files.length + n;\nconst info = {name, ratio: 0.5, none: null, list: [1, 'x']};\nlet first = files[0];\n",
        )
        .input("files", Value::List(vec![path("/tmp/a.cpp"), path("/tmp/b.cpp")]))
        .input("n", Value::Integer(1))
        .input("name", s("x"))
        .output("count", "Integer")
        .output("info", "Dict[String, Any]")
        .output("first", "Path")
        .run();
        assert_eq!(outcome.output("count"), Value::Integer(3));
        assert_eq!(
            outcome.output("info"),
            Value::Dict(vec![
                ("name".into(), s("x")),
                ("ratio".into(), Value::Number(0.5)),
                ("none".into(), Value::Null),
                ("list".into(), Value::List(vec![Value::Integer(1), s("x")])),
            ])
        );
        assert_eq!(outcome.output("first"), s("/tmp/a.cpp"));
    }

    #[test]
    fn completion_value_is_the_single_output() {
        let outcome = call(
            "javascript",
            "files.filter(f => f.endsWith('.cpp')).map(f => f.toUpperCase())",
        )
        .input("files", Value::List(vec![s("a.cpp"), s("b.h")]))
        .output("out", "List[String]")
        .run();
        assert_eq!(outcome.output("out"), Value::List(vec![s("A.CPP")]));
        let outcome = call("javascript", "const xs = [1, 2];\nxs.map(x => x * 2)")
            .output("out", "List[Integer]")
            .run();
        assert_eq!(
            outcome.output("out"),
            Value::List(vec![Value::Integer(2), Value::Integer(4)])
        );
        let outcome = call("javascript", "const out = 7;")
            .output("out", "Integer")
            .run();
        assert_eq!(outcome.output("out"), Value::Integer(7));
    }

    #[test]
    fn promises_and_await_settle() {
        let outcome = call(
            "javascript",
            "async function twice(x) { await null; return x * 2; }\nconst a = await twice(2);\nconst b = await Promise.all([twice(3), Promise.resolve(1)]);\nvar later;\nPromise.resolve(5).then(v => { later = v; });\n",
        )
        .output("a", "Integer")
        .output("b", "List[Integer]")
        .output("later", "Integer")
        .run();
        assert_eq!(outcome.output("a"), Value::Integer(4));
        assert_eq!(
            outcome.output("b"),
            Value::List(vec![Value::Integer(6), Value::Integer(1)])
        );
        assert_eq!(outcome.output("later"), Value::Integer(5));
        let outcome = call("javascript", "(async () => 'done')()")
            .output("out", "String")
            .run();
        assert_eq!(outcome.output("out"), s("done"));
    }

    #[test]
    fn rejected_promise_fails_with_line() {
        let outcome = call(
            "javascript",
            "async function f() {\n  await null;\n  throw new TypeError('nope');\n}\nawait f();\n",
        )
        .output("out", "Any")
        .run();
        let (message, traceback, line) = failed_line(outcome.error());
        assert_eq!(message, "TypeError: nope");
        assert_eq!(line, Some(12), "{traceback:?}");
        assert!(traceback.unwrap().contains("flow.ab:12"));
    }

    #[test]
    fn console_goes_to_the_log() {
        let outcome = call(
            "javascript",
            "console.log('hello', 42, {a: 1});\nconsole.error('bad');\n1",
        )
        .output("out", "Integer")
        .run();
        assert_eq!(outcome.stdout(), vec!["hello 42 {\"a\":1}"]);
        assert!(outcome
            .logs
            .iter()
            .any(|line| line.stream == Stream::Stderr && line.text == "bad"));
    }

    #[test]
    fn throw_has_workflow_line() {
        let outcome = call(
            "javascript",
            "const x = null;\nfunction f() {\n  throw new RangeError('too far');\n}\nf();\n",
        )
        .output("out", "Any")
        .run();
        let (message, traceback, line) = failed_line(outcome.error());
        assert_eq!(message, "RangeError: too far");
        assert_eq!(line, Some(12), "{traceback:?}");
        let outcome = call("javascript", "throw 'plain string'")
            .output("out", "Any")
            .run();
        let (message, _, _) = failed_line(outcome.error());
        assert!(message.contains("plain string"), "{message}");
    }

    #[test]
    fn syntax_error_has_workflow_line() {
        let outcome = call("javascript", "const a = 1;\nconst = ;\n")
            .output("out", "Any")
            .run();
        let (message, _, line) = failed_line(outcome.error());
        assert!(message.contains("SyntaxError"), "{message}");
        assert_eq!(line, Some(11));
    }

    #[test]
    fn runaway_loop_times_out() {
        let outcome = call("javascript", "while (true) {}")
            .output("out", "Any")
            .timeout(Duration::from_millis(200))
            .run();
        assert_timed_out(&outcome);
        let outcome = call(
            "javascript",
            "for (;;) { try { while (true) {} } catch (e) {} }",
        )
        .output("out", "Any")
        .timeout(Duration::from_millis(200))
        .run();
        assert_timed_out(&outcome);
    }

    #[test]
    fn timers_fire_in_order_before_outputs_are_read() {
        let outcome = call(
            "javascript",
            "const order = [];\nsetTimeout((x) => order.push(x), 5, 'late');\nsetTimeout(() => order.push('soon'), 0);\nconst dropped = setTimeout(() => order.push('cleared'), 0);\nclearTimeout(dropped);\nlet ticks = 0;\nconst every = setInterval(() => { ticks += 1; if (ticks === 3) clearInterval(every); }, 1);\nawait new Promise((resolve) => setTimeout(resolve, 10));\nconst waited = true;\n",
        )
        .output("order", "List[String]")
        .output("ticks", "Integer")
        .output("waited", "Boolean")
        .run();
        assert_eq!(
            outcome.output("order"),
            Value::List(vec![s("soon"), s("late")])
        );
        assert_eq!(outcome.output("ticks"), Value::Integer(3));
        assert_eq!(outcome.output("waited"), Value::Bool(true));
    }

    #[test]
    fn a_timer_that_throws_fails_the_block_at_its_line() {
        let outcome = call(
            "javascript",
            "setTimeout(() => {\n  throw new Error('late failure');\n}, 1);\n",
        )
        .output("out", "Any")
        .run();
        let (message, _, line) = failed_line(outcome.error());
        assert!(message.contains("late failure"), "{message}");
        assert_eq!(line, Some(11));
    }

    #[test]
    fn an_endless_interval_times_out_and_cancel_stops_a_wait() {
        let outcome = call("javascript", "setInterval(() => {}, 1);")
            .output("out", "Any")
            .timeout(Duration::from_millis(200))
            .run();
        assert_timed_out(&outcome);
        let outcome = call(
            "javascript",
            "await new Promise((r) => setTimeout(r, 60000));",
        )
        .output("out", "Any")
        .timeout(Duration::from_millis(200))
        .run();
        assert_timed_out(&outcome);
    }

    #[test]
    fn runaway_promise_chain_times_out() {
        let outcome = call(
            "javascript",
            "const spin = () => Promise.resolve().then(spin);\nawait spin();\n",
        )
        .output("out", "Any")
        .timeout(Duration::from_millis(200))
        .run();
        assert_timed_out(&outcome);
    }

    #[test]
    fn cancel_stops_a_running_block() {
        let c = call("javascript", "let n = 0; while (true) { n++; }").output("n", "Integer");
        cancel_after(&c.cancel, Duration::from_millis(200));
        let outcome = c.run();
        assert_eq!(outcome.error(), &CodeError::Cancelled);
    }

    #[test]
    fn memory_limit_fails_cleanly() {
        let outcome = call(
            "javascript",
            "const xs = []; while (true) { xs.push(new Array(100000).fill(1)); }",
        )
        .output("out", "Any")
        .run();
        let (message, _, _) = failed_line(outcome.error());
        assert!(message.contains("memory"), "{message}");
    }

    #[test]
    fn wrong_output_type_names_both() {
        let outcome = call("javascript", "'abc'").output("count", "Integer").run();
        assert_mismatch(outcome.error(), "count", "Integer", "String");
        let outcome = call("javascript", "Symbol('x')").output("x", "Any").run();
        assert!(
            outcome.error().to_string().contains("symbol"),
            "{}",
            outcome.error()
        );
        let outcome = call("javascript", "const a = 1;")
            .output("a", "Integer")
            .output("b", "Integer")
            .run();
        assert_eq!(
            outcome.error(),
            &CodeError::MissingOutput { port: "b".into() }
        );
    }

    #[test]
    fn unsettled_promise_is_reported() {
        let outcome = call("javascript", "await new Promise(() => {});")
            .output("x", "Any")
            .run();
        let (message, _, _) = failed_line(outcome.error());
        assert!(message.contains("never settled"), "{message}");
    }
}

// ---------------------------------------------------------------------------------------------
// SQL

#[cfg(feature = "sql")]
mod sql {
    use super::*;

    fn record(fields: &[(&str, Value)]) -> Value {
        Value::Dict(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn an_empty_list_has_the_columns_of_its_declared_record_type() {
        let query = "SELECT name, score FROM rows ORDER BY score";
        let outcome = call("sql", query)
            .named_type("Row", "{name: String, score: Integer, note: String?}")
            .input("rows", Value::List(vec![]))
            .input_type("rows", "List[Row]?")
            .output("out", "List[Dict[String, Json]]")
            .run();
        assert_eq!(outcome.output("out"), Value::List(vec![]));
        // A declared field no item has is still a column (null).
        let outcome = call("sql", "SELECT name, note FROM rows")
            .named_type("Row", "{name: String, score: Integer, note: String?}")
            .input(
                "rows",
                Value::List(vec![record(&[
                    ("name", s("a")),
                    ("score", Value::Integer(1)),
                ])]),
            )
            .input_type("rows", "List[Row]")
            .output("out", "List[Dict[String, Json]]")
            .run();
        assert_eq!(
            outcome.output("out"),
            Value::List(vec![record(&[("name", s("a")), ("note", Value::Null)])])
        );
        // An empty list of scalars has the one column `value`.
        let outcome = call("sql", "SELECT count(value) AS n FROM xs")
            .input("xs", Value::List(vec![]))
            .input_type("xs", "List[Integer]")
            .output("n", "Integer")
            .run();
        assert_eq!(outcome.output("n"), Value::Integer(0));
    }

    #[test]
    fn list_inputs_are_tables_and_scalars_parameters() {
        let people = Value::List(vec![
            record(&[("name", s("ann")), ("age", Value::Integer(31))]),
            record(&[("name", s("bob")), ("age", Value::Integer(17))]),
            record(&[("name", s("cy")), ("city", s("Oslo"))]),
        ]);
        let outcome = call(
            "sql",
            "CREATE TABLE extra (n INTEGER);\nINSERT INTO extra VALUES (1);\nSELECT name, age, city FROM people WHERE age >= :min_age OR city IS NOT NULL ORDER BY name;\n",
        )
        .input("people", people)
        .input("min_age", Value::Integer(18))
        .output("adults", "List[Dict[String, Json]]")
        .run();
        assert_eq!(
            outcome.output("adults"),
            Value::List(vec![
                record(&[
                    ("name", s("ann")),
                    ("age", Value::Integer(31)),
                    ("city", Value::Null)
                ]),
                record(&[("name", s("cy")), ("age", Value::Null), ("city", s("Oslo"))]),
            ])
        );
    }

    #[test]
    fn scalar_lists_have_a_value_column() {
        let outcome = call("sql", "SELECT sum(value) AS total, count(*) AS n FROM xs")
            .input(
                "xs",
                Value::List(vec![
                    Value::Integer(1),
                    Value::Integer(2),
                    Value::Number(0.5),
                ]),
            )
            .output("rows", "List[{total: Number, n: Integer}]")
            .run();
        assert_eq!(
            outcome.output("rows"),
            Value::List(vec![record(&[
                ("total", Value::Number(3.5)),
                ("n", Value::Integer(3))
            ])])
        );
        let outcome = call("sql", "SELECT count(*) FROM xs WHERE value = :needle")
            .input("xs", Value::List(vec![s("a"), s("b"), s("a")]))
            .input("needle", s("a"))
            .output("count", "Integer")
            .run();
        assert_eq!(outcome.output("count"), Value::Integer(2));
    }

    #[test]
    fn error_has_workflow_line() {
        let outcome = call("sql", "SELECT 1;\nSELECT nosuch FROM\n  nowhere;\n")
            .output("rows", "Any")
            .run();
        let (message, _, line) = failed_line(outcome.error());
        assert!(
            message.contains("nowhere") || message.contains("no such"),
            "{message}"
        );
        assert!(matches!(line, Some(11) | Some(12)), "{line:?}");
        let outcome = call("sql", "SELECT :missing").output("rows", "Any").run();
        assert!(outcome.error().to_string().contains("`:missing`"));
    }

    #[test]
    fn runaway_query_times_out() {
        let outcome = call(
            "sql",
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r",
        )
        .output("rows", "Any")
        .timeout(Duration::from_millis(200))
        .run();
        assert_timed_out(&outcome);
    }

    #[test]
    fn cancel_stops_a_query() {
        let c = call(
            "sql",
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r",
        )
        .output("rows", "Any");
        cancel_after(&c.cancel, Duration::from_millis(200));
        assert_eq!(c.run().error(), &CodeError::Cancelled);
    }

    #[test]
    fn wrong_output_type_names_both() {
        let outcome = call("sql", "SELECT 'abc' AS x")
            .output("x", "Integer")
            .run();
        assert_mismatch(outcome.error(), "x", "Integer", "String");
    }
}

// ---------------------------------------------------------------------------------------------
// Templates

mod templates {
    use agentblocks_dsl::model::{
        Parameter, Placeholder, PlaceholderKind, Span, Spanned, Template,
    };
    use agentblocks_engine::executors::template::expand_template;
    use serde_json::{json, Value as Json};

    fn text(value: &str) -> Spanned<String> {
        Spanned::new(value.to_string(), Span::default())
    }

    fn placeholder(name: &str, kind: PlaceholderKind) -> Placeholder {
        Placeholder {
            span: Span::default(),
            name: text(name),
            kind,
        }
    }

    fn parameter(name: &str, value: Option<Json>, default: Option<Json>) -> Parameter {
        Parameter {
            span: Span::default(),
            name: text(name),
            ty: None,
            value: value.map(|v| Spanned::new(v, Span::default())),
            default: default.map(|v| Spanned::new(v, Span::default())),
            description: None,
            extra: Vec::new(),
        }
    }

    fn template(source: &str, placeholders: Vec<Placeholder>) -> Template {
        Template {
            span: Span::default(),
            source: text(source).into(),
            placeholders,
        }
    }

    #[test]
    fn all_placeholder_kinds() {
        let t = template(
            "def {{fn_name}}(x):\n    limit = {{limit}}\n    {{body}}\n    return {{mode}}\n",
            vec![
                placeholder("fn_name", PlaceholderKind::Simple(text("name"))),
                placeholder("limit", PlaceholderKind::Expression(text("limit"))),
                placeholder("body", PlaceholderKind::CodeBlock(text("python"))),
                placeholder(
                    "mode",
                    PlaceholderKind::Conditional {
                        condition: text("strict"),
                        if_true: text("x > limit"),
                        if_false: text("True"),
                    },
                ),
            ],
        );
        let params = vec![
            parameter("name", Some(json!("check")), None),
            parameter("limit", None, Some(json!("it's"))),
            parameter("body", Some(json!("if x:\n    print(x)\n\nx += 1\n")), None),
            parameter("strict", Some(json!(false)), Some(json!(true))),
        ];
        assert_eq!(
            expand_template(&t, &params, "python").unwrap(),
            "def check(x):\n    limit = 'it\\'s'\n    if x:\n        print(x)\n\n    x += 1\n    return True\n"
        );
    }

    #[test]
    fn expression_literals_per_language() {
        let t = template(
            "v = {{v}}",
            vec![placeholder("v", PlaceholderKind::Expression(text("v")))],
        );
        let value = json!({"a": [1, 2.5, null, true], "b": "x'y\n"});
        let expand = |language: &str, value: Json| {
            expand_template(&t, &[parameter("v", Some(value), None)], language).unwrap()
        };
        assert_eq!(
            expand("python", value.clone()),
            "v = {'a': [1, 2.5, None, True], 'b': 'x\\'y\\n'}"
        );
        assert_eq!(
            expand("javascript", value.clone()),
            "v = {\"a\":[1,2.5,null,true],\"b\":\"x'y\\n\"}"
        );
        assert_eq!(expand("shell", json!("it's")), "v = 'it'\\''s'");
        assert_eq!(expand("shell", json!(3)), "v = 3");
        assert_eq!(expand("sql", json!("it's")), "v = 'it''s'");
        assert_eq!(expand("sql", json!(null)), "v = NULL");
        assert_eq!(expand("sql", json!(true)), "v = TRUE");
        assert_eq!(expand("python", json!(1.0)), "v = 1.0");
    }

    #[test]
    fn errors_name_what_is_missing() {
        let t = template(
            "{{a}} {{b}}",
            vec![placeholder("a", PlaceholderKind::Simple(text("p")))],
        );
        let err =
            expand_template(&t, &[parameter("p", Some(json!(1)), None)], "python").unwrap_err();
        assert!(err.contains("`{{b}}`"), "{err}");
        let err = expand_template(&t, &[], "python").unwrap_err();
        assert!(err.contains("`p`"), "{err}");
        let err = expand_template(&t, &[parameter("p", None, None)], "python").unwrap_err();
        assert!(err.contains("neither a value nor a default"), "{err}");
    }

    #[test]
    fn non_placeholder_braces_stay() {
        let t = template(
            "const o = {{a: 1}};\n{{ x }}",
            vec![placeholder("x", PlaceholderKind::Simple(text("x")))],
        );
        assert_eq!(
            expand_template(&t, &[parameter("x", Some(json!("ok")), None)], "javascript").unwrap(),
            "const o = {{a: 1}};\nok"
        );
    }
}
