//! Every example converts both ways: `.ab` -> JSON equals its committed `.agentblocks` twin
//! byte for byte, the twin converts back to the `.ab` (comments aside), and both are in
//! canonical form. `BLESS=1` rewrites the twins.

use std::path::{Path, PathBuf};

use agentblocks_dsl::convert::{convert, format, FileKind};

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ab"))
        .collect();
    files.sort();
    files
}

#[test]
fn examples_round_trip_through_their_json_twins() {
    let examples = examples();
    assert!(examples.len() >= 4);
    for path in examples {
        let name = path.display();
        let dsl = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            format(FileKind::Dsl, &dsl).unwrap(),
            dsl,
            "{name} is not formatted"
        );
        let json = convert(FileKind::Dsl, FileKind::Json, &dsl).unwrap().text;
        let twin_path = path.with_extension("agentblocks");
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&twin_path, &json).unwrap();
        }
        let twin = std::fs::read_to_string(&twin_path)
            .unwrap_or_else(|_| panic!("{} is missing; run with BLESS=1", twin_path.display()));
        assert_eq!(json, twin, "{name} -> JSON differs from its twin");
        assert_eq!(
            format(FileKind::Json, &twin).unwrap(),
            twin,
            "{name}'s twin is not canonical"
        );
        let back = convert(FileKind::Json, FileKind::Dsl, &twin).unwrap().text;
        assert_eq!(back, without_comments(&dsl), "{name}: JSON -> DSL differs");
    }
}

/// The text with plain `//` comments removed, as JSON -> DSL prints it. Examples keep their
/// comments on lines of their own or after code outside strings, so a line-based cut is
/// enough here.
fn without_comments(dsl: &str) -> String {
    let mut out = String::new();
    for line in dsl.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") && !trimmed.starts_with("///") {
            continue;
        }
        match line.find(" // ") {
            Some(at) if !line[..at].contains('"') || line[..at].matches('"').count() % 2 == 0 => {
                out.push_str(line[..at].trim_end());
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}
