"""Revision files: chaining, atomic locked writes, recorded snapshots and hashes, SQLite FK safety, backfills."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.operations import ops

from dbkit.errors import MigrationRuntimeError
from dbkit.migrate.diff.compare import diff_snapshots
from dbkit.migrate.revisions.environment import alembic_config
from dbkit.migrate.revisions.history import RevisionError, read_history, snapshots_equal
from dbkit.migrate.revisions.reasons import with_reason
from dbkit.migrate.revisions.table_ops import baseline_ops, group_per_table, not_null_backfill_ops
from dbkit.migrate.revisions.writer import LOCK_NAME, revision_lock, write_revision
from dbkit.migrate.schema.documents import dump_snapshot, load_snapshot
from dbkit.migrate.schema.from_database import snapshot_from_database
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.naming import naming_convention


def accounts_schema(*, extra_column: sa.Column | None = None) -> str:
    """accounts ← ledgers (ON DELETE CASCADE): the shape that loses child rows in SQLite batch mode."""
    metadata = sa.MetaData(naming_convention=naming_convention())
    columns = [sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40))]
    sa.Table("accounts", metadata, *columns, *([extra_column] if extra_column is not None else []))
    sa.Table(
        "ledgers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True),
    )
    return dump_snapshot(snapshot_from_metadata(metadata))


EMPTY = dump_snapshot(snapshot_from_metadata(sa.MetaData()))


def write_baseline(versions: Path, snapshot: str | None = None) -> str:
    snapshot = snapshot or accounts_schema()
    return write_revision(versions, baseline_ops(snapshot), "baseline", EMPTY, snapshot).revision


def python_files(versions: Path) -> list[str]:
    return sorted(path.name for path in versions.iterdir() if path.suffix == ".py")


def test_revisions_chain_onto_the_single_head_and_record_their_snapshots(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    base = write_baseline(versions)
    target = accounts_schema(extra_column=sa.Column("note", sa.Text()))
    add = with_reason(ops.AddColumnOp("accounts", sa.Column("note", sa.Text())), "add accounts.note")
    second = write_revision(versions, [add], "add note", accounts_schema(), target)
    assert (tmp_path / "migrations" / "env.py").is_file() and (
        tmp_path / "migrations" / "alembic.ini"
    ).is_file()
    assert second.down_revision == base
    history = read_history(versions)
    assert [item.revision for item in history.revisions] == [base, second.revision]
    assert history.heads == (second.revision,)
    assert snapshots_equal(history.revisions[0].from_snapshot, EMPTY)
    assert snapshots_equal(history.head_to_snapshot, target)
    assert all(item.hash_matches for item in history.revisions)
    text = second.path.read_text()
    assert "# add accounts.note\n            batch_op.add_column(" in text
    assert second.path.name == f"{second.revision}_add_note.py"


def test_snapshot_with_quotes_and_backslashes_survives_the_file(tmp_path: Path) -> None:
    comment = "it's a ''' tricky \\ comment \\u0041"
    metadata = sa.MetaData()
    sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True), comment=comment)
    snapshot = dump_snapshot(snapshot_from_metadata(metadata))
    write_revision(tmp_path / "versions", baseline_ops(snapshot), "notes", EMPTY, snapshot)
    recorded = read_history(tmp_path / "versions").head_to_snapshot
    assert snapshots_equal(recorded, snapshot)


def test_refuses_a_directory_with_two_heads_and_writes_nothing(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    base = write_baseline(versions)
    for name in ("b1", "b2"):
        (versions / f"{name}_branch.py").write_text(
            f"revision = {name!r}\ndown_revision = {base!r}\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n"
        )
    before = python_files(versions)
    with pytest.raises(RevisionError, match=r"2 heads .*b1, b2.*merge"):
        write_revision(versions, [], "third", None, None)
    assert python_files(versions) == before
    assert not (versions / LOCK_NAME).exists()


def test_refuses_a_revision_prepared_against_an_older_head(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    write_baseline(versions)
    with pytest.raises(RevisionError, match="history moved"):
        write_revision(versions, [], "stale", EMPTY, accounts_schema())


def test_a_failed_write_leaves_no_file_no_temp_and_no_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions = tmp_path / "versions"
    write_baseline(versions)
    before = sorted(path.name for path in versions.iterdir())

    def failing_replace(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_revision(versions, [], "doomed", accounts_schema(), accounts_schema())
    assert sorted(path.name for path in versions.iterdir()) == before


def test_an_irreversible_operation_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    write_baseline(versions)
    with pytest.raises(RevisionError, match="Cannot write the downgrade"):
        write_revision(versions, [ops.DropColumnOp("accounts", "name")], "drop", None, None)
    assert len(python_files(versions)) == 1


def _write_concurrently(args: tuple[str, str, str]) -> str:
    versions, from_snapshot, note = args
    operation = ops.AddColumnOp("accounts", sa.Column(note, sa.Text()))
    target = accounts_schema(extra_column=sa.Column(note, sa.Text()))
    try:
        return write_revision(Path(versions), [operation], note, from_snapshot, target).revision
    except RevisionError as exc:
        return f"refused: {exc}"


def test_concurrent_writers_never_leave_two_heads(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    write_baseline(versions)
    jobs = [(str(versions), accounts_schema(), f"note_{number}") for number in range(4)]
    with ProcessPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(_write_concurrently, jobs))
    written = [outcome for outcome in outcomes if not outcome.startswith("refused")]
    assert len(written) == 1, outcomes
    assert all("history moved" in outcome for outcome in outcomes if outcome.startswith("refused"))
    assert read_history(versions).heads == (written[0],)
    assert not (versions / LOCK_NAME).exists()


def test_a_held_lock_times_out_and_a_dead_owners_lock_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text(str(os.getpid()))  # a live process holds it
    with pytest.raises(RevisionError, match="Another dbkit process"), revision_lock(tmp_path, timeout=0.2):
        pass
    (tmp_path / LOCK_NAME).write_text("999999999")  # no such process
    with revision_lock(tmp_path, timeout=0.2):
        assert (tmp_path / LOCK_NAME).read_text() == str(os.getpid())
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_hand_edited_revision_is_reported_not_refused(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    write_baseline(versions)
    path = read_history(versions).revisions[0].path
    path.write_text(path.read_text().replace("def upgrade() -> None:", "def upgrade() -> None:  # tweaked"))
    assert [item.path for item in read_history(versions).edited] == [path]
    written = write_revision(versions, [], "next", accounts_schema(), accounts_schema())
    assert written.edited == (path,)


def _fk_enforced_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _on(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[attr-defined]

    return engine


def _parent_recreating_revision(versions: Path) -> None:
    """Baseline, then a change to ``accounts`` that batch mode applies by recreating the table."""
    write_baseline(versions)
    alter = ops.AlterColumnOp("accounts", "name", existing_type=sa.String(40), modify_type=sa.String(80))
    write_revision(versions, [alter], "widen name", accounts_schema(), None)


def _seed_accounts(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO accounts (id, name) VALUES (1, 'a'), (2, 'b')")
        conn.exec_driver_sql("INSERT INTO ledgers (id, account_id) VALUES (1, 1), (2, 1), (3, 2)")


def test_sqlite_trap_is_real_without_the_guard(sqlite_url: str) -> None:
    """Control: Alembic's batch mode on an FK-enforcing connection deletes the child rows."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    engine = _fk_enforced_engine(sqlite_url)
    with engine.begin() as conn:
        sa.MetaData().create_all(conn)
        conn.exec_driver_sql("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(40))")
        conn.exec_driver_sql(
            "CREATE TABLE ledgers (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE)"
        )
    _seed_accounts(engine)
    with (
        engine.begin() as conn,
        Operations(MigrationContext.configure(conn)).batch_alter_table("accounts") as batch,
    ):
        batch.alter_column("name", existing_type=sa.String(40), type_=sa.String(80))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM ledgers").scalar() == 0
    engine.dispose()


def test_sqlite_parent_table_recreated_keeps_every_child_row(tmp_path: Path, sqlite_url: str) -> None:
    versions = tmp_path / "versions"
    _parent_recreating_revision(versions)
    engine = _fk_enforced_engine(sqlite_url)
    config = alembic_config(versions)
    head, base = read_history(versions).heads[0], read_history(versions).revisions[0].revision
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, base)
    _seed_accounts(engine)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, head)
        command.downgrade(config, base)
        assert conn.exec_driver_sql("SELECT count(*) FROM ledgers").scalar() == 3
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # restored for the application
    engine.dispose()


def test_sqlite_guard_refuses_when_foreign_keys_cannot_be_turned_off(tmp_path: Path, sqlite_url: str) -> None:
    """Inside an open SQLite transaction the pragma is ignored: the revision stops rather than lose rows."""
    from alembic.migration import MigrationContext

    versions = tmp_path / "versions"
    _parent_recreating_revision(versions)
    engine = _fk_enforced_engine(sqlite_url)
    config = alembic_config(versions)
    base = read_history(versions).revisions[0].revision
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, base)
    _seed_accounts(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("UPDATE accounts SET name = 'c' WHERE id = 2")  # opens a real transaction
        config.attributes["connection"] = conn
        with pytest.raises(MigrationRuntimeError, match="would delete child rows"):
            command.upgrade(config, "head")
        conn.rollback()
        assert MigrationContext.configure(conn).get_current_heads() == (base,)
        assert conn.exec_driver_sql("SELECT count(*) FROM ledgers").scalar() == 3
    engine.dispose()


def test_not_null_column_backfills_existing_rows_and_leaves_no_default(
    tmp_path: Path, database_url: str
) -> None:
    versions = tmp_path / "versions"
    write_baseline(versions)
    column = sa.Column("currency", sa.String(3), nullable=False)
    target = accounts_schema(extra_column=sa.Column("currency", sa.String(3), nullable=False))
    write_revision(
        versions,
        not_null_backfill_ops("accounts", column, "'EUR'", reason="backfill"),  # an SQL value
        "currency",
        accounts_schema(),
        target,
    )
    engine = sa.create_engine(database_url)
    config = alembic_config(versions)
    base = read_history(versions).revisions[0].revision
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, base)
    _seed_accounts(engine)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
        assert conn.exec_driver_sql("SELECT currency FROM accounts ORDER BY id").scalars().all() == [
            "EUR",
            "EUR",
        ]
        currency = next(c for c in sa.inspect(conn).get_columns("accounts") if c["name"] == "currency")
        assert currency["nullable"] is False and currency["default"] is None
        command.downgrade(config, base)
        conn.commit()
        assert [c["name"] for c in sa.inspect(conn).get_columns("accounts")] == ["id", "name"]
    engine.dispose()


def test_baseline_ops_create_every_table_and_index_in_dependency_order() -> None:
    created = baseline_ops(accounts_schema()).ops
    assert [type(item).__name__ for item in created] == ["CreateTableOp", "CreateTableOp", "CreateIndexOp"]
    assert [getattr(item, "table_name", None) for item in created] == ["accounts", "ledgers", "ledgers"]
    assert created[2].index_name == "ix_ledgers_account_id"


def cycle_schema() -> str:
    """authors ⇄ books (each references the other) and a self-reference: no table can come first."""
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table(
        "authors",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("favourite_book_id", sa.Integer, sa.ForeignKey("books.id")),
        sa.Column("mentor_id", sa.Integer, sa.ForeignKey("authors.id")),
    )
    sa.Table(
        "books",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id")),
    )
    return dump_snapshot(snapshot_from_metadata(metadata))


def test_baseline_with_a_reference_cycle_upgrades_and_downgrades(tmp_path: Path, database_url: str) -> None:
    """CREATE TABLE cannot name a table that does not exist yet (PostgreSQL): cycle keys come after."""
    versions = tmp_path / "versions"
    write_baseline(versions, cycle_schema())
    config = alembic_config(versions)
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
        assert not diff_snapshots(load_snapshot(cycle_schema()), snapshot_from_database(conn))
        command.downgrade(config, "base")
        conn.commit()
        assert sorted(sa.inspect(conn).get_table_names()) == ["alembic_version"]
    engine.dispose()


def test_a_foreign_key_added_to_a_table_is_batched_with_its_table() -> None:
    """``AddConstraintOp.from_constraint`` gives a CreateForeignKeyOp, which names ``source_table``."""
    metadata = sa.MetaData()
    sa.Table("accounts", metadata, sa.Column("id", sa.Integer, primary_key=True))
    ledgers = sa.Table(
        "ledgers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id", name="fk_ledgers_account_id")),
    )
    foreign_key = next(iter(ledgers.foreign_key_constraints))
    grouped = group_per_table([ops.AddConstraintOp.from_constraint(foreign_key)])
    assert [(type(item).__name__, item.table_name) for item in grouped] == [("ModifyTableOps", "ledgers")]
