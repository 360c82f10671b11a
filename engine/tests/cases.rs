//! Engine cases as folders: `tests/cases/<name>/workflow.ab`, optional `inputs.json` (variable
//! values, `{"name": value}`), and the expected `outputs.json` (every block's outputs, the
//! workspace written `$WORKSPACE`) or `error.txt` (what failed, or the checker's errors). Each
//! runs through the real engine in a copy of its folder. `BLESS=1` rewrites the expectations.

use std::fs;
use std::path::Path;
use std::time::Duration;

use agentblocks_dsl::convert::FileKind;
use agentblocks_engine::run::BlockStatus;
use agentblocks_engine::{plan_text, run_collect, PlanError, PlanOptions, RunOptions, RunStatus};
use serde_json::{Map, Value as Json};

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn actual(case: &Path) -> (String, String) {
    let work = tempfile::tempdir().unwrap();
    copy_dir(case, work.path());
    let workspace = fs::canonicalize(work.path()).unwrap();
    let text = fs::read_to_string(workspace.join("workflow.ab")).unwrap();
    let mut options = PlanOptions::new(workspace.join("workflow.ab"));
    options.retry_base_delay = Duration::from_millis(1);
    if let Ok(inputs) = fs::read_to_string(workspace.join("inputs.json")) {
        let inputs: Map<String, Json> = serde_json::from_str(&inputs).unwrap();
        options.vars = inputs.into_iter().map(|(k, v)| (k, v.into())).collect();
    }
    let plan = match plan_text(FileKind::Dsl, &text, &options) {
        Ok(plan) => plan,
        Err(PlanError::Invalid(diagnostics)) => {
            let lines: Vec<String> = diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| format!("invalid: {}: {}", d.code, d.message))
                .collect();
            return ("error.txt".into(), lines.join("\n") + "\n");
        }
        Err(PlanError::Usage(message)) => {
            return ("error.txt".into(), format!("usage: {message}\n"))
        }
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (report, _) = runtime.block_on(run_collect(
        plan,
        RunOptions {
            use_cache: false,
            record_history: false,
            ..RunOptions::default()
        },
    ));
    let root = workspace.display().to_string();
    if report.status == RunStatus::Succeeded {
        let mut blocks = Map::new();
        for block in &report.blocks {
            blocks.insert(
                block.id.clone(),
                Json::Object(block.outputs.iter().cloned().collect()),
            );
        }
        let text = serde_json::to_string_pretty(&Json::Object(blocks)).unwrap();
        return (
            "outputs.json".into(),
            text.replace(&root, "$WORKSPACE") + "\n",
        );
    }
    let mut lines = vec![format!("status: {}", report.status.as_str())];
    for block in &report.blocks {
        if block.status == BlockStatus::Succeeded {
            continue;
        }
        let error = block.error.as_ref();
        let line = error
            .and_then(|e| e.location.as_ref())
            .map(|l| format!(" (line {})", l.code_line.unwrap_or(l.line)))
            .unwrap_or_default();
        lines.push(format!(
            "{}: {}{line}: {}",
            block.id,
            block.status.as_str(),
            error.map(|e| e.message.as_str()).unwrap_or("")
        ));
    }
    (
        "error.txt".into(),
        lines.join("\n").replace(&root, "$WORKSPACE") + "\n",
    )
}

#[test]
fn cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let bless = std::env::var_os("BLESS").is_some();
    let mut names: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("workflow.ab").exists())
        .map(|e| e.file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let mut failures = Vec::new();
    for name in names {
        let case = root.join(&name);
        let (file, text) = actual(&case);
        if bless {
            for stale in ["outputs.json", "error.txt"] {
                let _ = fs::remove_file(case.join(stale));
            }
            fs::write(case.join(&file), &text).unwrap();
            continue;
        }
        let expected = fs::read_to_string(case.join(&file)).unwrap_or_default();
        if expected != text {
            failures.push(format!(
                "case `{}`: {file} differs\n--- expected\n{expected}--- actual\n{text}",
                name.to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(BLESS=1 rewrites the expectations)",
        failures.join("\n")
    );
}
