"""verify: scratch copies only, rows kept through renames, schema checked at head and back at start."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.migrate.revisions import runner
from dbkit.migrate.revisions.reversal import RenameTable, rename_column
from dbkit.migrate.revisions.table_ops import baseline_ops
from dbkit.migrate.revisions.verify import verify
from dbkit.migrate.revisions.writer import write_revision
from dbkit.migrate.schema.documents import dump_snapshot
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.naming import naming_convention

EMPTY = dump_snapshot(snapshot_from_metadata(sa.MetaData()))


def schema(users: str, name_column: str) -> str:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table(
        users, metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column(name_column, sa.String(50))
    )
    sa.Table(
        "documents",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey(f"{users}.id", ondelete="CASCADE")),
        sa.Column("title", sa.String(20), nullable=False),
    )
    return dump_snapshot(snapshot_from_metadata(metadata))


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    directory = tmp_path / "versions"
    old, new = schema("users", "fullname"), schema("people", "full_name")
    write_revision(directory, baseline_ops(old), "baseline", EMPTY, old, revision_id="v1")
    renames = [
        RenameTable("users", "people"),
        rename_column("people", "fullname", "full_name", existing_type=sa.String(50)),
    ]
    write_revision(directory, renames, "rename users to people", old, new, revision_id="v2")
    return directory


def test_verify_passes_renames_with_rows_kept_on_a_scratch_database(
    versions: Path, database_url: str
) -> None:
    report = verify(versions, database_url if database_url.startswith("postgresql") else None)
    assert report.passed, str(report)
    assert [(step.direction, step.revision) for step in report.steps] == [
        ("up", "v1"),
        ("up", "v2"),
        ("schema", "v2"),
        ("down", "v2"),
        ("down", "v1"),
    ]
    renamed = report.steps[1]
    assert renamed.rows_before == {"users": 3, "documents": 3}
    assert renamed.rows_after == {"people": 3, "documents": 3}
    assert "PASSED" in str(report)
    engine = sa.create_engine(database_url)
    assert sa.inspect(engine).get_table_names() == []  # the given database was never touched
    engine.dispose()


def test_verify_works_on_a_copy_of_an_sqlite_file_and_never_writes_it(
    versions: Path, sqlite_url: str
) -> None:
    runner.upgrade(versions, sqlite_url, to="v1")
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO users VALUES (7, 'Kim')")
        conn.exec_driver_sql("INSERT INTO documents VALUES (1, 7, 'memo')")
    engine.dispose()
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = verify(versions, sqlite_url)
    assert report.passed, str(report)
    assert report.steps[0].rows_before == {"users": 1, "documents": 1}  # the copy's own rows
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert runner.current(versions, sqlite_url) == ("v1",)


def test_verify_reports_a_revision_that_loses_rows(versions: Path) -> None:
    lossy = next(versions.glob("v2_*.py"))
    lossy.write_text(
        lossy.read_text().replace(
            "op.rename_table('users', 'people')",
            "op.rename_table('users', 'people')\n        op.execute('DELETE FROM documents WHERE id > 1')",
        )
    )
    report = verify(versions)
    assert not report.passed
    assert "documents: 3 rows before, 1 after" in report.problems[0]
    assert report.edited == [str(lossy)]
    assert "was edited after dbkit wrote it" in str(report)


def test_verify_reports_a_schema_at_head_other_than_recorded(versions: Path) -> None:
    drifting = next(versions.glob("v2_*.py"))
    drifting.write_text(
        drifting.read_text().replace(
            "new_column_name='full_name')",
            "new_column_name='full_name')\n            batch_op.add_column(sa.Column('x', sa.Integer()))",
            1,
        )
    )
    report = verify(versions)
    schema_step = next(step for step in report.steps if step.direction == "schema")
    assert not schema_step.passed
    assert any("people.x" in problem for problem in schema_step.problems), schema_step.problems


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_verify_names_a_value_a_revision_changed(
    versions: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Counts equal, a value changed under a renamed column: found in SQL, then named row by row."""
    url = None if backend == "sqlite" else request.getfixturevalue("postgres_url")
    edited = next(versions.glob("v2_*.py"))
    edited.write_text(
        edited.read_text().replace(
            "op.rename_table('users', 'people')",
            "op.rename_table('users', 'people')\n        op.execute(\"UPDATE documents SET title = 'changed' WHERE id = 2\")",
        )
    )
    report = verify(versions, url)
    assert not report.passed
    assert any(
        "documents.title: row 2 was 'title-2', now 'changed'" in problem for problem in report.problems
    )


# -- matching rows on SQLite: by position first, by key (or as sets) when positions moved -------------
def _store_around(tmp_path: Path, create: str, rows: str, rebuild: list[str]) -> list[str]:
    """Capture ``t`` after ``rows``, run ``rebuild``, and return what the row comparison reports."""
    from dbkit.migrate.revisions.verify import RowStore, _Renames

    tmp_path.mkdir(exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rows.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql(create)
        connection.exec_driver_sql(rows)
    try:
        with RowStore(engine) as store:
            before = store.capture()
            with engine.begin() as connection:
                for statement in rebuild:
                    connection.exec_driver_sql(statement)
            return store.compare(before, _Renames())
    finally:
        engine.dispose()


REVERSED = [
    "CREATE TABLE t2 AS SELECT * FROM t ORDER BY id DESC",
    "DROP TABLE t",
    "ALTER TABLE t2 RENAME TO t",
]


def test_rows_whose_positions_moved_are_matched_by_key(tmp_path: Path) -> None:
    problems = _store_around(
        tmp_path,
        "CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER)",
        "INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3)",
        REVERSED,
    )
    assert problems == []


def test_a_changed_value_is_found_even_when_positions_moved(tmp_path: Path) -> None:
    problems = _store_around(
        tmp_path,
        "CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER)",
        "INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3)",
        [*REVERSED, "UPDATE t SET v = 20 WHERE id = 'b'"],
    )
    assert problems == ["t.v: row b was 2, now 20"]


def test_a_table_without_rowid_is_matched_by_key(tmp_path: Path) -> None:
    problems = _store_around(
        tmp_path,
        "CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID",
        "INSERT INTO t VALUES ('a', 1), ('b', 2)",
        ["UPDATE t SET v = 5 WHERE id = 'a'"],
    )
    assert problems == ["t.v: row a was 1, now 5"]


def test_rows_of_a_table_without_key_are_matched_as_sets(tmp_path: Path) -> None:
    create, rows = "CREATE TABLE t (id INTEGER, v TEXT)", "INSERT INTO t VALUES (1, 'x'), (2, 'y')"
    assert _store_around(tmp_path, create, rows, REVERSED) == []
    assert _store_around(tmp_path / "changed", create, rows, ["UPDATE t SET v = 'z' WHERE id = 2"]) != []
