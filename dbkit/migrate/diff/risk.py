"""The risk of each change: safe, data-dependent, destructive or backward-incompatible.

``data_dependent`` succeeds or not depending on the rows (NOT NULL added without a server
default, nullable → NOT NULL, a new unique/check/foreign key, a type that narrows or converts);
``destructive`` loses data (a dropped table or column, a removed enum member);
``backward_incompatible`` breaks old code (renames). Each change class of
:mod:`dbkit.migrate.diff.changes` computes its own risk from its fields with the rules below
(:func:`needs_backfill`, :func:`is_widening`); lint adds :func:`rewrites_table`. Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from dbkit.migrate.schema.snapshot import ColumnSnapshot, TypeSpec


class Risk(StrEnum):
    SAFE = "safe"
    DATA_DEPENDENT = "data_dependent"
    DESTRUCTIVE = "destructive"
    BACKWARD_INCOMPATIBLE = "backward_incompatible"


def needs_backfill(column: ColumnSnapshot | Mapping[str, Any]) -> bool:
    """A NOT NULL column with nothing to fill existing rows: no server default, identity,
    autoincrement or computed expression (``column``: a snapshot, or its JSON dict)."""
    if isinstance(column, ColumnSnapshot):
        return not column.nullable and not (
            column.server_default or column.identity or column.computed or column.autoincrement
        )
    return not column["nullable"] and not any(
        column.get(key) for key in ("server_default", "identity", "computed", "autoincrement")
    )


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
