//! Scheduler overhead: 10,000 no-op built-in blocks (`transform_text` `trim` on a short string)
//! as a chain and as a fan-out, and 1,000 trivial Python blocks as a chain and a fan-out (the
//! shape `benches/dask_compare.py` runs through Dask). Cache and history are off, so the figure
//! is the engine's own per-block cost: planning is outside the measurement.
//!
//! `cargo bench -p agentblocks-engine --bench scheduler`

use std::fmt::Write as _;
use std::time::Duration;

use agentblocks_dsl::convert::FileKind;
use agentblocks_engine::{plan_text, run_collect, Plan, PlanOptions, RunOptions, RunStatus};
use criterion::{criterion_group, criterion_main, Criterion};

/// Which graph to build.
#[derive(Clone, Copy)]
enum Shape {
    Chain,
    FanOut,
}

fn workflow(n: usize, shape: Shape, python: bool) -> String {
    let mut text = String::from(
        "workflow \"Bench\" {\n  config {\n    mode = parallel\n    max_concurrent_blocks = 64\n  }\n  var text: String = \" x \"\n  var x: Integer = 1\n",
    );
    for i in 0..n {
        let source = match (shape, i) {
            (_, 0) => None,
            (Shape::Chain, i) => Some(i - 1),
            (Shape::FanOut, _) => Some(0),
        };
        if python {
            let input = match source {
                Some(s) => format!("    in x: Integer <- b{s}.x\n"),
                None => "    in x: Integer\n".to_string(),
            };
            let _ = write!(
                text,
                "  block b{i} = python \"B\" {{\n{input}    out x: Integer\n    code ```\n      x + 1\n      ```\n  }}\n"
            );
        } else {
            let input = match source {
                Some(s) => format!("    in text: String <- b{s}.text\n"),
                None => "    in text: String\n".to_string(),
            };
            let _ = write!(
                text,
                "  block b{i} = transform_text \"B\" {{\n    operation = \"trim\"\n{input}  }}\n"
            );
        }
    }
    text.push_str("}\n");
    text
}

fn plan_for(n: usize, shape: Shape, python: bool, dir: &std::path::Path) -> Plan {
    let text = workflow(n, shape, python);
    let options = PlanOptions::new(dir.join("bench.ab"));
    plan_text(FileKind::Dsl, &text, &options).unwrap_or_else(|e| panic!("{e:?}"))
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions {
        use_cache: false,
        record_history: false,
        ..RunOptions::default()
    };
    let mut group = c.benchmark_group("scheduler");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for (name, n, shape, python) in [
        ("chain_10000_builtin", 10_000, Shape::Chain, false),
        ("fanout_10000_builtin", 10_000, Shape::FanOut, false),
        ("chain_1000_python", 1_000, Shape::Chain, true),
        ("fanout_1000_python", 1_000, Shape::FanOut, true),
    ] {
        let plan = plan_for(n, shape, python, dir.path());
        group.bench_function(name, |b| {
            b.iter(|| {
                let (report, _) = runtime.block_on(run_collect(plan.clone(), options.clone()));
                assert_eq!(report.status, RunStatus::Succeeded);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
