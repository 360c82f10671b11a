//! End to end: the real `agentblocks lsp` driven by headless Neovim (0.7+) through its own LSP
//! client, with the probe in `tests/nvim/` (a copy of the shared nvim-lsp-probe). Open a
//! workflow, receive diagnostics, edit, receive new ones, then completion, hover, definition,
//! rename, formatting and symbols. Skipped (with a note) when `nvim` is not installed; CI
//! installs it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const FLOW: &str = "workflow \"W\" {
  var marker: String = \"x\"

  block find = find_files \"Find\" at (100, 100) {
    directory = \"src\"
    out files: List[Path]
  }

  block filter = python {
    in files: List[Path] <- find.files
    in marker: String
    out kept: List[Path]
    code ```
      [f for f in files if marker in f.read_text()]
      ```
  }
}
";

fn nvim_available() -> bool {
    Command::new("nvim")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn result<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["requests"]
        .as_array()
        .and_then(|r| r.iter().find(|q| q["name"] == name))
        .map(|q| &q["result"])
        .unwrap_or(&Value::Null)
}

/// Writes `text` to `name` in a temporary folder and runs the probe on it with `args`
/// (probe options; `--file`, `--filetype` and the server command are added), returning its
/// JSON report.
fn probe(name: &str, text: &str, args: &[&str]) -> Value {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join(name);
    std::fs::write(&file, text).expect("the workflow is written");
    let probe = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nvim/nvim-lsp-probe.sh");
    let output = Command::new("bash")
        .arg(&probe)
        .arg("--file")
        .arg(&file)
        .args(["--filetype", "agentblocks", "--quiet", "--timeout", "60000"])
        .args(args)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_agentblocks"))
        .arg("lsp")
        .output()
        .expect("the probe runs");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "the probe prints a JSON report; stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn neovim_drives_the_real_server() {
    if !nvim_available() {
        eprintln!("skipped: `nvim` is not installed (.ci/run installs it)");
        return;
    }
    let report = probe(
        "flow.ab",
        FLOW,
        &[
            // Feed a `List[Path]` into a `Number`: a type mismatch.
            "--edit",
            "10:15-10:25:Number",
            "--completion",
            "10:30",
            "--hover",
            "10:35",
            "--definition",
            "10:30",
            "--rename",
            "4:10:sources",
            "--formatting",
            "--symbols",
        ],
    );
    assert_eq!(report["ok"], true, "{report}");
    let uri = report["probe"]["uri"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Diagnostics on open (clean), and after the edit (the mismatch).
    assert_eq!(
        report["diagnostics"][&uri],
        serde_json::json!([]),
        "{report}"
    );
    let after = report["diagnostics_after_edit"][&uri].to_string();
    assert!(after.contains("type-mismatch"), "{after}");
    // Completion after `find.`: the block's ports.
    let completion = result(&report, "completion").to_string();
    assert!(completion.contains("\"files\""), "{completion}");
    let hover = result(&report, "hover").to_string();
    assert!(hover.contains("out find.files"), "{hover}");
    let definition = result(&report, "definition");
    // From `find.files` to the declaration `out files` (0-based line 5).
    assert_eq!(definition["range"]["start"]["line"], 5, "{definition}");
    let rename = result(&report, "rename").to_string();
    assert_eq!(rename.matches("sources").count(), 2, "{rename}");
    // Formatting: valid text, already canonical.
    assert_eq!(
        result(&report, "formatting"),
        &serde_json::json!([]),
        "{report}"
    );
    let symbols = result(&report, "symbols");
    assert_eq!(symbols[0]["name"], "W", "{symbols}");
    assert!(
        report["server"]["exit_code"] == 0 || report["server"]["exit_code"].is_null(),
        "{report}"
    );
}

const RUNNABLE: &str = "workflow \"Run\" {
  block greet = shell \"Greet\" {
    out stdout: String
    code ```
      echo hello
      ```
  }
}
";

/// Runs from Neovim: the run lenses, `workspace/executeCommand` running the workflow with the
/// engine (its events and `$/progress` reach Neovim), and the hover showing the last value.
#[test]
fn neovim_runs_a_workflow_through_execute_command() {
    if !nvim_available() {
        eprintln!("skipped: `nvim` is not installed (.ci/run installs it)");
        return;
    }
    let report = probe(
        "run.ab",
        RUNNABLE,
        &[
            "--codelens",
            "--request",
            r#"workspace/executeCommand={"command": "agentblocks.runWorkflow", "arguments": [{"uri": "%URI%"}]}"#,
            "--hover",
            "3:10",
        ],
    );
    assert_eq!(report["ok"], true, "{report}");
    let lenses = result(&report, "codelens").to_string();
    assert!(lenses.contains("▶ Run workflow"), "{lenses}");
    assert!(lenses.contains("agentblocks.runBlock"), "{lenses}");
    let run = report["requests"]
        .as_array()
        .and_then(|r| r.iter().find(|q| q["method"] == "workspace/executeCommand"))
        .map(|q| q["result"].clone())
        .unwrap_or_default();
    assert_eq!(run["status"], "succeeded", "{report}");
    assert_eq!(
        run["blocks"][0]["outputs"][0]["preview"], "\"hello\"",
        "{run}"
    );
    let messages = report["server_messages"].to_string();
    assert!(messages.contains("run_finished"), "{messages}");
    assert!(messages.contains("$/progress"), "{messages}");
    let hover = result(&report, "hover").to_string();
    assert!(hover.contains("last value"), "{hover}");
}
