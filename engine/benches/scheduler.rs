//! Scheduler benchmarks (filled in below).

fn main() {}
