//! The custom LSP methods, declared once (documented in `docs/lsp-extensions.md`; the VS Code
//! extension mirrors them in `lsp_ext.ts`).

use serde::{Deserialize, Serialize};
use tower_lsp_server::lsp_types::{ProgressToken, Range, TextDocumentIdentifier, Uri};

/// `agentblocks/graph` request: [`GraphParams`] -> [`GraphResult`].
pub const GRAPH: &str = "agentblocks/graph";
/// `agentblocks/moveBlock` request: [`MoveBlockParams`] -> `WorkspaceEdit | null`.
pub const MOVE_BLOCK: &str = "agentblocks/moveBlock";

/// Parameters of `agentblocks/graph`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphParams {
    /// The workflow file.
    pub text_document: TextDocumentIdentifier,
}

/// The graph of a workflow, drawn even while the text has errors.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GraphResult {
    /// The document version the graph is of.
    pub version: Option<i32>,
    /// True when the text has errors (the graph may miss what did not parse).
    pub has_errors: bool,
    /// The blocks, in file order.
    pub blocks: Vec<GraphBlock>,
    /// The connections.
    pub connections: Vec<GraphConnection>,
}

/// A block of the graph.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GraphBlock {
    /// Its id.
    pub id: String,
    /// `visual`, `code`, `hybrid`, `ai` or `plugin`.
    pub kind: String,
    /// The kind as written (`find_files`, `python`, ...).
    pub kind_label: String,
    /// The display name.
    pub name: Option<String>,
    /// The canvas position.
    pub position: Option<Point>,
    /// The whole block.
    pub range: Range,
    /// Its id in the text.
    pub id_range: Range,
    /// Inputs.
    pub inputs: Vec<GraphPort>,
    /// Outputs.
    pub outputs: Vec<GraphPort>,
}

/// A canvas point.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub struct Point {
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
}

/// A port of the graph.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GraphPort {
    /// Its name.
    pub name: String,
    /// Its type (DSL spelling).
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Its declaration (absent for catalogue ports a block does not declare).
    pub range: Option<Range>,
}

/// A connection of the graph.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GraphConnection {
    /// Its effective id.
    pub id: String,
    /// Source block id.
    pub source_block: String,
    /// Source port.
    pub source_port: String,
    /// Target block id.
    pub target_block: String,
    /// Target port.
    pub target_port: String,
    /// The type flowing.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// False when an end is missing or the types do not fit.
    pub valid: bool,
    /// Why not valid.
    pub problem: Option<String>,
    /// Where it is written.
    pub range: Range,
}

/// Parameters of `agentblocks/moveBlock`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveBlockParams {
    /// The workflow file.
    pub text_document: TextDocumentIdentifier,
    /// The block's id.
    pub block: String,
    /// New x.
    pub x: f64,
    /// New y.
    pub y: f64,
}

/// `agentblocks/runBlock` request: [`RunParams`] (with `block` or `until`) -> [`RunResult`].
pub const RUN_BLOCK: &str = "agentblocks/runBlock";
/// `agentblocks/runWorkflow` request: [`RunParams`] -> [`RunResult`].
pub const RUN_WORKFLOW: &str = "agentblocks/runWorkflow";
/// `agentblocks/cancelRun` request: [`CancelRunParams`] -> [`CancelRunResult`].
pub const CANCEL_RUN: &str = "agentblocks/cancelRun";

/// The commands of `workspace/executeCommand` (each takes one argument, [`CommandArgs`]).
pub mod commands {
    /// Runs one block (upstream results from the cache): returns a [`super::RunResult`].
    pub const RUN_BLOCK: &str = "agentblocks.runBlock";
    /// Runs a block and everything it depends on: returns a [`super::RunResult`].
    pub const RUN_TO_HERE: &str = "agentblocks.runToHere";
    /// Runs the whole workflow: returns a [`super::RunResult`].
    pub const RUN_WORKFLOW: &str = "agentblocks.runWorkflow";
    /// Cancels the document's run: returns a [`super::CancelRunResult`].
    pub const CANCEL_RUN: &str = "agentblocks.cancelRun";
    /// A template block's expanded code: returns an [`super::ExpandTemplateResult`].
    pub const EXPAND_TEMPLATE: &str = "agentblocks.expandTemplate";
    /// Every command, as declared in `executeCommandProvider`.
    pub const ALL: [&str; 5] = [
        RUN_BLOCK,
        RUN_TO_HERE,
        RUN_WORKFLOW,
        CANCEL_RUN,
        EXPAND_TEMPLATE,
    ];

    /// The commands declared in `executeCommandProvider`: every command but those the client
    /// implements itself, named in `initializationOptions.clientCommands` (a client whose own
    /// commands of these names handle the lenses, e.g. the VS Code extension, whose language
    /// client would otherwise register the server's commands under the same names). The server
    /// still executes every command of [`ALL`] when asked.
    pub fn advertised(initialization_options: Option<&serde_json::Value>) -> Vec<String> {
        let own: Vec<&str> = initialization_options
            .and_then(|o| o.get("clientCommands"))
            .and_then(|c| c.as_array())
            .map(|c| c.iter().filter_map(|c| c.as_str()).collect())
            .unwrap_or_default();
        ALL.iter()
            .filter(|c| !own.contains(c))
            .map(|c| c.to_string())
            .collect()
    }
}

/// Parameters of `agentblocks/runBlock` and `agentblocks/runWorkflow`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunParams {
    /// The workflow file (its current text runs, saved or not; its folder is the workspace).
    pub text_document: TextDocumentIdentifier,
    /// Run only this block; its upstream blocks' outputs come from their latest cached results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
    /// Run this block and everything it depends on (wins over `block`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Neither read nor write the result cache (default: the `cache` setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_cache: Option<bool>,
    /// A progress token the client made (else the server creates one when it may).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_done_token: Option<ProgressToken>,
}

/// The final report of a run.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    /// The server's id of the run (the `runId` of its `agentblocks/runEvent`s).
    pub run_id: String,
    /// The run's id in the workspace history, when recorded.
    pub history_id: Option<i64>,
    /// `succeeded`, `failed`, `cancelled` or `timed_out`.
    pub status: String,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The blocks the run considered, in plan order.
    pub blocks: Vec<BlockResult>,
}

/// One block's part of a [`RunResult`].
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BlockResult {
    /// The block's id.
    pub id: String,
    /// `succeeded`, `cached`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// How long its last attempt took, in milliseconds.
    pub duration_ms: u64,
    /// How many attempts it made.
    pub attempts: u32,
    /// Its outputs, previewed.
    pub outputs: Vec<OutputPreview>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
}

/// An output's preview.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct OutputPreview {
    /// The port.
    pub port: String,
    /// A short one-line preview of the value.
    pub preview: String,
}

/// `agentblocks/runEvent` notification: one engine event of a run, in order; the last event of
/// a run is `run_finished`.
#[derive(Debug)]
pub enum RunEvent {}

impl tower_lsp_server::lsp_types::notification::Notification for RunEvent {
    type Params = RunEventParams;
    const METHOD: &'static str = "agentblocks/runEvent";
}

/// Parameters of `agentblocks/runEvent`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunEventParams {
    /// The workflow file.
    pub uri: Uri,
    /// The server's id of the run.
    pub run_id: String,
    /// The engine's event, exactly as `agentblocks run --json` prints it.
    pub event: agentblocks_engine::Event,
}

/// Parameters of `agentblocks/cancelRun`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelRunParams {
    /// The workflow file whose run to stop.
    pub text_document: TextDocumentIdentifier,
}

/// Result of `agentblocks/cancelRun`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CancelRunResult {
    /// The run that was asked to stop; `null` when none was running.
    pub run_id: Option<String>,
}

/// The one argument of every `agentblocks.*` command.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct CommandArgs {
    /// The workflow file.
    pub uri: Uri,
    /// The block (absent for `agentblocks.runWorkflow` and `agentblocks.cancelRun`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
}

/// Result of `agentblocks.expandTemplate`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ExpandTemplateResult {
    /// The template block.
    pub block: String,
    /// The language the code is in (`python`, `javascript`, ...).
    pub language: String,
    /// The expanded code, as the block runs it.
    pub code: String,
}
