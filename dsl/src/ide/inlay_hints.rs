//! inlay_hints
