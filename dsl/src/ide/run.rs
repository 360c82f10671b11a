//! Running from the editor, as plain data: where the run lenses go and what they say, which
//! template blocks can be expanded, and the "last run" section of a hover.
//!
//! Nothing here runs anything or knows the engine: the server asks the engine for the cache
//! state and the last run's results, and passes them in as [`BlockRun`]s and strings.

use std::fmt::Write as _;

use crate::model::{BlockKind, Span};

use super::resolve::{symbol_at, Symbol};
use super::Analysis;

/// What a run lens runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LensAction {
    /// Only this block (its upstream results come from the cache).
    RunBlock {
        /// The block's id.
        block: String,
    },
    /// This block and everything it depends on.
    RunToHere {
        /// The block's id.
        block: String,
    },
    /// The whole workflow.
    RunWorkflow,
}

/// One run lens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLens {
    /// Where it goes: the workflow's header, or the block's id on its header line.
    pub span: Span,
    /// What it runs.
    pub action: LensAction,
    /// Its title without the cache state (`▶ Run block`).
    pub title: String,
}

/// The run lenses of a file: "▶ Run workflow" on the workflow, "▶ Run block" and
/// "▶ Run to here" on each block.
pub fn run_lenses(analysis: &Analysis) -> Vec<RunLens> {
    let Some(document) = analysis.document() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let header = document.workflow.header_span;
    if header != Span::default() || !analysis.blocks().is_empty() {
        out.push(RunLens {
            span: header,
            action: LensAction::RunWorkflow,
            title: "▶ Run workflow".into(),
        });
    }
    for block in analysis.blocks() {
        let id = &block.id.value;
        if id.is_empty() {
            continue;
        }
        out.push(RunLens {
            span: block.id.span,
            action: LensAction::RunBlock { block: id.clone() },
            title: "▶ Run block".into(),
        });
        out.push(RunLens {
            span: block.id.span,
            action: LensAction::RunToHere { block: id.clone() },
            title: "▶ Run to here".into(),
        });
    }
    out
}

/// A lens title with the block's cache state appended: `▶ Run block · cached 2m ago`.
pub fn lens_title(title: &str, state: Option<&str>) -> String {
    match state {
        Some(state) if !state.is_empty() => format!("{title} · {state}"),
        _ => title.to_owned(),
    }
}

/// The template blocks touching `span`: each can be expanded to the code it runs.
pub fn expandable_templates(analysis: &Analysis, span: Span) -> Vec<String> {
    analysis
        .blocks()
        .iter()
        .filter(|b| b.span.start <= span.end && span.start <= b.span.end)
        .filter(|b| matches!(b.kind, BlockKind::Hybrid { .. }))
        .map(|b| b.id.value.clone())
        .collect()
}

/// What the last run did with one block (filled in by the server from the engine's report).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockRun {
    /// `succeeded`, `cached`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// How long it took, in milliseconds (absent when it did not execute).
    pub duration_ms: Option<u64>,
    /// How long ago the run ended, for people (`2m ago`).
    pub ago: Option<String>,
    /// Its outputs.
    pub outputs: Vec<PortValue>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
}

/// One output's last value.
#[derive(Clone, Debug, PartialEq)]
pub struct PortValue {
    /// The port.
    pub port: String,
    /// A one-line preview of the value (the engine's).
    pub preview: String,
    /// The value as JSON.
    pub value: serde_json::Value,
}

/// The "last run" Markdown for the block or port at `offset`, given what the last run did with
/// each block (`runs`). `None` when nothing there was run.
pub fn last_run_section(
    analysis: &Analysis,
    offset: usize,
    runs: &dyn Fn(&str) -> Option<BlockRun>,
) -> Option<(Span, String)> {
    let (symbol, span) = symbol_at(analysis, offset)?;
    let markdown = match symbol {
        Symbol::Block { id } => block_section(&runs(&id)?),
        Symbol::Port {
            block,
            output: true,
            name,
        } => port_section(&runs(&block)?, &name, None)?,
        Symbol::Port {
            block,
            output: false,
            name,
        } => {
            let (source_block, source_port) = feeding(analysis, &block, &name)?;
            let run = runs(&source_block)?;
            let from = format!("{source_block}.{source_port}");
            let mut section = port_section(&run, &source_port, Some(&from))?;
            if let Some(ms) = runs(&block).and_then(|r| r.duration_ms) {
                let _ = write!(section, "\n\n`{block}` last took {}", duration(ms));
            }
            section
        }
        _ => return None,
    };
    Some((span, markdown))
}

/// The connection feeding input `port` of `block`: its source block and port.
fn feeding(analysis: &Analysis, block: &str, port: &str) -> Option<(String, String)> {
    let document = analysis.document()?;
    document
        .workflow
        .connections
        .iter()
        .flatten()
        .find(|c| c.target_block.value == block && c.target_port.value == port)
        .map(|c| (c.source_block.value.clone(), c.source_port.value.clone()))
}

fn block_section(run: &BlockRun) -> String {
    let mut out = format!("**last run**: {}", run.status);
    if let Some(ms) = run.duration_ms {
        let _ = write!(out, " in {}", duration(ms));
    }
    if let Some(ago) = &run.ago {
        let _ = write!(out, " ({ago})");
    }
    if let Some(error) = &run.error {
        let _ = write!(out, "\n\n{error}");
    }
    for output in &run.outputs {
        let _ = write!(out, "\n\n`{}` = `{}`", output.port, output.preview);
    }
    out
}

fn port_section(run: &BlockRun, port: &str, from: Option<&str>) -> Option<String> {
    let output = run.outputs.iter().find(|o| o.port == port)?;
    let name = from.unwrap_or(port);
    let mut out = format!("**last value** of `{name}`: {}", shape(&output.value));
    let _ = write!(out, "\n\n```\n{}\n```", output.preview);
    let _ = write!(out, "\n\nfrom a run that {}", run.status);
    if let Some(ms) = run.duration_ms {
        let _ = write!(out, " in {}", duration(ms));
    }
    if let Some(ago) = &run.ago {
        let _ = write!(out, ", {ago}");
    }
    Some(out)
}

/// The shape of a JSON value, for people: `list of 3`, `object with 2 keys`, `string of 12
/// characters`.
pub fn shape(value: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match value {
        J::Null => "null".into(),
        J::Bool(_) => "boolean".into(),
        J::Number(n) if n.is_i64() || n.is_u64() => "integer".into(),
        J::Number(_) => "number".into(),
        J::String(s) => {
            let n = s.chars().count();
            format!("string of {n} character{}", plural(n))
        }
        J::Array(items) => {
            let n = items.len();
            let inner = items.first().map(shape_word).unwrap_or_default();
            format!("list of {n}{inner}")
        }
        J::Object(map) => {
            let n = map.len();
            format!("object with {n} key{}", plural(n))
        }
    }
}

fn shape_word(value: &serde_json::Value) -> String {
    use serde_json::Value as J;
    let word = match value {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "list",
        J::Object(_) => "object",
    };
    format!(" ({word}s)")
}

/// The plural ending for `n` things: `""` for one, `"s"` otherwise.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A duration for people: `12ms`, `1.5s`, `2m 3s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m {}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// How long ago, for people: `just now`, `12s ago`, `2m ago`, `3h ago`, `2d ago`.
pub fn ago(ms: u64) -> String {
    let s = ms / 1000;
    if s < 5 {
        "just now".into()
    } else if s < 60 {
        format!("{s}s ago")
    } else if s < 3600 {
        format!("{}m ago", s / 60)
    } else if s < 86_400 {
        format!("{}h ago", s / 3600)
    } else {
        format!("{}d ago", s / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::analysis;

    const SRC: &str = "workflow \"W\" {
  block find = find_files {
    directory = \"src\"
    out files: List[Path]
  }
  block filter = python {
    in files: List[Path] <- find.files
    out kept: List[Path]
    code ```
      files
      ```
  }
  block gen = template python {
    template ```
      print({{x}})
      ```
  }
}
";

    #[test]
    fn a_workflow_lens_and_two_per_block() {
        let (analysis, _) = analysis(&format!("$0{SRC}"));
        let lenses = run_lenses(&analysis);
        let titles: Vec<_> = lenses.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "▶ Run workflow",
                "▶ Run block",
                "▶ Run to here",
                "▶ Run block",
                "▶ Run to here",
                "▶ Run block",
                "▶ Run to here"
            ]
        );
        assert_eq!(analysis.slice(lenses[1].span), "find");
        assert_eq!(
            lenses[4].action,
            LensAction::RunToHere {
                block: "filter".into()
            }
        );
        assert_eq!(
            lens_title("▶ Run block", Some("cached 2m ago")),
            "▶ Run block · cached 2m ago"
        );
    }

    #[test]
    fn only_template_blocks_expand() {
        let (analysis, offset) = analysis(&SRC.replace("{{x}}", "{{x}}$0"));
        assert_eq!(
            expandable_templates(&analysis, Span::new(offset, offset)),
            ["gen"]
        );
        assert!(expandable_templates(&analysis, Span::new(20, 20)).is_empty());
    }

    fn runs(block: &str) -> Option<BlockRun> {
        (block == "find").then(|| BlockRun {
            status: "succeeded".into(),
            duration_ms: Some(12),
            ago: Some("just now".into()),
            outputs: vec![PortValue {
                port: "files".into(),
                preview: "List(2) [Path(\"a\"), Path(\"b\")]".into(),
                value: serde_json::json!(["a", "b"]),
            }],
            error: None,
        })
    }

    #[test]
    fn hovers_show_the_last_run() {
        let (a, offset) = analysis(&SRC.replace("out files", "out fil$0es"));
        let (_, text) = last_run_section(&a, offset, &runs).expect("the output's last value");
        assert!(text.contains("list of 2 (strings)"), "{text}");
        assert!(text.contains("Path(\"a\")"), "{text}");
        assert!(text.contains("12ms"), "{text}");

        let (a, offset) = analysis(&SRC.replace("in files", "in fi$0les"));
        let (_, text) = last_run_section(&a, offset, &runs).expect("fed by find.files");
        assert!(text.contains("`find.files`"), "{text}");

        let (a, offset) = analysis(&SRC.replace("block find", "block fi$0nd"));
        let (_, text) = last_run_section(&a, offset, &runs).expect("the block's last run");
        assert!(text.contains("succeeded in 12ms"), "{text}");

        let (a, offset) = analysis(&SRC.replace("block filter", "block fil$0ter"));
        assert!(last_run_section(&a, offset, &runs).is_none());
    }
}
