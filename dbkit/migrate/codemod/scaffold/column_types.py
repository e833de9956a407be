"""The type decision of a field: its Python type, and ``sa_type`` only where dbkit would map it otherwise.

dbkit derives a column's SQL type from the field's Python type and Pydantic constraints through
its type registry. A scaffolded field says ``sa_type`` only when that derivation, checked by
compiling both types on PostgreSQL and SQLite, would not give the hand-written column's DDL.
"""

from __future__ import annotations

import decimal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field

from dbkit.errors import DbkitError
from dbkit.generate.options import DBColumn
from dbkit.generate.types import FieldContext, TypeRegistry, ValueType, converts_values, value_type
from dbkit.migrate.codemod.scaffold.code import Attribute, Call, Constant, Expr, Subscript
from dbkit.migrate.codemod.scaffold.facts import (
    ddl_type,
    declared_container_type,
    mutable_tracker,
    tracks_type_class,
)
from dbkit.migrate.codemod.scaffold.plan import FieldPlan, ModelPlan
from dbkit.migrate.codemod.scaffold.results import ScaffoldError, TableNotScaffoldedError
from dbkit.migrate.codemod.scaffold.values import ModuleWriter
from dbkit.naming import snake_case

#: ``problem(table, column, message)``: how the generator collects what it cannot express.
Report = Callable[[sa.Table, str | None, str], None]


def column_value_type(column: sa.Column[Any], mapped_class: type | None = None) -> ValueType:
    """What a column's values are in Python: its type's :func:`value_type`, refined for JSON by the
    mapped class (a ``Mutable`` tracker or the attribute's annotation says ``dict`` or ``list``)."""
    found = value_type(column.type)
    if found.python_type is Any and isinstance(found.storage, sa.JSON):
        container = declared_container_type(mapped_class, column)
        if container is not None:
            return ValueType(container, found.storage)
    return found


def field_constraints(column_type: sa.types.TypeEngine[Any], found_type: Any) -> dict[str, Any]:
    """Pydantic constraints the registry reads back into the type: ``max_length``, ``max_digits``...

    ``column_type`` is the type that stores the value (a pass-through decorator's ``impl``).
    """
    if found_type is str and isinstance(column_type, sa.String) and column_type.length:
        return {"max_length": column_type.length}
    if found_type is decimal.Decimal and isinstance(column_type, sa.Numeric):
        found = {}
        if column_type.precision is not None:
            found["max_digits"] = column_type.precision
        if column_type.scale is not None:
            found["decimal_places"] = column_type.scale
        return found
    return {}


class TypePlanner:
    """Fills in a field's type, Pydantic constraints and type options (``sa_type``, enum options)."""

    def __init__(self, registry: TypeRegistry, problem: Report) -> None:
        self.registry = registry
        self.problem = problem

    def plan(
        self,
        model: ModelPlan,
        column: sa.Column[Any],
        field: FieldPlan,
        writer: ModuleWriter,
        typed_by_target: bool,
    ) -> None:
        """A reference takes its type from its target; an Enum has options; others may need ``sa_type``."""
        column_type = column.type
        if typed_by_target:
            field.type = writer.annotation(column_value_type(column, model.source.mapped_class).python_type)
        elif isinstance(column_type, sa.Enum) and not column_type._variant_mapping:
            try:
                self.plan_enum(model, column, field, writer)
            except ScaffoldError as exc:  # the class cannot be written: its stored labels can
                enum_name = getattr(column_type.enum_class, "__qualname__", column_type.name)
                self.problem(
                    model.table,
                    column.name,
                    f"enum class {enum_name} cannot be defined in the generated "
                    f"module ({exc}): the field is typed as a Literal of the labels the database stores "
                    "(same DDL); define the class by hand if the application needs it.",
                )
                self.plan_enum(model, column, field, writer, as_class=False)
        else:
            self.plan_scalar(model, column, field, writer)

    def plan_scalar(
        self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan, writer: ModuleWriter
    ) -> None:
        """The values' Python type and constraints; ``sa_type`` only where the registry's type has other DDL.

        When ``sa_type`` is written as the decorator's storage type (the decorator cannot be
        imported), the field takes the storage type's values: that is what the generated model reads.
        """
        found = column_value_type(column, model.source.mapped_class)
        field.constraints = field_constraints(found.storage, found.python_type)
        converting = is_converting_decorator(column.type)
        matches = self.registry_type_matches(model, column, found.python_type, field.constraints, DBColumn())
        package = installed_package(type(column.type)) if matches and converting else None
        unwritable = self._checked(column.type, writer) if matches and converting and not package else None
        written: sa.types.TypeEngine[Any] | None = None
        if package is not None:  # the source ORM's helper: not imported when dbkit's type has its DDL
            reason = f"it comes from the installed package {package!r}, and dbkit's own type has the same DDL"
            self.problem(model.table, column.name, self._conversion_lost_message(column.type, found, reason))
        elif unwritable is not None and unwritable[0] is None:
            message = self._conversion_lost_message(column.type, found, unwritable[1])
            self.problem(model.table, column.name, message)
        elif not matches or converting:
            expr, written = self.written_type(model, column, column.type, writer)
            field.options["sa_type"] = expr
            if written is not column.type:
                found = value_type(written)
                field.constraints = field_constraints(found.storage, found.python_type)
        field.type = writer.annotation(found.python_type)
        self._report_unknown_type(model, column, found, field.type)
        self._keep_mutation_tracking(model, column, field, writer, written)

    def _keep_mutation_tracking(
        self,
        model: ModelPlan,
        column: sa.Column[Any],
        field: FieldPlan,
        writer: ModuleWriter,
        written: sa.types.TypeEngine[Any] | None,
    ) -> None:
        """``sa_type=MutableDict.as_mutable(<the type>)`` when the hand-written attribute tracks in-place
        changes (``obj.settings["k"] = v`` marks the row dirty); without it the generated class would
        silently stop saving such changes. A tracker that cannot be imported is reported instead.

        A tracker associated with the type's class (``Mutable.associate_with(JSONType)``) follows any
        column of that class: when ``sa_type`` writes (``written``) that class, the generated column has it."""
        tracker = mutable_tracker(model.source.mapped_class, column)
        if tracker is None:
            return
        if written is not None and tracks_type_class(written, tracker):
            return
        tracker_expr = writer.importable(tracker)
        if tracker_expr is None:
            self.problem(
                model.table,
                column.name,
                f"mutation tracking lost: {tracker.__qualname__} (defined in {tracker.__module__}) cannot be "
                "imported by the generated module, so in-place changes of the field (obj.data[key] = value) "
                "are no longer saved. Move the class to a module that stays and write "
                f"DBColumn(sa_type={tracker.__qualname__}.as_mutable(...)), or reassign the whole value.",
            )
            return
        package = installed_package(tracker)
        if package is not None:
            self.problem(
                model.table,
                column.name,
                f"sa_type imports the mutation tracker {tracker.__module__}.{tracker.__qualname__} from the "
                f"installed package {package!r}: the generated module keeps that dependency.",
            )
        storage = field.options.get("sa_type") or self.sa_type(model, column, column.type, writer)
        field.options["sa_type"] = Call(Attribute(tracker_expr, "as_mutable"), (storage,))

    @staticmethod
    def _conversion_lost_message(type_: sa.types.TypeEngine[Any], found: ValueType, reason: str) -> str:
        return (
            f"type {type_name(type_)} is not written ({reason}): the field is typed {getattr(found.python_type, '__name__', found.python_type)}, "
            "whose dbkit column type has the same DDL on PostgreSQL and SQLite. The decorator's bind/result "
            "processing is not carried over: check that the stored values read the same, or move the type "
            "to a module that stays and give it as DBColumn(sa_type=...)."
        )

    def _report_unknown_type(
        self, model: ModelPlan, column: sa.Column[Any], found: ValueType, annotation: Expr
    ) -> None:
        """``Any`` is written only with a reason in the report: the field validates nothing."""
        if found.python_type is Any:
            reason = found.reason or "nothing says what its values are"
        elif annotation.render() == "Any":
            reason = (
                f"its values are {getattr(found.python_type, '__qualname__', found.python_type)}, "
                f"defined in {getattr(found.python_type, '__module__', '?')}, which the generated module "
                "cannot import (DB_* files are deleted in Phase 3)"
            )
        else:
            return
        self.problem(
            model.table,
            column.name,
            f"typed as Any ({reason}): the field validates nothing; give it its type by hand.",
        )

    def plan_enum(
        self,
        model: ModelPlan,
        column: sa.Column[Any],
        field: FieldPlan,
        writer: ModuleWriter,
        *,
        as_class: bool = True,
    ) -> None:
        """An Enum class (or ``Literal``) with the options that make dbkit's Enum mapping give this type.

        ``as_class=False``: a ``Literal`` of the stored labels even when the type has an enum class.
        """
        column_type: sa.Enum = column.type  # type: ignore[assignment]
        enum_class = column_type.enum_class if as_class else None
        options: dict[str, Any] = {}
        candidate: dict[str, Any] = {}
        if not column_type.native_enum:
            options["native_enum"] = candidate["native_enum"] = False
        if enum_class is None:
            values = list(column_type.enums)
            found_type: Any = Literal[tuple(values)]
            field.type = Subscript(writer.typing("Literal"), tuple(Constant(value) for value in values))
            stem = model.name[: -len("Model")] if model.name.endswith("Model") else model.name
            default_name = f"{snake_case(stem)}_{column.name}"
        else:
            found_type = enum_class
            enum_name = writer.enum_class(enum_class)
            field.type = enum_name
            default_name = snake_case(enum_name.text)
            if _stored_by_value(column_type, enum_class):
                options["enum_by"] = candidate["enum_by"] = "value"
        if column_type.name != default_name:
            options["enum_name"] = column_type.name
        # The rendered class may be renamed (a nested ``Document.Visibility`` → ``DocumentVisibility``):
        # check with the name the generated model will give the type.
        candidate["enum_name"] = column_type.name
        if self.registry_type_matches(model, column, found_type, {}, DBColumn(**candidate)):
            field.options.update(options)
            return
        self.problem(
            model.table,
            column.name,
            f"enum type {column_type.name!r} has options dbkit's Enum mapping does not reproduce "
            "(length, create_constraint, schema or member storage): it is given as sa_type; check it.",
        )
        field.options["sa_type"] = self.sa_type(model, column, column_type, writer)

    def registry_type_matches(
        self,
        model: ModelPlan,
        column: sa.Column[Any],
        found_type: Any,
        constraints: dict[str, Any],
        options: DBColumn,
    ) -> bool:
        """Whether the type registry maps ``found_type`` to a type with the same DDL as ``column``'s."""
        if getattr(column.type, "_variant_mapping", None):
            return False  # the registry maps no Python type to per-dialect variants: sa_type keeps them
        info = Field(**constraints) if constraints else Field()
        ctx = FieldContext(model.name, column.name, found_type, info, options)
        try:
            generated = self.registry.column_type(ctx)
        except DbkitError:
            return False
        if ddl_type(generated) != ddl_type(column.type):
            return False
        if isinstance(column.type, sa.Enum):
            return isinstance(generated, sa.Enum) and list(generated.enums) == list(column.type.enums)
        return True

    def sa_type(
        self, model: ModelPlan, column: sa.Column[Any], type_: sa.types.TypeEngine[Any], writer: ModuleWriter
    ) -> Expr:
        """An ``sa_type`` value whose source, evaluated, builds ``type_``'s DDL (see :meth:`written_type`)."""
        return self.written_type(model, column, type_, writer)[0]

    def written_type(
        self, model: ModelPlan, column: sa.Column[Any], type_: sa.types.TypeEngine[Any], writer: ModuleWriter
    ) -> tuple[Expr, sa.types.TypeEngine[Any]]:
        """An ``sa_type`` value whose source, evaluated, builds ``type_``'s DDL on PostgreSQL and SQLite,
        and the type it writes (``type_`` or one of its storage types).

        A ``TypeDecorator`` that converts no value (it only chooses DDL, as SQLModel's ``AutoString``)
        is written as its storage type when that gives the same DDL: the generated module then
        imports nothing from the source ORM. An import of an installed package other than
        SQLAlchemy is reported: nothing else gave the same DDL.

        A type with no such source (not importable, or a ``TypeDecorator`` whose ``__init__`` takes
        other arguments than its attributes suggest) is written as its storage type (its ``impl``,
        checked the same way), reported: the decorator's Python-side processing is lost, never the
        table's DDL. With no checked source at all, :class:`TableNotScaffoldedError`: the table gets no model.
        """
        if isinstance(type_, sa.types.TypeDecorator) and not converts_values(type_):
            for storage in storage_types(type_):
                plain, _, _ = self._checked(storage, writer)
                if plain is not None:
                    return plain, storage
        expr, reason, unrenderable = self._checked(type_, writer)
        if expr is not None:
            self._report_installed_import(model, column, type_)
            return expr, type_
        tried = []
        for storage in storage_types(type_):
            fallback, storage_reason, _ = self._checked(storage, writer)
            if fallback is None:
                tried.append(f"nor does its storage type {storage!r} ({storage_reason})")
                continue
            self.problem(
                model.table,
                column.name,
                self._fallback_message(type_, storage, fallback, reason, unrenderable),
            )
            return fallback, storage
        raise TableNotScaffoldedError(
            f"column {column.name!r} has type {type_name(type_)}, and no source scaffold can write rebuilds it "
            f"({'; '.join([reason, *tried])})"
        )

    def _report_installed_import(
        self, model: ModelPlan, column: sa.Column[Any], type_: sa.types.TypeEngine[Any]
    ) -> None:
        """An ``sa_type`` from an installed package other than SQLAlchemy (the source ORM's helpers)."""
        package = installed_package(type(type_))
        if package is None:
            return
        self.problem(
            model.table,
            column.name,
            f"sa_type imports {type_name(type_)} from the installed package {package!r}: no SQLAlchemy "
            "type gives the same DDL, or the type converts values; the generated module keeps that dependency.",
        )

    def _checked(
        self, type_: sa.types.TypeEngine[Any], writer: ModuleWriter
    ) -> tuple[Expr | None, str, bool]:
        """``type_``'s expression when it evaluates to the same DDL; else None, why, and whether it had
        no source at all (as opposed to a source that does not rebuild it)."""
        try:
            expr = writer.type_object(type_)
        except ScaffoldError as exc:
            return None, str(exc), True
        except Exception as exc:  # a constructor's signature or attributes scaffold cannot read
            return None, f"reading its constructor arguments failed: {type(exc).__name__}: {exc}", True
        mismatch = writer.type_mismatch(expr, type_)
        if mismatch is not None:
            return None, mismatch, False
        return expr, "", False

    @staticmethod
    def _fallback_message(
        type_: sa.types.TypeEngine[Any],
        storage: sa.types.TypeEngine[Any],
        written: Expr,
        reason: str,
        unrenderable: bool,
    ) -> str:
        if unrenderable:
            return (
                f"type {type(type_).__name__} cannot be imported ({reason}; DB_* files are deleted in Phase 3): "
                f"scaffolded as its storage type {storage!r} (same DDL, no Python-side conversion). "
                "Move the type to a module that stays and give it as DBColumn(sa_type=...)."
            )
        return (
            f"type {type_name(type_)} is written as its storage type {written.render()} (same DDL on "
            f"PostgreSQL and SQLite): the constructor call scaffold can write does not rebuild it "
            f"({reason}). The decorator's Python-side behaviour (bind/result processing) is not carried "
            "over: if the application relies on it, give the type as DBColumn(sa_type=...) by hand."
        )


def storage_types(type_: sa.types.TypeEngine[Any]) -> list[sa.types.TypeEngine[Any]]:
    """What a ``TypeDecorator`` stores, outermost first: its ``impl``, that one's if a decorator too..."""
    found: list[sa.types.TypeEngine[Any]] = []
    while isinstance(type_, sa.types.TypeDecorator):
        storage = getattr(type_, "impl_instance", None) or getattr(type_, "impl", None)
        if not isinstance(storage, sa.types.TypeEngine) or storage is type_:
            break
        found.append(storage)
        type_ = storage
    return found


def is_converting_decorator(type_: sa.types.TypeEngine[Any]) -> bool:
    """A ``TypeDecorator`` of the application's or a library's that converts values on their way.

    SQLAlchemy's own (``Interval``, ``PickleType``) are types like any other: the registry maps
    Python types to them directly.
    """
    return (
        isinstance(type_, sa.types.TypeDecorator)
        and not type(type_).__module__.startswith("sqlalchemy.")
        and converts_values(type_)
    )


def installed_package(cls: type) -> str | None:
    """The top-level package of ``cls`` when it is installed (site-packages) and not SQLAlchemy or dbkit."""
    top = cls.__module__.split(".", 1)[0]
    if top in ("sqlalchemy", "dbkit", "builtins"):
        return None
    module = sys.modules.get(top)
    location = getattr(module, "__file__", None) or ""
    parts = Path(location).parts
    return top if "site-packages" in parts or "dist-packages" in parts else None


def type_name(type_: sa.types.TypeEngine[Any]) -> str:
    """``zenml.zen_stores.schemas.utils.UTCDateTime``: a type by its class (its repr may not rebuild it)."""
    cls = type(type_)
    return f"{cls.__module__}.{cls.__qualname__}"


def _stored_by_value(column_type: sa.Enum, enum_class: type[Any]) -> bool:
    """Whether the database stores the members' values (``values_callable``), not their names."""
    enums = list(column_type.enums)
    return enums == [str(member.value) for member in enum_class] and enums != [
        member.name for member in enum_class
    ]
