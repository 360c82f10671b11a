//! Inlay hints: a connection's type when the text does not write it, and the variable an
//! unconnected input is bound to.

use super::resolve::ports;
use super::Analysis;

/// What a hint shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HintKind {
    /// A type.
    Type,
    /// A binding.
    Binding,
}

/// One inlay hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    /// Where it shows (a byte offset; the hint follows the text before it).
    pub offset: usize,
    /// The text.
    pub label: String,
    /// Its kind.
    pub kind: HintKind,
}

/// The hints of the file.
pub fn inlay_hints(analysis: &Analysis) -> Vec<InlayHint> {
    let mut out = Vec::new();
    let Some(index) = analysis.index() else {
        return out;
    };
    for connection in index.connections {
        let written = analysis.slice(connection.span);
        if written.contains("data_type") || !written.contains('.') || written.starts_with("connect")
        {
            continue;
        }
        let ty = index
            .block(&connection.source_block.value)
            .and_then(|(i, _)| index.ports(i))
            .and_then(|p| p.output(&connection.source_port.value))
            .and_then(|p| p.ty.as_ref());
        if let Some(ty) = ty {
            out.push(InlayHint {
                offset: connection.source_port.span.end,
                label: format!(": {}", ty.to_dsl()),
                kind: HintKind::Type,
            });
        }
    }
    for (block_idx, block) in index.blocks.iter().enumerate() {
        for port in ports(block, false) {
            let fed = index
                .incoming
                .get(&(block_idx, port.name.value.as_str()))
                .is_some_and(|c| !c.is_empty());
            if !fed && index.variables.contains_key(port.name.value.as_str()) {
                out.push(InlayHint {
                    offset: port.span.end,
                    label: format!("<- var {}", port.name.value),
                    kind: HintKind::Binding,
                });
            }
        }
    }
    out.sort_by_key(|h| h.offset);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::FileKind;

    #[test]
    fn connection_types_and_bindings() {
        let analysis = Analysis::new(
            FileKind::Dsl,
            "workflow {\n  var m: String = \"x\"\n  block a = python {\n    out x: List[Path]\n  }\n  block b = python {\n    in y: List[Path] <- a.x\n    in m: String\n  }\n}\n",
        );
        let found: Vec<String> = inlay_hints(&analysis)
            .iter()
            .map(|h| format!("{}|{}", &analysis.text()[h.offset - 3..h.offset], h.label))
            .collect();
        assert_eq!(found, vec!["a.x|: List[Path]", "ing|<- var m"]);
    }
}
