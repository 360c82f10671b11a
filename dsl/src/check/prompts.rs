//! AI prompt checks: every `{name}` of a prompt is an input or a variable, and every input is
//! used by a prompt.

use std::collections::HashSet;

use super::diagnostics as d;
use super::Scope;
use crate::diagnostic::{Diagnostic, TextEdit};
use crate::model::{Block, BlockKind, MappedStr, Span};
use crate::types::is_identifier;

/// The `{name}` references of a prompt: `(name, byte offset of the name in the text)`. Text
/// in braces that is not an identifier (`{"json": 1}`) and doubled braces are not references.
pub fn prompt_references(text: &str) -> Vec<(&str, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            if bytes.get(i + 1) == Some(&b'{') {
                i += 2;
                continue;
            }
            if let Some(len) = text[i + 1..].find('}') {
                let name = &text[i + 1..i + 1 + len];
                if is_identifier(name) {
                    found.push((name, i + 1));
                    i += len + 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    found
}

/// Where the name at `offset` of a prompt was written, and whether that is exact (else the
/// whole prompt: a string read through `@key`, whose map is unknown).
fn span_in(prompt: &MappedStr, offset: usize, len: usize) -> (Span, bool) {
    match prompt.span_of(offset, offset + len) {
        Some(span) => (span, true),
        None => (prompt.span, false),
    }
}

/// The prompt checks of block number `block_idx` (AI blocks only).
pub(super) fn check(index: Scope, block: &Block, out: &mut Vec<Diagnostic>) {
    let BlockKind::Ai {
        system_prompt,
        user_prompt_template,
        ..
    } = &block.kind
    else {
        return;
    };
    let inputs = block.inputs.as_deref().unwrap_or_default();
    let mut used: HashSet<&str> = HashSet::new();
    for prompt in [system_prompt, user_prompt_template].into_iter().flatten() {
        for (name, offset) in prompt_references(&prompt.value) {
            used.insert(name);
            if inputs.iter().any(|p| p.name.value == name) || index.has_variable(name) {
                continue;
            }
            let (span, precise) = span_in(prompt, offset, name.len());
            let candidates = inputs
                .iter()
                .map(|p| p.name.value.as_str())
                .chain(index.variable_names());
            let fix = d::suggest(name, candidates).filter(|_| precise).map(|s| {
                (
                    s,
                    TextEdit {
                        span,
                        new_text: s.to_string(),
                    },
                )
            });
            out.push(d::unknown_prompt_name(name, span, fix));
        }
    }
    for input in inputs {
        if !used.contains(input.name.value.as_str()) {
            out.push(d::unused_prompt_input(&input.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn references_skip_json_and_doubled_braces() {
        let refs = prompt_references("a {name} {\"k\": 1} {{x}} {other}");
        assert_eq!(refs, vec![("name", 3), ("other", 25)]);
        assert!(prompt_references("{").is_empty());
    }

    #[test]
    fn prompt_names_must_be_inputs_or_variables() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let prompt = b.q("Write {functon_name} using {context} and {marker}");
        let kind = BlockKind::Ai {
            model_config: None,
            system_prompt: None,
            user_prompt_template: Some(prompt.into()),
            context_analysis: None,
            output_format: None,
            fallback_behavior: None,
        };
        let ai = b.block(
            "gen",
            kind,
            &[
                ("function_name", "String"),
                ("context", "String?"),
                ("extra", "String?"),
            ],
            &[],
        );
        doc.workflow.blocks.as_mut().unwrap().push(ai);
        doc.workflow
            .variables
            .as_mut()
            .unwrap()
            .push(b.var("function_name", Some("String"), None));
        let unknown = with_code(&doc, "unknown-prompt-name");
        assert_eq!(unknown.len(), 1);
        assert_eq!(
            unknown[0].message,
            "`{functon_name}` in the prompt is neither an input nor a variable"
        );
        assert_eq!(b.at(unknown[0].span()), "functon_name");
        assert_eq!(
            unknown[0].fix.as_ref().unwrap().edits[0].new_text,
            "function_name"
        );
        let unused = with_code(&doc, "unused-prompt-input");
        let names: Vec<_> = unused.iter().map(|d| b.at(d.span())).collect();
        assert_eq!(names, vec!["function_name", "extra"]);
    }

    /// Where `unknown-prompt-name` points in `text`.
    fn unknown_at(kind: crate::convert::FileKind, text: &str) -> Vec<&str> {
        crate::convert::analyze(kind, text)
            .diagnostics
            .iter()
            .filter(|d| d.code == "unknown-prompt-name")
            .map(|d| &text[d.span().start..d.span().end])
            .collect()
    }

    #[test]
    fn prompt_names_are_found_through_escapes_fences_and_at_keys() {
        use crate::convert::FileKind;
        let dsl = r#"workflow "w" {
  block ask = ai "Ask" {
    @system_prompt = "say \"hi\"\n{who}"
    prompt = ```
      line one

      then {what}
      ```
    out text: String
  }
}
"#;
        assert_eq!(unknown_at(FileKind::Dsl, dsl), vec!["who", "what"]);
        let json = crate::convert::convert(FileKind::Dsl, FileKind::Json, dsl)
            .unwrap()
            .text;
        assert_eq!(unknown_at(FileKind::Json, &json), vec!["who", "what"]);
    }
}
