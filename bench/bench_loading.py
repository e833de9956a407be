"""How to load two codebases at once (``dbkit diff OLD NEW``): fork, forkserver, spawn or one after the other.

``fork`` is unsafe in a multi-threaded process (a Jupyter kernel always is), so dbkit forks only
from a single-threaded one (the command line) and otherwise uses ``forkserver``
(:mod:`dbkit.migrate.source.parallel`). This benchmark checks that choice: each strategy is forced
(``DBKIT_PARALLEL``) and timed, against loading sequentially, at two codebase sizes,

1. from the command line: the whole ``dbkit diff OLD NEW`` process;
2. inside a real Jupyter kernel (``nbclient``): ``api.snapshots_of(OLD, NEW)`` in a warm kernel,
   the forkserver started by the first call (the first call is timed apart).

Usage: ``python bench/bench_loading.py [--sizes 100 500] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_migrate import build_codebase

STRATEGIES = ("sequential", "fork", "forkserver", "spawn")


def cli_seconds(old: Path, new: Path, strategy: str, repeat: int) -> float:
    env = {**os.environ, "DBKIT_PARALLEL": strategy}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "dbkit.cli", "diff", str(old), str(new)],
            env=env,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


KERNEL_CELL = """
import json, os, statistics, time
from dbkit.migrate import api
results = {}
for strategy in %(strategies)r:
    os.environ["DBKIT_PARALLEL"] = strategy
    start = time.perf_counter(); api.snapshots_of(%(old)r, %(new)r); first = time.perf_counter() - start
    times = []
    for _ in range(%(repeat)d):
        start = time.perf_counter(); api.snapshots_of(%(old)r, %(new)r); times.append(time.perf_counter() - start)
    results[strategy] = {"first": first, "median": statistics.median(times)}
print(json.dumps(results))
"""


def kernel_seconds(old: Path, new: Path, repeat: int) -> dict[str, dict[str, float]]:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    source = KERNEL_CELL % {"strategies": STRATEGIES, "old": str(old), "new": str(new), "repeat": repeat}
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    NotebookClient(notebook, timeout=3600, kernel_name="python3").execute()
    text = "".join(o.get("text", "") for o in notebook.cells[0].outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'where':8} {'tables':>6} {'strategy':11} {'seconds':>8} {'vs sequential':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            old = build_codebase(Path(tmp) / f"old-{size}", size, changed=False)
            new = build_codebase(Path(tmp) / f"new-{size}", size, changed=True)
            cli = {strategy: cli_seconds(old, new, strategy, args.repeat) for strategy in STRATEGIES}
            for strategy, seconds in cli.items():
                print(
                    f"{'command':8} {size:>6} {strategy:11} {seconds:8.2f} {seconds / cli['sequential']:14.2f}"
                )
            kernel = kernel_seconds(old, new, args.repeat)
            base = kernel["sequential"]["median"]
            for strategy, figures in kernel.items():
                note = f"  (first call {figures['first']:.2f} s)" if strategy == "forkserver" else ""
                print(
                    f"{'kernel':8} {size:>6} {strategy:11} {figures['median']:8.2f} "
                    f"{figures['median'] / base:14.2f}{note}"
                )


if __name__ == "__main__":
    main()
