"""The change types: one frozen dataclass per operation, each with its risk, and the JSON contract.

A change is one instance of a subclass of :class:`Change` (``AddColumn``, ``AlterColumn``...), in
the spirit of Alembic's operation classes: typed fields, no string-keyed ``detail`` to read.
Every change has ``table`` and ``column`` (``None`` where they do not apply) and ``risk``
(computed by the class from its own fields; see :mod:`dbkit.migrate.diff.risk`).

``Change.to_json()`` is what ``dbkit diff --json`` writes, and :meth:`Change.from_json` reads it
back: ``{"op", "table", "column", "risk", "detail"}``, with ``detail`` keyed by op:

====================  ====================================================================
op (class)            detail
====================  ====================================================================
add_table             ``new``: the table (``TableSnapshot.to_dict()``)
drop_table            ``old``: the table
rename_table          ``old``/``new``: table names (``table`` is the new name)
add_column            ``new``: the column (``ColumnSnapshot.to_dict()``)
drop_column           ``old``: the column
rename_column         ``old``/``new``: column names (``column`` is the new name)
rename_constraint     ``kind``, ``old``/``new`` (names), then the renamed object's definition
                      (its dict without ``name``)
alter_column          one key per changed attribute, each ``{"old", "new"}``: ``type`` (type
                      dicts), ``nullable``, ``server_default``, ``comment``, ``identity``,
                      ``computed``
alter_primary_key     ``old``/``new``: ``{"name", "columns"}`` or ``None``
add_/drop_index,      ``new`` / ``old``: the constraint or index as a dict (``name``,
add_/drop_unique,     ``columns``, and ``unique``, ``sqltext``, ``referred_table``,
add_/drop_check,      ``referred_columns``, ``ondelete``, ``onupdate`` as the kind has)
add_/drop_foreign_key
add_/drop_enum_value  ``value``, ``members`` (the type's values right after the step), ``enum``
                      (type name), ``old``/``new`` (all values) and ``columns`` (``table.column``
                      using it). A native enum's change has ``table``/``column`` ``None``; a
                      non-native one names its column.
alter_table_comment   ``old``/``new``: the comments
====================  ====================================================================

The classes hold snapshot objects (:class:`~dbkit.migrate.schema.snapshot.ColumnSnapshot`,
:class:`~dbkit.migrate.schema.snapshot.TypeSpec`...) and tuples; ``to_json`` turns them into the
dicts and lists above, in the key order shown. Building a change does no conversion (slots, no
validation): a diff pays for JSON only when something asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from dbkit.migrate.diff.risk import Risk, is_widening, needs_backfill
from dbkit.migrate.schema.snapshot import (
    CheckSnapshot,
    ColumnSnapshot,
    ComputedSnapshot,
    ForeignKeySnapshot,
    IdentitySnapshot,
    IndexSnapshot,
    PrimaryKeySnapshot,
    TableSnapshot,
    TypeSpec,
    UniqueSnapshot,
    as_plain_dict,
)

T = TypeVar("T")


class Op(StrEnum):
    ADD_TABLE = "add_table"
    DROP_TABLE = "drop_table"
    RENAME_TABLE = "rename_table"
    ADD_COLUMN = "add_column"
    DROP_COLUMN = "drop_column"
    RENAME_COLUMN = "rename_column"
    RENAME_CONSTRAINT = "rename_constraint"
    ALTER_COLUMN = "alter_column"
    ALTER_PRIMARY_KEY = "alter_primary_key"
    ADD_INDEX = "add_index"
    DROP_INDEX = "drop_index"
    ADD_UNIQUE = "add_unique"
    DROP_UNIQUE = "drop_unique"
    ADD_CHECK = "add_check"
    DROP_CHECK = "drop_check"
    ADD_FOREIGN_KEY = "add_foreign_key"
    DROP_FOREIGN_KEY = "drop_foreign_key"
    ADD_ENUM_VALUE = "add_enum_value"
    DROP_ENUM_VALUE = "drop_enum_value"
    ALTER_TABLE_COMMENT = "alter_table_comment"


class UnknownChangeError(ValueError):
    """A change document names an op no change type has."""


# -- JSON values -----------------------------------------------------------------------------------
def json_value(value: Any) -> Any:
    """The JSON form of a value a change holds: a snapshot object as its dict, a tuple as a list."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, tuple):
        return list(value)
    to_dict = getattr(value, "to_dict", None)  # TypeSpec, ColumnSnapshot, TableSnapshot
    return to_dict() if to_dict is not None else as_plain_dict(value)


def _from_json_value(kind: type[T], data: Mapping[str, Any]) -> T:
    """A snapshot object of ``kind`` from its JSON dict (lists become tuples)."""
    from_dict = getattr(kind, "from_dict", None)
    if from_dict is not None:
        return from_dict(data)  # type: ignore[no-any-return]
    return kind(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})


def _optional(kind: type[T], data: Mapping[str, Any] | None) -> T | None:
    return _from_json_value(kind, data) if data else None


@dataclass(frozen=True, slots=True)
class Pair(Generic[T]):
    """One attribute's value before (``old``) and after (``new``) a change."""

    old: T
    new: T

    def to_json(self) -> dict[str, Any]:
        return {"old": json_value(self.old), "new": json_value(self.new)}


# -- the base class ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One schema change (abstract: every op has its own class, see :data:`CHANGE_TYPES`).

    ``to_json()`` is the ``dbkit diff --json`` contract; ``risk`` is computed from the fields.
    """

    #: The operation, one per class: an :class:`Op`, or the name of a plug-in's own op (a change
    #: type registered with :func:`register_change_type`).
    op: ClassVar[str]
    #: The risk of every change of this class, unless :meth:`_classify` looks at the fields.
    base_risk: ClassVar[Risk] = Risk.SAFE

    table: str | None
    column: str | None = None
    risk: Risk = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "risk", self._classify())

    def _classify(self) -> Risk:
        return self.base_risk

    # -- JSON ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "op": str(self.op),
            "table": self.table,
            "column": self.column,
            "risk": str(self.risk),
            "detail": self._detail(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        """The change ``to_json()`` wrote (``Change.from_json`` reads any op; a subclass only its own)."""
        change_type = change_type_for(data.get("op"))
        if not issubclass(change_type, cls):
            raise UnknownChangeError(f"{cls.__name__}.from_json cannot read a {change_type.op} change.")
        change = change_type._from_detail(data["table"], data.get("column"), data["detail"])
        risk = Risk(data["risk"])
        if risk != change.risk:  # written under other rules: keep what the document says
            object.__setattr__(change, "risk", risk)
        return change

    def _detail(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        raise NotImplementedError

    @property
    def detail(self) -> dict[str, Any]:
        """The JSON ``detail`` of this change (a new dict each time; for code written against the
        dict-shaped changes: dbkit itself reads the typed fields)."""
        return self._detail()

    # -- what reports show ----------------------------------------------------------------------
    @property
    def described(self) -> Any:
        """The constraint, index or primary key this change is about (``None`` for other changes)."""
        return None

    @property
    def label(self) -> str:
        """What a person reads: the target, plus the columns of a constraint or index change."""
        columns = getattr(self.described, "columns", None)
        if self.column is None and columns:
            return f"{self.table}({', '.join(columns)})"
        return self.target

    @property
    def target(self) -> str:
        """``table.column`` (or ``table``, or the enum name): what a report or waiver names."""
        if self.table is None:
            return ""
        return f"{self.table}.{self.column}" if self.column else self.table


# -- added, dropped, renamed ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Added(Change, Generic[T]):
    """Something new: ``definition`` is what is added (detail ``{"new": definition}``)."""

    #: The class of ``definition``.
    definition_type: ClassVar[type]
    #: The constraint or index kind (``index``, ``unique``, ``check``, ``foreign_key``), or ``None``.
    kind: ClassVar[str | None] = None

    definition: T = field(hash=False)

    def _detail(self) -> dict[str, Any]:
        return {"new": json_value(self.definition)}

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        return cls(
            table=table, column=column, definition=_from_json_value(cls.definition_type, detail["new"])
        )

    @property
    def described(self) -> Any:
        return self.definition if self.kind else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Dropped(Change, Generic[T]):
    """Something removed: ``definition`` is what it was (detail ``{"old": definition}``)."""

    definition_type: ClassVar[type]
    kind: ClassVar[str | None] = None

    definition: T = field(hash=False)

    def _detail(self) -> dict[str, Any]:
        return {"old": json_value(self.definition)}

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        return cls(
            table=table, column=column, definition=_from_json_value(cls.definition_type, detail["old"])
        )

    @property
    def described(self) -> Any:
        return self.definition if self.kind else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Renamed(Change):
    """A table or column renamed from ``old`` to ``new`` (``table``/``column`` carry the new name)."""

    base_risk: ClassVar[Risk] = Risk.BACKWARD_INCOMPATIBLE

    old: str
    new: str

    def _detail(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new}

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        return cls(table=table, column=column, old=detail["old"], new=detail["new"])


@dataclass(frozen=True, slots=True, kw_only=True)
class AddTable(Added[TableSnapshot]):
    op = Op.ADD_TABLE
    definition_type = TableSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class DropTable(Dropped[TableSnapshot]):
    op = Op.DROP_TABLE
    definition_type = TableSnapshot
    base_risk = Risk.DESTRUCTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameTable(Renamed):
    op = Op.RENAME_TABLE


@dataclass(frozen=True, slots=True, kw_only=True)
class AddColumn(Added[ColumnSnapshot]):
    """A NOT NULL column without anything to fill existing rows is ``data_dependent``."""

    op = Op.ADD_COLUMN
    definition_type = ColumnSnapshot

    def _classify(self) -> Risk:
        return Risk.DATA_DEPENDENT if needs_backfill(self.definition) else Risk.SAFE


@dataclass(frozen=True, slots=True, kw_only=True)
class DropColumn(Dropped[ColumnSnapshot]):
    op = Op.DROP_COLUMN
    definition_type = ColumnSnapshot
    base_risk = Risk.DESTRUCTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameColumn(Renamed):
    op = Op.RENAME_COLUMN


#: The snapshot class of each kind of named table object.
KIND_TYPES: Mapping[str, type] = {
    "primary_key": PrimaryKeySnapshot,
    "foreign_key": ForeignKeySnapshot,
    "unique": UniqueSnapshot,
    "index": IndexSnapshot,
    "check": CheckSnapshot,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RenameConstraint(Change):
    """A constraint or index of ``kind`` renamed from ``old`` to ``new``; ``definition`` is the
    object under its new name (SQLite rebuilds what it cannot rename from it)."""

    op = Op.RENAME_CONSTRAINT

    kind: str
    old: str
    new: str
    definition: Any

    def definition_fields(self) -> dict[str, Any]:
        """The definition as JSON, without its name (``columns``, ``sqltext``, ``unique``...)."""
        return {key: value for key, value in as_plain_dict(self.definition).items() if key != "name"}

    def _detail(self) -> dict[str, Any]:
        return {"kind": self.kind, "old": self.old, "new": self.new, **self.definition_fields()}

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        kind, old, new = detail["kind"], detail["old"], detail["new"]
        fields = {key: value for key, value in detail.items() if key not in ("kind", "old", "new")}
        definition = _from_json_value(KIND_TYPES[kind], {"name": new, **fields})
        return cls(table=table, column=column, kind=kind, old=old, new=new, definition=definition)


# -- altered -----------------------------------------------------------------------------------------
#: The attributes an ``alter_column`` may change, in the order its detail lists them.
COLUMN_ATTRIBUTES = ("type", "nullable", "server_default", "comment", "identity", "computed")
_ATTRIBUTE_TYPES: Mapping[str, type | None] = {
    "type": TypeSpec,
    "identity": IdentitySnapshot,
    "computed": ComputedSnapshot,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterColumn(Change):
    """One column's changed attributes, each an old/new :class:`Pair` (``None``: unchanged).

    ``data_dependent`` when it makes the column NOT NULL, narrows or converts its type (see
    :func:`~dbkit.migrate.diff.risk.is_widening`), or changes an identity or computed expression.
    """

    op = Op.ALTER_COLUMN

    type: Pair[TypeSpec] | None = None
    nullable: Pair[bool] | None = None
    server_default: Pair[str | None] | None = None
    comment: Pair[str | None] | None = None
    identity: Pair[IdentitySnapshot | None] | None = None
    computed: Pair[ComputedSnapshot | None] | None = None

    def changed(self) -> list[tuple[str, Pair[Any]]]:
        """``(attribute, pair)`` for each changed attribute, in :data:`COLUMN_ATTRIBUTES` order."""
        pairs = (self.type, self.nullable, self.server_default, self.comment, self.identity, self.computed)
        return [(name, pair) for name, pair in zip(COLUMN_ATTRIBUTES, pairs, strict=True) if pair is not None]

    def _classify(self) -> Risk:
        if self.nullable is not None and self.nullable.old and not self.nullable.new:
            return Risk.DATA_DEPENDENT
        if self.type is not None and not is_widening(self.type.old, self.type.new):
            return Risk.DATA_DEPENDENT
        if self.computed is not None or self.identity is not None:
            return Risk.DATA_DEPENDENT
        return Risk.SAFE

    def _detail(self) -> dict[str, Any]:
        return {name: pair.to_json() for name, pair in self.changed()}

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        unknown = sorted(detail.keys() - set(COLUMN_ATTRIBUTES))
        if unknown:
            raise UnknownChangeError(f"alter_column of {table}.{column}: unknown attribute(s) {unknown}.")
        pairs: dict[str, Pair[Any]] = {}
        for name, values in detail.items():
            kind = _ATTRIBUTE_TYPES.get(name)
            if kind is None:
                pairs[name] = Pair(values["old"], values["new"])
            else:
                pairs[name] = Pair(_optional(kind, values["old"]), _optional(kind, values["new"]))
        return cls(table=table, column=column, **pairs)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterPrimaryKey(Change):
    """The primary key's columns changed (``None``: no primary key on that side)."""

    op = Op.ALTER_PRIMARY_KEY
    base_risk = Risk.DATA_DEPENDENT

    old: PrimaryKeySnapshot | None
    new: PrimaryKeySnapshot | None

    @property
    def described(self) -> Any:
        return self.new or self.old

    def _detail(self) -> dict[str, Any]:
        return {"old": json_value(self.old), "new": json_value(self.new)}

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        return cls(
            table=table,
            column=column,
            old=_optional(PrimaryKeySnapshot, detail["old"]),
            new=_optional(PrimaryKeySnapshot, detail["new"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlterTableComment(Change):
    op = Op.ALTER_TABLE_COMMENT

    old: str | None
    new: str | None

    def _detail(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new}

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        return cls(table=table, column=column, old=detail["old"], new=detail["new"])


# -- constraints and indexes ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class AddIndex(Added[IndexSnapshot]):
    """A unique index is ``data_dependent`` (existing rows may repeat a value)."""

    op = Op.ADD_INDEX
    definition_type = IndexSnapshot
    kind = "index"

    def _classify(self) -> Risk:
        return Risk.DATA_DEPENDENT if self.definition.unique else Risk.SAFE


@dataclass(frozen=True, slots=True, kw_only=True)
class DropIndex(Dropped[IndexSnapshot]):
    op = Op.DROP_INDEX
    definition_type = IndexSnapshot
    kind = "index"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddUnique(Added[UniqueSnapshot]):
    op = Op.ADD_UNIQUE
    definition_type = UniqueSnapshot
    kind = "unique"
    base_risk = Risk.DATA_DEPENDENT


@dataclass(frozen=True, slots=True, kw_only=True)
class DropUnique(Dropped[UniqueSnapshot]):
    op = Op.DROP_UNIQUE
    definition_type = UniqueSnapshot
    kind = "unique"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddCheck(Added[CheckSnapshot]):
    op = Op.ADD_CHECK
    definition_type = CheckSnapshot
    kind = "check"
    base_risk = Risk.DATA_DEPENDENT


@dataclass(frozen=True, slots=True, kw_only=True)
class DropCheck(Dropped[CheckSnapshot]):
    op = Op.DROP_CHECK
    definition_type = CheckSnapshot
    kind = "check"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddForeignKey(Added[ForeignKeySnapshot]):
    op = Op.ADD_FOREIGN_KEY
    definition_type = ForeignKeySnapshot
    kind = "foreign_key"
    base_risk = Risk.DATA_DEPENDENT


@dataclass(frozen=True, slots=True, kw_only=True)
class DropForeignKey(Dropped[ForeignKeySnapshot]):
    op = Op.DROP_FOREIGN_KEY
    definition_type = ForeignKeySnapshot
    kind = "foreign_key"


# -- enum values -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class EnumValueChange(Change):
    """A value added to or removed from enum ``enum``: ``old``/``new`` are all its values before
    and after the diff, ``members`` the type right after this step, ``columns`` the
    ``table.column`` names using it. A native enum's change has ``table``/``column`` ``None``."""

    enum: str
    value: str
    members: tuple[str, ...]
    old: tuple[str, ...]
    new: tuple[str, ...]
    columns: tuple[str, ...]

    @property
    def target(self) -> str:
        if self.table is None:
            return self.enum
        return f"{self.table}.{self.column}" if self.column else self.table

    def _detail(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "members": list(self.members),
            "enum": self.enum,
            "old": list(self.old),
            "new": list(self.new),
            "columns": list(self.columns),
        }

    @classmethod
    def _from_detail(cls, table: str | None, column: str | None, detail: Mapping[str, Any]) -> Change:
        return cls(
            table=table,
            column=column,
            enum=detail["enum"],
            value=detail["value"],
            members=tuple(detail["members"]),
            old=tuple(detail["old"]),
            new=tuple(detail["new"]),
            columns=tuple(detail["columns"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AddEnumValue(EnumValueChange):
    op = Op.ADD_ENUM_VALUE


@dataclass(frozen=True, slots=True, kw_only=True)
class DropEnumValue(EnumValueChange):
    op = Op.DROP_ENUM_VALUE
    base_risk = Risk.DESTRUCTIVE


# -- the registry of change types ------------------------------------------------------------------------
#: Op → its change class (what :meth:`Change.from_json` builds).
CHANGE_TYPES: dict[str, type[Change]] = {
    cls.op: cls
    for cls in (
        AddTable,
        DropTable,
        RenameTable,
        AddColumn,
        DropColumn,
        RenameColumn,
        RenameConstraint,
        AlterColumn,
        AlterPrimaryKey,
        AddIndex,
        DropIndex,
        AddUnique,
        DropUnique,
        AddCheck,
        DropCheck,
        AddForeignKey,
        DropForeignKey,
        AddEnumValue,
        DropEnumValue,
        AlterTableComment,
    )
}
assert set(CHANGE_TYPES) == set(Op), "every op has one change class"

#: Constraint and index kind → the class of its addition and of its removal.
ADDED_BY_KIND: Mapping[str, type[Added[Any]]] = {
    cls.kind: cls for cls in (AddForeignKey, AddUnique, AddIndex, AddCheck) if cls.kind
}
DROPPED_BY_KIND: Mapping[str, type[Dropped[Any]]] = {
    cls.kind: cls for cls in (DropForeignKey, DropUnique, DropIndex, DropCheck) if cls.kind
}


ChangeType = TypeVar("ChangeType", bound=type[Change])


def register_change_type(change_type: ChangeType) -> ChangeType:
    """Decorator (above ``@dataclass``): make :meth:`Change.from_json` read a plug-in's own change
    type, for a kind of object its comparator reports (see :mod:`dbkit.migrate.diff.context`)."""
    taken = CHANGE_TYPES.get(change_type.op)
    if taken is not None and taken is not change_type:
        raise ValueError(f"Op {change_type.op!r} already belongs to {taken.__name__}.")
    CHANGE_TYPES[change_type.op] = change_type
    return change_type


def change_type_for(op: Any) -> type[Change]:
    """The change class of ``op``; :class:`UnknownChangeError` names the known ops otherwise."""
    try:
        return CHANGE_TYPES[op]
    except (KeyError, TypeError):
        raise UnknownChangeError(
            f"Unknown change op {op!r}; known ops: {', '.join(map(str, CHANGE_TYPES))}."
        ) from None


def classify(op: str, detail: Mapping[str, Any]) -> Risk:
    """The risk of a change given as its op and JSON detail (the class's own rule decides)."""
    return change_type_for(op)._from_detail(None, None, detail).risk


__all__ = [
    "ADDED_BY_KIND",
    "CHANGE_TYPES",
    "COLUMN_ATTRIBUTES",
    "DROPPED_BY_KIND",
    "KIND_TYPES",
    "AddCheck",
    "AddColumn",
    "AddEnumValue",
    "AddForeignKey",
    "AddIndex",
    "AddTable",
    "AddUnique",
    "Added",
    "AlterColumn",
    "AlterPrimaryKey",
    "AlterTableComment",
    "Change",
    "DropCheck",
    "DropColumn",
    "DropEnumValue",
    "DropForeignKey",
    "DropIndex",
    "DropTable",
    "DropUnique",
    "Dropped",
    "EnumValueChange",
    "Op",
    "Pair",
    "RenameColumn",
    "RenameConstraint",
    "RenameTable",
    "Renamed",
    "Risk",
    "UnknownChangeError",
    "change_type_for",
    "classify",
    "json_value",
    "register_change_type",
]
