//! Template expansion for hybrid blocks: `{{name}}` placeholders in `template.source` replaced
//! as format.md defines, giving code in the block's base language.
//!
//! - `Simple(param)`: the parameter's value as plain text (strings as they are, other values as
//!   JSON, `null` as nothing).
//! - `Expression(param)`: the value as a literal of the base language ([`literal`]).
//! - `CodeBlock(language)`: the parameter named like the placeholder, holding code, dedented and
//!   re-indented so every line after the first starts at the placeholder's column.
//! - `Conditional{condition, if_true, if_false}`: `if_true` when the parameter `condition` is
//!   truthy (not `null`, `false`, `0`, `""`, `[]` or `{}`), else `if_false`.
//!
//! A parameter's `value` falls back to its `default`. Only `{{identifier}}` (spaces allowed
//! inside the braces) is a placeholder; other text with braces is left as it is.

use agentblocks_dsl::model::{Parameter, PlaceholderKind, Template};
use agentblocks_dsl::types::is_identifier;
use serde_json::Value as Json;

/// Expands `template` with `parameters` into code in `base_language`.
///
/// Errors name the placeholder or parameter at fault: a `{{name}}` with no entry in
/// `placeholders`, a placeholder whose parameter is not declared or has neither a value nor a
/// default, a `CodeBlock` parameter that is not a string, an unknown placeholder kind.
pub fn expand_template(
    template: &Template,
    parameters: &[Parameter],
    base_language: &str,
) -> Result<String, String> {
    expand_template_mapped(template, parameters, base_language).map(|expansion| expansion.code)
}

/// Expanded code and where each of its lines came from in the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    /// The code in the base language.
    pub code: String,
    /// For line `i + 1` of `code`, the 1-based line of the template source that produced it:
    /// the line itself for template text, the placeholder's line for every line a placeholder
    /// expanded to. One entry per line of `code`.
    pub lines: Vec<u32>,
}

/// [`expand_template`], also keeping the line map (see [`Expansion::lines`]), so that errors in
/// the expanded code can point at the template text the user wrote.
pub fn expand_template_mapped(
    template: &Template,
    parameters: &[Parameter],
    base_language: &str,
) -> Result<Expansion, String> {
    let source = template.source.value.as_str();
    let mut out = String::with_capacity(source.len());
    let mut lines = vec![1];
    let mut template_line = 1u32;
    // Template text: every newline starts the next template line.
    let copy = |out: &mut String, lines: &mut Vec<u32>, line: &mut u32, text: &str| {
        for (i, piece) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
                *line += 1;
                lines.push(*line);
            }
            out.push_str(piece);
        }
    };
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            break;
        };
        let name = after[..close].trim();
        if !is_identifier(name) {
            copy(&mut out, &mut lines, &mut template_line, &rest[..open + 2]);
            rest = after;
            continue;
        }
        copy(&mut out, &mut lines, &mut template_line, &rest[..open]);
        let column_prefix = match out.rfind('\n') {
            Some(newline) => &out[newline + 1..],
            None => &out[..],
        };
        let indent: String = if column_prefix.chars().all(char::is_whitespace) {
            column_prefix.to_string()
        } else {
            " ".repeat(column_prefix.chars().count())
        };
        let expansion = expand_one(template, parameters, base_language, name, &indent)?;
        // Every line the placeholder expands to is the placeholder's line.
        let placeholder_line = template_line;
        for (i, piece) in expansion.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
                lines.push(placeholder_line);
            }
            out.push_str(piece);
        }
        // `{{ name }}` may hold newlines between the braces.
        template_line += after[..close].matches('\n').count() as u32;
        rest = &after[close + 2..];
    }
    copy(&mut out, &mut lines, &mut template_line, rest);
    Ok(Expansion { code: out, lines })
}

fn expand_one(
    template: &Template,
    parameters: &[Parameter],
    base_language: &str,
    name: &str,
    indent: &str,
) -> Result<String, String> {
    let placeholder = template
        .placeholders
        .iter()
        .find(|placeholder| placeholder.name.value == name)
        .ok_or_else(|| {
            format!("the template uses `{{{{{name}}}}}` but `placeholders` has no entry `{name}`")
        })?;
    match &placeholder.kind {
        PlaceholderKind::Simple(param) => {
            let value = parameter_value(parameters, &param.value, name)?;
            Ok(plain_text(&value))
        }
        PlaceholderKind::Expression(param) => {
            let value = parameter_value(parameters, &param.value, name)?;
            Ok(literal(&value, base_language))
        }
        PlaceholderKind::CodeBlock(_language) => {
            let value = parameter_value(parameters, name, name)?;
            let Json::String(code) = value else {
                return Err(format!(
                    "code block placeholder `{name}` needs a string parameter `{name}` holding \
                     code, found {value}"
                ));
            };
            Ok(reindent(&code, indent))
        }
        PlaceholderKind::Conditional {
            condition,
            if_true,
            if_false,
        } => {
            let value = parameter_value(parameters, &condition.value, name)?;
            Ok(if truthy(&value) {
                if_true.value.clone()
            } else {
                if_false.value.clone()
            })
        }
        PlaceholderKind::Raw(json) => Err(format!(
            "placeholder `{name}` has a kind this version cannot expand: {}",
            json.value
        )),
    }
}

/// The value of parameter `param` (its `value`, else its `default`).
fn parameter_value(
    parameters: &[Parameter],
    param: &str,
    placeholder: &str,
) -> Result<Json, String> {
    let parameter = parameters
        .iter()
        .find(|parameter| parameter.name.value == param)
        .ok_or_else(|| {
            format!("placeholder `{placeholder}` uses parameter `{param}`, which is not declared")
        })?;
    parameter
        .value
        .as_ref()
        .or(parameter.default.as_ref())
        .map(|value| value.value.clone())
        .ok_or_else(|| format!("parameter `{param}` has neither a value nor a default"))
}

fn plain_text(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Python-like truthiness of a JSON value.
pub fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Json::String(text) => !text.is_empty(),
        Json::Array(items) => !items.is_empty(),
        Json::Object(map) => !map.is_empty(),
    }
}

/// Dedents `code`, drops its trailing newlines, and indents every line after the first with
/// `indent` (blank lines stay empty).
fn reindent(code: &str, indent: &str) -> String {
    let code = code.trim_end_matches(['\n', '\r']);
    let lines: Vec<&str> = code.lines().collect();
    let common = lines
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(code.len() + lines.len() * indent.len());
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.trim().is_empty() {
            continue;
        }
        if i > 0 {
            out.push_str(indent);
        }
        out.push_str(line.get(common..).unwrap_or(line));
    }
    out
}

/// `value` as a literal of `language`: Python (`repr`-like: `'text'`, `True`, `None`, lists,
/// dicts), JavaScript (JSON), shell (single-quoted words) or SQL (`'text'`, `NULL`, `TRUE`).
/// Other languages get JSON.
pub fn literal(value: &Json, language: &str) -> String {
    match language {
        "python" => python_literal(value),
        "shell" => match value {
            Json::Null => "''".into(),
            Json::Bool(_) | Json::Number(_) => value.to_string(),
            Json::String(text) => shell_quote(text),
            other => shell_quote(&other.to_string()),
        },
        "sql" => match value {
            Json::Null => "NULL".into(),
            Json::Bool(true) => "TRUE".into(),
            Json::Bool(false) => "FALSE".into(),
            Json::Number(n) => n.to_string(),
            Json::String(text) => sql_quote(text),
            other => sql_quote(&other.to_string()),
        },
        _ => value.to_string(),
    }
}

fn python_literal(value: &Json) -> String {
    match value {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.is_finite() => format!("{f:?}"),
            _ => n.to_string(),
        },
        Json::String(text) => python_quote(text),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(python_literal).collect();
            format!("[{}]", items.join(", "))
        }
        Json::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, item)| format!("{}: {}", python_quote(key), python_literal(item)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

fn python_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn sql_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentblocks_dsl::convert::{analyze, FileKind};
    use agentblocks_dsl::model::BlockKind;

    fn expand(text: &str) -> Expansion {
        let doc = analyze(FileKind::Dsl, text).document.unwrap();
        let block = doc.workflow.blocks.iter().flatten().next().unwrap();
        let BlockKind::Hybrid {
            template: Some(template),
            parameters,
            base_language,
            ..
        } = &block.kind
        else {
            panic!("not a template");
        };
        let expansion = expand_template_mapped(
            template,
            parameters.as_deref().unwrap_or(&[]),
            &base_language.value,
        )
        .unwrap();
        assert_eq!(
            expansion.code,
            expand_template(
                template,
                parameters.as_deref().unwrap_or(&[]),
                &base_language.value
            )
            .unwrap()
        );
        expansion
    }

    #[test]
    fn every_expanded_line_maps_to_the_template_line_it_came_from() {
        let expansion = expand(
            r#"workflow "W" {
  block t = template python "T" {
    param body: String = "a = 1\n  b = 2\n\nc = 3\n"
    param n: Integer = 4
    placeholder body = code_block(python)
    placeholder n = expression(n)
    template ```
      def f():
          {{body}}
          return {{n}}
      x = "{{not a placeholder}}"
      ```
  }
}
"#,
        );
        assert_eq!(
            expansion.code,
            "def f():\n    a = 1\n      b = 2\n\n    c = 3\n    return 4\nx = \"{{not a placeholder}}\""
        );
        assert_eq!(expansion.lines, [1, 2, 2, 2, 2, 3, 4]);
        assert_eq!(expansion.lines.len(), expansion.code.lines().count());
    }
}
