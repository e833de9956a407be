"""``migration_notes`` → rename hints, backfill values, destructive waivers and the revision message.

A model's ``migration_notes`` is free text, or a dict in this structured form (every key optional)::

    migration_notes = {
        "message": "Split the name; renamed fullname to full_name",   # free text (the revision message)
        "renames": {"fullname": "full_name"},              # columns of this table, old → new
                                                           # ("users.fullname": "users.full_name" also works)
        "table_renames": {"people": "users"},              # tables, old → new
        "backfill": {"tz": "'UTC'"},                       # NOT NULL columns added: SQL value for existing rows
        "allow_destructive": ["legacy_flag", "old_logs"],  # may be dropped: columns of this table,
                                                           # "table.column", a table, "enum.value";
                                                           # True waives every drop in this table
    }

In free text (a plain string, or the ``message``), the phrases ``renamed fullname to
full_name`` (a column of this model's table; ``users.fullname`` may be qualified) and
``renamed table people to users`` are rename hints too. A bare name in ``renames``,
``backfill`` and ``allow_destructive`` is qualified with the model's own table, except that
an ``allow_destructive`` entry naming a table or enum of the schema means that table or enum.

Hints turn a drop+add pair into a rename; a hint already applied (the old schema has the new
name and not the old one) is silently satisfied; a hint naming what neither schema has is a
:class:`MigrationHintError` naming the model and the hint. Similar-looking drop+add pairs
without a hint become :class:`RenameSuggestion` objects: reported, never applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import Any

from dbkit.errors import DbkitError
from dbkit.migrate.diff.changes import AddColumn, Change, DropColumn, Op, RenameColumn, RenameTable
from dbkit.migrate.diff.compare import CompareOptions, diff_snapshots, name_alignments, order_changes
from dbkit.migrate.diff.lint import Verdict, lint_changes
from dbkit.migrate.schema.snapshot import Snapshot, TableSnapshot

STRUCTURED_KEYS = ("message", "renames", "table_renames", "backfill", "allow_destructive")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ARROW = r"(?:to|->|→)"
_TABLE_PHRASE = re.compile(rf"\brenamed\s+table\s+({_NAME})\s+{_ARROW}\s+({_NAME})", re.IGNORECASE)
_COLUMN_PHRASE = re.compile(
    rf"\brenamed\s+(?:column\s+)?(?!table\b)({_NAME}(?:\.{_NAME})?)\s+{_ARROW}\s+({_NAME}(?:\.{_NAME})?)",
    re.IGNORECASE,
)
#: Unhinted drop+add pairs at least this similar are suggested as renames.
SUGGESTION_THRESHOLD = 0.6


class MigrationHintError(DbkitError):
    """A ``migration_notes`` hint is malformed or names a table/column that does not exist."""


@dataclass(frozen=True)
class RenameHint:
    """``old`` → ``new``; for a column, ``table`` is its table's name in the new schema."""

    kind: str  # "table" or "column"
    table: str
    old: str
    new: str
    source: str

    @property
    def text(self) -> str:
        if self.kind == "table":
            return f"renamed table {self.old} to {self.new}"
        return f"renamed {self.table}.{self.old} to {self.table}.{self.new}"


@dataclass(frozen=True)
class MigrationHints:
    """Everything ``migration_notes`` (and the command line) say about one migration."""

    renames: tuple[RenameHint, ...] = ()
    backfills: dict[str, str] = field(default_factory=dict, hash=False)
    allow_destructive: frozenset[str] = frozenset()
    #: Each waiver as written, with its readings (a bare ``flag`` is ``flag`` or ``users.flag``).
    waiver_groups: tuple[frozenset[str], ...] = ()
    messages: tuple[str, ...] = ()
    #: ``backfill:users.tz`` / ``waiver:users.flag`` → where the hint came from (for errors).
    sources: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def message(self) -> str:
        """The free text of every model's notes: the revision message."""
        return "\n".join(self.messages)

    def merged(self, other: MigrationHints) -> MigrationHints:
        return MigrationHints(
            renames=self.renames + tuple(r for r in other.renames if r not in self.renames),
            backfills={**self.backfills, **other.backfills},
            allow_destructive=self.allow_destructive | other.allow_destructive,
            waiver_groups=self.waiver_groups
            + tuple(g for g in other.waiver_groups if g not in self.waiver_groups),
            messages=self.messages + tuple(m for m in other.messages if m not in self.messages),
            sources={**self.sources, **other.sources},
        )


# -- parsing -------------------------------------------------------------------------------------
def parse_migration_notes(notes: Any, table: str, model: str | None = None) -> MigrationHints:
    """The hints in one model's ``migration_notes`` (``table`` is the model's table)."""
    source = f"migration_notes of {model or 'the model'} (table {table})"
    if notes is None or notes == "":
        return MigrationHints()
    if isinstance(notes, str):
        return _free_text_hints(notes, table, source)
    if not isinstance(notes, Mapping):
        raise MigrationHintError(
            f"{source}: expected a string or a dict with keys {', '.join(STRUCTURED_KEYS)}, got {type(notes).__name__}."
        )
    unknown = sorted(set(notes) - set(STRUCTURED_KEYS))
    if unknown:
        raise MigrationHintError(
            f"{source}: unknown key(s) {', '.join(map(repr, unknown))}; the structured form has "
            f"{', '.join(STRUCTURED_KEYS)} (see dbkit.migrate.diff.hints)."
        )
    message = notes.get("message") or ""
    if not isinstance(message, str):
        raise MigrationHintError(f"{source}: 'message' must be text, got {type(message).__name__}.")
    hints = _free_text_hints(message, table, source) if message else MigrationHints()
    renames = [
        *(_column_rename(old, new, table, source) for old, new in _mapping(notes, "renames", source).items()),
        *(
            RenameHint("table", str(new), str(old), str(new), source)
            for old, new in _mapping(notes, "table_renames", source).items()
        ),
    ]
    backfills = {
        _qualify(key, table): _sql_value(value, key, source)
        for key, value in _mapping(notes, "backfill", source).items()
    }
    groups = _waivers(notes.get("allow_destructive"), table, source)
    return hints.merged(
        MigrationHints(
            renames=tuple(renames),
            backfills=backfills,
            allow_destructive=frozenset().union(*groups),
            waiver_groups=tuple(groups),
            sources={
                **{f"backfill:{key}": source for key in backfills},
                **{f"waiver:{name}": source for group in groups for name in group},
            },
        )
    )


def _free_text_hints(text: str, table: str, source: str) -> MigrationHints:
    renames = [RenameHint("table", new, old, new, source) for old, new in _TABLE_PHRASE.findall(text)]
    renames += [_column_rename(old, new, table, source) for old, new in _COLUMN_PHRASE.findall(text)]
    message = text.strip()
    return MigrationHints(renames=tuple(renames), messages=(message,) if message else ())


def _column_rename(old: str, new: str, table: str, source: str) -> RenameHint:
    old_table, _, old_column = str(old).rpartition(".")
    new_table, _, new_column = str(new).rpartition(".")
    if old_table and new_table and old_table != new_table:
        raise MigrationHintError(
            f"{source}: rename {old} → {new} moves a column between tables; rename the table with "
            f'"table_renames" and the column with "renames" separately.'
        )
    return RenameHint("column", new_table or old_table or table, old_column, new_column, source)


def _mapping(notes: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = notes.get(key) or {}
    if not isinstance(value, Mapping):
        raise MigrationHintError(
            f"{source}: {key!r} must be a dict of old → new names, got {type(value).__name__}."
        )
    return value


def _qualify(name: str, table: str) -> str:
    return name if "." in name else f"{table}.{name}"


def _sql_value(value: Any, key: str, source: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise MigrationHintError(
        f'{source}: backfill {key!r} must be an SQL value as text (e.g. "\'UTC\'" or "0"), got {value!r}.'
    )


def _waivers(value: Any, table: str, source: str) -> list[frozenset[str]]:
    """Each waiver with its readings: a bare name is a table/enum, or a column of ``table``."""
    if value is None or value is False:
        return []
    if value is True:
        return [frozenset({f"{table}.*"})]
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set | frozenset) or not all(isinstance(i, str) for i in items):
        raise MigrationHintError(
            f"{source}: 'allow_destructive' must be true or a list of names, got {value!r}."
        )
    return [frozenset({item} if "." in item else {item, f"{table}.{item}"}) for item in items]


def hints_from_snapshot(snapshot: Snapshot) -> MigrationHints:
    """Every table's ``migration_notes`` hints, merged (tables in name order)."""
    hints = MigrationHints()
    for table in sorted(snapshot.tables, key=lambda t: t.name):
        hints = hints.merged(parse_migration_notes(table.migration_notes, table.name, table.model))
    return hints


def parse_backfill_option(text: str) -> tuple[str, str]:
    """``--backfill users.tz='UTC'`` → ``("users.tz", "'UTC'")``."""
    target, separator, value = text.partition("=")
    table, dot, column = target.strip().partition(".")
    if not separator or not dot or not table or not column or not value.strip():
        raise MigrationHintError(
            f"--backfill {text!r}: expected TABLE.COLUMN=VALUE with an SQL value, e.g. --backfill users.tz=\"'UTC'\"."
        )
    return f"{table}.{column}", value.strip()


def hints_from_options(backfills: Iterable[str] = (), allow_destructive: bool = False) -> MigrationHints:
    """The command line's ``--backfill`` options (and ``--allow-destructive`` as the ``*`` waiver)."""
    parsed = dict(parse_backfill_option(item) for item in backfills)
    return MigrationHints(
        backfills=parsed,
        allow_destructive=frozenset({"*"}) if allow_destructive else frozenset(),
        sources={f"backfill:{key}": "--backfill" for key in parsed},
    )


# -- resolving against two schemas -------------------------------------------------------------
@dataclass(frozen=True)
class ResolvedRenames:
    """The renames that apply to this pair of schemas (stale, already applied ones removed)."""

    tables: dict[str, str] = field(default_factory=dict)  # old name → new name
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (old table, old column) → new column


def resolve_renames(hints: MigrationHints, old: Snapshot, new: Snapshot) -> ResolvedRenames:
    """Check every rename hint against both schemas; raise :class:`MigrationHintError` for a wrong one."""
    resolved = ResolvedRenames()
    for hint in (h for h in hints.renames if h.kind == "table"):
        if _table_rename_applies(hint, old, new):
            resolved.tables[hint.old] = hint.new
    back = {new_name: old_name for old_name, new_name in resolved.tables.items()}
    for hint in (h for h in hints.renames if h.kind == "column"):
        old_table = back.get(hint.table, hint.table)
        if _column_rename_applies(hint, old.table_map.get(old_table), new.table_map.get(hint.table)):
            resolved.columns[(old_table, hint.old)] = hint.new
    return resolved


def _hint_error(hint: RenameHint, reason: str) -> MigrationHintError:
    return MigrationHintError(f"{hint.source}: hint '{hint.text}': {reason}. Fix the hint or remove it.")


def _table_rename_applies(hint: RenameHint, old: Snapshot, new: Snapshot) -> bool:
    old_tables, new_tables = old.table_map, new.table_map
    if hint.new not in new_tables:
        raise _hint_error(hint, f"the models define no table {hint.new}")
    if hint.old in new_tables:
        raise _hint_error(hint, f"the models still define table {hint.old}")
    if hint.old in old_tables and hint.new not in old_tables:
        return True
    if hint.new in old_tables and hint.old not in old_tables:
        return False  # applied by an earlier revision
    if hint.old in old_tables:
        raise _hint_error(hint, f"the old schema has both {hint.old} and {hint.new}")
    raise _hint_error(hint, f"the old schema has no table {hint.old}")


def _column_rename_applies(hint: RenameHint, old: TableSnapshot | None, new: TableSnapshot | None) -> bool:
    if new is None:
        raise _hint_error(hint, f"the models define no table {hint.table}")
    if old is None:
        raise _hint_error(hint, f"table {hint.table} is new, so none of its columns was renamed")
    if hint.new not in new.column_map:
        raise _hint_error(hint, f"table {hint.table} has no column {hint.new} in the models")
    if hint.old in new.column_map:
        raise _hint_error(hint, f"table {hint.table} still has a column {hint.old} in the models")
    if hint.old in old.column_map and hint.new not in old.column_map:
        return True
    if hint.new in old.column_map and hint.old not in old.column_map:
        return False  # applied by an earlier revision
    if hint.old in old.column_map:
        raise _hint_error(hint, f"the old table {old.name} has both {hint.old} and {hint.new}")
    raise _hint_error(hint, f"the old table {old.name} has no column {hint.old}")


def check_backfills_and_waivers(hints: MigrationHints, old: Snapshot, new: Snapshot) -> None:
    """A backfill must name a column of the models; a waiver something of either schema."""
    for key in hints.backfills:
        table, _, column = key.partition(".")
        if column not in getattr(new.table_map.get(table), "column_map", {}):
            source = hints.sources.get(f"backfill:{key}", "migration_notes")
            raise MigrationHintError(
                f"{source}: backfill {key!r} names no column of the models. Fix or remove it."
            )
    if not hints.waiver_groups:
        return
    known = _waivable_names(old) | _waivable_names(new)
    for group in hints.waiver_groups:
        if not group & known:
            name = min(group, key=len)
            source = hints.sources.get(f"waiver:{name}", "migration_notes")
            raise MigrationHintError(
                f"{source}: allow_destructive {name!r} names no table, column or enum value of the old or new "
                "schema (once a drop has been released, remove its waiver)."
            )


def _waivable_names(snapshot: Snapshot) -> set[str]:
    names = {"*"}
    for table in snapshot.tables:
        names |= {table.name, f"{table.name}.*", *(f"{table.name}.{c.name}" for c in table.columns)}
        for column in table.columns:
            if column.type.kind == "enum":
                names |= {f"{table.name}.{column.name}.{value}" for value in column.type.values}
                names |= {column.type.name or "", *(f"{column.type.name}.{v}" for v in column.type.values)}
    for enum in snapshot.enums:
        names |= {enum.name, *(f"{enum.name}.{value}" for value in enum.values)}
    return names


# -- applying ------------------------------------------------------------------------------------
def rename_in_snapshot(snapshot: Snapshot, renames: ResolvedRenames) -> Snapshot:
    """``snapshot`` as the database looks right after the renames (foreign keys elsewhere follow,
    indexes and constraints keep their columns), so only the other changes remain to diff."""
    if not renames.tables and not renames.columns:
        return snapshot
    tables = tuple(_renamed_table(table, renames) for table in snapshot.tables)
    return replace(snapshot, tables=tables)


def _renamed_table(table: TableSnapshot, renames: ResolvedRenames) -> TableSnapshot:
    mapping = {old: new for (owner, old), new in renames.columns.items() if owner == table.name}

    def cols(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(mapping.get(name, name) for name in names)

    foreign_keys = tuple(
        replace(
            fk,
            columns=cols(fk.columns),
            referred_table=renames.tables.get(fk.referred_table, fk.referred_table),
            referred_columns=tuple(
                renames.columns.get((fk.referred_table, c), c) for c in fk.referred_columns
            ),
        )
        for fk in table.foreign_keys
    )
    return replace(
        table,
        name=renames.tables.get(table.name, table.name),
        columns=tuple(
            replace(
                column,
                name=mapping.get(column.name, column.name),
                computed=replace(
                    column.computed, sqltext=_rename_identifiers(column.computed.sqltext, mapping)
                )
                if column.computed
                else None,
            )
            for column in table.columns
        ),
        primary_key=replace(table.primary_key, columns=cols(table.primary_key.columns))
        if table.primary_key
        else None,
        foreign_keys=foreign_keys,
        unique_constraints=tuple(replace(uq, columns=cols(uq.columns)) for uq in table.unique_constraints),
        check_constraints=tuple(
            replace(ck, sqltext=_rename_identifiers(ck.sqltext, mapping)) for ck in table.check_constraints
        ),
        indexes=tuple(
            replace(
                ix,
                columns=cols(ix.columns) if not ix.expressions else _renamed_expressions(ix.columns, mapping),
            )
            for ix in table.indexes
        ),
    )


def _renamed_expressions(parts: tuple[str, ...], mapping: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(_rename_identifiers(part, mapping) for part in parts)


def _rename_identifiers(sql: str, mapping: Mapping[str, str]) -> str:
    """Rename column identifiers in SQL text (outside string literals), as the database does."""
    if not mapping:
        return sql
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, mapping)) + r")\b")
    parts = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(
        part if i % 2 else pattern.sub(lambda m: mapping[m.group(1)], part) for i, part in enumerate(parts)
    )


@dataclass(frozen=True)
class RenameSuggestion:
    """An unhinted drop+add pair that looks like a rename. Reported, never applied."""

    kind: str  # "table" or "column"
    table: str  # the table (new name) for a column; the new table for a table
    old: str
    new: str
    score: float
    model: str | None = None

    @property
    def hint(self) -> str:
        phrase = (
            f"renamed table {self.old} to {self.new}"
            if self.kind == "table"
            else f"renamed {self.old} to {self.new}"
        )
        return f"if it is a rename, add {phrase!r} to the migration_notes of {self.model or 'the model'}"

    def to_json(self) -> dict[str, Any]:
        return {
            "op": f"rename_{self.kind}",
            "table": self.table,
            "old": self.old,
            "new": self.new,
            "score": round(self.score, 2),
            "hint": self.hint,
        }


def suggest_renames(changes: Iterable[Change], old: Snapshot, new: Snapshot) -> list[RenameSuggestion]:
    """Similar drop+add pairs: columns of one table (name similarity, same type helps),
    and tables (name and column-set similarity). Each name is used in one suggestion at most."""
    changes = list(changes)
    suggestions: list[RenameSuggestion] = []
    dropped_tables = [c.table for c in changes if c.op == Op.DROP_TABLE and c.table]
    added_tables = [c.table for c in changes if c.op == Op.ADD_TABLE and c.table]
    table_scores = [
        (_table_similarity(old.table_map[d], new.table_map[a]), d, a)
        for d in dropped_tables
        for a in added_tables
    ]
    for score, dropped, added in _greedy(table_scores):
        suggestions.append(
            RenameSuggestion("table", added, dropped, added, score, new.table_map[added].model)
        )
    by_table: dict[str, tuple[list[DropColumn], list[AddColumn]]] = {}
    for change in changes:
        if isinstance(change, DropColumn) and change.table:
            by_table.setdefault(change.table, ([], []))[0].append(change)
        elif isinstance(change, AddColumn) and change.table:
            by_table.setdefault(change.table, ([], []))[1].append(change)
    for table in sorted(by_table):
        drops, adds = by_table[table]
        column_scores = [
            (_column_similarity(d, a), d.column or "", a.column or "") for d in drops for a in adds
        ]
        model = new.table_map[table].model if table in new.table_map else None
        for score, dropped, added in _greedy(column_scores):
            suggestions.append(RenameSuggestion("column", table, dropped, added, score, model))
    return suggestions


def _greedy(scored: list[tuple[float, str, str]]) -> list[tuple[float, str, str]]:
    chosen: list[tuple[float, str, str]] = []
    used_old: set[str] = set()
    used_new: set[str] = set()
    for score, old, new in sorted(scored, key=lambda item: (-item[0], item[1], item[2])):
        if score >= SUGGESTION_THRESHOLD and old not in used_old and new not in used_new:
            chosen.append((score, old, new))
            used_old.add(old)
            used_new.add(new)
    return chosen


def _column_similarity(drop: DropColumn, add: AddColumn) -> float:
    name_score = SequenceMatcher(None, drop.column or "", add.column or "").ratio()
    same_type = drop.definition.type == add.definition.type
    return min(1.0, name_score + (0.2 if same_type else 0.0))


def _table_similarity(old: TableSnapshot, new: TableSnapshot) -> float:
    name_score = SequenceMatcher(None, old.name, new.name).ratio()
    old_columns, new_columns = set(old.column_map), set(new.column_map)
    overlap = len(old_columns & new_columns) / max(1, len(old_columns | new_columns))
    return (name_score + overlap) / 2


@dataclass(frozen=True)
class HintedDiff:
    """The diff with hints applied: changes (renames included), suggestions, and the hints used."""

    changes: tuple[Change, ...]
    suggestions: tuple[RenameSuggestion, ...]
    hints: MigrationHints

    @property
    def message(self) -> str:
        return self.hints.message

    def to_json(self) -> dict[str, Any]:
        """The ``dbkit diff --json`` document."""
        return {
            "changes": [change.to_json() for change in self.changes],
            "suggestions": [suggestion.to_json() for suggestion in self.suggestions],
        }

    def lint(self, **options: Any) -> Verdict:
        """:func:`dbkit.migrate.diff.lint.lint_changes` with this diff's waivers and backfills."""
        waivers = set(self.hints.allow_destructive) | set(options.pop("waivers", ()))
        backfills = {**self.hints.backfills, **(options.pop("backfills", None) or {})}
        return lint_changes(self.changes, waivers=waivers, backfills=backfills, **options)


def apply_hints(
    old: Snapshot,
    new: Snapshot,
    hints: MigrationHints | None = None,
    *,
    options: CompareOptions | None = None,
) -> HintedDiff:
    """Diff ``old`` → ``new`` with rename hints applied (by default those of ``new``'s notes).

    A renamed table or column becomes one ``rename_*`` change followed by whatever else
    changed in it, instead of a drop (data lost) and an add.
    """
    hints = hints if hints is not None else hints_from_snapshot(new)
    renames = resolve_renames(hints, old, new)
    check_backfills_and_waivers(hints, old, new)
    renamed_old = rename_in_snapshot(old, renames)
    options = options or CompareOptions.for_pair(old, new)
    changes = diff_snapshots(renamed_old, new, options)
    rename_changes = [
        RenameTable(table=new_name, old=old_name, new=new_name)
        for old_name, new_name in renames.tables.items()
    ]
    rename_changes += [
        RenameColumn(
            table=renames.tables.get(table, table), column=new_column, old=old_column, new=new_column
        )
        for (table, old_column), new_column in renames.columns.items()
    ]
    rename_changes += _derived_name_renames(old, renamed_old, new)
    ordered = order_changes([*rename_changes, *changes], renamed_old, new)
    return HintedDiff(tuple(ordered), tuple(suggest_renames(ordered, old, new)), hints)


def _derived_name_renames(old: Snapshot, renamed_old: Snapshot, new: Snapshot) -> list[Change]:
    """Names the renames left behind, in every table they touched (renamed, with renamed columns,
    or with foreign keys to either), renamed to the models' names."""
    changes: list[Change] = []
    if renamed_old is old:
        return changes  # no renames
    for before, after in zip(old.tables, renamed_old.tables, strict=True):
        target = new.table_map.get(after.name)
        if target is not None and before != after:
            changes.extend(name_alignments(after, target))
    return changes


__all__ = [
    "STRUCTURED_KEYS",
    "HintedDiff",
    "MigrationHintError",
    "MigrationHints",
    "RenameHint",
    "RenameSuggestion",
    "ResolvedRenames",
    "apply_hints",
    "check_backfills_and_waivers",
    "hints_from_options",
    "hints_from_snapshot",
    "parse_backfill_option",
    "parse_migration_notes",
    "rename_in_snapshot",
    "resolve_renames",
    "suggest_renames",
]
