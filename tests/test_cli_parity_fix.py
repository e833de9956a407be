"""``dbkit parity PATH --fix hand-written|generated [--table T] [--write]``, driven as a user types it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from codebases import write_codebase

from dbkit.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_app"

LIBRARY_DB = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Book(Base):
        __tablename__ = "books"

        isbn: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
        title: Mapped[str] = mapped_column(sa.String(200), comment="As printed")
        pages: Mapped[int | None] = mapped_column(sa.Integer)
"""

LIBRARY_BLL = """
    from typing import Annotated, ClassVar

    from pydantic import Field

    from dbkit import DatabaseMixin, DBColumn


    class BookModel(DatabaseMixin):
        audit_columns: ClassVar[bool] = False

        isbn: Annotated[str, DBColumn(primary_key=True)] = Field(max_length=13)
        title: str = Field(description="As printed", max_length=150)
        pages: int = Field(ge=1)
"""


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    copy = tmp_path / "sample_app"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return write_codebase(tmp_path / "library", {"DB_Library.py": LIBRARY_DB, "BLL_Library.py": LIBRARY_BLL})


def files(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(root.iterdir()) if path.is_file()}


def test_fix_hand_written_prints_the_diff_and_touches_nothing(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files(sample)
    assert main(["parity", str(sample), "--fix", "hand-written"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("--- a/BLL_Auth.py\n+++ b/BLL_Auth.py\n")
    assert "+++ b/BLL_Teams.py" in out and "max_length=50)" in out
    assert out.endswith("dry run: pass --write to apply the diff to BLL_Auth.py, BLL_Teams.py\n")
    assert files(sample) == before


def test_fix_hand_written_write_applies_it_and_parity_is_clean(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["parity", str(sample), "--fix", "hand-written", "--write"]) == 0
    out = capsys.readouterr().out
    assert out.endswith(f"wrote {sample / 'BLL_Auth.py'}\nwrote {sample / 'BLL_Teams.py'}\n")
    assert main(["parity", str(sample)]) == 0
    assert capsys.readouterr().out.endswith("no schema-level difference\n")


def test_fix_for_one_table_rewrites_only_its_model(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    auth = (sample / "BLL_Auth.py").read_bytes()
    assert (
        main(["parity", str(sample), "--fix", "hand-written", "--table", "teams", "--write"]) == 1
    )  # roles left
    assert "wrote" in capsys.readouterr().out
    assert (sample / "BLL_Auth.py").read_bytes() == auth
    assert main(["parity", str(sample), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    drifting = {t["table"] for t in report["tables"] if any(d["level"] == "schema" for d in t["differences"])}
    assert drifting == {"roles"}


def test_fix_generated_lists_the_revision_with_lint_verdicts_and_writes_nothing(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files(sample)
    assert main(["parity", str(sample), "--fix", "generated", "--write"]) == 1
    out = capsys.readouterr().out
    assert "---" not in out
    assert out.splitlines()[0] == "left to the Phase 2 revision (the model is right):"
    assert "  teams.description:nullable: data_dependent: alter_column teams.description; allowed;" in out
    assert out.endswith("no source change: nothing to write\n")
    assert files(sample) == before


def test_fix_on_another_codebase_with_json(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = files(library)
    assert main(["parity", str(library), "--fix", "hand-written", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["files"] == ["BLL_Library.py"] and document["written"] == []
    assert sorted(document["fixed"]) == ["books.pages:nullable", "books.title:type"]
    assert "+    pages: int | None = Field(None, ge=1)" in document["diff"]
    assert files(library) == before
    assert main(["parity", str(library), "--fix", "hand-written", "--write"]) == 0
    capsys.readouterr()
    assert main(["parity", str(library)]) == 0


def test_table_and_write_need_fix(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parity", str(sample), "--write"]) == 2
    assert "--table and --write need --fix hand-written|generated" in capsys.readouterr().err


def test_an_unknown_table_is_an_error_naming_the_tables(
    sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["parity", str(sample), "--fix", "generated", "--table", "team"]) == 2
    assert "no table 'team' in the codebase; its tables are:" in capsys.readouterr().err
