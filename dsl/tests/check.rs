//! One folder per check under `tests/check/`, named after the diagnostic code it shows
//! (`unknown-block-type`, or `unknown-block-type-2` for a second case).
//!
//! `source.ab` holds the mistake. The harness converts it to `source.agentblocks` (the same
//! workflow as JSON, written under `BLESS=1`), checks both, and compares the rendered
//! diagnostics with `expected.txt`. It asserts that the folder's code is reported, and that
//! both file kinds report the same diagnostics (codes, severities and messages), each at a
//! place in its own text.

use std::path::{Path, PathBuf};

use agentblocks_dsl::convert::{analyze, convert, FileKind};

mod common;
use common::{expect_file, render};

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
        let json = match convert(FileKind::Dsl, FileKind::Json, &dsl) {
            Ok(converted) => converted.text,
            Err(errors) => {
                failures.push(format!("{name}: source.ab does not convert: {errors:?}"));
                continue;
            }
        };
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(dir.join("source.agentblocks"), &json).unwrap();
        }
        let from_dsl = analyze(FileKind::Dsl, &dsl).diagnostics;
        let from_json = analyze(FileKind::Json, &json).diagnostics;
        if !from_dsl.iter().any(|d| d.code == code) {
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
        if summary(&from_dsl) != summary(&from_json) {
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
        let expected = format!(
            "{}\n{}",
            render("source.ab", &dsl, &from_dsl),
            render("source.agentblocks", &json, &from_json)
        );
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
