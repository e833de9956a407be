"""Changes → risks, refusals, backfill plans and PostgreSQL lock warnings.

Every change has a :class:`Risk`: ``safe``; ``data_dependent`` (succeeds or not depending on the
rows: NOT NULL added without a server default, nullable → NOT NULL, a new unique/check/foreign
key, a type that narrows or converts); ``destructive`` (loses data: a dropped table or column,
a removed enum member); ``backward_incompatible`` (old code breaks: renames).

:func:`lint_changes` turns a change list into a :class:`Verdict`: destructive changes are
refused unless allowed (``--allow-destructive`` or a waiver in ``migration_notes``), a NOT
NULL column added without a server default is refused until a backfill value is given, and on
PostgreSQL, operations that lock a large table are flagged with their safe form.

Pure Python: this module runs on the ``dbkit diff`` fast path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dbkit.migrate.diff.changes import AddColumn, AddIndex, AlterColumn, Change, DropEnumValue, Op
from dbkit.migrate.diff.risk import Risk, is_widening, needs_backfill, rewrites_table
from dbkit.migrate.schema.snapshot import POSTGRESQL

if TYPE_CHECKING:
    from dbkit.migrate.schema.snapshot import Snapshot


#: Tables with at least this many rows are "large" for PostgreSQL lock warnings.
LARGE_TABLE_ROWS = 100_000


# -- plans and warnings ---------------------------------------------------------------------------
_CONSTANT = re.compile(
    r"^(?:'(?:[^']|'')*'|[+-]?\d+(?:\.\d+)?|true|false|null|current_timestamp|current_date|current_time)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BackfillPlan:
    """How existing rows get a value for a column that becomes NOT NULL.

    ``strategy``: ``server_default`` (the column's own default fills them; nothing to do),
    ``temporary_default`` (add the column NOT NULL with ``value`` as server default, then
    drop that default so the schema equals the models), ``nullable_then_backfill`` (add it
    nullable, ``UPDATE`` existing rows to ``value``, then ``SET NOT NULL``: used when ``value``
    is an expression over other columns, which a default cannot be), or ``fill_nulls``
    (an existing column made NOT NULL: ``UPDATE ... WHERE col IS NULL`` first).
    """

    table: str
    column: str
    strategy: str
    value: str | None
    steps: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "strategy": self.strategy,
            "value": self.value,
            "steps": list(self.steps),
        }


#: What a change does to the table's rows: nothing but the catalog, reads them all, or writes them all again.
EFFECTS = ("metadata", "scan", "rewrite")


@dataclass(frozen=True)
class LockRisk:
    """The PostgreSQL lock a change takes, in both forms, and on a large table the problem and its fix.

    ``lock``/``effect``: the transactional form (plain DDL, one transaction), held for the whole
    ``effect`` (``metadata``: an instant; ``scan``: reads every row; ``rewrite``: writes the table
    again). ``online_lock``/``online_effect``: the longest-held lock of dbkit's online form (its
    brief ACCESS EXCLUSIVE steps, if any, are bounded by ``lock_timeout`` and retried).
    ``estimated_rows``: ``pg_class.reltuples`` when a database was given, else ``None``.
    ``problem``/``safe_form``: set when the table is large enough to stall the application.
    """

    table: str
    column: str | None
    op: str
    rows: int
    problem: str
    safe_form: str
    lock: str = ""
    effect: str = "metadata"
    online_lock: str = ""
    online_effect: str = "metadata"
    estimated_rows: int | None = None

    def to_json(self) -> dict[str, Any]:
        keys = (
            "table",
            "column",
            "op",
            "rows",
            "problem",
            "safe_form",
            "lock",
            "effect",
            "online_lock",
            "online_effect",
            "estimated_rows",
        )
        return {key: getattr(self, key) for key in keys}

    def phrase(self, *, online: bool = False) -> str:
        """As a reviewer reads it: "rewrites `events` (≈2.0M rows) under ACCESS EXCLUSIVE"."""
        lock, effect = (self.online_lock, self.online_effect) if online else (self.lock, self.effect)
        verb = {"metadata": "changes only the catalog of", "scan": "scans", "rewrite": "rewrites"}[effect]
        rows = f" (≈{_rows_text(self.estimated_rows)} rows)" if self.estimated_rows is not None else ""
        return f"{verb} `{self.table}`{rows} under {lock}"


def _rows_text(rows: int) -> str:
    for size, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if rows >= size:
            return f"{rows / size:.1f}{unit}"
    return str(rows)


@dataclass(frozen=True)
class Finding:
    """What lint says about one change."""

    change: Change
    refusal: str | None = None
    plan: BackfillPlan | None = None
    lock_risks: tuple[LockRisk, ...] = ()
    #: The PostgreSQL lock the change takes (every change that locks a table, whatever its size).
    lock: LockRisk | None = None
    #: Why running code breaks when this change lands alone, and how to stage it (expand/contract).
    breaks_running_code: str | None = None

    @property
    def risk(self) -> Risk:
        return self.change.risk

    def review_lines(self) -> list[str]:
        """What a reviewer reads under the change: the lock in each form, and what breaks running code."""
        lines = []
        if self.lock is not None:
            online = self.lock.phrase(online=True)
            same = online == self.lock.phrase()
            lines.append(f"PostgreSQL: {self.lock.phrase()}; online: {'the same' if same else online}")
        if self.breaks_running_code:
            lines.append(f"breaks running code: {self.breaks_running_code}")
        return lines


@dataclass(frozen=True)
class Verdict:
    """The lint result: ``allowed`` unless some finding was refused; ``message`` says why and what to do."""

    findings: tuple[Finding, ...] = ()

    @property
    def refusals(self) -> tuple[str, ...]:
        return tuple(f.refusal for f in self.findings if f.refusal)

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def message(self) -> str:
        if self.allowed:
            return "No change is refused."
        count = len(self.refusals)
        header = f"Refused: {count} change{'s' if count > 1 else ''} cannot be applied as they stand."
        return "\n".join([header, *(f"- {text}" for text in self.refusals)])

    @property
    def plans(self) -> tuple[BackfillPlan, ...]:
        return tuple(f.plan for f in self.findings if f.plan)

    @property
    def lock_risks(self) -> tuple[LockRisk, ...]:
        return tuple(risk for f in self.findings for risk in f.lock_risks)

    @property
    def locks(self) -> tuple[LockRisk, ...]:
        """The lock of every change that takes one, in change order."""
        return tuple(f.lock for f in self.findings if f.lock is not None)

    @property
    def breaks_running_code(self) -> tuple[str, ...]:
        return tuple(f.breaks_running_code for f in self.findings if f.breaks_running_code)

    def by_risk(self) -> dict[Risk, list[Change]]:
        grouped: dict[Risk, list[Change]] = {risk: [] for risk in Risk}
        for finding in self.findings:
            grouped[finding.risk].append(finding.change)
        return grouped

    def to_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "refusals": list(self.refusals),
            "plans": [plan.to_json() for plan in self.plans],
            "lock_risks": [risk.to_json() for risk in self.lock_risks],
            "locks": [lock.to_json() for lock in self.locks],
            "breaks_running_code": list(self.breaks_running_code),
            "risks": {str(risk): len(changes) for risk, changes in self.by_risk().items()},
        }


def lint_changes(
    changes: Iterable[Change],
    *,
    allow_destructive: bool = False,
    waivers: Iterable[str] = (),
    backfills: Mapping[str, str] | None = None,
    dialect: str | None = None,
    row_counts: Mapping[str, int] | None = None,
    large_table_rows: int = LARGE_TABLE_ROWS,
    snapshot: Snapshot | None = None,
) -> Verdict:
    """Judge ``changes`` for a revision.

    ``waivers`` name what may be destroyed (``table``, ``table.column``, ``enum`` or
    ``enum.value``); ``backfills`` map ``table.column`` → an SQL value for existing rows;
    ``row_counts`` (table → rows) with ``dialect="postgresql"`` enables lock warnings;
    ``snapshot`` (the new schema) lets messages name each table's model.
    """
    waived = set(waivers)
    fills = dict(backfills or {})
    models = {t.name: t.model for t in snapshot.tables if t.model} if snapshot else {}
    counts = dict(row_counts or {})
    findings = []
    for change in changes:
        refusal = None
        if change.risk == Risk.DESTRUCTIVE and not allow_destructive and not _is_waived(change, waived):
            refusal = _destructive_refusal(change, models)
        plan = _backfill_plan(change, fills)
        if plan is None and isinstance(change, AddColumn) and needs_backfill(change.definition):
            refusal = _backfill_refusal(change, models)
        rows = counts.get(change.table or "", 0)
        lock = lock_of(change, plan, counts.get(change.table or "") if counts else None)
        lock_risks = (
            tuple(replace(risk, **_lock_fields(lock)) for risk in _lock_risks(change, plan, rows))
            if dialect == POSTGRESQL and rows >= large_table_rows
            else ()
        )
        findings.append(Finding(change, refusal, plan, lock_risks, lock, breaks_running_code(change)))
    return Verdict(tuple(findings))


def waiver_names(change: Change) -> set[str]:
    """The names a waiver may use for ``change``: ``table``, ``table.column``, ``enum``, ``enum.value``."""
    if isinstance(change, DropEnumValue):
        names = {change.enum, f"{change.enum}.{change.value}"}
        return names | ({change.target, f"{change.table}.*"} if change.table else set())
    return {change.target, f"{change.table}.*"} if change.column else {change.target}


def _is_waived(change: Change, waived: set[str]) -> bool:
    return "*" in waived or bool(waiver_names(change) & waived)


def _model_hint(table: str | None, models: Mapping[str, str]) -> str:
    model = models.get(table or "")
    return f"the migration_notes of {model}" if model else "the model's migration_notes"


def _destructive_refusal(change: Change, models: Mapping[str, str]) -> str:
    if isinstance(change, DropEnumValue):
        what = f"remove value {change.value!r} from enum {change.enum} (rows holding it cannot be kept)"
        waiver = f"{change.enum}.{change.value}"
    else:
        what = {
            Op.DROP_TABLE: f"drop table {change.table} (every row in it is lost)",
            Op.DROP_COLUMN: f"drop column {change.target} (its values are lost)",
        }[change.op]
        waiver = change.target
    return (
        f"Destructive change refused: {what}. If it is intended, pass --allow-destructive, or add "
        f'{{"allow_destructive": ["{waiver}"]}} to {_model_hint(change.table, models)}. '
        "If it is really a rename, add a rename hint instead."
    )


def _backfill_refusal(change: Change, models: Mapping[str, str]) -> str:
    return (
        f"Column {change.target} is added as NOT NULL without a server default, so existing rows of "
        f"{change.table} need a value. Give one with --backfill {change.target}=VALUE (an SQL value, e.g. "
        f"--backfill {change.target}=\"'unknown'\"), or add "
        f'{{"backfill": {{"{change.target}": "VALUE"}}}} to {_model_hint(change.table, models)}, '
        "or give the column a server_default, or make it nullable."
    )


def _backfill_plan(change: Change, fills: Mapping[str, str]) -> BackfillPlan | None:
    table, column = change.table or "", change.column or ""
    if isinstance(change, AddColumn) and not change.definition.nullable:
        default = change.definition.server_default
        if default:
            return BackfillPlan(
                table, column, "server_default", default, (f"add {change.target} NOT NULL DEFAULT {default}",)
            )
        if change.target not in fills:
            return None
        value = fills[change.target]
        if _CONSTANT.match(value.strip()):
            return BackfillPlan(
                table,
                column,
                "temporary_default",
                value,
                (
                    f"add {change.target} NOT NULL with temporary server default {value} (fills existing rows)",
                    f"drop the temporary server default of {change.target}",
                ),
            )
        return BackfillPlan(
            table,
            column,
            "nullable_then_backfill",
            value,
            (
                f"add {change.target} as nullable",
                f"UPDATE {table} SET {column} = {value}",
                f"set {change.target} NOT NULL",
            ),
        )
    nullable = change.nullable if isinstance(change, AlterColumn) else None
    if nullable is not None and nullable.old and not nullable.new and change.target in fills:
        value = fills[change.target]
        return BackfillPlan(
            table,
            column,
            "fill_nulls",
            value,
            (
                f"UPDATE {table} SET {column} = {value} WHERE {column} IS NULL",
                f"set {change.target} NOT NULL",
            ),
        )
    return None


def _lock_risks(change: Change, plan: BackfillPlan | None, rows: int) -> tuple[LockRisk, ...]:
    table, column, op = change.table or "", change.column, str(change.op)
    found: list[LockRisk] = []

    def flag(problem: str, safe_form: str) -> None:
        found.append(LockRisk(table, column, op, rows, problem, safe_form))

    if isinstance(change, AddIndex):
        flag(
            "CREATE INDEX blocks every write to the table while it builds.",
            f"CREATE INDEX CONCURRENTLY {change.definition.name or ''} (op.create_index(..., postgresql_concurrently=True) "
            "inside op.get_context().autocommit_block()).",
        )
    elif op == "add_unique":
        flag(
            "ADD CONSTRAINT ... UNIQUE builds its index under a lock that blocks writes.",
            "CREATE UNIQUE INDEX CONCURRENTLY, then ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX.",
        )
    elif op in ("add_foreign_key", "add_check"):
        flag(
            "Adding the constraint scans the whole table while holding a lock.",
            "ADD CONSTRAINT ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later step.",
        )
    elif isinstance(change, AlterColumn):
        if change.type is not None and rewrites_table(change.type.old, change.type.new):
            flag(
                "This type change rewrites the whole table under an ACCESS EXCLUSIVE lock.",
                "Add a new column of the new type, backfill it in batches, switch the code to it, "
                "then drop the old column.",
            )
        nullable = change.nullable
        if nullable is not None and nullable.old and not nullable.new:
            flag(
                "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock.",
                f"ADD CONSTRAINT ... CHECK ({column} IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT; then SET NOT NULL "
                "(PostgreSQL 12+ skips the scan thanks to the valid check) and drop the check.",
            )
    if plan is not None and plan.strategy in ("nullable_then_backfill", "fill_nulls"):
        flag(
            "The backfill UPDATE rewrites every row in one transaction.",
            "Backfill in batches (UPDATE ... WHERE id IN (...)) before setting NOT NULL.",
        )
    return tuple(found)


# -- the lock each change takes (PostgreSQL's ALTER TABLE / CREATE INDEX documentation) ------------
AE, SUE, SRE, SHARE = "ACCESS EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE"

#: op → (lock, effect) of the transactional form, and of the online form.
_LOCKS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "drop_table": ((AE, "metadata"), (AE, "metadata")),
    "rename_table": ((AE, "metadata"), (AE, "metadata")),
    "add_column": ((AE, "metadata"), (AE, "metadata")),
    "drop_column": ((AE, "metadata"), (AE, "metadata")),
    "rename_column": ((AE, "metadata"), (AE, "metadata")),
    "rename_constraint": ((AE, "metadata"), (AE, "metadata")),
    "alter_primary_key": ((AE, "scan"), (AE, "scan")),
    "add_index": ((SHARE, "scan"), (SUE, "scan")),
    "drop_index": ((AE, "metadata"), (SUE, "metadata")),
    "add_unique": ((AE, "scan"), (SUE, "scan")),
    "drop_unique": ((AE, "metadata"), (AE, "metadata")),
    "add_check": ((AE, "scan"), (SUE, "scan")),
    "drop_check": ((AE, "metadata"), (AE, "metadata")),
    "add_foreign_key": ((SRE, "scan"), (SUE, "scan")),
    "drop_foreign_key": ((AE, "metadata"), (AE, "metadata")),
    "drop_enum_value": ((AE, "rewrite"), (AE, "rewrite")),
    "alter_table_comment": ((SUE, "metadata"), (SUE, "metadata")),
}
#: Volatile defaults: each row gets its own value, so ADD COLUMN rewrites the table. ``now()`` and
#: ``CURRENT_TIMESTAMP`` are stable, not volatile: measured metadata-only on PostgreSQL 18.
_VOLATILE_DEFAULT = re.compile(
    r"\b(random|gen_random_uuid|uuid_generate_v\w*|nextval|clock_timestamp|timeofday)\s*\(", re.IGNORECASE
)


def lock_of(
    change: Change, plan: BackfillPlan | None = None, estimated_rows: int | None = None
) -> LockRisk | None:
    """The PostgreSQL lock ``change`` takes in each form (``None``: a new table, or no table lock)."""
    forms = _LOCKS.get(str(change.op))
    if isinstance(change, AddColumn):
        forms = _add_column_forms(change, plan)
    elif isinstance(change, AlterColumn):
        forms = _alter_column_forms(change)
    if forms is None or change.table is None:
        return None
    (lock, effect), (online_lock, online_effect) = forms
    return LockRisk(
        change.table,
        change.column,
        str(change.op),
        estimated_rows or 0,
        "",
        "",
        lock=lock,
        effect=effect,
        online_lock=online_lock,
        online_effect=online_effect,
        estimated_rows=estimated_rows,
    )


def _add_column_forms(
    change: AddColumn, plan: BackfillPlan | None
) -> tuple[tuple[str, str], tuple[str, str]]:
    column = change.definition
    default = column.server_default or (plan.value if plan and plan.strategy == "temporary_default" else None)
    if column.identity or column.computed or (default and _VOLATILE_DEFAULT.search(default)):
        return (AE, "rewrite"), (AE, "rewrite")  # every row gets its own value: the table is written again
    if plan is not None and plan.strategy == "nullable_then_backfill":
        # transactional: the UPDATE writes every row in the ADD COLUMN's transaction; online: in
        # primary-key batches of their own, under the ROW EXCLUSIVE lock writers take too
        return (AE, "rewrite"), ("ROW EXCLUSIVE", "rewrite")
    return (AE, "metadata"), (AE, "metadata")  # nullable, or a constant default (PostgreSQL 11+)


def _alter_column_forms(change: AlterColumn) -> tuple[tuple[str, str], tuple[str, str]]:
    if change.type is not None and rewrites_table(change.type.old, change.type.new):
        return (AE, "rewrite"), (AE, "rewrite")
    if change.nullable is not None and change.nullable.old and not change.nullable.new:
        return (AE, "scan"), (SUE, "scan")  # online: a validated CHECK proves it, SET NOT NULL skips the scan
    return (AE, "metadata"), (AE, "metadata")


def _lock_fields(lock: LockRisk | None) -> dict[str, Any]:
    if lock is None:
        return {}
    keys = ("lock", "effect", "online_lock", "online_effect", "estimated_rows")
    return {key: getattr(lock, key) for key in keys}


def breaks_running_code(change: Change) -> str | None:
    """For a rename or an incompatible type change: what breaks in code deployed before it, and how to
    stage it instead (expand/contract; dbkit does not write the staging)."""
    op = str(change.op)
    if op == "rename_column":
        return (
            f"Renaming {change.table}.{getattr(change, 'old', '')} breaks running code that still uses the old name. "
            "Stage it: add the new column, write both (trigger or code), backfill in batches, switch reads, "
            "then drop the old column in a later revision."
        )
    if op == "rename_table":
        return (
            f"Renaming table {getattr(change, 'old', change.table)} breaks running code that still uses the old "
            "name. Stage it: rename, and create a view with the old name for the old code; drop the view "
            "once no deployed code uses it."
        )
    if (
        isinstance(change, AlterColumn)
        and change.type is not None
        and not is_widening(change.type.old, change.type.new)
    ):
        return (
            f"Changing {change.target} from {change.type.old.kind} to {change.type.new.kind} breaks running code "
            "that writes the old type, and rewrites the table. Stage it: add a column of the new type, "
            "write both, backfill in batches, switch reads, then drop the old column."
        )
    return None


def table_row_estimates(url: str) -> dict[str, int]:
    """``pg_class.reltuples`` of each table of a PostgreSQL database (an estimate, refreshed by
    ANALYZE and autovacuum; a never-analysed table counts as 0). Empty for other databases."""
    import sqlalchemy as sa

    from dbkit.manager import normalize_url

    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    try:
        if engine.dialect.name != POSTGRESQL:
            return {}
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()"
                )
            ).all()
        return {name: max(0, int(tuples)) for name, tuples in rows}
    finally:
        engine.dispose()


__all__ = [
    "LARGE_TABLE_ROWS",
    "BackfillPlan",
    "Finding",
    "LockRisk",
    "Verdict",
    "breaks_running_code",
    "lint_changes",
    "lock_of",
    "table_row_estimates",
    "waiver_names",
]
