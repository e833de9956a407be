"""Work on several codebases at once without ever forking a multi-threaded process.

``fork`` copies only the calling thread. A lock that another thread held at that moment (the
logging lock, the import lock, a Jupyter kernel's IOPub socket) stays locked in the child, which
can then hang forever. A Jupyter kernel, where dbkit mostly runs, always has such threads
(heartbeat, IOPub, the control channel), and Python 3.12+ warns about a fork there. So:

- ``fork`` only when the process has a single OS thread (the ``dbkit`` command);
- otherwise ``forkserver``: a server process started once (single-threaded, with dbkit's loader
  imported in advance) forks each worker, so workers start in milliseconds and never inherit the
  kernel's threads;
- ``sequential`` where neither is available, or for fewer than two items.

:func:`run_here_and_in_processes` keeps one share of the work in the calling process (``dbkit diff``
loads the old codebase itself while one worker loads the new one).

``bench/bench_loading.py`` measures the strategies at 100 and 500 tables, from the command line
and inside a kernel (bench/README.md has the figures).
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Literal, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
Local = TypeVar("Local")
Strategy = Literal["fork", "forkserver", "spawn", "sequential"]

#: Environment variable that forces a strategy (benchmarks; a user whose platform misbehaves).
STRATEGY_ENV = "DBKIT_PARALLEL"
#: Modules every worker needs, imported once before the workers start: by the forkserver, or by this
#: process before it forks. Each worker would otherwise import SQLAlchemy and the loader itself,
#: work that buys nothing twice.
WORKER_PRELOAD = ["dbkit.migrate.source.codebase", "dbkit.migrate.schema.from_models"]
_TASKS = Path("/proc/self/task")


def os_thread_count() -> int:
    """Threads of this process as the OS sees them (native threads included, e.g. zmq's in a kernel)."""
    try:
        return len(os.listdir(_TASKS))
    except OSError:  # no /proc (macOS, Windows): Python's own threads are all we can count
        return threading.active_count()


def choose_strategy(items: int) -> Strategy:
    """The fastest safe way to run ``items`` independent loads from this process, right now."""
    if items < 2:
        return "sequential"
    forced = os.environ.get(STRATEGY_ENV)
    if forced:
        if forced not in ("fork", "forkserver", "spawn", "sequential"):
            raise ValueError(f"{STRATEGY_ENV}={forced!r}: use fork, forkserver, spawn or sequential.")
        return forced  # type: ignore[return-value]
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and os_thread_count() == 1:
        return "fork"
    if "forkserver" in methods:
        return "forkserver"
    return "sequential"


def run_here_and_in_processes(
    here: Callable[[], Local], function: Callable[[Item], Result], items: Sequence[Item]
) -> tuple[Local, list[Result] | None]:
    """``here()`` in this process while ``[function(item) for item in items]`` runs in worker processes.

    The calling process does one share of the work instead of waiting for a worker: one process
    fewer to start, and its result is an object already, with nothing to transfer. The workers
    start before ``here()`` runs (a fork only ever copies this single-threaded process). Their
    results are ``None`` when no safe start method exists or a worker failed: the caller then runs
    ``items`` in-process, after ``here()``, so errors surface in the order a sequential run has.
    """
    strategy = choose_strategy(len(items) + 1) if items else "sequential"
    if strategy == "sequential":
        return here(), None
    with _pool(strategy, len(items)) as pool:
        futures = [pool.submit(function, item) for item in items]
        local = here()
        try:
            return local, [future.result() for future in futures]
        except Exception:  # re-raised by the sequential run the caller falls back to
            return local, None


def _pool(strategy: Strategy, workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context(strategy)
    if strategy == "forkserver":
        context.set_forkserver_preload(WORKER_PRELOAD)
    elif strategy == "fork":
        for module in WORKER_PRELOAD:  # the children inherit them, already imported
            importlib.import_module(module)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start)


def _worker_start() -> None:
    """Each worker runs one item and exits: the cyclic collector only re-reads what it imported.

    Loading a codebase builds hundreds of thousands of long-lived objects (modules, classes,
    tables, mappers) and almost no garbage; full collections over them were pure cost, and
    the process's exit frees everything at once.
    """
    if os.environ.get(WORKER_GC_ENV) != "1":
        gc.disable()


#: Set to 1 to keep the cyclic collector running in workers (benchmarks compare both).
WORKER_GC_ENV = "DBKIT_WORKER_GC"
