"""Phase 3's cleanup decision, the sample's story and the skipped-database sentence (dbkit.notebook.phases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from codebases import write_codebase
from user_codebases import write_user_codebase

from dbkit.notebook.phases import StoryError, needs_database, plan_cleanup, story, switch_to_generated

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_app"


def test_cleanup_keeps_a_base_module_that_application_code_still_imports(tmp_path: Path) -> None:
    shape = write_user_codebase(tmp_path, "logistics")
    app = tmp_path / "copy"
    write_codebase(app, {p.name: p.read_text() for p in shape.codebase.glob("*.py")})
    switch_to_generated(app)
    cleanup = plan_cleanup(app)
    assert sorted(cleanup.remove) == ["DB_Depots.py", "DB_Parcels.py"]
    assert cleanup.keep == {"DB_Base.py": "defines no table, and jobs.py still imports it"}
    assert cleanup.kept_legacy == ["DB_Base.py"]
    assert cleanup.apply() == ["DB_Depots.py", "DB_Parcels.py"]
    assert sorted(p.name for p in app.glob("DB_*.py")) == ["DB_Base.py"]


def test_cleanup_deletes_a_base_module_once_nothing_left_imports_it(tmp_path: Path) -> None:
    shape = write_user_codebase(tmp_path, "logistics")
    app = tmp_path / "copy"
    files = {p.name: p.read_text() for p in shape.codebase.glob("*.py") if p.name != "jobs.py"}
    write_codebase(app, files)
    switch_to_generated(app)
    cleanup = plan_cleanup(app)
    assert cleanup.remove["DB_Base.py"] == "defines no table, and no remaining file imports it"
    assert not cleanup.keep


def test_cleanup_keeps_a_file_holding_a_table_without_a_generated_model(tmp_path: Path) -> None:
    shape = write_user_codebase(tmp_path, "library")  # BLL_Catalog.py models authors only
    cleanup = plan_cleanup(shape.codebase)
    assert cleanup.keep["DB_Catalog.py"] == "no generated model yet for books"
    assert cleanup.keep["DB_Loans.py"] == "no generated model yet for loans"
    assert not cleanup.remove


def test_cleanup_keeps_a_modelled_file_that_application_code_still_imports(tmp_path: Path) -> None:
    shape = write_user_codebase(tmp_path, "library")
    app = tmp_path / "copy"
    write_codebase(app, {p.name: p.read_text() for p in shape.codebase.glob("*.py")})
    switch_to_generated(app)
    (app / "audit.py").write_text("import DB_Catalog\n\nLEGACY = DB_Catalog.__name__\n")  # nothing to rewrite
    cleanup = plan_cleanup(app)
    assert list(cleanup.remove) == ["DB_Loans.py"]  # DB_Loans imports DB_Catalog, but goes itself
    assert cleanup.keep == {
        "DB_Catalog.py": "every table it defines has a generated model, but audit.py still imports it: "
        "rewrite those imports, then delete it"
    }


def test_phase2_rewrites_the_imports_of_core_tables_so_their_module_can_go(tmp_path: Path) -> None:
    shape = write_user_codebase(tmp_path, "library")  # reports.py reads the Core table DB_Catalog.books
    app = tmp_path / "copy"
    write_codebase(app, {p.name: p.read_text() for p in shape.codebase.glob("*.py")})
    switch = switch_to_generated(app)
    assert [path.name for path in switch.rewritten] == ["reports.py"]
    assert "DB_Catalog" not in (app / "reports.py").read_text()
    cleanup = plan_cleanup(app)
    assert sorted(cleanup.remove) == ["DB_Catalog.py", "DB_Loans.py"] and not cleanup.keep


def test_cleanup_reports_a_base_module_outside_the_db_pattern_and_never_deletes_it(tmp_path: Path) -> None:
    app = write_codebase(
        tmp_path,
        {
            "base.py": """
                from sqlalchemy.orm import DeclarativeBase

                class Base(DeclarativeBase):
                    pass
            """,
            "DB_Shop.py": """
                import sqlalchemy as sa
                from sqlalchemy.orm import Mapped, mapped_column

                from base import Base

                class Shop(Base):
                    __tablename__ = "shops"
                    id: Mapped[int] = mapped_column(primary_key=True)
                    name: Mapped[str] = mapped_column(sa.String(40))
            """,
        },
    )
    switch_to_generated(app)
    cleanup = plan_cleanup(app)
    assert list(cleanup.remove) == ["DB_Shop.py"]
    assert cleanup.keep == {
        "base.py": "not a DB_*.py file, never deleted; no remaining file imports it any more"
    }


def test_a_codebase_of_your_own_has_no_story(tmp_path: Path) -> None:
    shape = write_user_codebase(tmp_path, "garden")
    assert not story(shape.codebase)
    assert story(shape.codebase).copy_services(shape.codebase) == []
    assert story(shape.codebase).checks_for(shape.evolution, "upgrade") == []


def test_the_sample_story_is_read_from_beside_it_and_its_checks_match_only_its_next_version() -> None:
    sample = story(SAMPLE)
    assert sample.parity_decisions == "hand-written"
    assert [p.name for p in sample.services] == ["services.py"]
    assert sample.model_change and sample.model_change["file"] == "BLL_Auth.py"
    assert sample.checks_for(SAMPLE.parent / "evolution" / "v2", "upgrade")
    assert sample.checks_for(SAMPLE.parent / "evolution" / "v2_fixed", "upgrade") == []


def test_an_unreadable_story_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app_story").mkdir()
    (tmp_path / "app_story" / "story.json").write_text("{not json")
    with pytest.raises(StoryError, match=r"app_story/story\.json: not a readable story"):
        story(tmp_path / "app")
    (tmp_path / "app_story" / "story.json").write_text(json.dumps({"services": []}))
    assert story(tmp_path / "app")


def test_a_database_step_without_a_url_says_why_it_is_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    assert needs_database("sqlite:///x.db", "counting the rows")
    assert capsys.readouterr().out == ""
    assert not needs_database(None, "counting the rows")
    assert not needs_database("", "counting the rows")
    out = capsys.readouterr().out
    assert out.count("No database_url: counting the rows skipped (it needs a database;") == 2
