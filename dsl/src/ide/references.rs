//! Find references: every place that names the symbol at the cursor.

pub use super::resolve::Reference;
use super::resolve::{references, symbol_at};
use super::Analysis;

/// The references of the symbol at `offset`; declarations only when `include_declaration`.
pub fn find_references(
    analysis: &Analysis,
    offset: usize,
    include_declaration: bool,
) -> Vec<Reference> {
    let Some((symbol, _)) = symbol_at(analysis, offset) else {
        return Vec::new();
    };
    references(analysis, &symbol)
        .into_iter()
        .filter(|r| include_declaration || !r.is_definition)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;

    #[test]
    fn a_block_used_by_two_connections() {
        let (analysis, offset) = analysis(
            "workflow {\n  block a$0 = python {\n    out x: String\n  }\n  block b = python {\n    in y: String <- a.x\n    in z: String <- a.x\n  }\n}\n",
        );
        let found: Vec<(usize, bool)> = find_references(&analysis, offset, true)
            .iter()
            .map(|r| {
                (
                    analysis.line_index().line_of(r.span.start) + 1,
                    r.is_definition,
                )
            })
            .collect();
        assert_eq!(found, vec![(2, true), (6, false), (7, false)]);
        assert_eq!(find_references(&analysis, offset, false).len(), 2);
    }
}
