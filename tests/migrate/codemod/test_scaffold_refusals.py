"""Scaffold refuses, by name, a table without a primary key: a generated model needs one, and adding an
``id`` column would change the table. It stays hand-written (tests/realworld found such tables)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.codemod.scaffold import ScaffoldError, SourceTable, scaffold
from dbkit.migrate.codemod.scaffold.generator import scaffold_codebase

LEGACY = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(40))

    tag_log = sa.Table(
        "tag_log",
        Base.metadata,
        sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.id")),
        sa.Column("note", sa.String(200)),
    )
"""


def _legacy_codebase(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "DB_Legacy.py").write_text(textwrap.dedent(LEGACY).lstrip(), encoding="utf-8")
    return root


def test_a_table_without_a_primary_key_gets_no_model_and_a_problem_naming_it(tmp_path: Path) -> None:
    result = scaffold_codebase(_legacy_codebase(tmp_path))
    assert set(result.models) == {"tags"}  # the other tables are scaffolded as usual
    assert "class TagModel" in result.modules["BLL_Legacy"]
    assert "TagLog" not in result.modules["BLL_Legacy"]
    refusals = [problem for problem in result.problems if problem.message.startswith("no model scaffolded:")]
    assert [(problem.table, problem.column) for problem in refusals] == [("tag_log", None)]
    assert "DB_Legacy.py" in refusals[0].message  # where its definition stays


def test_a_table_without_a_primary_key_stays_hand_written_only_in_parity(tmp_path: Path) -> None:
    root = _legacy_codebase(tmp_path)
    scaffold_codebase(root).write(root)
    statuses = {table.table: table.status for table in api.parity(root).tables}
    assert statuses == {"tag_log": "hand_written_only", "tags": "match"}


def test_nothing_to_scaffold_when_no_table_has_a_primary_key() -> None:
    metadata = sa.MetaData()
    log = sa.Table("audit_log", metadata, sa.Column("note", sa.String(200)))
    with pytest.raises(ScaffoldError, match="none of the hand-written tables has a primary key"):
        scaffold([SourceTable(log)])
