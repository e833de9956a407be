"""Search operator models: the vocabulary shared by derived ``Search`` variants and the query builder.

``inc``/``sw``/``ew`` are case-insensitive contains / starts-with / ends-with and match their
argument literally (``%`` and ``_`` are not wildcards). ``on`` matches a whole day.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict


class SearchModel(BaseModel):
    """Base of operator models: unknown operators are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class StringSearchModel(SearchModel):
    eq: str | None = None
    inc: str | None = None
    sw: str | None = None
    ew: str | None = None


class NumericalSearchModel(SearchModel):
    eq: float | None = None
    neq: float | None = None
    lt: float | None = None
    lteq: float | None = None
    gt: float | None = None
    gteq: float | None = None


class DateSearchModel(SearchModel):
    before: dt.datetime | None = None
    after: dt.datetime | None = None
    on: dt.date | None = None
    eq: dt.datetime | None = None


class BooleanSearchModel(SearchModel):
    eq: bool | None = None


class IdSearchModel(SearchModel):
    """References search by id: equal to one, or any of several."""

    eq: str | None = None
    any_of: list[str] | None = None


def search_model_for(python_type: Any) -> type[SearchModel] | None:
    """The operator model for a field's Python type; None when the type is not searchable."""
    if not isinstance(python_type, type):
        return None
    if issubclass(python_type, bool):
        return BooleanSearchModel
    if issubclass(python_type, dt.date):  # datetime is a date
        return DateSearchModel
    if issubclass(python_type, int | float | decimal.Decimal) and not issubclass(python_type, enum.Enum):
        return NumericalSearchModel
    if issubclass(python_type, str | enum.Enum | uuid.UUID):
        return StringSearchModel
    return None
