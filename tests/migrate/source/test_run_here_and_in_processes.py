"""``run_here_and_in_processes``: the caller does one share of the work while workers do the rest.

Run in a fresh interpreter each (a single-threaded process, as the ``dbkit`` command is, so the
``fork`` strategy is the one chosen; pytest's own process may have threads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ITEMS = """
import multiprocessing, os

def where(item):
    if item == "broken":
        raise ValueError("a worker's failure")
    return [item, os.getpid()]

def here():
    # the workers were started before this runs: a fork never copies a process that is already
    # loading (nor one with the pool's manager thread running)
    return {"pid": os.getpid(), "workers_alive": len(multiprocessing.active_children())}
"""

PROBE = """
import json, sys
from dbkit.migrate.source.parallel import run_here_and_in_processes
from probe_items import here, where
local, results = run_here_and_in_processes(here, where, json.loads(sys.argv[1]))
print(json.dumps({"local": local, "results": results}))
"""


def _run(tmp_path: Path, items: list[str], strategy: str | None = None) -> dict[str, Any]:
    (tmp_path / "probe_items.py").write_text(textwrap.dedent(ITEMS))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("DBKIT_PARALLEL", None)
    if strategy:
        env["DBKIT_PARALLEL"] = strategy
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(items)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("strategy", [None, "forkserver"])
def test_the_caller_runs_its_share_while_workers_run_the_rest(tmp_path: Path, strategy: str | None) -> None:
    report = _run(tmp_path, ["a", "b"], strategy)
    caller = report["local"]["pid"]
    assert report["local"]["workers_alive"] == 2
    assert [item for item, _ in report["results"]] == ["a", "b"]
    assert all(pid != caller for _, pid in report["results"])


def test_a_failing_worker_leaves_the_rest_to_the_caller(tmp_path: Path) -> None:
    report = _run(tmp_path, ["a", "broken"])
    assert report["results"] is None
    assert report["local"]["workers_alive"] == 2


@pytest.mark.parametrize(("items", "strategy"), [([], None), (["a"], "sequential")])
def test_no_worker_starts_when_none_is_needed_or_allowed(
    tmp_path: Path, items: list[str], strategy: str | None
) -> None:
    report = _run(tmp_path, items, strategy)
    assert report["results"] is None
    assert report["local"]["workers_alive"] == 0
