//! Go to definition: from a use of a block, port, variable or type to its declaration.

use crate::model::Span;

use super::resolve::{references, symbol_at, Symbol};
use super::Analysis;

/// The declarations of the symbol at `offset` (a port that a visual block does not declare
/// leads to its block's header).
pub fn goto_definition(analysis: &Analysis, offset: usize) -> Vec<Span> {
    let Some((symbol, _)) = symbol_at(analysis, offset) else {
        return Vec::new();
    };
    let declarations: Vec<Span> = references(analysis, &symbol)
        .into_iter()
        .filter(|r| r.is_definition)
        .map(|r| r.span)
        .collect();
    if !declarations.is_empty() {
        return declarations;
    }
    match &symbol {
        Symbol::Port { block, .. } => analysis
            .block(block)
            .map(|b| vec![b.id.span])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;

    fn check(src: &str, expected: &str) {
        let (analysis, offset) = analysis(src);
        let found: Vec<String> = goto_definition(&analysis, offset)
            .into_iter()
            .map(|span| {
                let (line, column) = analysis.line_index().line_col(analysis.text(), span.start);
                format!("{line}:{column} {}", analysis.slice(span))
            })
            .collect();
        assert_eq!(found.join("\n"), expected);
    }

    const SRC: &str = "workflow {\n  var limit: Integer = 3\n  block a = python {\n    out x: String\n  }\n  block b = python {\n    in y: String <- a.x\n  }\n}\n";

    #[test]
    fn source_block_and_port() {
        check(&SRC.replace("<- a.x", "<- $0a.x"), "3:9 a");
        check(&SRC.replace("<- a.x", "<- a.x$0"), "4:9 x");
    }

    #[test]
    fn nothing_on_a_keyword() {
        check(&SRC.replace("workflow", "work$0flow"), "");
    }
}
