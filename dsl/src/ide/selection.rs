//! Selection ranges: from the token at the cursor out through its syntax ancestors.

use crate::model::Span;

use super::Analysis;

/// The ranges to grow a selection through at `offset`, smallest first (no duplicates).
pub fn selection_ranges(analysis: &Analysis, offset: usize) -> Vec<Span> {
    let Some(tree) = analysis.tree() else {
        return analysis
            .blocks()
            .iter()
            .filter(|b| b.span.start <= offset && offset <= b.span.end)
            .map(|b| b.span)
            .collect();
    };
    let offset = offset.min(analysis.text().len());
    let mut out: Vec<Span> = Vec::new();
    let mut node = tree.root().descendant_for_byte_range(offset, offset);
    // At the end of a name (`x|:`), the name is what the cursor is on.
    if offset > 0 && node.is_some_and(|n| !n.is_named() && n.start_byte() == offset) {
        node = tree
            .root()
            .descendant_for_byte_range(offset - 1, offset - 1);
    }
    let Some(target) = node else {
        return out;
    };
    // The ancestors from the root down (`parent()` searches from the root each time, which
    // would make a deeply nested file quadratic), then smallest first.
    let mut chain = vec![tree.root()];
    let mut current = tree.root();
    while current != target {
        let Some(child) = current.child_with_descendant(target) else {
            break;
        };
        chain.push(child);
        current = child;
    }
    for current in chain.iter().rev() {
        let span = Span::new(current.start_byte(), current.end_byte());
        if out.last() != Some(&span) {
            out.push(span);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;

    #[test]
    fn grows_from_a_name_to_the_file() {
        let (analysis, offset) =
            analysis("workflow {\n  block a = python {\n    out x$0: String\n  }\n}\n");
        let found: Vec<&str> = selection_ranges(&analysis, offset)
            .iter()
            .map(|s| analysis.slice(*s))
            .collect();
        assert_eq!(found[0], "x");
        assert_eq!(found[1], "out x: String");
        assert!(found.last().is_some_and(|s| s.starts_with("workflow")));
    }
}
