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

/// The answer to the request `method` sent with `--request`.
fn answer<'a>(report: &'a Value, method: &str) -> &'a Value {
    report["requests"]
        .as_array()
        .and_then(|r| r.iter().find(|q| q["method"] == method))
        .map(|q| &q["result"])
        .unwrap_or(&Value::Null)
}

/// The rest of the features, from Neovim's client: references, highlights, folding, selection
/// ranges, semantic tokens, inlay hints, workspace symbols, range formatting, the custom
/// `agentblocks/graph` and `agentblocks/moveBlock`, and a quick fix.
#[test]
fn neovim_gets_every_other_feature() {
    if !nvim_available() {
        eprintln!("skipped: `nvim` is not installed (.ci/run installs it)");
        return;
    }
    let whole =
        r#""range": {"start": {"line": 0, "character": 0}, "end": {"line": 30, "character": 0}}"#;
    let inlay =
        format!(r#"textDocument/inlayHint={{"textDocument": {{"uri": "%URI%"}}, {whole}}}"#);
    let range_formatting = format!(
        r#"textDocument/rangeFormatting={{"textDocument": {{"uri": "%URI%"}}, {whole}, "options": {{"tabSize": 2, "insertSpaces": true}}}}"#
    );
    let report = probe(
        "flow.ab",
        FLOW,
        &[
            "--references",
            "4:10",
            "--request",
            "textDocument/documentHighlight@4:10",
            "--request",
            "textDocument/foldingRange",
            "--request",
            r#"textDocument/selectionRange={"textDocument": {"uri": "%URI%"}, "positions": [{"line": 9, "character": 30}]}"#,
            "--request",
            "textDocument/semanticTokens/full",
            "--request",
            &inlay,
            "--request",
            r#"workspace/symbol={"query": "filt"}"#,
            "--request",
            &range_formatting,
            "--request",
            r#"agentblocks/graph={"textDocument": {"uri": "%URI%"}}"#,
            "--request",
            r#"agentblocks/moveBlock={"textDocument": {"uri": "%URI%"}, "block": "find", "x": 5, "y": 6}"#,
        ],
    );
    assert_eq!(report["ok"], true, "{report}");
    // `find` is declared once and used once (`find.files`).
    let references = result(&report, "references");
    assert_eq!(references.as_array().map(Vec::len), Some(2), "{references}");
    let highlights = answer(&report, "textDocument/documentHighlight");
    assert_eq!(highlights.as_array().map(Vec::len), Some(2), "{highlights}");
    let folds = answer(&report, "textDocument/foldingRange");
    assert!(folds.as_array().is_some_and(|f| f.len() >= 3), "{folds}");
    let selection = &answer(&report, "textDocument/selectionRange")[0];
    assert!(selection["parent"]["range"].is_object(), "{selection}");
    let tokens = &answer(&report, "textDocument/semanticTokens/full")["data"];
    assert!(
        tokens.as_array().is_some_and(|d| d.len() >= 5 * 10),
        "{tokens}"
    );
    // `in marker: String` takes the variable `marker`.
    let hints = answer(&report, "textDocument/inlayHint").to_string();
    assert!(hints.contains("marker"), "{hints}");
    let symbols = answer(&report, "workspace/symbol").to_string();
    assert!(symbols.contains("filter"), "{symbols}");
    assert_eq!(
        answer(&report, "textDocument/rangeFormatting"),
        &serde_json::json!([]),
        "{report}"
    );
    let graph = answer(&report, "agentblocks/graph");
    assert_eq!(graph["blocks"].as_array().map(Vec::len), Some(2), "{graph}");
    assert_eq!(
        graph["connections"].as_array().map(Vec::len),
        Some(1),
        "{graph}"
    );
    let moved = answer(&report, "agentblocks/moveBlock").to_string();
    assert!(moved.contains("at (5, 6)"), "{moved}");

    // A quick fix for a misspelt block type.
    let typo = FLOW.replace("= find_files", "= find_fils");
    let report = probe("typo.ab", &typo, &["--codeaction", "4:20"]);
    assert_eq!(report["ok"], true, "{report}");
    let actions = result(&report, "codeaction").to_string();
    assert!(actions.contains("change to `find_files`"), "{actions}");
}
