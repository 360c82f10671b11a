//! Document highlights: the other places in the file that name the symbol at the cursor.

use super::resolve::{references, symbol_at, Reference};
use super::Analysis;

/// The places to highlight for the symbol at `offset` (declarations marked as writes).
pub fn document_highlights(analysis: &Analysis, offset: usize) -> Vec<Reference> {
    match symbol_at(analysis, offset) {
        Some((symbol, _)) => references(analysis, &symbol),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;

    #[test]
    fn a_port_and_its_connection() {
        let (analysis, offset) = analysis(
            "workflow {\n  block a = python {\n    out x$0: String\n  }\n  block b = python {\n    in y: String <- a.x\n  }\n}\n",
        );
        let found: Vec<&str> = document_highlights(&analysis, offset)
            .iter()
            .map(|r| analysis.slice(r.span))
            .collect();
        assert_eq!(found, vec!["x", "x"]);
    }
}
