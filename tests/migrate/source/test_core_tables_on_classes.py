"""Core tables held as attributes of a plain class (buildbot's ``class Model: metadata = sa.MetaData();
builds = sa.Table("builds", metadata, ...)``) are hand-written tables, named by where the DB_ module
holds them (``DB_Buildbot.Model.builds``): whether the class is defined in the DB_ file, in a sibling
module of the codebase, or in a vendored module outside it that the DB_ file imports."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dbkit.migrate import api

MODELS_LIB = """
    import sqlalchemy as sa

    class Model:
        metadata = sa.MetaData()

        builds = sa.Table(
            "builds",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("number", sa.Integer, nullable=False),
        )
        steps = sa.Table(
            "steps",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("buildid", sa.Integer, sa.ForeignKey("builds.id")),
        )
"""

IMPORT_FROM_VENDOR = """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "vendor"))

    from dbkit_core_models_lib import Model  # noqa: E402,F401
"""


def _write(path: Path, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")


def _codebase(tmp_path: Path, layout: str) -> tuple[Path, str]:
    """The codebase directory, and the file the tables are reported in."""
    root = tmp_path / "app"
    if layout == "defined_in_the_db_file":
        _write(root / "DB_Buildbot.py", MODELS_LIB)
        return root, "DB_Buildbot.py"
    if layout == "imported_from_a_sibling_module":
        _write(root / "models_lib.py", MODELS_LIB)
        _write(root / "DB_Buildbot.py", "from models_lib import Model  # noqa: F401\n")
        return root, "models_lib.py"
    _write(tmp_path / "vendor" / "dbkit_core_models_lib.py", MODELS_LIB)
    _write(root / "DB_Buildbot.py", IMPORT_FROM_VENDOR)
    return root, "DB_Buildbot.py"  # the vendored file is outside the codebase: the DB_ file imports it


@pytest.mark.parametrize(
    "layout", ["defined_in_the_db_file", "imported_from_a_sibling_module", "imported_from_a_vendored_module"]
)
def test_core_tables_on_a_plain_class_are_listed_and_named_through_the_class(
    tmp_path: Path, layout: str
) -> None:
    root, file = _codebase(tmp_path, layout)
    found = api.inventory(root).to_json()
    assert found == {
        "tables": [
            {
                "table": "builds",
                "phase": "hand_written",
                "hand_written": {"class": "DB_Buildbot.Model.builds", "file": file},
                "generated": None,
            },
            {
                "table": "steps",
                "phase": "hand_written",
                "hand_written": {"class": "DB_Buildbot.Model.steps", "file": file},
                "generated": None,
            },
        ],
        "problems": [],
    }
