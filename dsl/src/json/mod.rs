//! The `.agentblocks` JSON side: a position-keeping JSON parser, the reader into the model and
//! the canonical writer.

pub mod node;
pub mod parse;

pub use node::{JsonKind, JsonNode, Member};
pub use parse::parse;
