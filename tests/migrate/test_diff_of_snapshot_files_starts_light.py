"""``dbkit diff old.json new.json`` reads two files: it starts no worker, so it imports neither
``multiprocessing`` nor SQLAlchemy (tens of milliseconds of a command that takes a few hundred)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from dbkit.migrate.schema.documents import write_snapshot
from dbkit.migrate.schema.from_models import snapshot_from_metadata

HEAVY = ("multiprocessing", "concurrent.futures", "dbkit.migrate.source.parallel", "sqlalchemy")

PROBE = """
import contextlib, io, json, sys
from dbkit import cli
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = cli.main(["diff", sys.argv[1], sys.argv[2]])
heavy = sys.argv[3].split(",")
print(json.dumps({"code": code, "out": out.getvalue(), "loaded": [m for m in heavy if m in sys.modules]}))
"""


def _snapshot_file(path: Path, *, with_email: bool) -> Path:
    metadata = sa.MetaData()
    columns = [sa.Column("id", sa.Integer, primary_key=True)]
    if with_email:
        columns.append(sa.Column("email", sa.String(255), nullable=True))
    sa.Table("users", metadata, *columns)
    return write_snapshot(snapshot_from_metadata(metadata), path)


def test_a_diff_of_two_snapshot_files_imports_no_worker_machinery(tmp_path: Path) -> None:
    import json

    old = _snapshot_file(tmp_path / "old.json", with_email=False)
    new = _snapshot_file(tmp_path / "new.json", with_email=True)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(old), str(new), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] != 0 and "email" in report["out"]  # it did diff: one column added
    assert report["loaded"] == []
