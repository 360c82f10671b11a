//! Formatting through the canonical formatter: one edit replacing the whole document, refused
//! while the file has syntax errors.

use crate::convert;
use crate::diagnostic::TextEdit;
use crate::model::Span;

use super::Analysis;

/// Why the file was not formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError(pub String);

/// The edit that puts the file in canonical form; an empty list when it already is.
///
/// A range format is the same whole-document edit: the canonical form is a property of the
/// file, and it never reorders what the author ordered.
pub fn format(analysis: &Analysis) -> Result<Vec<TextEdit>, FormatError> {
    let text = analysis.text();
    match convert::format(analysis.kind(), text) {
        Ok(formatted) if formatted == text => Ok(Vec::new()),
        Ok(formatted) => Ok(vec![TextEdit {
            span: Span::new(0, text.len()),
            new_text: formatted,
        }]),
        Err(errors) => Err(FormatError(format!(
            "not formatted: the file has {} syntax error{}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::FileKind;

    #[test]
    fn formats_or_refuses() {
        let analysis = Analysis::new(
            FileKind::Dsl,
            "workflow {\n block a = python {\n out x: String }}\n",
        );
        let edits = format(&analysis).expect("formats");
        assert_eq!(
            edits[0].new_text,
            "workflow {\n  block a = python {\n    out x: String\n  }\n}\n"
        );
        let formatted = Analysis::new(FileKind::Dsl, &edits[0].new_text);
        assert_eq!(format(&formatted), Ok(Vec::new()));
        assert!(format(&Analysis::new(FileKind::Dsl, "workflow {")).is_err());
    }
}
