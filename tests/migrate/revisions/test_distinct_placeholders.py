"""A dropped NOT NULL unique column comes back in the downgrade with one placeholder per row."""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.schema.documents import dump_snapshot
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.naming import naming_convention


def accounts(*, with_unique_columns: bool) -> str:
    metadata = sa.MetaData(naming_convention=naming_convention())
    columns = [sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40))]
    if with_unique_columns:
        columns += [
            sa.Column("code", sa.String(12), nullable=False, unique=True),
            sa.Column("token", sa.Uuid, nullable=False, unique=True),
            sa.Column("rank", sa.Integer, nullable=False),
            sa.Index("ix_accounts_rank_unique", "rank", unique=True),
        ]
    sa.Table("accounts", metadata, *columns)
    return dump_snapshot(snapshot_from_metadata(metadata))


def test_downgrade_numbers_the_placeholders_of_unique_columns(tmp_path: Path, database_url: str) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(accounts(with_unique_columns=True))
    new.write_text(accounts(with_unique_columns=False))
    versions = tmp_path / "versions"
    written = api.revision(new, versions, from_source=old, message="drop", allow_destructive=True)
    text = written[1].path.read_text()
    downgrade = text.split("def downgrade")[1]
    assert "op.fill_distinct_placeholders('accounts', 'code', key_columns=['id'], kind='string')" in downgrade
    assert "kind='uuid'" in downgrade and "'rank', key_columns=['id'], kind='integer'" in downgrade
    assert "fill_distinct_placeholders" not in text.split("def downgrade")[0]

    api.upgrade(versions, database_url, to=written[0].revision)
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        for number in range(1, 4):
            connection.execute(
                sa.text("INSERT INTO accounts (id, name, code, token, rank) VALUES (:i, :n, :c, :t, :r)"),
                {"i": number * 10, "n": f"a{number}", "c": f"c{number}", "t": uuid.uuid4().hex, "r": number},
            )
    api.upgrade(versions, database_url)
    api.downgrade(versions, database_url, to=written[0].revision)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, code, token, rank FROM accounts ORDER BY id")).all()
    engine.dispose()
    assert [(row.id, row.code, row.rank) for row in rows] == [(10, "1", 1), (20, "2", 2), (30, "3", 3)]
    assert len({str(row.token) for row in rows}) == 3
    assert not api.check(old, database_url).changes  # the unique constraints are back


def test_verify_passes_a_drop_of_unique_columns(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(accounts(with_unique_columns=True))
    new.write_text(accounts(with_unique_columns=False))
    versions = tmp_path / "versions"
    api.revision(new, versions, from_source=old, message="drop", allow_destructive=True)
    report = api.verify(versions)
    assert report.passed, str(report)


def titled(*, with_title: bool, nullable: bool) -> str:
    metadata = sa.MetaData(naming_convention=naming_convention())
    columns = [sa.Column("id", sa.Integer, primary_key=True)]
    if with_title:
        columns.append(sa.Column("title", sa.String(20), nullable=nullable, unique=True, server_default="x"))
    sa.Table("accounts", metadata, *columns)
    return dump_snapshot(snapshot_from_metadata(metadata))


def _round_trip_titles(tmp_path: Path, url: str, *, nullable: bool) -> list[tuple]:
    """Found by the revision round-trip property: a unique column with a server default, dropped;
    the downgrade re-added it with the default in every row and its unique constraint failed."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(titled(with_title=True, nullable=nullable))
    new.write_text(titled(with_title=False, nullable=nullable))
    versions = tmp_path / "versions"
    written = api.revision(new, versions, from_source=old, message="drop", allow_destructive=True)
    api.upgrade(versions, url, to=written[0].revision)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO accounts (id, title) VALUES (1, 'a'), (2, 'b')")
    api.upgrade(versions, url)
    api.downgrade(versions, url, to=written[0].revision)
    with engine.begin() as connection:
        rows = connection.exec_driver_sql("SELECT id, title FROM accounts ORDER BY id").all()
        connection.exec_driver_sql("INSERT INTO accounts (id) VALUES (3)")  # the default is back
        added = connection.exec_driver_sql("SELECT title FROM accounts WHERE id = 3").scalar()
    engine.dispose()
    assert added == "x"
    assert not api.check(old, url).changes
    return [tuple(row) for row in rows]


def test_a_nullable_unique_column_with_a_default_comes_back_null(tmp_path: Path, database_url: str) -> None:
    assert _round_trip_titles(tmp_path, database_url, nullable=True) == [(1, None), (2, None)]


def test_a_not_null_unique_column_with_a_default_comes_back_numbered(
    tmp_path: Path, database_url: str
) -> None:
    assert _round_trip_titles(tmp_path, database_url, nullable=False) == [(1, "1"), (2, "2")]
