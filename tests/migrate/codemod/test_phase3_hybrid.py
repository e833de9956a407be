"""Phase 3 may end hybrid: DB_*.py files kept on purpose (``[tool.dbkit] keep_hand_written``) stay,
while the check still proves that nothing imports a removed one, the kept files included."""

from __future__ import annotations

from pathlib import Path

import pytest
from codebases import write_codebase

from dbkit.migrate.checks import CheckFailed, check_phase3

HYBRID = {
    "pyproject.toml": """
        [tool.dbkit]
        keep_hand_written = ["DB_Ledger.py"]
    """,
    "base.py": """
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass
    """,
    "DB_Ledger.py": '''
        """Kept on purpose: a ledger with a custom join the team maintains by hand."""
        import sqlalchemy as sa

        from base import Base


        class Posting(Base):
            __tablename__ = "postings"
            id = sa.Column(sa.Integer, primary_key=True)
    ''',
    "BLL_Accounts.py": """
        from pydantic import Field

        from dbkit import ApplicationModel, DatabaseMixin


        class AccountModel(ApplicationModel, DatabaseMixin):
            name: str = Field(max_length=50)
    """,
    "service.py": """
        from BLL_Accounts import AccountModel
        from DB_Ledger import Posting

        __all__ = ["AccountModel", "Posting"]
    """,
}


def test_a_kept_hand_written_file_is_accepted_and_named(tmp_path: Path) -> None:
    root = write_codebase(tmp_path, HYBRID)
    result = check_phase3(root, import_check=True)
    assert result.summary.endswith("imports no removed hand-written module; kept on purpose: DB_Ledger.py")


def test_without_the_list_the_kept_file_fails_as_before(tmp_path: Path) -> None:
    root = write_codebase(tmp_path, {**HYBRID, "pyproject.toml": "[project]\nname = 'app'\n"})
    with pytest.raises(CheckFailed, match=r"hand-written file still present: DB_Ledger.py"):
        check_phase3(root)


def test_an_import_of_a_removed_file_still_fails_even_from_a_kept_one(tmp_path: Path) -> None:
    ledger = HYBRID["DB_Ledger.py"].replace(
        "        from base import Base\n", "        from base import Base\n        from DB_Auth import User\n"
    )
    root = write_codebase(tmp_path, {**HYBRID, "DB_Ledger.py": ledger})
    with pytest.raises(
        CheckFailed, match=r"imports a hand-written module: DB_Ledger.py:\d+:\d+: from_import of DB_Auth.User"
    ):
        check_phase3(root)


def test_a_listed_file_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    listed = '[tool.dbkit]\nkeep_hand_written = ["DB_Ledger.py", "DB_Gone.py"]\n'
    root = write_codebase(tmp_path, {**HYBRID, "pyproject.toml": listed})
    with pytest.raises(
        CheckFailed,
        match=r"pyproject.toml \[tool.dbkit\] keep_hand_written lists hand-written files .*\n  - DB_Gone.py",
    ):
        check_phase3(root)


def test_the_list_must_be_file_names(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path, {**HYBRID, "pyproject.toml": "[tool.dbkit]\nkeep_hand_written = 'DB_Ledger.py'\n"}
    )
    with pytest.raises(CheckFailed, match=r"keep_hand_written must be a list of DB_\*.py file names"):
        check_phase3(root)
