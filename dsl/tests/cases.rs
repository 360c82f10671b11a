//! Data-driven cases, one folder each under `tests/cases/`, expected output checked in.
//!
//! Every readable source also gets `check.txt`: what `agentblocks check` reports on it.
//!
//! - `source.ab`: `formatted.ab` (what `fmt` prints) and `converted.agentblocks` (DSL -> JSON),
//!   or, when the source has errors, `errors.txt` (the diagnostics rendered as `check` shows
//!   them).
//! - `source.agentblocks`: `converted.ab` (JSON -> DSL) and `back.agentblocks` (JSON -> DSL ->
//!   JSON); the test also asserts that `back` is the same JSON value as the source, and the same
//!   bytes for cases named `canonical-*`. Or `errors.txt` when the file is not well-formed.
//!
//! Run with `BLESS=1` to write the expected files from what the code does now; review the diff.

use std::path::{Path, PathBuf};

use agentblocks_dsl::convert::{analyze, convert, format, read, FileKind};

mod common;
use common::{expect_file, render};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn remove_stale(dir: &Path, keep: &[&str]) {
    if std::env::var_os("BLESS").is_none() {
        return;
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.starts_with("source.") && !keep.contains(&name.as_str()) {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
    }
}

fn run_case(dir: &Path, failures: &mut Vec<String>) {
    let dsl_source = dir.join("source.ab");
    let json_source = dir.join("source.agentblocks");
    let (kind, path) = if dsl_source.exists() {
        (FileKind::Dsl, dsl_source)
    } else if json_source.exists() {
        (FileKind::Json, json_source)
    } else {
        failures.push(format!(
            "{}: no source.ab or source.agentblocks",
            dir.display()
        ));
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let shown = path.file_name().unwrap().to_string_lossy().into_owned();
    let analysis = read(kind, &text);
    if analysis.has_errors() {
        remove_stale(dir, &["errors.txt"]);
        expect_file(
            dir,
            "errors.txt",
            &render(&shown, &text, &analysis.diagnostics),
            failures,
        );
        return;
    }
    // What the checker says, beside the conversions (empty when the workflow is clean).
    let checked = analyze(kind, &text);
    expect_file(
        dir,
        "check.txt",
        &render(&shown, &text, &checked.diagnostics),
        failures,
    );
    match kind {
        FileKind::Dsl => {
            remove_stale(dir, &["formatted.ab", "converted.agentblocks", "check.txt"]);
            let formatted = format(FileKind::Dsl, &text).unwrap();
            assert_eq!(
                format(FileKind::Dsl, &formatted).unwrap(),
                formatted,
                "{}: fmt is not idempotent",
                dir.display()
            );
            expect_file(dir, "formatted.ab", &formatted, failures);
            let json = convert(FileKind::Dsl, FileKind::Json, &text).unwrap().text;
            expect_file(dir, "converted.agentblocks", &json, failures);
        }
        FileKind::Json => {
            remove_stale(dir, &["converted.ab", "back.agentblocks", "check.txt"]);
            let dsl = convert(FileKind::Json, FileKind::Dsl, &text).unwrap().text;
            expect_file(dir, "converted.ab", &dsl, failures);
            let back = convert(FileKind::Dsl, FileKind::Json, &dsl)
                .unwrap_or_else(|d| {
                    panic!("{}: the DSL does not convert back: {d:?}", dir.display())
                })
                .text;
            expect_file(dir, "back.agentblocks", &back, failures);
            let source_value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let back_value: serde_json::Value = serde_json::from_str(&back).unwrap();
            if source_value != back_value {
                failures.push(format!(
                    "{}: JSON -> DSL -> JSON is not the same value",
                    dir.display()
                ));
            }
            let canonical = dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("canonical");
            if canonical && back != text {
                failures.push(format!(
                    "{}: a canonical file did not come back byte for byte",
                    dir.display()
                ));
            }
        }
    }
}

#[test]
fn cases() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    let mut failures = Vec::new();
    for dir in &dirs {
        run_case(dir, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
