//! `agentblocks runs`: the run history of a workspace (`.agentblocks/runs.db`).

use std::path::Path;

use agentblocks_engine::events::format_ms;
use agentblocks_engine::history::{history_path, History};

use crate::{report_error, Status};

/// Lists the recent runs of `workspace`, or shows run `id` with each block's status, duration,
/// outputs and log.
pub fn run(workspace: &Path, id: Option<i64>, json: bool) -> Status {
    if !history_path(workspace).exists() {
        if json {
            println!("[]");
        } else {
            eprintln!("no runs recorded in `{}`", workspace.display());
        }
        return if id.is_some() {
            Status::Failure
        } else {
            Status::Success
        };
    }
    let history = match History::open(workspace) {
        Ok(history) => history,
        Err(e) => {
            report_error(e);
            return Status::Usage;
        }
    };
    match id {
        None => match history.runs(50) {
            Ok(runs) => {
                if json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&runs).unwrap_or_default()
                    );
                } else {
                    for run in runs {
                        let duration = run
                            .ended_ms
                            .map(|end| format_ms(end.saturating_sub(run.started_ms)))
                            .unwrap_or_else(|| "-".into());
                        println!(
                            "{:>5}  {:<12} {:>8}  {}  {}",
                            run.id,
                            run.status,
                            duration,
                            humantime::format_rfc3339_seconds(
                                std::time::UNIX_EPOCH
                                    + std::time::Duration::from_millis(run.started_ms)
                            ),
                            run.workflow
                        );
                    }
                }
                Status::Success
            }
            Err(e) => {
                report_error(e);
                Status::Usage
            }
        },
        Some(id) => match history.run(id) {
            Ok(Some((run, blocks))) => {
                if json {
                    let value = serde_json::json!({ "run": run, "blocks": blocks });
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&value).unwrap_or_default()
                    );
                    return Status::Success;
                }
                println!("run {} of `{}`: {}", run.id, run.workflow, run.status);
                for block in blocks {
                    println!(
                        "  {}: {} ({})",
                        block.block,
                        block.status,
                        format_ms(block.duration_ms)
                    );
                    if let Some(error) = &block.error {
                        println!("    error: {error}");
                    }
                    if let Some(outputs) = block.outputs.as_object() {
                        for (port, value) in outputs {
                            let mut text = value.to_string();
                            if text.chars().count() > 200 {
                                text = text.chars().take(200).collect::<String>() + "…";
                            }
                            println!("    {port} = {text}");
                        }
                    }
                    for line in block.log.lines() {
                        println!("    | {line}");
                    }
                }
                Status::Success
            }
            Ok(None) => {
                report_error(format!("no run {id} in `{}`", workspace.display()));
                Status::Failure
            }
            Err(e) => {
                report_error(e);
                Status::Usage
            }
        },
    }
}
