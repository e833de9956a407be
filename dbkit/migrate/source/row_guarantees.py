"""Which fields of a model the database already guarantees, so that ``validate_rows`` need not read them.

Validating a million rows in Python costs mostly the fetching and parsing of values the database
has already constrained. For each model field this module decides, from the column's DDL *as the
database has it* (reflected, not as the model would generate it: the model is what is in question)
and for the backend at hand, one of three ways to check it:

- ``ddl``: every value the column can hold satisfies the field (PostgreSQL ``INTEGER`` for an
  unbounded ``int``, ``VARCHAR(n)`` for ``max_length >= n``, a native enum whose labels the field
  knows, ``UUID``; on SQLite only the ``INTEGER PRIMARY KEY`` that is the rowid, since type
  affinity is not a type). The column is not read at all.
- ``sql``: a per-row SQL condition that implies the field accepts the value (``char_length(c) <=
  80``, ``c BETWEEN 1 AND 10000``, ``date(c) = c``); the database evaluates it while scanning and
  the value is fetched and validated in Python only for rows where it does not hold. Every
  condition is conservative: when it is false the row is validated as before, never assumed bad.
- ``python``: everything else (a ``pattern``, an ``EmailStr``, a validator, JSON, an unknown
  type): fetched for every row and validated by Pydantic.

A model whose validators can look at other fields (a model validator, a field validator taking
``info``), or whose config changes how values are accepted (``strict``, ``str_*``...), keeps every
field in Python: proving a field there would change what its validators see.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import inspect
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types as at
import sqlalchemy as sa
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dbkit.generate.options import DBColumn
from dbkit.generate.types import unwrap_optional

How = Literal["ddl", "sql", "python"]

#: Config keys that change what a field accepts: a model setting one keeps every field in Python.
_ACCEPTANCE_CONFIG = (
    "strict",
    "str_strip_whitespace",
    "str_to_lower",
    "str_to_upper",
    "str_min_length",
    "str_max_length",
    "coerce_numbers_to_str",
    "allow_inf_nan",
    "regex_engine",
)
#: Keys of Pydantic's general field metadata this module understands (anything else: Python).
_KNOWN_GENERAL = {"max_digits", "decimal_places"}
_SIMPLE_TYPES = (int, str, float, bool, decimal.Decimal, dt.datetime, dt.date, uuid.UUID)


@dataclass(frozen=True)
class FieldPlan:
    """How one model field is checked: by the DDL, by a per-row SQL condition, or in Python."""

    field: str
    column: str
    how: How
    #: Why (``ddl``), the condition as SQL (``sql``), or what keeps it in Python.
    reason: str
    check: sa.ColumnElement[bool] | None = None


@dataclass(frozen=True)
class FieldSpec:
    """What a field accepts, when it is one of the simple shapes this module can prove."""

    python_type: Any
    optional: bool
    max_length: int | None = None
    min_length: int | None = None
    bounds: tuple[tuple[str, Any], ...] = ()  # ("ge"|"gt"|"le"|"lt", value)
    multiple_of: Any = None
    max_digits: int | None = None
    decimal_places: int | None = None


@dataclass(frozen=True)
class StoredColumn:
    """A column as the database declares it (reflected), with what SQLite adds."""

    name: str
    type: sa.types.TypeEngine[Any]
    nullable: bool
    #: SQLite: the column is the rowid (``INTEGER PRIMARY KEY`` of a rowid table).
    rowid: bool = False


def fields_validators_see_everything(model: type[BaseModel]) -> str | None:
    """Why every field of ``model`` must stay in Python (its validators or config), or None."""
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.root_validators or decorators.validators:
        return "the model has a model validator, which sees every field"
    for decorator in decorators.field_validators.values():
        if _takes_info(decorator.func, decorator.info.mode):
            return f"field validator {decorator.cls_var_name} takes info (it can read other fields)"
    if getattr(model, "__pydantic_post_init__", None):
        return "the model defines model_post_init"
    config = model.model_config
    changed = [key for key in _ACCEPTANCE_CONFIG if config.get(key) not in (None, False)]
    if changed:
        return f"model_config sets {', '.join(changed)}"
    return None


def _takes_info(function: Any, mode: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True
    return len(parameters) > (2 if mode == "wrap" else 1)


def validated_fields(model: type[BaseModel]) -> set[str]:
    """Fields named by a field validator (``'*'``: all): their validator runs only in Python."""
    names: set[str] = set()
    for decorator in model.__pydantic_decorators__.field_validators.values():
        fields = decorator.info.fields
        names.update(model.model_fields if "*" in fields else fields)
    return names


def field_spec(info: FieldInfo) -> FieldSpec | str:
    """The field's shape, or why it is not one this module proves."""
    python_type, optional = unwrap_optional(info.annotation)
    simple = python_type in _SIMPLE_TYPES or (
        isinstance(python_type, type) and issubclass(python_type, enum.Enum)
    )
    if not simple:
        return f"type {getattr(python_type, '__name__', python_type)} is validated in Python"
    found: dict[str, Any] = {"bounds": []}
    for item in info.metadata:
        problem = _read_metadata(item, found)
        if problem:
            return problem
    found["bounds"] = tuple(found["bounds"])
    return FieldSpec(python_type, optional, **found)


def _read_metadata(item: Any, found: dict[str, Any]) -> str | None:
    """Fold one constraint into ``found``; a reason when the constraint needs Python."""
    if isinstance(item, DBColumn):
        return None
    if isinstance(item, at.MaxLen):
        found["max_length"] = item.max_length
    elif isinstance(item, at.MinLen):
        found["min_length"] = item.min_length
    elif isinstance(item, at.Ge | at.Gt | at.Le | at.Lt):
        kind = type(item).__name__.lower()
        found["bounds"].append((kind, getattr(item, kind)))
    elif isinstance(item, at.MultipleOf):
        found["multiple_of"] = item.multiple_of
    elif type(item).__name__ == "_PydanticGeneralMetadata":
        keys = set(vars(item))
        if not keys <= _KNOWN_GENERAL:
            return f"{', '.join(sorted(keys - _KNOWN_GENERAL))} is checked in Python"
        found.update(vars(item))
    else:
        return f"{type(item).__name__} is checked in Python"
    return None


# -- the plan -----------------------------------------------------------------------------------------
def plan_fields(
    model: type[BaseModel],
    fields: list[tuple[str, sa.Column[Any]]],
    stored: dict[str, StoredColumn],
    dialect: str,
) -> list[FieldPlan]:
    """One :class:`FieldPlan` per ``(field, generated column)`` of the model, for this database."""
    everything = fields_validators_see_everything(model)
    with_validator = validated_fields(model)
    plans = []
    for name, column in fields:
        if everything:
            plans.append(FieldPlan(name, column.name, "python", everything))
        elif name in with_validator:
            plans.append(FieldPlan(name, column.name, "python", "a field validator checks it"))
        elif column.name not in stored:
            plans.append(FieldPlan(name, column.name, "python", "the column is not in the database"))
        else:
            plans.append(_plan_field(name, model.model_fields[name], column, stored[column.name], dialect))
    return plans


def _plan_field(
    name: str, info: FieldInfo, column: sa.Column[Any], stored: StoredColumn, dialect: str
) -> FieldPlan:
    spec = field_spec(info)
    if isinstance(spec, str):
        return FieldPlan(name, column.name, "python", spec)
    target = sa.column(stored.name, sa.types.NullType())
    prover = _SQLITE if dialect == "sqlite" else _POSTGRESQL if dialect == "postgresql" else None
    found = prover(spec, column.type, stored, target) if prover else "no proofs for this backend"
    if isinstance(found, str):
        return FieldPlan(name, column.name, "python", found)
    reason, checks = found
    if not spec.optional and stored.nullable and not stored.rowid:
        checks = [target.is_not(None), *checks]
    if not checks:
        return FieldPlan(name, column.name, "ddl", reason)
    condition = sa.and_(*checks)
    if spec.optional:
        condition = sa.or_(target.is_(None), condition)
    return FieldPlan(name, column.name, "sql", reason, condition)


Proof = tuple[str, list[sa.ColumnElement[bool]]] | str


def _bound_checks(spec: FieldSpec, target: sa.ColumnElement[Any]) -> list[sa.ColumnElement[bool]]:
    operators = {"ge": target.__ge__, "gt": target.__gt__, "le": target.__le__, "lt": target.__lt__}
    return [operators[kind](sa.literal(value)) for kind, value in spec.bounds]


def _exact_bounds(spec: FieldSpec) -> bool:
    """Bounds SQL compares as Python does: integers or decimals (a float bound rounds)."""
    return all(
        isinstance(value, int | decimal.Decimal) and not isinstance(value, bool) for _, value in spec.bounds
    )


def _sqlite_proof(
    spec: FieldSpec, generated: sa.types.TypeEngine[Any], stored: StoredColumn, c: sa.ColumnElement[Any]
) -> Proof:
    """SQLite: per-row conditions on ``typeof`` and the stored value, as dbkit's reader hands values on.

    Dates, datetimes and UUIDs stay in Python: SQLite's date functions and a 32-digit ``GLOB`` cost
    more per row (measured: 0.07-0.1 s per 100,000 rows each) than Pydantic parsing the text.
    """
    typeof = sa.func.typeof(c)
    kind = spec.python_type
    if isinstance(generated, sa.Enum):
        return _enum_proof(spec, generated, [typeof == "text"], c)
    if kind is int and isinstance(generated, sa.Integer) and spec.multiple_of is None and _exact_bounds(spec):
        if stored.rowid and not spec.bounds:
            return "INTEGER PRIMARY KEY (the rowid: always an integer)", []
        return "typeof integer", [typeof == "integer", *_bound_checks(spec, c)]
    if kind is str and isinstance(generated, sa.String) and not spec.bounds:
        checks = [typeof == "text"]
        if spec.max_length is not None:  # bytes >= characters, and a NUL does not hide the rest
            checks.append(sa.func.length(sa.cast(c, sa.LargeBinary)) <= spec.max_length)
        if spec.min_length is not None:  # characters up to a NUL: never more than Python counts
            checks.append(sa.func.length(c) >= spec.min_length)
        return "typeof text", checks
    if kind is float and isinstance(generated, sa.Float) and not generated.asdecimal and _exact_bounds(spec):
        return "typeof real", [typeof.in_(["integer", "real"]), *_bound_checks(spec, c)]
    if kind is bool and isinstance(generated, sa.Boolean):
        return "stored 0 or 1", [typeof == "integer", c.in_([0, 1])]
    if kind is decimal.Decimal and isinstance(generated, sa.Numeric) and not isinstance(generated, sa.Float):
        return _sqlite_decimal(spec, generated, c, typeof)
    return f"{type(generated).__name__} for {getattr(kind, '__name__', kind)} is validated in Python"


def _sqlite_decimal(
    spec: FieldSpec, generated: sa.Numeric[Any], c: sa.ColumnElement[Any], typeof: sa.ColumnElement[Any]
) -> Proof:
    """SQLite holds a NUMERIC as a float; the reader formats it with the column's scale."""
    scale = generated._effective_decimal_return_scale  # type: ignore[attr-defined]
    if spec.bounds or spec.multiple_of is not None or not generated.asdecimal:
        return "a bounded Decimal is validated in Python (the stored float rounds)"
    if spec.decimal_places is not None and spec.decimal_places < scale:
        return f"decimal_places {spec.decimal_places} < the reader's scale {scale}"
    checks = [typeof.in_(["integer", "real"])]
    if spec.max_digits is not None:
        whole = spec.max_digits - (spec.decimal_places if spec.decimal_places is not None else scale)
        checks.append(sa.func.abs(c) < 10**whole - 1)
    return f"a number read with {scale} decimals", checks


def _postgresql_proof(
    spec: FieldSpec, generated: sa.types.TypeEngine[Any], stored: StoredColumn, c: sa.ColumnElement[Any]
) -> Proof:
    """PostgreSQL enforces its types: most proofs are static, a few need a cheap per-row condition."""
    kind, declared = spec.python_type, stored.type
    if isinstance(generated, sa.Enum):
        if isinstance(declared, sa.Enum):
            return _enum_proof(spec, generated, [], sa.cast(c, sa.Text), declared.enums)
        if isinstance(declared, sa.String):
            return _enum_proof(spec, generated, [], c)
        return f"{declared} for an enum is validated in Python"
    if kind is int and isinstance(generated, sa.Integer) and isinstance(declared, sa.Integer):
        if spec.multiple_of is not None or not _exact_bounds(spec):
            return "a multiple_of or float bound is validated in Python"
        return str(declared), _bound_checks(spec, c)
    if (
        kind is str
        and isinstance(generated, sa.String)
        and isinstance(declared, sa.String)
        and not isinstance(declared, sa.Enum)
    ):
        return _postgresql_string(spec, declared, c)
    if kind is float and isinstance(generated, sa.Float) and isinstance(declared, sa.Float):
        if spec.multiple_of is not None or not _exact_bounds(spec):
            return "a multiple_of or float bound is validated in Python"
        not_nan = [c != sa.literal_column("'NaN'::float8")] if spec.bounds else []
        return str(declared), [*not_nan, *_bound_checks(spec, c)]
    if kind is bool and isinstance(generated, sa.Boolean) and isinstance(declared, sa.Boolean):
        return "BOOLEAN", []
    if kind is decimal.Decimal and isinstance(generated, sa.Numeric) and not isinstance(generated, sa.Float):
        return _postgresql_decimal(spec, declared, c)
    if kind is dt.datetime and isinstance(generated, sa.DateTime) and isinstance(declared, sa.DateTime):
        return f"{declared} within Python's years", [
            c.between(sa.literal_column("'0001-01-02'"), sa.literal_column("'9999-12-30'"))
        ]
    if kind is dt.date and isinstance(generated, sa.Date) and isinstance(declared, sa.Date):
        return "DATE within Python's years", [
            c.between(sa.literal_column("'0001-01-01'"), sa.literal_column("'9999-12-31'"))
        ]
    if (
        kind is uuid.UUID
        and isinstance(generated, sa.Uuid)
        and generated.as_uuid
        and isinstance(declared, sa.Uuid)
    ):
        return "UUID", []
    return f"{declared} for {getattr(kind, '__name__', kind)} is validated in Python"


def _postgresql_string(spec: FieldSpec, declared: sa.String, c: sa.ColumnElement[Any]) -> Proof:
    """``VARCHAR(n)`` proves ``max_length >= n``; ``CHAR(n)`` comes back padded to ``n`` characters."""
    if spec.bounds or spec.multiple_of is not None:
        return "bounds on a string are validated in Python"
    length = declared.length
    padded = isinstance(declared, sa.CHAR)
    checks = []
    if spec.max_length is not None and (length is None or length > spec.max_length):
        if padded:
            return f"{declared} is wider than max_length {spec.max_length}"
        checks.append(sa.func.char_length(c) <= spec.max_length)
    if spec.min_length is not None and not (padded and length is not None and length >= spec.min_length):
        if padded:
            return f"{declared} may be shorter than min_length {spec.min_length}"
        checks.append(sa.func.char_length(c) >= spec.min_length)
    return str(declared), checks


def _postgresql_decimal(
    spec: FieldSpec, declared: sa.types.TypeEngine[Any], c: sa.ColumnElement[Any]
) -> Proof:
    """``NUMERIC(p, s)`` proves the digits when the field allows as many; ``NaN`` needs a row check."""
    if not isinstance(declared, sa.Numeric) or isinstance(declared, sa.Float):
        return f"{declared} for Decimal is validated in Python"
    if spec.multiple_of is not None or not _exact_bounds(spec):
        return "a multiple_of or float bound is validated in Python"
    precision, scale = declared.precision, declared.scale
    if spec.max_digits is not None or spec.decimal_places is not None:
        if precision is None or scale is None:
            return f"{declared} has no declared digits to prove max_digits/decimal_places"
        places = spec.decimal_places
        if places is not None and scale > places:
            return f"{declared} allows more decimals than decimal_places {places}"
        if spec.max_digits is not None and (
            precision > spec.max_digits or precision - scale > spec.max_digits - (places or 0)
        ):
            return f"{declared} allows more digits than max_digits {spec.max_digits}"
    # NaN and (PostgreSQL 14+) infinities sort above every number: this bound rejects them too
    return str(declared), [sa.func.abs(c) < sa.literal_column("1e1000"), *_bound_checks(spec, c)]


def _enum_proof(
    spec: FieldSpec,
    generated: sa.Enum,
    checks: list[sa.ColumnElement[bool]],
    c: sa.ColumnElement[Any],
    declared_labels: list[str] | None = None,
) -> Proof:
    """Labels the reader maps to a member of the field's enum; a native enum proves it when it has no other."""
    if generated.enum_class is None or generated.enum_class is not spec.python_type:
        return "the column's enum is not the field's"
    labels = sorted(label for label in generated._object_lookup if isinstance(label, str))  # type: ignore[attr-defined]
    if declared_labels is not None and set(declared_labels) <= set(labels):
        return "a native enum whose labels are all members", []
    return "one of the enum's labels", [*checks, c.in_(labels)]


_SQLITE = _sqlite_proof
_POSTGRESQL = _postgresql_proof


# -- the database side ------------------------------------------------------------------------------
def stored_columns(connection: sa.Connection, table: str, schema: str | None) -> dict[str, StoredColumn]:
    """The table's columns as the database declares them; SQLite's rowid column is marked."""
    reflected = sa.inspect(connection).get_columns(table, schema)
    rowid = _sqlite_rowid(connection, table) if connection.dialect.name == "sqlite" else None
    return {
        column["name"]: StoredColumn(
            column["name"], column["type"], bool(column["nullable"]), column["name"] == rowid
        )
        for column in reflected
    }


def _sqlite_rowid(connection: sa.Connection, table: str) -> str | None:
    """The column that is the rowid: a lone ``INTEGER`` primary key of a table with a rowid."""
    sql = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": table}
    ).scalar()
    if not sql or re.search(r"\bWITHOUT\s+ROWID\b|PRIMARY\s+KEY\s+DESC\b", sql, re.IGNORECASE):
        return None
    quoted = table.replace('"', '""')
    keys = [row for row in connection.exec_driver_sql(f'PRAGMA table_info("{quoted}")') if row[5]]
    if len(keys) == 1 and str(keys[0][2]).upper() == "INTEGER":
        return str(keys[0][1])
    return None


def shown_check(plan: FieldPlan, dialect: sa.Dialect) -> str:
    """The plan's SQL condition as text, literals inlined (the report's honest accounting)."""
    if plan.check is None:
        return plan.reason
    text = str(plan.check.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return text.replace("%%", "%") if dialect.paramstyle in ("format", "pyformat") else text
