//! The AgentBlocks engine: the typed values that flow between blocks and the executors that run
//! a block's code (Python, JavaScript, shell, SQL, and templates expanded into one of them).
//!
//! Architecture invariant: this crate depends on the `dsl` model and types, never on its syntax
//! tree.

#![warn(missing_docs)]

pub mod executors;
pub mod value;
