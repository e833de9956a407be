"""Renames carry derived names along: ``pk_users`` becomes ``pk_people`` in the database too.

Without it a renamed table keeps its old constraint and index names, the schema still compares
equal (names are not compared), and the next revision that drops or alters one by the name its
model gives fails on that database.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.diff.changes import Op
from dbkit.migrate.diff.hints import apply_hints
from dbkit.migrate.schema.documents import dump_snapshot
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.naming import naming_convention

NOTES = {"table_renames": {"users": "people"}, "renames": {"fullname": "full_name"}}


def schema(users: str, name_column: str, notes: dict | None = None) -> sa.MetaData:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table(
        users,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(name_column, sa.String(50), index=True),
        sa.Column("email", sa.String(80), unique=True),
        sa.Column("age", sa.Integer),
        sa.CheckConstraint("age >= 0", name="age_not_negative"),
        comment=None,
    )
    sa.Table(
        "documents",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey(f"{users}.id", ondelete="CASCADE"), index=True),
    )
    metadata.info["notes"] = {users: notes} if notes else {}
    return metadata


def snapshot_file(path: Path, metadata: sa.MetaData) -> Path:
    path.write_text(dump_snapshot(snapshot_from_metadata(metadata, metadata.info["notes"])))
    return path


def names_in(url: str) -> dict[str, set[str]]:
    """Every named constraint and index of the database, per table."""
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    found = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        names = {inspector.get_pk_constraint(table)["name"]}
        names |= {item["name"] for item in inspector.get_unique_constraints(table)}
        names |= {item["name"] for item in inspector.get_check_constraints(table)}
        names |= {item["name"] for item in inspector.get_indexes(table)}
        found[table] = {name for name in names if name}
    engine.dispose()
    return found


def test_a_rename_renames_the_names_derived_from_it() -> None:
    old = snapshot_from_metadata(schema("users", "fullname"))
    new = snapshot_from_metadata(schema("people", "full_name"), {"people": NOTES})
    renamed = [
        (change.detail["kind"], change.detail["old"], change.detail["new"])
        for change in apply_hints(old, new).changes
        if change.op == Op.RENAME_CONSTRAINT
    ]
    assert sorted(renamed) == [
        ("index", "ix_users_fullname", "ix_people_full_name"),
        ("primary_key", "pk_users", "pk_people"),
        ("unique", "uq_users_email", "uq_people_email"),
    ]  # the check's explicit name does not derive from the table; documents' names do not change


def test_tables_no_rename_touched_keep_their_names() -> None:
    old = snapshot_from_metadata(schema("users", "fullname"))
    drifted = json.loads(json.dumps(old.to_dict()))
    drifted["tables"][0]["primary_key"]["name"] = "documents_pkey"  # a name the database chose
    from dbkit.migrate.schema.snapshot import Snapshot

    changes = apply_hints(Snapshot.from_dict(drifted), old).changes
    assert not [change for change in changes if change.op == Op.RENAME_CONSTRAINT]


def test_upgrade_gives_the_database_the_models_names_and_downgrade_restores_them(
    tmp_path: Path, database_url: str
) -> None:
    versions = tmp_path / "versions"
    old = snapshot_file(tmp_path / "old.json", schema("users", "fullname"))
    new = snapshot_file(tmp_path / "new.json", schema("people", "full_name", NOTES))
    written = api.revision(new, versions, from_source=old, message="people")
    baseline, renaming = written[0].revision, written[1].revision
    text = written[1].path.read_text()
    assert (
        "op.rename_constraints('people'" in text
        and "# rename_constraint people: uq_users_email → uq_people_email" in text
    )

    api.upgrade(versions, database_url, to=baseline)
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (id, fullname, email, age) VALUES (1, 'Kim', 'k@x.io', 30)"
        )
        connection.exec_driver_sql("INSERT INTO documents (id, user_id) VALUES (7, 1)")
    engine.dispose()
    before = names_in(database_url)

    api.upgrade(versions, database_url)
    after = names_in(database_url)
    assert {"pk_people", "uq_people_email", "ix_people_full_name", "age_not_negative"} <= after["people"]
    assert not {"pk_users", "uq_users_email", "ix_users_fullname"} & after["people"]
    assert after["documents"] == before["documents"]
    assert not api.check(new, database_url).changes
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT full_name, email FROM people").all() == [("Kim", "k@x.io")]
        assert connection.exec_driver_sql("SELECT user_id FROM documents").scalars().all() == [1]
    engine.dispose()

    api.downgrade(versions, database_url, to=baseline)
    assert names_in(database_url) == before
    api.upgrade(versions, database_url)  # and up again
    assert names_in(database_url) == after
    assert renaming in api.current(versions, database_url)


def test_verify_proves_the_renaming_revision(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    old = snapshot_file(tmp_path / "old.json", schema("users", "fullname"))
    new = snapshot_file(tmp_path / "new.json", schema("people", "full_name", NOTES))
    api.revision(new, versions, from_source=old, message="people")
    report = api.verify(versions)
    assert report.passed, str(report)


def test_the_operation_reverses_and_refuses_unknown_kinds() -> None:
    import pytest

    from dbkit.migrate.revisions.custom_ops import RenameConstraintsOp

    operation = RenameConstraintsOp(
        "people", [{"kind": "primary_key", "old": "pk_users", "new": "pk_people"}]
    )
    assert operation.reverse().renames == [{"kind": "primary_key", "old": "pk_people", "new": "pk_users"}]
    with pytest.raises(ValueError, match="unknown kind"):
        RenameConstraintsOp("people", [{"kind": "trigger", "old": "a", "new": "b"}])


def test_offline_sql_for_postgresql_renames_in_place(tmp_path: Path, postgres_url: str) -> None:
    versions = tmp_path / "versions"
    old = snapshot_file(tmp_path / "old.json", schema("users", "fullname"))
    new = snapshot_file(tmp_path / "new.json", schema("people", "full_name", NOTES))
    api.revision(new, versions, from_source=old, message="people")
    sql = api.upgrade(versions, postgres_url, sql=True) or ""
    assert "ALTER TABLE people RENAME CONSTRAINT pk_users TO pk_people;" in sql
    assert "ALTER INDEX ix_users_fullname RENAME TO ix_people_full_name;" in sql
