//! Code actions: quick fixes (the checker's, which replace text, and those of [`fixes`], which
//! insert text and so need the file kind and the text), and converting the file to the other
//! kind.

mod fixes;
mod place;

use crate::convert;
use crate::diagnostic::TextEdit;
use crate::model::Span;

use super::{Analysis, FileKind};

/// The kind of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// Fixes a diagnostic.
    QuickFix,
    /// Acts on the whole file.
    Source,
}

/// One action.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeAction {
    /// What the editor shows.
    pub title: String,
    /// Its kind.
    pub kind: ActionKind,
    /// Edits to this file.
    pub edits: Vec<TextEdit>,
    /// A new file beside this one: its kind and text (conversions).
    pub new_file: Option<(FileKind, String)>,
    /// The diagnostic (index in [`Analysis::diagnostics`]) it fixes.
    pub fixes: Option<usize>,
}

/// The actions available for the range `span`.
pub fn code_actions(analysis: &Analysis, span: Span) -> Vec<CodeAction> {
    let mut out = Vec::new();
    for (i, diagnostic) in analysis.diagnostics().iter().enumerate() {
        let at = diagnostic.span();
        let overlaps = at.start <= span.end && span.start <= at.end;
        if !overlaps {
            continue;
        }
        let inserting = fixes::fixes(analysis, diagnostic);
        for fix in diagnostic.fix.iter().chain(&inserting) {
            out.push(CodeAction {
                title: fix.title.clone(),
                kind: ActionKind::QuickFix,
                edits: fix.edits.clone(),
                new_file: None,
                fixes: Some(i),
            });
        }
    }
    let (to, title) = match analysis.kind() {
        FileKind::Dsl => (FileKind::Json, "Convert to JSON (.agentblocks)"),
        FileKind::Json => (FileKind::Dsl, "Convert to DSL (.ab)"),
    };
    if let Ok(converted) = convert::convert(analysis.kind(), to, analysis.text()) {
        out.push(CodeAction {
            title: title.to_owned(),
            kind: ActionKind::Source,
            edits: Vec::new(),
            new_file: Some((to, converted.text)),
            fixes: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::{analysis, cursor};
    use crate::ide::rename::apply_edits;

    /// The text after applying the quick fix `title` offered at the cursor of `src`, checked:
    /// the fixed text has one `code` diagnostic less (none in the tests but one), no new
    /// error, and is already formatted.
    fn fixed(kind: FileKind, src: &str, code: &str, title: &str) -> String {
        let (text, offset) = cursor(src);
        let analysis = Analysis::new(kind, &text);
        let actions = code_actions(&analysis, Span::new(offset, offset));
        let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
        let action = actions
            .iter()
            .find(|a| a.title == title)
            .unwrap_or_else(|| panic!("no `{title}` among {titles:?}"));
        let fixed = apply_edits(&text, &action.edits);
        let after = Analysis::new(kind, &fixed);
        let count = |a: &Analysis| a.diagnostics().iter().filter(|d| d.code == code).count();
        assert_eq!(count(&after) + 1, count(&analysis), "in\n{fixed}");
        let errors = |a: &Analysis| -> Vec<String> {
            a.diagnostics()
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.clone())
                .collect()
        };
        let before = errors(&analysis);
        let new: Vec<String> = errors(&after)
            .into_iter()
            .filter(|m| !before.contains(m))
            .collect();
        assert!(new.is_empty(), "{new:?} in\n{fixed}");
        assert_eq!(
            convert::format(kind, &fixed).expect("it formats"),
            fixed,
            "not canonical"
        );
        fixed
    }

    /// The titles of the quick fixes offered at the cursor.
    fn quick_fixes(kind: FileKind, src: &str) -> Vec<String> {
        let (text, offset) = cursor(src);
        let analysis = Analysis::new(kind, &text);
        code_actions(&analysis, Span::new(offset, offset))
            .into_iter()
            .filter(|a| a.kind == ActionKind::QuickFix)
            .map(|a| a.title)
            .collect()
    }

    #[test]
    fn missing_property_is_added_after_the_properties() {
        let src = "workflow {\n  block $0f = find_files {\n    patterns = [\"*.rs\"]\n    out files: List[Path]\n  }\n}\n";
        let text = fixed(
            FileKind::Dsl,
            src,
            "missing-property",
            "add property `directory`",
        );
        assert_eq!(
            text,
            "workflow {\n  block f = find_files {\n    patterns = [\"*.rs\"]\n    directory = \"\"\n    out files: List[Path]\n  }\n}\n"
        );
        // No properties yet: after the header line, keeping its comment; a select's first
        // option.
        let src = "workflow {\n  block $0t = transform_text { // shout\n    @x = 1\n    in text: String = \"a\"\n  }\n}\n";
        let text = fixed(
            FileKind::Dsl,
            src,
            "missing-property",
            "add property `operation`",
        );
        assert_eq!(
            text,
            "workflow {\n  block t = transform_text { // shout\n    operation = \"upper\"\n    @x = 1\n    in text: String = \"a\"\n  }\n}\n"
        );
    }

    #[test]
    fn a_present_empty_collection_gives_way() {
        let src = "workflow {\n  block $0r = read_file {\n    @properties = {}\n    out content: String\n  }\n}\n";
        let text = fixed(
            FileKind::Dsl,
            src,
            "missing-property",
            "add property `path`",
        );
        assert_eq!(
            text,
            "workflow {\n  block r = read_file {\n    path = \"\"\n    out content: String\n  }\n}\n"
        );
        let src = "workflow {\n  block a = python {\n    @outputs = []\n    code ```\n      n = 1\n      ```\n  }\n\n  block b = python {\n    in n: Integer <- a.$0n\n    code ```\n      n\n      ```\n  }\n}\n";
        let text = fixed(
            FileKind::Dsl,
            src,
            "unknown-source-port",
            "declare output `n: Integer`",
        );
        assert!(
            text.contains("  block a = python {\n    out n: Integer\n    code ```"),
            "{text}"
        );
    }

    #[test]
    fn missing_property_in_json() {
        let src = r#"{
  "format_version": "1.0",
  "workflow": {
    "blocks": {
      "f": {
        "type": "visual",
        "block_type": "find_files",
        "properties": {
          "recursive": false
        }
      },
      "r": {
        "type": "visual",
        "block_type": "read_file",
        "position": {
          "x": 1,
          "y": 2
        },
        "outputs": []
      }
    }
  }
}
"#;
        let at_f = src.replacen("\"f\": {", "\"$0f\": {", 1);
        let text = fixed(
            FileKind::Json,
            &at_f,
            "missing-property",
            "add property `directory`",
        );
        assert!(
            text.contains("\"recursive\": false,\n          \"directory\": \"\"\n        }"),
            "{text}"
        );
        let at_r = src.replacen("\"r\": {", "\"$0r\": {", 1);
        let text = fixed(
            FileKind::Json,
            &at_r,
            "missing-property",
            "add property `path`",
        );
        assert!(
            text.contains("        },\n        \"properties\": {\n          \"path\": \"\"\n        },\n        \"outputs\": []"),
            "{text}"
        );
    }

    #[test]
    fn undeclared_ports_are_declared_in_blocks_that_own_their_ports() {
        let src = "workflow {\n  block a = python {\n    out x: String\n    code ```\n      x = \"\"\n      n = 1\n      ```\n  }\n\n  block b = python {\n    in n: Integer <- a.$0n\n    in x: String <- a.x\n    code ```\n      n\n      ```\n  }\n}\n";
        let text = fixed(
            FileKind::Dsl,
            src,
            "unknown-source-port",
            "declare output `n: Integer`",
        );
        assert!(
            text.contains("    out x: String\n    out n: Integer\n    code ```"),
            "{text}"
        );

        let src = "workflow {\n  block a = python {\n    out x: String\n    code ```\n      \"\"\n      ```\n  }\n\n  block b = python {\n    out y: String\n    code ```\n      x\n      ```\n  }\n\n  connect a.x -> b.$0x\n}\n";
        let text = fixed(
            FileKind::Dsl,
            src,
            "unknown-target-port",
            "declare input `x: String`",
        );
        assert!(
            text.contains("  block b = python {\n    in x: String <- a.x\n    out y: String\n"),
            "{text}"
        );
        assert!(!text.contains("connect"), "{text}");

        // A visual block's ports are the catalogue's; a shell block outputs only its streams.
        let src = "workflow {\n  block f = find_files {\n    directory = \".\"\n  }\n\n  block s = shell {\n    code ```\n      ls\n      ```\n  }\n\n  block b = python {\n    in n: String <- f.$0count\n    in m: String <- s.lines\n    code ```\n      n\n      ```\n  }\n}\n";
        assert!(quick_fixes(FileKind::Dsl, src)
            .iter()
            .all(|t| !t.starts_with("declare")));
        let src = src
            .replace("f.$0count", "f.count")
            .replace("s.lines", "s.$0lines");
        assert!(quick_fixes(FileKind::Dsl, &src)
            .iter()
            .all(|t| !t.starts_with("declare")));
    }

    #[test]
    fn undeclared_ports_in_json() {
        let src = r#"{
  "format_version": "1.0",
  "workflow": {
    "blocks": {
      "a": {
        "type": "code",
        "language": "python",
        "source_code": "1",
        "outputs": [
          {
            "name": "x",
            "type": "Integer"
          }
        ]
      },
      "b": {
        "type": "code",
        "language": "python",
        "source_code": "n"
      }
    },
    "connections": [
      {
        "source_block": "a",
        "source_port": "x",
        "target_block": "b",
        "target_port": "$0n"
      }
    ]
  }
}
"#;
        let text = fixed(
            FileKind::Json,
            src,
            "unknown-target-port",
            "declare input `n: Integer`",
        );
        assert!(
            text.contains("\"source_code\": \"n\",\n        \"inputs\": [\n          {\n            \"name\": \"n\",\n            \"type\": \"Integer\"\n          }\n        ]\n      }"),
            "{text}"
        );
    }

    #[test]
    fn type_mismatches_get_a_conversion_block() {
        let src = "workflow {\n  block a = python {\n    out count: Integer\n    code ```\n      1\n      ```\n  }\n\n  block b = python {\n    in text: String <- $0a.count\n    code ```\n      text\n      ```\n  }\n}\n";
        let text = fixed(
            FileKind::Dsl,
            src,
            "type-mismatch",
            "insert a conversion: `str(value)`",
        );
        assert_eq!(
            text,
            "workflow {\n  block a = python {\n    out count: Integer\n    code ```\n      1\n      ```\n  }\n\n  block count_as_string = python {\n    in value: Integer <- a.count\n    out value: String\n    code ```\n      str(value)\n      ```\n  }\n\n  block b = python {\n    in text: String <- count_as_string.value\n    code ```\n      text\n      ```\n  }\n}\n"
        );
        // Imports make the code two statements; no conversion from a list to a number.
        let json = src
            .replace("count: Integer", "count: String")
            .replace("text: String", "text: Dict[String, Integer]");
        let text = fixed(
            FileKind::Dsl,
            &json,
            "type-mismatch",
            "insert a conversion: `json.loads(value)`",
        );
        assert!(
            text.contains("      import json\n      value = json.loads(value)\n"),
            "{text}"
        );
        let list = src.replace("count: Integer", "count: List[Path]");
        let text = fixed(
            FileKind::Dsl,
            &list,
            "type-mismatch",
            "insert a conversion: `\"\\n\".join(str(v) for v in value)`",
        );
        assert!(
            text.contains("    in value: List[Path] <- a.count\n    out value: String\n"),
            "{text}"
        );
        let none = src
            .replace("count: Integer", "count: List[Path]")
            .replace("text: String", "text: Integer");
        assert!(quick_fixes(FileKind::Dsl, &none)
            .iter()
            .all(|t| !t.starts_with("insert")));
    }

    #[test]
    fn conversions_by_pair_of_types() {
        let cases = [
            ("Integer", "String", Some("str(value)")),
            ("String", "Integer", Some("int(value)")),
            ("String", "Number", Some("float(value)")),
            ("Number", "Integer", Some("round(value)")),
            ("String", "List[String]", Some("[value]")),
            ("List[Integer]", "Integer", Some("value[0]")),
            (
                "List[Integer]",
                "List[String]",
                Some("[str(v) for v in value]"),
            ),
            ("String", "Path", Some("pathlib.Path(value)")),
            ("Dict[String, Integer]", "String", Some("json.dumps(value)")),
            ("String", "List[Integer]", Some("json.loads(value)")),
            ("Boolean", "Path", None),
            ("String?", "String", None),
        ];
        for (from, to, expected) in cases {
            let src = format!("workflow {{\n  block a = python {{\n    out x: {from}\n  }}\n\n  block b = python {{\n    in y: {to} <- $0a.x\n  }}\n}}\n");
            let titles = quick_fixes(FileKind::Dsl, &src);
            let conversion = titles
                .iter()
                .find_map(|t| t.strip_prefix("insert a conversion: `"));
            assert_eq!(
                conversion.map(|t| t.trim_end_matches('`')),
                expected,
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn type_mismatches_in_json() {
        let src = r#"{
  "format_version": "1.0",
  "workflow": {
    "blocks": {
      "a": {
        "type": "code",
        "language": "python",
        "source_code": "1",
        "outputs": [
          {
            "name": "count",
            "type": "Integer"
          }
        ]
      },
      "b": {
        "type": "code",
        "language": "python",
        "source_code": "text",
        "inputs": [
          {
            "name": "text",
            "type": "String"
          }
        ]
      }
    },
    "connections": [
      {
        "id": "a.count->b.text",
        "source_block": "a",
        "source_port": "count",
        "target_block": "b",
        "target_port": "text",
        "data_type": "Integer"
      }
    ]
  }
}
"#;
        let at = src.replacen("\"id\"", "$0\"id\"", 1);
        let text = fixed(
            FileKind::Json,
            &at,
            "type-mismatch",
            "insert a conversion: `str(value)`",
        );
        assert!(text.contains("      },\n      \"count_as_string\": {\n        \"type\": \"code\",\n        \"language\": \"python\",\n        \"source_code\": \"str(value)\","), "{text}");
        assert!(text.contains("\"id\": \"count_as_string.value->b.text\",\n        \"source_block\": \"count_as_string\",\n        \"source_port\": \"value\","), "{text}");
        assert!(text.contains("\"data_type\": \"String\"\n      },\n      {\n        \"id\": \"a.count->count_as_string.value\""), "{text}");
    }

    #[test]
    fn a_conversion_block_sits_between_positioned_blocks() {
        let src = "workflow {\n  block a = python at (100, 100) {\n    out count: Integer\n    code ```\n      1\n      ```\n  }\n\n  block b = python at (300, 301) {\n    in text: String <- $0a.count\n    code ```\n      text\n      ```\n  }\n}\n";
        let text = fixed(
            FileKind::Dsl,
            src,
            "type-mismatch",
            "insert a conversion: `str(value)`",
        );
        assert!(
            text.contains("  block count_as_string = python at (200, 200) {\n"),
            "{text}"
        );
        // Each coordinate is a float when either is; a block without a position leaves the new one without.
        let text = fixed(
            FileKind::Dsl,
            &src.replace("(300, 301)", "(300.5, 301)"),
            "type-mismatch",
            "insert a conversion: `str(value)`",
        );
        assert!(
            text.contains("  block count_as_string = python at (200.25, 200) {\n"),
            "{text}"
        );
        let text = fixed(
            FileKind::Dsl,
            &src.replace(" at (300, 301)", ""),
            "type-mismatch",
            "insert a conversion: `str(value)`",
        );
        assert!(
            text.contains("  block count_as_string = python {\n"),
            "{text}"
        );
    }

    #[test]
    fn did_you_mean_fix_and_conversion() {
        let (analysis, offset) = analysis("workflow {\n  block a = find_fils$0 {\n  }\n}\n");
        let actions = code_actions(&analysis, Span::new(offset, offset));
        let fix = actions
            .iter()
            .find(|a| a.kind == ActionKind::QuickFix)
            .expect("a quick fix");
        assert!(apply_edits(analysis.text(), &fix.edits).contains("= find_files {"));
        let convert = actions
            .iter()
            .find(|a| a.kind == ActionKind::Source)
            .expect("convert");
        assert!(convert
            .new_file
            .as_ref()
            .is_some_and(|(k, t)| *k == FileKind::Json && t.contains("\"blocks\"")));
    }
}
