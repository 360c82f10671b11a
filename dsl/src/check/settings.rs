//! The run settings the engine refuses (`invalid-setting`): one rule set, used by the checker
//! and by the engine's planner (which reads a setting only through these functions, so what
//! `check` accepts is what `run` can use).
//!
//! - a timeout is a positive, finite number of seconds: config `timeout` (the whole run's),
//!   `execution_config.block_timeout` (`@block_timeout`, every block's) and a block's
//!   `timeout` (`@timeout`);
//! - `max_concurrent_blocks`, `retry_policy.max_attempts` and the attempts of a `retry(N)`
//!   error action are whole numbers, 1 or more;
//! - `execution_config.rollback` (`@rollback`) is `true` or `false`.

use crate::model::{Block, BlockKind, ErrorAction, Extra, Num, Span, Str, Workflow};
use serde_json::{Number, Value as Json};

/// A run setting the engine cannot use, where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingProblem {
    /// The value.
    pub span: Span,
    /// The key, when the setting has one of its own (not the attempts inside `retry(N)`).
    pub key: Option<Span>,
    /// What is wrong: "`timeout` must be above 0s, not `-5s`".
    pub message: String,
    /// What it should be.
    pub help: &'static str,
}

const TIMEOUT_HELP: &str = "a timeout is a positive number of seconds; `run` refuses this one";
const COUNT_HELP: &str = "a whole number, 1 or more; `run` refuses this one";

/// Seconds as the engine reads them: a positive, finite number.
pub fn seconds(value: &Json) -> Option<f64> {
    value.as_f64().filter(|n| n.is_finite() && *n > 0.0)
}

/// A count as the engine reads it: a whole number, 1 or more.
pub fn count(value: &Number) -> Option<u64> {
    value.as_u64().filter(|n| *n >= 1)
}

/// The extra `key` of `extras`, if written.
pub fn extra<'a>(extras: &'a [Extra], key: &str) -> Option<&'a Extra> {
    extras.iter().find(|e| e.key.value == key)
}

fn timeout_extra(extra: &Extra, out: &mut Vec<SettingProblem>) {
    if seconds(&extra.value.value).is_none() {
        out.push(SettingProblem {
            span: extra.value.span,
            key: Some(extra.key.span),
            message: format!(
                "`{}` must be a positive number of seconds, not `{}`",
                extra.key.value, extra.value.value
            ),
            help: TIMEOUT_HELP,
        });
    }
}

fn count_setting(what: &str, key: Option<&Str>, n: &Num, out: &mut Vec<SettingProblem>) {
    if count(&n.value).is_none() {
        out.push(SettingProblem {
            span: n.span,
            key: key.map(|k| k.span),
            message: format!(
                "{what} must be a whole number, 1 or more, not `{}`",
                n.value
            ),
            help: COUNT_HELP,
        });
    }
}

fn retry_attempts(action: Option<&ErrorAction>, out: &mut Vec<SettingProblem>) {
    if let Some(ErrorAction::Retry(n)) = action {
        count_setting("the attempts of `retry`", None, n, out);
    }
}

/// The workflow-level settings the engine cannot use: config `timeout`,
/// `max_concurrent_blocks`, `retry_policy.max_attempts`, `@block_timeout`, `@rollback`, and
/// the attempts of `on_block_error = retry(N)`.
pub fn workflow_problems(workflow: &Workflow) -> Vec<SettingProblem> {
    let mut out = Vec::new();
    if let Some(config) = &workflow.execution_config {
        if let Some(n) = &config.timeout {
            if seconds(&Json::Number(n.value.clone())).is_none() {
                out.push(SettingProblem {
                    span: n.span,
                    key: None,
                    message: format!("`timeout` must be above 0s, not `{}s`", n.value),
                    help: TIMEOUT_HELP,
                });
            }
        }
        if let Some(n) = &config.max_concurrent_blocks {
            count_setting("`max_concurrent_blocks`", None, n, &mut out);
        }
        if let Some(n) = config
            .retry_policy
            .as_ref()
            .and_then(|r| r.max_attempts.as_ref())
        {
            count_setting("`max_attempts`", None, n, &mut out);
        }
        if let Some(e) = extra(&config.extra, "block_timeout") {
            timeout_extra(e, &mut out);
        }
        if let Some(e) = extra(&config.extra, "rollback") {
            if !e.value.value.is_boolean() {
                out.push(SettingProblem {
                    span: e.value.span,
                    key: Some(e.key.span),
                    message: format!(
                        "`rollback` must be `true` or `false`, not `{}`",
                        e.value.value
                    ),
                    help: "`rollback` says whether files written by built-ins are restored \
                           when the run fails; `run` refuses any other value",
                });
            }
        }
    }
    let action = workflow.error_handling.as_ref();
    retry_attempts(action.and_then(|e| e.on_block_error.as_ref()), &mut out);
    out.sort_by_key(|p| p.span.start);
    out
}

/// A block's settings the engine cannot use: its `@timeout`, and the attempts of a code
/// block's `error_handling = retry(N)`. Reads only the block.
pub fn block_problems(block: &Block) -> Vec<SettingProblem> {
    let mut out = Vec::new();
    if let Some(e) = extra(&block.extra, "timeout") {
        timeout_extra(e, &mut out);
    }
    if let BlockKind::Code { error_handling, .. } = &block.kind {
        retry_attempts(error_handling.as_ref(), &mut out);
    }
    out.sort_by_key(|p| p.span.start);
    out
}
