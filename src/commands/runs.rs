//! `agentblocks runs`: the run history of a workspace (`.agentblocks/runs.db`).

use std::path::Path;

use agentblocks_engine::events::format_ms;
use agentblocks_engine::history::{history_path, History};

use crate::output::{failed, outln};
use crate::{report_error, Status};

/// Lists the recent runs of `workspace`, or shows run `id` with each block's status, duration,
/// outputs and log.
pub fn run(workspace: &Path, id: Option<i64>, json: bool) -> Status {
    if let Err(status) = super::workspace_folder(workspace) {
        return status;
    }
    match show(workspace, id, json) {
        Ok(status) => status,
        Err(error) => failed(&error),
    }
}

/// Prints the history; an error only when standard output fails.
fn show(workspace: &Path, id: Option<i64>, json: bool) -> std::io::Result<Status> {
    if !history_path(workspace).exists() {
        if json {
            outln!("[]")?;
        } else {
            eprintln!("no runs recorded in `{}`", workspace.display());
        }
        return Ok(if id.is_some() {
            Status::Failure
        } else {
            Status::Success
        });
    }
    let history = match History::open(workspace) {
        Ok(history) => history,
        Err(e) => {
            report_error(e);
            return Ok(Status::Usage);
        }
    };
    let Some(id) = id else {
        let runs = match history.runs(50) {
            Ok(runs) => runs,
            Err(e) => {
                report_error(e);
                return Ok(Status::Usage);
            }
        };
        if json {
            outln!(
                "{}",
                serde_json::to_string_pretty(&runs).unwrap_or_default()
            )?;
            return Ok(Status::Success);
        }
        for run in runs {
            let duration = run
                .ended_ms
                .map(|end| format_ms(end.saturating_sub(run.started_ms)))
                .unwrap_or_else(|| "-".into());
            outln!(
                "{:>5}  {:<12} {:>8}  {}  {}",
                run.id,
                run.status.replace('_', " "),
                duration,
                humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH + std::time::Duration::from_millis(run.started_ms)
                ),
                run.workflow
            )?;
        }
        return Ok(Status::Success);
    };
    let (run, blocks) = match history.run(id) {
        Ok(Some(found)) => found,
        Ok(None) => {
            report_error(format!("no run {id} in `{}`", workspace.display()));
            return Ok(Status::Failure);
        }
        Err(e) => {
            report_error(e);
            return Ok(Status::Usage);
        }
    };
    if json {
        let value = serde_json::json!({ "run": run, "blocks": blocks });
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        )?;
        return Ok(Status::Success);
    }
    outln!(
        "run {} of `{}`: {}",
        run.id,
        run.workflow,
        run.status.replace('_', " ")
    )?;
    for block in blocks {
        outln!(
            "  {}: {} ({})",
            block.block,
            block.status,
            format_ms(block.duration_ms)
        )?;
        if let Some(error) = &block.error {
            outln!("    error: {error}")?;
        }
        if let Some(outputs) = block.outputs.as_object() {
            for (port, value) in outputs {
                let mut text = value.to_string();
                if text.chars().count() > 200 {
                    text = text.chars().take(200).collect::<String>() + "…";
                }
                outln!("    {port} = {text}")?;
            }
        }
        for line in block.log.lines() {
            outln!("    | {line}")?;
        }
    }
    Ok(Status::Success)
}
