//! Per-call cost of a trivial Python, JavaScript, shell and SQL block (one input, one output).

use std::path::PathBuf;
use std::time::Duration;

use agentblocks_dsl::types::parse_type;
use agentblocks_engine::executors::{
    run_code, CancelFlag, CodeRequest, LogLine, PythonSetting, SourceLocation,
};
use agentblocks_engine::value::Value;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_language(c: &mut Criterion, language: &str, code: &str, output: &str) {
    let inputs = vec![("x".to_string(), Value::Integer(20))];
    let outputs = vec![(output.to_string(), parse_type("Any").expect("type"))];
    let cancel = CancelFlag::new();
    let log = |_line: LogLine| {};
    let workspace = std::env::temp_dir();
    let req = CodeRequest {
        block_id: "bench",
        code,
        inputs: &inputs,
        outputs: &outputs,
        input_types: &[],
        named_types: &[],
        workspace: &workspace,
        timeout: Some(Duration::from_secs(10)),
        cancel: &cancel,
        log: &log,
        source_offset: SourceLocation {
            file: PathBuf::from("bench.ab"),
            line: 1,
            line_map: Vec::new(),
            inline: false,
        },
        python: &PythonSetting::Embedded,
    };
    c.bench_function(&format!("{language} trivial block"), |b| {
        b.iter(|| run_code(language, &req, &[]).expect("block runs"))
    });
}

fn executors(c: &mut Criterion) {
    bench_language(c, "python", "x + 1", "y");
    bench_language(c, "javascript", "x + 1", "y");
    bench_language(c, "shell", "echo $((x + 1))", "stdout");
    bench_language(c, "sql", "SELECT :x + 1 AS y", "rows");
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = executors
}
criterion_main!(benches);
