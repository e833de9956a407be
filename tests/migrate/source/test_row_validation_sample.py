"""validate-data on the bundled sample: exactly the anomalies ``data/make_production_db.py`` plants.

SQLite only: PostgreSQL enforces ``VARCHAR(n)`` and native enums, so two of the three anomalies
(an over-long name, an unknown status) cannot be stored there; the backends are compared on
rows written for that purpose in ``test_row_validation.py``.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

from dbkit.migrate.checks import CheckFailed, check_data_validates
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.row_validation import validate_rows

DATA = Path(__file__).resolve().parents[3] / "data"
PRODUCTION_DB = DATA / "production.sqlite3"
#: The error type Pydantic gives each planted anomaly, by column.
ERROR_TYPES = {"fullname": "string_too_long", "status": "enum", "email": "string_pattern_mismatch"}


def production_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_production_db", DATA / "make_production_db.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def planted() -> list[tuple[str, dict[str, str], str, str]]:
    """(table, key, field, error type) of each planted anomaly, keys from the script's own rows."""
    script = production_script()
    rows = script.generate_rows(script.Generator())
    found = []
    for table, index, column, _value, _why in script.ANOMALIES:
        found.append((table, {"id": rows[table][index]["id"]}, column, ERROR_TYPES[column]))
    return sorted(found, key=lambda item: (item[0], item[1]["id"]))


def failures(codebase: Path, url: str) -> list[tuple[str, dict[str, str], str, str]]:
    report = validate_rows(load_codebase(codebase), url)
    found = [(t.table, f.key, f.field, f.type) for t in report.tables for f in t.failures]
    return sorted(found, key=lambda item: (item[0], item[1]["id"]))


def test_the_fixed_sample_finds_exactly_the_planted_anomalies(planted: list) -> None:
    assert len(planted) == 3
    assert failures(DATA / "sample_app_fixed", f"sqlite:///{PRODUCTION_DB}") == planted


def test_the_sample_also_finds_the_rows_behind_its_nullable_drift(planted: list) -> None:
    """sample_app's TeamModel.description is NOT NULL while the column is nullable: its NULL rows fail."""
    report = validate_rows(load_codebase(DATA / "sample_app"), f"sqlite:///{PRODUCTION_DB}")
    teams = report.table("teams")
    assert dict(teams.counts) == {("description", "string_type"): 132}
    users = report.table("users")
    assert sorted((f.key["id"], f.field, f.type) for f in users.failures) == sorted(
        (key["id"], field, kind) for _, key, field, kind in planted
    )


def test_fixing_the_rows_makes_the_check_pass(tmp_path: Path) -> None:
    """The story's fix: the three rows corrected (a name shortened, a status mapped, an address fixed)."""
    copy = tmp_path / "production.sqlite3"
    shutil.copy(PRODUCTION_DB, copy)
    url = f"sqlite:///{copy}"
    with pytest.raises(CheckFailed, match="users: 3 of 4000 row"):
        check_data_validates(DATA / "sample_app_fixed", url)
    with sqlite3.connect(copy) as connection:
        connection.execute(
            "UPDATE users SET fullname = substr(fullname, 1, 120) WHERE length(fullname) > 120"
        )
        connection.execute("UPDATE users SET status = 'suspended' WHERE status = 'banned'")
        connection.execute("UPDATE users SET email = replace(email, ' at ', '@') WHERE email NOT LIKE '%@%'")
    result = check_data_validates(DATA / "sample_app_fixed", url)
    assert result.summary == "8797 row(s) of 4 table(s) pass their model's validation"
