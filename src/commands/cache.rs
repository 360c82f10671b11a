//! `agentblocks cache`: what a workspace's result cache holds; pruning and clearing it.

use std::path::Path;

use agentblocks_dsl::ide::run::plural;
use agentblocks_engine::cache::{self, Removed};

use crate::output::outln;
use crate::{report_error, Status};

/// What to do with the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Say what it holds.
    Show,
    /// Remove superseded results.
    Prune,
    /// Remove everything.
    Clear,
}

/// Runs `action` on the cache of `workspace`.
pub fn run(workspace: &Path, action: Action) -> Status {
    if let Err(status) = super::workspace_folder(workspace) {
        return status;
    }
    let dir = cache::cache_dir(workspace);
    let result = match action {
        Action::Show => cache::stats(workspace).map(|stats| show(&dir, &stats)),
        Action::Prune => cache::prune(workspace).map(|removed| report("pruned", removed)),
        Action::Clear => cache::clear(workspace).map(|removed| report("cleared", removed)),
    };
    match result {
        Ok(Ok(())) => Status::Success,
        Ok(Err(error)) => crate::output::failed(&error),
        Err(e) => {
            report_error(format!("cannot use the cache `{}`: {e}", dir.display()));
            Status::Usage
        }
    }
}

fn show(dir: &Path, stats: &cache::CacheStats) -> std::io::Result<()> {
    if stats.entries == 0 && stats.latest == 0 {
        return outln!("no cached results in `{}`", dir.display());
    }
    outln!("{}", dir.display())?;
    outln!(
        "  {} result{} ({}), of which {} superseded ({})",
        stats.entries,
        plural(stats.entries),
        size(stats.entry_bytes),
        stats.superseded,
        size(stats.superseded_bytes)
    )?;
    outln!(
        "  {} most recent result{} of blocks ({})",
        stats.latest,
        plural(stats.latest),
        size(stats.latest_bytes)
    )?;
    if stats.superseded > 0 {
        outln!("`agentblocks cache prune` removes the superseded results")?;
    }
    Ok(())
}

fn report(what: &str, removed: Removed) -> std::io::Result<()> {
    outln!(
        "{what}: removed {} file{} ({})",
        removed.files,
        plural(removed.files),
        size(removed.bytes)
    )
}

/// A byte count for people: `812 B`, `3.4 KB`, `12.0 MB`.
fn size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else if b < KB * KB * KB {
        format!("{:.1} MB", b / (KB * KB))
    } else {
        format!("{:.1} GB", b / (KB * KB * KB))
    }
}
