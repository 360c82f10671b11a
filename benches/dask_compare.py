"""Dask comparison: the scheduler benchmark's Python shapes through Dask's threaded scheduler.

Runs the same DAG shapes as `engine/benches/scheduler.rs` (`chain_1000_python`,
`fanout_1000_python`): 1,000 trivial Python functions (`x + 1`) as a chain and as a fan-out
from one source, and prints the time per block. Compare with the criterion figures:

    python3 -m venv /tmp/dask-venv && /tmp/dask-venv/bin/pip install dask
    /tmp/dask-venv/bin/python benches/dask_compare.py
    cargo bench -p agentblocks-engine --bench scheduler -- python
"""

import statistics
import time

import dask
from dask.threaded import get

N = 1000


def inc(x):
    return x + 1


def chain(n):
    graph = {"b0": (inc, 1)}
    for i in range(1, n):
        graph[f"b{i}"] = (inc, f"b{i - 1}")
    return graph, [f"b{n - 1}"]


def fanout(n):
    graph = {"b0": (inc, 1)}
    for i in range(1, n):
        graph[f"b{i}"] = (inc, "b0")
    return graph, [f"b{i}" for i in range(n)]


def measure(name, make, runs=10):
    graph, keys = make(N)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        get(graph, keys, num_workers=64)
        times.append(time.perf_counter() - start)
    best = min(times)
    median = statistics.median(times)
    print(f"{name}: median {median * 1e3:.1f} ms, best {best * 1e3:.1f} ms, "
          f"{median / N * 1e6:.1f} us per block (dask {dask.__version__})")


if __name__ == "__main__":
    measure("dask chain_1000_python", chain)
    measure("dask fanout_1000_python", fanout)
