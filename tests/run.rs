//! End-to-end tests of `agentblocks run`, `runs` and `expand`: exit codes, `--json` events,
//! `--block`, `--until`, `--explain`, and a SIGKILLed run marked interrupted.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use agentblocks_engine::history::History;

fn agentblocks(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentblocks"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
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
