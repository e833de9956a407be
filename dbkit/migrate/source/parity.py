"""Parity: each hand-written table against its generated counterpart, without any database (Phase 1 gate).

Differences have a level:

* ``schema``: the DDL differs, so replacing the hand-written class would need a migration
  (columns, types, nullability, defaults, comments, keys, constraints, indexes, enum members);
* ``orm``: Python-side behaviour only (Python defaults, ``onupdate``, relationships and backrefs,
  validators, attribute names);
* ``cosmetic``: nothing a database or a program would notice (a constraint name that differs,
  often because one side left it to the database).

A table is ``match`` when it has no ``schema`` difference; other levels are still listed.
Schema facts come from the snapshot diff (:mod:`dbkit.migrate.diff.compare`), so parity and
``dbkit diff`` never disagree on what a migration would need.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from dbkit.generate.types import value_type
from dbkit.migrate.diff.changes import (
    AddColumn,
    Added,
    AlterColumn,
    AlterPrimaryKey,
    AlterTableComment,
    Change,
    DropColumn,
    Dropped,
    EnumValueChange,
    json_value,
)
from dbkit.migrate.diff.compare import CompareOptions, diff_tables, matched_pairs
from dbkit.migrate.schema.from_models import snapshot_of_table, sql_of
from dbkit.migrate.schema.memo import IdentityMemo
from dbkit.migrate.schema.snapshot import ColumnSnapshot, TableSnapshot
from dbkit.migrate.schema.table_memo import TableMemo, memo_of
from dbkit.migrate.source.codebase import (
    Codebase,
    GeneratedModel,
    HandWrittenTable,
    LoadProblem,
    column_attribute_names,
)
from dbkit.migrate.source.contract import relationship_shapes
from dbkit.migrate.source.inventory import generated_model_warnings, hand_written_warnings

Level = Literal["schema", "orm", "cosmetic"]
Status = Literal["match", "differs", "hand_written_only", "generated_only"]
LEVELS: tuple[Level, ...] = ("schema", "orm", "cosmetic")


@dataclass(frozen=True)
class Difference:
    """One difference between the hand-written and the generated definition of a table."""

    kind: str
    object: str
    level: Level
    hand_written: Any
    generated: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "object": self.object,
            "level": self.level,
            "hand_written": self.hand_written,
            "generated": self.generated,
        }


@dataclass(frozen=True)
class TableParity:
    table: str
    status: Status
    differences: tuple[Difference, ...] = ()
    hand_written: str | None = None
    generated: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "status": self.status,
            "differences": [difference.to_json() for difference in self.differences],
        }


@dataclass(frozen=True)
class ParityReport:
    tables: tuple[TableParity, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def has_schema_differences(self) -> bool:
        return any(d.level == "schema" for t in self.tables for d in t.differences)

    def differences(self, level: Level | None = None) -> list[tuple[str, Difference]]:
        return [(t.table, d) for t in self.tables for d in t.differences if level in (None, d.level)]

    def to_json(self) -> dict[str, Any]:
        return {"tables": [table.to_json() for table in self.tables], "problems": list(self.problems)}


# -- schema level ---------------------------------------------------------------------------------
def schema_differences(hand: TableSnapshot, generated: TableSnapshot) -> list[Difference]:
    """DDL-level differences, from the same table diff ``dbkit diff`` uses."""
    found: list[Difference] = []
    for change in diff_tables(hand, generated, CompareOptions()):
        found.extend(_from_change(change))
    return found


def _from_change(change: Change) -> list[Difference]:
    if isinstance(change, AlterColumn):
        return [
            Difference(f"column_{name}", change.target, "schema", json_value(pair.old), json_value(pair.new))
            for name, pair in change.changed()
        ]
    if isinstance(change, EnumValueChange):
        return [
            Difference(
                "enum_members",
                f"{change.target} ({change.enum})",
                "schema",
                list(change.old),
                list(change.new),
            )
        ]
    if isinstance(change, AddColumn):
        return [Difference("column", change.target, "schema", None, _column_summary(change.definition))]
    if isinstance(change, DropColumn):
        return [Difference("column", change.target, "schema", _column_summary(change.definition), None)]
    if isinstance(change, AlterTableComment):
        return [Difference("table_comment", change.target, "schema", change.old, change.new)]
    kind = str(change.op).split("_", 1)[1]  # add_unique → unique, drop_foreign_key → foreign_key
    if isinstance(change, AlterPrimaryKey):
        old, new = change.old, change.new
    else:  # a constraint or index added or dropped
        old = change.definition if isinstance(change, Dropped) else None
        new = change.definition if isinstance(change, Added) else None
    described = new or old
    columns = ", ".join(getattr(described, "columns", ()) or ())
    label = (
        f"{change.table}({columns})"
        if columns
        else f"{change.table} {getattr(described, 'name', None) or ''}".strip()
    )
    return [Difference(kind, label, "schema", json_value(old), json_value(new))]


def _column_summary(column: ColumnSnapshot) -> str:
    nullable = "NULL" if column.nullable else "NOT NULL"
    return f"{column.type.kind} {nullable}"


# -- cosmetic level ---------------------------------------------------------------------------------
def constraint_name_differences(hand: TableSnapshot, generated: TableSnapshot) -> list[Difference]:
    """Constraints that match by kind and columns but carry different names."""
    if hand.schema_key == generated.schema_key:
        return []  # names included
    found: list[Difference] = []
    if hand.primary_key and generated.primary_key and hand.primary_key.name != generated.primary_key.name:
        found.append(
            Difference(
                "constraint_name",
                f"{hand.name} primary key",
                "cosmetic",
                hand.primary_key.name,
                generated.primary_key.name,
            )
        )
    for kind, before, after in matched_pairs(hand, generated):
        if before.name != after.name:
            columns = ", ".join(getattr(before, "columns", ()) or ())
            found.append(
                Difference(
                    "constraint_name", f"{hand.name} {kind}({columns})", "cosmetic", before.name, after.name
                )
            )
    return found


# -- orm level ----------------------------------------------------------------------------------------
def orm_differences(
    hand: HandWrittenTable,
    generated: GeneratedModel,
    hand_memo: TableMemo | None = None,
    generated_memo: TableMemo | None = None,
) -> list[Difference]:
    """Python-side behaviour: defaults, onupdate, attribute names, relationships, validators."""
    hand_class, generated_class = hand.mapped_class, generated.generated
    table = hand.name
    generated_table = generated.table
    assert generated_table is not None and generated_class is not None
    found = column_behaviour_differences(table, hand.table, generated_table, hand_memo, generated_memo)
    if hand_class is None:
        return found
    hand_mapper, generated_mapper = _mapper_of(hand_class), _mapper_of(generated_class)
    generated_attributes = column_attribute_names(generated_mapper, generated_table)
    for column, attribute in column_attribute_names(hand_mapper, hand.table).items():  # sorted by caller
        other = generated_attributes.get(column)
        if other is not None and other != attribute:
            found.append(Difference("attribute_name", f"{table}.{column}", "orm", attribute, other))
    found.extend(_relationship_differences(table, hand_mapper, generated_mapper))
    mine, theirs = hand_mapper.validators, generated_mapper.validators
    if (mine or theirs) and set(mine) != set(theirs):
        found.append(Difference("validators", table, "orm", sorted(mine), sorted(theirs)))
    return found


def _mapper_of(mapped_class: type) -> sa.orm.Mapper[Any]:
    """``sa.inspect(mapped_class)``, read from the class itself when it holds its own mapper."""
    mapper = mapped_class.__dict__.get("__mapper__")
    return mapper if isinstance(mapper, sa.orm.Mapper) else sa.inspect(mapped_class)


def column_behaviour_differences(
    table: str,
    hand: sa.Table,
    generated: sa.Table,
    hand_memo: TableMemo | None = None,
    generated_memo: TableMemo | None = None,
) -> list[Difference]:
    """Of the columns both tables have: ``default``/``onupdate`` that differ, and values that read as
    another Python type (a ``uuid.UUID`` key that became ``str``).

    Each table's behaviour is read once while it stays as it was (``hand_memo``/``generated_memo``: the
    tables' memos, when the caller has them), and most tables behave alike: that is one comparison.
    """
    mine_types, mine_defaults = _behaviour_of(hand_memo or memo_of(hand))
    their_types, their_defaults = _behaviour_of(generated_memo or memo_of(generated))
    if mine_types == their_types and mine_defaults == their_defaults:
        return []
    found: list[Difference] = []
    for name, python_type in mine_types.items():
        their_type = their_types.get(name)
        if their_type is None:
            continue
        where = f"{table}.{name}"
        default, onupdate = mine_defaults.get(name, _NO_DEFAULTS)
        other_default, other_onupdate = their_defaults.get(name, _NO_DEFAULTS)
        if default != other_default:
            found.append(Difference("python_default", where, "orm", default, other_default))
        if onupdate != other_onupdate:
            found.append(Difference("onupdate", where, "orm", onupdate, other_onupdate))
        if python_type[0] is not their_type[0] and python_type[1] != their_type[1]:
            found.append(Difference("python_type", where, "orm", python_type[2], their_type[2]))
    return found


_NO_DEFAULTS = (None, None)


def _behaviour_of(memo: TableMemo) -> tuple[dict[str, tuple[Any, Any, str]], dict[str, tuple[Any, Any]]]:
    """Read once per table from the memo's column facts: column name → its value type's facts
    (:func:`_python_type_of`), and column name → its Python ``default`` and ``onupdate`` as parity
    compares them, for the few columns that have one."""
    behaviour = memo.column_behaviour
    if behaviour is None:
        types: dict[str, tuple[Any, Any, str]] = {}
        defaults: dict[str, tuple[Any, Any]] = {}
        entries = _PYTHON_TYPES.entries
        for facts in memo.column_facts:
            name, sa_type, default, onupdate = facts[0], facts[1], facts[8], facts[9]
            entry = entries.get(id(sa_type))  # _python_type_of, inlined for the hit: once per column
            types[name] = (
                entry[1] if entry is not None and entry[0]() is sa_type else _python_type_of(sa_type)
            )
            if default is not None or onupdate is not None:
                defaults[name] = (_describe_default(default), _describe_default(onupdate))
        behaviour = memo.column_behaviour = (types, defaults)
    return behaviour


def _python_type_of(sa_type: Any) -> tuple[Any, Any, str]:
    """:func:`value_type`'s Python type, what makes it the same as another (:func:`_type_key`) and its
    label, remembered per type instance (weakly, as :func:`~dbkit.migrate.schema.snapshot.type_spec`
    remembers specs): parity asks it of every column."""
    known = _PYTHON_TYPES.get(sa_type)
    return known if known is not None else _PYTHON_TYPES.remember(sa_type, _python_type_facts(sa_type))


def _python_type_facts(sa_type: Any) -> tuple[Any, Any, str]:
    python_type = value_type(sa_type).python_type
    return python_type, _type_key(python_type), _type_label(python_type)


_PYTHON_TYPES: IdentityMemo[tuple[Any, Any, str]] = IdentityMemo()


def _type_key(python_type: Any) -> Any:
    """What makes two value types the same: an enum class by its members (the generated module
    redefines the class, maybe under another name), any other type by identity."""
    if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
        return tuple((member.name, member.value) for member in python_type)
    return python_type


def _type_label(python_type: Any) -> str:
    """``uuid.UUID``, ``str``, ``Any``: a type as a reader writes it."""
    module = getattr(python_type, "__module__", "")
    name = getattr(python_type, "__qualname__", None) or repr(python_type)
    return name if module in ("builtins", "typing") else f"{module}.{name}"


def _describe_default(default: Any) -> Any:
    if default is None:
        return None
    argument = getattr(default, "arg", default)
    if getattr(default, "is_callable", False) or callable(argument):
        return "callable"
    if getattr(default, "is_clause_element", False):
        return sql_of(argument)
    return argument.value if hasattr(argument, "value") and not isinstance(argument, str) else argument


def _relationship_differences(
    table: str, hand: sa.orm.Mapper[Any], generated: sa.orm.Mapper[Any]
) -> list[Difference]:
    """Relationships missing on one side (``relationship``: the target tables), then each differing
    part of a shared one's shape (``relationship_cascade``, ``relationship_secondary``...)."""
    try:
        hand.registry.configure()  # backrefs appear on configuration
        generated.registry.configure()
        if not hand.relationships and not generated.relationships:
            return []
        mine, theirs = relationship_shapes(hand.class_), relationship_shapes(generated.class_)
    except sa.exc.SQLAlchemyError as exc:  # reported by the loader already; parity still runs
        return [Difference("relationships", table, "orm", f"cannot configure: {exc}", None)]
    found = []
    for name in sorted(mine.keys() | theirs.keys()):
        shape, other = mine.get(name), theirs.get(name)
        where = f"{table}.{name}"
        if shape is None or other is None or shape["target"] != other["target"]:
            found.append(
                Difference("relationship", where, "orm", shape and shape["target"], other and other["target"])
            )
            continue
        found.extend(
            Difference(f"relationship_{part}", where, "orm", shape[part], other[part])
            for part in shape
            if shape[part] != other[part]
        )
    return found


# -- the report ----------------------------------------------------------------------------------------
def compare_table(hand: HandWrittenTable, generated: GeneratedModel) -> TableParity:
    assert generated.table is not None
    hand_memo, generated_memo = memo_of(hand.table), memo_of(generated.table)  # one check each
    hand_snapshot = snapshot_of_table(hand.table, hand_memo)
    generated_snapshot = snapshot_of_table(generated.table, generated_memo)
    differences = orm_differences(hand, generated, hand_memo, generated_memo)
    if hand_snapshot.schema_key != generated_snapshot.schema_key:  # names included: most tables
        differences += schema_differences(hand_snapshot, generated_snapshot)
        differences += constraint_name_differences(hand_snapshot, generated_snapshot)
    differences.sort(key=lambda d: (LEVELS.index(d.level), d.object, d.kind))
    status: Status = "differs" if any(d.level == "schema" for d in differences) else "match"
    return TableParity(
        hand.name,
        status,
        tuple(differences),
        hand_written=f"{hand.class_name or hand.name} ({hand.file})",
        generated=f"{generated.class_name} ({generated.file})",
    )


def parity(codebase: Codebase) -> ParityReport:
    """Every table of ``codebase``: compared where both kinds exist, otherwise marked one-sided.

    The model-file warnings (:func:`~dbkit.migrate.source.inventory.model_file_warnings`) are read
    table by table in the same pass, while that table's objects are fresh, and listed in that
    function's order."""
    tables: list[TableParity] = []
    hand_warnings: dict[str, list[LoadProblem]] = {}
    model_warnings: dict[str, list[LoadProblem]] = {}
    for name in sorted(set(codebase.hand_written) | set(codebase.models)):
        hand, generated = codebase.hand_written.get(name), codebase.models.get(name)
        if hand is not None and generated is not None and generated.table is not None:
            tables.append(compare_table(hand, generated))
        elif hand is not None:
            tables.append(
                TableParity(name, "hand_written_only", hand_written=f"{hand.class_name} ({hand.file})")
            )
        elif generated is not None and generated.table is not None:
            tables.append(
                TableParity(name, "generated_only", generated=f"{generated.class_name} ({generated.file})")
            )
        if hand is not None:  # after the comparison, which has just read the same objects
            hand_warnings[name] = hand_written_warnings(hand)
        if generated is not None:
            model_warnings[name] = generated_model_warnings(generated)

    problems = [
        *codebase.problems,
        *(warning for name in codebase.hand_written for warning in hand_warnings[name]),
        *(warning for name in codebase.models for warning in model_warnings[name]),
    ]
    return ParityReport(tuple(tables), tuple(str(p) for p in problems))
