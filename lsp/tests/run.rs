//! In-process tests of running from the editor, over the server's real JSON-RPC transport
//! (in-memory pipes), each in a temporary workspace: code lenses with the cache state, runs with
//! their `agentblocks/runEvent` notifications, `$/progress` reports and final report, hovers
//! after a run, a second run replacing the first, cancelling, refused workflows, and the
//! `workspace/executeCommand` commands, and the `pythonPath` setting.

mod common;
#[path = "../../engine/tests/support/venv.rs"]
mod venv;

use agentblocks_engine::executors::python_env::embedded_version;
use common::{answer, Client};
use serde_json::{json, Value};
use tokio::sync::Mutex;
use venv::{fake_python_3_99, venv_with_module};

/// Held by the tests that run Python blocks: the embedded interpreter's `sys.path` is one per
/// process, and the `pythonPath` test changes it.
static PYTHON: Mutex<()> = Mutex::const_new(());

/// The run events among `messages`, for run `run_id`.
fn run_events(messages: &[Value], run_id: &str) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m["method"] == "agentblocks/runEvent" && m["params"]["runId"] == run_id)
        .map(|m| m["params"]["event"].clone())
        .collect()
}

fn is_run_event(message: &Value, run_id: &str, event: &str) -> bool {
    message["method"] == "agentblocks/runEvent"
        && message["params"]["runId"] == run_id
        && message["params"]["event"]["event"] == event
}

/// A temporary workspace holding `flow.ab` (on disk too) and its URI.
fn workspace(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("flow.ab");
    std::fs::write(&path, text).expect("the workflow is written");
    let uri = format!("file://{}", path.display());
    (dir, uri)
}

const TWO_STEPS: &str = "workflow \"Two\" {
  block first = shell \"First\" {
    out stdout: String
    code ```
      echo hello
      ```
  }

  block second = shell \"Second\" {
    in text: String <- first.stdout
    out stdout: String
    code ```
      echo \"$text world\"
      ```
  }
}
";

const SLOW: &str = "workflow \"Slow\" {
  block slow = shell \"Slow\" {
    out stdout: String
    code ```
      sleep 30
      ```
  }

  block fast = shell \"Fast\" {
    out stdout: String
    code ```
      echo fast
      ```
  }
}
";

fn lens_titles(lenses: &Value) -> Vec<String> {
    lenses["result"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|l| l["command"]["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_streams_events_and_progress_and_leaves_values_for_hovers_and_lenses() {
    let (_dir, uri) = workspace(TWO_STEPS);
    let client = Client::start(json!({"window": {"workDoneProgress": true}})).await;
    client.open(&uri, TWO_STEPS).await;
    let doc = json!({"textDocument": {"uri": uri}});

    let lenses = client.request("textDocument/codeLens", doc.clone()).await;
    assert_eq!(
        lens_titles(&lenses),
        [
            "▶ Run workflow",
            "▶ Run block · not run yet",
            "▶ Run to here",
            "▶ Run block · not run yet",
            "▶ Run to here"
        ],
        "{lenses}"
    );
    let first = &lenses["result"][1];
    assert_eq!(first["command"]["command"], "agentblocks.runBlock");
    assert_eq!(
        first["command"]["arguments"],
        json!([{"uri": uri, "block": "first"}])
    );
    assert_eq!(first["range"]["start"]["line"], 1);

    let result = client.request("agentblocks/runWorkflow", doc.clone()).await;
    let run = &result["result"];
    assert_eq!(run["status"], "succeeded", "{result}");
    assert_eq!(run["blocks"][1]["id"], "second");
    assert_eq!(
        run["blocks"][1]["outputs"][0],
        json!({"port": "stdout", "preview": "\"hello world\""}),
        "{result}"
    );
    let run_id = run["runId"].as_str().expect("a run id").to_owned();

    // Everything the run sent arrived before its answer, in order.
    let messages = client
        .until(|m| is_run_event(m, &run_id, "run_finished"))
        .await;
    let events = run_events(&messages, &run_id);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"run_started"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"run_finished"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "block_finished").count(),
        2,
        "{kinds:?}"
    );
    let methods: Vec<&str> = messages
        .iter()
        .filter_map(|m| m["method"].as_str())
        .collect();
    let created = methods
        .iter()
        .position(|m| *m == "window/workDoneProgress/create")
        .expect("a progress token is created");
    let progress: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == "$/progress")
        .map(|m| &m["params"]["value"])
        .collect();
    assert!(created < methods.iter().position(|m| *m == "$/progress").unwrap_or(0));
    assert_eq!(progress.first().map(|p| &p["kind"]), Some(&json!("begin")));
    assert!(
        progress.iter().any(|p| p["kind"] == "report"),
        "{progress:?}"
    );
    // The end report may follow the last event.
    let end = if progress.last().map(|p| &p["kind"]) == Some(&json!("end")) {
        progress.last().map(|p| (*p).clone())
    } else {
        let rest = client.until(|m| m["method"] == "$/progress").await;
        rest.last().map(|m| m["params"]["value"].clone())
    };
    assert_eq!(
        end.as_ref().map(|e| &e["kind"]),
        Some(&json!("end")),
        "{end:?}"
    );

    // Hovers show the last values and durations.
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 10}}),
        )
        .await;
    let text = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(text.contains("**last value** of `stdout`"), "{hover}");
    assert!(text.contains("\"hello\""), "{hover}");
    assert!(text.contains("string of 5 characters"), "{hover}");
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 8, "character": 9}}),
        )
        .await;
    let text = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(text.contains("**last run**: succeeded in"), "{hover}");

    // The lenses now read from the cache.
    let lenses = client.request("textDocument/codeLens", doc).await;
    let titles = lens_titles(&lenses);
    assert_eq!(titles[0], "▶ Run workflow · all cached", "{titles:?}");
    assert!(titles[1].starts_with("▶ Run block · cached "), "{titles:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_run_stops_a_sleeping_shell_block() {
    let (_dir, uri) = workspace(SLOW);
    let client = Client::start(json!({})).await;
    client.open(&uri, SLOW).await;
    let (_, rx) = client
        .send(
            "agentblocks/runBlock",
            json!({"textDocument": {"uri": uri}, "block": "slow"}),
        )
        .await;
    let started = client
        .until(|m| {
            m["method"] == "agentblocks/runEvent"
                && m["params"]["event"]["event"] == "block_started"
                && m["params"]["event"]["block"] == "slow"
        })
        .await;
    let run_id = started
        .last()
        .and_then(|m| m["params"]["runId"].as_str())
        .expect("a run id")
        .to_owned();
    let cancelled = client
        .request(
            "agentblocks/cancelRun",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(cancelled["result"], json!({"runId": run_id}), "{cancelled}");
    let result = answer(rx).await;
    assert_eq!(result["result"]["status"], "cancelled", "{result}");
    assert_eq!(
        result["result"]["blocks"][0]["status"], "cancelled",
        "{result}"
    );
    let messages = client
        .until(|m| is_run_event(m, &run_id, "run_finished"))
        .await;
    let events = run_events(&messages, &run_id);
    let failed = events
        .iter()
        .find(|e| e["event"] == "block_failed" && e["block"] == "slow")
        .expect("the block ends");
    assert_eq!(failed["error"]["kind"], "cancelled", "{failed}");
    assert_eq!(
        events.last().map(|e| &e["status"]),
        Some(&json!("cancelled"))
    );
    // Nothing is running any more.
    let again = client
        .request(
            "agentblocks/cancelRun",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(again["result"], json!({"runId": null}), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_run_of_a_document_cancels_and_replaces_the_first() {
    let (_dir, uri) = workspace(SLOW);
    let client = Client::start(json!({})).await;
    client.open(&uri, SLOW).await;
    let (_, first) = client
        .send(
            "agentblocks/runWorkflow",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let started = client
        .until(|m| m["params"]["event"]["event"] == "block_started")
        .await;
    let first_id = started
        .last()
        .and_then(|m| m["params"]["runId"].as_str())
        .expect("a run id")
        .to_owned();
    let second = client
        .request(
            "agentblocks/runBlock",
            json!({"textDocument": {"uri": uri}, "block": "fast"}),
        )
        .await;
    assert_eq!(second["result"]["status"], "succeeded", "{second}");
    assert_ne!(second["result"]["runId"], first_id);
    let first = answer(first).await;
    assert_eq!(first["result"]["status"], "cancelled", "{first}");
    assert_eq!(first["result"]["runId"], first_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_the_run_request_stops_the_run() {
    let (_dir, uri) = workspace(SLOW);
    let client = Client::start(json!({})).await;
    client.open(&uri, SLOW).await;
    let (id, rx) = client
        .send(
            "workspace/executeCommand",
            json!({"command": "agentblocks.runBlock", "arguments": [{"uri": uri, "block": "slow"}]}),
        )
        .await;
    let started = client
        .until(|m| m["params"]["event"]["event"] == "block_started")
        .await;
    let run_id = started
        .last()
        .and_then(|m| m["params"]["runId"].as_str())
        .expect("a run id")
        .to_owned();
    client.notify("$/cancelRequest", json!({"id": id})).await;
    let response = answer(rx).await;
    assert_eq!(response["error"]["code"], -32800, "{response}");
    let messages = client
        .until(|m| is_run_event(m, &run_id, "run_finished"))
        .await;
    let events = run_events(&messages, &run_id);
    assert_eq!(
        events.last().map(|e| &e["status"]),
        Some(&json!("cancelled"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_runs_say_why() {
    let broken = TWO_STEPS.replace("in text: String", "in text: Number");
    let (_dir, uri) = workspace(&broken);
    let client = Client::start(json!({})).await;
    client.open(&uri, &broken).await;
    let refused = client
        .request(
            "agentblocks/runWorkflow",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(refused["error"]["code"], -32803, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("the workflow cannot run: 1 error: 10:"),
        "{message}"
    );
    assert!(message.contains("Number"), "{message}");

    let missing = client
        .request(
            "agentblocks/runBlock",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(missing["error"]["code"], -32602, "{missing}");

    let untitled = "untitled:Untitled-1";
    client.open(untitled, TWO_STEPS).await;
    let unsaved = client
        .request(
            "agentblocks/runWorkflow",
            json!({"textDocument": {"uri": untitled}}),
        )
        .await;
    assert!(
        unsaved["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a file on disk")),
        "{unsaved}"
    );
    let unknown = client
        .request(
            "workspace/executeCommand",
            json!({"command": "agentblocks.nope", "arguments": [{"uri": uri}]}),
        )
        .await;
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
}

const TEMPLATE: &str = "workflow \"T\" {
  block make = template python \"Make\" {
    param value: Integer = 42
    placeholder value = expression(value)
    out result: Integer
    template ```
      result = {{value}} + 1
      ```
  }
}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_run_blocks_and_expand_templates() {
    let _python = PYTHON.lock().await;
    let (_dir, uri) = workspace(TEMPLATE);
    let client = Client::start(json!({})).await;
    client.open(&uri, TEMPLATE).await;
    let init_commands = client
        .request("initialize", json!({"capabilities": {}}))
        .await;
    // A second `initialize` is refused; the commands were declared by the first one.
    assert!(init_commands["error"].is_object(), "{init_commands}");

    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 5, "character": 4}, "end": {"line": 5, "character": 4}}, "context": {"diagnostics": []}}),
        )
        .await;
    let expand = actions["result"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["title"] == "Expand template `make`"))
        .cloned()
        .unwrap_or_else(|| panic!("an expand action: {actions}"));
    assert_eq!(expand["kind"], "refactor");
    let expanded = client
        .request("workspace/executeCommand", expand["command"].clone())
        .await;
    assert_eq!(expanded["result"]["language"], "python", "{expanded}");
    assert!(
        expanded["result"]["code"]
            .as_str()
            .is_some_and(|c| c.contains("result = 42 + 1")),
        "{expanded}"
    );

    let ran = client
        .request(
            "workspace/executeCommand",
            json!({"command": "agentblocks.runToHere", "arguments": [{"uri": uri, "block": "make"}]}),
        )
        .await;
    assert_eq!(ran["result"]["status"], "succeeded", "{ran}");
    assert_eq!(
        ran["result"]["blocks"][0]["outputs"][0],
        json!({"port": "result", "preview": "43"}),
        "{ran}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_a_client_implements_itself_are_not_declared_but_still_run() {
    let _python = PYTHON.lock().await;
    let commands =
        |init: &Value| init["result"]["capabilities"]["executeCommandProvider"]["commands"].clone();
    let (_, init) = Client::start_with(json!({"capabilities": {}})).await;
    assert_eq!(
        commands(&init),
        json!([
            "agentblocks.runBlock",
            "agentblocks.runToHere",
            "agentblocks.runWorkflow",
            "agentblocks.cancelRun",
            "agentblocks.expandTemplate"
        ])
    );
    let (_dir, uri) = workspace(TEMPLATE);
    let (client, init) = Client::start_with(json!({
        "capabilities": {},
        "initializationOptions": {
            "agentblocks": {"cache": false},
            "clientCommands": ["agentblocks.runBlock", "agentblocks.runToHere", "agentblocks.runWorkflow"]
        }
    }))
    .await;
    assert_eq!(
        commands(&init),
        json!(["agentblocks.cancelRun", "agentblocks.expandTemplate"])
    );
    client.open(&uri, TEMPLATE).await;
    let ran = client
        .request(
            "workspace/executeCommand",
            json!({"command": "agentblocks.runWorkflow", "arguments": [{"uri": uri}]}),
        )
        .await;
    assert_eq!(ran["result"]["status"], "succeeded", "{ran}");
}

const IMPORTS: &str = "workflow \"Imports\" {
  block use_it = python \"Use it\" {
    out value: Integer
    code ```
      import abtiny
      value = abtiny.VALUE
      ```
  }
}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn python_path_makes_a_virtualenv_s_packages_importable() {
    let _python = PYTHON.lock().await;
    let (dir, uri) = workspace(IMPORTS);
    let venv = venv_with_module(dir.path());

    let client = Client::start(json!({})).await;
    client.open(&uri, IMPORTS).await;
    let doc = json!({"textDocument": {"uri": uri}, "noCache": true});
    let configure =
        |python_path: String| json!({"settings": {"agentblocks": {"pythonPath": python_path}}});

    // No setting: the embedded Python's packages only.
    let ran = client.request("agentblocks/runWorkflow", doc.clone()).await;
    assert_eq!(ran["result"]["status"], "failed", "{ran}");
    assert_eq!(
        ran["result"]["blocks"][0]["error"], "ModuleNotFoundError: No module named 'abtiny'",
        "{ran}"
    );

    // The venv's python: imported.
    let python = venv.join("bin/python").display().to_string();
    client
        .notify("workspace/didChangeConfiguration", configure(python))
        .await;
    let ran = client.request("agentblocks/runWorkflow", doc.clone()).await;
    assert_eq!(ran["result"]["status"], "succeeded", "{ran}");
    assert_eq!(
        ran["result"]["blocks"][0]["outputs"][0],
        json!({"port": "value", "preview": "42"}),
        "{ran}"
    );

    // An interpreter of another version: an error message, and the run fails saying why
    // instead of importing from elsewhere.
    let fake = fake_python_3_99(dir.path());
    client
        .notify(
            "workspace/didChangeConfiguration",
            configure(fake.display().to_string()),
        )
        .await;
    let (major, minor) = embedded_version().expect("the python feature is on");
    let problem = format!(
        "`{}` is Python 3.99; Python blocks run on the embedded Python {major}.{minor}",
        fake.display()
    );
    let shown = client
        .until(|m| m["method"] == "window/showMessage")
        .await
        .pop()
        .unwrap();
    assert_eq!(shown["params"]["type"], 1, "an error: {shown}");
    assert!(
        shown["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&problem) && m.contains("pythonPath")),
        "{shown}"
    );
    let ran = client.request("agentblocks/runWorkflow", doc.clone()).await;
    assert_eq!(ran["result"]["status"], "failed", "{ran}");
    assert_eq!(
        ran["result"]["blocks"][0]["error"],
        format!("block `use_it` cannot run: {problem}"),
        "{ran}"
    );

    // Cleared: the embedded Python alone again, the venv's module forgotten.
    client
        .notify("workspace/didChangeConfiguration", configure(String::new()))
        .await;
    let ran = client.request("agentblocks/runWorkflow", doc).await;
    assert_eq!(
        ran["result"]["blocks"][0]["error"], "ModuleNotFoundError: No module named 'abtiny'",
        "{ran}"
    );
}
