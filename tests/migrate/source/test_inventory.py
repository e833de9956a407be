"""inventory(): each table's phase, the JSON shape of ``dbkit inventory --json``, model-file warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from codebases import write_codebase

from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.inventory import (
    DUPLICATE_INDEX,
    EMPTY_INDEX,
    NO_PRIMARY_KEY,
    UNTRANSLATED_VALIDATOR,
    inventory,
)

SAMPLE_APP = Path(__file__).resolve().parents[3] / "data" / "sample_app"


def test_sample_inventory() -> None:
    def hand(cls: str | None, file: str) -> dict[str, str | None]:
        return {"class": cls, "file": file}

    result = inventory(load_codebase(SAMPLE_APP))
    assert result.to_json() == {
        "tables": [
            {"table": "credentials", "phase": "hand_written", "hand_written": hand("Credential", "DB_Auth.py"),
             "generated": None},
            {"table": "document_tags", "phase": "hand_written", "hand_written": hand(None, "DB_Documents.py"),
             "generated": None},
            {"table": "documents", "phase": "hand_written", "hand_written": hand("Document", "DB_Documents.py"),
             "generated": None},
            {"table": "folders", "phase": "hand_written", "hand_written": hand("Folder", "DB_Documents.py"),
             "generated": None},
            {"table": "invitations", "phase": "hand_written", "hand_written": hand("Invitation", "DB_Teams.py"),
             "generated": None},
            {"table": "roles", "phase": "hybrid", "hand_written": hand("Role", "DB_Auth.py"),
             "generated": hand("RoleModel", "BLL_Auth.py")},
            {"table": "tags", "phase": "hand_written", "hand_written": hand("Tag", "DB_Documents.py"),
             "generated": None},
            {"table": "teams", "phase": "hybrid", "hand_written": hand("Team", "DB_Teams.py"),
             "generated": hand("TeamModel", "BLL_Teams.py")},
            {"table": "user_teams", "phase": "hybrid", "hand_written": hand("UserTeam", "DB_Teams.py"),
             "generated": hand("UserTeamModel", "BLL_Teams.py")},
            {"table": "users", "phase": "hybrid", "hand_written": hand("User", "DB_Auth.py"),
             "generated": hand("UserModel", "BLL_Auth.py")},
        ],
        "problems": [],
    }  # fmt: skip
    assert result.phase_counts() == {"hand_written": 6, "hybrid": 4, "generated": 0}
    assert list(json.loads(json.dumps(result.to_json()))) == ["tables", "problems"]


def test_a_table_only_a_bll_model_defines_is_generated(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "BLL_Notes.py": """
                from dbkit import ApplicationModel, DatabaseMixin

                class NoteModel(ApplicationModel, DatabaseMixin):
                    text: str
            """,
        },
    )
    result = inventory(load_codebase(root))
    assert result.table("notes").phase == "generated"
    assert result.table("notes").hand_written is None
    assert result.phase_counts() == {"hand_written": 0, "hybrid": 0, "generated": 1}
    with pytest.raises(KeyError, match="No table 'users' in this inventory; tables: notes"):
        result.table("users")


def test_model_file_warnings_and_load_failures_are_listed(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "DB_Shop.py": """
                import sqlalchemy as sa
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

                class Base(DeclarativeBase):
                    pass

                class Product(Base):
                    __tablename__ = "products"
                    __table_args__ = (sa.Index("ix_products_nothing"), sa.Index("ix_products_sku_again", "sku"))
                    id: Mapped[int] = mapped_column(primary_key=True)
                    sku: Mapped[str] = mapped_column(index=True)

                audit_log = sa.Table("audit_log", Base.metadata, sa.Column("message", sa.Text))
            """,
            "DB_Broken.py": "raise ImportError('legacy settings module is gone')\n",
            "BLL_Shop.py": """
                from pydantic import field_validator
                from dbkit import ApplicationModel, DatabaseMixin

                class CartModel(ApplicationModel, DatabaseMixin):
                    label: str

                    @field_validator("label", mode="wrap")
                    @classmethod
                    def trim(cls, value, handler):
                        return handler(value).strip()
            """,
        },
    )
    result = inventory(load_codebase(root))
    assert [(p.file, p.line, p.kind, p.severity) for p in result.problems] == [
        ("BLL_Shop.py", 4, UNTRANSLATED_VALIDATOR, "warning"),
        ("DB_Broken.py", 1, "import_error", "error"),
        ("DB_Shop.py", 7, DUPLICATE_INDEX, "warning"),
        ("DB_Shop.py", 7, EMPTY_INDEX, "warning"),
        ("DB_Shop.py", 13, NO_PRIMARY_KEY, "warning"),  # the line of the Table(...) call
    ]
    by_kind = {p.kind: p.cause for p in result.problems}
    assert by_kind[EMPTY_INDEX].startswith(
        "Product: index 'ix_products_nothing' on table 'products' has no columns"
    )
    assert by_kind[DUPLICATE_INDEX].startswith(
        "Product: indexes 'ix_products_sku' and 'ix_products_sku_again' on table 'products' cover the same columns (sku)"
    )
    assert by_kind[NO_PRIMARY_KEY].startswith("Table 'audit_log': table 'audit_log' has no primary key")
    assert "CartModel.trim" in by_kind[UNTRANSLATED_VALIDATOR]
    assert by_kind["import_error"] == "ImportError: legacy settings module is gone"
    assert [e.cause for e in result.errors] == [by_kind["import_error"]]
    problem_json = result.to_json()["problems"][1]
    assert problem_json == {
        "severity": "error",
        "kind": "import_error",
        "file": "DB_Broken.py",
        "line": 1,
        "cause": "ImportError: legacy settings module is gone",
    }
    assert {t["table"]: t["phase"] for t in result.to_json()["tables"]} == {
        "audit_log": "hand_written",
        "carts": "generated",
        "products": "hand_written",
    }
