"""Facts about SQLAlchemy objects the scaffold generator reads (DDL spellings, names, defaults)."""

from __future__ import annotations

import copy
import functools
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

import inflection  # the inflector dbkit's own table names use
import sqlalchemy as sa
from pydantic import create_model
from sqlalchemy.orm import RelationshipDirection
from sqlalchemy.sql import naming as sa_naming
from sqlalchemy.sql.base import _NONE_NAME
from sqlalchemy.sql.elements import conv

from dbkit.generate.database_mixin import DatabaseMixin
from dbkit.generate.types import unwrap_optional, value_type
from dbkit.generate.variants import derive_reference_id
from dbkit.manager import DatabaseManager
from dbkit.migrate.codemod.scaffold.constants import _MISSING, BACKREF_INHERITED, DDL_DIALECTS
from dbkit.naming import naming_convention, reference_field_for

# -- facts about SQLAlchemy objects ------------------------------------------------------------------


def ddl_type(type_: sa.types.TypeEngine[Any]) -> tuple[str, ...]:
    """A column type as the DDL of each dialect in :data:`DDL_DIALECTS` spells it."""
    spelled = []
    for dialect in DDL_DIALECTS:
        try:
            spelled.append(type_.compile(dialect=dialect))
        except sa.exc.CompileError as exc:
            spelled.append(f"<cannot compile: {exc}>")
    return tuple(spelled)


def sql_text(expression: Any, dialect: sa.Dialect | None = None) -> str:
    """An SQL expression as ``dialect``'s DDL (PostgreSQL's by default) spells it, bound values inlined."""
    if isinstance(expression, str):
        return expression
    compiled = expression.compile(
        dialect=dialect or DDL_DIALECTS[0], compile_kwargs={"literal_binds": True, "include_table": False}
    )
    return str(compiled)


@functools.cache
def named_dialect(name: str) -> sa.Dialect | None:
    """The dialect ``<name>_...`` keyword arguments belong to; None when it is not installed."""
    try:
        return sa.engine.make_url(f"{name}://").get_dialect()()  # type: ignore[no-any-return]
    except Exception:
        return None


def server_default_sql(column: sa.Column[Any]) -> str | None:
    """A server default as DDL spells it, to compare columns; ``<Kind>`` for one without a value."""
    default = column.server_default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if arg is None:
        return f"<{type(default).__name__}>"
    return sql_text(arg) if not isinstance(arg, str) else repr(arg)


def resolved_name(constraint: Any) -> str | None:
    """The name the DDL gives a constraint or index, after the Base's naming convention; None: the database's."""
    name = constraint.name
    if name is None:
        return None
    if name is _NONE_NAME:
        name = sa_naming._constraint_name_for_table(constraint, constraint.table)
    return None if name is None else str(name)


def is_explicit_name(constraint: Any) -> bool:
    """True when the author wrote the name (a naming convention's result is a ``conv``)."""
    return isinstance(constraint.name, str) and not isinstance(constraint.name, conv)


_CONVENTION_KEYS = {
    sa.UniqueConstraint: "dbkit_uq",
    sa.ForeignKeyConstraint: "dbkit_fk",
    sa.PrimaryKeyConstraint: "dbkit_pk",
    sa.CheckConstraint: "dbkit_ck",
    sa.Index: "dbkit_ix",
}


def dbkit_name(constraint: Any, table: sa.Table) -> str:
    """The name dbkit's naming convention gives an unnamed constraint or index like ``constraint``."""
    key = next(key for kind, key in _CONVENTION_KEYS.items() if isinstance(constraint, kind))
    return naming_convention()[key](constraint, table)


def name_to_render(constraint: Any, table: sa.Table) -> str | None:
    """The name the scaffolded constraint must spell out; None where dbkit's convention gives the same."""
    name = resolved_name(constraint)
    if name is None:
        return None
    if is_explicit_name(constraint) or name != dbkit_name(constraint, table):
        return name
    return None


def original_callable(default: Any) -> Any:
    """The function a ``Column(default=fn)`` was given (SQLAlchemy wraps it to accept a context)."""
    arg = default.arg
    return getattr(arg, "__wrapped__", arg)


def python_default_kind(default: Any) -> tuple[str, Any]:
    """``("none"|"scalar"|"callable"|"clause"|other, value)`` of a column's Python-side default."""
    if default is None:
        return ("none", None)
    if getattr(default, "is_sequence", False):
        return ("sequence", default.name)
    if default.is_callable:
        return ("callable", None)
    if default.is_clause_element:
        return ("clause", sql_text(default.arg))
    if default.is_scalar:
        return ("scalar", default.arg)
    return (type(default).__name__, None)


def column_signature(column: sa.Column[Any]) -> tuple[Any, ...]:
    """What "the same column" means for choosing mixins: DDL facts plus the kinds of Python defaults."""
    foreign_keys = sorted(
        (
            fk.target_fullname,
            fk.ondelete,
            fk.onupdate,
            resolved_name(fk.constraint) if fk.constraint else None,
        )
        for fk in column.foreign_keys
    )
    default_kind = python_default_kind(column.default)[0]
    onupdate = python_default_kind(column.onupdate)
    return (
        column.name,
        ddl_type(column.type),
        value_type(column.type).python_type,  # a uuid.UUID key is not the mixin's str id
        column.nullable,
        column.primary_key,
        server_default_sql(column),
        column.comment,
        tuple(foreign_keys),
        repr(column.identity) if column.identity is not None else None,
        sql_text(column.computed.sqltext) if column.computed is not None else None,
        default_kind,
        onupdate,
    )


@functools.cache
def mixin_columns_table() -> sa.Table:
    """The table dbkit generates for a model with no fields: the mixins' own column definitions."""

    class ScaffoldProbeModel(DatabaseMixin):
        table_name: ClassVar[str] = "dbkit_scaffold_probe"

    return ScaffoldProbeModel.db_for(DatabaseManager("sqlite://")).__table__  # type: ignore[attr-defined]


@functools.cache
def reference_description(model_name: str) -> str:
    """The description (hence column comment) ``<model_name>.ReferenceID`` gives its field."""
    stand_in = create_model(model_name)
    variant = derive_reference_id(stand_in)
    return variant.model_fields[reference_field_for(model_name)].description or ""


def model_name_for(table: sa.Table, mapped_class: type | None) -> str:
    """``User`` → ``UserModel``; a Core table ``document_tags`` → ``DocumentTagModel``."""
    if mapped_class is not None:
        return f"{mapped_class.__name__}Model"
    words = table.name.split("_")
    words[-1] = inflection.singularize(words[-1])
    return "".join(word[:1].upper() + word[1:] for word in words if word) + "Model"


def attribute_name(mapped_class: type | None, column: sa.Column[Any]) -> str:
    """The mapped class's attribute for ``column`` (it may differ from the column's name)."""
    if mapped_class is None:
        return column.key
    try:
        return sa.inspect(mapped_class).get_property_by_column(column).key
    except Exception:  # an unmapped column, or mappers that cannot configure
        return column.key


# -- what can be said on a column itself ----------------------------------------------------------


@dataclass
class ColumnLevel:
    """The unique constraint, index and foreign key a field can declare itself (``unique=True``...)."""

    unique: sa.UniqueConstraint | None = None
    index: sa.Index | None = None
    foreign_key: sa.ForeignKeyConstraint | None = None

    def items(self) -> list[Any]:
        return [item for item in (self.unique, self.index, self.foreign_key) if item is not None]

    @property
    def only_foreign_key(self) -> bool:
        return self.foreign_key is not None and self.unique is None and self.index is None


def column_level_items(table: sa.Table) -> dict[str, ColumnLevel]:
    """Column name → the unnamed single-column unique constraint, plain index and foreign key it has."""
    found: dict[str, ColumnLevel] = {}
    for constraint in table.constraints:
        if _is_column_unique(constraint, table):
            level = found.setdefault(constraint.columns[0].name, ColumnLevel())
            if level.unique is None:
                level.unique = constraint
        if _is_column_foreign_key(constraint):
            level = found.setdefault(constraint.elements[0].parent.name, ColumnLevel())
            if level.foreign_key is None:
                level.foreign_key = constraint
    for index in sorted(table.indexes, key=lambda i: str(resolved_name(i))):
        column = _column_index_column(index, table)
        if column is not None and (column not in found or found[column].unique is None):
            level = found.setdefault(column, ColumnLevel())
            if level.index is None:
                level.index = index
    return found


def _is_column_unique(constraint: Any, table: sa.Table) -> bool:
    """``unique=True`` says it: one column, no name of its own, no options."""
    return (
        isinstance(constraint, sa.UniqueConstraint)
        and len(constraint.columns) == 1
        and name_to_render(constraint, table) is None
        and not constraint.dialect_kwargs
        and not (constraint.deferrable or constraint.initially)
    )


def _is_column_foreign_key(constraint: Any) -> bool:
    """``references``/``foreign_key`` says it: one column, none of the options DBColumn lacks."""
    return (
        isinstance(constraint, sa.ForeignKeyConstraint)
        and len(constraint.elements) == 1
        and not (constraint.deferrable or constraint.initially or constraint.match or constraint.use_alter)
    )


def _column_index_column(index: sa.Index, table: sa.Table) -> str | None:
    """The column ``index=True`` declares ``index`` on: a plain index of one column, named by convention."""
    columns = [e.name if isinstance(e, sa.Column) else None for e in index.expressions]
    if (
        len(columns) == 1
        and columns[0] is not None
        and not index.unique
        and not index.dialect_kwargs
        and name_to_render(index, table) is None
    ):
        return columns[0]
    return None


# -- relationships of the hand-written class ------------------------------------------------------


@dataclass(frozen=True)
class RelationshipInfo:
    """A many-to-one relationship of the hand-written class over one foreign-key column."""

    name: str
    backref: str | None
    backref_options: tuple[str, ...] = ()


def relationships_of(mapped_class: type) -> list[Any]:
    """The class's relationships; none when its mappers cannot configure."""
    try:
        return list(sa.inspect(mapped_class).relationships)
    except Exception:
        return []


def relationship_info(rel: Any) -> RelationshipInfo:
    """Name, backref name and the backref options the author asked for (not those SQLAlchemy copied)."""
    backref = rel.backref
    options: tuple[str, ...] = ()
    if isinstance(backref, tuple):
        backref, kwargs = backref
        options = tuple(
            sorted(
                k
                for k, v in kwargs.items()
                if not (k in BACKREF_INHERITED and getattr(rel, k, _MISSING) == v)
            )
        )
    name = backref or rel.back_populates
    if name is None:
        reverse = sorted(r.key for r in getattr(rel, "_reverse_property", ()))
        name = reverse[0] if reverse else None
    return RelationshipInfo(rel.key, name, options)


def many_to_one_relationships(table: sa.Table, mapped_class: type | None) -> dict[str, RelationshipInfo]:
    """Column name → the many-to-one relationship the hand-written class has over that one column."""
    if mapped_class is None:
        return {}
    found: dict[str, RelationshipInfo] = {}
    for rel in relationships_of(mapped_class):
        if rel.direction is not RelationshipDirection.MANYTOONE or rel.secondary is not None:
            continue
        local = [column for column in rel.local_columns if column.table is table]
        if len(local) != 1 or local[0].name in found:
            continue
        found[local[0].name] = relationship_info(rel)
    return found


# -- what the mapped class says about a column's values ---------------------------------------------
def declared_container_type(mapped_class: type | None, column: sa.Column[Any]) -> type | None:
    """``dict``/``list``/``set`` when the mapped class says a column holds one (a JSON column's values).

    Read from a ``Mutable`` tracker (``MutableDict.as_mutable(JSON)``), else the attribute's
    annotation (``Mapped[dict[str, Any]]``, a SQLModel field's ``dict``); None when neither says.
    """
    if mapped_class is None:
        return None
    attribute = attribute_name(mapped_class, column)
    tracker = mutable_tracker(mapped_class, column)
    container = next((kind for kind in _CONTAINERS if tracker and issubclass(tracker, kind)), None)
    return container or _annotated_container(mapped_class, attribute)


_CONTAINERS = (dict, list, set)


def mutable_tracker(mapped_class: type | None, column: sa.Column[Any]) -> type | None:
    """The ``Mutable`` class (``MutableDict``...) that tracks in-place changes of ``column``'s attribute.

    ``Mutable.as_mutable`` attaches it to the mapped class as a load listener when mappers are
    configured; the listener's closure names the attribute and the class. None when there is none.
    """
    from sqlalchemy.ext.mutable import Mutable

    if mapped_class is None:
        return None
    attribute = attribute_name(mapped_class, column)
    try:
        mapper = sa.inspect(mapped_class)
        mapper.registry.configure()  # the trackers are attached when mappers are configured
        listeners = list(mapper.class_manager.dispatch.load)
    except Exception:
        return None
    for listener in listeners:
        cells = [cell.cell_contents for cell in getattr(listener, "__closure__", None) or ()]
        if attribute not in cells:
            continue
        for cell in cells:
            if isinstance(cell, type) and issubclass(cell, Mutable):
                return cell
    return None


def tracks_type_class(type_: sa.types.TypeEngine[Any], tracker: type) -> bool:
    """Whether ``tracker`` follows every column of ``type_``'s class (``Mutable.associate_with``), not
    only the one type object ``as_mutable`` returned: a probe class mapped on a copy of ``type_`` says."""
    try:
        registry = sa.orm.registry()
        probe_type = copy.copy(type_)
        table = sa.Table(
            "dbkit_mutable_probe",
            registry.metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("value", probe_type),
        )
        probe = type("MutableProbe", (), {})
        registry.map_imperatively(probe, table)
        return mutable_tracker(probe, table.c.value) is tracker
    except Exception:  # a type that cannot be copied or mapped: assume the tracker is not carried
        return False


def _annotated_container(mapped_class: type, attribute: str) -> type | None:
    """``dict`` of ``data: Mapped[dict[str, Any]]`` or a SQLModel field ``data: dict = Field(...)``."""
    fields = getattr(mapped_class, "model_fields", None)
    if isinstance(fields, dict) and attribute in fields:
        annotation = fields[attribute].annotation
    else:
        try:
            annotation = typing.get_type_hints(mapped_class).get(attribute)
        except Exception:
            return None
    if typing.get_origin(annotation) is sa.orm.Mapped:
        annotation = typing.get_args(annotation)[0]
    annotation, _ = unwrap_optional(annotation)
    kind = typing.get_origin(annotation) or annotation
    return kind if kind in _CONTAINERS else None
