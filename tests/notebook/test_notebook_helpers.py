"""The helpers migration notebooks share: row counts and copies, workspaces' diffs and edits, the Phase 2 replay."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dbkit.notebook import (
    copy_rows,
    counts_line,
    directory_diff,
    row_counts,
    scalar,
    shorten,
    switch_to_generated,
    verify_text,
    with_fixes,
    workspace,
)
from dbkit.notebook.databases import CopyRowsError, insertion_order
from dbkit.notebook.workspaces import WorkspaceError

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLE_APP = DATA / "sample_app"


# -- a schema with what a copy must get right ------------------------------------------------------
def schema() -> sa.MetaData:
    """Teams and people referencing each other (a cycle), people managing people (a self-reference),
    UUID keys, an integer key, booleans, time stamps, decimals, an enum, JSON, Alembic's table."""
    metadata = sa.MetaData()
    sa.Table(
        "teams",
        metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("lead_id", sa.Uuid, sa.ForeignKey("people.id", name="fk_teams_lead", use_alter=True)),
    )
    sa.Table(
        "people",
        metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("team_id", sa.Uuid, sa.ForeignKey("teams.id", name="fk_people_team"), nullable=False),
        sa.Column("manager_id", sa.Uuid, sa.ForeignKey("people.id", name="fk_people_manager")),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Numeric(10, 2)),
        sa.Column("role", sa.Enum("admin", "member", name="person_role"), nullable=False),
        sa.Column("settings", sa.JSON),
    )
    sa.Table(
        "tags",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(20), nullable=False),
    )
    sa.Table("alembic_version", metadata, sa.Column("version_num", sa.String(32), primary_key=True))
    return metadata


TEAM, OTHER_TEAM = uuid.UUID(int=1), uuid.UUID(int=2)
BOSS, MIDDLE, JUNIOR = uuid.UUID(int=10), uuid.UUID(int=11), uuid.UUID(int=12)


def person(id_: uuid.UUID, manager: uuid.UUID | None, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "team_id": TEAM,
        "manager_id": manager,
        "name": name,
        "active": extra.get("active", True),
        "joined_at": dt.datetime(2024, 5, 17, 9, 30, 15, 123456),
        "score": decimal.Decimal(extra.get("score", "12.50")),
        "role": extra.get("role", "member"),
        "settings": extra.get("settings", {"theme": "dark", "tabs": [1, 2]}),
    }


@pytest.fixture
def source_url(tmp_path: Path) -> str:
    """An SQLite database in which children come before their parents (SQLite does not check)."""
    url = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    metadata = schema()
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            metadata.tables["teams"].insert(),
            [
                {"id": TEAM, "name": "core", "lead_id": BOSS},
                {"id": OTHER_TEAM, "name": "empty", "lead_id": None},
            ],
        )
        connection.execute(
            metadata.tables["people"].insert(),
            [
                person(JUNIOR, MIDDLE, "junior", active=False, score="0.05"),
                person(MIDDLE, BOSS, "middle", settings=None),
                person(BOSS, BOSS, "boss", role="admin"),  # a root that manages itself
            ],
        )
        connection.execute(
            metadata.tables["tags"].insert(), [{"id": 7, "label": "x"}, {"id": 3, "label": "y"}]
        )
        connection.execute(metadata.tables["alembic_version"].insert(), [{"version_num": "abc"}])
    engine.dispose()
    return url


def rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the schema's data tables, typed by the schema, ordered; times as wall-clock."""
    metadata = schema()
    engine = sa.create_engine(url)
    found = {}
    with engine.connect() as connection:
        for name in ("teams", "people", "tags"):
            table = metadata.tables[name]
            result = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            found[name] = [
                tuple(v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v for v in row)
                for row in result
            ]
    engine.dispose()
    return found


# -- counts and values -----------------------------------------------------------------------------------
def test_row_counts_by_table_name_without_alembic_bookkeeping(source_url: str) -> None:
    counts = row_counts(source_url)
    assert counts == {"people": 3, "tags": 2, "teams": 2}
    assert list(counts) == sorted(counts)
    assert row_counts(source_url, exclude=())["alembic_version"] == 1
    assert counts_line("before", {"users": 4000, "roles": 4}) == "before: users 4,000, roles 4"


def test_scalar_binds_its_parameters(source_url: str) -> None:
    assert scalar(source_url, "SELECT count(*) FROM people WHERE name = :name", name="boss") == 1
    assert scalar(source_url, "SELECT count(*) FROM people WHERE name = :name", name="x' OR 1=1 --") == 0


# -- copy_rows -------------------------------------------------------------------------------------
def test_copy_rows_to_each_backend_keeps_every_value(source_url: str, database_url: str) -> None:
    schema().create_all(sa.create_engine(database_url))
    copied = copy_rows(source_url, database_url)
    assert copied == row_counts(source_url) == row_counts(database_url)
    assert list(copied) == sorted(copied)
    assert rows(database_url) == rows(source_url)
    assert row_counts(database_url, exclude=())["alembic_version"] == 0  # bookkeeping is not data
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:  # the integer key's sequence was moved past the copied keys
        connection.execute(schema().tables["tags"].insert(), [{"label": "new"}])
        assert connection.execute(sa.text("SELECT max(id) FROM tags")).scalar_one() == 8
    engine.dispose()


def test_copy_rows_back_from_postgresql_restores_the_sqlite_rows(
    source_url: str, postgres_url: str, tmp_path: Path
) -> None:
    back = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    for url in (postgres_url, back):
        engine = sa.create_engine(url)
        schema().create_all(engine)
        engine.dispose()
    copy_rows(source_url, postgres_url)
    copy_rows(postgres_url, back)  # PostgreSQL's uuid.UUID values into SQLite's CHAR(32)
    assert rows(back) == rows(source_url)
    assert scalar(back, "SELECT id FROM people WHERE name = 'boss'") == BOSS.hex


def test_copy_rows_copies_only_the_columns_both_sides_have(source_url: str, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    metadata = sa.MetaData()
    sa.Table(
        "tags",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(20)),
        sa.Column("colour", sa.String(7), server_default="#000000"),
    )
    sa.Table("missing_in_source", metadata, sa.Column("id", sa.Integer, primary_key=True))
    engine = sa.create_engine(target)
    metadata.create_all(engine)
    engine.dispose()
    assert copy_rows(source_url, target) == {"missing_in_source": 0, "tags": 2}
    assert scalar(target, "SELECT count(*) FROM tags WHERE colour = '#000000'") == 2


def test_insertion_order_puts_parents_first_and_breaks_cycles_at_a_nullable_reference() -> None:
    metadata = schema()
    order, deferred = insertion_order(metadata.tables.values())
    names = [table.name for table in order]
    assert names.index("teams") < names.index("people")
    assert [fk.name for fk in deferred] == ["fk_teams_lead"]

    strict = sa.MetaData()
    sa.Table(
        "a",
        strict,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("b_id", sa.ForeignKey("b.id"), nullable=False),
    )
    sa.Table(
        "b",
        strict,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a_id", sa.ForeignKey("a.id"), nullable=False),
    )
    with pytest.raises(CopyRowsError, match="a, b reference each other through NOT NULL columns"):
        insertion_order(strict.tables.values())


def test_copy_rows_refuses_rows_that_reference_each_other_in_a_cycle(tmp_path: Path) -> None:
    metadata = sa.MetaData()
    nodes = sa.Table(
        "nodes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("next_id", sa.ForeignKey("nodes.id")),
    )
    source, target = (f"sqlite:///{tmp_path / name}" for name in ("s.sqlite3", "t.sqlite3"))
    for url in (source, target):
        engine = sa.create_engine(url)
        metadata.create_all(engine)
        engine.dispose()
    engine = sa.create_engine(source)
    with engine.begin() as connection:
        connection.execute(
            nodes.insert(), [{"id": 1, "next_id": 2}, {"id": 2, "next_id": 1}, {"id": 3, "next_id": None}]
        )
    engine.dispose()
    with pytest.raises(CopyRowsError, match="nodes: 2 rows reference each other in a cycle"):
        copy_rows(source, target)
    assert row_counts(target) == {"nodes": 0}  # one transaction: nothing was copied


# -- workspaces: fixed versions, diffs, edits -----------------------------------------------------------
def test_with_fixes_finds_the_fixed_sibling_or_keeps_the_path(tmp_path: Path) -> None:
    assert with_fixes(SAMPLE_APP) == DATA / "sample_app_fixed"
    assert with_fixes(str(SAMPLE_APP) + "/") == DATA / "sample_app_fixed"
    assert with_fixes(tmp_path) == tmp_path


def test_update_from_shows_the_diff_then_takes_the_files(tmp_path: Path) -> None:
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    (fixed / "models.py").write_text("name = 50\n")
    (fixed / "added.py").write_text("x = 1\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "models.py").write_text("name = 64\n")
    (app / "stale.py").write_text("y = 2\n")
    ws = workspace(app)
    try:
        diff = ws.update_from(fixed)
        assert diff == directory_diff(app, fixed)
        assert "--- /dev/null\n+++ b/added.py\n" in diff and "--- a/stale.py\n+++ /dev/null\n" in diff
        assert "--- a/models.py\n+++ b/models.py\n@@ -1 +1 @@\n-name = 64\n+name = 50\n" in diff
        assert str(tmp_path) not in diff
        assert ws.files() == ["added.py", "models.py"] and ws.update_from(fixed) == ""
        assert (app / "models.py").read_text() == "name = 64\n"  # the original is never touched
        v2 = ws.copy(fixed, "v2")
        assert ws.relative(v2) == "v2" and (v2 / "added.py").exists()
        with pytest.raises(WorkspaceError, match="not a directory"):
            ws.update_from(tmp_path / "missing")
    finally:
        ws.close()


def test_edit_changes_one_exact_snippet_and_returns_its_diff(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("a = 1\nb = 1\n")
    ws = workspace(tmp_path)
    try:
        assert (
            ws.edit("m.py", "b = 1", "b = 2")
            == "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 1\n+b = 2\n"
        )
        with pytest.raises(WorkspaceError, match="occurs 2 times"):
            ws.edit("m.py", " = ", " == ")
        with pytest.raises(WorkspaceError, match="occurs 0 times"):
            ws.edit("m.py", "c = 3", "c = 4")
        assert (ws.codebase / "m.py").read_text() == "a = 1\nb = 2\n"
    finally:
        ws.close()


# -- the Phase 2 replay ---------------------------------------------------------------------------
def test_switch_to_generated_scaffolds_every_table_and_rewrites_the_uses(tmp_path: Path) -> None:
    from dbkit.migrate import api
    from dbkit.migrate.codemod.legacy_imports import find_legacy_uses

    ws = workspace(with_fixes(SAMPLE_APP))
    try:
        (ws.codebase / "jobs.py").write_text(
            "import os\nfrom DB_Auth import User\nimport DB_Teams\n\nQUERY = (User, DB_Teams.Team)\n"
        )
        switch = switch_to_generated(ws.codebase)
        assert sorted(ws.relative(p) for p in switch.modules) == [
            "app/BLL_Auth.py",
            "app/BLL_Documents.py",
            "app/BLL_Teams.py",
        ]
        assert [ws.relative(p) for p in switch.rewritten] == ["app/jobs.py"] and switch.unresolved == []
        assert (ws.codebase / "jobs.py").read_text() == (
            "import os\nfrom BLL_Auth import UserModel\nfrom BLL_Teams import TeamModel\nUser = UserModel.DB\n\n"
            "QUERY = (User, TeamModel.DB)\n"
        )
        assert {u.file for u in find_legacy_uses(ws.codebase).uses} <= {"DB_Documents.py", "DB_Teams.py"}
        codebase = api.load(ws.codebase)
        assert sorted(codebase.generated_tables()) == sorted(codebase.hand_written)
        assert api.parity(ws.codebase).differences("schema") == []
    finally:
        ws.close()


# -- text for notebooks --------------------------------------------------------------------------------
def test_shorten_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    message = "Teams get a billing plan; existing teams are on the free plan."
    assert shorten(message, 50) == "Teams get a billing plan; existing teams are on…"
    assert shorten(message, 100) == message
    assert shorten("two\n  lines", 20) == "two lines"
    assert shorten("x" * 30, 10) == "x" * 9 + "…"
    assert all(len(shorten(message, width)) <= width for width in range(2, 70))


def test_verify_text_gives_each_step_its_whole_words() -> None:
    from dbkit.migrate.revisions.verify import VerifyReport, VerifyStep

    report = VerifyReport(
        "sqlite",
        steps=[VerifyStep("up", "r1", "Teams get a billing plan; existing teams are on the free plan.")],
    )
    report.steps.append(
        VerifyStep("down", "r1", "Widen roles.name", problems=["users: 3 rows before, 2 after"])
    )
    assert verify_text(report, width=30).splitlines() == [
        "verify: FAILED",
        "  up     Teams get a billing plan;…     problems: 0",
        "  down   Widen roles.name               problems: 1",
        "         - users: 3 rows before, 2 after",
    ]
