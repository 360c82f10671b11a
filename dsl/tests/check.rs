//! One folder per check under `tests/check/`, named after the diagnostic code it shows
//! (`unknown-block-type`, or `unknown-block-type-2` for a second case).
//!
//! `source.ab` holds the mistake. The harness converts it to `source.agentblocks` (the same
//! workflow as JSON, written under `BLESS=1`), checks both, and compares the rendered
//! diagnostics with `expected.txt`. It asserts that the folder's code is reported, and that
//! both file kinds report the same diagnostics (codes, severities and messages), each at a
//! place in its own text.
//!
//! Each machine-applicable fix is listed after the rendered diagnostics, and applied: the
//! fixed text must still read without errors, and the diagnostic must be gone.
//!
//! Ids that are JSON object keys (blocks, named types, variables) cannot be duplicated in a
//! converted JSON file: the cases of [`JSON_KEYED`] keep a hand-written `source.agentblocks`
//! with the key written twice, where the JSON reader reports `duplicate-key` instead.
//!
//! A folder whose name starts with `clean-` (`clean-variable-feeds-input`) holds a correct
//! workflow that looks like a mistake: both file kinds must report nothing at all.

use std::path::{Path, PathBuf};

use agentblocks_dsl::convert::{analyze, convert, read, FileKind};
use agentblocks_dsl::Diagnostic;

mod common;
use common::{expect_file, render};

/// The duplicate ids that JSON holds as object keys: in JSON they are `duplicate-key`.
const JSON_KEYED: &[&str] = &["duplicate-block", "duplicate-type", "duplicate-variable"];

#[test]
fn every_check_fires_in_both_file_kinds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        let dsl = std::fs::read_to_string(dir.join("source.ab")).unwrap();
        let json_keyed = JSON_KEYED.contains(&code);
        let json = if json_keyed {
            std::fs::read_to_string(dir.join("source.agentblocks")).unwrap()
        } else {
            match convert(FileKind::Dsl, FileKind::Json, &dsl) {
                Ok(converted) => converted.text,
                Err(errors) => {
                    failures.push(format!("{name}: source.ab does not convert: {errors:?}"));
                    continue;
                }
            }
        };
        if std::env::var_os("BLESS").is_some() && !json_keyed {
            std::fs::write(dir.join("source.agentblocks"), &json).unwrap();
        }
        let from_dsl = analyze(FileKind::Dsl, &dsl).diagnostics;
        let from_json = analyze(FileKind::Json, &json).diagnostics;
        if name.starts_with("clean-") {
            for (kind, found) in [("source.ab", &from_dsl), ("source.agentblocks", &from_json)] {
                if !found.is_empty() {
                    failures.push(format!(
                        "{name}: a clean case reports diagnostics on {kind}:\n{}",
                        render(kind, if kind == "source.ab" { &dsl } else { &json }, found)
                    ));
                }
            }
        } else if !from_dsl.iter().any(|d| d.code == code) {
            failures.push(format!("{name}: `{code}` is not reported on source.ab"));
        }
        let summary = |list: &[agentblocks_dsl::Diagnostic]| {
            let mut items: Vec<String> = list
                .iter()
                .map(|d| format!("{}[{}]: {}", d.severity.as_str(), d.code, d.message))
                .collect();
            items.sort();
            items
        };
        if json_keyed {
            if !from_json.iter().any(|d| d.code == "duplicate-key") {
                failures.push(format!(
                    "{name}: `duplicate-key` is not reported on source.agentblocks"
                ));
            }
        } else if summary(&from_dsl) != summary(&from_json) {
            failures.push(format!(
                "{name}: the two file kinds disagree\n  .ab:          {:?}\n  .agentblocks: {:?}",
                summary(&from_dsl),
                summary(&from_json)
            ));
        }
        for d in &from_json {
            for label in &d.labels {
                if label.span.end > json.len() || label.span == Default::default() {
                    failures.push(format!(
                        "{name}: `{}` has no place in the JSON text",
                        d.code
                    ));
                }
            }
        }
        let mut expected = String::new();
        for (kind, path, text, found) in [
            (FileKind::Dsl, "source.ab", &dsl, &from_dsl),
            (FileKind::Json, "source.agentblocks", &json, &from_json),
        ] {
            if !expected.is_empty() {
                expected.push('\n');
            }
            expected.push_str(&render(path, text, found));
            expected.push_str(&fixes(&name, kind, path, text, found, &mut failures));
        }
        expect_file(dir, "expected.txt", &expected, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} check cases failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

/// The 1-based line and column of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Lists the fixes of `found` (one line each: where, title, the replaced text and the new
/// one), and checks each: once applied, the text reads without errors and the diagnostic is
/// gone.
fn fixes(
    case: &str,
    kind: FileKind,
    path: &str,
    text: &str,
    found: &[Diagnostic],
    failures: &mut Vec<String>,
) -> String {
    let mut listed = String::new();
    for diagnostic in found {
        let Some(fix) = &diagnostic.fix else { continue };
        let mut fixed = text.to_string();
        let mut edits: Vec<_> = fix.edits.iter().collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        for edit in &edits {
            let (line, column) = line_col(text, edit.span.start);
            listed.push_str(&format!(
                "fix[{}] {path}:{line}:{column}: {}: {:?} -> {:?}\n",
                diagnostic.code,
                fix.title,
                &text[edit.span.start..edit.span.end],
                edit.new_text
            ));
            fixed.replace_range(edit.span.start..edit.span.end, &edit.new_text);
        }
        let errors: Vec<String> = read(kind, &fixed)
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect();
        if !errors.is_empty() {
            failures.push(format!(
                "{case}: the fix `{}` breaks {path}: {errors:?}\n{fixed}",
                fix.title
            ));
            continue;
        }
        // Gone from its line: the same message elsewhere is another place's problem (a JSON
        // connection's `data_type` spelling the type the fix corrected on the port).
        let line = line_col(text, diagnostic.span().start).0;
        let still = analyze(kind, &fixed).diagnostics.iter().any(|d| {
            d.code == diagnostic.code
                && d.message == diagnostic.message
                && line_col(&fixed, d.span().start).0 == line
        });
        if still {
            failures.push(format!(
                "{case}: after the fix `{}`, {path} still reports `{}`\n{fixed}",
                fix.title, diagnostic.message
            ));
        }
    }
    listed
}
