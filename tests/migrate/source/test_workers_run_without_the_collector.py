"""Workers that load one codebase each run with the cyclic collector off (they exit right after:
collecting only re-read what they imported); the calling process keeps its own collector as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROBE = """
import gc, json
from dbkit.migrate.source.parallel import run_here_and_in_processes
from probe_items import collector_state
_, workers = run_here_and_in_processes(gc.isenabled, collector_state, [1, 2])
print(json.dumps({"workers": workers, "caller": gc.isenabled()}))
"""


def _run(tmp_path: Path, env_extra: dict[str, str]) -> dict[str, object]:
    (tmp_path / "probe_items.py").write_text(
        textwrap.dedent(
            """
            import gc

            def collector_state(item):
                return [item, gc.isenabled()]
            """
        )
    )
    env = {"PYTHONPATH": str(tmp_path), "DBKIT_PARALLEL": "fork", **env_extra}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("setting", "in_workers"), [({}, False), ({"DBKIT_WORKER_GC": "1"}, True)])
def test_workers_run_without_the_collector_unless_asked(
    tmp_path: Path, setting: dict[str, str], in_workers: bool
) -> None:
    report = _run(tmp_path, setting)
    assert report == {"workers": [[1, in_workers], [2, in_workers]], "caller": True}
