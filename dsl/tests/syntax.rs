//! Data-driven tests of the parser and its syntax errors: each folder of `tests/syntax/` holds
//! `source.ab`, the expected `tree.txt` (indented S-expression) and `errors.txt` (rendered
//! diagnostics). Run with `BLESS=1` to rewrite the expected files.

use std::fmt::Write as _;
use std::path::Path;

use agentblocks_dsl::syntax::{self, line_col};
use agentblocks_dsl::Diagnostic;

/// Renders diagnostics in a stable plain-text form, one block per diagnostic.
fn render(text: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let _ = writeln!(
            out,
            "{}[{}]: {}",
            diagnostic.severity.as_str(),
            diagnostic.code,
            diagnostic.message
        );
        for (index, label) in diagnostic.labels.iter().enumerate() {
            let (line, column) = line_col(text, label.span.start);
            let (end_line, end_column) = line_col(text, label.span.end);
            let place = format!("{line}:{column}-{end_line}:{end_column}");
            let message = if label.message.is_empty() {
                String::new()
            } else {
                format!(": {}", label.message)
            };
            if index == 0 {
                let _ = writeln!(out, "  --> {place}{message}");
            } else {
                let _ = writeln!(out, "  = related {place}{message}");
            }
        }
        if let Some(help) = &diagnostic.help {
            let _ = writeln!(out, "  = help: {help}");
        }
    }
    out
}

fn check_file(path: &Path, actual: &str, bless: bool, failures: &mut Vec<String>) {
    let expected = std::fs::read_to_string(path).ok();
    if expected.as_deref() == Some(actual) {
        return;
    }
    if bless {
        std::fs::write(path, actual).expect("write expected output");
        return;
    }
    let expected = expected.unwrap_or_default();
    let mut diff = format!("--- {}\n", path.display());
    let expected_lines: Vec<&str> = expected.lines().collect();
    let actual_lines: Vec<&str> = actual.lines().collect();
    for index in 0..expected_lines.len().max(actual_lines.len()) {
        match (expected_lines.get(index), actual_lines.get(index)) {
            (Some(e), Some(a)) if e == a => {}
            (e, a) => {
                if let Some(e) = e {
                    let _ = writeln!(diff, "{:>4} - {e}", index + 1);
                }
                if let Some(a) = a {
                    let _ = writeln!(diff, "{:>4} + {a}", index + 1);
                }
            }
        }
    }
    failures.push(diff);
}

#[test]
fn syntax_cases() {
    let bless = std::env::var_os("BLESS").is_some();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/syntax");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/syntax exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("source.ab").is_file())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", root.display());
    let mut failures = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(case.join("source.ab")).expect("read source.ab");
        let tree = syntax::parse(&text);
        check_file(
            &case.join("tree.txt"),
            &tree.to_sexp(false),
            bless,
            &mut failures,
        );
        let errors = syntax::syntax_errors(&tree);
        check_file(
            &case.join("errors.txt"),
            &render(&text, &errors),
            bless,
            &mut failures,
        );
        // A case named `ok_*` must parse without errors; `err_*` must have some.
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("ok_") && !errors.is_empty() {
            failures.push(format!("{name}: expected no errors"));
        }
        if name.starts_with("err_") && errors.is_empty() {
            failures.push(format!("{name}: expected errors"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
