"""Seeding: insert every model's ``seed_list`` rows, referenced models first, once.

A seed row is a dict of field values. A value for a reference column (a foreign key) may be a
dict of natural-key values instead of an id: ``{"role_id": {"name": "admin"}}`` means "the id
of the row of the referenced table whose ``name`` is ``admin``" (exactly one must match).

A row already present is skipped, so seeding twice inserts nothing new. "Present" means: a
row with the same ``id`` when the seed gives one, else with the same values in one of the
table's unique keys (a unique column or unique constraint the seed fills in), else with the
same values in every column the seed gives. Seeded rows are created by the system id (readable
by everyone, changeable by root and system only), validated by the model's ``Create`` variant
and go through the model's create hooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dbkit.bll.business_manager import AbstractBLLManager
from dbkit.bll.permissions import class_setting
from dbkit.bll.session import with_session
from dbkit.errors import DbkitError
from dbkit.generate.ordering import generation_order
from dbkit.manager import DatabaseManager


class SeedError(DbkitError):
    """A seed row cannot be inserted as written (which model, which row, which field, and why)."""


def _manager_class(model: type) -> type[AbstractBLLManager]:
    return type(f"{model.__name__}SeedManager", (AbstractBLLManager,), {"Model": model})


def _unique_keys(table: sa.Table) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = []
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            keys.append(tuple(column.name for column in constraint.columns))
    keys.extend((column.name,) for column in table.columns if column.unique)
    return keys


def _resolve_references(
    db: Session, entity: type, model: type, index: int, row: dict[str, Any]
) -> dict[str, Any]:
    """Turn ``{"role_id": {"name": "admin"}}`` into the referenced row's id."""
    resolved = dict(row)
    table = entity.__table__
    for name, value in row.items():
        if not isinstance(value, Mapping):
            continue
        column = table.c.get(name)
        foreign_keys = list(column.foreign_keys) if column is not None else []
        if not foreign_keys:
            continue
        target = foreign_keys[0].column
        query = sa.select(target).where(*(target.table.c[key] == wanted for key, wanted in value.items()))
        found = db.execute(query.limit(2)).scalars().all()
        if len(found) != 1:
            raise SeedError(
                f"{model.__name__}.seed_list[{index}].{name}: {dict(value)!r} matches {len(found)} rows of "
                f"{target.table.name}; a natural key must match exactly one (seed that row first, or fix the key)."
            )
        resolved[name] = found[0]
    return resolved


def _already_present(db: Session, entity: type, row: dict[str, Any]) -> bool:
    table = entity.__table__
    mapper = sa.inspect(entity)
    columns = {attr.key: attr.columns[0] for attr in mapper.column_attrs}
    given = {columns[name].name: value for name, value in row.items() if name in columns}
    if "id" in given:
        match = {"id": given["id"]}
    else:
        key = next((k for k in _unique_keys(table) if all(name in given for name in k)), None)
        match = {name: given[name] for name in key} if key else given
    query = sa.select(sa.literal(1)).select_from(table).where(*(table.c[k] == v for k, v in match.items()))
    # A soft-deleted seed row still counts as present: seeding must not resurrect what someone deleted.
    return db.execute(query.limit(1)).first() is not None


@with_session
def seed(
    models: Iterable[type] | Any,
    *,
    db: Session | None = None,
    db_manager: DatabaseManager | None = None,
) -> dict[str, int]:
    """Insert missing seed rows of ``models`` (a ModelRegistry or model list); returns model name → rows added.

    Everything happens in one unit of work: a bad seed row leaves the database untouched.
    """
    assert db is not None and db_manager is not None
    order = generation_order(list(models))
    added: dict[str, int] = {}
    for model in order:
        rows = list(class_setting(model, "seed_list", []) or [])
        if not rows:
            continue
        manager = _manager_class(model)(db_manager.system_id, db_manager=db_manager)
        added[model.__name__] = 0
        for index, row in enumerate(rows):
            try:
                values = _resolve_references(db, manager.entity, model, index, row)
                payload = manager.Model.Create.model_validate(values)
                if _already_present(db, manager.entity, payload.model_dump(exclude_unset=True)):
                    continue
                manager.create(payload, return_type="db", db=db)
            except SeedError:
                raise
            except (DbkitError, ValueError) as exc:
                raise SeedError(f"{model.__name__}.seed_list[{index}]: {exc}") from exc
            added[model.__name__] += 1
    return added
