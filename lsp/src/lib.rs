//! The AgentBlocks language server: LSP over stdio on top of `agentblocks_dsl::ide`.
//!
//! This is the only crate that knows LSP types. `server.rs` holds the state and wires each
//! request to a handler in `handlers/` (one file per feature), which converts LSP parameters to
//! offsets, calls the plain-Rust feature in `dsl::ide`, and converts the answer back. The custom
//! methods are declared once in [`ext`].

#![warn(missing_docs)]

pub mod config;
pub mod documents;
pub mod ext;
pub mod framing;
pub mod handlers;
pub mod position;
pub mod runs;
pub mod server;

pub use server::Server;

use tower_lsp_server::{ClientSocket, LspService};

/// The language service with its custom methods registered, and the socket for messages to
/// the client.
pub fn service() -> (LspService<Server>, ClientSocket) {
    service_with(Server::new)
}

/// Like [`service`], with the server made by `make` (tests keep a handle on its documents).
pub fn service_with(
    make: impl FnOnce(tower_lsp_server::Client) -> Server,
) -> (LspService<Server>, ClientSocket) {
    LspService::build(make)
        .custom_method(ext::GRAPH, Server::graph)
        .custom_method(ext::MOVE_BLOCK, Server::move_block)
        .custom_method(ext::RUN_BLOCK, Server::run_block)
        .custom_method(ext::RUN_WORKFLOW, Server::run_workflow)
        .custom_method(ext::CANCEL_RUN, Server::cancel_run)
        .finish()
}

/// Serves LSP on standard input and output until the client exits.
pub async fn run_stdio() {
    let (service, socket) = service();
    let (input, filtered) = tokio::io::duplex(1 << 20);
    tokio::spawn(framing::filter(tokio::io::stdin(), input));
    // Runs answer when they end, so a few may be pending at once; other requests must not wait
    // behind them.
    tower_lsp_server::Server::new(filtered, tokio::io::stdout(), socket)
        .concurrency_level(64)
        .serve(service)
        .await;
}
