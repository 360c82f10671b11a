//! Benchmarks of the executors (filled in below).

fn main() {}
