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
from sqlalchemy.dialects import sqlite

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


# -- the other direction: the Python type a column's values have --------------------------------------
@dataclass(frozen=True)
class ValueType:
    """The Python type a column's values have when read, and the type that says so.

    ``storage`` is the SQLAlchemy type whose length/precision are the value's constraints (a
    ``TypeDecorator``'s ``impl`` when the decorator passes values through). ``python_type`` is
    ``Any`` only when nothing says what the values are; ``reason`` then says why.
    """

    python_type: Any
    storage: sa.types.TypeEngine[Any]
    reason: str | None = None


#: Stored values a decorator's ``process_result_value`` is tried with, by its storage type's Python type.
_PROBES: dict[Any, tuple[Any, ...]] = {
    str: ("{}", "[]", "0123456789abcdef0123456789abcdef", "00000000-0000-0000-0000-000000000000", "0", "x"),
    bytes: (b"0123456789abcdef", b"{}"),
    int: (0, 1),
    float: (0.0,),
    decimal.Decimal: (decimal.Decimal(0),),
    bool: (False,),
    dt.datetime: (dt.datetime(2000, 1, 1), dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
    dt.date: (dt.date(2000, 1, 1),),
    dt.time: (dt.time(0, 0),),
    dt.timedelta: (dt.timedelta(0),),
    uuid.UUID: (uuid.UUID(int=0),),
}


def value_type(type_: sa.types.TypeEngine[Any]) -> ValueType:
    """The Python type of the values a column of ``type_`` holds (the inverse of the registry).

    A ``TypeDecorator`` says it through its own ``python_type``, else the return annotation of
    its ``process_result_value``, else (when it converts stored values) what that method returns
    for a sample stored value; a decorator that converts nothing is its ``impl``. ``Uuid(as_uuid=False)``
    holds ``str``. JSON holds any JSON value, so its type is ``Any`` with a reason (the mapped
    class's annotation, when there is one, says more: the caller's job).
    """
    if isinstance(type_, sa.types.TypeDecorator):
        return _decorator_value_type(type_)
    if isinstance(type_, sa.Uuid):
        return ValueType(uuid.UUID if type_.as_uuid else str, type_)
    if isinstance(type_, sa.JSON):
        return ValueType(Any, type_, "a JSON column holds any JSON value (object, array or scalar)")
    found = type_.python_type
    if found is object:
        return ValueType(Any, type_, f"SQLAlchemy's {type(type_).__name__} does not say its Python type")
    return ValueType(found, type_)


def _decorator_value_type(type_: sa.types.TypeDecorator[Any]) -> ValueType:
    cls = type(type_)
    declared = _own_python_type(type_)
    if declared is not None:
        return ValueType(declared, type_)
    if not _converts(type_, ("process_result_value", "result_processor")):
        storage = getattr(type_, "impl_instance", None)
        if isinstance(storage, sa.types.TypeEngine) and storage is not type_:
            return value_type(storage)
        return ValueType(Any, type_, f"{cls.__name__} has no storage type")
    annotated = _result_annotation(cls)
    if annotated is not None:
        return ValueType(annotated, type_)
    probed = _probed_result_type(type_)
    if probed is not None:
        return ValueType(probed, type_)
    return ValueType(
        Any,
        type_,
        f"{cls.__name__} converts stored values in process_result_value and says neither python_type "
        "nor a return annotation: give the decorator a python_type property, or the field its type by hand",
    )


def converts_values(type_: sa.types.TypeDecorator[Any]) -> bool:
    """Whether a decorator changes values on their way to or from the database (not only the DDL)."""
    return _converts(
        type_,
        (
            "process_bind_param",
            "process_literal_param",
            "bind_processor",
            "process_result_value",
            "result_processor",
        ),
    )


def _converts(type_: sa.types.TypeDecorator[Any], methods: tuple[str, ...]) -> bool:
    cls = type(type_)
    return any(getattr(cls, name) is not getattr(sa.types.TypeDecorator, name) for name in methods)


def _own_python_type(type_: sa.types.TypeDecorator[Any]) -> Any:
    """The decorator's own ``python_type`` (not the ``impl``'s, which ``__getattr__`` would proxy)."""
    for klass in type(type_).__mro__:
        if klass is sa.types.TypeDecorator:
            return None
        if "python_type" in klass.__dict__:
            try:
                found = type_.python_type
            except Exception:
                return None
            return None if found is object else found
    return None


def _result_annotation(cls: type) -> Any:
    """``X`` of ``process_result_value(...) -> X | None`` when ``X`` is a class."""
    try:
        hints = typing.get_type_hints(cls.process_result_value)
    except Exception:
        return None
    found, _ = unwrap_optional(hints.get("return", Any))
    return found if isinstance(found, type) and found not in (object, Any) else None


def _probed_result_type(type_: sa.types.TypeDecorator[Any]) -> Any:
    """The type ``process_result_value`` returns for the first sample stored value it accepts."""
    storage = getattr(type_, "impl_instance", None)
    try:
        stored_type = value_type(storage).python_type if storage is not None else Any
    except Exception:
        return None
    dialect = sqlite.dialect()
    for sample in _PROBES.get(stored_type, ()):
        try:
            result = type_.process_result_value(sample, dialect)
        except Exception:
            continue
        if result is not None:
            return type(result)
    return None
