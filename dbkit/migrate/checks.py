"""Ready-made checks for a project's own CI (as pytest-alembic offers for Alembic).

Each check returns a :class:`CheckResult` saying what it proved, or raises :class:`CheckFailed`
whose message lists every difference found, with what to do about it. They are plain functions,
so any test runner can call them; :mod:`dbkit.pytest_plugin` wraps them as pytest tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dbkit.errors import DbkitError

if TYPE_CHECKING:
    from dbkit.migrate.diff.changes import Change
    from dbkit.migrate.schema.snapshot import Snapshot


class CheckFailed(DbkitError):  # noqa: N818 - reads as the outcome, like pytest-alembic's failures
    """A check found differences; ``details`` lists them one per line."""

    def __init__(self, check: str, summary: str, details: Iterable[str] = (), hint: str = "") -> None:
        self.check = check
        self.summary = summary
        self.details = tuple(details)
        self.hint = hint
        lines = [f"{check}: {summary}", *(f"  - {detail}" for detail in self.details)]
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class CheckResult:
    """What a passing check proved (and anything worth knowing that did not fail it)."""

    check: str
    summary: str
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "\n".join([f"{self.check}: {self.summary}", *(f"  note: {note}" for note in self.notes)])


def _changes_text(changes: Iterable[Change]) -> list[str]:
    return [f"{change.op} {change.label} [{change.risk}]" for change in changes]


# -- the checks ---------------------------------------------------------------------------------
def check_parity(path: str | Path) -> CheckResult:
    """Phase 1 gate: every generated model has the DDL of its hand-written counterpart."""
    from dbkit.migrate.api import parity

    report = parity(path)
    schema = report.differences("schema")
    if schema or report.problems:
        raise CheckFailed(
            "parity",
            f"{len(schema)} schema-level difference(s) between hand-written and generated models in {path}"
            + (f", {len(report.problems)} file(s) that failed to load" if report.problems else ""),
            [
                *(
                    f"{table}: {d.kind} {d.object}: hand-written={d.hand_written!r}, generated={d.generated!r}"
                    for table, d in schema
                ),
                *(f"load problem: {problem}" for problem in report.problems),
            ],
            "Fix the generated model (or the hand-written one) until `dbkit parity PATH` reports no schema difference.",
        )
    compared = [t.table for t in report.tables if t.status == "match"]
    other = [
        f"{table}: [{d.level}] {d.kind} {d.object}"
        for table, d in report.differences()
        if d.level != "schema"
    ]
    return CheckResult(
        "parity", f"{len(compared)} table(s) with both kinds of model match at schema level", tuple(other)
    )


def check_single_head(versions: str | Path) -> CheckResult:
    """The revision history has exactly one head (two developers' revisions were merged)."""
    from dbkit.migrate.revisions.history import read_history

    history = read_history(versions)
    if not history.revisions:
        raise CheckFailed(
            "single head", f"no revisions in {versions}", hint="Write one with `dbkit revision` or Alembic."
        )
    if len(history.heads) != 1:
        files = {item.revision: item.path.name for item in history.revisions}
        raise CheckFailed(
            "single head",
            f"{len(history.heads)} heads in {versions}",
            [f"{head} ({files.get(head, '?')})" for head in sorted(history.heads)],
            "Merge them: `alembic merge heads -m 'merge'` (then check the merged schema).",
        )
    return CheckResult(
        "single head", f"one head, {history.heads[0]}, over {len(history.revisions)} revision(s)"
    )


def check_models_match_revisions(
    path_or_snapshot: str | Path | Snapshot, versions: str | Path
) -> CheckResult:
    """The schema the head revision leads to equals the models' (no revision is missing).

    The head's recorded snapshot when dbkit wrote it; otherwise the revisions are run on an
    empty scratch SQLite database and its schema is read back.
    """
    from dbkit.migrate.api import snapshot_of
    from dbkit.migrate.diff.compare import diff_snapshots
    from dbkit.migrate.revisions.history import read_history
    from dbkit.migrate.schema.documents import load_snapshot
    from dbkit.migrate.schema.snapshot import Snapshot

    models = path_or_snapshot if isinstance(path_or_snapshot, Snapshot) else snapshot_of(path_or_snapshot)
    history = read_history(versions)
    if len(history.heads) != 1:
        check_single_head(versions)  # raises with the heads listed
    recorded = history.head_to_snapshot
    if recorded is not None:
        head_schema, source = load_snapshot(recorded), f"the schema recorded by head {history.heads[0]}"
    else:
        head_schema, source = _schema_after_upgrade(versions), "a scratch SQLite database upgraded to head"
    changes = diff_snapshots(head_schema, models)
    if changes:
        raise CheckFailed(
            "models match revisions",
            f"the models differ from {source}; a new revision would have to",
            _changes_text(changes),
            f"Write it: `dbkit revision {path_or_snapshot} --versions {versions} -m MESSAGE` "
            "(or `alembic revision --autogenerate`).",
        )
    return CheckResult("models match revisions", f"the models equal {source}")


def _schema_after_upgrade(versions: str | Path) -> Snapshot:
    import sqlalchemy as sa

    from dbkit.migrate.revisions import runner
    from dbkit.migrate.revisions.verify import scratch_database

    with scratch_database(None) as (url, _label):
        runner.upgrade(versions, url)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            return runner.live_snapshot(engine)
        finally:
            engine.dispose()


def check_upgrade_downgrade(versions: str | Path, url: str | None = None) -> CheckResult:
    """``dbkit verify``: every revision up and down on a scratch copy, rows and schema checked.

    ``url``: a SQLite file to copy, or a PostgreSQL server to create a scratch database on;
    ``None``: an empty SQLite scratch database.
    """
    from dbkit.migrate.api import verify

    report = verify(versions, url)
    if not report.passed:
        raise CheckFailed(
            "upgrade/downgrade",
            f"verify failed on {report.database}",
            report.problems,
            f"Every step:\n{report}",
        )
    return CheckResult(
        "upgrade/downgrade",
        f"{len(report.steps)} verify step(s) passed on {report.database}",
        tuple(report.notes) + tuple(f"{path} was edited after dbkit wrote it" for path in report.edited),
    )


#: Where a codebase lists the ``DB_*.py`` files it keeps on purpose (a hybrid end state of Phase 3):
#: ``[tool.dbkit] keep_hand_written = ["DB_Teams.py"]`` in the nearest ``pyproject.toml``.
KEEP_HAND_WRITTEN = "keep_hand_written"


def kept_hand_written(path: str | Path) -> tuple[list[str], Path | None]:
    """The ``keep_hand_written`` list of the nearest ``pyproject.toml`` (the codebase's directory,
    then its parents) that has a ``[tool.dbkit]`` table, and that file; empty when none says."""
    import tomllib

    directory = Path(path).resolve()
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            settings = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("dbkit")
        except tomllib.TOMLDecodeError as exc:
            raise CheckFailed("phase 3", f"{pyproject} is not valid TOML: {exc}") from None
        if settings is None:
            continue
        kept = settings.get(KEEP_HAND_WRITTEN, [])
        if not isinstance(kept, list) or not all(isinstance(name, str) for name in kept):
            raise CheckFailed(
                "phase 3",
                f"{pyproject}: [tool.dbkit] {KEEP_HAND_WRITTEN} must be a list of DB_*.py file names",
            )
        return kept, pyproject
    return [], None


def check_phase3(
    path: str | Path, *, import_check: bool = False, keep: Iterable[str] | None = None
) -> CheckResult:
    """Phase 3: no ``DB_*.py`` file is left and nothing imports one (``import_check`` also imports
    every ``BLL_*`` module with ``DB_*`` modules blocked, in a fresh interpreter).

    Phase 3 may end hybrid: the files listed in ``keep`` (default: ``[tool.dbkit] keep_hand_written``
    of the codebase's ``pyproject.toml``) stay on purpose, may be imported, and import no removed one.
    """
    from dbkit.migrate.codemod.legacy_imports import check_phase3 as scan

    source = "keep="
    if keep is None:
        listed, pyproject = kept_hand_written(path)
        keep, source = listed, f"{pyproject} [tool.dbkit] {KEEP_HAND_WRITTEN}"
    kept = sorted({name.removesuffix(".py") for name in keep})
    missing = [name for name in kept if not (Path(path) / f"{name}.py").is_file()]
    if missing:
        raise CheckFailed(
            "phase 3",
            f"{source} lists hand-written files {path} does not have",
            [f"{name}.py" for name in missing],
            "Remove them from the list (their tables are generated now), or fix the names.",
        )
    report = scan(path, import_check=import_check, keep=kept)
    if not report.clean:
        raise CheckFailed(
            "phase 3",
            f"{path} still depends on hand-written models",
            [
                *(f"hand-written file still present: {file}" for file in report.legacy_files),
                *(f"imports a hand-written module: {use}" for use in report.offenders),
                *(f"cannot be read: {problem}" for problem in report.problems),
                *(
                    f"{module} fails with DB_* modules blocked: {error}"
                    for module, error in report.import_failures.items()
                ),
            ],
            "Rewrite the imports (`dbkit.migrate.codemod.legacy_imports.plan_rewrite`), then delete the DB_*.py files.",
        )
    if report.kept_files:
        return CheckResult(
            "phase 3",
            f"{path} imports no removed hand-written module; kept on purpose: {', '.join(report.kept_files)}",
        )
    return CheckResult("phase 3", f"{path} imports no hand-written module")


def check_relationship_contract(path: str | Path, url: str | None = None) -> CheckResult:
    """Every relationship the application's classes have, in both directions, with its cardinality
    and cascade: kept by each table's BLL model (so switching it loses none), and, given ``url``,
    followed on the rows of a scratch copy of that database, each leading back."""
    from dbkit.migrate.api import load
    from dbkit.migrate.codemod.switch import lost_relationships, mapped_classes_of
    from dbkit.migrate.source.contract import application_classes, derive_contract, exercise, scratch_copy

    codebase = load(path, strict=True)
    classes = application_classes(mapped_classes_of(codebase))
    contract = derive_contract(classes)
    broken = lost_relationships(codebase)
    reached = None
    if url is not None:
        with scratch_copy(url) as scratch:
            run = exercise(classes, scratch)
        broken += list(dict.fromkeys(run.violations))
        reached = sum(run.links.values())
    if broken:
        raise CheckFailed(
            "relationship contract",
            f"{len(broken)} relationship promise(s) of {path} not kept",
            broken,
            "Make each BLL model declare the relationships of its class (`dbkit parity`), or fix the rows.",
        )
    rows = f", {reached} related row(s) followed both ways" if reached is not None else ""
    return CheckResult(
        "relationship contract",
        f"{len(contract.classes)} mapped class(es), {len(contract.relationships)} relationship(s) kept{rows}",
    )


def check_data_validates(path: str | Path, url: str) -> CheckResult:
    """Before the switch: every stored row of a table with a BLL model passes that model's validation."""
    from dbkit.migrate.api import load
    from dbkit.migrate.source.row_validation import validate_rows

    report = validate_rows(load(path, strict=True), url)
    if not report.ok:
        details = []
        for table in report.tables:
            if table.error is not None:
                details.append(f"{table.table}: {table.error}")
            elif table.failing:
                counts = ", ".join(f"{name} {count}" for name, count in table.counts_by_field().items())
                first = table.failures[0]
                details.append(
                    f"{table.table}: {table.failing} of {table.rows} row(s) fail ({counts}); first: "
                    f"{first.key} {first.field}={first.value}: {first.message}"
                )
        raise CheckFailed(
            "data",
            f"rows of {url} fail their BLL model's validation",
            details,
            "Fix the rows (or relax the model), then run `dbkit validate-data` again.",
        )
    rows = sum(table.rows for table in report.tables)
    return CheckResult(
        "data", f"{rows} row(s) of {len(report.tables)} table(s) pass their model's validation"
    )


__all__ = [
    "CheckFailed",
    "CheckResult",
    "check_data_validates",
    "check_models_match_revisions",
    "check_parity",
    "check_phase3",
    "check_relationship_contract",
    "check_single_head",
    "check_upgrade_downgrade",
]
