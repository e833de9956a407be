"""The engine end to end on the sample: diff with hints and lint, revisions, upgrade/downgrade with rows kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.diff.changes import Op
from dbkit.migrate.schema.snapshot import Snapshot

DATA = Path(__file__).resolve().parents[2] / "data"
V1, V2 = DATA / "sample_app", DATA / "evolution" / "v2"


@pytest.fixture(scope="module")
def v1() -> Snapshot:
    return api.snapshot_of(V1)


@pytest.fixture(scope="module")
def v2() -> Snapshot:
    return api.snapshot_of(V2)


def test_hybrid_target_takes_generated_tables_first(v1: Snapshot) -> None:
    roles = v1.table_map["roles"]
    assert roles.column_map["name"].type.length == 64  # generated RoleModel, not DB_Auth.Role (50)
    hand = api.snapshot_of(V1, prefer="hand_written")
    assert hand.table_map["roles"].column_map["name"].type.length == 50


def test_evolution_diff_applies_hints_and_classifies_risks(v1: Snapshot, v2: Snapshot) -> None:
    result = api.diff(v1, v2)
    summary = {(str(c.op), c.target, str(c.risk)) for c in result.changes}
    assert ("rename_column", "users.full_name", "backward_incompatible") in summary
    assert ("add_column", "users.timezone", "safe") in summary
    assert ("drop_column", "users.avatar_url", "destructive") in summary
    assert ("add_column", "teams.plan", "data_dependent") in summary
    assert any(c.op == Op.ADD_ENUM_VALUE and c.detail["value"] == "invited" for c in result.changes)
    assert not any(c.op == Op.DROP_COLUMN and c.column == "fullname" for c in result.changes)
    assert "Renamed fullname to full_name" in result.message


def test_destructive_change_is_refused_then_waived(v1: Snapshot, v2: Snapshot, tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    refused = api.plan_revision(v2, versions, from_source=v1)
    assert not refused.allowed
    assert "users.avatar_url" in refused.verdict.message
    with pytest.raises(api.RevisionRefusedError, match="avatar_url"):
        api.write_planned_revision(refused, versions)
    assert not versions.exists() or not list(versions.glob("*.py"))  # nothing written
    written = api.revision(v2, versions, from_source=v1, allow_destructive=True)
    assert len(written) == 2  # the baseline, then the change
    assert written[1].down_revision == written[0].revision
    again = api.plan_revision(v2, versions)  # the next revision needs neither --from nor a database
    assert not again.changes


def _row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        names = [n for n in sa.inspect(connection).get_table_names() if n != "alembic_version"]
        counts = {n: connection.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}
    engine.dispose()
    return counts


def test_upgrade_and_downgrade_keep_rows(
    v1: Snapshot, v2: Snapshot, tmp_path: Path, database_url: str
) -> None:
    versions = tmp_path / "versions"
    baseline, _change = api.revision(v2, versions, from_source=v1, allow_destructive=True)
    api.upgrade(versions, database_url, to=baseline.revision)
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, email, fullname, status, locale, avatar_url, created_at) "
                "VALUES ('00000000-0000-4000-8000-0000000000aa', 'a@example.com', 'Ada Lovelace', 'active', "
                "'en', 'http://a', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO teams (id, name, slug, description, max_members, created_at) "
                "VALUES ('00000000-0000-4000-8000-0000000000bb', 'Core', 'core', 'x', 5, CURRENT_TIMESTAMP)"
            )
        )
    before = _row_counts(database_url)
    api.upgrade(versions, database_url)
    with engine.connect() as connection:
        user = connection.execute(sa.text("SELECT full_name, timezone FROM users")).one()
        plan = connection.execute(sa.text("SELECT plan FROM teams")).scalar()
    assert tuple(user) == ("Ada Lovelace", None)  # renamed, not dropped and re-added
    assert plan == "free"  # backfilled from migration_notes
    assert _row_counts(database_url) == before
    assert not api.check(V2, database_url).changes  # the database now matches the models
    api.downgrade(versions, database_url, to=baseline.revision)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT fullname FROM users")).scalar() == "Ada Lovelace"
    assert _row_counts(database_url) == before
    engine.dispose()


def test_failed_sqlite_upgrade_rolls_back_whole(v1: Snapshot, tmp_path: Path) -> None:
    """Batch mode recreates tables one after the other; a failure halfway must undo the earlier ones."""
    hand = api.snapshot_of(V1, prefer="hand_written")
    versions = tmp_path / "versions"
    baseline, _change = api.revision(v1, versions, from_source=hand)
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    api.upgrade(versions, url, to=baseline.revision)
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # a NULL description makes teams.description NOT NULL fail
        connection.execute(
            sa.text(
                "INSERT INTO teams (id, name, slug, description, max_members, created_at) "
                "VALUES ('00000000-0000-4000-8000-0000000000bb', 'Core', 'core', NULL, 5, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(api.DbkitError, match="NOT NULL"):
        api.upgrade(versions, url)
    inspector = sa.inspect(engine)
    assert not [name for name in inspector.get_table_names() if name.startswith("_alembic_tmp")]
    roles_name = next(c for c in inspector.get_columns("roles") if c["name"] == "name")
    assert roles_name["type"].length == 50  # the roles step before the failure was rolled back too
    assert api.current(versions, url) == baseline.revision
    engine.dispose()


def _enum_schema(values: list[str]) -> Snapshot:
    from dbkit.migrate.schema.from_models import snapshot_from_metadata

    metadata = sa.MetaData()
    sa.Table(
        "tickets",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.Enum(*values, name="ticket_state"), nullable=False),
    )
    return snapshot_from_metadata(metadata)


def test_adjacent_new_enum_members_are_added_in_order(tmp_path: Path, database_url: str) -> None:
    """Each ADD VALUE names a neighbour that already exists when it runs (x before y, y before closed)."""
    old, new = _enum_schema(["open", "closed"]), _enum_schema(["open", "x", "y", "closed"])
    versions = tmp_path / "versions"
    api.revision(new, versions, from_source=old)
    api.upgrade(versions, database_url)
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO tickets (id, state) VALUES (1, 'y')"))
        if engine.dialect.name == "postgresql":
            labels = connection.execute(sa.text("SELECT enum_range(NULL::ticket_state)::text")).scalar()
            assert labels == "{open,x,y,closed}"
    engine.dispose()
    assert not api.check(new, database_url).changes


def _schema(*tables: tuple[str, list[sa.Column]]) -> Snapshot:
    from dbkit.migrate.schema.from_models import snapshot_from_metadata
    from dbkit.naming import naming_convention

    metadata = sa.MetaData(naming_convention=naming_convention())
    for name, columns in tables:
        sa.Table(name, metadata, *columns)
    return snapshot_from_metadata(metadata)


def test_new_tables_in_a_cycle_and_a_dropped_not_null_column_round_trip(
    tmp_path: Path, database_url: str
) -> None:
    """New tables that reference each other get their keys once both exist; the downgrade re-adds a
    dropped NOT NULL column to a populated table by filling a placeholder (its data is gone)."""
    accounts_v1 = (
        "accounts",
        [sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40), nullable=False)],
    )
    old = _schema(accounts_v1)
    new = _schema(
        ("accounts", [sa.Column("id", sa.Integer, primary_key=True)]),
        (
            "authors",
            [
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("book_id", sa.Integer, sa.ForeignKey("books.id")),
            ],
        ),
        (
            "books",
            [
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id")),
            ],
        ),
    )
    versions = tmp_path / "versions"
    baseline, _change = api.revision(new, versions, from_source=old, allow_destructive=True)
    api.upgrade(versions, database_url, to=baseline.revision)
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO accounts (id, name) VALUES (1, 'a'), (2, 'b')"))
    api.upgrade(versions, database_url)
    assert not api.check(new, database_url).changes
    api.downgrade(versions, database_url, to=baseline.revision)
    assert not api.check(old, database_url).changes
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT id, name FROM accounts ORDER BY id")).all() == [
            (1, ""),
            (2, ""),
        ]
    engine.dispose()


def _shared_enum_schema(*, evolved: bool) -> Snapshot:
    from dbkit.migrate.schema.from_models import snapshot_from_metadata

    metadata = sa.MetaData()
    state = ("open", "closed")
    sa.Table(
        "a",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.Enum(*state, name="state")),
    )
    kind = [sa.Column("kind", sa.Enum("x", "y", name="kind"))] if evolved else []
    sa.Table("b", metadata, sa.Column("id", sa.Integer, primary_key=True), *kind)
    if evolved:
        sa.Table(
            "c",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("state", sa.Enum(*state, name="state")),
        )
    return snapshot_from_metadata(metadata)


def test_enum_types_are_created_once_and_dropped_when_unused(tmp_path: Path, database_url: str) -> None:
    """A new table using an existing enum type, and a new column with a new type (Alembic's create_table
    would CREATE TYPE twice, its add_column not at all); downgrade and upgrade again."""
    old, new = _shared_enum_schema(evolved=False), _shared_enum_schema(evolved=True)
    versions = tmp_path / "versions"
    baseline, _change = api.revision(new, versions, from_source=old)
    api.upgrade(versions, database_url, to=baseline.revision)
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO b (id) VALUES (1)"))
    api.upgrade(versions, database_url)
    assert not api.check(new, database_url).changes
    api.downgrade(versions, database_url, to=baseline.revision)
    assert not api.check(old, database_url).changes
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            types = (
                connection.execute(sa.text("SELECT typname FROM pg_type WHERE typtype = 'e'")).scalars().all()
            )
        assert sorted(types) == ["state"]  # the new type went with its column; the shared one stayed
    api.upgrade(versions, database_url)
    assert not api.check(new, database_url).changes
    engine.dispose()
