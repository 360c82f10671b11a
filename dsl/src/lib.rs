//! The AgentBlocks workflow language: model, grammar, conversion to and from `.agentblocks`
//! JSON, and the formatter.
//!
//! Architecture invariant: this crate does no I/O and no async, and knows nothing of LSP. It
//! takes text and returns data (models, diagnostics, strings), so every editor feature built on
//! it is tested without a server. See `docs/architecture.md`.

#![warn(missing_docs)]

pub mod catalog;
pub mod check;
pub mod convert;
pub mod diagnostic;
pub mod ide;
pub mod json;
pub mod line_index;
pub mod model;
pub mod print;
pub mod syntax;
pub mod types;

pub use diagnostic::{Diagnostic, Severity};
pub use model::{Document, Span};
