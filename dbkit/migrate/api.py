"""The engine's entry points, as the command line and the notebooks use them.

Each function composes the pipeline (codebase → snapshot → changes → hints/lint → operations →
revision → verify) from the modules that own each step, and returns plain data. A SOURCE is a
codebase directory, a snapshot ``.json`` file, or a database URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dbkit.errors import DbkitError

if TYPE_CHECKING:
    from alembic.operations import ops

    from dbkit.migrate.codemod.parity_fix import Decision, ParityFixPlan
    from dbkit.migrate.diff.hints import HintedDiff, MigrationHints
    from dbkit.migrate.diff.lint import Verdict
    from dbkit.migrate.revisions.verify import VerifyReport
    from dbkit.migrate.revisions.writer import WrittenRevision
    from dbkit.migrate.schema.snapshot import Snapshot, TableSnapshot
    from dbkit.migrate.source.codebase import Codebase
    from dbkit.migrate.source.inventory import Inventory
    from dbkit.migrate.source.parity import ParityReport

Prefer = Literal["generated", "hand_written"]


class SourceError(DbkitError):
    """A SOURCE argument is neither a codebase directory, a snapshot file nor a database URL."""


class RevisionRefusedError(DbkitError):
    """Lint refused the changes (destructive without a waiver, NOT NULL without a backfill)."""


# -- sources ----------------------------------------------------------------------------------------
def is_database_url(source: str) -> bool:
    return "://" in source


def load(path: str | Path, *, strict: bool = False) -> Codebase:
    """Load a codebase; ``strict`` raises :class:`~dbkit.migrate.source.codebase.CodebaseLoadError` when a
    model file failed to load (a schema missing its tables must not be snapshotted or migrated)."""
    from dbkit.migrate.source.codebase import load_codebase

    codebase = load_codebase(path)
    if strict:
        codebase.raise_for_errors()
    return codebase


def codebase_snapshot(codebase: Codebase, prefer: Prefer = "generated") -> Snapshot:
    """The codebase's target schema: each table from its generated model where one exists and from
    the hand-written model otherwise (``prefer="hand_written"`` flips that, for Phase 1 reviews)."""
    from dbkit.migrate.schema.from_models import snapshot_from_metadata

    generated = codebase.generated_tables()
    hand_written = codebase.hand_written_tables()
    first, second = (generated, hand_written) if prefer == "generated" else (hand_written, generated)
    tables = [
        first.get(name) if name in first else second[name] for name in sorted(first.keys() | second.keys())
    ]
    classes = [*codebase.generated_classes().values()]
    classes += [
        entry.mapped_class for entry in codebase.hand_written.values() if entry.mapped_class is not None
    ]
    notes = {name: getattr(model.model, "migration_notes", None) for name, model in codebase.models.items()}
    snapshot = snapshot_from_metadata(tables, notes, models=classes)
    refuse_unbuildable_schema(snapshot)
    return snapshot


def refuse_unbuildable_schema(snapshot: Snapshot) -> None:
    """Refuse what no database would create as declared: a table or column name over PostgreSQL's
    identifier limit (it would be truncated silently), an index name used twice (index names are
    global to a schema), a foreign key to a table no model defines."""
    from dbkit.errors import ModelDefinitionError, ModelReferenceError
    from dbkit.naming import MAX_IDENTIFIER_BYTES as LIMIT

    index_owners: dict[str, str] = {}
    for table in snapshot.tables:
        names = (("table", table.name), *(("column", column.name) for column in table.columns))
        # at most 4 bytes a character: a short name needs no encoding (this runs for every column)
        for kind, name in names:
            if len(name) * 4 > LIMIT and len(name.encode("utf-8")) > LIMIT:
                raise ModelDefinitionError(
                    f"{_where(table)}: {kind} name {name!r} is {len(name.encode('utf-8'))} bytes; "
                    f"PostgreSQL truncates identifiers to {LIMIT}. Declare a shorter name."
                )
        for index in table.indexes:
            if index.name is None:
                continue
            owner = index_owners.setdefault(index.name, table.name)
            if owner != table.name:
                raise ModelDefinitionError(
                    f"{_where(table)}: index name {index.name!r} is also used on table {owner!r}; index "
                    "names are unique per schema. Rename one of them."
                )
        for key in table.foreign_keys:
            if key.referred_table not in snapshot.table_map:
                raise ModelReferenceError(
                    f"{_where(table)}: foreign key ({', '.join(key.columns)}) references table "
                    f"{key.referred_table!r}, which no model defines. Add its model or fix the reference."
                )


def _where(table: TableSnapshot) -> str:
    return f"{table.model or 'the model'} (table {table.name!r})"


def snapshot_of(source: str | Path, prefer: Prefer = "generated") -> Snapshot:
    """The schema of a codebase directory, a snapshot file or a live database."""
    from dbkit.migrate.schema.documents import load_snapshot

    text = str(source)
    if is_database_url(text):
        return _reflect(text)
    path = Path(text)
    if path.is_dir():
        return codebase_snapshot(load(path, strict=True), prefer)
    if path.is_file() and path.suffix == ".json":
        return load_snapshot(path)
    raise SourceError(
        f"{text}: not a codebase directory, a snapshot .json file or a database URL "
        "(e.g. sqlite:///app.db, postgresql+psycopg://user@host/db)."
    )


def _reflect(url: str) -> Snapshot:
    import sqlalchemy as sa

    from dbkit.errors import DatabaseConnectionError
    from dbkit.manager import normalize_url
    from dbkit.migrate.schema.from_database import snapshot_from_database

    parsed = normalize_url(url)
    shown = parsed.render_as_string(hide_password=True)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(file).is_file():  # reading must not create it
        raise DatabaseConnectionError(f"Cannot read {shown}: no SQLite database file {parsed.database}.")
    try:
        return snapshot_from_database(parsed)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        raise DatabaseConnectionError(
            f"Cannot read {shown}: no driver for {parsed.drivername!r} ({exc}). Use sqlite:///path/app.db "
            "or postgresql+psycopg://user@host/dbname, or install the driver."
        ) from None
    except sa.exc.DBAPIError as exc:
        cause = str(exc.orig or exc).strip().splitlines()[0]
        raise DatabaseConnectionError(f"Cannot read {shown}: {cause}") from None


def write_snapshot(source: str | Path, out: Path) -> Path:
    from dbkit.migrate.schema.documents import write_snapshot as write

    return write(snapshot_of(source), out)


# -- reviews ------------------------------------------------------------------------------------------
def inventory(path: str | Path) -> Inventory:
    from dbkit.migrate.source.inventory import inventory as build

    return build(load(path))


def parity(path: str | Path) -> ParityReport:
    from dbkit.migrate.source.parity import parity as build

    return build(load(path, strict=True))


def plan_parity_fixes(
    codebase: str | Path | Codebase,
    decisions: Mapping[str, Decision] | Decision,
    *,
    tables: Sequence[str] | None = None,
) -> ParityFixPlan:
    """Phase 1 decisions per schema difference: the ``BLL_*.py`` rewrites of the ``"hand-written"``
    ones (a diff, checked), the revision items with lint verdicts of the ``"generated"`` ones."""
    from dbkit.migrate.codemod.parity_fix import plan_parity_fixes as build

    loaded = codebase if not isinstance(codebase, str | Path) else load(codebase, strict=True)
    return build(loaded, decisions, tables=tables)


def diff(
    old: str | Path | Snapshot, new: str | Path | Snapshot, hints: MigrationHints | None = None
) -> HintedDiff:
    """Changes from OLD to NEW with NEW's ``migration_notes`` hints applied (renames, backfills, waivers)."""
    old_snapshot, new_snapshot = snapshots_of(old, new)
    # imported once the workers have been started: they never need it, and it is 0.1 s of work
    from dbkit.migrate.diff.hints import apply_hints

    return apply_hints(old_snapshot, new_snapshot, hints)


def _as_snapshot(source: str | Path | Snapshot) -> Snapshot:
    from dbkit.migrate.schema.snapshot import Snapshot

    return source if isinstance(source, Snapshot) else snapshot_of(source)


def _snapshot_text(source: str) -> str:
    from dbkit.migrate.schema.documents import dump_snapshot

    return dump_snapshot(snapshot_of(source))


def snapshots_of(*sources: str | Path | Snapshot) -> list[Snapshot]:
    """The snapshots of several sources; codebase directories load in parallel processes.

    Loading a codebase is mostly importing it (SQLAlchemy building classes), which one process
    does on one core; two codebases at once take about the time of one. This process loads the
    first directory itself while worker processes load the others and send their snapshots back
    as JSON. The processes never come from forking a multi-threaded caller such as a Jupyter
    kernel (see :mod:`dbkit.migrate.source.parallel`). Where no worker can run (or one fails) the
    rest load here, one after the other, so errors are raised exactly as a sequential load raises
    them: sources are read in order, and the first directory is the first one loaded.
    """
    from dbkit.migrate.schema.documents import load_snapshot
    from dbkit.migrate.schema.snapshot import Snapshot

    def is_directory(source: str | Path | Snapshot) -> bool:
        return not isinstance(source, Snapshot) and Path(str(source)).is_dir()

    first = next((index for index, source in enumerate(sources) if is_directory(source)), None)
    if first is None:  # snapshot files and URLs: no worker to start, nor multiprocessing to import
        return [_as_snapshot(source) for source in sources]
    from dbkit.migrate.source.parallel import run_here_and_in_processes

    later = sources[first + 1 :]
    elsewhere = [str(source) for source in later if is_directory(source)]
    here, texts = run_here_and_in_processes(
        lambda: [_as_snapshot(source) for source in sources[: first + 1]], _snapshot_text, elsewhere
    )
    loaded = dict(zip(elsewhere, texts, strict=True)) if texts is not None else {}
    return [
        *here,
        *(
            load_snapshot(loaded[str(s)])
            if not isinstance(s, Snapshot) and str(s) in loaded
            else _as_snapshot(s)
            for s in later
        ),
    ]


def check(source: str | Path, url: str) -> HintedDiff:
    """A live database against the models: what would have to change to make them equal."""
    from dbkit.migrate.diff.hints import MigrationHints

    return diff(url, source, MigrationHints())


# -- revisions ---------------------------------------------------------------------------------------
@dataclass
class RevisionPlan:
    """Everything a revision will contain, before anything is written."""

    old: Snapshot
    new: Snapshot
    diff: HintedDiff
    verdict: Verdict
    message: str
    baseline: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> tuple[Any, ...]:
        return self.diff.changes

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed


def _head_snapshot(versions: Path) -> Snapshot | None:
    from dbkit.migrate.revisions.history import read_history, single_head
    from dbkit.migrate.schema.documents import load_snapshot

    if not versions.is_dir():
        return None
    history = read_history(versions)
    single_head(history, versions)  # two heads: refuse before planning from nothing
    recorded = history.head_to_snapshot
    return load_snapshot(recorded) if recorded else None


def _with_accepted_renames(hints: MigrationHints, renames: Iterable[str]) -> MigrationHints:
    """Rename suggestions a reviewer accepted (``"users.fullname->full_name"``) as hints."""
    from dbkit.migrate.diff.hints import RenameHint

    accepted = list(renames)
    if not accepted:
        return hints
    extra = []
    for text in accepted:
        old, _, new = text.partition("->")
        table, _, old_column = old.strip().rpartition(".")
        extra.append(RenameHint(kind="column", old=old_column, new=new.strip(), table=table, source="review"))
    from dataclasses import replace

    return replace(hints, renames=(*hints.renames, *extra))


def plan_revision(
    new: str | Path | Snapshot,
    versions_dir: str | Path,
    *,
    message: str | None = None,
    from_source: str | Path | Snapshot | None = None,
    allow_destructive: bool = False,
    backfills: Mapping[str, str] | None = None,
    accepted_renames: Iterable[str] = (),
) -> RevisionPlan:
    """Diff, hints and lint for the next revision; nothing is written."""
    from dbkit.migrate.diff.hints import apply_hints, hints_from_snapshot
    from dbkit.migrate.schema.snapshot import Snapshot as SnapshotClass

    versions = Path(versions_dir)
    new_snapshot = _as_snapshot(new)
    head = _head_snapshot(versions)
    baseline = False
    if head is not None:
        old_snapshot = head
        if from_source is not None:
            from dbkit.migrate.diff.compare import diff_snapshots

            given = _as_snapshot(from_source)
            if diff_snapshots(given, head):
                raise RevisionRefusedError(
                    f"--from {from_source} is not the schema {versions} already leads to; drop --from "
                    "(dbkit reads the head revision's recorded schema) or point --versions elsewhere."
                )
    elif from_source is not None:
        old_snapshot, baseline = _as_snapshot(from_source), True
    else:
        old_snapshot = SnapshotClass(tables=(), enums=())
    _refuse_unknown_backfill_columns(backfills or {}, new_snapshot)
    hints = _with_accepted_renames(hints_from_snapshot(new_snapshot), accepted_renames)
    hinted = apply_hints(old_snapshot, new_snapshot, hints)
    verdict = hinted.lint(
        allow_destructive=allow_destructive, backfills=dict(backfills or {}), snapshot=new_snapshot
    )
    return RevisionPlan(
        old=old_snapshot,
        new=new_snapshot,
        diff=hinted,
        verdict=verdict,
        message=message or hinted.message or "dbkit revision",
        baseline=baseline,
        notes=_skipped_indexes(hinted.changes, old_snapshot if baseline else None),
    )


def _refuse_unknown_backfill_columns(backfills: Mapping[str, str], new: Snapshot) -> None:
    """A ``--backfill TABLE.COLUMN=VALUE`` must name a column of the new schema (a typo is not ignored)."""
    from dbkit.migrate.diff.hints import MigrationHintError

    for target in backfills:
        table_name, _, column = target.rpartition(".")
        table = new.table_map.get(table_name)
        if table is None or column not in {c.name for c in table.columns}:
            raise MigrationHintError(
                f"--backfill {target}: the models have no column {target}. "
                "Name it as TABLE.COLUMN of the new schema."
            )


def _skipped_indexes(changes: Iterable[Any], baseline: Snapshot | None) -> list[str]:
    """An index with no columns is a warning (inventory, parity), never DDL: the revision leaves it
    out with a comment naming it, and diffs never compare it (see the constraints comparator)."""
    from dbkit.migrate.diff.changes import Op

    tables = list(baseline.tables if baseline else ())
    tables += [change.definition for change in changes if change.op == Op.ADD_TABLE]
    return [
        f"index {index.name!r} on table {table.name!r} has no columns: the revision does not create it"
        for table in tables
        for index in table.indexes
        if not index.columns
    ]


def write_planned_revision(
    plan: RevisionPlan, versions_dir: str | Path, *, transactional: bool = False
) -> list[WrittenRevision]:
    """Write the plan (a baseline first when the directory is new); refused plans write nothing.

    The revision's steps are online (safe on a live PostgreSQL table) unless ``transactional``.
    """
    from dbkit.migrate.revisions.table_ops import baseline_ops
    from dbkit.migrate.revisions.writer import write_revision
    from dbkit.migrate.schema.documents import dump_snapshot

    if not plan.allowed:
        raise RevisionRefusedError(plan.verdict.message)
    written: list[WrittenRevision] = []
    from_text = dump_snapshot(plan.old)
    if plan.baseline:
        # Named after what it holds: the plan's message describes the changes, which the baseline
        # does not contain (it is the baseline's own message only when nothing else is written).
        tables = len(plan.old.tables)
        held = f"the existing schema ({tables} table{'s' if tables != 1 else ''})"
        message = f"baseline: {plan.message if not plan.changes else held}"
        written.append(write_revision(versions_dir, baseline_ops(from_text), message, None, from_text))
    if not plan.changes:
        return written
    upgrade = revision_operations(plan)
    to_text = dump_snapshot(plan.new)
    online = not transactional
    written.append(write_revision(versions_dir, upgrade, plan.message, from_text, to_text, online=online))
    return written


def revision_operations(plan: RevisionPlan) -> ops.UpgradeOps:
    """The Alembic operations of the plan's upgrade (after any baseline), as the revision holds them;
    built for a refused plan too, so a review can show what it would run once the refusals are resolved."""
    from dbkit.migrate.diff.hints import rename_in_snapshot, resolve_renames
    from dbkit.migrate.revisions.operations import operations_for

    renamed_old = rename_in_snapshot(plan.old, resolve_renames(plan.diff.hints, plan.old, plan.new))
    return operations_for(list(plan.changes), renamed_old, plan.new, plan.verdict.plans)


def revision(
    new: str | Path | Snapshot,
    versions_dir: str | Path,
    *,
    message: str | None = None,
    from_source: str | Path | Snapshot | None = None,
    allow_destructive: bool = False,
    backfills: Mapping[str, str] | None = None,
    accepted_renames: Iterable[str] = (),
    transactional: bool = False,
) -> list[WrittenRevision]:
    """Plan and write the next revision(s) leading to NEW's schema; see :func:`plan_revision`.

    ``transactional``: one transaction of plain DDL instead of online steps (see the README)."""
    plan = plan_revision(
        new,
        versions_dir,
        message=message,
        from_source=from_source,
        allow_destructive=allow_destructive,
        backfills=backfills,
        accepted_renames=accepted_renames,
    )
    return write_planned_revision(plan, versions_dir, transactional=transactional)


# -- applying ------------------------------------------------------------------------------------------
def verify(versions_dir: str | Path, url: str | None = None, on_step: Any = None) -> VerifyReport:
    from dbkit.migrate.revisions.verify import verify as run

    return run(versions_dir, url, on_step=on_step)


def upgrade(
    versions_dir: str | Path,
    url: str,
    to: str = "head",
    sql: bool = False,
    *,
    lock_timeout: float | None = None,
    on_lock_retry: Any = None,
    on_progress: Any = None,
) -> str | None:
    """Apply revisions; online steps ask for each lock for at most ``lock_timeout`` seconds (default
    0.2) and retry with backoff, calling ``on_lock_retry(retry)`` each time; ``on_progress(line)``
    hears each batch of a backfill."""
    from dbkit.migrate.revisions import runner
    from dbkit.migrate.revisions.locks import LockPolicy

    policy = LockPolicy(on_retry=on_lock_retry, on_progress=on_progress)
    if lock_timeout is not None:
        policy.lock_timeout = lock_timeout
    return runner.upgrade(versions_dir, url, to, sql=sql, lock_policy=policy)


def downgrade(
    versions_dir: str | Path,
    url: str,
    to: str,
    *,
    lock_timeout: float | None = None,
    on_lock_retry: Any = None,
) -> None:
    """Revert revisions; online steps take their locks as in :func:`upgrade`."""
    from dbkit.migrate.revisions import runner
    from dbkit.migrate.revisions.locks import LockPolicy

    policy = LockPolicy(on_retry=on_lock_retry, on_progress=on_lock_retry)
    if lock_timeout is not None:
        policy.lock_timeout = lock_timeout
    runner.downgrade(versions_dir, url, to, lock_policy=policy)


def stamp(versions_dir: str | Path, url: str, to: str | None = None) -> str:
    from dbkit.migrate.revisions import runner

    return runner.stamp(versions_dir, url, to)


def history(versions_dir: str | Path) -> str:
    from dbkit.migrate.revisions import runner

    lines = []
    heads = set(runner.heads(versions_dir))
    for item in runner.history(versions_dir):
        marker = " (head)" if item.revision in heads else ""
        edited = " [edited by hand]" if item.hash_matches is False else ""
        lines.append(f"{item.down_revision or '<base>'} -> {item.revision}{marker}{edited}, {item.message}")
    return "\n".join(lines) + ("\n" if lines else "")


def current(versions_dir: str | Path, url: str) -> str:
    from dbkit.migrate.revisions import runner

    revisions = runner.current(versions_dir, url)
    return ", ".join(revisions) if revisions else "<none: never migrated by Alembic>"
