"""dbkit inside a real Jupyter kernel: no fork of the kernel's threaded process, no warning, no hang.

A kernel always runs extra threads (heartbeat, IOPub, control), so a ``fork`` there can copy a
held lock into the child and hang it; Python 3.12+ warns about it. Each entry point that starts
processes or threads runs here in a real ``ipykernel`` driven by ``nbclient``, with every warning
recorded; a hang fails the test through the cell timeout.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from dbkit.migrate.source import parallel

DATA = Path(__file__).resolve().parent.parent / "data"

#: Runs first in the kernel: record every warning from here on, whatever its module.
SETUP = """
import json, sys, warnings
warnings.simplefilter("always")
caught = []
warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: caught.append(
    f"{category.__name__} at {filename}:{lineno}: {message}"
)
from dbkit.migrate import api
from dbkit.migrate.source.parallel import choose_strategy
"""


def _run_in_kernel(cells: list[str], timeout: int = 300) -> list[str]:
    """Execute ``cells`` in a fresh kernel of this Python; the text each cell printed."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(SETUP), *(nbformat.v4.new_code_cell(c) for c in cells)]
    NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=False).execute()
    return [
        "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        for cell in notebook.cells[1:]
    ]


@pytest.fixture(scope="module")
def kernel_outputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    work = tmp_path_factory.mktemp("kernel")
    old = shutil.copytree(DATA / "sample_app", work / "old")
    new = shutil.copytree(DATA / "evolution" / "v2", work / "new")
    versions = work / "migrations" / "versions"
    cells = [
        "print(choose_strategy(2))",
        # two codebase directories load in worker processes
        f"result = api.diff({str(old)!r}, {str(new)!r}); print(len(result.changes) >= 0)",
        # a revision, then verify (a progress bar thread) on a scratch database
        f"api.revision({str(new)!r}, versions_dir={str(versions)!r}, message='kernel', allow_destructive=True, from_source={str(old)!r})\n"
        f"report = api.verify({str(versions)!r}); print(type(report).__name__)",
        # scaffold formats its source with ruff in a subprocess
        f"from dbkit.migrate.codemod.scaffold import scaffold_codebase\n"
        f"print(type(scaffold_codebase({str(old)!r})).__name__)",
        "print(json.dumps(caught))",
    ]
    return _run_in_kernel(cells)


def test_a_kernel_never_forks(kernel_outputs: list[str]) -> None:
    assert kernel_outputs[0].strip() == "forkserver"


def test_no_warning_reaches_a_kernel_from_dbkit_entry_points(kernel_outputs: list[str]) -> None:
    assert kernel_outputs[1].strip() == "True"
    assert kernel_outputs[-1].strip() == "[]", kernel_outputs[-1]


def test_a_threaded_process_does_not_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.STRATEGY_ENV, raising=False)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert parallel.os_thread_count() >= 2
        assert parallel.choose_strategy(2) != "fork"
    finally:
        stop.set()
        worker.join()


def test_a_single_item_loads_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.STRATEGY_ENV, "fork")  # even when forced: one item needs no worker
    assert parallel.choose_strategy(1) == "sequential"
    assert parallel.run_here_and_in_processes(lambda: "only", str, []) == ("only", None)


def test_a_forced_strategy_must_be_known(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.STRATEGY_ENV, "threads")
    with pytest.raises(ValueError, match="DBKIT_PARALLEL='threads'"):
        parallel.choose_strategy(2)
