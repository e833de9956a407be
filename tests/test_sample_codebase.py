"""The bundled sample codebase (data/): its deliberate drifts, its evolution, its production database.

The comparison helpers below are deliberately independent of dbkit's parity engine: they pin
what the data *is*, so the engine's own tests can rely on it.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dbkit.migrate.source.codebase import Codebase, load_codebase

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE_APP = DATA / "sample_app"
SAMPLE_APP_FIXED = DATA / "sample_app_fixed"
EVOLUTION_V2 = DATA / "evolution" / "v2"
EVOLUTION_V2_FIXED = DATA / "evolution" / "v2_fixed"
PRODUCTION_DB = DATA / "production.sqlite3"
DIALECTS = (sqlite.dialect(), postgresql.dialect())

#: The four deliberate drifts between DB_*.py and BLL_*.py (data/README.md), as table_facts differences.
EXPECTED_DRIFTS = {
    # a missing unique constraint
    ("teams", "unique", ("slug",), "uq_teams_slug"): "hand_written",
    # a different length
    ("roles", "column", "name", "type"): (("VARCHAR(50)", "VARCHAR(50)"), ("VARCHAR(64)", "VARCHAR(64)")),
    # a nullable mismatch
    ("teams", "column", "description", "nullable"): (True, False),
    # a missing relationship, seen from both ends
    ("user_teams", "relationship", "role", "roles"): "hand_written",
    ("roles", "relationship", "memberships", "user_teams"): "hand_written",
}


def _sql(clause: Any, dialect: sa.Dialect) -> str | None:
    if clause is None:
        return None
    arg = getattr(clause, "arg", clause)
    if isinstance(arg, str):
        return arg
    return str(arg.compile(dialect=dialect))


def _python_default(column: sa.Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return "<callable>"
    if default.is_clause_element:
        return str(default.arg)
    value = default.arg
    return getattr(value, "name", value)  # Enum members of two classes compare by name


def column_facts(column: sa.Column[Any]) -> dict[str, Any]:
    return {
        "type": tuple(str(column.type.compile(dialect=d)) for d in DIALECTS),
        "enum": tuple(column.type.enums) if isinstance(column.type, sa.Enum) else None,
        "nullable": column.nullable,
        "primary_key": column.primary_key,
        "server_default": tuple(_sql(column.server_default, d) for d in DIALECTS),
        "default": _python_default(column),
        "onupdate": _sql(column.onupdate, DIALECTS[1]),
        "comment": column.comment,
        "autoincrement": column.autoincrement,
    }


def table_facts(table: sa.Table, mapped_class: type | None, tables_in_scope: set[str]) -> dict[tuple, Any]:
    """Everything a migration or the ORM could notice about a table, as a flat dict."""
    facts: dict[tuple, Any] = {(table.name, "comment"): table.comment}
    for column in table.columns:
        for key, value in column_facts(column).items():
            facts[(table.name, "column", column.name, key)] = value
    for constraint in table.constraints:
        columns = tuple(c.name for c in constraint.columns)
        if isinstance(constraint, sa.PrimaryKeyConstraint):
            facts[(table.name, "primary_key", columns, constraint.name)] = True
        elif isinstance(constraint, sa.UniqueConstraint):
            facts[(table.name, "unique", columns, constraint.name)] = True
        elif isinstance(constraint, sa.CheckConstraint):
            facts[(table.name, "check", str(constraint.sqltext), constraint.name)] = True
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            target = tuple(element.target_fullname for element in constraint.elements)
            facts[(table.name, "foreign_key", columns, constraint.name)] = (
                target,
                constraint.ondelete,
                constraint.onupdate,
            )
    for index in table.indexes:
        columns = tuple(c.name for c in index.columns)
        facts[(table.name, "index", columns, index.name)] = bool(index.unique)
    if mapped_class is not None:
        for prop in sa.inspect(mapped_class).relationships:
            target = prop.mapper.local_table.name
            if target in tables_in_scope:
                facts[(table.name, "relationship", prop.key, target)] = (
                    prop.direction.name,
                    tuple(sorted(c.name for c in prop.local_columns)),
                    prop.uselist,
                )
    return facts


def differences(left: dict[tuple, Any], right: dict[tuple, Any]) -> dict[tuple, Any]:
    """Facts that differ: ``"hand_written"``/``"generated"`` when only one side has it, else both values."""
    found: dict[tuple, Any] = {}
    for key in left.keys() | right.keys():
        if key not in right:
            found[key] = "hand_written"
        elif key not in left:
            found[key] = "generated"
        elif left[key] != right[key]:
            found[key] = (left[key], right[key])
    return found


def hybrid_facts(codebase: Codebase, side: str) -> dict[tuple, Any]:
    """Facts of the tables that have a BLL model, from the hand-written or the generated side."""
    scope = set(codebase.generated_tables())
    facts: dict[tuple, Any] = {}
    for name in sorted(scope):
        if side == "hand_written":
            entry = codebase.hand_written[name]
            facts.update(table_facts(entry.table, entry.mapped_class, scope))
        else:
            model = codebase.models[name]
            facts.update(table_facts(model.table, model.generated, scope))
    return facts


@pytest.fixture(scope="module")
def sample() -> Codebase:
    return load_codebase(SAMPLE_APP)


@pytest.fixture(scope="module")
def evolution_v2() -> Codebase:
    return load_codebase(EVOLUTION_V2)


def test_sample_loads_without_problems(sample: Codebase) -> None:
    assert sample.problems == []
    assert sorted(sample.hand_written) == [
        "credentials", "document_tags", "documents", "folders", "invitations",
        "roles", "tags", "teams", "user_teams", "users",
    ]  # fmt: skip
    assert sorted(sample.generated_tables()) == ["roles", "teams", "user_teams", "users"]


def test_generated_counterparts_differ_from_hand_written_only_by_the_four_drifts(sample: Codebase) -> None:
    found = differences(hybrid_facts(sample, "hand_written"), hybrid_facts(sample, "generated"))
    assert found == EXPECTED_DRIFTS


def test_the_comparison_sees_every_kind_of_fact(sample: Codebase) -> None:
    """Guard against a vacuous drift test: the facts cover columns, constraints, indexes and relationships."""
    kinds = {key[1] for key in hybrid_facts(sample, "generated")}
    assert kinds == {"comment", "column", "primary_key", "unique", "foreign_key", "index", "relationship"}
    facts = hybrid_facts(sample, "generated")
    assert facts[("users", "column", "status", "enum")] == ("active", "suspended", "deactivated")
    assert facts[("users", "column", "status", "server_default")] == ("active", "active")
    assert facts[("teams", "foreign_key", ("owner_id",), "fk_teams_owner_id")] == (
        ("users.id",),
        "SET NULL",
        None,
    )
    assert facts[("users", "relationship", "owned_teams", "teams")] == ("ONETOMANY", ("id",), True)


def test_evolution_v2_changes_exactly_what_its_readme_lists(sample: Codebase, evolution_v2: Codebase) -> None:
    found = differences(hybrid_facts(sample, "generated"), hybrid_facts(evolution_v2, "generated"))
    changed_columns = {(key[0], key[2]) for key in found if key[1] == "column"}
    assert changed_columns == {
        ("users", "fullname"),
        ("users", "full_name"),
        ("users", "avatar_url"),
        ("users", "timezone"),
        ("users", "status"),
        ("teams", "plan"),
    }
    assert {key for key in found if key[1] != "column"} == set()
    assert found[("users", "column", "status", "enum")] == (
        ("active", "suspended", "deactivated"),
        ("active", "suspended", "deactivated", "invited"),
    )
    assert found[("teams", "column", "plan", "nullable")] == "generated"
    v2 = hybrid_facts(evolution_v2, "generated")
    assert v2[("teams", "column", "plan", "nullable")] is False
    assert v2[("users", "column", "timezone", "nullable")] is True
    old = {
        k[3]: v
        for k, v in hybrid_facts(sample, "generated").items()
        if k[:3] == ("users", "column", "fullname")
    }
    new = {k[3]: v for k, v in v2.items() if k[:3] == ("users", "column", "full_name")}
    assert old == new  # a pure rename


def test_evolution_v2_announces_its_rename_and_backfill(evolution_v2: Codebase) -> None:
    user_notes = evolution_v2.models["users"].model.migration_notes
    team_notes = evolution_v2.models["teams"].model.migration_notes
    assert "renamed fullname to full_name" in user_notes.lower()
    assert team_notes["backfill"] == {"plan": "'free'"}


def test_evolution_v2_keeps_the_hand_written_files_unchanged() -> None:
    for name in ("base.py", "DB_Auth.py", "DB_Teams.py", "DB_Documents.py"):
        assert (EVOLUTION_V2 / name).read_bytes() == (SAMPLE_APP / name).read_bytes(), name


@pytest.fixture(scope="module")
def sample_fixed() -> Codebase:
    return load_codebase(SAMPLE_APP_FIXED)


def _changed_lines(old: Path, new: Path) -> list[str]:
    """The lines removed (``-``) and added (``+``) from one file to the other, without positions."""
    import difflib

    diff = difflib.unified_diff(old.read_text().splitlines(), new.read_text().splitlines(), n=0, lineterm="")
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_fixed_sample_is_the_sample_with_exactly_the_four_drifts_fixed(
    sample: Codebase, sample_fixed: Codebase
) -> None:
    assert sample_fixed.problems == []
    # Every fact of the fixed models is the hand-written one: the four drifts, and nothing else, changed.
    assert (
        differences(hybrid_facts(sample_fixed, "hand_written"), hybrid_facts(sample_fixed, "generated")) == {}
    )
    assert hybrid_facts(sample_fixed, "hand_written") == hybrid_facts(sample, "hand_written")
    changed = differences(hybrid_facts(sample, "generated"), hybrid_facts(sample_fixed, "generated"))
    assert set(changed) == set(EXPECTED_DRIFTS)
    # In the text: the other files are the same bytes, and only the four fixes' lines (with their comments) moved.
    assert sorted(p.name for p in SAMPLE_APP_FIXED.glob("*.py")) == sorted(
        p.name for p in SAMPLE_APP.glob("*.py")
    )
    for name in ("base.py", "DB_Auth.py", "DB_Teams.py", "DB_Documents.py"):
        assert (SAMPLE_APP_FIXED / name).read_bytes() == (SAMPLE_APP / name).read_bytes(), name
    code = [
        line
        for name in ("BLL_Auth.py", "BLL_Teams.py")
        for line in _changed_lines(SAMPLE_APP / name, SAMPLE_APP_FIXED / name)
        if not line[1:].strip().startswith("#")
    ]
    assert [line[0] for line in code].count("-") == 4  # one code line per drift before the fix
    assert all(line[1:].strip() for line in code)


def test_fixed_sample_has_no_parity_difference_left(sample_fixed: Codebase) -> None:
    from dbkit.migrate import api

    report = api.parity(SAMPLE_APP_FIXED)
    assert report.differences("schema") == [] and report.differences("cosmetic") == []
    # What remains are backrefs created by hand-written-only tables, which Phase 2 generates.
    hand_written_only = set(sample_fixed.hand_written) - set(sample_fixed.generated_tables())
    leftovers = report.differences("orm")
    assert leftovers and all(
        d.kind == "relationship" and d.hand_written in hand_written_only and d.generated is None
        for _t, d in leftovers
    )


def test_fixed_evolution_is_v2_with_the_same_fixes_and_the_same_five_changes() -> None:
    from dbkit.migrate import api

    for name in ("base.py", "DB_Auth.py", "DB_Teams.py", "DB_Documents.py"):
        assert (EVOLUTION_V2_FIXED / name).read_bytes() == (SAMPLE_APP / name).read_bytes(), name
    for name in ("BLL_Auth.py", "BLL_Teams.py"):
        assert _changed_lines(EVOLUTION_V2 / name, EVOLUTION_V2_FIXED / name) == _changed_lines(
            SAMPLE_APP / name, SAMPLE_APP_FIXED / name
        ), name
    fixed = api.diff(SAMPLE_APP_FIXED, EVOLUTION_V2_FIXED)
    original = api.diff(SAMPLE_APP, EVOLUTION_V2)
    assert [(c.op, c.target, c.risk) for c in fixed.changes] == [
        (c.op, c.target, c.risk) for c in original.changes
    ]
    assert len(fixed.changes) == 5 and fixed.message == original.message


def _production_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_production_db", DATA / "make_production_db.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_database_script_is_deterministic_and_matches_the_committed_file(tmp_path: Path) -> None:
    script = _production_script()
    counts = script.build(tmp_path / "rebuilt.sqlite3")
    assert script.row_counts(tmp_path / "rebuilt.sqlite3") == counts == script.row_counts(PRODUCTION_DB)
    assert script.dump_checksum(tmp_path / "rebuilt.sqlite3") == script.dump_checksum(PRODUCTION_DB)
    assert sum(counts.values()) > 40_000
    assert PRODUCTION_DB.stat().st_size < 15_000_000


def test_production_database_has_the_hand_written_schema(sample: Codebase) -> None:
    engine = sa.create_engine(f"sqlite:///file:{PRODUCTION_DB}?mode=ro&uri=true")
    try:
        inspector = sa.inspect(engine)
        reflected = {
            name: [c["name"] for c in inspector.get_columns(name)] for name in inspector.get_table_names()
        }
    finally:
        engine.dispose()
    expected = {name: [c.name for c in entry.table.columns] for name, entry in sample.hand_written.items()}
    assert reflected == expected


def test_production_database_references_resolve() -> None:
    with sqlite3.connect(f"file:{PRODUCTION_DB}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_bundled_baseline_revision_records_the_production_schema(tmp_path: Path) -> None:
    """data/migrations adopts a copy of production.sqlite3 (stamp finds its revision by schema)."""
    import shutil

    from dbkit.migrate.revisions import runner

    copy = tmp_path / "production.sqlite3"
    shutil.copy(DATA / "production.sqlite3", copy)
    versions = DATA / "migrations" / "versions"
    (baseline,) = runner.history(versions)
    assert runner.matching_revision(versions, f"sqlite:///{copy}") == baseline.revision
