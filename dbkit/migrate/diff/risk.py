"""The risk of each change: safe, data-dependent, destructive or backward-incompatible.

``data_dependent`` succeeds or not depending on the rows (NOT NULL added without a server
default, nullable → NOT NULL, a new unique/check/foreign key, a type that narrows or converts);
``destructive`` loses data (a dropped table or column, a removed enum member);
``backward_incompatible`` breaks old code (renames). Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from dbkit.migrate.schema.snapshot import TypeSpec

if TYPE_CHECKING:
    pass


class Risk(StrEnum):
    SAFE = "safe"
    DATA_DEPENDENT = "data_dependent"
    DESTRUCTIVE = "destructive"
    BACKWARD_INCOMPATIBLE = "backward_incompatible"


_FIXED_RISK: dict[str, Risk] = {
    "add_table": Risk.SAFE,
    "drop_table": Risk.DESTRUCTIVE,
    "rename_table": Risk.BACKWARD_INCOMPATIBLE,
    "drop_column": Risk.DESTRUCTIVE,
    "rename_column": Risk.BACKWARD_INCOMPATIBLE,
    "rename_constraint": Risk.SAFE,
    "alter_primary_key": Risk.DATA_DEPENDENT,
    "drop_index": Risk.SAFE,
    "add_unique": Risk.DATA_DEPENDENT,
    "drop_unique": Risk.SAFE,
    "add_check": Risk.DATA_DEPENDENT,
    "drop_check": Risk.SAFE,
    "add_foreign_key": Risk.DATA_DEPENDENT,
    "drop_foreign_key": Risk.SAFE,
    "add_enum_value": Risk.SAFE,
    "drop_enum_value": Risk.DESTRUCTIVE,
    "alter_table_comment": Risk.SAFE,
}


def classify(op: str, detail: Mapping[str, Any]) -> Risk:
    """The risk of one change, from its op and detail (the single source of the rules above)."""
    if op in _FIXED_RISK:
        return _FIXED_RISK[op]
    if op == "add_column":
        return Risk.DATA_DEPENDENT if needs_backfill(detail["new"]) else Risk.SAFE
    if op == "add_index":
        return Risk.DATA_DEPENDENT if detail["new"].get("unique") else Risk.SAFE
    if op == "alter_column":
        return _alter_column_risk(detail)
    raise ValueError(f"Unknown change op {op!r}.")


def needs_backfill(column: Mapping[str, Any]) -> bool:
    """A NOT NULL column with nothing to fill existing rows: no server default, identity,
    autoincrement or computed expression."""
    return not column["nullable"] and not any(
        column.get(key) for key in ("server_default", "identity", "computed", "autoincrement")
    )


def _alter_column_risk(detail: Mapping[str, Any]) -> Risk:
    nullable = detail.get("nullable")
    if nullable and nullable["old"] and not nullable["new"]:
        return Risk.DATA_DEPENDENT
    type_change = detail.get("type")
    if type_change and not is_widening(
        TypeSpec.from_dict(type_change["old"]), TypeSpec.from_dict(type_change["new"])
    ):
        return Risk.DATA_DEPENDENT
    if detail.get("computed") or detail.get("identity"):
        return Risk.DATA_DEPENDENT
    return Risk.SAFE


_INTEGER_RANK = {"small_integer": 1, "integer": 2, "big_integer": 3}
_INTEGER_DIGITS = {"small_integer": 5, "integer": 10, "big_integer": 19}
_TEXTUAL = frozenset({"string", "text", "enum"})


def is_widening(old: TypeSpec, new: TypeSpec) -> bool:
    """True when every value of ``old`` fits ``new`` unchanged (the change cannot fail or truncate)."""
    if old == new:
        return True
    if old.kind in _INTEGER_RANK and new.kind in _INTEGER_RANK:
        return _INTEGER_RANK[new.kind] >= _INTEGER_RANK[old.kind]
    if old.kind in _INTEGER_RANK and new.kind == "numeric":
        return new.precision is None or new.precision - (new.scale or 0) >= _INTEGER_DIGITS[old.kind]
    if old.kind == new.kind == "numeric":
        if new.precision is None:
            return True
        if old.precision is None:
            return False
        return new.precision - (new.scale or 0) >= old.precision - (old.scale or 0) and (new.scale or 0) >= (
            old.scale or 0
        )
    if old.kind == new.kind == "float":
        return (new.precision or 53) >= (old.precision or 53)
    if old.kind in _TEXTUAL and new.kind == "text":
        return True
    if old.kind in _TEXTUAL and new.kind == "string":
        old_length = old.length if old.kind != "text" else None
        return new.length is None or (old_length is not None and new.length >= old_length)
    return False


def rewrites_table(old: TypeSpec, new: TypeSpec) -> bool:
    """Whether PostgreSQL rewrites the table for this type change (under an exclusive lock).

    Binary-coercible changes do not: a longer or unbounded ``VARCHAR``, ``VARCHAR`` → ``TEXT``,
    a ``NUMERIC`` with more precision and the same scale.
    """
    if old.kind == new.kind == "string" and not old.fixed and not new.fixed:
        return not (new.length is None or (old.length is not None and new.length >= old.length))
    if old.kind == "string" and not old.fixed and new.kind == "text":
        return False
    if old.kind == new.kind == "numeric" and old.scale == new.scale:
        return not (new.precision is None or (old.precision is not None and new.precision >= old.precision))
    return old != new
