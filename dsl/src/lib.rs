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

/// The deepest nesting either reader accepts, so that deep input is a diagnostic, never a stack
/// overflow. The JSON reader counts arrays and objects from the file's outermost object; the DSL
/// lowering counts a value's arrays and objects the same way, as they will sit in the JSON (a
/// workflow `@key`'s value starts inside two objects), so a value it accepts converts to JSON
/// the JSON reader accepts. Types (a type string, or a type written in the DSL) may nest
/// `[...]`, `{...}` and `?` this many levels. Every walk over a value or type of the model
/// recurses at most this deep; walks over the syntax tree are iterative.
pub const MAX_NESTING: usize = 256;
pub use model::{Document, Span};
