"""Online revisions: one file, run unchanged on SQLite and on the real PostgreSQL, each step in its
safe form there, idempotent (a re-run completes) and reversible from an intermediate state."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.revisions import runner
from dbkit.migrate.revisions.locks import LockPolicy
from dbkit.migrate.revisions.online import not_null_check_name
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import Snapshot
from dbkit.naming import naming_convention


def events_schema(*, online_changes: bool) -> Snapshot:
    """``accounts`` and ``events``; the second version adds what locks a live table."""
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table("accounts", metadata, sa.Column("id", sa.Integer, primary_key=True))
    columns: list[sa.SchemaItem] = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(20), nullable=True),
        sa.Column("payload", sa.Text, nullable=not online_changes),
        sa.Column("note", sa.String(100 if online_changes else 50), nullable=True),
        sa.Column("code", sa.String(20), nullable=True),
    ]
    if online_changes:
        columns += [
            sa.Column("source", sa.String(20), nullable=True),
            sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_events_account_id_accounts"),
            sa.CheckConstraint("kind <> ''", name="ck_events_kind_not_empty"),
            sa.UniqueConstraint("code", name="uq_events_code"),
            sa.Index("ix_events_kind", "kind"),
        ]
    sa.Table("events", metadata, *columns)
    return snapshot_from_metadata(metadata)


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    directory = tmp_path / "versions"
    api.revision(events_schema(online_changes=False), directory, message="baseline")
    api.revision(events_schema(online_changes=True), directory, message="online changes")
    return directory


def _fill(url: str, rows: int = 50) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO accounts (id) VALUES (1), (2)")
        for number in range(rows):
            conn.execute(
                sa.text(
                    "INSERT INTO events (id, account_id, kind, payload, note, code) "
                    "VALUES (:id, :account, 'click', 'x', 'n', :code)"
                ),
                {"id": number + 1, "account": number % 2 + 1, "code": f"c{number}"},
            )
    engine.dispose()


def _online_revision(versions: Path) -> Path:
    return next(path for path in versions.glob("*.py") if "online_changes" in path.name)


def test_dbkit_revision_writes_online_operations_by_default(versions: Path) -> None:
    text = _online_revision(versions).read_text()
    for call in (
        "op.create_index_online(op.f('ix_events_kind'), 'events', ['kind']",
        "op.create_foreign_key_online(op.f('fk_events_account_id_accounts'), 'events', 'accounts'",
        "op.create_check_constraint_online(op.f('ck_events_kind_not_empty'), 'events'",
        "op.create_unique_constraint_online(op.f('uq_events_code'), 'events', ['code'])",
        "op.set_not_null_online('events', 'payload'",
        "for attempt in op.online_step('events', 'add column events.source', done=[['column', 'events', 'source']]):",
    ):
        assert call in text
    assert "op.create_index(" not in text


def test_transactional_revision_keeps_plain_operations(tmp_path: Path) -> None:
    directory = tmp_path / "versions"
    api.revision(events_schema(online_changes=False), directory, message="baseline")
    api.revision(events_schema(online_changes=True), directory, message="plain", transactional=True)
    text = next(path for path in directory.glob("*.py") if "plain" in path.name).read_text()
    assert "_online" not in text and "online_step" not in text
    assert "batch_op.create_index(batch_op.f('ix_events_kind'), ['kind']" in text


def _postgresql_state(url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        state = {
            "constraints": dict(
                conn.exec_driver_sql(
                    "SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'events'::regclass "
                    "AND contype IN ('f', 'c', 'u')"
                ).all()
            ),
            "indexes": dict(
                conn.exec_driver_sql(
                    "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE i.indrelid = 'events'::regclass"
                ).all()
            ),
            "payload_not_null": conn.exec_driver_sql(
                "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'payload'"
            ).scalar(),
        }
    engine.dispose()
    return state


def test_one_online_revision_runs_on_both_backends_up_and_down(versions: Path, database_url: str) -> None:
    runner.upgrade(versions, database_url, to=_baseline(versions))
    _fill(database_url)
    runner.upgrade(versions, database_url)
    differences = runner.schema_differences(runner.history(versions)[-1].to_snapshot, _live(database_url))
    assert differences == []
    runner.downgrade(versions, database_url, "-1")
    differences = runner.schema_differences(runner.history(versions)[0].to_snapshot, _live(database_url))
    assert differences == []
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar() == 50
    engine.dispose()


def test_on_postgresql_constraints_end_validated_and_the_temporary_check_is_gone(
    versions: Path, postgres_url: str
) -> None:
    runner.upgrade(versions, postgres_url, to=_baseline(versions))
    _fill(postgres_url)
    runner.upgrade(versions, postgres_url)
    state = _postgresql_state(postgres_url)
    assert state["constraints"] == {
        "fk_events_account_id_accounts": True,
        "ck_events_kind_not_empty": True,
        "uq_events_code": True,
    }
    assert not_null_check_name("events", "payload") not in state["constraints"]
    assert all(state["indexes"].values())  # no INVALID index
    assert state["payload_not_null"] is True


def test_upgrade_sql_shows_the_online_statements(versions: Path, postgres_url: str) -> None:
    sql = runner.upgrade(versions, postgres_url, sql=True) or ""
    for statement in (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_events_kind ON events (kind)",
        "FOREIGN KEY(account_id) REFERENCES accounts (id) NOT VALID",
        "VALIDATE CONSTRAINT fk_events_account_id_accounts",
        "CHECK (payload IS NOT NULL) NOT VALID",
        "ALTER COLUMN payload SET NOT NULL",
        "UNIQUE USING INDEX uq_events_code",
        "SET lock_timeout = '200ms'",
    ):
        assert statement in sql


def _baseline(versions: Path) -> str:
    return runner.history(versions)[0].revision


def _live(url: str) -> object:
    engine = sa.create_engine(url)
    try:
        return runner.live_snapshot(engine)
    finally:
        engine.dispose()


def test_verify_runs_the_online_steps_and_their_rerun_on_postgresql(
    versions: Path, postgres_url: str
) -> None:
    report = api.verify(versions, postgres_url)
    assert report.passed, str(report)
    assert [step.direction for step in report.steps] == [
        "up",
        "rerun",
        "up",
        "rerun",
        "schema",
        "down",
        "down",
    ]


def test_verify_catches_an_online_step_that_is_not_idempotent(versions: Path, postgres_url: str) -> None:
    revision = _online_revision(versions)
    text = revision.read_text()
    marker = "\n\n\ndef downgrade() -> None:"
    revision.write_text(
        text.replace(marker, "\n    op.execute('CREATE TABLE dbkit_once (id integer)')" + marker, 1)
    )
    report = api.verify(versions, postgres_url)
    assert not report.passed
    assert [step.direction for step in report.steps] == ["up", "rerun", "up", "rerun"]  # stops at the failure
    assert "dbkit_once" in " ".join(report.steps[-1].problems)


@pytest.mark.parametrize("transactional", [False, True])
def test_the_autogenerate_plugin_takes_the_same_choice(transactional: bool) -> None:
    from alembic.operations import ops
    from alembic.runtime.migration import MigrationContext

    from dbkit.migrate.revisions.autogenerate import dbkit_autogenerate

    hook = dbkit_autogenerate(transactional=transactional)["process_revision_directives"]
    index = ops.CreateIndexOp("ix_events_kind", "events", ["kind"])
    script = ops.MigrationScript(
        "r1",
        ops.UpgradeOps(ops=[ops.ModifyTableOps("events", [index])]),
        ops.DowngradeOps(ops=[ops.ModifyTableOps("events", [index.reverse()])]),
    )
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        hook(MigrationContext.configure(conn, opts={"target_metadata": None}), None, [script])
    upgrade, downgrade = script.upgrade_ops.ops, script.downgrade_ops.ops
    if transactional:
        assert isinstance(upgrade[0], ops.ModifyTableOps) and isinstance(downgrade[0], ops.ModifyTableOps)
    else:
        assert [type(item).__name__ for item in (*upgrade, *downgrade)] == [
            "CreateIndexOnlineOp",
            "DropIndexOnlineOp",
        ]
        assert "import dbkit.migrate.renderers" in " ".join(script.imports)


def _backfill_schemas(*, after: bool) -> Snapshot:
    metadata = sa.MetaData(naming_convention=naming_convention())
    columns = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("payload", sa.Text, nullable=not after),
    ]
    if after:
        columns.append(sa.Column("label", sa.String(40), nullable=False))
    sa.Table("events", metadata, *columns)
    return snapshot_from_metadata(metadata)


def test_backfills_run_in_primary_key_batches_online_and_once_in_a_transaction(
    tmp_path: Path, database_url: str
) -> None:
    """payload: NULLs filled then NOT NULL; label: a NOT NULL column whose value is an expression of
    other columns, added nullable, filled, then NOT NULL. Online on PostgreSQL: batches of 1,000,
    each reported; the same file on SQLite: one UPDATE each."""
    versions = tmp_path / "versions"
    api.revision(_backfill_schemas(after=False), versions, message="baseline")
    api.revision(
        _backfill_schemas(after=True),
        versions,
        message="backfills",
        backfills={"events.payload": "'none'", "events.label": "upper(kind)"},
    )
    text = next(path for path in versions.glob("*.py") if "backfills" in path.name).read_text()
    assert "op.backfill_column('events', 'label', 'upper(kind)', key_columns=['id'], batch_rows=1000)" in text
    runner.upgrade(versions, database_url, to=_baseline(versions))
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO events (id, kind, payload) VALUES (:id, :kind, :payload)"),
            [{"id": n, "kind": f"k{n % 3}", "payload": None if n % 2 else "p"} for n in range(1, 2501)],
        )
    progress: list[str] = []
    runner.upgrade(versions, database_url, lock_policy=LockPolicy(on_progress=progress.append))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, kind, payload, label FROM events ORDER BY id").all()
    engine.dispose()
    assert len(rows) == 2500
    assert all(label == kind.upper() for _, kind, _, label in rows)
    assert {payload for _, _, payload, _ in rows} == {"p", "none"}
    differences = runner.schema_differences(runner.history(versions)[-1].to_snapshot, _live(database_url))
    assert differences == []
    if database_url.startswith("postgresql"):  # batches of 1,000 keys: 3 for each column
        assert progress == [
            "backfill events.label: 1000 rows filled",
            "backfill events.label: 2000 rows filled",
            "backfill events.label: 2500 rows filled",
            "backfill events.payload: 500 rows filled",
            "backfill events.payload: 1000 rows filled",
            "backfill events.payload: 1250 rows filled",
        ]
    else:
        assert progress == []  # one UPDATE each, in the migration's transaction


def test_identifiers_that_need_quoting_go_through_every_online_step(
    tmp_path: Path, database_url: str
) -> None:
    def schema(*, after: bool) -> Snapshot:
        metadata = sa.MetaData(naming_convention=naming_convention())
        sa.Table("User Accounts", metadata, sa.Column("ID", sa.Integer, primary_key=True))
        items: list[sa.SchemaItem] = [
            sa.Column("ID", sa.Integer, primary_key=True),
            sa.Column("Account ID", sa.Integer),
            sa.Column("Kind", sa.String(20), nullable=not after),
            sa.Column("note", sa.String(20)),
        ]
        if after:
            items += [
                sa.ForeignKeyConstraint(["Account ID"], ["User Accounts.ID"], name="fk Event Log account"),
                sa.CheckConstraint("note <> ''", name="ck Event Log note"),
                sa.UniqueConstraint("Kind", "Account ID", name="uq Event Log kind"),
                sa.Index("ix Event Log kind", "Kind"),
            ]
        sa.Table("Event Log", metadata, *items)
        return snapshot_from_metadata(metadata)

    versions = tmp_path / "versions"
    api.revision(schema(after=False), versions, message="baseline")
    api.revision(schema(after=True), versions, message="quoted")
    runner.upgrade(versions, database_url, to=_baseline(versions))
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql('INSERT INTO "User Accounts" ("ID") VALUES (1)')
        conn.exec_driver_sql(
            'INSERT INTO "Event Log" ("ID", "Account ID", "Kind") VALUES (1, 1, \'a\'), (2, 1, \'b\')'
        )
    runner.upgrade(versions, database_url)
    runner.upgrade(versions, database_url)  # at head: nothing to do
    assert runner.schema_differences(runner.history(versions)[-1].to_snapshot, _live(database_url)) == []
    runner.downgrade(versions, database_url, _baseline(versions))
    assert runner.schema_differences(runner.history(versions)[0].to_snapshot, _live(database_url)) == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql('SELECT count(*) FROM "Event Log"').scalar() == 2
    engine.dispose()
