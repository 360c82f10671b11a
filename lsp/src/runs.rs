//! Runs started from the editor: at most one per document, each driven on tokio by the engine,
//! its events forwarded as `agentblocks/runEvent` notifications and `$/progress` reports, and
//! what each block last did kept for hovers.
//!
//! A second run of a document cancels and replaces the first: the first run is cancelled (its
//! request answers with status `cancelled`), and the second starts once the first has stopped,
//! so two runs never write one workspace's cache at once. A run stops when its token is
//! cancelled: by `agentblocks/cancelRun`, by a replacing run, or by `$/cancelRequest` on the
//! request that started it (the request's future is dropped, which cancels the token).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use agentblocks_dsl::ide::run::{ago, BlockRun, PortValue};
use agentblocks_engine::events::{now_ms, ErrorKind, Event, EventKind};
use agentblocks_engine::{Plan, RunOptions, RunStatus};
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;
use tower_lsp_server::lsp_types::notification::Progress;
use tower_lsp_server::lsp_types::request::WorkDoneProgressCreate;
use tower_lsp_server::lsp_types::{
    ProgressParams, ProgressParamsValue, ProgressToken, Uri, WorkDoneProgress,
    WorkDoneProgressBegin, WorkDoneProgressCreateParams, WorkDoneProgressEnd,
    WorkDoneProgressReport,
};
use tower_lsp_server::Client;

use crate::ext::{self, RunEvent, RunEventParams};
use crate::handlers::run::result;

/// The run of a document that is under way.
#[derive(Debug)]
struct Active {
    run_id: String,
    cancel: CancellationToken,
    /// Becomes true when the run has ended.
    done: watch::Receiver<bool>,
}

/// What one block last did, and when.
#[derive(Clone, Debug)]
struct Last {
    run: BlockRun,
    at_ms: u64,
}

/// The server's runs: those under way and what each block of each document last did.
#[derive(Debug, Default)]
pub struct Runs {
    active: Mutex<HashMap<String, Active>>,
    last: Mutex<HashMap<String, HashMap<String, Last>>>,
    next_id: AtomicU64,
    progress: AtomicBool,
    lens_refresh: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Ends a run's bookkeeping even if its driver panics: forgets it as the document's active
/// run (unless a newer one replaced it) and says it is done.
struct Finish {
    runs: Arc<Runs>,
    key: String,
    run_id: String,
    done: watch::Sender<bool>,
}

impl Drop for Finish {
    fn drop(&mut self) {
        let mut active = lock(&self.runs.active);
        if active
            .get(&self.key)
            .is_some_and(|a| a.run_id == self.run_id)
        {
            active.remove(&self.key);
        }
        drop(active);
        let _ = self.done.send(true);
    }
}

impl Runs {
    /// Whether the client takes `window/workDoneProgress/create` and
    /// `workspace/codeLens/refresh`.
    pub fn set_client_support(&self, progress: bool, lens_refresh: bool) {
        self.progress.store(progress, Ordering::Relaxed);
        self.lens_refresh.store(lens_refresh, Ordering::Relaxed);
    }

    /// What each block of the document last did (block id to its last run).
    pub fn last_runs(&self, uri: &str) -> HashMap<String, BlockRun> {
        let now = now_ms();
        lock(&self.last)
            .get(uri)
            .map(|blocks| {
                blocks
                    .iter()
                    .map(|(id, last)| {
                        let mut run = last.run.clone();
                        run.ago = Some(ago(now.saturating_sub(last.at_ms)));
                        (id.clone(), run)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Cancels the document's run; returns its id, or `None` when none was running.
    pub fn cancel(&self, uri: &str) -> Option<String> {
        let active = lock(&self.active);
        let run = active.get(uri)?;
        run.cancel.cancel();
        Some(run.run_id.clone())
    }

    /// Runs `plan` for the document `uri`, replacing (cancelling) a run of it under way, and
    /// returns the final report. Dropping the returned future cancels the run.
    pub async fn run(
        self: Arc<Self>,
        client: Client,
        uri: Uri,
        plan: Plan,
        options: RunOptions,
        token: Option<ProgressToken>,
    ) -> ext::RunResult {
        let run_id = (self.next_id.fetch_add(1, Ordering::Relaxed) + 1).to_string();
        let key = uri.as_str().to_owned();
        let cancel = CancellationToken::new();
        let (done_tx, done_rx) = watch::channel(false);
        let previous = lock(&self.active).insert(
            key.clone(),
            Active {
                run_id: run_id.clone(),
                cancel: cancel.clone(),
                done: done_rx,
            },
        );
        let guard = cancel.clone().drop_guard();
        let (result_tx, result_rx) = oneshot::channel();
        let finish = Finish {
            runs: self.clone(),
            key,
            run_id: run_id.clone(),
            done: done_tx,
        };
        let id = run_id.clone();
        tokio::spawn(async move {
            let _finish = finish;
            if let Some(previous) = previous {
                previous.cancel.cancel();
                let mut done = previous.done;
                let _ = done.wait_for(|d| *d).await;
            }
            let result = self
                .drive(&client, &uri, &id, plan, options, token, cancel)
                .await;
            if self.lens_refresh.load(Ordering::Relaxed) {
                let _ = client.code_lens_refresh().await;
            }
            let _ = result_tx.send(result);
        });
        let answer = result_rx.await;
        guard.disarm();
        answer.unwrap_or_else(|_| ext::RunResult {
            run_id,
            history_id: None,
            status: RunStatus::Failed.as_str().to_owned(),
            duration_ms: 0,
            blocks: Vec::new(),
        })
    }

    /// Runs the plan to its end, forwarding events and progress.
    #[allow(clippy::too_many_arguments)]
    async fn drive(
        &self,
        client: &Client,
        uri: &Uri,
        run_id: &str,
        plan: Plan,
        options: RunOptions,
        token: Option<ProgressToken>,
        cancel: CancellationToken,
    ) -> ext::RunResult {
        let notify = |event: Event| {
            client.send_notification::<RunEvent>(RunEventParams {
                uri: uri.clone(),
                run_id: run_id.to_owned(),
                event,
            })
        };
        if cancel.is_cancelled() {
            // Replaced before it began: it ends at once, with the one event that ends a run.
            notify(Event {
                ts_ms: now_ms(),
                block: None,
                kind: EventKind::RunFinished {
                    status: RunStatus::Cancelled,
                    duration_ms: 0,
                    succeeded: 0,
                    cached: 0,
                    failed: 0,
                    cancelled: 0,
                    skipped: 0,
                },
            })
            .await;
            return ext::RunResult {
                run_id: run_id.to_owned(),
                history_id: None,
                status: RunStatus::Cancelled.as_str().to_owned(),
                duration_ms: 0,
                blocks: Vec::new(),
            };
        }
        let total = plan.selected.iter().filter(|s| **s).count().max(1);
        let name = plan
            .workflow_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let progress = self
            .begin_progress(client, run_id, token, &name, total)
            .await;
        let mut handle = agentblocks_engine::start(plan, options);
        let mut stopping = false;
        let mut ended = 0usize;
        loop {
            let event = tokio::select! {
                event = handle.events.recv() => event,
                _ = cancel.cancelled(), if !stopping => {
                    stopping = true;
                    handle.cancel.cancel();
                    continue;
                }
            };
            let Some(event) = event else { break };
            self.remember(uri.as_str(), &event);
            if let (Some(token), Some(block)) = (&progress, &event.block) {
                let message = match &event.kind {
                    EventKind::BlockStarted { .. } => Some(format!("{block}: running")),
                    EventKind::BlockFinished { .. } => Some(format!("{block}: succeeded")),
                    EventKind::BlockCached { .. } => Some(format!("{block}: cached")),
                    EventKind::BlockFailed {
                        will_retry: false, ..
                    } => Some(format!("{block}: failed")),
                    EventKind::BlockSkipped { .. } => Some(format!("{block}: skipped")),
                    _ => None,
                };
                if let Some(message) = message {
                    if !matches!(event.kind, EventKind::BlockStarted { .. }) {
                        ended += 1;
                    }
                    let percentage = (ended.min(total) * 100 / total) as u32;
                    send_progress(
                        client,
                        token,
                        WorkDoneProgress::Report(WorkDoneProgressReport {
                            cancellable: Some(false),
                            message: Some(format!("{message} ({ended}/{total})")),
                            percentage: Some(percentage),
                        }),
                    )
                    .await;
                }
            }
            notify(event).await;
        }
        let report = handle.wait().await;
        let result = result(run_id, &report);
        if let Some(token) = &progress {
            let message = format!(
                "run {} in {}",
                result.status,
                agentblocks_dsl::ide::run::duration(result.duration_ms)
            );
            send_progress(
                client,
                token,
                WorkDoneProgress::End(WorkDoneProgressEnd {
                    message: Some(message),
                }),
            )
            .await;
        }
        result
    }

    /// Begins the run's work-done progress: on the client's token, or on one the server creates
    /// when the client supports that; `None` when there is none.
    async fn begin_progress(
        &self,
        client: &Client,
        run_id: &str,
        token: Option<ProgressToken>,
        name: &str,
        total: usize,
    ) -> Option<ProgressToken> {
        let token = match token {
            Some(token) => token,
            None if self.progress.load(Ordering::Relaxed) => {
                let token = ProgressToken::String(format!("agentblocks/run/{run_id}"));
                client
                    .send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                        token: token.clone(),
                    })
                    .await
                    .ok()?;
                token
            }
            None => return None,
        };
        send_progress(
            client,
            &token,
            WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: format!("Running {name}"),
                cancellable: Some(false),
                message: Some(format!(
                    "{total} block{}",
                    if total == 1 { "" } else { "s" }
                )),
                percentage: Some(0),
            }),
        )
        .await;
        Some(token)
    }

    /// Keeps what a block did, for hovers.
    fn remember(&self, uri: &str, event: &Event) {
        let Some(block) = &event.block else { return };
        let outputs = |values: &[agentblocks_engine::events::OutputValue]| {
            values
                .iter()
                .map(|o| PortValue {
                    port: o.port.clone(),
                    preview: o.preview.clone(),
                    value: o.value.clone(),
                })
                .collect()
        };
        let run = match &event.kind {
            EventKind::BlockFinished {
                outputs: values,
                duration_ms,
                ..
            } => BlockRun {
                status: "succeeded".into(),
                duration_ms: Some(*duration_ms),
                outputs: outputs(values),
                ..BlockRun::default()
            },
            EventKind::BlockCached {
                outputs: values, ..
            } => BlockRun {
                status: "cached".into(),
                outputs: outputs(values),
                ..BlockRun::default()
            },
            EventKind::BlockFailed {
                error,
                will_retry: false,
                duration_ms,
                ..
            } => BlockRun {
                status: if error.kind == ErrorKind::Cancelled {
                    "cancelled".into()
                } else {
                    "failed".into()
                },
                duration_ms: Some(*duration_ms),
                error: Some(error.message.clone()),
                ..BlockRun::default()
            },
            EventKind::BlockSkipped { reason } => BlockRun {
                status: "skipped".into(),
                error: Some(reason.clone()),
                ..BlockRun::default()
            },
            _ => return,
        };
        lock(&self.last).entry(uri.to_owned()).or_default().insert(
            block.clone(),
            Last {
                run,
                at_ms: event.ts_ms,
            },
        );
    }
}

async fn send_progress(client: &Client, token: &ProgressToken, value: WorkDoneProgress) {
    client
        .send_notification::<Progress>(ProgressParams {
            token: token.clone(),
            value: ProgressParamsValue::WorkDone(value),
        })
        .await;
}
