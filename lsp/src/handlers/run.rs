//! Runs from the editor: planning a document's current text with the engine, the final report
//! as [`ext::RunResult`], and the "expand template" command.

use std::path::PathBuf;

use agentblocks_dsl::ide::Analysis;
use agentblocks_engine::events::ErrorKind;
use agentblocks_engine::run::BlockStatus;
use agentblocks_engine::{plan, Plan, PlanError, PlanOptions, RunReport, Target};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::lsp_types::Uri;
use tower_lsp_server::UriExt;

use super::Ctx;
use crate::config::Config;
use crate::ext;

/// LSP's `RequestFailed`: the request was valid but could not be carried out.
pub const REQUEST_FAILED: i64 = -32803;

/// How many of the checker's errors a refused run names in its message.
const ERRORS_NAMED: usize = 3;

/// A `RequestFailed` error with `message`.
pub fn failed(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::ServerError(REQUEST_FAILED),
        message: message.into().into(),
        data: None,
    }
}

/// The workflow file behind `uri`, which must be on disk (its folder is the workspace).
pub fn workflow_path(uri: &Uri) -> Result<PathBuf> {
    let on_disk = uri.scheme().is_some_and(|s| s.as_str() == "file");
    on_disk
        .then(|| uri.to_file_path())
        .flatten()
        .map(|p| p.into_owned())
        .filter(|p| p.is_absolute())
        .ok_or_else(|| {
            failed(format!(
                "`{}` is not a file on disk: save it in a folder to run it",
                uri.as_str()
            ))
        })
}

/// The target a run request asks for: `until`, else `block`, else the whole workflow.
pub fn target(block: Option<String>, until: Option<String>) -> Target {
    match (until, block) {
        (Some(until), _) => Target::Until(until),
        (None, Some(block)) => Target::Block(block),
        (None, None) => Target::All,
    }
}

/// Plans the analysed text for `target`; a workflow with errors is refused with its first
/// errors in the message.
pub fn plan_for(ctx: &Ctx, analysis: &Analysis, target: Target, config: &Config) -> Result<Plan> {
    let path = workflow_path(&ctx.uri)?;
    let errors: Vec<_> = analysis
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .collect();
    let document = match analysis.document() {
        Some(document) if errors.is_empty() => document,
        _ => return Err(failed(invalid_message(analysis, &errors))),
    };
    let mut options = PlanOptions::new(&path);
    options.workspace = path.parent().map(PathBuf::from);
    options.target = target;
    match plan(document, Some(analysis.text()), &options) {
        Ok(mut plan) => {
            // Positive and finite: `Config::from_settings` takes no other.
            if let Some(seconds) = config.run_timeout {
                let limit = std::time::Duration::from_secs_f64(seconds);
                plan.settings.run_timeout =
                    Some(plan.settings.run_timeout.map_or(limit, |t| t.min(limit)));
            }
            Ok(plan)
        }
        Err(PlanError::Invalid(diagnostics)) => {
            let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
            Err(failed(invalid_message(analysis, &errors)))
        }
        Err(PlanError::Usage(message)) => Err(Error::invalid_params(message)),
    }
}

/// "the workflow cannot run: 2 errors: 3:5: message; 7:1: message".
fn invalid_message(analysis: &Analysis, errors: &[&agentblocks_dsl::Diagnostic]) -> String {
    if errors.is_empty() {
        return "the workflow cannot run: the file is not a workflow".into();
    }
    let named: Vec<String> = errors
        .iter()
        .take(ERRORS_NAMED)
        .map(|d| {
            let (line, column) = analysis
                .line_index()
                .line_col(analysis.text(), d.span().start);
            format!("{line}:{column}: {}", d.message)
        })
        .collect();
    let more = errors.len().saturating_sub(ERRORS_NAMED);
    format!(
        "the workflow cannot run: {} error{}: {}{}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        named.join("; "),
        if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        }
    )
}

/// The final report as the client sees it.
pub fn result(run_id: &str, report: &RunReport) -> ext::RunResult {
    ext::RunResult {
        run_id: run_id.to_owned(),
        history_id: report.run_id,
        status: report.status.as_str().to_owned(),
        duration_ms: agentblocks_engine::events::millis(report.duration),
        blocks: report
            .blocks
            .iter()
            .map(|b| ext::BlockResult {
                id: b.id.clone(),
                status: block_status(b.status, b.error.as_ref().map(|e| e.kind)).to_owned(),
                duration_ms: agentblocks_engine::events::millis(b.duration),
                attempts: b.attempts,
                outputs: b
                    .outputs
                    .iter()
                    .map(|(port, value)| ext::OutputPreview {
                        port: port.clone(),
                        preview: agentblocks_engine::value::Value::from_json(value).preview(120),
                    })
                    .collect(),
                error: b.error.as_ref().map(|e| e.message.clone()),
            })
            .collect(),
    }
}

/// A block's status word: a failure by cancellation reads `cancelled`.
pub fn block_status(status: BlockStatus, error: Option<ErrorKind>) -> &'static str {
    match (status, error) {
        (BlockStatus::Failed, Some(ErrorKind::Cancelled)) => "cancelled",
        (status, _) => status.as_str(),
    }
}

/// A template block's expanded code.
pub fn expand_template(analysis: &Analysis, block: &str) -> Result<ext::ExpandTemplateResult> {
    let document = analysis
        .document()
        .ok_or_else(|| failed("the file is not a workflow"))?;
    let language = match analysis.block(block).map(|b| &b.kind) {
        Some(agentblocks_dsl::model::BlockKind::Hybrid { base_language, .. }) => {
            base_language.value.clone()
        }
        Some(_) => return Err(failed(format!("block `{block}` is not a template"))),
        None => return Err(failed(format!("the workflow has no block `{block}`"))),
    };
    let code = agentblocks_engine::expand_block(document, block).map_err(failed)?;
    Ok(ext::ExpandTemplateResult {
        block: block.to_owned(),
        language,
        code,
    })
}
