//! `textDocument/codeLens`: "▶ Run workflow", "▶ Run block" and "▶ Run to here", their titles
//! carrying each block's cache state from the engine's `explain` ("cached 2m ago", "will
//! re-run: input `files` changed").

use std::collections::HashMap;

use agentblocks_dsl::ide::run::{ago, lens_title, run_lenses, LensAction};
use agentblocks_dsl::ide::Analysis;
use agentblocks_engine::cache::Cache;
use agentblocks_engine::{explain, Decision, PythonSetting, RunOptions, Target};
use tower_lsp_server::lsp_types::{CodeLens, Command};

use super::run::plan_for;
use super::Ctx;
use crate::config::Config;
use crate::ext::{commands, CommandArgs};

/// The run lenses of a document.
pub fn code_lenses(
    ctx: &Ctx,
    analysis: &Analysis,
    config: &Config,
    python: &PythonSetting,
) -> Vec<CodeLens> {
    let lines = ctx.lines(analysis);
    let states = if config.cache_enabled() {
        cache_states(ctx, analysis, config, python)
    } else {
        None
    };
    run_lenses(analysis)
        .into_iter()
        .map(|lens| {
            let (command, block, state) = match &lens.action {
                LensAction::RunWorkflow => (
                    commands::RUN_WORKFLOW,
                    None,
                    states.as_ref().map(workflow_state),
                ),
                LensAction::RunBlock { block } => (
                    commands::RUN_BLOCK,
                    Some(block.clone()),
                    states.as_ref().and_then(|s| s.get(block).cloned()),
                ),
                LensAction::RunToHere { block } => {
                    (commands::RUN_TO_HERE, Some(block.clone()), None)
                }
            };
            let args = CommandArgs {
                uri: ctx.uri.clone(),
                block,
            };
            CodeLens {
                range: lines.range(lens.span),
                command: Some(Command {
                    title: lens_title(&lens.title, state.as_deref()),
                    command: command.to_owned(),
                    arguments: serde_json::to_value(args).ok().map(|a| vec![a]),
                }),
                data: None,
            }
        })
        .collect()
}

/// Each block's cache state in words, when the workflow can be planned.
fn cache_states(
    ctx: &Ctx,
    analysis: &Analysis,
    config: &Config,
    python: &PythonSetting,
) -> Option<HashMap<String, String>> {
    let plan = plan_for(ctx, analysis, Target::All, config).ok()?;
    let now = agentblocks_engine::events::now_ms();
    let cache = Cache::open(&plan.workspace, &plan.workflow_path);
    let options = RunOptions {
        python: python.clone(),
        ..RunOptions::default()
    };
    Some(
        explain(&plan, &options)
            .into_iter()
            .map(|line| {
                let state = match line.decision {
                    Decision::Cached { cached_at_ms, .. } => {
                        format!("cached {}", ago(now.saturating_sub(cached_at_ms)))
                    }
                    Decision::WillRun { .. } | Decision::MayRun { .. }
                        if cache.latest(&line.block).is_none() =>
                    {
                        "not run yet".to_owned()
                    }
                    Decision::WillRun { reason } => format!("will re-run: {reason}"),
                    Decision::MayRun { reason } => format!("may re-run: {reason}"),
                };
                (line.block, state)
            })
            .collect(),
    )
}

/// The workflow's cache state: how many blocks would come from the cache.
fn workflow_state(states: &HashMap<String, String>) -> String {
    let cached = states.values().filter(|s| s.starts_with("cached")).count();
    match (cached, states.len()) {
        (_, 0) => String::new(),
        (0, _) => String::new(),
        (c, n) if c == n => "all cached".to_owned(),
        (c, n) => format!("{c} of {n} cached"),
    }
}
