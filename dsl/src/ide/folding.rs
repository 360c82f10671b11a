//! Folding ranges: the workflow, blocks, sections, attribute lists, multi-line values, fenced
//! strings and runs of comment lines.

use crate::model::Span;

use super::Analysis;

/// What a fold holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    /// A run of comments.
    Comment,
    /// Anything else.
    Region,
}

/// A foldable range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    /// What it spans (from the opening line to the closing one).
    pub span: Span,
    /// Its kind.
    pub kind: FoldKind,
}

const FOLDABLE: &[&str] = &[
    "workflow_body",
    "block_body",
    "section_body",
    "attribute_list",
    "array",
    "object",
    "record_type",
    "fenced_string",
];

/// The folds of an `.ab` file (a JSON file folds by its model's blocks).
pub fn folding_ranges(analysis: &Analysis) -> Vec<Fold> {
    let index = analysis.line_index();
    let multi_line = |span: Span| index.line_of(span.start) < index.line_of(span.end);
    let mut out = Vec::new();
    let Some(tree) = analysis.tree() else {
        for block in analysis.blocks() {
            if multi_line(block.span) {
                out.push(Fold {
                    span: block.span,
                    kind: FoldKind::Region,
                });
            }
        }
        return out;
    };
    let mut cursor = tree.root().walk();
    let mut comment_run: Option<(Span, usize)> = None;
    let flush = |run: &mut Option<(Span, usize)>, out: &mut Vec<Fold>| {
        if let Some((span, count)) = run.take() {
            if count > 1 {
                out.push(Fold {
                    span,
                    kind: FoldKind::Comment,
                });
            }
        }
    };
    loop {
        let node = cursor.node();
        let span = Span::new(node.start_byte(), node.end_byte());
        if FOLDABLE.contains(&node.kind()) && multi_line(span) {
            out.push(Fold {
                span,
                kind: FoldKind::Region,
            });
        }
        if matches!(node.kind(), "comment" | "doc_comment") {
            match &mut comment_run {
                Some((run, count)) if index.line_of(span.start) == index.line_of(run.end) + 1 => {
                    run.end = span.end;
                    *count += 1;
                }
                _ => {
                    flush(&mut comment_run, &mut out);
                    comment_run = Some((span, 1));
                }
            }
        }
        if cursor.goto_first_child() || cursor.goto_next_sibling() {
            continue;
        }
        loop {
            if !cursor.goto_parent() {
                flush(&mut comment_run, &mut out);
                out.sort_by_key(|f| f.span.start);
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::FileKind;

    #[test]
    fn blocks_fences_and_comment_runs() {
        let analysis = Analysis::new(
            FileKind::Dsl,
            "// one\n// two\nworkflow {\n  block a = python {\n    code ```\n      x = 1\n      ```\n  }\n}\n",
        );
        let found: Vec<(usize, usize, FoldKind)> = folding_ranges(&analysis)
            .iter()
            .map(|f| {
                let i = analysis.line_index();
                (i.line_of(f.span.start), i.line_of(f.span.end), f.kind)
            })
            .collect();
        assert_eq!(
            found,
            vec![
                (0, 1, FoldKind::Comment),
                (2, 8, FoldKind::Region),
                (3, 7, FoldKind::Region),
                (4, 6, FoldKind::Region)
            ]
        );
    }
}
