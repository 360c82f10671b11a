//! The keystroke path on a generated 5,000-block workflow (~1 MB): open (parse, lower, check)
//! once, then type one character into a block in the middle of the file and re-analyse.
//!
//! `cargo bench -p agentblocks-dsl --bench keystroke` prints wall-clock medians. For
//! load-independent figures, run the bench binary under callgrind with collection limited to
//! the re-analysis (`KEYSTROKE_ONCE=1` runs one edit and exits):
//!
//! ```text
//! KEYSTROKE_ONCE=1 valgrind --tool=callgrind --collect-atstart=no \
//!   --toggle-collect='keystroke::reanalyse' target/release/deps/keystroke-*
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use agentblocks_dsl::ide::{completion, hover, Analysis};
use agentblocks_dsl::syntax::{self, SyntaxTree};

#[path = "../../benches/support/generated.rs"]
mod generated;
use generated::generated_workflow;

/// Applies one edit to the tree and analyses the result, reusing `previous`.
#[inline(never)]
fn reanalyse(previous: &Analysis, edit: (usize, usize, &str)) -> Analysis {
    let mut tree: SyntaxTree = match previous.tree() {
        Some(tree) => tree.clone(),
        None => syntax::parse(previous.text()),
    };
    tree.edit(edit.0, edit.1, edit.2);
    Analysis::from_tree_after(tree, previous)
}

/// Analyses the text from scratch.
#[inline(never)]
fn analyse_fresh(text: &str) -> Analysis {
    Analysis::from_tree(syntax::parse(text))
}

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let text = generated_workflow(5_000);
    // In the middle of the file, inside the `pattern = "fn main"` of a filter block.
    let middle = text.len() / 2;
    let at = middle
        + text[middle..]
            .find("\"fn main\"")
            .expect("a filter block after the middle")
        + 3;
    let opened = analyse_fresh(&text);
    let insert = (at, at, "x");
    let delete = (at, at + 1, "");
    if std::env::var_os("KEYSTROKE_ONCE").is_some() {
        let edited = reanalyse(&opened, insert);
        black_box(edited.diagnostics().len());
        return;
    }
    let mut fresh = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        black_box(analyse_fresh(&text));
        fresh.push(started.elapsed());
    }
    let mut incremental = Vec::new();
    let mut current = opened;
    for i in 0..20 {
        let edit = if i % 2 == 0 { insert } else { delete };
        let started = Instant::now();
        current = reanalyse(&current, edit);
        incremental.push(started.elapsed());
    }
    println!(
        "5,000 blocks ({} KB): fresh analysis median {:.2} ms; one-character edit re-analysis median {:.2} ms",
        text.len() / 1024,
        median(fresh),
        median(incremental)
    );
    // Requests on the analysis: completion after `b2500.` and hover on that port.
    let dot = text.find("<- b2500.files").expect("the connection") + "<- b2500.".len();
    for (name, request) in [
        (
            "completion after `b2500.`",
            &(|a: &Analysis| completion::completions(a, dot).len()) as &dyn Fn(&Analysis) -> usize,
        ),
        ("hover on `b2500.files`", &|a: &Analysis| {
            hover::hover(a, dot + 2).map_or(0, |h| h.markdown.len())
        }),
    ] {
        let mut samples = Vec::new();
        for _ in 0..30 {
            let started = Instant::now();
            black_box(request(&current));
            samples.push(started.elapsed());
        }
        println!("{name}: median {:.2} ms", median(samples));
    }
}
