"""The relationship contract: what the application's mapped classes promise, ORM-wise, and its proof on rows.

Derived from the hand-written models (before a switch) or from whatever maps the tables now:
every mapped class, every relationship in both directions, its cardinality and cascade. Parity's
``orm`` level compares two classes by :func:`relationship_shape`, so a switch that would lose a
relationship, a backref or an option is visible before it happens.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import RelationshipDirection

#: The cascade SQLAlchemy applies when none is given.
DEFAULT_CASCADE = ("merge", "save-update")


def relationship_shape(rel: Any) -> dict[str, Any]:
    """One relationship as plain values: target table, cardinality, association table, options.

    Remote columns are part of the shape only for a self-referential relationship (elsewhere they
    follow from the foreign keys); ``order_by`` is given as ``table.column [desc]``.
    """
    self_referential = rel.mapper.local_table is rel.parent.local_table
    return {
        "target": rel.mapper.local_table.name,
        "direction": rel.direction.name.lower(),
        "uselist": bool(rel.uselist),
        "secondary": rel.secondary.name if rel.secondary is not None else None,
        "cascade": sorted(rel.cascade),
        "passive_deletes": rel.passive_deletes,
        "lazy": rel.lazy,
        "viewonly": bool(rel.viewonly),
        "order_by": _order_by(rel),
        "remote_side": sorted(c.name for c in rel.remote_side) if self_referential else None,
        "back_populates": _reverse_key(rel),
    }


def relationship_shapes(mapped_class: type) -> dict[str, dict[str, Any]]:
    """Relationship name → shape, backrefs included (the class's registry is configured first)."""
    mapper = sa.inspect(mapped_class)
    mapper.registry.configure()
    return {name: relationship_shape(rel) for name, rel in sorted(mapper.relationships.items())}


def cardinality(shape: dict[str, Any]) -> str:
    """``many-to-one``, ``one-to-many``, ``one-to-one`` or ``many-to-many``."""
    direction = shape["direction"]
    if direction == RelationshipDirection.MANYTOMANY.name.lower():
        return "many-to-many"
    if not shape["uselist"]:
        return "many-to-one" if direction == "manytoone" else "one-to-one"
    return "one-to-many"


def _order_by(rel: Any) -> list[str] | None:
    if not rel.order_by:
        return None
    described = []
    for element in rel.order_by:
        column = getattr(element, "element", element)
        name = f"{getattr(getattr(column, 'table', None), 'name', '?')}.{getattr(column, 'name', column)}"
        modifier = getattr(getattr(element, "modifier", None), "__name__", "")
        described.append(f"{name} desc" if modifier.startswith("desc") else name)
    return described


def _reverse_key(rel: Any) -> str | None:
    reverse = sorted(r.key for r in getattr(rel, "_reverse_property", ()))
    return reverse[0] if reverse else None
