"""Inventory: every table of a codebase with its migration phase, plus the problems of its model files.

A table's phase says where it stands in the three-phase migration:

* ``hand_written``: only a hand-written model (``DB_*.py``) defines it;
* ``hybrid``: both a hand-written model and a generated ``DatabaseMixin`` model (``BLL_*.py``) do;
* ``generated``: only a generated model does (Phase 3, or a new table).

``Inventory.to_json()`` is the ``dbkit inventory --json`` document::

    {"tables": [{"table": "users", "phase": "hybrid",
                 "hand_written": {"class": "User", "file": "DB_Auth.py"},
                 "generated": {"class": "UserModel", "file": "BLL_Auth.py"}}, ...],
     "problems": [{"severity": "error"|"warning", "kind": "import_error", "file": "DB_X.py",
                   "line": 12, "cause": "..."}, ...]}

``hand_written``/``generated`` are ``null`` when that side has no model; ``class`` is ``null`` for an
association ``Table`` on a declarative Base's metadata; for a Core ``Table`` on a plain ``MetaData``
it says where the table is held (``DB_Core.users_table``, ``DB_Core.Model.builds``
for a class attribute, ``DB_Core.metadata.tables['audit_log']`` when no name holds it; ``null`` only
when nothing in the file reaches it). Tables are sorted by name, problems by file and line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from dbkit.migrate.source.codebase import Codebase, GeneratedModel, HandWrittenTable, LoadProblem

Phase = Literal["hand_written", "hybrid", "generated"]
PHASES: tuple[Phase, ...] = ("hand_written", "hybrid", "generated")

#: Warning kinds the inventory adds to the loader's problems.
EMPTY_INDEX = "empty_index"
DUPLICATE_INDEX = "duplicate_index"
NO_PRIMARY_KEY = "no_primary_key"
UNTRANSLATED_VALIDATOR = "untranslated_validator"


@dataclass(frozen=True)
class ModelRef:
    """Which class defines a table, and in which file."""

    class_name: str | None
    file: str

    def to_json(self) -> dict[str, Any]:
        return {"class": self.class_name, "file": self.file}


@dataclass(frozen=True)
class TableEntry:
    table: str
    phase: Phase
    hand_written: ModelRef | None
    generated: ModelRef | None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "phase": self.phase,
            "hand_written": self.hand_written.to_json() if self.hand_written else None,
            "generated": self.generated.to_json() if self.generated else None,
        }


@dataclass(frozen=True)
class Inventory:
    tables: tuple[TableEntry, ...]
    problems: tuple[LoadProblem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "tables": [entry.to_json() for entry in self.tables],
            "problems": [problem.to_json() for problem in self.problems],
        }

    def phase_counts(self) -> dict[Phase, int]:
        """Number of tables per phase, every phase present (for progress charts)."""
        counts = Counter(entry.phase for entry in self.tables)
        return {phase: counts.get(phase, 0) for phase in PHASES}

    def table(self, name: str) -> TableEntry:
        for entry in self.tables:
            if entry.table == name:
                return entry
        raise KeyError(
            f"No table {name!r} in this inventory; tables: {', '.join(e.table for e in self.tables)}."
        )

    @property
    def errors(self) -> list[LoadProblem]:
        return [p for p in self.problems if p.severity == "error"]


def inventory(codebase: Codebase) -> Inventory:
    """Every table of ``codebase`` with its phase, and the loader's problems plus model-file warnings."""
    generated = {name: model for name, model in codebase.models.items() if model.generated is not None}
    entries = []
    for name in codebase.table_names():
        hand = codebase.hand_written.get(name)
        model = generated.get(name)
        entries.append(
            TableEntry(
                table=name,
                phase=_phase(hand is not None, model is not None),
                hand_written=ModelRef(hand.class_name, hand.file) if hand else None,
                generated=ModelRef(model.class_name, model.file) if model else None,
            )
        )
    problems = [*codebase.problems, *model_file_warnings(codebase)]
    problems.sort(key=lambda p: (p.file, p.line or 0, p.kind, p.cause))
    return Inventory(tables=tuple(entries), problems=tuple(problems))


def _phase(hand_written: bool, generated: bool) -> Phase:
    if hand_written and generated:
        return "hybrid"
    return "hand_written" if hand_written else "generated"


def model_file_warnings(codebase: Codebase) -> list[LoadProblem]:
    """Suspicious but loadable declarations: empty or duplicate indexes, tables without a primary key,
    validators the generator could not carry over to the ORM class."""
    warnings: list[LoadProblem] = []
    for entry in codebase.hand_written.values():
        warnings.extend(hand_written_warnings(entry))
    for model in codebase.models.values():
        warnings.extend(generated_model_warnings(model))
    return warnings


def hand_written_warnings(entry: HandWrittenTable) -> list[LoadProblem]:
    """:func:`model_file_warnings` of one hand-written table."""
    return _table_warnings(entry.table, entry.class_name or f"Table {entry.name!r}", entry.file, entry.line)


def generated_model_warnings(model: GeneratedModel) -> list[LoadProblem]:
    """:func:`model_file_warnings` of one generated model (none when it failed to generate)."""
    if model.generated is None:
        return []
    line = model.line
    warnings = _table_warnings(model.table, model.class_name, model.file, line)
    for reason in getattr(model.generated, "__dbkit_untranslated_validators__", ()):
        warnings.append(
            _warning(
                model.file,
                line,
                f"{reason}: not enforced on {model.class_name}'s generated class (only by Pydantic).",
                UNTRANSLATED_VALIDATOR,
            )
        )
    return warnings


def _table_warnings(table: sa.Table | None, owner: str, file: str, line: int | None) -> list[LoadProblem]:
    if table is None:
        return []
    found: list[LoadProblem] = []
    seen: dict[tuple[bool, tuple[str, ...]], str] = {}
    indexes = table.indexes
    covered = {index: _index_expressions(index) for index in indexes}
    # Most tables have neither an empty nor a repeated index: only then are they sorted and named.
    if len(set(covered.values())) < len(covered) or not all(covered.values()):
        for index in sorted(indexes, key=lambda i: str(i.name)):
            found.extend(_index_warnings(index, covered[index], seen, table.name, owner, file, line))
    if not table.primary_key.columns:
        found.append(
            _warning(
                file,
                line,
                f"{owner}: table {table.name!r} has no primary key; rows cannot be told apart by the ORM or "
                "by migrations that copy tables.",
                NO_PRIMARY_KEY,
            )
        )
    return found


def _index_expressions(index: sa.Index) -> tuple[str, ...]:
    return tuple([getattr(expr, "name", None) or str(expr) for expr in index.expressions])


def _index_warnings(
    index: sa.Index,
    expressions: tuple[str, ...],
    seen: dict[tuple[bool, tuple[str, ...]], str],
    table: str,
    owner: str,
    file: str,
    line: int | None,
) -> list[LoadProblem]:
    """An empty index, or one covering what an earlier one (by name) covers; ``seen`` collects keys."""
    if not expressions:
        return [
            _warning(
                file,
                line,
                f"{owner}: index {index.name!r} on table {table!r} has no columns; no database can "
                "create it, so revisions leave it out and diffs ignore it. Give it columns or remove it.",
                EMPTY_INDEX,
            )
        ]
    key = (bool(index.unique), expressions)
    if key not in seen:
        seen[key] = str(index.name)
        return []
    return [
        _warning(
            file,
            line,
            f"{owner}: indexes {seen[key]!r} and {index.name!r} on table {table!r} cover the same "
            f"columns ({', '.join(expressions)}); keep one.",
            DUPLICATE_INDEX,
        )
    ]


def _warning(file: str, line: int | None, cause: str, kind: str) -> LoadProblem:
    return LoadProblem(file=file, line=line, cause=cause, kind=kind, severity="warning")
