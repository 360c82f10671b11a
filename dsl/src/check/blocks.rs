//! Per-block checks of a block's kind and settings: unknown block types and languages, and a
//! visual block's properties against its catalogue definition (unknown, missing, wrong kind,
//! out of range, duplicated).

use std::collections::HashMap;

use serde_json::Value;

use super::diagnostics as d;
use super::workflow::{check_extras, check_output_format};
use crate::catalog::{self, BlockDef, PropertyDef, PropertyKind};
use crate::diagnostic::Diagnostic;
use crate::model::{Block, BlockKind, Property, Span, Str};
use crate::types::is_identifier;

const COMMON_KEYS: &[(&str, &str)] = &[
    ("type", "a block type string"),
    ("name", "a string"),
    ("description", "a string"),
    ("position", "an object {\"x\": number, \"y\": number}"),
    ("inputs", "an array of ports"),
    ("outputs", "an array of ports"),
];
const VISUAL_KEYS: &[(&str, &str)] = &[("block_type", "a string"), ("properties", "an object")];
const CODE_KEYS: &[(&str, &str)] = &[
    ("language", "a string"),
    ("source_code", "a string"),
    ("dependencies", "an array of strings"),
    (
        "error_handling",
        "\"Stop\", \"Continue\" or {\"Retry\": attempts}",
    ),
];
const HYBRID_KEYS: &[(&str, &str)] = &[
    ("base_language", "a string"),
    ("template", "an object with `source` and `placeholders`"),
    ("parameters", "an array of parameters"),
    ("preview_code", "a string"),
];
const AI_KEYS: &[(&str, &str)] = &[
    ("model_config", "an object with a `provider`"),
    ("system_prompt", "a string"),
    ("user_prompt_template", "a string"),
    ("output_format", "\"Text\" or \"Json\""),
];
const PLUGIN_KEYS: &[(&str, &str)] = &[
    ("plugin", "a string"),
    ("block_type", "a string"),
    ("properties", "an object"),
];
const MODEL_KEYS: &[(&str, &str)] = &[
    (
        "provider",
        "\"Anthropic\", \"OpenAI\" or {\"Local\": {\"endpoint\": url}}",
    ),
    ("model", "a string"),
    ("temperature", "a number"),
    ("max_tokens", "an integer"),
    ("timeout", "a number of seconds"),
];

fn known_language(language: &Str, out: &mut Vec<Diagnostic>) {
    if catalog::language(&language.value).is_none() {
        let suggestion = d::suggest(&language.value, catalog::languages().map(|l| l.name));
        out.push(d::unknown_language(language, suggestion));
    }
}

/// The per-block kind and property checks.
pub(super) fn check(block: &Block, out: &mut Vec<Diagnostic>) {
    if !is_identifier(&block.id.value) {
        out.push(d::invalid_name("block", &block.id));
    }
    check_extras(&block.extra, COMMON_KEYS, out);
    for problem in super::settings::block_problems(block) {
        out.push(d::invalid_setting(&problem));
    }
    match &block.kind {
        BlockKind::Visual {
            block_type,
            properties,
        } => {
            check_extras(&block.extra, VISUAL_KEYS, out);
            match catalog::lookup(&block_type.value) {
                Some(def) => {
                    check_properties(block, def, properties.as_deref().unwrap_or_default(), out)
                }
                None => {
                    let blocks = catalog::blocks().map(|def| def.name);
                    // A bare DSL kind may also have meant a code language keyword.
                    let bare =
                        block_type.span.end - block_type.span.start == block_type.value.len();
                    let languages = catalog::languages().map(|l| l.name).filter(|_| bare);
                    let suggestion = d::suggest(&block_type.value, blocks.chain(languages));
                    out.push(d::unknown_block_type(block_type, suggestion));
                }
            }
        }
        BlockKind::Code { language, .. } => {
            check_extras(&block.extra, CODE_KEYS, out);
            known_language(language, out);
        }
        BlockKind::Hybrid { base_language, .. } => {
            check_extras(&block.extra, HYBRID_KEYS, out);
            known_language(base_language, out);
        }
        BlockKind::Ai {
            model_config,
            output_format,
            ..
        } => {
            check_extras(&block.extra, AI_KEYS, out);
            if let Some(config) = model_config {
                check_extras(&config.extra, MODEL_KEYS, out);
            }
            check_output_format(output_format, out);
        }
        // Plugin blocks are checked once plugin manifests exist.
        BlockKind::Plugin { .. } => check_extras(&block.extra, PLUGIN_KEYS, out),
    }
}

fn check_properties(
    block: &Block,
    def: &BlockDef,
    properties: &[Property],
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for property in properties {
        if let Some(first) = seen.get(property.key.value.as_str()) {
            out.push(d::duplicate_property(&property.key, *first));
            continue;
        }
        seen.insert(&property.key.value, property.key.span);
        match def.property(&property.key.value) {
            Some(prop_def) => check_value(property, prop_def, out),
            None => {
                let suggestion = d::suggest(
                    &property.key.value,
                    def.properties
                        .iter()
                        .map(|p| p.name)
                        .filter(|name| !seen.contains_key(name)),
                );
                out.push(d::unknown_property(&property.key, def.name, suggestion));
            }
        }
    }
    let value_of = |name: &str| {
        properties
            .iter()
            .find(|p| p.key.value == name)
            .map(|p| &p.value.value)
    };
    for prop_def in &def.properties {
        if seen.contains_key(prop_def.name) {
            continue;
        }
        if prop_def.required {
            out.push(d::missing_property(
                &block.id,
                prop_def.name,
                &prop_def.kind.describe(),
                None,
            ));
        } else if let Some((other, values)) = prop_def.required_when {
            let other_value = value_of(other)
                .and_then(Value::as_str)
                .or_else(|| def.property(other)?.default.as_ref()?.as_str());
            if let Some(other_value) = other_value.filter(|v| values.contains(v)) {
                out.push(d::missing_property(
                    &block.id,
                    prop_def.name,
                    &prop_def.kind.describe(),
                    Some(format!("when `{other}` is \"{other_value}\"")),
                ));
            }
        }
    }
}

fn check_value(property: &Property, def: &PropertyDef, out: &mut Vec<Diagnostic>) {
    let value = &property.value.value;
    let span = property.value.span;
    let key = &property.key;
    let wrong = |expected: &str| d::property_type(key, span, expected, d::json_kind(value));
    let as_str = || Str::new(value.as_str().unwrap_or_default().to_string(), span);
    match &def.kind {
        PropertyKind::Text | PropertyKind::Directory => {
            if !value.is_string() {
                out.push(wrong("a string"));
            }
        }
        PropertyKind::Boolean => {
            if !value.is_boolean() {
                out.push(wrong("a boolean"));
            }
        }
        PropertyKind::Number { min, max } => match value.as_f64() {
            None => out.push(wrong("a number")),
            Some(n) => {
                if min.is_some_and(|min| n < min) || max.is_some_and(|max| n > max) {
                    out.push(d::property_range(
                        key,
                        span,
                        &value.to_string(),
                        &def.kind.describe(),
                    ));
                }
            }
        },
        PropertyKind::Integer { min, max } => match value.as_i64() {
            None if value.is_u64() => {
                if max.is_some() {
                    out.push(d::property_range(
                        key,
                        span,
                        &value.to_string(),
                        &def.kind.describe(),
                    ));
                }
            }
            None => out.push(wrong("an integer")),
            Some(n) => {
                if min.is_some_and(|min| n < min) || max.is_some_and(|max| n > max) {
                    out.push(d::property_range(
                        key,
                        span,
                        &value.to_string(),
                        &def.kind.describe(),
                    ));
                }
            }
        },
        PropertyKind::Range { min, max, step } => match value.as_f64() {
            None => out.push(wrong("a number")),
            Some(n) => {
                let steps = (n - min) / step;
                let on_grid = *step <= 0.0 || (steps - steps.round()).abs() < 1e-9;
                if n < *min || n > *max || !on_grid {
                    out.push(d::property_range(
                        key,
                        span,
                        &value.to_string(),
                        &def.kind.describe(),
                    ));
                }
            }
        },
        PropertyKind::Select { options } => match value.as_str() {
            None => out.push(wrong("a string")),
            Some(text) if !options.contains(&text) => {
                let suggestion = d::suggest(text, options.iter().copied());
                out.push(d::property_value(
                    key,
                    &as_str(),
                    &def.kind.describe(),
                    suggestion,
                ));
            }
            Some(_) => {}
        },
        PropertyKind::File { extensions } => match value.as_str() {
            None => out.push(wrong("a string")),
            Some(text)
                if !extensions.is_empty() && !extensions.iter().any(|e| text.ends_with(e)) =>
            {
                out.push(d::property_value(
                    key,
                    &as_str(),
                    &def.kind.describe(),
                    None,
                ));
            }
            Some(_) => {}
        },
        PropertyKind::Color => match value.as_str() {
            None => out.push(wrong("a string")),
            Some(text) if !is_color(text) => {
                out.push(d::property_value(
                    key,
                    &as_str(),
                    &def.kind.describe(),
                    None,
                ));
            }
            Some(_) => {}
        },
        PropertyKind::Date => match value.as_str() {
            None => out.push(wrong("a string")),
            Some(text) if !is_date(text) => {
                out.push(d::property_value(
                    key,
                    &as_str(),
                    &def.kind.describe(),
                    None,
                ));
            }
            Some(_) => {}
        },
        PropertyKind::TextList => {
            let ok = value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string));
            if !ok {
                out.push(wrong("a list of strings"));
            }
        }
        PropertyKind::TextMap => {
            let ok = value
                .as_object()
                .is_some_and(|members| members.values().all(Value::is_string));
            if !ok {
                out.push(wrong("an object of strings"));
            }
        }
    }
}

fn is_color(text: &str) -> bool {
    text.strip_prefix('#').is_some_and(|hex| {
        (hex.len() == 3 || hex.len() == 6) && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d]
        if y.len() == 4 && m.len() == 2 && d.len() == 2
            && [y, m, d].iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
            && matches!(m.parse::<u32>(), Ok(1..=12))
            && matches!(d.parse::<u32>(), Ok(1..=31)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_support::*;

    #[test]
    fn unknown_block_type_suggests_and_fixes() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let block = b.visual("x", "find_file", &[], &[], &[]);
        doc.workflow.blocks.as_mut().unwrap().push(block);
        let found = with_code(&doc, "unknown-block-type");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "unknown block type `find_file`");
        assert_eq!(b.at(found[0].span()), "find_file");
        assert_eq!(
            found[0].fix.as_ref().unwrap().edits[0].new_text,
            "find_files"
        );
    }

    #[test]
    fn properties_are_checked_against_the_catalogue() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let block = b.visual(
            "scan",
            "find_files",
            &[
                ("patern", json!(["*.md"])),
                ("recursive", json!("yes")),
                ("max_files", json!(0)),
            ],
            &[],
            &[],
        );
        doc.workflow.blocks.as_mut().unwrap().push(block);
        let unknown = with_code(&doc, "unknown-property");
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].message, "`find_files` has no property `patern`");
        assert_eq!(b.at(unknown[0].span()), "patern");
        assert_eq!(
            unknown[0].fix.as_ref().unwrap().edits[0].new_text,
            "patterns"
        );

        let missing = with_code(&doc, "missing-property");
        assert_eq!(missing.len(), 1);
        assert_eq!(
            missing[0].message,
            "block `scan` is missing the required property `directory`"
        );
        assert_eq!(b.at(missing[0].span()), "scan");

        let ty = with_code(&doc, "property-type");
        assert_eq!(ty.len(), 1);
        assert_eq!(
            ty[0].message,
            "property `recursive` must be a boolean, found a string"
        );
        assert_eq!(b.at(ty[0].span()), "\"yes\"");

        let range = with_code(&doc, "property-range");
        assert_eq!(range.len(), 1);
        assert_eq!(
            range[0].message,
            "property `max_files` is out of range: expected integer >= 1, found 0"
        );
    }

    #[test]
    fn select_values_and_conditional_requirements() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let http = b.visual(
            "get",
            "http_request",
            &[("url", json!("https://x")), ("method", json!("get"))],
            &[],
            &[],
        );
        let replace = b.visual(
            "t",
            "transform_text",
            &[("operation", json!("replace"))],
            &[],
            &[],
        );
        doc.workflow
            .blocks
            .as_mut()
            .unwrap()
            .extend([http, replace]);
        let value = with_code(&doc, "property-value");
        assert_eq!(value.len(), 1);
        assert_eq!(value[0].fix.as_ref().unwrap().edits[0].new_text, "\"GET\"");
        let missing = with_code(&doc, "missing-property");
        assert_eq!(missing.len(), 1);
        assert_eq!(
            missing[0].message,
            "block `t` is missing the property `find`, required when `operation` is \"replace\""
        );
    }

    #[test]
    fn unknown_language_is_reported() {
        let mut b = B::default();
        let mut doc = clean_pipeline(&mut b);
        let block = b.code("x", "pyton", &[], &[]);
        doc.workflow.blocks.as_mut().unwrap().push(block);
        let found = with_code(&doc, "unknown-language");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "unknown code language `pyton`");
        assert_eq!(found[0].fix.as_ref().unwrap().edits[0].new_text, "python");
    }
}
