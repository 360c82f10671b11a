//! In-process tests of the language server over its real JSON-RPC transport (in-memory pipes):
//! every feature, ordering of 1,000 edits fired without waiting, and bad input.

mod common;

use std::time::Duration;

use common::Client;
use serde_json::{json, Value};

/// A server whose client takes snippets in completions.
async fn start() -> Client {
    Client::start(
        json!({"textDocument": {"completion": {"completionItem": {"snippetSupport": true}}}}),
    )
    .await
}

const URI: &str = "file:///tmp/test/flow.ab";

const SRC: &str = "workflow \"W\" {
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

fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

fn doc_pos(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": pos(line, character)})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_feature_answers() {
    let client = start().await;
    client.open(URI, SRC).await;
    assert!(client.diagnostics(URI, Some(1)).await.is_empty());

    // An edit that breaks a type, then its diagnostics.
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [
                {"range": {"start": pos(10, 14), "end": pos(10, 20)}, "text": "Number"}]}),
        )
        .await;
    let diagnostics = client.diagnostics(URI, Some(2)).await;
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"] == "variable-type-mismatch" || d["code"] == "type-mismatch"),
        "{diagnostics:?}"
    );
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": SRC}]}),
        )
        .await;
    assert!(client.diagnostics(URI, Some(3)).await.is_empty());

    let hover = client.request("textDocument/hover", doc_pos(9, 35)).await;
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("out find.files"),
        "{hover}"
    );
    let definition = client
        .request("textDocument/definition", doc_pos(9, 29))
        .await;
    assert_eq!(
        definition["result"]["range"]["start"],
        pos(3, 8),
        "{definition}"
    );
    let references = client
        .request("textDocument/references", json!({"textDocument": {"uri": URI}, "position": pos(3, 9), "context": {"includeDeclaration": true}}))
        .await;
    assert_eq!(
        references["result"].as_array().map(Vec::len),
        Some(2),
        "{references}"
    );
    let highlights = client
        .request("textDocument/documentHighlight", doc_pos(3, 9))
        .await;
    assert_eq!(highlights["result"].as_array().map(Vec::len), Some(2));
    let rename = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": URI}, "position": pos(3, 9), "newName": "sources"}),
        )
        .await;
    assert_eq!(
        rename["result"]["changes"][URI].as_array().map(Vec::len),
        Some(2),
        "{rename}"
    );
    let prepare = client
        .request("textDocument/prepareRename", doc_pos(3, 20))
        .await;
    assert!(
        prepare["error"].is_object(),
        "a block kind cannot be renamed: {prepare}"
    );

    let completion = client
        .request("textDocument/completion", doc_pos(9, 33))
        .await;
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["label"].as_str()).collect())
        .unwrap_or_default();
    assert!(labels.contains(&"files"), "{completion}");
    // Block ids after `<- f`: filtered by the word typed, so an incomplete list.
    let completion = client
        .request("textDocument/completion", doc_pos(9, 29))
        .await;
    assert_eq!(completion["result"]["isIncomplete"], true, "{completion}");
    assert_eq!(completion["result"]["items"][0]["label"], "find");
    assert_eq!(
        completion["result"]["items"][0]["textEdit"]["newText"],
        "find."
    );

    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": URI}}),
        )
        .await;
    assert_eq!(symbols["result"][0]["name"], "W");
    assert_eq!(
        symbols["result"][0]["children"].as_array().map(Vec::len),
        Some(3)
    );
    let workspace = client
        .request("workspace/symbol", json!({"query": "filter"}))
        .await;
    assert!(
        workspace["result"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{workspace}"
    );
    let folds = client
        .request(
            "textDocument/foldingRange",
            json!({"textDocument": {"uri": URI}}),
        )
        .await;
    assert!(
        folds["result"].as_array().is_some_and(|f| f.len() >= 3),
        "{folds}"
    );
    let selection = client
        .request(
            "textDocument/selectionRange",
            json!({"textDocument": {"uri": URI}, "positions": [pos(9, 9)]}),
        )
        .await;
    assert!(selection["result"][0]["parent"].is_object(), "{selection}");
    let tokens = client
        .request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": URI}}),
        )
        .await;
    let id = tokens["result"]["resultId"].clone();
    assert!(tokens["result"]["data"]
        .as_array()
        .is_some_and(|d| d.len() > 50));
    let delta = client
        .request(
            "textDocument/semanticTokens/full/delta",
            json!({"textDocument": {"uri": URI}, "previousResultId": id}),
        )
        .await;
    assert_eq!(delta["result"]["edits"], json!([]), "{delta}");
    let hints = client
        .request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": URI}, "range": {"start": pos(0, 0), "end": pos(20, 0)}}),
        )
        .await;
    let labels: Vec<&str> = hints["result"]
        .as_array()
        .map(|h| h.iter().filter_map(|h| h["label"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(labels, vec![": List[Path]", "<- var marker"], "{hints}");
    let formatting = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    assert_eq!(
        formatting["result"],
        json!([]),
        "already canonical: {formatting}"
    );
    let actions = client
        .request("textDocument/codeAction", json!({"textDocument": {"uri": URI}, "range": {"start": pos(0, 0), "end": pos(0, 0)}, "context": {"diagnostics": []}}))
        .await;
    assert!(actions.to_string().contains("Convert to JSON"), "{actions}");
    let graph = client
        .request("agentblocks/graph", json!({"textDocument": {"uri": URI}}))
        .await;
    assert_eq!(
        graph["result"]["blocks"].as_array().map(Vec::len),
        Some(2),
        "{graph}"
    );
    assert_eq!(graph["result"]["connections"][0]["valid"], true);
    let moved = client
        .request(
            "agentblocks/moveBlock",
            json!({"textDocument": {"uri": URI}, "block": "find", "x": 5, "y": 6}),
        )
        .await;
    assert_eq!(
        moved["result"]["changes"][URI][0]["newText"], "at (5, 6)",
        "{moved}"
    );
    client
        .notify(
            "workspace/didChangeConfiguration",
            json!({"settings": {"agentblocks": {"pythonPath": "python3"}}}),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_property_gets_a_quick_fix_that_adds_it() {
    let client = start().await;
    let src = "workflow {\n  block read = read_file {\n    out content: String\n  }\n}\n";
    client.open(URI, src).await;
    let diagnostics = client.diagnostics(URI, Some(1)).await;
    assert!(
        diagnostics.iter().any(|d| d["code"] == "missing-property"),
        "{diagnostics:?}"
    );
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": {"start": pos(1, 9), "end": pos(1, 9)},
                   "context": {"diagnostics": diagnostics}}),
        )
        .await;
    let fix = actions["result"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["title"] == "add property `path`"))
        .unwrap_or_else(|| panic!("no fix in {actions}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["diagnostics"][0]["code"], "missing-property", "{fix}");
    assert_eq!(
        fix["edit"]["changes"][URI],
        json!([{"range": {"start": pos(2, 0), "end": pos(2, 0)}, "newText": "    path = \"\"\n"}]),
        "{fix}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converting_says_when_it_replaces_the_other_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("flow.ab");
    std::fs::write(&path, SRC).expect("written");
    let uri = format!("file://{}", path.display());
    let client = start().await;
    client.open(&uri, SRC).await;
    let titles = || async {
        let actions = client
            .request("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": {"start": pos(0, 0), "end": pos(0, 0)}, "context": {"diagnostics": []}}))
            .await;
        actions["result"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|a| a["title"].as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let found = titles().await;
    let convert = found
        .iter()
        .find(|t| t.starts_with("Convert to JSON"))
        .expect("offered");
    assert!(!convert.contains("replacing"), "{convert}");
    std::fs::write(dir.path().join("flow.agentblocks"), "{}").expect("written");
    let found = titles().await;
    let convert = found
        .iter()
        .find(|t| t.starts_with("Convert to JSON"))
        .expect("offered");
    assert!(
        convert.ends_with(", replacing `flow.agentblocks`"),
        "{convert}"
    );
}

/// 300 random edits of `examples/everything.ab` (single characters, emoji, braces, quotes,
/// fences, whole blocks; recorded from a fuzzing run) after which tree-sitter's incremental
/// error recovery once worded some syntax errors differently from a fresh parse.
const EDIT_HISTORY: &str = include_str!("data/edit-history.json");

/// The byte offset of an LSP position (UTF-16 columns) in `text`.
fn offset_of(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap_or(0) as usize;
    let column = position["character"].as_u64().unwrap_or(0) as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (at, c) in text[start..].char_indices() {
        if units >= column || c == '\n' {
            return start + at;
        }
        units += c.len_utf16();
    }
    text.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_after_an_edit_history_are_those_of_the_text() {
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/everything.ab"
    ))
    .expect("the example");
    let edits: Vec<Value> = serde_json::from_str(EDIT_HISTORY).expect("the edits");
    let client = start().await;
    let edited = "file:///tmp/test/edited.ab";
    client.open(edited, &text).await;
    for (i, edit) in edits.iter().enumerate() {
        let (start, end) = (
            offset_of(&text, &edit["range"]["start"]),
            offset_of(&text, &edit["range"]["end"]),
        );
        text.replace_range(start..end, edit["text"].as_str().unwrap_or_default());
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": edited, "version": i + 2}, "contentChanges": [edit]}),
            )
            .await;
    }
    let found = client
        .diagnostics(edited, Some(edits.len() as i64 + 1))
        .await;
    let fresh = "file:///tmp/test/fresh.ab";
    client.open(fresh, &text).await;
    let expected = client.diagnostics(fresh, Some(1)).await;
    assert!(!expected.is_empty(), "the edits leave syntax errors");
    let shown = |d: &[Value]| serde_json::to_string_pretty(d).unwrap_or_default();
    assert_eq!(
        shown(&found).replace(edited, "U"),
        shown(&expected).replace(fresh, "U")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_edits_fired_without_waiting_arrive_in_order() {
    let client = start().await;
    let mut text = String::from("workflow {\n}\n");
    client.open(URI, &text).await;
    let mut version = 1;
    for i in 0..1_000u32 {
        version += 1;
        // Insert a line before the closing brace, sometimes delete the previous one.
        let line = text.lines().count() as u32 - 1;
        let (change, new_text) = if i % 7 == 6 {
            let start = text.find("\n  var").map_or(0, |s| s + 1);
            let end = text[start..]
                .find('\n')
                .map_or(text.len(), |e| start + e + 1);
            let before = text[..start].lines().count() as u32;
            (
                json!({"range": {"start": pos(before, 0), "end": pos(before + 1, 0)}, "text": ""}),
                format!("{}{}", &text[..start], &text[end..]),
            )
        } else {
            let insert = format!("  var v{i}: String = \"é😀{i}\"\n");
            let at = text.rfind('}').unwrap_or(0);
            (
                json!({"range": {"start": pos(line, 0), "end": pos(line, 0)}, "text": insert}),
                format!("{}{}{}", &text[..at], insert, &text[at..]),
            )
        };
        text = new_text;
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": URI, "version": version}, "contentChanges": [change]}),
            )
            .await;
    }
    // A request after the edits is answered after them; then the texts must agree.
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": URI}}),
        )
        .await;
    assert!(symbols["result"].is_array());
    let (rope, tree) = client.documents.texts(URI).expect("the document is open");
    assert_eq!(rope, text);
    assert_eq!(tree.as_deref(), Some(text.as_str()));
    let diagnostics = client.diagnostics(URI, Some(version)).await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_errors_and_the_server_goes_on() {
    let client = start().await;
    client.open(URI, SRC).await;
    // Unknown method.
    let unknown = client.request("agentblocks/nope", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // Unknown command: named as unknown, whatever its arguments.
    let command = client
        .request(
            "workspace/executeCommand",
            json!({"command": "agentblocks.nope", "arguments": []}),
        )
        .await;
    assert!(
        command["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("unknown command `agentblocks.nope`")),
        "{command}"
    );
    // Malformed parameters.
    let malformed = client
        .request("textDocument/hover", json!({"textDocument": 3}))
        .await;
    assert_eq!(malformed["error"]["code"], -32602, "{malformed}");
    // Not JSON at all: answered with an error, and the server goes on.
    client.send_raw("{ this is not json").await;
    // A document never opened.
    let unopened = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///nowhere.ab"}, "position": pos(0, 0)}),
        )
        .await;
    assert!(unopened["error"].is_object(), "{unopened}");
    // Positions past the end are clamped.
    let far = client
        .request("textDocument/completion", doc_pos(9_999, 9_999))
        .await;
    assert!(far["result"].is_array(), "{far}");
    let far = client
        .request("textDocument/hover", doc_pos(3, 9_999))
        .await;
    assert!(far.get("error").is_none(), "{far}");
    // Edits racing requests: fire both, every request is answered.
    let mut waiting = Vec::new();
    for i in 0..50 {
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": URI, "version": 2 + i}, "contentChanges": [
                    {"range": {"start": pos(1, 0), "end": pos(1, 0)}, "text": "  // x\n"}]}),
            )
            .await;
        waiting.push(
            client
                .send("textDocument/hover", doc_pos(i as u32 % 20, 5))
                .await
                .1,
        );
        waiting.push(
            client
                .send("agentblocks/graph", json!({"textDocument": {"uri": URI}}))
                .await
                .1,
        );
    }
    for rx in waiting {
        let answer = tokio::time::timeout(Duration::from_secs(20), rx)
            .await
            .expect("answered")
            .expect("a response");
        assert!(answer.get("error").is_none(), "{answer}");
    }
    // Formatting makes no edit to text with syntax errors (no error either: format-on-save
    // would show it on every save).
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": 100}, "contentChanges": [{"text": "workflow {\n  block"}]}),
        )
        .await;
    let formatting = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    assert!(formatting.get("error").is_none(), "{formatting}");
    assert!(formatting["result"].is_null(), "{formatting}");
    // Still serving.
    let graph = client
        .request("agentblocks/graph", json!({"textDocument": {"uri": URI}}))
        .await;
    assert_eq!(graph["result"]["hasErrors"], true, "{graph}");
    let shutdown = client.request("shutdown", Value::Null).await;
    assert!(shutdown.get("error").is_none(), "{shutdown}");
}
