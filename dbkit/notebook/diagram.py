"""Entity-relationship diagrams as Mermaid ``erDiagram`` text, from a snapshot, a codebase or a source.

JupyterLab 4 renders a ```` ```mermaid ```` block in Markdown with no extension, so the
diagram is plain text: deterministic (tables, columns and relationships in a fixed order),
diffable, and readable even where it is not rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dbkit.entity import AUDIT_COLUMN_NAMES

if TYPE_CHECKING:
    from dbkit.migrate.diff.changes import Change
    from dbkit.migrate.schema.snapshot import ColumnSnapshot, ForeignKeySnapshot, Snapshot, TableSnapshot
    from dbkit.migrate.source.codebase import Codebase

_TYPE_UNSAFE = re.compile(r"[^A-Za-z0-9_()\[\]-]+")
#: The audit columns of dbkit's and most teams' mixins: the same in every table, so often hidden.
AUDIT_COLUMNS = AUDIT_COLUMN_NAMES
#: The marks a table or column carries in a change's diagram.
ADDED, CHANGED, DROPPED, RENAMED = "added", "changed", "dropped", "renamed"


@dataclass(frozen=True)
class ChangeMarks:
    """What a change does to each table and column, for drawing it on the new schema.

    ``columns`` maps ``(table, column)`` to a mark and a note (``was fullname``, ``+invited``);
    dropped tables and columns are kept with their old definitions, since the new schema has
    none and a reviewer must still see them.
    """

    tables: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    dropped_tables: tuple[TableSnapshot, ...] = ()
    dropped_columns: Mapping[str, tuple[ColumnSnapshot, ...]] = field(default_factory=dict)

    def table_mark(self, table: str) -> str:
        return self.tables.get(table, "")

    def column_mark(self, table: str, column: str) -> tuple[str, str]:
        return self.columns.get((table, column), ("", ""))


def change_marks(changes: Iterable[Change], new: Snapshot) -> ChangeMarks:
    """The marks of ``changes`` (a diff towards ``new``): tables and columns added, changed, dropped, renamed."""
    from dbkit.migrate.diff.changes import (
        AddColumn,
        AddTable,
        AlterColumn,
        DropColumn,
        DropTable,
        EnumValueChange,
        Renamed,
    )

    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], tuple[str, str]] = {}
    dropped_tables: list[TableSnapshot] = []
    dropped_columns: dict[str, list[ColumnSnapshot]] = {}
    for change in changes:
        table = change.table or ""
        if isinstance(change, AddTable):
            tables[table] = ADDED
        elif isinstance(change, DropTable):
            tables[table] = DROPPED
            dropped_tables.append(change.definition)
        elif isinstance(change, EnumValueChange):
            sign = "+" if change.op == "add_enum_value" else "-"
            for owner, column in _enum_columns(new, change.enum):
                tables.setdefault(owner, CHANGED)
                columns.setdefault((owner, column), (CHANGED, f"{sign}{change.value}"))
            continue
        else:
            tables.setdefault(table, CHANGED)
        if isinstance(change, AddColumn):
            columns[(table, change.definition.name)] = (ADDED, "")
        elif isinstance(change, DropColumn):
            columns[(table, change.definition.name)] = (DROPPED, "")
            dropped_columns.setdefault(table, []).append(change.definition)
        elif isinstance(change, Renamed) and change.column:
            columns[(table, change.new)] = (RENAMED, f"was {change.old}")
        elif isinstance(change, AlterColumn) and change.column:
            columns.setdefault(
                (table, change.column), (CHANGED, ", ".join(name for name, _ in change.changed()))
            )
    return ChangeMarks(
        tables,
        columns,
        tuple(sorted(dropped_tables, key=lambda t: t.name)),
        {name: tuple(found) for name, found in dropped_columns.items()},
    )


def _enum_columns(snapshot: Snapshot, enum: str) -> list[tuple[str, str]]:
    return [
        (table.name, column.name)
        for table in snapshot.tables
        for column in table.columns
        if column.type.kind == "enum" and column.type.name == enum
    ]


def marked_tables(snapshot: Snapshot, marks: ChangeMarks | None) -> list[TableSnapshot]:
    """``snapshot``'s tables plus the dropped ones, each with its dropped columns appended, by name."""
    if marks is None:
        return sorted(snapshot.tables, key=lambda t: t.name)
    tables = [
        replace(table, columns=(*table.columns, *marks.dropped_columns.get(table.name, ())))
        if table.name in marks.dropped_columns
        else table
        for table in snapshot.tables
    ]
    kept = {table.name for table in tables}
    tables += [table for table in marks.dropped_tables if table.name not in kept]
    return sorted(tables, key=lambda t: t.name)


@dataclass(frozen=True)
class MermaidDiagram:
    """Mermaid source; shown as a rendered diagram in JupyterLab, as its source elsewhere."""

    text: str

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.text}\n```"

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def er_diagram(
    source: Snapshot | Codebase | str | Path,
    *,
    tables: list[str] | None = None,
    columns: bool = True,
    hide_columns: Iterable[str] = (),
) -> MermaidDiagram:
    """The ER diagram of ``source`` (a snapshot, a loaded codebase, or anything ``snapshot_of`` takes).

    ``tables`` restricts the diagram to those tables (relationships between them only);
    ``columns=False`` draws entities without attributes, for a large schema's overview;
    ``hide_columns`` leaves out columns by name (e.g. :data:`AUDIT_COLUMNS`).
    """
    return MermaidDiagram(
        mermaid_er(_snapshot(source), tables=tables, columns=columns, hide_columns=hide_columns)
    )


def _snapshot(source: Snapshot | Codebase | str | Path) -> Snapshot:
    from dbkit.migrate.schema.snapshot import Snapshot
    from dbkit.migrate.source.codebase import Codebase

    if isinstance(source, Snapshot):
        return source
    from dbkit.migrate import api

    if isinstance(source, Codebase):
        return api.codebase_snapshot(source)
    return api.snapshot_of(source)


def mermaid_er(
    snapshot: Snapshot,
    *,
    tables: list[str] | None = None,
    columns: bool = True,
    hide_columns: Iterable[str] = (),
    marks: ChangeMarks | None = None,
) -> str:
    """``erDiagram`` text: entities by table name, columns in table order, then relationships.

    With ``marks``, dropped tables and columns are drawn too, and every marked table and column
    says how it changed in its comment (Mermaid has no per-entity colour that both forges draw).
    """
    chosen = [t for t in marked_tables(snapshot, marks) if tables is None or t.name in tables]
    names = {t.name for t in chosen}
    lines = ["erDiagram"]
    for table in chosen:
        lines.extend(_entity(table, columns, frozenset(hide_columns), marks))
    relationships = sorted(
        ((table, fk) for table in chosen for fk in table.foreign_keys if fk.referred_table in names),
        key=lambda pair: (pair[1].referred_table, pair[0].name, pair[1].columns),
    )
    lines.extend(_relationship(table, fk) for table, fk in relationships)
    return "\n".join(lines)


def _entity(
    table: TableSnapshot, columns: bool, hidden: frozenset[str], marks: ChangeMarks | None = None
) -> list[str]:
    whole = marks.table_mark(table.name) if marks else ""  # an added or dropped table marks every column
    table_mark = whole.upper() if whole in (ADDED, DROPPED) else ""
    if not columns:
        return [f"    {table.name}"]
    keys = _column_keys(table)
    lines = [f"    {table.name} {{"]
    for column in table.columns:
        mark, note = marks.column_mark(table.name, column.name) if marks else ("", "")
        if column.name in hidden and not mark:
            continue
        label = " ".join(text for text in (mark.upper() or table_mark, note) if text)
        lines.append(f"        {_attribute(column, keys.get(column.name, []), label)}")
    lines.append("    }")
    return lines


def _column_keys(table: TableSnapshot) -> dict[str, list[str]]:
    """Column → its Mermaid key markers, in PK, FK, UK order."""
    keys: dict[str, list[str]] = {}
    for name in table.primary_key.columns if table.primary_key else ():
        keys.setdefault(name, []).append("PK")
    for fk in table.foreign_keys:
        for name in fk.columns:
            if "FK" not in keys.setdefault(name, []):
                keys[name].append("FK")
    single_unique = [u.columns for u in table.unique_constraints] + [
        i.columns for i in table.indexes if i.unique
    ]
    for unique_columns in single_unique:
        if len(unique_columns) == 1 and "UK" not in keys.setdefault(unique_columns[0], []):
            keys[unique_columns[0]].append("UK")
    return keys


def _attribute(column: ColumnSnapshot, keys: list[str], mark: str = "") -> str:
    kind = column.type.label() if column.type.kind != "enum" else f"enum({column.type.name or 'values'})"
    type_text = _TYPE_UNSAFE.sub("_", kind.replace(", ", "-")).strip("_") or "unknown"
    parts = [type_text, column.name]
    if keys:
        parts.append(",".join(keys))
    required = "" if column.nullable or column.primary_key else "NOT NULL"
    comment = "; ".join(text for text in (mark, required, column.comment or "") if text)
    if comment:
        parts.append('"' + comment.replace('"', "'") + '"')
    return " ".join(parts)


def _relationship(table: TableSnapshot, fk: ForeignKeySnapshot) -> str:
    """``parent ||--o{ child : "columns"``: optional parent when the columns are nullable,
    at most one child when they are unique."""
    columns = table.column_map
    optional = any(columns[name].nullable for name in fk.columns if name in columns)
    unique = any(u.columns == fk.columns for u in table.unique_constraints) or any(
        i.unique and i.columns == fk.columns for i in table.indexes
    )
    parent_end = "|o" if optional else "||"
    child_end = "o|" if unique else "o{"
    return f'    {fk.referred_table} {parent_end}--{child_end} {table.name} : "{", ".join(fk.columns)}"'
