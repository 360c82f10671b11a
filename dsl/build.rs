//! Builds nothing yet; the tree-sitter parser is compiled here once the grammar lands.
fn main() {}
