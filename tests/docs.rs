//! The language reference's examples are real: every ```ab example in `docs/language.md`
//! without `...` elisions reads without errors (fragments in a workflow or block).

use agentblocks_dsl::convert::{read, FileKind};

#[test]
fn language_reference_examples_parse() {
    let reference =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md")).unwrap();
    let mut examples = Vec::new();
    let mut current: Option<String> = None;
    for line in reference.lines() {
        match &mut current {
            // Examples open and close at the margin; fenced strings inside are indented.
            None if line == "```ab" => current = Some(String::new()),
            Some(text) if line == "```" => {
                examples.push(std::mem::take(text));
                current = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    // Fragments are read in context: blocks inside a workflow, ports inside a block.
    let complete: Vec<String> = examples
        .iter()
        .filter(|e| !e.contains("..."))
        .map(|e| {
            let first = e
                .lines()
                .find(|l| !l.trim_start().starts_with("//"))
                .unwrap_or("");
            let word = first.split_whitespace().next().unwrap_or("");
            let in_block = [
                "in",
                "out",
                "optional",
                "required",
                "param",
                "placeholder",
                "code",
            ];
            if e.contains("workflow") {
                e.clone()
            } else if in_block.contains(&word) {
                format!("workflow \"W\" {{\nblock b = python {{\n{e}}}\n}}\n")
            } else {
                format!("workflow \"W\" {{\n{e}}}\n")
            }
        })
        .collect();
    assert!(complete.len() >= 6, "found {} examples", complete.len());
    for example in &complete {
        let analysis = read(FileKind::Dsl, example);
        let errors: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect();
        assert!(
            errors.is_empty(),
            "example does not read: {errors:?}\n{example}"
        );
    }
}
