"""What a reviewer of a schema change reads, gathered once for every form of the report.

:func:`build_review` runs the engine (the api facade: diff, hints, lint, the revision plan, its
operations, ``verify``) and keeps plain results in a :class:`Review`; the HTML page
(:mod:`dbkit.notebook.report`) and the pull-request comment (:mod:`dbkit.notebook.report_markdown`)
only render it, so the two forms never disagree.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dbkit.errors import DbkitError
from dbkit.notebook.revision_sql import OperationSQL, revision_sql

if TYPE_CHECKING:
    from dbkit.migrate.api import RevisionPlan
    from dbkit.migrate.diff.hints import HintedDiff
    from dbkit.migrate.diff.lint import Verdict
    from dbkit.migrate.revisions.verify import VerifyReport
    from dbkit.migrate.schema.snapshot import Snapshot
    from dbkit.migrate.source.codebase import Codebase
    from dbkit.migrate.source.inventory import Inventory
    from dbkit.migrate.source.parity import ParityReport


DIALECT_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: Said when no change takes a PostgreSQL lock worth a line and none breaks running code.
NO_LOCKS = "Lint found no PostgreSQL lock to review and no change that breaks running code."
LOCK_COLUMNS = [
    "table",
    "change",
    "target",
    "PostgreSQL",
    "online form",
    "estimated rows",
    "breaks running code",
]
LARGE_TABLE_COLUMNS = ["table", "column", "op", "rows", "problem", "safe form"]


def lock_rows(verdict: Verdict) -> list[dict[str, object]]:
    """Per change that locks a table or breaks running code, what lint says (its ``Finding.lock``
    in both forms, with ``pg_class.reltuples`` rows when known, and ``breaks_running_code``)."""
    rows: list[dict[str, object]] = []
    for finding in verdict.findings:
        lock = finding.lock
        if lock is None and not finding.breaks_running_code:
            continue
        change = finding.change
        rows.append(
            {
                "table": change.table or "",
                "change": str(change.op),
                "target": change.target,
                "PostgreSQL": lock.phrase() if lock else "",
                "online form": lock.phrase(online=True) if lock else "",
                "estimated rows": "" if lock is None or lock.estimated_rows is None else lock.estimated_rows,
                "breaks running code": finding.breaks_running_code or "",
            }
        )
    return rows


def rows_note(review: Review) -> str:
    """Where lint's row counts come from, or how to give it some."""
    if review.rows_from:
        return f"Estimated rows: {review.rows_from}."
    return (
        "No row estimates: give a PostgreSQL database as PATH or --url for pg_class.reltuples, and lint "
        "then also flags the operations that would stall large tables."
    )


def large_table_rows(verdict: Verdict) -> list[dict[str, object]]:
    """Lint's warnings for large tables: the operation that would stall them, and its safe form."""
    return [
        {
            "table": risk.table,
            "column": risk.column or "",
            "op": risk.op,
            "rows": risk.rows,
            "problem": risk.problem,
            "safe form": risk.safe_form,
        }
        for risk in verdict.lock_risks
    ]


class ReviewError(DbkitError):
    """The report's arguments do not fit together (e.g. ``--url`` without anything to verify)."""


@dataclass(frozen=True)
class Review:
    """Everything the report shows; ``plan`` and what follows from it only when there is a target."""

    title: str
    #: The schema of PATH (``old``) and, given a target, the target's.
    old: Snapshot
    new: Snapshot | None = None
    #: The codebase the inventory and parity describe (the target's when it is one, else PATH's).
    reviewed: str | None = None
    inventory: Inventory | None = None
    parity: ParityReport | None = None
    plan: RevisionPlan | None = None
    #: The plan's verdict, judged again with the tables' estimated rows when a PostgreSQL database
    #: was given (PATH or ``--url``): then lint also names the operations that stall large tables.
    lint: Verdict | None = None
    #: Where the row estimates came from (empty: none were read).
    rows_from: str = ""
    sql: tuple[OperationSQL, ...] = ()
    verify: VerifyReport | None = None
    #: Why ``verify`` did not run although ``--url`` was given (a refused plan writes nothing).
    verify_skipped: str = ""

    @property
    def diff(self) -> HintedDiff | None:
        return self.plan.diff if self.plan else None

    @property
    def verdict(self) -> Verdict | None:
        return self.lint or (self.plan.verdict if self.plan else None)

    @property
    def refused(self) -> bool:
        """Whether ``dbkit revision`` would refuse this change (the command's exit status says so too)."""
        return self.plan is not None and not self.plan.allowed

    @property
    def verdict_summary(self) -> str:
        """One sentence: would ``revision`` write it, and if not, how many refusals."""
        if self.plan is None:
            return (
                "No target given: this report describes the codebase only (pass --target to review a change)."
            )
        if not self.plan.changes:
            return "No schema change: `dbkit revision` has nothing to write."
        count = len(self.plan.changes)
        changes = f"{count} change{'s' if count != 1 else ''}"
        if self.refused:
            refusals = len(self.plan.verdict.refusals)
            return (
                f"Refused: `dbkit revision` would not write this revision ({changes}, "
                f"{refusals} refused). Each refusal below says what to do."
            )
        failed = self.verify is not None and not self.verify.passed
        tail = " but `verify` failed on a scratch copy: see below." if failed else "."
        return f"Accepted: `dbkit revision` would write this revision ({changes}){tail}"


def build_review(
    path: str | Path,
    *,
    target: str | Path | None = None,
    versions: str | Path | None = None,
    url: str | None = None,
    title: str | None = None,
) -> Review:
    """Review PATH (a codebase, a snapshot ``.json`` or a database URL), or the change from it to ``target``.

    ``versions``: plan the revision ``dbkit revision`` would add to that directory (its head must
    be PATH's schema); ``url``: run ``verify`` on a scratch copy of that database with the planned
    revision added (the database itself is never touched).
    """
    from dbkit.migrate import api

    if target is None and (versions is not None or url is not None):
        raise ReviewError("--versions and --url review a change: give the change's schema with --target NEW.")
    reviewed = _reviewed_codebase(path, target)
    codebase = api.load(reviewed) if reviewed else None
    if codebase is not None and target is not None:
        codebase.raise_for_errors()  # a diff from a schema missing tables would be wrong
    old = _schema(path, codebase if reviewed == str(path) else None)
    heading = title or f"dbkit report: {_name(target if target is not None else path)}"
    inventory, parity = _codebase_reviews(codebase)
    if target is None:
        return Review(heading, old, reviewed=reviewed, inventory=inventory, parity=parity)
    new = _schema(target, codebase if reviewed == str(target) else None)
    plan = _plan(old, new, versions)
    lint, rows_from = _lint_with_rows(plan, path, url)
    verify, skipped = _verify(plan, versions, url) if url else (None, "")
    return Review(
        heading,
        old,
        new,
        reviewed=reviewed,
        inventory=inventory,
        parity=parity,
        plan=plan,
        lint=lint,
        rows_from=rows_from,
        sql=revision_sql(plan),
        verify=verify,
        verify_skipped=skipped,
    )


def _reviewed_codebase(path: str | Path, target: str | Path | None) -> str | None:
    for source in (target, path):
        if source is not None and Path(str(source)).is_dir():
            return str(source)
    return None


def _name(source: str | Path) -> str:
    from dbkit.migrate.api import is_database_url

    text = str(source)
    if is_database_url(text):
        from dbkit.manager import normalize_url

        return normalize_url(text).render_as_string(hide_password=True)
    return Path(text).resolve().name


def _schema(source: str | Path, codebase: Codebase | None) -> Snapshot:
    from dbkit.migrate import api

    return api.codebase_snapshot(codebase) if codebase is not None else api.snapshot_of(source)


def _codebase_reviews(codebase: Codebase | None) -> tuple[Inventory | None, ParityReport | None]:
    if codebase is None:
        return None, None
    from dbkit.migrate.source.inventory import inventory
    from dbkit.migrate.source.parity import parity

    return inventory(codebase), parity(codebase) if not codebase.errors else None


def _plan(old: Snapshot, new: Snapshot, versions: str | Path | None) -> RevisionPlan:
    """``revision``'s plan: on top of ``versions``' head, or (no directory) from PATH's schema as a baseline."""
    from dbkit.migrate import api

    if versions is not None:
        return api.plan_revision(new, Path(versions), from_source=old)
    with tempfile.TemporaryDirectory(prefix="dbkit-report-") as empty:
        return api.plan_revision(new, Path(empty) / "versions", from_source=old)


def _lint_with_rows(plan: RevisionPlan, path: str | Path, url: str | None) -> tuple[Verdict | None, str]:
    """The plan judged with ``pg_class.reltuples`` of PATH's database, else of ``--url``'s (PostgreSQL only)."""
    from dbkit.migrate.api import is_database_url
    from dbkit.migrate.diff.lint import table_row_estimates
    from dbkit.migrate.schema.snapshot import POSTGRESQL

    source = str(path) if is_database_url(str(path)) else url
    if source is None:
        return None, ""
    estimates = table_row_estimates(source)
    if not estimates:  # not PostgreSQL: lint has no row estimates to add
        return None, ""
    verdict = plan.diff.lint(snapshot=plan.new, row_counts=estimates, dialect=POSTGRESQL)
    return verdict, f"pg_class.reltuples of {_name(source)}"


def _verify(plan: RevisionPlan, versions: str | Path | None, url: str) -> tuple[VerifyReport | None, str]:
    """``verify`` on a scratch copy of ``url``, over a copy of ``versions`` with the planned revision added."""
    from dbkit.migrate import api

    if not plan.allowed:
        return (
            None,
            "verify did not run: `dbkit revision` refuses this change, so there is no revision to run.",
        )
    with tempfile.TemporaryDirectory(prefix="dbkit-report-") as scratch:
        copy = Path(scratch) / "versions"
        if versions is not None and Path(versions).is_dir():
            shutil.copytree(versions, copy, ignore=shutil.ignore_patterns("__pycache__"))
        api.write_planned_revision(plan, copy)
        return api.verify(copy, url), ""
