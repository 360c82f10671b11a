//! The in-process test client shared by the server's integration tests: JSON-RPC over
//! in-memory pipes to a real `Server` behind the same framing guard and concurrency level as
//! `run_stdio`.

// Each test binary uses a different part of the client.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agentblocks_lsp::documents::Documents;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::io::{DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot, Mutex};

/// How long any one answer may take.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A client speaking JSON-RPC to an in-process server; it answers the server's requests with
/// `null` and keeps them, with notifications, in arrival order.
pub struct Client {
    writer: Arc<Mutex<WriteHalf<DuplexStream>>>,
    pending: Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>>,
    incoming: Mutex<mpsc::UnboundedReceiver<Value>>,
    next_id: AtomicI64,
    /// The server's documents (tests compare their text with the client's).
    pub documents: Arc<Documents>,
}

async fn write_frame(writer: &Mutex<WriteHalf<DuplexStream>>, body: &str) {
    let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
    let mut writer = writer.lock().await;
    writer
        .write_all(frame.as_bytes())
        .await
        .expect("the server reads");
}

async fn read_frame(reader: &mut BufReader<ReadHalf<DuplexStream>>) -> Option<Value> {
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// Starts a server and initializes it with `capabilities`.
    pub async fn start(capabilities: Value) -> Client {
        Client::start_with(json!({ "capabilities": capabilities }))
            .await
            .0
    }

    /// Starts a server and initializes it with `params`; returns the `initialize` answer too.
    pub async fn start_with(params: Value) -> (Client, Value) {
        let (client_end, server_end) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_end);
        let mut documents = None;
        let (service, socket) = agentblocks_lsp::service_with(|client| {
            let server = agentblocks_lsp::Server::new(client);
            documents = Some(server.documents());
            server
        });
        // The same guard and concurrency as `run_stdio`.
        let (filter_in, filtered) = tokio::io::duplex(1 << 20);
        tokio::spawn(agentblocks_lsp::framing::filter(server_read, filter_in));
        tokio::spawn(
            tower_lsp_server::Server::new(filtered, server_write, socket)
                .concurrency_level(64)
                .serve(service),
        );
        let (read_end, write_end) = tokio::io::split(client_end);
        let writer = Arc::new(Mutex::new(write_end));
        let pending: Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>> = Arc::default();
        let (incoming_tx, incoming_rx) = mpsc::unbounded_channel();
        let (pending_reader, reply_writer) = (pending.clone(), writer.clone());
        tokio::spawn(async move {
            let mut reader = BufReader::new(read_end);
            while let Some(message) = read_frame(&mut reader).await {
                match (message.get("id").cloned(), message.get("method").is_some()) {
                    (Some(id), true) => {
                        let reply = json!({"jsonrpc": "2.0", "id": id, "result": null});
                        let _ = incoming_tx.send(message);
                        write_frame(&reply_writer, &reply.to_string()).await;
                    }
                    (Some(id), false) => {
                        let sender = pending_reader
                            .lock()
                            .await
                            .remove(&id.as_i64().unwrap_or(-1));
                        if let Some(sender) = sender {
                            let _ = sender.send(message);
                        }
                    }
                    _ => {
                        let _ = incoming_tx.send(message);
                    }
                }
            }
        });
        let client = Client {
            writer,
            pending,
            incoming: Mutex::new(incoming_rx),
            next_id: 1.into(),
            documents: documents.expect("the service made a server"),
        };
        let init = client.request("initialize", params).await;
        assert!(init["result"]["capabilities"].is_object(), "{init}");
        client.notify("initialized", json!({})).await;
        (client, init)
    }

    /// Sends `body` as one frame, as it is (it need not be valid JSON).
    pub async fn send_raw(&self, body: &str) {
        write_frame(&self.writer, body).await;
    }

    pub async fn notify(&self, method: &str, params: Value) {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send_raw(&body.to_string()).await;
    }

    /// Sends a request; returns its id and a receiver for its response.
    pub async fn send(&self, method: &str, params: Value) -> (i64, oneshot::Receiver<Value>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id, tx);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_raw(&body.to_string()).await;
        (id, rx)
    }

    pub async fn request(&self, method: &str, params: Value) -> Value {
        let (_, rx) = self.send(method, params).await;
        answer(rx).await
    }

    pub async fn open(&self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "agentblocks", "version": 1, "text": text}}),
        )
        .await;
    }

    /// The next notification or server request.
    pub async fn next(&self) -> Value {
        let mut incoming = self.incoming.lock().await;
        tokio::time::timeout(PATIENCE, incoming.recv())
            .await
            .expect("a message in time")
            .expect("the server is alive")
    }

    /// Messages up to and including the first one `stop` accepts.
    pub async fn until(&self, stop: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let message = self.next().await;
            let done = stop(&message);
            seen.push(message);
            if done {
                return seen;
            }
        }
    }

    /// Waits for diagnostics of `uri` at `version` (or any version when `None`).
    pub async fn diagnostics(&self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let messages = self
            .until(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri
                    && version.is_none_or(|v| m["params"]["version"] == v)
            })
            .await;
        messages.last().expect("until returns the match")["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// The response `rx` receives, in time.
pub async fn answer(rx: oneshot::Receiver<Value>) -> Value {
    tokio::time::timeout(PATIENCE, rx)
        .await
        .expect("an answer in time")
        .expect("a response")
}
