//! Focused scheduler tests: failure, retry, timeout, cancel, cache, concurrency, error policies
//! and rollback, all asserted from the event stream (never from wall-clock time).

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use agentblocks_dsl::convert::FileKind;
use agentblocks_engine::events::{ErrorKind, Event, EventKind};
use agentblocks_engine::run::BlockStatus;
use agentblocks_engine::{
    plan_text, run_collect, Decision, PlanOptions, RunOptions, RunStatus, Target,
};

fn options(dir: &Path) -> PlanOptions {
    let mut options = PlanOptions::new(dir.join("workflow.ab"));
    options.retry_base_delay = Duration::from_millis(1);
    options
}

async fn run_in(
    dir: &Path,
    text: &str,
    cache: bool,
) -> (agentblocks_engine::RunReport, Vec<Event>) {
    std::fs::write(dir.join("workflow.ab"), text).unwrap();
    let plan = plan_text(FileKind::Dsl, text, &options(dir)).unwrap_or_else(|e| panic!("{e:?}"));
    run_collect(
        plan,
        RunOptions {
            use_cache: cache,
            record_history: false,
            ..RunOptions::default()
        },
    )
    .await
}

fn of<'e>(events: &'e [Event], block: &str) -> Vec<&'e EventKind> {
    events
        .iter()
        .filter(|e| e.block.as_deref() == Some(block))
        .map(|e| &e.kind)
        .collect()
}

fn count(events: &[Event], block: &str, pred: fn(&EventKind) -> bool) -> usize {
    of(events, block).into_iter().filter(|k| pred(k)).count()
}

/// The largest number of blocks running at once, replayed from the events.
fn max_overlap(events: &[Event]) -> usize {
    let mut running = HashSet::new();
    let mut most = 0;
    for event in events {
        let block = event.block.clone().unwrap_or_default();
        match &event.kind {
            EventKind::BlockStarted { .. } => {
                running.insert(block);
            }
            EventKind::BlockFinished { .. } | EventKind::BlockFailed { .. } => {
                running.remove(&block);
            }
            _ => {}
        }
        most = most.max(running.len());
    }
    most
}

const TWO_SLEEPERS: &str = r#"workflow "W" {
  config {
    mode = MODE
  }
  block a = shell "A" {
    out stdout: String
    code ```
      sleep 0.3; echo a
      ```
  }
  block b = shell "B" {
    out stdout: String
    code ```
      sleep 0.3; echo b
      ```
  }
  block c = shell "C" {
    out stdout: String
    code ```
      echo c
      ```
  }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_blocks_overlap_and_sequential_ones_never_do() {
    let dir = tempfile::tempdir().unwrap();
    let (report, events) =
        run_in(dir.path(), &TWO_SLEEPERS.replace("MODE", "parallel"), false).await;
    assert_eq!(report.status, RunStatus::Succeeded);
    assert!(max_overlap(&events) >= 2, "{events:#?}");

    let (report, events) = run_in(
        dir.path(),
        &TWO_SLEEPERS.replace("MODE", "sequential"),
        false,
    )
    .await;
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(max_overlap(&events), 1);
    let started: Vec<&str> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::BlockStarted { .. }))
        .filter_map(|e| e.block.as_deref())
        .collect();
    assert_eq!(started, ["a", "b", "c"], "file order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_names_the_block_its_location_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "W" {
  block boom = python "Boom" {
    out x: Integer
    code ```
      y = 1
      x = 1 / 0
      ```
  }
}
"#;
    let (report, events) = run_in(dir.path(), text, false).await;
    assert_eq!(report.status, RunStatus::Failed);
    let failed = of(&events, "boom")
        .into_iter()
        .find_map(|k| match k {
            EventKind::BlockFailed { error, .. } => Some(error.clone()),
            _ => None,
        })
        .unwrap();
    assert!(failed.message.contains("ZeroDivisionError"), "{failed:?}");
    let location = failed.location.unwrap();
    assert_eq!(location.line, 2);
    assert_eq!(location.code_line, Some(6), "{:?}", failed.traceback);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_until_success_counting_attempts_from_events() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "W" {
  config {
    retry_policy {
      max_attempts = 4
      backoff = exponential
    }
  }
  block flaky = shell "Flaky" {
    out stdout: String
    code ```
      n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count
      [ $n -ge 3 ] && echo done || exit 1
      ```
  }
}
"#;
    let (report, events) = run_in(dir.path(), text, false).await;
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(
        count(&events, "flaky", |k| matches!(
            k,
            EventKind::BlockStarted { .. }
        )),
        3
    );
    assert_eq!(
        count(&events, "flaky", |k| matches!(
            k,
            EventKind::BlockFailed {
                will_retry: true,
                ..
            }
        )),
        2
    );
    assert_eq!(
        report.output("flaky", "stdout"),
        Some(&serde_json::json!("done"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_timeout_stops_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "W" {
  block slow = shell "Slow" {
    @timeout = 0.3
    out stdout: String
    code ```
      sleep 20
      ```
  }
}
"#;
    let (report, events) = run_in(dir.path(), text, false).await;
    assert_eq!(report.status, RunStatus::Failed);
    let kind = of(&events, "slow").into_iter().find_map(|k| match k {
        EventKind::BlockFailed { error, .. } => Some(error.kind),
        _ => None,
    });
    assert_eq!(kind, Some(ErrorKind::Timeout));
    assert!(report.duration < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_run_timeout_skips_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "W" {
  config {
    mode = sequential
    timeout = 0.3s
  }
  block slow = shell "Slow" {
    out stdout: String
    code ```
      sleep 20
      ```
  }
  block next = shell "Next" {
    in x: String <- slow.stdout
    out stdout: String
    code ```
      echo hi
      ```
  }
}
"#;
    let (report, events) = run_in(dir.path(), text, false).await;
    assert_eq!(report.status, RunStatus::TimedOut);
    assert_eq!(
        count(&events, "next", |k| matches!(
            k,
            EventKind::BlockSkipped { .. }
        )),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_running_code_and_skips_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "W" {
  block slow = shell "Slow" {
    out stdout: String
    code ```
      echo $$ > pid; sleep 30
      ```
  }
  block after = shell "After" {
    in x: String <- slow.stdout
    out stdout: String
    code ```
      echo never
      ```
  }
}
"#;
    std::fs::write(dir.path().join("workflow.ab"), text).unwrap();
    let plan = plan_text(FileKind::Dsl, text, &options(dir.path())).unwrap();
    let mut handle = agentblocks_engine::start(
        plan,
        RunOptions {
            use_cache: false,
            record_history: false,
            ..RunOptions::default()
        },
    );
    let mut events = Vec::new();
    while let Some(event) = handle.events.recv().await {
        if matches!(event.kind, EventKind::BlockStarted { .. }) {
            // Let the shell write its pid, then cancel.
            while !dir.path().join("pid").exists() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            handle.cancel.cancel();
        }
        events.push(event);
    }
    let report = handle.wait().await;
    assert_eq!(report.status, RunStatus::Cancelled);
    // The block stopped while running counts as cancelled, not failed.
    assert!(matches!(
        events.last().map(|e| &e.kind),
        Some(EventKind::RunFinished {
            failed: 0,
            cancelled: 1,
            skipped: 1,
            ..
        })
    ));
    assert_eq!(
        count(&events, "after", |k| matches!(
            k,
            EventKind::BlockSkipped { .. }
        )),
        1
    );
    let pid: i32 = std::fs::read_to_string(dir.path().join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    assert!(!alive, "the shell {pid} survived the cancel");
}

const CACHED: &str = r#"workflow "W" {
  var word: String = "WORD"
  block up = python "Up" {
    in word: String
    out text: String
    code ```
      word.upper() + "!"
      ```
  }
  block trim = transform_text "Trim" {
    operation = "lower"
    in text: String <- up.text
  }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_comes_from_the_cache_and_explain_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (_, events) = run_in(dir.path(), &CACHED.replace("WORD", "hello"), true).await;
    assert_eq!(
        count(&events, "up", |k| matches!(
            k,
            EventKind::BlockFinished { .. }
        )),
        1
    );
    let (report, events) = run_in(dir.path(), &CACHED.replace("WORD", "hello"), true).await;
    assert_eq!(
        count(&events, "up", |k| matches!(
            k,
            EventKind::BlockCached { .. }
        )),
        1
    );
    assert_eq!(
        count(&events, "trim", |k| matches!(
            k,
            EventKind::BlockCached { .. }
        )),
        1
    );
    assert_eq!(
        report.output("trim", "text"),
        Some(&serde_json::json!("hello!"))
    );

    let changed = CACHED.replace("WORD", "world");
    let plan = plan_text(FileKind::Dsl, &changed, &options(dir.path())).unwrap();
    let explained = agentblocks_engine::explain(&plan, &Default::default());
    assert_eq!(
        explained[0].decision,
        Decision::WillRun {
            reason: "input `word` changed".into()
        }
    );
    assert_eq!(
        explained[1].decision,
        Decision::MayRun {
            reason: "depends on `up`, which will run".into()
        }
    );
    let (_, events) = run_in(dir.path(), &changed, true).await;
    assert_eq!(
        count(&events, "up", |k| matches!(
            k,
            EventKind::BlockFinished { .. }
        )),
        1
    );

    let code_changed = changed.replace("+ \"!\"", "+ \"?\"");
    let plan = plan_text(FileKind::Dsl, &code_changed, &options(dir.path())).unwrap();
    assert_eq!(
        agentblocks_engine::explain(&plan, &Default::default())[0].decision,
        Decision::WillRun {
            reason: "code changed".into()
        }
    );
    // Without the cache every block runs.
    let no_cache = RunOptions {
        use_cache: false,
        ..RunOptions::default()
    };
    assert!(agentblocks_engine::explain(&plan, &no_cache)
        .iter()
        .all(|line| line.decision
            == Decision::WillRun {
                reason: "`--no-cache`".into()
            }));
    // `--block trim` takes `up`'s latest result, of the earlier code, and says so.
    let mut block_options = options(dir.path());
    block_options.target = Target::Block("trim".into());
    let plan = plan_text(FileKind::Dsl, &code_changed, &block_options).unwrap();
    assert!(matches!(
        &agentblocks_engine::explain(&plan, &Default::default())[0].decision,
        Decision::Cached { outdated: Some(why), .. } if why == "code changed"
    ));
    let (report, events) = run_collect(
        plan,
        RunOptions {
            record_history: false,
            ..RunOptions::default()
        },
    )
    .await;
    assert_eq!(report.status, RunStatus::Succeeded);
    assert!(of(&events, "up").iter().any(|k| matches!(
        k,
        EventKind::BlockCached { outdated: Some(why), .. } if why == "code changed"
    )));
    // With `--no-cache` the upstream block runs instead.
    let plan = plan_text(FileKind::Dsl, &code_changed, &block_options).unwrap();
    let (report, _) = run_collect(
        plan,
        RunOptions {
            use_cache: false,
            record_history: false,
            ..RunOptions::default()
        },
    )
    .await;
    assert_eq!(report.block("up").unwrap().status, BlockStatus::Succeeded);
    assert_eq!(
        report.output("up", "text"),
        Some(&serde_json::json!("WORLD?"))
    );
}

const POLICY: &str = r#"workflow "W" {
  config {
    mode = sequential
  }
  error_handling {
    on_block_error = POLICY
  }
  block bad = shell "Bad" {
    out stdout: String
    code ```
      exit 3
      ```
  }
  block child = shell "Child" {
    in x: String <- bad.stdout
    out stdout: String
    code ```
      echo child
      ```
  }
  block other = shell "Other" {
    out stdout: String
    code ```
      echo other
      ```
  }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_skips_only_dependents_and_stop_skips_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (report, events) = run_in(dir.path(), &POLICY.replace("POLICY", "continue"), false).await;
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(
        count(&events, "child", |k| matches!(
            k,
            EventKind::BlockSkipped { .. }
        )),
        1
    );
    assert_eq!(
        count(&events, "other", |k| matches!(
            k,
            EventKind::BlockFinished { .. }
        )),
        1
    );

    let (report, events) = run_in(dir.path(), &POLICY.replace("POLICY", "stop"), false).await;
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(
        count(&events, "child", |k| matches!(
            k,
            EventKind::BlockSkipped { .. }
        )),
        1
    );
    assert_eq!(
        count(&events, "other", |k| matches!(
            k,
            EventKind::BlockSkipped { .. }
        )),
        1
    );
    assert_eq!(
        count(&events, "other", |k| matches!(
            k,
            EventKind::BlockStarted { .. }
        )),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_restores_written_files_when_the_run_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kept.txt"), "original").unwrap();
    let text = r#"workflow "W" {
  config {
    mode = sequential
    @rollback = true
  }
  var content: String = "changed"
  block write = write_file "Write" {
    path = "kept.txt"
    in content: String
  }
  block fresh = write_file "Fresh" {
    path = "new/fresh.txt"
    in content: String
  }
  block fail = shell "Fail" {
    in p: Path <- fresh.path
    out stdout: String
    code ```
      exit 1
      ```
  }
}
"#;
    let (report, events) = run_in(dir.path(), text, false).await;
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("kept.txt")).unwrap(),
        "original"
    );
    assert!(!dir.path().join("new/fresh.txt").exists());
    let rolled = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Warning { message } if message.starts_with("rolled back")))
        .count();
    assert_eq!(rolled, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_runs_as_parallel_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (report, events) = run_in(
        dir.path(),
        &TWO_SLEEPERS.replace("MODE", "streaming"),
        false,
    )
    .await;
    assert_eq!(report.status, RunStatus::Succeeded);
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Warning { message } if message.contains("`streaming` runs as `parallel`"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checker_errors_stop_the_run_before_anything_executes() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "W" {
  block a = shell "A" {
    out stdout: String
    code ```
      touch ran
      ```
  }
  block b = python "B" {
    in n: Integer <- a.stdout
    out m: Integer
    code ```
      n
      ```
  }
}
"#;
    let result = plan_text(FileKind::Dsl, text, &options(dir.path()));
    let Err(agentblocks_engine::PlanError::Invalid(diagnostics)) = result else {
        panic!("expected checker errors");
    };
    assert!(diagnostics.iter().any(|d| d.is_error()));
    assert!(!dir.path().join("ran").exists());
}

/// The failure of the only block of a run of `text`: (workflow line, traceback).
async fn failed_at(dir: &Path, text: &str, block: &str) -> (Option<u32>, String) {
    let (report, events) = run_in(dir, text, false).await;
    assert_eq!(report.status, RunStatus::Failed, "{events:#?}");
    let error = of(&events, block)
        .into_iter()
        .find_map(|k| match k {
            EventKind::BlockFailed { error, .. } => Some(error.clone()),
            _ => None,
        })
        .unwrap();
    (
        error.location.unwrap().code_line,
        error.traceback.unwrap_or_default(),
    )
}

// Line 7 is `{{body}}` (three lines once expanded), line 8 the line after it.
const PYTHON_TEMPLATE: &str = r#"workflow "W" {
  block make = template python "Make" {
    param body: String = "BODY"
    placeholder body = code_block(python)
    out x: Integer
    template ```
      {{body}}
      x = LAST
      ```
  }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_template_failure_points_at_the_template_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = PYTHON_TEMPLATE
        .replace("BODY", r"a = 1\nb = 2\nc = 3")
        .replace("LAST", "1 / 0");
    let (line, traceback) = failed_at(dir.path(), &text, "make").await;
    assert_eq!(line, Some(8), "{traceback}");
    assert!(traceback.contains("workflow.ab\", line 8"), "{traceback}");

    // A failure inside the placeholder's lines is the placeholder's line.
    let text = PYTHON_TEMPLATE
        .replace("BODY", r"a = 1\nb = 1 / 0\nc = 3")
        .replace("LAST", "1");
    let (line, traceback) = failed_at(dir.path(), &text, "make").await;
    assert_eq!(line, Some(7), "{traceback}");

    // So is a syntax error.
    let text = PYTHON_TEMPLATE
        .replace("BODY", r"a = 1\nb = 2\nc = 3")
        .replace("LAST", "(");
    let (line, traceback) = failed_at(dir.path(), &text, "make").await;
    assert_eq!(line, Some(8), "{traceback}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_template_failure_points_at_the_template_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "W" {
  block make = template javascript "Make" {
    param body: String = "let a = 1;\nlet b = 2;\nlet c = 3;"
    placeholder body = code_block(javascript)
    out x: Integer
    template ```
      {{body}}
      throw new Error("boom");
      ```
  }
}
"#;
    let (line, traceback) = failed_at(dir.path(), text, "make").await;
    assert_eq!(line, Some(8), "{traceback}");
    assert!(traceback.contains("workflow.ab:8"), "{traceback}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_template_failure_points_at_the_template_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"workflow "W" {
  block make = template shell "Make" {
    param body: String = "true\ntrue\ntrue"
    placeholder body = code_block(shell)
    out stdout: String
    template ```
      {{body}}
      no_such_command_here
      ```
  }
}
"#;
    let (line, traceback) = failed_at(dir.path(), text, "make").await;
    assert_eq!(line, Some(8), "{traceback}");
}

/// The `progress` events of `block`: (fraction, message).
fn progress_of(events: &[Event], block: &str) -> Vec<(Option<f64>, String)> {
    of(events, block)
        .into_iter()
        .filter_map(|k| match k {
            EventKind::Progress { fraction, message } => Some((*fraction, message.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_ins_report_progress_a_bounded_number_of_times() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    for i in 0..2000 {
        let text = if i % 2 == 0 { "keep me" } else { "drop me" };
        std::fs::write(files.join(format!("f{i:04}.txt")), text).unwrap();
    }
    let text = r#"workflow "W" {
  block find = find_files "Find" {
    directory = "files"
    patterns = ["*.txt"]
  }
  block filter = filter_content "Filter" {
    pattern = "keep"
    in files: List[Path] <- find.files
  }
  block list = list_directory "List" {
    path = "files"
  }
}
"#;
    let (report, events) = run_in(dir.path(), text, false).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{events:#?}");

    // Filtering knows its total: fractions in 0..=1, rising, ending at 1.
    let filter = progress_of(&events, "filter");
    assert!(!filter.is_empty());
    let fractions: Vec<f64> = filter.iter().map(|(f, _)| f.unwrap()).collect();
    assert!(
        fractions.iter().all(|f| (0.0..=1.0).contains(f)),
        "{fractions:?}"
    );
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    assert_eq!(fractions.last(), Some(&1.0));
    assert!(
        filter.last().unwrap().1.contains("2000 of 2000"),
        "{filter:?}"
    );
    // Rate-limited by fraction: at most one per 1% (plus the start and the end), not per file.
    assert!(filter.len() <= 102, "{} events", filter.len());
    // Every progress event comes while the block runs.
    let kinds = of(&events, "filter");
    let started = kinds
        .iter()
        .position(|k| matches!(k, EventKind::BlockStarted { .. }))
        .unwrap();
    let finished = kinds
        .iter()
        .position(|k| matches!(k, EventKind::BlockFinished { .. }))
        .unwrap();
    assert!(kinds[started..finished]
        .iter()
        .any(|k| matches!(k, EventKind::Progress { .. })));
    assert!(!kinds[finished..]
        .iter()
        .any(|k| matches!(k, EventKind::Progress { .. })));

    // Finding files does not know the total until the end; it ends with the count.
    let find = progress_of(&events, "find");
    let (last_fraction, last_message) = find.last().unwrap();
    assert_eq!(*last_fraction, Some(1.0));
    assert_eq!(last_message, "2000 files found");
    assert!(find[..find.len() - 1].iter().all(|(f, _)| f.is_none()));
    assert!(find.len() < 2000 / 10, "{} events", find.len());

    let list = progress_of(&events, "list");
    assert_eq!(list.last().unwrap().1, "2000 entries listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_hit_becomes_the_latest_result_that_block_and_prune_use() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (CACHED.replace("WORD", "a"), CACHED.replace("WORD", "b"));
    run_in(dir.path(), &a, true).await;
    run_in(dir.path(), &b, true).await;
    // Back to `a`: every block is served from the cache...
    let (report, _) = run_in(dir.path(), &a, true).await;
    assert_eq!(report.block("up").unwrap().status, BlockStatus::Cached);
    // ...and those results are the latest now: `--block trim` reads `up`'s `a` result.
    let mut block_options = options(dir.path());
    block_options.target = Target::Block("trim".into());
    let plan = plan_text(FileKind::Dsl, &a, &block_options).unwrap();
    let (report, _) = run_collect(
        plan,
        RunOptions {
            record_history: false,
            ..RunOptions::default()
        },
    )
    .await;
    assert_eq!(report.output("up", "text"), Some(&serde_json::json!("A!")));
    assert_eq!(
        report.output("trim", "text"),
        Some(&serde_json::json!("a!"))
    );
    // Pruning keeps what the last runs used: `a` is still served from the cache.
    agentblocks_engine::cache::prune(dir.path()).unwrap();
    let (report, _) = run_in(dir.path(), &a, true).await;
    assert_eq!(report.block("up").unwrap().status, BlockStatus::Cached);
    assert_eq!(report.block("trim").unwrap().status, BlockStatus::Cached);
}
