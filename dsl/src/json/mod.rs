//! The `.agentblocks` JSON side: a position-keeping JSON parser, the reader into the model and
//! the canonical writer.
//!
//! `text -> parse -> JsonNode -> read -> Document -> write -> canonical text`. The reader's
//! `apply_*_field` functions are shared with the DSL lowering (`@key = value`).

pub mod node;
pub mod parse;
pub mod read;
pub mod write;

pub use node::{JsonKind, JsonNode, Member};
pub use parse::parse;
pub use read::{
    apply_block_field, apply_canvas_state_field, apply_connection_field,
    apply_error_handling_field, apply_execution_config_field, apply_model_config_field,
    apply_parameter_field, apply_port_field, apply_retry_policy_field, apply_top_field,
    apply_variable_field, apply_workflow_field, block_identity_keys, check_duplicate_keys,
    placeholder_kind, read_block, read_connection, read_document, read_document_node,
    read_parameter, read_port, read_variable, read_workflow, to_extra, BLOCK_IDENTITY_KEYS,
    CONNECTION_IDENTITY_KEYS, PARAMETER_IDENTITY_KEYS, PORT_IDENTITY_KEYS,
};
pub use write::{document_value, write_document};
