//! The custom LSP methods, declared once (documented in `docs/lsp-extensions.md`; the VS Code
//! extension mirrors them in `lsp_ext.ts`).

use serde::{Deserialize, Serialize};
use tower_lsp_server::lsp_types::{Range, TextDocumentIdentifier};

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
