//! semantic_tokens
