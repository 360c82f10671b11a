//! Python blocks with another interpreter's environment (`--python`, `pythonPath`): a real
//! virtualenv's packages become importable, switching away removes them again, and unusable
//! interpreters are refused with their reason.
//!
//! A test binary of its own: the embedded interpreter (and its `sys.path`) is one per process,
//! and the single test below switches it on purpose, so nothing else may run Python alongside.

use std::path::Path;

use agentblocks_dsl::convert::FileKind;
use agentblocks_engine::events::EventKind;
use agentblocks_engine::executors::python_env::embedded_version;
use agentblocks_engine::{
    plan_text, run_collect, PlanOptions, PythonEnvError, PythonEnvironment, PythonSetting,
    RunOptions, RunStatus,
};
use serde_json::json;

#[path = "support/venv.rs"]
mod venv;
use venv::{fake_python_3_99, venv_with_module};

const WORKFLOW: &str = r#"workflow "Venv" {
  block use_it = python "Use it" {
    dependencies = ["abtiny"]
    out value: Integer
    out paths: List[String]
    out stdlib: String
    code ```
      import os, sys
      import abtiny
      value = abtiny.VALUE
      paths = sys.path
      stdlib = os.path.dirname(os.__file__)
      ```
  }
}
"#;

async fn run(dir: &Path, python: PythonSetting) -> agentblocks_engine::RunReport {
    std::fs::write(dir.join("workflow.ab"), WORKFLOW).unwrap();
    let options = PlanOptions::new(dir.join("workflow.ab"));
    let plan = plan_text(FileKind::Dsl, WORKFLOW, &options).unwrap_or_else(|e| panic!("{e:?}"));
    let (report, events) = run_collect(
        plan,
        RunOptions {
            use_cache: false,
            record_history: false,
            python,
        },
    )
    .await;
    assert!(matches!(
        events.last().map(|e| &e.kind),
        Some(EventKind::RunFinished { .. })
    ));
    report
}

fn error_of(report: &agentblocks_engine::RunReport) -> String {
    assert_eq!(report.status, RunStatus::Failed);
    let block = report.block("use_it").expect("the block ran");
    block.error.as_ref().expect("an error").message.clone()
}

#[tokio::test]
async fn a_virtualenv_s_packages_are_importable_only_while_it_is_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let python = venv_with_module(dir.path()).join("bin/python");

    // Without it: the dependency check names the missing package.
    let error = error_of(&run(dir.path(), PythonSetting::Embedded).await);
    assert!(
        error.contains("needs the Python package `abtiny`"),
        "{error}"
    );

    // With it: imported, and its site-packages comes first on sys.path.
    let environment = PythonEnvironment::probe(&python).expect("the venv's python is usable");
    assert_eq!(environment.version, embedded_version().unwrap());
    assert!(environment.interpreter.is_absolute());
    let site = environment
        .paths
        .iter()
        .find(|p| p.ends_with("site-packages") && p.starts_with(dir.path()))
        .expect("the venv's site-packages")
        .clone();
    let setting = PythonSetting::Environment(environment.into());
    let report = run(dir.path(), setting.clone()).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:?}");
    assert_eq!(report.output("use_it", "value"), Some(&json!(42)));
    let paths: Vec<String> =
        serde_json::from_value(report.output("use_it", "paths").unwrap().clone()).unwrap();
    let stdlib = report.output("use_it", "stdlib").unwrap().as_str().unwrap();
    let site = site.to_str().unwrap();
    let position = |entry: &str| paths.iter().position(|p| p == entry);
    assert_eq!(paths.iter().filter(|p| *p == site).count(), 1, "{paths:?}");
    assert!(position(site) < position(stdlib), "{paths:?}");
    // The same environment again changes nothing.
    let report = run(dir.path(), setting).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:?}");

    // Back to the embedded interpreter alone: gone from sys.path and sys.modules.
    let error = error_of(&run(dir.path(), PythonSetting::Embedded).await);
    assert!(
        error.contains("needs the Python package `abtiny`"),
        "{error}"
    );

    // Imported without a `dependencies` entry: the Python error itself.
    let no_check = WORKFLOW.replace("    dependencies = [\"abtiny\"]\n", "");
    std::fs::write(dir.path().join("workflow.ab"), &no_check).unwrap();
    let plan = plan_text(
        FileKind::Dsl,
        &no_check,
        &PlanOptions::new(dir.path().join("workflow.ab")),
    )
    .unwrap();
    let (report, _) = run_collect(
        plan,
        RunOptions {
            use_cache: false,
            record_history: false,
            python: PythonSetting::Embedded,
        },
    )
    .await;
    let error = error_of(&report);
    assert_eq!(error, "ModuleNotFoundError: No module named 'abtiny'");

    // An unusable interpreter fails the block with its reason rather than run without it.
    let setting = PythonSetting::probe(&dir.path().join("nowhere/bin/python"));
    let error = error_of(&run(dir.path(), setting).await);
    assert_eq!(
        error,
        format!(
            "block `use_it` cannot run: the Python interpreter `{}` does not exist",
            dir.path().join("nowhere/bin/python").display()
        )
    );

    // Another version: named with the embedded one.
    let fake = fake_python_3_99(dir.path());
    let (major, minor) = embedded_version().unwrap();
    let err = PythonEnvironment::probe(&fake).unwrap_err();
    assert!(matches!(err, PythonEnvError::VersionMismatch { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` is Python 3.99; Python blocks run on the embedded Python {major}.{minor}",
            fake.display()
        )
    );
}
