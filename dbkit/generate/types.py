"""The one registry mapping Python field types to SQLAlchemy column types.

Extend it for your own types::

    from dbkit import type_registry
    type_registry.register(IPv4Address, lambda ctx: sqlalchemy.String(15))

Every type is dialect-neutral (``Uuid``, ``JSON``, ``Enum``...), so the same model gives the
same schema on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dbkit.errors import UnsupportedFieldTypeError
from dbkit.generate.options import DBColumn
from dbkit.naming import model_stem, snake_case


@dataclass
class FieldContext:
    """What a type factory may look at: the field's type, its Pydantic constraints and options."""

    model_name: str
    field_name: str
    python_type: Any
    field: FieldInfo
    options: DBColumn
    #: ``Annotated`` metadata found while unwrapping ``python_type``.
    extra_metadata: list[Any] = field(default_factory=list)

    def constraint(self, name: str) -> Any:
        """A Pydantic constraint such as ``max_length`` or ``max_digits`` (None when absent)."""
        for item in [*self.field.metadata, *self.extra_metadata]:
            value = getattr(item, name, None)
            if value is not None:
                return value
        return None


TypeFactory = Callable[[FieldContext], "sa.types.TypeEngine[Any]"]


def unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``Optional[X]`` / ``X | None`` → ``(X, True)``; anything else → ``(annotation, False)``."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) < len(get_args(annotation)):
            inner = args[0] if len(args) == 1 else Union[tuple(args)]
            return inner, True
    return annotation, False


def unwrap_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while get_origin(annotation) is Annotated:
        annotation, *more = get_args(annotation)
        metadata.extend(more)
    return annotation, metadata


class TypeRegistry:
    """Python type → column type factory, looked up exactly, then by subclass, then by shape."""

    def __init__(self) -> None:
        self._factories: dict[Any, TypeFactory] = {}

    def register(self, python_type: Any, factory: TypeFactory) -> None:
        """Map ``python_type`` (and its subclasses) to ``factory(ctx) -> TypeEngine``."""
        self._factories[python_type] = factory

    def copy(self) -> TypeRegistry:
        clone = TypeRegistry()
        clone._factories = dict(self._factories)
        return clone

    def find_factory(self, python_type: Any) -> TypeFactory | None:
        origin = get_origin(python_type)
        if origin is Literal:
            return self._factories.get(Literal)
        lookup = origin if origin is not None else python_type
        if lookup in self._factories:
            return self._factories[lookup]
        if isinstance(lookup, type):
            if issubclass(lookup, enum.Enum) and enum.Enum in self._factories:
                return self._factories[enum.Enum]  # an IntEnum is an Enum first, not an int
            for klass in lookup.__mro__[1:]:
                if klass in self._factories:
                    return self._factories[klass]
        return None

    def column_type(self, ctx: FieldContext) -> sa.types.TypeEngine[Any]:
        """The column type for ``ctx``; raises :class:`UnsupportedFieldTypeError` naming the field."""
        if ctx.options.sa_type is not None:
            sa_type = ctx.options.sa_type
            return sa_type() if isinstance(sa_type, type) else sa_type
        python_type, metadata = unwrap_annotated(ctx.python_type)
        ctx.extra_metadata.extend(metadata)
        ctx.python_type = python_type
        factory = self.find_factory(python_type)
        if factory is None:
            raise UnsupportedFieldTypeError(
                f"{ctx.model_name}.{ctx.field_name}: no column type for {_type_label(python_type)}. "
                f"Register one with dbkit.type_registry.register({_type_label(python_type)}, "
                "lambda ctx: sqlalchemy.String()), or give the field "
                "Annotated[..., DBColumn(sa_type=...)]."
            )
        return factory(ctx)


def _type_label(python_type: Any) -> str:
    return getattr(python_type, "__name__", None) or repr(python_type)


def _string(ctx: FieldContext) -> sa.types.TypeEngine[Any]:
    length = ctx.constraint("max_length")
    return sa.String(length) if length else sa.String()


def _numeric(ctx: FieldContext) -> sa.types.TypeEngine[Any]:
    return sa.Numeric(ctx.constraint("max_digits"), ctx.constraint("decimal_places"))


def _enum(ctx: FieldContext) -> sa.types.TypeEngine[Any]:
    enum_class = ctx.python_type
    options = ctx.options
    values_callable = (
        (lambda members: [str(m.value) for m in members]) if options.enum_by == "value" else None
    )
    return sa.Enum(
        enum_class,
        name=options.enum_name or snake_case(enum_class.__name__),
        values_callable=values_callable,
        native_enum=options.native_enum,
        validate_strings=True,
    )


def _literal(ctx: FieldContext) -> sa.types.TypeEngine[Any]:
    values = get_args(ctx.python_type)
    if not all(isinstance(value, str) for value in values):
        raise UnsupportedFieldTypeError(
            f"{ctx.model_name}.{ctx.field_name}: Literal{list(values)} mixes non-string values; "
            "only Literal[str, ...] maps to a database enum. Use an Enum class or DBColumn(sa_type=...)."
        )
    name = ctx.options.enum_name or f"{snake_case(model_stem(ctx.model_name))}_{ctx.field_name}"
    return sa.Enum(*values, name=name, native_enum=ctx.options.native_enum, validate_strings=True)


def _build_default_registry() -> TypeRegistry:
    registry = TypeRegistry()
    simple: dict[Any, Callable[[], sa.types.TypeEngine[Any]]] = {
        bool: sa.Boolean,  # before int: bool is a subclass of int
        int: sa.Integer,
        float: sa.Float,
        dt.datetime: lambda: sa.DateTime(timezone=True),
        dt.date: sa.Date,
        dt.time: sa.Time,
        dt.timedelta: sa.Interval,
        uuid.UUID: lambda: sa.Uuid(as_uuid=True),
        bytes: sa.LargeBinary,
        dict: sa.JSON,
        list: sa.JSON,
        tuple: sa.JSON,
        set: sa.JSON,
        typing.Any: sa.JSON,
        BaseModel: sa.JSON,
    }
    for python_type, make in simple.items():
        registry.register(python_type, lambda _ctx, make=make: make())
    registry.register(str, _string)
    registry.register(decimal.Decimal, _numeric)
    registry.register(enum.Enum, _enum)
    registry.register(Literal, _literal)
    return registry


#: The registry every generated model uses unless a ModelRegistry is given its own.
type_registry = _build_default_registry()
