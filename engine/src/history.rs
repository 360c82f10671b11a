//! The run history: every run recorded in SQLite at `<workspace>/.agentblocks/runs.db` (WAL),
//! with each block's status, duration, outputs and log.
//!
//! A run is written as `running` (with the process id) before its first block starts, and each
//! block's row as soon as it ends, so a run killed with SIGKILL leaves a readable database with
//! what finished. [`History::open`] marks every `running` run whose process is gone as
//! `interrupted`.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::events::now_ms;

/// A failure of the history database itself.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// SQLite failed.
    #[error("run history: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The folder could not be made.
    #[error("run history: {0}")]
    Io(#[from] std::io::Error),
}

/// One recorded run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunRecord {
    /// Its id.
    pub id: i64,
    /// The workflow file.
    pub workflow: String,
    /// When it started, in milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// When it ended; `None` while running or when interrupted.
    pub ended_ms: Option<u64>,
    /// `running`, `succeeded`, `failed`, `cancelled`, `timed_out` or `interrupted`.
    pub status: String,
    /// The process that ran it.
    pub pid: u32,
}

/// One block of a recorded run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockRecord {
    /// The block's id.
    pub block: String,
    /// `succeeded`, `cached`, `failed` or `skipped`.
    pub status: String,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// Its outputs as a JSON object (port to value).
    pub outputs: serde_json::Value,
    /// What it printed, one line a line.
    pub log: String,
    /// The error message, when it failed; the reason, when it was skipped.
    pub error: Option<String>,
}

/// An open history database.
pub struct History {
    conn: Connection,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").finish_non_exhaustive()
    }
}

/// The history file of a workspace.
pub fn history_path(workspace: &Path) -> PathBuf {
    workspace.join(".agentblocks").join("runs.db")
}

impl History {
    /// Opens (creating when needed) the history of `workspace`, and marks runs left `running`
    /// by a process that no longer exists as `interrupted`.
    pub fn open(workspace: &Path) -> Result<History, HistoryError> {
        let path = history_path(workspace);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                workflow TEXT NOT NULL,
                started_ms INTEGER NOT NULL,
                ended_ms INTEGER,
                status TEXT NOT NULL,
                pid INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS blocks (
                run_id INTEGER NOT NULL REFERENCES runs(id),
                block TEXT NOT NULL,
                status TEXT NOT NULL,
                duration_ms INTEGER NOT NULL,
                outputs TEXT NOT NULL,
                log TEXT NOT NULL,
                error TEXT,
                PRIMARY KEY (run_id, block)
            );",
        )?;
        let history = History { conn };
        history.mark_interrupted()?;
        Ok(history)
    }

    fn mark_interrupted(&self) -> Result<(), HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, pid FROM runs WHERE status = 'running'")?;
        let running: Vec<(i64, u32)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, pid) in running {
            if !process_alive(pid) {
                self.conn.execute(
                    "UPDATE runs SET status = 'interrupted' WHERE id = ?1",
                    params![id],
                )?;
            }
        }
        Ok(())
    }

    /// Records a run as `running` now; returns its id.
    pub fn start_run(&self, workflow: &Path) -> Result<i64, HistoryError> {
        self.conn.execute(
            "INSERT INTO runs (workflow, started_ms, status, pid) VALUES (?1, ?2, 'running', ?3)",
            params![
                workflow.display().to_string(),
                now_ms() as i64,
                std::process::id()
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records how one block of run `run_id` ended.
    pub fn record_block(&self, run_id: i64, block: &BlockRecord) -> Result<(), HistoryError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO blocks (run_id, block, status, duration_ms, outputs, log, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                run_id,
                block.block,
                block.status,
                block.duration_ms as i64,
                block.outputs.to_string(),
                block.log,
                block.error,
            ],
        )?;
        Ok(())
    }

    /// Records how run `run_id` ended.
    pub fn finish_run(&self, run_id: i64, status: &str) -> Result<(), HistoryError> {
        self.conn.execute(
            "UPDATE runs SET status = ?2, ended_ms = ?3 WHERE id = ?1",
            params![run_id, status, now_ms() as i64],
        )?;
        Ok(())
    }

    /// The most recent runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, HistoryError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, workflow, started_ms, ended_ms, status, pid FROM runs
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map(params![limit as i64], run_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// One run and its blocks (in the order they ended).
    pub fn run(&self, id: i64) -> Result<Option<(RunRecord, Vec<BlockRecord>)>, HistoryError> {
        let run = self
            .conn
            .query_row(
                "SELECT id, workflow, started_ms, ended_ms, status, pid FROM runs WHERE id = ?1",
                params![id],
                run_row,
            )
            .optional()?;
        let Some(run) = run else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare(
            "SELECT block, status, duration_ms, outputs, log, error FROM blocks
             WHERE run_id = ?1 ORDER BY rowid",
        )?;
        let blocks = stmt
            .query_map(params![id], |row| {
                let outputs: String = row.get(3)?;
                Ok(BlockRecord {
                    block: row.get(0)?,
                    status: row.get(1)?,
                    duration_ms: row.get::<_, i64>(2)?.max(0) as u64,
                    outputs: serde_json::from_str(&outputs).unwrap_or(serde_json::Value::Null),
                    log: row.get(4)?,
                    error: row.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Some((run, blocks)))
    }
}

fn run_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: row.get(0)?,
        workflow: row.get(1)?,
        started_ms: row.get::<_, i64>(2)?.max(0) as u64,
        ended_ms: row.get::<_, Option<i64>>(3)?.map(|v| v.max(0) as u64),
        status: row.get(4)?,
        pid: row.get(5)?,
    })
}

/// True when a process with id `pid` exists (signal 0 probes without sending anything).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 performs only the existence and permission check.
    let result = unsafe { libc::kill(pid, 0) };
    if result == 0 {
        // A zombie still answers; treat it as dead when /proc says so.
        let status = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        return !status
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z'));
    }
    std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_runs_and_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open(dir.path()).unwrap();
        let id = history.start_run(Path::new("w.ab")).unwrap();
        history
            .record_block(
                id,
                &BlockRecord {
                    block: "a".into(),
                    status: "succeeded".into(),
                    duration_ms: 3,
                    outputs: serde_json::json!({"x": 1}),
                    log: "hi".into(),
                    error: None,
                },
            )
            .unwrap();
        history.finish_run(id, "succeeded").unwrap();
        let (run, blocks) = history.run(id).unwrap().unwrap();
        assert_eq!(run.status, "succeeded");
        assert_eq!(blocks[0].outputs["x"], 1);
        assert_eq!(history.runs(10).unwrap().len(), 1);
    }

    #[test]
    fn a_dead_process_run_is_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        {
            let history = History::open(dir.path()).unwrap();
            history
                .conn
                .execute(
                    "INSERT INTO runs (workflow, started_ms, status, pid) VALUES ('w', 0, 'running', ?1)",
                    params![i32::MAX - 7],
                )
                .unwrap();
        }
        let history = History::open(dir.path()).unwrap();
        assert_eq!(history.runs(1).unwrap()[0].status, "interrupted");
    }
}
