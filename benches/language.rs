//! Speed of the language front end on a generated 5,000-block workflow: parse + lower, both
//! conversions, the formatter, and the incremental re-parse after a one-character edit.
//!
//! `cargo bench --bench language` prints times and MB/s (criterion's throughput).

use std::hint::black_box;

use agentblocks_dsl::convert::{analyze, convert, read, FileKind};
use agentblocks_dsl::syntax;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A workflow of `n` blocks in canonical form: a chain of Python blocks fed by a `find_files`,
/// each with a property-rich visual neighbour, so every construct's cost shows up.
pub fn generated_workflow(n: usize) -> String {
    let mut text = String::from("/// Generated for benchmarks\nworkflow \"Generated\" {\n  version = \"1.0.0\"\n\n  var limit: Integer = 10\n\n");
    text.push_str("  block b0 = find_files \"Find\" at (0, 0) {\n    directory = \"./src\"\n    patterns = [\"*.rs\", \"*.toml\"]\n    out files: List[Path]\n  }\n");
    for i in 1..n {
        let prev = i - 1;
        if i % 2 == 0 {
            text.push_str(&format!(
                "\n  /// Step {i}\n  block b{i} = python \"Step {i}\" at ({}, {}) {{\n    in files: List[Path] <- b{prev}.files\n    optional in limit: Integer = 10\n    out files: List[Path]\n    code ```\n      files = [f for f in files if f.suffix == \".rs\"][:limit]\n      print(len(files))\n      ```\n  }}\n",
                i * 10,
                i * 20
            ));
        } else {
            text.push_str(&format!(
                "\n  block b{i} = filter_content \"Filter {i}\" at ({}, {}) {{\n    pattern = \"fn main\"\n    regex = false\n    invert = {}\n    in files: List[Path] <- b{prev}.files\n    out files: List[Path]\n  }}\n",
                i * 10,
                i * 20,
                i % 3 == 0
            ));
        }
    }
    text.push_str("}\n");
    text
}

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
