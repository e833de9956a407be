"""The change types: what one schema change is, as ``dbkit diff --json`` writes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dbkit.migrate.diff.risk import Risk, classify


class Op(StrEnum):
    ADD_TABLE = "add_table"
    DROP_TABLE = "drop_table"
    RENAME_TABLE = "rename_table"
    ADD_COLUMN = "add_column"
    DROP_COLUMN = "drop_column"
    RENAME_COLUMN = "rename_column"
    RENAME_CONSTRAINT = "rename_constraint"
    ALTER_COLUMN = "alter_column"
    ALTER_PRIMARY_KEY = "alter_primary_key"
    ADD_INDEX = "add_index"
    DROP_INDEX = "drop_index"
    ADD_UNIQUE = "add_unique"
    DROP_UNIQUE = "drop_unique"
    ADD_CHECK = "add_check"
    DROP_CHECK = "drop_check"
    ADD_FOREIGN_KEY = "add_foreign_key"
    DROP_FOREIGN_KEY = "drop_foreign_key"
    ADD_ENUM_VALUE = "add_enum_value"
    DROP_ENUM_VALUE = "drop_enum_value"
    ALTER_TABLE_COMMENT = "alter_table_comment"


@dataclass(frozen=True)
class Change:
    """One schema change. ``to_json()`` is the ``dbkit diff --json`` contract."""

    op: Op
    table: str | None
    column: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, hash=False)
    risk: Risk = Risk.SAFE

    @classmethod
    def make(cls, op: Op, table: str | None, column: str | None = None, **detail: Any) -> Change:
        """A change with its risk classified by :func:`dbkit.migrate.diff.risk.classify`."""
        return cls(op, table, column, detail, classify(op, detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "op": str(self.op),
            "table": self.table,
            "column": self.column,
            "risk": str(self.risk),
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            Op(data["op"]), data["table"], data.get("column"), dict(data["detail"]), Risk(data["risk"])
        )

    @property
    def label(self) -> str:
        """What a person reads: the target, plus the columns of a constraint or index change."""
        described = self.detail.get("new") or self.detail.get("old")
        whole_table = self.op in (Op.ADD_TABLE, Op.DROP_TABLE)  # its detail lists column documents
        if (
            self.column is None
            and not whole_table
            and isinstance(described, dict)
            and described.get("columns")
        ):
            return f"{self.table}({', '.join(described['columns'])})"
        return self.target

    @property
    def target(self) -> str:
        """``table.column`` (or ``table``, or the enum name): what a report or waiver names."""
        if self.table is None:
            return str(self.detail.get("enum", ""))
        return f"{self.table}.{self.column}" if self.column else self.table
