"""Benchmark: the migration engine (parity, diff, verify) against Alembic, each measured in the same run.

Six measures, each against its target from the migration-engine issue:

1. **In process**, two synthetic codebases of N tables (default 1,000) x 15 columns, each table with
   one or two foreign keys, an index and a unique constraint, loaded through dbkit's real loader
   (``DB_*.py`` files written here, ``BLL_*.py`` files scaffolded from them by ``dbkit scaffold``).
   The "new" codebase changes every tenth table (add, drop, widen, nullable, index) and adds tables.
   *dbkit timer*: ``parity(codebase)`` (snapshots of both sides of every table, schema, ORM and
   cosmetic comparison), and ``diff(codebase_snapshot(old), codebase_snapshot(new))`` (both
   snapshots, the diff, hints). *Alembic timer*: ``create_all`` of the old ``MetaData`` in an
   in-memory SQLite, then ``compare_metadata`` against the new one (for parity: the hand-written
   ``MetaData`` against the generated one). Loading, importing and generating the models is outside
   both timers (both sides use the very same ``Table`` objects). Target: dbkit >= 20x faster.
   Repeated calls find each table's readings on it (``dbkit.migrate.schema.table_memo``: kept while
   the table is unchanged, as in a notebook that compares the same loaded models again). Beside
   them, without a target, the same calls on tables read for the first time (the memos dropped,
   untimed, before each call).
2. ``dbkit parity data/sample_app`` as a whole process from a cold start: under 1.5 s.
3. ``dbkit diff OLD NEW`` of two M-table codebases (default 500) as a whole process, against the
   Alembic route as a user runs it: a Python process that imports both model sets, creates the old
   one in SQLite and runs ``compare_metadata``. Two kinds of codebase: hand-written (``DB_*.py``;
   Alembic imports the same files) and generated (``BLL_*.py``; Alembic imports them and generates
   their tables with ``ModelRegistry``, as a dbkit-wired ``env.py`` does). Target: >= 2x faster.
   Beside it, the floor: one of the two codebases imported the same way, alone in a process; two
   codebases read in two processes at once cannot finish sooner than one of them alone.
4. ``dbkit diff old.json new.json`` of the same two codebases' snapshot files, as a whole process,
   against the hand-written Alembic route of 3: under 0.5 s and >= 10x faster.
5. ``verify`` (in process) of a baseline revision plus one change (a nullable column added, one
   renamed through ``migration_notes``), both written by ``api.revision``, on an SQLite file
   whose table holds R rows (default 100,000) and sits at the baseline. Peer: plain Alembic on a
   copy of the same file (copy, ``command.upgrade(head)``, ``command.downgrade(baseline)``) with the
   generated ``alembic.ini``/``env.py``. Target: no more than 1.5x.
6. ``dbkit --help`` as a whole process from a cold start: under 0.2 s; shown next to ``python -c pass``
   (the same interpreter and site-packages doing nothing), the floor no command can go under.

Whole-process and in-process measures run in fresh subprocesses, the two sides alternate order,
and the median of ``--repeat`` runs is reported (the first, cold run of each in-process side too).

    python bench/bench_migrate.py [--quick] [--tables 1000] [--diff-tables 500] [--rows 100000]
                                  [--repeat 3] [--only inprocess,parity,diff,verify,startup] [--profile]

``run()`` returns rows ``{measure, dbkit, peer, peer_name, ratio, target, limit}``: seconds;
``ratio`` = dbkit / peer; ``target`` is the ratio to stay at or below, ``limit`` the seconds dbkit's
figure must stay under (``None`` when a row has no such target).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APP = REPO_ROOT / "data" / "sample_app"
SEED = 20240611
TABLES_PER_FILE = 100

#: Targets from the migration-engine issue (ratio = dbkit / peer, so "20x faster" is <= 0.05).
IN_PROCESS_RATIO = 1 / 20
SAMPLE_PARITY_LIMIT = 1.5
CODEBASE_DIFF_RATIO = 1 / 2
SNAPSHOT_DIFF_RATIO = 1 / 10
SNAPSHOT_DIFF_LIMIT = 0.5
VERIFY_RATIO = 1.5

#: Child processes cache bytecode as a user's Python does: this machine's environment sets
#: ``PYTHONDONTWRITEBYTECODE=1``, which makes every start recompile every changed module (20 ms of
#: ``dbkit --help`` is compiling ``cli.py``), a cost no user pays twice. Both sides get the same.
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

MEASURES = ("inprocess", "parity", "diff", "verify", "startup")
#: ``dbkit --help`` as a whole process, cold (issue #14).
STARTUP_LIMIT = 0.2
FULL_SIZES = {"tables": 1000, "diff_tables": 500, "rows": 100_000, "repeat": 3}
QUICK_SIZES = {"tables": 200, "diff_tables": 100, "rows": 10_000, "repeat": 3}


# -- synthetic codebases ---------------------------------------------------------------------------
_BASE_SOURCE = (SAMPLE_APP / "base.py").read_text()
#: Column changes of the "new" codebase, one per tenth table in turn.
CHANGE_KINDS = ("add_column", "widen_string", "make_nullable", "drop_index", "drop_column")


def _change_of(index: int, changed: bool) -> str | None:
    if not changed or index % 10 != 5:
        return None
    return CHANGE_KINDS[(index // 10) % len(CHANGE_KINDS)]


def _table_source(index: int, changed: bool) -> list[str]:
    """One hand-written class: 7 audit columns (``AuditColumns``) + 8 of its own = 15 columns."""
    change = _change_of(index, changed)
    rng = random.Random(SEED + index)
    length = 150 if change == "widen_string" else 100
    name_index = "" if change == "drop_index" else ", index=True"
    lines = [
        f"class Entity{index:04d}(AuditColumns, Base):",
        f'    __tablename__ = "entity{index:04d}s"',
        f'    name: Mapped[str] = mapped_column(sa.String({length}){name_index}, comment="Display name")',
        "    code: Mapped[str] = mapped_column(sa.String(40), unique=True)",
        "    quantity = mapped_column(sa.Integer, nullable=" + str(change == "make_nullable") + ")",
        "    price = mapped_column(sa.Numeric(12, 2), nullable=True)",
        "    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())",
    ]
    if change != "drop_column":
        lines.append("    due = mapped_column(sa.Date, nullable=True)")
    for slot, column in enumerate(("parent_id", "owner_id")):
        if index > slot:
            target = rng.randrange(index)
            lines.append(
                f"    {column} = mapped_column(sa.Uuid(as_uuid=False), "
                f'sa.ForeignKey("entity{target:04d}s.id"), nullable={slot == 1}, index=True)'
            )
        else:
            lines.append(f"    note_{slot} = mapped_column(sa.Text, nullable=True)")
    if change == "add_column":
        lines.append('    summary = mapped_column(sa.String(200), nullable=True, comment="Added")')
    return [*lines, ""]


def hand_written_sources(n_tables: int, changed: bool) -> dict[str, str]:
    """``DB_PartNN.py`` file name → source; the changed variant also adds 1% new tables."""
    total = n_tables + (max(1, n_tables // 100) if changed else 0)
    header = [
        '"""Synthetic hand-written models (bench/bench_migrate.py)."""',
        "",
        "import sqlalchemy as sa",
        "from sqlalchemy.orm import Mapped, mapped_column",
        "",
        "from base import AuditColumns, Base",
        "",
        "",
    ]
    files = {}
    for first in range(0, total, TABLES_PER_FILE):
        body = [
            line
            for index in range(first, min(total, first + TABLES_PER_FILE))
            for line in _table_source(index, changed)
        ]
        files[f"DB_Part{first // TABLES_PER_FILE:02d}.py"] = "\n".join(header + body)
    return files


def dbkit_command() -> list[str]:
    """The installed ``dbkit`` console script, run without any shell shim in front of it."""
    beside = Path(sys.executable).parent / "dbkit"
    if beside.is_file():
        return [str(beside)]
    return [sys.executable, "-c", "from dbkit.cli import run; run()"]


def build_codebase(directory: Path, n_tables: int, changed: bool) -> Path:
    """Write ``base.py`` and the ``DB_*.py`` files, then scaffold the ``BLL_*.py`` files with dbkit."""
    directory.mkdir(parents=True)
    (directory / "base.py").write_text(_BASE_SOURCE)
    for name, source in hand_written_sources(n_tables, changed).items():
        (directory / name).write_text(source)
    done = subprocess.run(
        [*dbkit_command(), "scaffold", str(directory), "--out", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbkit scaffold {directory} failed:\n{done.stderr}")
    return directory


def only_files(source: Path, target: Path, pattern: str) -> Path:
    """A copy of a codebase with only one kind of model file (``DB_*.py`` or ``BLL_*.py``)."""
    target.mkdir(parents=True)
    shutil.copy(source / "base.py", target / "base.py")
    for path in source.glob(pattern):
        shutil.copy(path, target / path.name)
    return target


# -- measuring helpers ------------------------------------------------------------------------------
def _row(
    measure: str,
    dbkit: float,
    peer: float | None,
    peer_name: str | None,
    target: float | None = None,
    limit: float | None = None,
) -> dict[str, Any]:
    return {
        "measure": measure,
        "dbkit": round(dbkit, 4),
        "peer": round(peer, 4) if peer is not None else None,
        "peer_name": peer_name,
        "ratio": round(dbkit / peer, 4) if peer else None,
        "target": round(target, 4) if target is not None else None,
        "limit": limit,
    }


def alternate(
    sides: dict[str, Callable[[], Any]],
    repeat: int,
    untimed: dict[str, Callable[[], Any]] | None = None,
) -> dict[str, list[float]]:
    """Seconds of each side per repetition, the order of the sides reversed every other round.
    ``untimed[name]``, if given, runs right before that side, outside its timer."""
    names = list(sides)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for repetition in range(repeat):
        for name in names if repetition % 2 == 0 else reversed(names):
            if untimed and name in untimed:
                untimed[name]()
            gc.collect()  # no side pays for the garbage the other left behind
            started = time.perf_counter()
            sides[name]()
            seconds[name].append(time.perf_counter() - started)
    return seconds


def _process(command: list[str], expected: Iterable[int] = (0,)) -> Callable[[], None]:
    """A callable running ``command`` as a fresh process and insisting on its exit code."""
    allowed = tuple(expected)

    def run() -> None:
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=REPO_ROOT, env=CHILD_ENV, check=False
        )
        if done.returncode not in allowed:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")

    return run


def _worker(name: str, *arguments: str) -> dict[str, Any]:
    """Run one worker of this file in a fresh process; it prints one JSON document."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", name, *arguments]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, env=CHILD_ENV, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- 1. in process: parity and diff against compare_metadata ------------------------------------------
def alembic_compare(old: Iterable[Any], new: Any) -> list[Any]:
    """Alembic's only route to diff two schemas: create the old one in SQLite, compare the new one."""
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine("sqlite://")
    try:
        for metadata in old:
            metadata.create_all(engine)
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), new)
    finally:
        engine.dispose()


def in_process_worker(old_dir: Path, new_dir: Path, repeat: int, profile: bool) -> dict[str, Any]:
    """Load both codebases (untimed), then time each side's parity and diff work (see module doc)."""
    from dbkit.migrate import api
    from dbkit.migrate.schema.table_memo import MEMO_ATTRIBUTE
    from dbkit.migrate.source.parity import parity

    old, new = api.load(old_dir), api.load(new_dir)
    for codebase in (old, new):
        if codebase.errors:
            raise RuntimeError(f"{codebase.path} did not load: {codebase.errors[0]}")

    def dbkit_diff() -> Any:
        return api.diff(api.codebase_snapshot(old), api.codebase_snapshot(new))

    sides = {
        "dbkit_parity": lambda: parity(old),
        "alembic_parity": lambda: alembic_compare(old.hand_written_metadata(), old.generated_metadata()),
        "dbkit_diff": dbkit_diff,
        "alembic_diff": lambda: alembic_compare([old.generated_metadata()], new.generated_metadata()),
        # the same calls on tables never read before: each table's memo dropped, untimed, first
        "dbkit_parity_first_read": lambda: parity(old),
        "dbkit_diff_first_read": dbkit_diff,
    }
    cold = {}
    found = {}
    for name, side in sides.items():  # the first call of each: cold caches, and what each side found
        if name.endswith("_first_read"):
            continue
        started = time.perf_counter()
        result = side()
        cold[name] = time.perf_counter() - started
        found[name] = _count_findings(name, result)
    if found["dbkit_parity"] or not found["dbkit_diff"] or not found["alembic_diff"]:
        raise RuntimeError(f"Unexpected findings (parity should be clean, diffs not): {found}")
    tables = [table for codebase in (old, new) for table in _tables_of(codebase)]

    def forget_readings() -> None:
        for table in tables:
            table.__dict__.pop(MEMO_ATTRIBUTE, None)

    first_read = {"dbkit_parity_first_read": forget_readings, "dbkit_diff_first_read": forget_readings}
    seconds = alternate(sides, repeat, untimed=first_read)
    report: dict[str, Any] = {"cold": cold, "seconds": seconds, "found": found}
    if profile:
        report["profile"] = _profile_text([sides["dbkit_parity"], sides["dbkit_diff"]])
    return report


def _tables_of(codebase: Any) -> list[Any]:
    hand_written = [entry.table for entry in codebase.hand_written.values()]
    return [*hand_written, *(model.table for model in codebase.models.values() if model.table is not None)]


def _count_findings(side: str, result: Any) -> int:
    if side == "dbkit_parity":
        return sum(1 for table in result.tables if table.status != "match")
    if side == "dbkit_diff":
        return len(result.changes)
    return len(result)


def _profile_text(calls: list[Callable[[], Any]], top: int = 30) -> str:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for call in calls:
        call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def bench_in_process(work: Path, n_tables: int, repeat: int, profile: bool) -> list[dict[str, Any]]:
    old = build_codebase(work / f"inprocess-old-{n_tables}", n_tables, changed=False)
    new = build_codebase(work / f"inprocess-new-{n_tables}", n_tables, changed=True)
    report = _worker("inprocess", str(old), str(new), str(repeat), *(["--profile"] if profile else []))
    if profile:
        print(report["profile"])
    seconds, cold, found = report["seconds"], report["cold"], report["found"]
    median = {name: statistics.median(values) for name, values in seconds.items()}
    size = f"{n_tables} tables x 15 columns"
    rows = [
        _row(
            f"parity, in process [{size}; Alembic: {found['alembic_parity']} diffs]",
            median["dbkit_parity"],
            median["alembic_parity"],
            "Alembic compare_metadata",
            IN_PROCESS_RATIO,
        ),
        _row(
            f"diff, in process [{size}; dbkit {found['dbkit_diff']} changes, Alembic {found['alembic_diff']}]",
            median["dbkit_diff"],
            median["alembic_diff"],
            "Alembic compare_metadata",
            IN_PROCESS_RATIO,
        ),
        _row(
            f"parity, in process, tables read for the first time [{size}]",
            median["dbkit_parity_first_read"],
            median["alembic_parity"],
            "Alembic compare_metadata",
        ),
        _row(
            f"diff, in process, tables read for the first time [{size}]",
            median["dbkit_diff_first_read"],
            median["alembic_diff"],
            "Alembic compare_metadata",
        ),
        _row(
            f"parity + diff, first (cold) call [{size}]",
            cold["dbkit_parity"] + cold["dbkit_diff"],
            cold["alembic_parity"] + cold["alembic_diff"],
            "Alembic compare_metadata",
        ),
    ]
    return rows


# -- 2. dbkit parity on the sample codebase, cold start -----------------------------------------------
def bench_sample_parity(repeat: int) -> list[dict[str, Any]]:
    run = _process([*dbkit_command(), "parity", str(SAMPLE_APP)], expected=(0, 1))
    seconds = alternate({"dbkit": run}, max(repeat, 5))["dbkit"]
    return [
        _row(
            "dbkit parity data/sample_app, whole process (median of cold starts)",
            statistics.median(seconds),
            None,
            None,
            limit=SAMPLE_PARITY_LIMIT,
        )
    ]


def bench_startup(repeat: int) -> list[dict[str, Any]]:
    """``dbkit --help`` from a cold start, next to the floor under it: the same interpreter starting
    with the same site-packages and doing nothing (``python -c pass``)."""
    seconds = alternate(
        {
            "dbkit": _process([*dbkit_command(), "--help"]),
            "python": _process([sys.executable, "-c", "pass"]),
        },
        max(repeat, 5),
    )
    return [
        _row(
            "dbkit --help, whole process (median of cold starts)",
            statistics.median(seconds["dbkit"]),
            statistics.median(seconds["python"]),
            "python -c pass (the start-up floor)",
            limit=STARTUP_LIMIT,
        )
    ]


# -- 3 and 4. whole-process diff of codebases and of snapshot files -----------------------------------
def _import_codebase(directory: Path, pattern: str) -> list[Any]:
    """Import a codebase's model modules the plain way (its directory on ``sys.path``), then forget them
    so the other version, with the same module names, can be imported next."""
    import importlib

    directory = directory.resolve()
    before = set(sys.modules)
    sys.path.insert(0, str(directory))
    try:
        return [importlib.import_module(path.stem) for path in sorted(directory.glob(pattern))]
    finally:
        sys.path.remove(str(directory))
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if file and Path(file).resolve().parent == directory:
                del sys.modules[name]


def _generated_metadata(modules: list[Any]) -> Any:
    """The tables of the ``DatabaseMixin`` models in ``modules``, generated as a dbkit ``env.py`` does."""
    from dbkit import DatabaseManager, ModelRegistry
    from dbkit.generate.builder import is_database_model

    models = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__ == module.__name__ and is_database_model(value)
    ]
    manager = DatabaseManager("sqlite://")
    ModelRegistry(manager, models).generate()
    return manager.metadata


def alembic_route_worker(kind: str, old_dir: Path, new_dir: Path) -> dict[str, Any]:
    """The Alembic route, a whole process: import both model sets, create the old one, compare."""
    if kind == "hand_written":
        old, new = (_import_codebase(path, "DB_*.py")[0].Base.metadata for path in (old_dir, new_dir))
    else:
        old, new = (_generated_metadata(_import_codebase(path, "BLL_*.py")) for path in (old_dir, new_dir))
    return {"diffs": len(alembic_compare([old], new))}


def import_one_worker(kind: str, directory: Path) -> dict[str, Any]:
    """The floor of a whole-process diff: ONE codebase imported the Alembic route's way, alone.

    Any tool that reads models by running their code must import each codebase (Python, SQLAlchemy,
    the model files; generated ones also generated). With two cores, two codebases imported in two
    processes at once take at best as long as one of them alone: this process."""
    if kind == "hand_written":
        tables = _import_codebase(directory, "DB_*.py")[0].Base.metadata.tables
    else:
        tables = _generated_metadata(_import_codebase(directory, "BLL_*.py")).tables
    return {"tables": len(tables)}


def bench_whole_process_diff(work: Path, n_tables: int, repeat: int) -> list[dict[str, Any]]:
    old = build_codebase(work / f"diff-old-{n_tables}", n_tables, changed=False)
    new = build_codebase(work / f"diff-new-{n_tables}", n_tables, changed=True)
    dbkit = dbkit_command()
    route = [sys.executable, str(Path(__file__).resolve()), "--worker", "alembic-route"]
    import_one = [sys.executable, str(Path(__file__).resolve()), "--worker", "import-one"]
    rows = []
    hand_written_route: list[float] = []
    for kind, pattern in (("hand_written", "DB_*.py"), ("generated", "BLL_*.py")):
        old_kind = only_files(old, work / f"diff-old-{kind}", pattern)
        new_kind = only_files(new, work / f"diff-new-{kind}", pattern)
        if _worker("alembic-route", kind, str(old_kind), str(new_kind))["diffs"] == 0:
            raise RuntimeError(f"The Alembic route found no change between the {kind} codebases.")
        seconds = alternate(
            {
                "dbkit": _process([*dbkit, "diff", str(old_kind), str(new_kind)], expected=(1,)),
                "alembic": _process([*route, kind, str(old_kind), str(new_kind)]),
                "floor": _process([*import_one, kind, str(old_kind)]),
            },
            repeat,
        )
        if kind == "hand_written":
            hand_written_route = seconds["alembic"]
        codebases, size = f"{kind.replace('_', '-')} codebases", f"[{n_tables} tables]"
        rows.append(
            _row(
                f"dbkit diff of two {codebases}, whole process {size}",
                statistics.median(seconds["dbkit"]),
                statistics.median(seconds["alembic"]),
                "Alembic route (import, create, compare)",
                CODEBASE_DIFF_RATIO,
            )
        )
        rows.append(
            {
                **_row(
                    f"floor: one of the two {codebases} imported alone, whole process {size}",
                    statistics.median(seconds["floor"]),
                    statistics.median(seconds["alembic"]),
                    "Alembic route (import, create, compare)",
                ),
                "floor_for": f"dbkit diff of two {codebases}, whole process",
            }
        )
    snapshots = []
    for directory in (old, new):
        path = work / f"{directory.name}.json"
        _process([*dbkit, "snapshot", str(directory), "--out", str(path)])()
        snapshots.append(str(path))
    diff_files = _process([*dbkit, "diff", *snapshots], expected=(1,))
    seconds = alternate({"dbkit": diff_files}, max(repeat, 5))["dbkit"]
    rows.append(
        _row(
            f"dbkit diff of two snapshot files, whole process [{n_tables} tables]",
            statistics.median(seconds),
            statistics.median(hand_written_route),
            "Alembic route (hand-written)",
            SNAPSHOT_DIFF_RATIO,
            SNAPSHOT_DIFF_LIMIT,
        )
    )
    return rows


# -- 5. verify against plain alembic upgrade/downgrade ------------------------------------------------
_VERIFY_MODEL = '''\
"""Synthetic orders table for the verify benchmark (bench/bench_migrate.py)."""

from typing import ClassVar

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin


class OrderModel(ApplicationModel, DatabaseMixin):
    migration_notes: ClassVar[str] = "{notes}"

    {name_column}: str = Field(description="Customer name", max_length=120)
    quantity: int = Field(0, description="Items ordered")
    price: float | None = Field(None, description="Unit price")
    paid: bool = Field(False, description="Paid in full")
{extra}'''


def _write_verify_codebases(work: Path) -> tuple[Path, Path]:
    old, new = work / "verify-old", work / "verify-new"
    old.mkdir()
    new.mkdir()
    (old / "BLL_Orders.py").write_text(_VERIFY_MODEL.format(notes="", name_column="fullname", extra=""))
    extra = '    note: str | None = Field(None, description="Delivery note", max_length=200)\n'
    (new / "BLL_Orders.py").write_text(
        _VERIFY_MODEL.format(
            notes="renamed fullname to customer_name", name_column="customer_name", extra=extra
        )
    )
    return old, new


def _fill_orders(database: Path, rows: int) -> None:
    import sqlite3
    import uuid

    connection = sqlite3.connect(database)
    with connection:
        connection.executemany(
            "INSERT INTO orders (id, fullname, quantity, price, paid) VALUES (?, ?, ?, ?, ?)",
            (
                (str(uuid.UUID(int=number + 1)), f"customer {number}", number % 50, number / 100, number % 2)
                for number in range(rows)
            ),
        )
    connection.close()


def verify_worker(work: Path, rows: int, repeat: int) -> dict[str, Any]:
    """Write the revisions with dbkit.migrate.api, build the populated database, time both sides."""
    from alembic import command
    from alembic.config import Config

    from dbkit.migrate import api
    from dbkit.migrate.revisions.environment import find_ini

    old, new = _write_verify_codebases(work)
    versions = work / "migrations" / "versions"
    written = api.revision(new, versions, from_source=old, message="rename and add a column")
    if len(written) != 2:
        raise RuntimeError(f"expected a baseline and a change, got {[str(item.path) for item in written]}")
    baseline = written[0].revision
    database = work / "orders.sqlite3"
    url = f"sqlite:///{database}"
    api.upgrade(versions, url, to=baseline)
    _fill_orders(database, rows)
    ini = find_ini(versions)
    if ini is None:
        raise RuntimeError(f"dbkit.migrate.api wrote no alembic.ini around {versions}")

    def dbkit_verify() -> None:
        report = api.verify(versions, url)
        if not report.passed:
            raise RuntimeError(f"dbkit verify failed:\n{report}")

    def plain_alembic() -> None:
        copy = work / "alembic-copy.sqlite3"
        shutil.copy(database, copy)
        config = Config(str(ini))
        config.set_main_option("sqlalchemy.url", f"sqlite:///{copy}")
        command.upgrade(config, "head")
        command.downgrade(config, baseline)
        copy.unlink()

    return {"seconds": alternate({"dbkit": dbkit_verify, "alembic": plain_alembic}, repeat)}


def bench_verify(work: Path, rows: int, repeat: int) -> list[dict[str, Any]]:
    directory = work / "verify"
    directory.mkdir()
    seconds = _worker("verify", str(directory), str(rows), str(repeat))["seconds"]
    return [
        _row(
            f"verify: baseline + rename/add column on SQLite, in process [{rows:,} rows]",
            statistics.median(seconds["dbkit"]),
            statistics.median(seconds["alembic"]),
            "plain alembic upgrade + downgrade",
            VERIFY_RATIO,
        )
    ]


# -- the benchmark -------------------------------------------------------------------------------------
def run(
    tables: int | None = None,
    diff_tables: int | None = None,
    rows: int | None = None,
    repeat: int | None = None,
    *,
    quick: bool = False,
    only: Iterable[str] = MEASURES,
    profile: bool = False,
) -> list[dict[str, Any]]:
    """Rows ``{measure, dbkit, peer, peer_name, ratio, target, limit}`` of the selected measures;
    sizes not given come from :data:`QUICK_SIZES` when ``quick`` and from :data:`FULL_SIZES` otherwise."""
    defaults = QUICK_SIZES if quick else FULL_SIZES
    tables = tables or defaults["tables"]
    diff_tables = diff_tables or defaults["diff_tables"]
    rows = rows or defaults["rows"]
    repeat = repeat or defaults["repeat"]
    selected = set(only)
    unknown = selected - set(MEASURES)
    if unknown:
        raise ValueError(f"Unknown measures {sorted(unknown)}; choose from {', '.join(MEASURES)}.")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dbkit-bench-migrate-") as tmp:
        work = Path(tmp)
        if "inprocess" in selected:
            results += bench_in_process(work, tables, repeat, profile)
        if "parity" in selected:
            results += bench_sample_parity(repeat)
        if "diff" in selected:
            results += bench_whole_process_diff(work, diff_tables, repeat)
        if "verify" in selected:
            results += bench_verify(work, rows, repeat)
        if "startup" in selected:
            results += bench_startup(repeat)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: " + json.dumps(QUICK_SIZES))
    parser.add_argument(
        "--tables", type=int, help=f"in-process codebase tables (default {FULL_SIZES['tables']})"
    )
    parser.add_argument(
        "--diff-tables", type=int, help=f"whole-process diff tables (default {FULL_SIZES['diff_tables']})"
    )
    parser.add_argument("--rows", type=int, help=f"rows for verify (default {FULL_SIZES['rows']})")
    parser.add_argument("--repeat", type=int, help="repetitions per side (default 3)")
    parser.add_argument(
        "--only", default=",".join(MEASURES), help="comma-separated subset of " + ",".join(MEASURES)
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of dbkit's in-process work")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("arguments", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_run_worker(args.worker, args.arguments, args.profile)))
        return
    from run_all import print_table  # the one table format of every benchmark

    rows = run(
        args.tables,
        args.diff_tables,
        args.rows,
        args.repeat,
        quick=args.quick,
        only=args.only.split(","),
        profile=args.profile,
    )
    print_table(rows)


def _run_worker(name: str, arguments: list[str], profile: bool) -> dict[str, Any]:
    sys.path.insert(0, str(REPO_ROOT))
    if name == "inprocess":
        old, new, repeat = arguments
        return in_process_worker(Path(old), Path(new), int(repeat), profile)
    if name == "alembic-route":
        kind, old, new = arguments
        return alembic_route_worker(kind, Path(old), Path(new))
    if name == "import-one":
        kind, directory = arguments
        return import_one_worker(kind, Path(directory))
    if name == "verify":
        work, rows, repeat = arguments
        return verify_worker(Path(work), int(rows), int(repeat))
    raise SystemExit(f"unknown worker {name!r}")


if __name__ == "__main__":
    main()
