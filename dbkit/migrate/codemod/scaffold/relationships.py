"""The ORM facts of hand-written relationships that scaffold carries over, as dbkit option values.

A configured ``RelationshipProperty`` knows its options whichever way they were written
(``relationship(...)``, ``backref(...)``, ``back_populates``); only the options that differ from
SQLAlchemy's defaults are written (see :data:`dbkit.generate.options.RELATIONSHIP_OPTIONS`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import RelationshipDirection
from sqlalchemy.sql import operators

#: ``cascade="all"`` spelled out, as SQLAlchemy expands it.
ALL_CASCADES = frozenset({"save-update", "merge", "refresh-expire", "expunge", "delete"})
DEFAULT_CASCADES = frozenset({"save-update", "merge"})


class NotCarriedError(Exception):
    """An option of this relationship has no dbkit spelling; the message says which."""


def cascade_text(cascades: frozenset[str] | set[str]) -> str:
    """``{"delete", "delete-orphan", ...}`` → ``"all, delete-orphan"`` (SQLAlchemy's own spelling)."""
    found = set(cascades)
    parts: list[str] = []
    if found >= ALL_CASCADES:
        parts.append("all")
        found -= ALL_CASCADES
    return ", ".join(parts + sorted(found))


def order_by_names(rel: Any) -> tuple[str, ...]:
    """``order_by`` as column names of the related table (``"name desc"``)."""
    if not rel.order_by:
        return ()
    related = rel.mapper.local_table
    names = []
    for element in rel.order_by:
        descending = getattr(element, "modifier", None) is operators.desc_op
        column = element.element if getattr(element, "modifier", None) is not None else element
        if not isinstance(column, sa.Column) or column.table is not related:
            raise NotCarriedError(f"order_by {element} is not a column of {related.name}")
        names.append(f"{column.name} desc" if descending else column.name)
    return tuple(names)


def relationship_options(rel: Any) -> dict[str, Any]:
    """The carried options of ``rel`` that differ from SQLAlchemy's defaults."""
    options: dict[str, Any] = {}
    if frozenset(rel.cascade) != DEFAULT_CASCADES:
        options["cascade"] = cascade_text(frozenset(rel.cascade))
    if rel.passive_deletes is not False:
        options["passive_deletes"] = rel.passive_deletes
    if rel.lazy != "select":
        options["lazy"] = rel.lazy
    order_by = order_by_names(rel)
    if order_by:
        options["order_by"] = order_by
    if rel.uselist != (rel.direction is not RelationshipDirection.MANYTOONE):
        options["uselist"] = rel.uselist
    if rel.viewonly:
        options["viewonly"] = True
    if rel.single_parent:
        options["single_parent"] = True
    overlaps = sorted(getattr(rel, "_overlaps", ()) or ())
    if overlaps:
        options["overlaps"] = ", ".join(overlaps)
    return options


def reverse_of(rel: Any) -> Any | None:
    """The relationship on the other side (its backref or ``back_populates`` partner), if any."""
    reverse = sorted(getattr(rel, "_reverse_property", ()), key=lambda r: r.key)
    return reverse[0] if reverse else None


def has_custom_join(rel: Any) -> bool:
    """Whether the author wrote ``primaryjoin``/``secondaryjoin`` (a backref's computed join is not)."""
    reverse = reverse_of(rel)
    if reverse is not None and _backref_name(reverse) == rel.key:
        return False
    init = rel._init_args  # the arguments as written: SQLAlchemy keeps them here
    return init.primaryjoin.argument is not None or init.secondaryjoin.argument is not None


def created_by_other_class(rel: Any) -> bool:
    """A backref another class declares (``Document.owner``'s ``backref="documents"`` makes
    ``User.documents``): scaffold declares it where the application did, on that class's model."""
    reverse = reverse_of(rel)
    return (
        reverse is not None
        and _backref_name(reverse) == rel.key
        and reverse.parent.local_table is not rel.parent.local_table
    )


def _backref_name(rel: Any) -> str | None:
    backref = rel.backref
    return backref[0] if isinstance(backref, tuple) else backref


def needs_foreign_keys(rel: Any) -> bool:
    """Whether more than one foreign-key path joins the two tables (``foreign_keys`` must choose)."""
    if rel.secondary is not None:
        return False
    own, other = rel.parent.local_table, rel.mapper.local_table
    paths = [
        constraint
        for table, target in ((own, other), (other, own))
        for constraint in table.foreign_key_constraints
        if constraint.referred_table is target
    ]
    if own is other:
        paths = list(own.foreign_key_constraints)
        paths = [c for c in paths if c.referred_table is own]
    return len(paths) > 1


def foreign_key_names(rel: Any) -> tuple[str, ...]:
    """The foreign-key columns of ``rel`` as ``"table.column"``."""
    return tuple(sorted(f"{c.table.name}.{c.name}" for c in rel._calculated_foreign_keys))


def remote_side_names(rel: Any) -> tuple[str, ...]:
    """Remote columns of a self-referential relationship (``("id",)`` for ``parent``)."""
    return tuple(sorted(c.name for c in rel.remote_side))
