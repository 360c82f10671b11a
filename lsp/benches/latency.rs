//! Latency of the language server on generated workflows of 500 and 5,000 blocks, through the
//! real service (in process): `didChange` -> `publishDiagnostics`, completion and hover (median
//! and 95th percentile), and resident memory after opening.
//!
//! `cargo bench -p agentblocks-lsp --bench latency` prints the figures.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};
use tower::{Service, ServiceExt};
use tower_lsp_server::jsonrpc::Request;

#[path = "../../benches/support/generated.rs"]
mod generated;
use generated::generated_workflow;

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<34} median {:>8.2} ms   p95 {:>8.2} ms   (n = {})",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        samples.len()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (mut service, socket) = agentblocks_lsp::service();
    let (diag_tx, mut diag_rx) = tokio::sync::mpsc::unbounded_channel::<(String, i64)>();
    tokio::spawn(socket.for_each(move |message| {
        let diag_tx = diag_tx.clone();
        async move {
            if message.method() == "textDocument/publishDiagnostics" {
                let params = message.params();
                let field = |name: &str| params.and_then(|p| p.get(name)).cloned();
                let version = field("version").and_then(|v| v.as_i64()).unwrap_or(-1);
                let uri = field("uri")
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let _ = diag_tx.send((uri, version));
            }
        }
    }));
    let mut id = 0i64;
    let mut call = |method: &'static str, params: Value, notification: bool| {
        id += 1;
        let builder = Request::build(method).params(params);
        if notification {
            builder.finish()
        } else {
            builder.id(id).finish()
        }
    };
    let init = call("initialize", json!({"capabilities": {}}), false);
    let _ = service.ready().await.expect("ready").call(init).await;
    let _ = service
        .ready()
        .await
        .expect("ready")
        .call(call("initialized", json!({}), true))
        .await;

    for blocks in [500, 5_000] {
        measure(&mut service, &mut call, &mut diag_rx, blocks).await;
    }
}

/// Opens a generated workflow of `blocks` blocks and measures the server on it.
async fn measure<S>(
    service: &mut S,
    call: &mut impl FnMut(&'static str, Value, bool) -> Request,
    diag_rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, i64)>,
    blocks: usize,
) where
    S: Service<Request, Response = Option<tower_lsp_server::jsonrpc::Response>>,
    S::Error: std::fmt::Debug,
{
    let text = generated_workflow(blocks);
    let uri = format!("file:///bench/generated-{blocks}.ab");
    let uri = uri.as_str();
    println!("\n{blocks} blocks ({} KB)", text.len() / 1024);
    let before = rss_mb();
    let started = Instant::now();
    let open = call(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "agentblocks", "version": 1, "text": text}}),
        true,
    );
    let _ = service.ready().await.expect("ready").call(open).await;
    while diag_rx.recv().await != Some((uri.to_owned(), 1)) {}
    println!(
        "open -> diagnostics: {:.1} ms; RSS {:.1} MB -> {:.1} MB",
        started.elapsed().as_secs_f64() * 1e3,
        before,
        rss_mb()
    );

    // didChange -> publishDiagnostics: type one character into a block's property, alternately
    // inserting and deleting it.
    let line = text
        .lines()
        .position(|l| l.contains("pattern = \"fn main\""))
        .unwrap_or(0) as u32;
    let mut samples = Vec::new();
    for version in 2..42i64 {
        let change = if version % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": 16}, "end": {"line": line, "character": 16}}, "text": "x"})
        } else {
            json!({"range": {"start": {"line": line, "character": 16}, "end": {"line": line, "character": 17}}, "text": ""})
        };
        let started = Instant::now();
        let note = call(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
            true,
        );
        let _ = service.ready().await.expect("ready").call(note).await;
        while diag_rx.recv().await != Some((uri.to_owned(), version)) {}
        samples.push(started.elapsed());
    }
    summary("didChange -> publishDiagnostics", samples);

    let middle = format!("b{}", blocks / 2);
    // `    in files: List[Path] <- b2500.files`: the id starts at 28.
    let port = (28 + middle.len() + 1) as u32;
    let connection_line = text
        .lines()
        .position(|l| l.contains(&format!("<- {middle}.files")))
        .unwrap_or(0) as u32;
    for (name, method, character) in [
        ("completion after `bN.`", "textDocument/completion", port),
        (
            "completion of `b25|` among all ids",
            "textDocument/completion",
            31,
        ),
        (
            "hover on a connection's port",
            "textDocument/hover",
            port + 2,
        ),
    ] {
        let mut samples = Vec::new();
        for _ in 0..60 {
            let request = call(
                method,
                json!({"textDocument": {"uri": uri}, "position": {"line": connection_line, "character": character}}),
                false,
            );
            let started = Instant::now();
            let response = service.ready().await.expect("ready").call(request).await;
            samples.push(started.elapsed());
            assert!(matches!(response, Ok(Some(_))));
        }
        summary(name, samples);
    }
}
