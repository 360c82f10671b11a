//! The one diagnostic type: problems in the user's workflow are data, not errors.
//!
//! Each kind of diagnostic is made by a named function in the module that finds it; messages
//! are lowercase, name things in backticks and do not end with a period.

use crate::model::Span;

/// How bad a diagnostic is (LSP's four levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The workflow cannot be converted, formatted or run.
    Error,
    /// Probably a mistake.
    Warning,
    /// Worth knowing.
    Information,
    /// A suggestion.
    Hint,
}

impl Severity {
    /// The lowercase name used in JSON output: `error`, `warning`, `information`, `hint`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

/// A labelled place in the source; the first label of a diagnostic is the primary one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The byte range.
    pub span: Span,
    /// What is at that place (may be empty).
    pub message: String,
}

/// One replacement of a byte range with new text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// The range replaced.
    pub span: Span,
    /// The text put there.
    pub new_text: String,
}

/// A machine-applicable fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, e.g. "change to `find_files`".
    pub title: String,
    /// The edits, non-overlapping.
    pub edits: Vec<TextEdit>,
}

/// A problem found in a workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// A stable kebab-case code, e.g. `unclosed-delimiter`.
    pub code: &'static str,
    /// Lowercase, things named in backticks, no final period.
    pub message: String,
    /// The primary label first, then related places.
    pub labels: Vec<Label>,
    /// A sentence on how to fix it.
    pub help: Option<String>,
    /// A fix that can be applied without asking.
    pub fix: Option<Fix>,
    /// The name the diagnostic is about when a fix made later needs it and the spans do not
    /// say it (`missing-property`: the property). Fixes that insert text need the file kind
    /// and the text, which the checker does not have; `ide::code_actions` makes them.
    pub subject: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message, span)
    }

    /// A warning at `span`.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, message, span)
    }

    /// A diagnostic of any severity at `span`, with an empty primary label.
    pub fn new(
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        span: Span,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            labels: vec![Label {
                span,
                message: String::new(),
            }],
            help: None,
            fix: None,
            subject: None,
        }
    }

    /// Sets the primary label's message.
    pub fn with_primary_message(mut self, message: impl Into<String>) -> Diagnostic {
        self.labels[0].message = message.into();
        self
    }

    /// Adds a related place.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help sentence.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the fix.
    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }

    /// Sets the subject.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Diagnostic {
        self.subject = Some(subject.into());
        self
    }

    /// The primary span.
    pub fn span(&self) -> Span {
        self.labels[0].span
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
