//! Speed of the language front end on a generated 5,000-block workflow: parse + lower, both
//! conversions, the formatter, and the incremental re-parse after a one-character edit.
//!
//! `cargo bench --bench language` prints times and MB/s (criterion's throughput).

use std::hint::black_box;

use agentblocks_dsl::convert::{analyze, convert, read, FileKind};
use agentblocks_dsl::syntax;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "support/generated.rs"]
mod generated;
use generated::generated_workflow;

fn language(c: &mut Criterion) {
    let dsl = generated_workflow(5_000);
    let json = convert(FileKind::Dsl, FileKind::Json, &dsl)
        .expect("the generated workflow converts")
        .text;
    let mut group = c.benchmark_group("5000 blocks");
    group.sample_size(20);

    group.throughput(Throughput::Bytes(dsl.len() as u64));
    group.bench_function(BenchmarkId::new("parse", "dsl"), |b| {
        b.iter(|| syntax::parse(black_box(&dsl)))
    });
    group.bench_function(BenchmarkId::new("parse+lower", "dsl"), |b| {
        b.iter(|| read(FileKind::Dsl, black_box(&dsl)))
    });
    group.bench_function(BenchmarkId::new("parse+lower+check", "dsl"), |b| {
        b.iter(|| analyze(FileKind::Dsl, black_box(&dsl)))
    });
    group.bench_function(BenchmarkId::new("convert", "dsl->json"), |b| {
        b.iter(|| convert(FileKind::Dsl, FileKind::Json, black_box(&dsl)))
    });
    group.bench_function(BenchmarkId::new("format", "dsl"), |b| {
        b.iter(|| convert(FileKind::Dsl, FileKind::Dsl, black_box(&dsl)))
    });

    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function(BenchmarkId::new("read", "json"), |b| {
        b.iter(|| analyze(FileKind::Json, black_box(&json)))
    });
    group.bench_function(BenchmarkId::new("convert", "json->dsl"), |b| {
        b.iter(|| convert(FileKind::Json, FileKind::Dsl, black_box(&json)))
    });

    // One character typed in the middle of the file: the editor's keystroke.
    group.throughput(Throughput::Elements(1));
    let middle = dsl
        .find("Step 2500")
        .expect("the generated text has a middle block");
    let tree = syntax::parse(&dsl);
    group.bench_function(BenchmarkId::new("incremental reparse", "1 char"), |b| {
        b.iter_batched(
            || tree.clone(),
            |mut tree| {
                tree.edit(middle, middle, "x");
                tree
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, language);
criterion_main!(benches);
