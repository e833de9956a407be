"""Search operator models (``dbkit.search``) → SQL conditions, and ``order_by`` → ORDER BY.

Every value is a bound parameter; ``inc``/``sw``/``ew`` escape ``%``, ``_`` and the escape
character itself, so a search string always matches literally.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import inspect as sa_inspect

from dbkit.errors import DbkitError
from dbkit.search import (
    BooleanSearchModel,
    DateSearchModel,
    IdSearchModel,
    NumericalSearchModel,
    StringSearchModel,
)

LIKE_ESCAPE = "\\"


class SearchError(DbkitError, ValueError):
    """A search names a field or operator the entity cannot be searched by."""


def escape_like(value: str) -> str:
    """``50%_off`` → ``50\\%\\_off``: LIKE wildcards become plain characters."""
    return (
        value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def _enum_class(column: Any) -> type[enum.Enum] | None:
    column_type = getattr(column, "type", None)
    return getattr(column_type, "enum_class", None)


def _enum_member(enum_class: type[enum.Enum], value: Any, field: str) -> enum.Enum:
    if isinstance(value, enum_class):
        return value
    for member in enum_class:
        if value in (member.value, member.name):
            return member
    choices = ", ".join(str(m.value) for m in enum_class)
    raise SearchError(f"{value!r} is not a {enum_class.__name__} for field {field!r}; use one of {choices}.")


def _string_conditions(column: Any, field: str, operators: StringSearchModel) -> list[Any]:
    conditions: list[Any] = []
    enum_class = _enum_class(column)
    text = sa.cast(column, sa.String) if enum_class is not None else column
    if operators.eq is not None:
        conditions.append(
            column == (_enum_member(enum_class, operators.eq, field) if enum_class else operators.eq)
        )
    patterns = {"inc": "%{}%", "sw": "{}%", "ew": "%{}"}
    for operator, template in patterns.items():
        value = getattr(operators, operator)
        if value is not None:
            conditions.append(text.ilike(template.format(escape_like(value)), escape=LIKE_ESCAPE))
    return conditions


def _numerical_conditions(column: Any, operators: NumericalSearchModel) -> list[Any]:
    comparisons = {
        "eq": column.__eq__,
        "neq": column.__ne__,
        "lt": column.__lt__,
        "lteq": column.__le__,
        "gt": column.__gt__,
        "gteq": column.__ge__,
    }
    return [
        compare(getattr(operators, op))
        for op, compare in comparisons.items()
        if getattr(operators, op) is not None
    ]


def _is_date_only(column: Any) -> bool:
    column_type = getattr(column, "type", None)
    return isinstance(column_type, sa.Date) and not isinstance(column_type, sa.DateTime)


def _date_conditions(column: Any, operators: DateSearchModel) -> list[Any]:
    date_only = _is_date_only(column)

    def moment(value: dt.datetime) -> dt.date | dt.datetime:
        return value.date() if date_only else value

    conditions: list[Any] = []
    if operators.before is not None:
        conditions.append(column < moment(operators.before))
    if operators.after is not None:
        conditions.append(column > moment(operators.after))
    if operators.eq is not None:
        conditions.append(column == moment(operators.eq))
    if operators.on is not None:
        if date_only:
            conditions.append(column == operators.on)
        else:
            start = dt.datetime.combine(operators.on, dt.time.min)
            conditions.append(sa.and_(column >= start, column < start + dt.timedelta(days=1)))
    return conditions


def _id_conditions(column: Any, operators: IdSearchModel) -> list[Any]:
    conditions: list[Any] = []
    if operators.eq is not None:
        conditions.append(column == operators.eq)
    if operators.any_of is not None:
        conditions.append(column.in_(operators.any_of))
    return conditions


def field_conditions(column: Any, field: str, operators: BaseModel) -> list[Any]:
    """The conditions one field's operator model asks for."""
    if isinstance(operators, StringSearchModel):
        return _string_conditions(column, field, operators)
    if isinstance(operators, NumericalSearchModel):
        return _numerical_conditions(column, operators)
    if isinstance(operators, DateSearchModel):
        return _date_conditions(column, operators)
    if isinstance(operators, BooleanSearchModel):
        return [] if operators.eq is None else [column == operators.eq]
    if isinstance(operators, IdSearchModel):
        return _id_conditions(column, operators)
    raise SearchError(f"Field {field!r}: {type(operators).__name__} is not a dbkit search operator model.")


def column_attribute(entity: type, field: str, purpose: str) -> Any:
    """The mapped column attribute ``entity.<field>``, or a clear error naming what exists."""
    mapper = sa_inspect(entity)
    if field not in mapper.column_attrs:
        known = ", ".join(sorted(attr.key for attr in mapper.column_attrs))
        raise SearchError(f"{entity.__name__} has no column {field!r} to {purpose}; columns: {known}.")
    return getattr(entity, field)


def search_conditions(entity: type, criteria: BaseModel) -> list[Any]:
    """Conditions for every operator set in a ``Search`` model (all must hold)."""
    conditions: list[Any] = []
    for field in criteria.model_fields_set:
        operators = getattr(criteria, field)
        if operators is None:
            continue
        column = column_attribute(entity, field, "search by")
        conditions.extend(field_conditions(column, field, operators))
    return conditions


def order_clauses(entity: type, order_by: str | Iterable[str] | None) -> list[Any]:
    """``["-created_at", "name"]`` → ``created_at DESC, name ASC``, then the primary key (a stable page order)."""
    primary_key = list(sa_inspect(entity).primary_key)
    if order_by is None:
        return primary_key
    names = [order_by] if isinstance(order_by, str) else list(order_by)
    clauses: list[Any] = []
    for name in names:
        descending = name.startswith("-")
        column = column_attribute(entity, name.lstrip("-+"), "order by")
        clauses.append(column.desc() if descending else column.asc())
    return clauses + primary_key
