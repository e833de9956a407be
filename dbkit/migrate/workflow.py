"""The engine's entry points, as the command line and the notebooks use them.

Each function composes the pipeline (codebase → snapshot → changes → hints/lint → operations →
revision → verify) from the modules that own each step, and returns plain data. A SOURCE is a
codebase directory, a snapshot ``.json`` file, or a database URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dbkit.errors import DbkitError

if TYPE_CHECKING:
    from dbkit.migrate.codebase import Codebase
    from dbkit.migrate.hints import HintedDiff, MigrationHints
    from dbkit.migrate.inventory import Inventory
    from dbkit.migrate.lint import Verdict
    from dbkit.migrate.parity import ParityReport
    from dbkit.migrate.revision import WrittenRevision
    from dbkit.migrate.schema import Snapshot
    from dbkit.migrate.verify import VerifyReport

Prefer = Literal["generated", "hand_written"]


class SourceError(DbkitError):
    """A SOURCE argument is neither a codebase directory, a snapshot file nor a database URL."""


class RevisionRefusedError(DbkitError):
    """Lint refused the changes (destructive without a waiver, NOT NULL without a backfill)."""


# -- sources ----------------------------------------------------------------------------------------
def is_database_url(source: str) -> bool:
    return "://" in source


def load(path: str | Path) -> Codebase:
    from dbkit.migrate.codebase import load_codebase

    return load_codebase(path)


def codebase_snapshot(codebase: Codebase, prefer: Prefer = "generated") -> Snapshot:
    """The codebase's target schema: each table from its generated model where one exists and from
    the hand-written model otherwise (``prefer="hand_written"`` flips that, for Phase 1 reviews)."""
    from dbkit.migrate.snapshot import snapshot_from_metadata

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
    return snapshot_from_metadata(tables, notes, models=classes)


def snapshot_of(source: str | Path, prefer: Prefer = "generated") -> Snapshot:
    """The schema of a codebase directory, a snapshot file or a live database."""
    from dbkit.migrate.snapshot import load_snapshot

    text = str(source)
    if is_database_url(text):
        return _reflect(text)
    path = Path(text)
    if path.is_dir():
        return codebase_snapshot(load(path), prefer)
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
    from dbkit.migrate.snapshot import snapshot_from_database

    parsed = normalize_url(url)
    try:
        return snapshot_from_database(parsed)
    except sa.exc.DBAPIError as exc:
        cause = str(exc.orig or exc).strip().splitlines()[0]
        raise DatabaseConnectionError(
            f"Cannot read {parsed.render_as_string(hide_password=True)}: {cause}"
        ) from None


def write_snapshot(source: str | Path, out: Path) -> Path:
    from dbkit.migrate.snapshot import write_snapshot as write

    return write(snapshot_of(source), out)


# -- reviews ------------------------------------------------------------------------------------------
def inventory(path: str | Path) -> Inventory:
    from dbkit.migrate.inventory import inventory as build

    return build(load(path))


def parity(path: str | Path) -> ParityReport:
    from dbkit.migrate.parity import parity as build

    return build(load(path))


def diff(
    old: str | Path | Snapshot, new: str | Path | Snapshot, hints: MigrationHints | None = None
) -> HintedDiff:
    """Changes from OLD to NEW with NEW's ``migration_notes`` hints applied (renames, backfills, waivers)."""
    from dbkit.migrate.hints import apply_hints

    return apply_hints(_as_snapshot(old), _as_snapshot(new), hints)


def _as_snapshot(source: str | Path | Snapshot) -> Snapshot:
    from dbkit.migrate.schema import Snapshot

    return source if isinstance(source, Snapshot) else snapshot_of(source)


def check(source: str | Path, url: str) -> HintedDiff:
    """A live database against the models: what would have to change to make them equal."""
    from dbkit.migrate.hints import MigrationHints

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
    from dbkit.migrate.revision import read_history
    from dbkit.migrate.snapshot import load_snapshot

    if not versions.is_dir():
        return None
    recorded = read_history(versions).head_to_snapshot
    return load_snapshot(recorded) if recorded else None


def _with_accepted_renames(hints: MigrationHints, renames: Iterable[str]) -> MigrationHints:
    """Rename suggestions a reviewer accepted (``"users.fullname->full_name"``) as hints."""
    from dbkit.migrate.hints import RenameHint

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
    from dbkit.migrate.hints import apply_hints, hints_from_snapshot
    from dbkit.migrate.schema import Snapshot as SnapshotClass

    versions = Path(versions_dir)
    new_snapshot = _as_snapshot(new)
    head = _head_snapshot(versions)
    baseline = False
    if head is not None:
        old_snapshot = head
        if from_source is not None:
            from dbkit.migrate.compare import diff_snapshots

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
    )


def write_planned_revision(plan: RevisionPlan, versions_dir: str | Path) -> list[WrittenRevision]:
    """Write the plan (a baseline first when the directory is new); refused plans write nothing."""
    from dbkit.migrate.alembic_ops import operations_for
    from dbkit.migrate.hints import rename_in_snapshot, resolve_renames
    from dbkit.migrate.revision import baseline_ops, write_revision
    from dbkit.migrate.snapshot import dump_snapshot

    if not plan.allowed:
        raise RevisionRefusedError(plan.verdict.message)
    written: list[WrittenRevision] = []
    from_text = dump_snapshot(plan.old)
    if plan.baseline:
        written.append(
            write_revision(
                versions_dir, baseline_ops(from_text), f"baseline: {plan.message}", None, from_text
            )
        )
    if not plan.changes:
        return written
    renamed_old = rename_in_snapshot(plan.old, resolve_renames(plan.diff.hints, plan.old, plan.new))
    upgrade = operations_for(list(plan.changes), renamed_old, plan.new, plan.verdict.plans)
    written.append(write_revision(versions_dir, upgrade, plan.message, from_text, dump_snapshot(plan.new)))
    return written


def revision(
    new: str | Path | Snapshot,
    versions_dir: str | Path,
    *,
    message: str | None = None,
    from_source: str | Path | Snapshot | None = None,
    allow_destructive: bool = False,
    backfills: Mapping[str, str] | None = None,
    accepted_renames: Iterable[str] = (),
) -> list[WrittenRevision]:
    """Plan and write the next revision(s) leading to NEW's schema; see :func:`plan_revision`."""
    plan = plan_revision(
        new,
        versions_dir,
        message=message,
        from_source=from_source,
        allow_destructive=allow_destructive,
        backfills=backfills,
        accepted_renames=accepted_renames,
    )
    return write_planned_revision(plan, versions_dir)


# -- applying ------------------------------------------------------------------------------------------
def verify(versions_dir: str | Path, url: str | None = None, on_step: Any = None) -> VerifyReport:
    from dbkit.migrate.verify import verify as run

    return run(versions_dir, url, on_step=on_step)


def upgrade(versions_dir: str | Path, url: str, to: str = "head", sql: bool = False) -> str | None:
    from dbkit.migrate import runner

    return runner.upgrade(versions_dir, url, to, sql=sql)


def downgrade(versions_dir: str | Path, url: str, to: str) -> None:
    from dbkit.migrate import runner

    runner.downgrade(versions_dir, url, to)


def stamp(versions_dir: str | Path, url: str, to: str | None = None) -> str:
    from dbkit.migrate import runner

    return runner.stamp(versions_dir, url, to)


def history(versions_dir: str | Path) -> str:
    from dbkit.migrate import runner

    lines = []
    heads = set(runner.heads(versions_dir))
    for item in runner.history(versions_dir):
        marker = " (head)" if item.revision in heads else ""
        edited = " [edited by hand]" if item.hash_matches is False else ""
        lines.append(f"{item.down_revision or '<base>'} -> {item.revision}{marker}{edited}, {item.message}")
    return "\n".join(lines) + ("\n" if lines else "")


def current(versions_dir: str | Path, url: str) -> str:
    from dbkit.migrate import runner

    revisions = runner.current(versions_dir, url)
    return ", ".join(revisions) if revisions else "<none: never migrated by Alembic>"
