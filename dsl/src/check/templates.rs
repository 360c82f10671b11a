//! Hybrid template checks: every placeholder's parameter exists, every parameter is used, and
//! the template source's `{{name}}` and the placeholders agree.

use std::collections::{HashMap, HashSet};

use super::diagnostics as d;
use super::workflow::check_type;
use super::Scope;
use crate::catalog;
use crate::diagnostic::Diagnostic;
use crate::model::{Block, BlockKind, PlaceholderKind, Span, Str};
use crate::types::{is_identifier, value_fits};

/// The `{{name}}` references of a template source: `(name, byte offset of the first brace)`.
pub fn template_references(text: &str) -> Vec<(&str, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{") {
        let start = from + open;
        let Some(len) = text[start + 2..].find("}}") else {
            break;
        };
        let name = text[start + 2..start + 2 + len].trim();
        if is_identifier(name) {
            found.push((name, start));
        }
        from = start + 2 + len + 2;
    }
    found
}

/// The end of the `{{ name }}` reference that starts at `start` of `text` (after its `}}`).
fn template_reference_end(text: &str, start: usize) -> usize {
    text[start + 2..]
        .find("}}")
        .map_or(text.len(), |len| start + 2 + len + 2)
}

/// The template checks of a hybrid block.
pub(super) fn check(index: Scope, block: &Block, out: &mut Vec<Diagnostic>) {
    let BlockKind::Hybrid {
        template,
        parameters,
        ..
    } = &block.kind
    else {
        return;
    };
    let parameters = parameters.as_deref().unwrap_or_default();
    let mut by_name: HashMap<&str, Span> = HashMap::new();
    for param in parameters {
        if let Some(first) = by_name.get(param.name.value.as_str()) {
            out.push(d::duplicate_name("parameter", &param.name, *first));
            continue;
        }
        by_name.insert(&param.name.value, param.name.span);
        if !is_identifier(&param.name.value) {
            out.push(d::invalid_name("parameter", &param.name));
        }
        let Some(ty) = &param.ty else { continue };
        let Some(parsed) = check_type(&index, ty, out) else {
            continue;
        };
        for (what, value) in [("value", &param.value), ("default", &param.default)] {
            if let Some(value) = value {
                if !value_fits(&value.value, &parsed, &|name| index.named_type(name)) {
                    let label = format!("the {what} of parameter `{}`", param.name.value);
                    out.push(d::value_type(&label, &value.value, value.span, ty));
                }
            }
        }
    }
    let Some(template) = template else {
        // Without a template nothing can use the parameters; that is not worth a warning.
        return;
    };
    let mut used: HashSet<&str> = HashSet::new();
    let mut placeholders: HashMap<&str, Span> = HashMap::new();
    let param_names = || parameters.iter().map(|p| p.name.value.as_str());
    for placeholder in &template.placeholders {
        if let Some(first) = placeholders.get(placeholder.name.value.as_str()) {
            out.push(d::duplicate_name("placeholder", &placeholder.name, *first));
            continue;
        }
        placeholders.insert(&placeholder.name.value, placeholder.name.span);
        let param: Option<&Str> = match &placeholder.kind {
            PlaceholderKind::Simple(param) | PlaceholderKind::Expression(param) => Some(param),
            PlaceholderKind::Conditional { condition, .. } => Some(condition),
            PlaceholderKind::CodeBlock(language) => {
                if catalog::language(&language.value).is_none() {
                    let suggestion =
                        d::suggest(&language.value, catalog::languages().map(|l| l.name));
                    out.push(d::unknown_language(language, suggestion));
                }
                Some(&placeholder.name)
            }
            PlaceholderKind::Raw(_) => None,
        };
        if let Some(param) = param {
            used.insert(&param.value);
            if !by_name.contains_key(param.value.as_str()) {
                let suggestion = d::suggest(&param.value, param_names());
                out.push(d::placeholder_without_parameter(
                    &placeholder.name.value,
                    param,
                    suggestion,
                ));
            }
        }
    }
    for param in parameters {
        if !used.contains(param.name.value.as_str()) {
            out.push(d::unused_parameter(&param.name));
        }
    }
    let source = &template.source;
    let mut written: HashSet<&str> = HashSet::new();
    for (name, offset) in template_references(&source.value) {
        written.insert(name);
        if !placeholders.contains_key(name) {
            let end = template_reference_end(&source.value, offset);
            let span = source.span_of(offset, end).unwrap_or(source.span);
            out.push(d::unknown_placeholder(name, span));
        }
    }
    for placeholder in &template.placeholders {
        if !written.contains(placeholder.name.value.as_str()) {
            out.push(d::unused_placeholder(&placeholder.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::model::{Parameter, Placeholder, Template};

    fn param(b: &mut B, name: &str) -> Parameter {
        let name = b.s(name);
        Parameter {
            span: name.span,
            name,
            ty: None,
            value: None,
            default: None,
            description: None,
            extra: vec![],
        }
    }

    fn placeholder(
        b: &mut B,
        name: &str,
        kind: fn(Str) -> PlaceholderKind,
        param: &str,
    ) -> Placeholder {
        let name = b.s(name);
        let param = b.s(param);
        Placeholder {
            span: name.span,
            name,
            kind: kind(param),
        }
    }

    #[test]
    fn placeholders_and_parameters_must_agree() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let params = vec![
            param(&mut b, "func_name"),
            param(&mut b, "body"),
            param(&mut b, "spare"),
        ];
        let placeholders = vec![
            placeholder(&mut b, "func_name", PlaceholderKind::Simple, "func_nam"),
            placeholder(&mut b, "body", PlaceholderKind::CodeBlock, "python"),
            placeholder(&mut b, "unused", PlaceholderKind::Expression, "body"),
        ];
        let source = b.q("def {{func_name}}(): {{body}} {{missing}}");
        let template = Template {
            span: source.span,
            source: source.into(),
            placeholders,
        };
        let kind = BlockKind::Hybrid {
            base_language: b.s("python"),
            template: Some(template),
            parameters: Some(params),
            preview_code: None,
        };
        let block = b.block("make", kind, &[], &[("result", "Integer")]);
        doc.workflow.blocks.as_mut().unwrap().push(block);

        let without = with_code(&doc, "placeholder-without-parameter");
        assert_eq!(without.len(), 1);
        assert_eq!(
            without[0].message,
            "placeholder `func_name` uses the parameter `func_nam`, which is not declared"
        );
        assert_eq!(b.at(without[0].span()), "func_nam");
        assert_eq!(
            without[0].fix.as_ref().unwrap().edits[0].new_text,
            "func_name"
        );

        let unused = with_code(&doc, "unused-parameter");
        let names: Vec<_> = unused.iter().map(|d| b.at(d.span())).collect();
        assert_eq!(names, vec!["func_name", "spare"]);

        let unknown = with_code(&doc, "unknown-placeholder");
        assert_eq!(unknown.len(), 1);
        assert_eq!(b.at(unknown[0].span()), "{{missing}}");
        assert_eq!(with_code(&doc, "unused-placeholder").len(), 1);
    }

    /// The text at the `unknown-placeholder` of `text` (of file kind `kind`).
    fn unknown_at(kind: crate::convert::FileKind, text: &str) -> &str {
        let found = crate::convert::analyze(kind, text).diagnostics;
        let d = found
            .iter()
            .find(|d| d.code == "unknown-placeholder")
            .unwrap_or_else(|| panic!("{found:?}"));
        &text[d.span().start..d.span().end]
    }

    #[test]
    fn references_are_found_in_fenced_crlf_and_escaped_sources() {
        use crate::convert::FileKind;
        let dsl = "workflow \"w\" {\r\n  block make = template python \"Make\" {\r\n    \
                   template ```\r\n      a\r\n   \r\n        b {{ x }}\r\n      ```\r\n    \
                   out r: Integer\r\n  }\r\n}\r\n";
        assert_eq!(unknown_at(FileKind::Dsl, dsl), "{{ x }}");
        let quoted = "workflow \"w\" {\n  block make = template python \"Make\" {\n    \
                      template \"\\ud83d\\ude00\\n\\u00e9 {{x}}\"\n    out r: Integer\n  }\n}\n";
        assert_eq!(unknown_at(FileKind::Dsl, quoted), "{{x}}");
        let json = r#"{"format_version": "1.0", "workflow": {"name": "w", "blocks": {"make": {
            "type": "hybrid", "base_language": "python", "name": "Make",
            "template": {"source": "\ud83d\ude00\t\"q\" {{x}}", "placeholders": {}}}}}}"#;
        assert_eq!(unknown_at(FileKind::Json, json), "{{x}}");
    }

    #[test]
    fn template_references_are_found() {
        assert_eq!(
            template_references("a {{x}} {{ y }} {{1}} {{z"),
            vec![("x", 2), ("y", 8)]
        );
    }
}
