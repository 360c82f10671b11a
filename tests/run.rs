//! End-to-end tests of `agentblocks run`, `runs`, `cache` and `expand`: exit codes, `--json`
//! events, `--block`, `--until`, `--explain`, `--python` and `VIRTUAL_ENV`, a SIGKILLed run
//! marked interrupted, SIGTERM/SIGHUP and a closed standard output cancelling a run (no process
//! left), every command coping with a closed standard output, and pruning and clearing the
//! result cache.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use agentblocks_engine::executors::python_env::embedded_version;
use agentblocks_engine::history::History;

#[path = "../engine/tests/support/venv.rs"]
mod venv;
use venv::{fake_python_3_99, venv_with_module};

fn agentblocks(dir: &Path, args: &[&str]) -> Output {
    agentblocks_with(dir, args, None)
}

/// Runs the binary with `VIRTUAL_ENV` set to `venv`, or unset (whatever the tests run in).
fn agentblocks_with(dir: &Path, args: &[&str], venv: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentblocks"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("VIRTUAL_ENV");
    if let Some(venv) = venv {
        command.env("VIRTUAL_ENV", venv);
    }
    command.output().unwrap()
}

fn events(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

const PIPELINE: &str = r#"workflow "P" {
  config {
    mode = sequential
  }
  var word: String = "hi"
  block first = python "First" {
    in word: String
    out text: String
    code ```
      word * 2
      ```
  }
  block second = javascript "Second" {
    in text: String <- first.text
    out loud: String
    code ```
      text.toUpperCase()
      ```
  }
  block third = shell "Third" {
    in loud: String <- second.loud
    out stdout: String
    code ```
      echo "$loud!"
      ```
  }
}
"#;

fn kinds_of(events: &[serde_json::Value], block: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["block"] == block)
        .map(|e| e["event"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn run_json_block_until_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.ab"), PIPELINE).unwrap();

    let out = agentblocks(dir.path(), &["run", "p.ab", "--until", "second", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = events(&out);
    assert_eq!(all.first().unwrap()["event"], "run_started");
    assert_eq!(all.last().unwrap()["event"], "run_finished");
    assert!(
        kinds_of(&all, "third").is_empty(),
        "--until stops at `second`"
    );
    let finished = all
        .iter()
        .find(|e| e["block"] == "second" && e["event"] == "block_finished")
        .unwrap();
    assert_eq!(finished["outputs"][0]["value"], "HIHI");

    let out = agentblocks(dir.path(), &["run", "p.ab", "--explain"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("first: from cache"), "{text}");
    assert!(text.contains("third: will run: no cached result"), "{text}");

    let out = agentblocks(dir.path(), &["run", "p.ab", "--block", "third", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let all = events(&out);
    assert_eq!(kinds_of(&all, "first"), ["block_cached"]);
    assert_eq!(kinds_of(&all, "second"), ["block_cached"]);
    assert!(kinds_of(&all, "third").contains(&"block_finished".to_string()));

    let out = agentblocks(
        dir.path(),
        &[
            "run",
            "p.ab",
            "--block",
            "second",
            "--input",
            "text=\"yo\"",
            "--json",
        ],
    );
    let all = events(&out);
    let finished = all
        .iter()
        .find(|e| e["block"] == "second" && e["event"] == "block_finished")
        .unwrap();
    assert_eq!(finished["outputs"][0]["value"], "YO");
    assert!(
        kinds_of(&all, "first").is_empty(),
        "an overridden input needs no upstream"
    );

    let out = agentblocks(dir.path(), &["run", "p.ab", "--var", "word=ab"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ABAB!"), "{text}");

    let out = agentblocks(dir.path(), &["runs", "--json"]);
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(runs.as_array().unwrap().len() >= 4);
    let out = agentblocks(dir.path(), &["runs", "1"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("first: succeeded"));
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fail.ab"),
        PIPELINE.replace("echo \"$loud!\"", "exit 2"),
    )
    .unwrap();
    let out = agentblocks(dir.path(), &["run", "fail.ab", "--no-cache"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("third: failed at"));

    std::fs::write(
        dir.path().join("bad.ab"),
        PIPELINE.replace("first.text", "nowhere.text"),
    )
    .unwrap();
    let out = agentblocks(dir.path(), &["run", "bad.ab"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));

    std::fs::write(dir.path().join("p.ab"), PIPELINE).unwrap();
    let out = agentblocks(dir.path(), &["run", "p.ab", "--block", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let out = agentblocks(dir.path(), &["run", "missing.ab"]);
    assert_eq!(out.status.code(), Some(2));
    let out = agentblocks(dir.path(), &["runs", "--workspace", "no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a folder"));
}

#[test]
fn cache_shows_prunes_and_clears_the_results() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.ab"), PIPELINE).unwrap();
    let stdout = |out: &Output| String::from_utf8_lossy(&out.stdout).into_owned();
    let cached = |out: &Output| {
        events(out)
            .iter()
            .filter(|e| e["event"] == "block_cached")
            .count()
    };
    let out = agentblocks(dir.path(), &["cache"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("no cached results"),
        "{}",
        stdout(&out)
    );

    // Three versions of `word`: each run stores three results; the first two runs' are
    // superseded.
    for word in ["a", "b", "c"] {
        let var = format!("word=\"{word}\"");
        let out = agentblocks(dir.path(), &["run", "p.ab", "--var", &var, "--json"]);
        assert!(out.status.success(), "{}", stdout(&out));
    }
    let out = agentblocks(dir.path(), &["cache"]);
    assert!(
        stdout(&out).contains("9 results") && stdout(&out).contains("6 superseded"),
        "{}",
        stdout(&out)
    );
    // A stale temporary file of an interrupted write goes too; a fresh one may be a write in
    // progress and stays.
    let entries = dir.path().join(".agentblocks/cache/entries");
    let stale = entries.join(".x.json.1.2.tmp");
    let fresh = entries.join(".y.json.1.2.tmp");
    std::fs::write(&stale, "{").unwrap();
    std::fs::write(&fresh, "{").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();

    let out = agentblocks(dir.path(), &["cache", "prune"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("removed 7 files"), "{}", stdout(&out));
    assert!(!stale.exists() && fresh.exists());
    let out = agentblocks(dir.path(), &["cache"]);
    assert!(stdout(&out).contains("3 results") && stdout(&out).contains("0 superseded"));
    // The latest results still serve the run; the pruned ones do not. A run served wholly
    // from the cache writes nothing to it.
    let latest = dir.path().join(".agentblocks/cache/latest");
    let stamps = || -> Vec<_> {
        let mut files: Vec<_> = std::fs::read_dir(&latest)
            .unwrap()
            .map(|f| {
                let f = f.unwrap();
                (f.file_name(), f.metadata().unwrap().modified().unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let before = stamps();
    let out = agentblocks(
        dir.path(),
        &["run", "p.ab", "--var", "word=\"c\"", "--json"],
    );
    assert_eq!(cached(&out), 3);
    assert_eq!(stamps(), before);
    let out = agentblocks(
        dir.path(),
        &["run", "p.ab", "--var", "word=\"a\"", "--json"],
    );
    assert_eq!(cached(&out), 0);

    let out = agentblocks(dir.path(), &["cache", "clear", "--workspace", "."]);
    assert!(out.status.success());
    assert!(!dir.path().join(".agentblocks/cache").exists());
    assert!(dir.path().join(".agentblocks/runs.db").exists());
    let out = agentblocks(
        dir.path(),
        &["run", "p.ab", "--var", "word=\"a\"", "--json"],
    );
    assert_eq!(cached(&out), 0);

    let out = agentblocks(dir.path(), &["cache", "--workspace", "p.ab"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a folder"));
}

const GEN_SHOW: &str = r#"workflow "Block test" {
  var n: Integer = 5
  block gen = python "Gen" {
    in n: Integer
    out items: List[Integer]
    code ```
      list(range(n))
      ```
  }
  block show = javascript "Show" {
    in items: List[Integer] <- gen.items
    out text: String
    code ```
      `count=${items.length}`
      ```
  }
}
"#;

#[test]
fn block_and_prune_use_what_the_last_run_used_even_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.ab"), GEN_SHOW).unwrap();
    let stdout = |out: &Output| String::from_utf8_lossy(&out.stdout).into_owned();
    for args in [
        &["run", "b.ab"][..],
        &["run", "b.ab", "--var", "n=8"],
        &["run", "b.ab"],
    ] {
        let out = agentblocks(dir.path(), args);
        assert!(out.status.success(), "{}", stdout(&out));
    }
    let out = agentblocks(dir.path(), &["run", "b.ab", "--block", "show"]);
    assert!(stdout(&out).contains("count=5"), "{}", stdout(&out));
    let out = agentblocks(dir.path(), &["cache", "prune"]);
    assert!(out.status.success());
    let out = agentblocks(dir.path(), &["run", "b.ab", "--json"]);
    let cached = events(&out)
        .iter()
        .filter(|e| e["event"] == "block_cached")
        .count();
    assert_eq!(cached, 2, "{}", stdout(&out));
}

#[test]
fn explain_says_what_may_run_and_when_block_takes_an_earlier_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::copy(
        root.join("data/orders.csv"),
        dir.path().join("data/orders.csv"),
    )
    .unwrap();
    std::fs::copy(
        root.join("data-pipeline.ab"),
        dir.path().join("pipeline.ab"),
    )
    .unwrap();
    let stdout = |out: &Output| String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(agentblocks(dir.path(), &["run", "pipeline.ab"])
        .status
        .success());
    // `count` reads the file `save` writes on every run: it cannot be predicted cached.
    let out = agentblocks(dir.path(), &["run", "pipeline.ab", "--explain"]);
    let text = stdout(&out);
    assert!(text.contains("render: from cache"), "{text}");
    assert!(
        text.contains("count: may run: depends on `save`, which will run"),
        "{text}"
    );
    let out = agentblocks(
        dir.path(),
        &["run", "pipeline.ab", "--explain", "--no-cache"],
    );
    let text = stdout(&out);
    assert_eq!(text.matches("will run: `--no-cache`").count(), 6, "{text}");

    // Blocks reading a block that looks at the world (`find_files`) are predicted from what it
    // found last time, which a run then confirms.
    std::fs::write(
        dir.path().join("f.ab"),
        "workflow \"F\" {\n  block find = find_files {\n    directory = \"data\"\n    patterns = [\"*.csv\"]\n    out files: List[Path]\n  }\n\n  block count = python {\n    in files: List[Path] <- find.files\n    out n: Integer\n    code ```\n      len(files)\n      ```\n  }\n}\n",
    )
    .unwrap();
    assert!(agentblocks(dir.path(), &["run", "f.ab"]).status.success());
    let text = stdout(&agentblocks(dir.path(), &["run", "f.ab", "--explain"]));
    assert!(
        text.contains("find: will run: it reads the file system"),
        "{text}"
    );
    assert!(text.contains("count: from cache"), "{text}");
    let run = agentblocks(dir.path(), &["run", "f.ab", "--json"]);
    assert!(kinds_of(&events(&run), "count").contains(&"block_cached".to_string()));

    std::fs::write(dir.path().join("b.ab"), GEN_SHOW).unwrap();
    assert!(agentblocks(dir.path(), &["run", "b.ab"]).status.success());
    std::fs::write(
        dir.path().join("b.ab"),
        GEN_SHOW.replace("range(n)", "range(n + 1)"),
    )
    .unwrap();
    let out = agentblocks(dir.path(), &["run", "b.ab", "--block", "show", "--explain"]);
    assert!(
        stdout(&out).contains("gen: from cache (made ")
            && stdout(&out).contains("; an earlier version: code changed)"),
        "{}",
        stdout(&out)
    );
    let out = agentblocks(dir.path(), &["run", "b.ab", "--block", "show"]);
    assert!(
        stdout(&out).contains("gen: from cache (an earlier version: code changed)"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("count=5"), "{}", stdout(&out));
    // `--no-cache` reads nothing from the cache: `gen` runs, with its new code.
    let out = agentblocks(
        dir.path(),
        &["run", "b.ab", "--block", "show", "--no-cache"],
    );
    assert!(stdout(&out).contains("count=6"), "{}", stdout(&out));
}

#[test]
fn expand_prints_the_template() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = agentblocks(root, &["expand", "examples/templates.ab", "make"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("def get_answer():"), "{text}");
    assert!(text.contains("value = 42"), "{text}");
}

#[test]
fn a_killed_run_is_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "K" {
  block slow = shell "Slow" {
    out stdout: String
    code ```
      touch started; sleep 30
      ```
  }
}
"#;
    std::fs::write(dir.path().join("k.ab"), text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentblocks"))
        .current_dir(dir.path())
        .args(["run", "k.ab"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !dir.path().join("started").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let history = History::open(dir.path()).unwrap();
    let runs = history.runs(10).unwrap();
    assert_eq!(runs[0].status, "interrupted");
}

/// A shell block that records its shell's and its child's pids, and a Python block, both
/// sleeping far longer than any test waits.
const SLEEPERS: &str = r#"workflow "S" {
  block sh = shell "Sh" {
    out stdout: String
    code ```
      sleep 30 & echo "$$ $!" > pids.tmp; mv pids.tmp pids; wait
      ```
  }
  block py = python "Py" {
    out x: Integer
    code ```
      import time
      time.sleep(30)
      x = 1
      ```
  }
}
"#;

/// Waits for the shell block of [`SLEEPERS`] to start; its pids.
fn sleeper_pids(dir: &Path) -> Vec<i32> {
    let start = Instant::now();
    while !dir.join("pids").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::read_to_string(dir.join("pids"))
        .unwrap()
        .split_whitespace()
        .map(|pid| pid.parse().unwrap())
        .collect()
}

/// Waits (at most 20 s) for `child` to exit; its exit code.
fn exit_within(child: &mut std::process::Child) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the run did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every process of `pids` is gone: ended, or a zombie (killed, and only waiting for init to
/// reap it, which takes a moment after its parent, the run, has exited). A generous bound: a
/// survivor is what this catches, not a slow machine.
fn assert_all_gone(pids: &[i32]) {
    let alive = |pid: i32| match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    for &pid in pids {
        while alive(pid) {
            assert!(Instant::now() < deadline, "process {pid} survived the run");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `agentblocks run s.ab` in `dir`, started, standard error piped.
fn spawn_run(dir: &Path, stdout: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_agentblocks"))
        .current_dir(dir)
        .args(["run", "s.ab"])
        .env_remove("VIRTUAL_ENV")
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn sigterm_and_sighup_cancel_the_run_like_ctrl_c() {
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.ab"), SLEEPERS).unwrap();
        let mut child = spawn_run(dir.path(), Stdio::null());
        let pids = sleeper_pids(dir.path());
        // SAFETY: sends a signal to the child we started.
        unsafe { libc::kill(child.id() as i32, signal) };
        assert_eq!(exit_within(&mut child), Some(1));
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(stderr.contains("interrupted (SIG"), "{stderr}");
        assert_all_gone(&pids);
        let history = History::open(dir.path()).unwrap();
        assert_eq!(history.runs(10).unwrap()[0].status, "cancelled");
    }
}

#[test]
fn a_closed_stdout_cancels_the_run_quietly() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.ab"), SLEEPERS).unwrap();
    let mut child = spawn_run(dir.path(), Stdio::piped());
    // `| head -1`: read a line, then close the pipe while the blocks sleep (no more lines
    // come for 30 s, so only noticing the closed pipe stops the run).
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("run started"), "{line}");
    let pids = sleeper_pids(dir.path());
    drop(stdout);
    assert_eq!(exit_within(&mut child), Some(2));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_all_gone(&pids);
    let history = History::open(dir.path()).unwrap();
    assert_eq!(history.runs(10).unwrap()[0].status, "cancelled");
}

/// Standard output that is a pipe nobody reads: every write fails with a broken pipe.
fn closed_pipe() -> Stdio {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `pipe` fills the two descriptors; the read end is closed at once and the write
    // end is owned by the `Stdio`.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        Stdio::from(std::os::fd::OwnedFd::from_raw_fd(fds[1]))
    }
}

#[test]
fn every_command_copes_with_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.ab"), PIPELINE).unwrap();
    assert!(agentblocks(dir.path(), &["run", "p.ab"]).status.success());
    let commands: &[&[&str]] = &[
        &["run", "p.ab"],
        &["run", "p.ab", "--json"],
        &["run", "p.ab", "--explain"],
        &["runs"],
        &["runs", "1"],
        &["runs", "--json"],
        &["blocks"],
        &["blocks", "--format", "json"],
        &["cache"],
        &["check", "p.ab", "--format", "json"],
        &["convert", "p.ab"],
        &["expand", "p.ab", "first"],
    ];
    for args in commands {
        let out = Command::new(env!("CARGO_BIN_EXE_agentblocks"))
            .current_dir(dir.path())
            .args(*args)
            .env_remove("VIRTUAL_ENV")
            .stdout(closed_pipe())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_agentblocks"))
        .current_dir(dir.path())
        .args(["runs"])
        .stdout(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const IMPORTS: &str = r#"workflow "Imports" {
  block use_it = python "Use it" {
    out value: Integer
    code ```
      import abtiny
      value = abtiny.VALUE
      ```
  }
}
"#;

fn block_error(out: &Output) -> String {
    let all = events(out);
    let failed = all
        .iter()
        .find(|e| e["event"] == "block_failed")
        .unwrap_or_else(|| panic!("no block_failed in {all:?}"));
    failed["error"]["message"].as_str().unwrap().to_string()
}

fn value_of(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let all = events(out);
    let finished = all
        .iter()
        .find(|e| e["event"] == "block_finished")
        .unwrap_or_else(|| panic!("no block_finished in {all:?}"));
    finished["outputs"][0]["value"].clone()
}

#[test]
fn python_flag_and_virtual_env_choose_the_packages() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.ab"), IMPORTS).unwrap();
    let venv = venv_with_module(dir.path());
    let python = venv.join("bin/python");
    let python = python.to_str().unwrap();
    let run = ["run", "w.ab", "--json", "--no-cache"];

    // Neither flag nor VIRTUAL_ENV: the embedded Python's packages only.
    let out = agentblocks(dir.path(), &run);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        block_error(&out),
        "ModuleNotFoundError: No module named 'abtiny'"
    );

    // `--python`, and `VIRTUAL_ENV` without it.
    let out = agentblocks(dir.path(), &[&run[..], &["--python", python]].concat());
    assert_eq!(value_of(&out), serde_json::json!(42));
    let out = agentblocks_with(dir.path(), &run, Some(&venv));
    assert_eq!(value_of(&out), serde_json::json!(42));
    // The flag wins over VIRTUAL_ENV.
    let out = agentblocks_with(
        dir.path(),
        &[&run[..], &["--python", python]].concat(),
        Some(&dir.path().join("elsewhere")),
    );
    assert_eq!(value_of(&out), serde_json::json!(42));

    // An unusable `--python` is a usage error before anything runs.
    let missing = dir.path().join("nowhere/bin/python");
    let out = agentblocks(
        dir.path(),
        &[&run[..], &["--python", missing.to_str().unwrap()]].concat(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(events(&out).is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "error: --python: the Python interpreter `{}` does not exist",
            missing.display()
        )
    );
    let fake = fake_python_3_99(dir.path());
    let out = agentblocks(
        dir.path(),
        &[&run[..], &["--python", fake.to_str().unwrap()]].concat(),
    );
    assert_eq!(out.status.code(), Some(2));
    let (major, minor) = embedded_version().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "error: --python: `{}` is Python 3.99; Python blocks run on the embedded Python \
             {major}.{minor}",
            fake.display()
        )
    );

    // An unusable VIRTUAL_ENV fails the Python blocks with the reason, not silently.
    let out = agentblocks_with(dir.path(), &run, Some(&dir.path().join("gone")));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        block_error(&out),
        format!(
            "block `use_it` cannot run: the Python interpreter `{}` does not exist (from \
             `VIRTUAL_ENV`)",
            dir.path().join("gone/bin/python").display()
        )
    );
}

#[test]
fn built_in_progress_shows_in_json_and_in_plain_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    for i in 0..50 {
        std::fs::write(dir.path().join(format!("files/f{i}.txt")), "keep").unwrap();
    }
    let text = r#"workflow "P" {
  block find = find_files "Find" {
    directory = "files"
  }
  block filter = filter_content "Filter" {
    pattern = "keep"
    in files: List[Path] <- find.files
  }
}
"#;
    std::fs::write(dir.path().join("p.ab"), text).unwrap();
    let out = agentblocks(dir.path(), &["run", "p.ab", "--json", "--no-cache"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let progress: Vec<serde_json::Value> = events(&out)
        .into_iter()
        .filter(|e| e["event"] == "progress")
        .collect();
    assert!(
        progress
            .iter()
            .any(|e| e["block"] == "filter" && e["fraction"] == 1.0),
        "{progress:?}"
    );
    assert!(progress
        .iter()
        .any(|e| e["block"] == "find" && e["message"] == "50 files found"));

    // Not a terminal: one plain line per event.
    let out = agentblocks(dir.path(), &["run", "p.ab", "--no-cache"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("filter: 100% 50 of 50 files read"), "{text}");
}

const TYPED_VARS: &str = r#"workflow "V" {
  type Row = {name: String, score: Integer}
  var flag: Boolean = false
  var name: String = "ada"
  var threshold: Integer = 3
  var anything = 1
  block py = python "Py" {
    in flag: Boolean
    in name: String
    in threshold: Integer
    out r: String
    code ```
      r = name.upper() + (" !" if flag else "") + str(threshold + 1)
      ```
  }
  block js = javascript "Js" {
    in rows: List[Row] = []
    in anything: Any
    out n: Integer
    code ```
      rows.length
      ```
  }
}
"#;

fn output_of(out: &Output, block: &str, port: &str) -> serde_json::Value {
    events(out)
        .iter()
        .find(|e| e["block"] == block && e["event"] == "block_finished")
        .and_then(|e| {
            e["outputs"]
                .as_array()?
                .iter()
                .find(|o| o["port"] == port)
                .map(|o| o["value"].clone())
        })
        .unwrap_or_else(|| {
            panic!(
                "no output {block}.{port}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// `--var` and `--input` values are read for the declared type: text as is for `String`,
/// JSON that fits the type otherwise, anything for `Any`; a value that does not fit exits 2
/// naming the variable or port, its type and the value.
#[test]
fn var_and_input_values_are_read_for_their_types() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("v.ab"), TYPED_VARS).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["run", "v.ab", "--json", "--no-cache"];
        all.extend_from_slice(args);
        agentblocks(dir.path(), &all)
    };

    let out = run(&[
        "--var",
        "name=123",
        "--var",
        "flag=true",
        "--var",
        "threshold=41",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(output_of(&out, "py", "r"), "123 !42");
    // A JSON string literal for a `String` is its contents.
    let out = run(&["--var", r#"name="bob""#]);
    assert_eq!(output_of(&out, "py", "r"), "BOB4");
    // `Any` takes any JSON, and plain text as a string.
    let out = run(&[
        "--var",
        "anything=not json",
        "--input",
        r#"js.rows=[{"name": "a", "score": 1}]"#,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(output_of(&out, "js", "n"), 1);

    for (args, expected) in [
        (
            &["--var", "flag=yes"][..],
            "`--var flag=yes`: the variable `flag` is `Boolean`, and `yes` is not JSON",
        ),
        (
            &["--var", "flag=1"][..],
            "`--var flag=1`: the variable `flag` is `Boolean`, and `1` is not a value of that type",
        ),
        (
            &["--var", "threshold=abc"][..],
            "`--var threshold=abc`: the variable `threshold` is `Integer`, and `abc` is not JSON",
        ),
        (
            &["--input", r#"js.rows="notalist""#][..],
            "`--input js.rows=\"notalist\"`: input `js.rows` is `List[Row]`, and `\"notalist\"` \
             is not a value of that type",
        ),
        (
            &["--input", "js.rows=[1,"][..],
            "`--input js.rows=[1,`: input `js.rows` is `List[Row]`, and `[1,` is not JSON",
        ),
        (
            &["--input", r#"rows=[{"name": "a"}]"#][..],
            "input `js.rows` is `List[Row]`, and `[{\"name\": \"a\"}]` is not a value of that type",
        ),
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing runs");
    }
}

const FAILING: &str = r#"workflow "T" {
  var a: Integer = 1
  block py = python "Py" {
    in a: Integer
    out r: Number
    code ```
      def f(a):
          return a / 0
      r = f(a)
      ```
  }
  block js = javascript "Js" {
    in a: Integer
    out q: Number
    code ```
      function g() {
        throw new Error("boom");
      }
      const q = g();
      ```
  }
}
"#;

fn failure_of(out: &Output, block: &str) -> serde_json::Value {
    events(out)
        .into_iter()
        .find(|e| e["block"] == block && e["event"] == "block_failed")
        .unwrap_or_else(|| {
            panic!(
                "{block} did not fail: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })["error"]
        .clone()
}

/// In an `.agentblocks` file the code is one JSON string on one line: errors point at that
/// line and name the line within the code.
#[test]
fn errors_in_json_workflows_point_at_the_code_string() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.ab"), FAILING).unwrap();
    let out = agentblocks(dir.path(), &["convert", "t.ab", "-o", "t.agentblocks"]);
    assert_eq!(out.status.code(), Some(0));
    let json = std::fs::read_to_string(dir.path().join("t.agentblocks")).unwrap();
    let line_of = |needle: &str| {
        json.lines()
            .position(|l| l.contains("\"source_code\"") && l.contains(needle))
            .unwrap() as u64
            + 1
    };
    let (py_line, js_line) = (line_of("a / 0"), line_of("boom"));

    let out = agentblocks(
        dir.path(),
        &["run", "t.agentblocks", "--block", "py", "--json"],
    );
    let error = failure_of(&out, "py");
    assert_eq!(error["location"]["code_line"], py_line);
    let traceback = error["traceback"].as_str().unwrap();
    assert!(
        traceback.contains(&format!(
            "File \"t.agentblocks\", line {py_line} (code line 3), in block `py`"
        )) && traceback.contains(&format!("line {py_line} (code line 2), in f")),
        "{traceback}"
    );

    let out = agentblocks(
        dir.path(),
        &["run", "t.agentblocks", "--block", "js", "--json"],
    );
    let error = failure_of(&out, "js");
    assert_eq!(error["location"]["code_line"], js_line);
    let traceback = error["traceback"].as_str().unwrap();
    assert!(
        traceback.contains(&format!("t.agentblocks:{js_line} (code line 2, column 13)")),
        "{traceback}"
    );

    // The DSL twin keeps line-for-line locations.
    let out = agentblocks(dir.path(), &["run", "t.ab", "--block", "py", "--json"]);
    let error = failure_of(&out, "py");
    assert_eq!(error["location"]["code_line"], 8);
    assert!(error["traceback"]
        .as_str()
        .unwrap()
        .contains("File \"t.ab\", line 9, in block `py`"));
}

/// Run settings the engine would otherwise ignore (a timeout that is not a positive number of
/// seconds, `max_concurrent_blocks = 0`) are `invalid-setting` errors: they refuse the run,
/// each shown where it was written.
#[test]
fn unusable_run_settings_refuse_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = r#"workflow "C" {
  config {
    max_concurrent_blocks = 0
    timeout = -5s
    @block_timeout = "soon"
  }
  block py = python "Py" {
    @timeout = "5m"
    out r: Integer
    code ```
      1
      ```
  }
}
"#;
    std::fs::write(dir.path().join("c.ab"), workflow).unwrap();
    let out = agentblocks(dir.path(), &["run", "c.ab"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for expected in [
        "`max_concurrent_blocks` must be a whole number, 1 or more, not `0`\n  ┌─ c.ab:3:",
        "`timeout` must be above 0s, not `-5s`\n  ┌─ c.ab:4:",
        "`block_timeout` must be a positive number of seconds, not `\"soon\"`\n  ┌─ c.ab:5:",
        "`timeout` must be a positive number of seconds, not `\"5m\"`\n  ┌─ c.ab:8:",
        "`c.ab` cannot run",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    assert!(out.stdout.is_empty(), "nothing runs");
}
