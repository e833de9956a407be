"""Apply revisions: a thin layer over ``alembic.command`` with dbkit's errors and defaults.

Every function takes the versions directory (the environment around it is created when
missing) and a database URL; nobody edits an ``alembic.ini``. Failures become
:class:`MigrationCommandError` with one readable message, never a traceback.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from dbkit.errors import DbkitError, MigrationRuntimeError
from dbkit.manager import normalize_url
from dbkit.migrate.diff.compare import diff_snapshots
from dbkit.migrate.revisions.environment import alembic_config
from dbkit.migrate.revisions.history import RecordedRevision, RevisionError, read_history, single_head
from dbkit.migrate.revisions.locks import POLICY_ATTRIBUTE, LockPolicy
from dbkit.migrate.schema.documents import load_snapshot
from dbkit.migrate.schema.from_database import snapshot_from_database

if TYPE_CHECKING:
    from alembic.config import Config

    from dbkit.migrate.diff.changes import Change
    from dbkit.migrate.schema.snapshot import Snapshot

T = TypeVar("T")


class MigrationCommandError(DbkitError):
    """An upgrade, downgrade or stamp failed; the message names the revision and the cause."""


def _config(versions_dir: str | Path, url: str | None) -> Config:
    """The environment's config (created around an existing versions directory if missing)."""

    if not Path(versions_dir).is_dir():
        raise MigrationCommandError(f"--versions {versions_dir} is not a directory of revisions.")
    rendered = normalize_url(url).render_as_string(hide_password=False) if url else None
    config = alembic_config(versions_dir, rendered)
    config.attributes["configure_logger"] = False  # dbkit's callers own logging
    return config


@contextmanager
def readable_errors(action: str) -> Iterator[None]:
    """Alembic, driver and revision failures as one :class:`MigrationCommandError` line."""

    try:
        yield
    except DbkitError:
        raise
    except CommandError as exc:
        raise MigrationCommandError(f"{action} failed: {exc}") from None
    except sa.exc.DBAPIError as exc:
        cause = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        statement = (exc.statement or "").strip().splitlines()[0][:200] if exc.statement else ""
        where = f" while running: {statement}" if statement else ""
        raise MigrationCommandError(f"{action} failed: {cause}{where}") from None
    except (MigrationRuntimeError, sa.exc.SQLAlchemyError, NotImplementedError) as exc:
        raise MigrationCommandError(f"{action} failed: {str(exc) or type(exc).__name__}") from None


def _run(action: str, command: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with readable_errors(action):
        return command(*args, **kwargs)


def upgrade(
    versions_dir: str | Path,
    url: str,
    to: str = "head",
    *,
    sql: bool = False,
    lock_policy: LockPolicy | None = None,
) -> str | None:
    """Upgrade the database to ``to``; with ``sql``, return the SQL instead of running it (for a DBA).

    ``lock_policy``: how online steps take their locks (``lock_timeout``, retries, and an
    ``on_retry`` callback that reports each retry); its ``retries`` list holds them afterwards.
    """

    config = _config(versions_dir, url)
    config.attributes[POLICY_ATTRIBUTE] = lock_policy or LockPolicy()
    if to == "head":  # several heads: refuse before connecting (which would create an SQLite file)
        single_head(read_history(versions_dir), Path(versions_dir))
    if not sql:
        _run(f"Upgrade to {to}", command.upgrade, config, to)
        return None
    buffer = io.StringIO()
    config.output_buffer = buffer
    try:
        _run(f"Offline SQL for upgrade to {to}", command.upgrade, config, to, sql=True)
    except MigrationCommandError as exc:
        if "batch mode with dialect sqlite" not in str(exc):
            raise
        raise MigrationCommandError(
            "Offline SQL for SQLite cannot include batch operations: SQLite recreates tables by "
            "reading them from a live database. Write the SQL for PostgreSQL instead "
            "(--url postgresql+psycopg://host/db, never contacted with --sql), or upgrade a copy."
        ) from None
    return buffer.getvalue()


def downgrade(versions_dir: str | Path, url: str, to: str, *, lock_policy: LockPolicy | None = None) -> None:
    """Downgrade to ``to``: a revision id, ``base``, or a relative step such as ``-1``."""

    config = _config(versions_dir, url)
    config.attributes[POLICY_ATTRIBUTE] = lock_policy or LockPolicy()
    _run(f"Downgrade to {to}", command.downgrade, config, to)


def history(versions_dir: str | Path) -> tuple[RecordedRevision, ...]:
    """Every revision, base first, with its message and recorded snapshots."""
    if not Path(versions_dir).is_dir():
        raise MigrationCommandError(f"--versions {versions_dir} is not a directory of revisions.")
    try:
        return read_history(versions_dir).revisions
    except RevisionError as exc:
        raise MigrationCommandError(str(exc)) from None


def heads(versions_dir: str | Path) -> tuple[str, ...]:
    return read_history(versions_dir).heads


def current(versions_dir: str | Path, url: str) -> tuple[str, ...]:
    """The revisions the database is stamped with (empty: never migrated by Alembic)."""

    _config(versions_dir, url)  # refuses a directory with no environment around it
    with readable_errors("Reading the current revision"), _engine(url) as engine, engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def stamp(versions_dir: str | Path, url: str, to: str | None = None) -> str:
    """Record ``to`` as applied without running it; by default the revision whose recorded
    schema equals the database's (refused when none or several do). Returns the revision."""

    target = to or matching_revision(versions_dir, url)
    _run(f"Stamp {target}", command.stamp, _config(versions_dir, url), target)
    return target


def matching_revision(versions_dir: str | Path, url: str) -> str:
    """The one revision whose recorded to-snapshot is the live database's schema."""
    revisions = history(versions_dir)
    if not revisions:
        raise MigrationCommandError(f"No revisions in {versions_dir}: nothing to stamp.")
    with readable_errors("Reading the database schema"), _engine(url) as engine:
        live = live_snapshot(engine)
    recorded = [revision for revision in revisions if revision.to_snapshot is not None]
    matches = [revision for revision in recorded if not schema_differences(revision.to_snapshot, live)]
    if len(matches) == 1:
        return matches[0].revision
    if not matches:
        closest = min(
            recorded, key=lambda item: len(schema_differences(item.to_snapshot, live)), default=None
        )
        hint = ""
        if closest is not None:
            differences = schema_differences(closest.to_snapshot, live)
            shown = "; ".join(_describe(change) for change in differences[:5])
            hint = f" Closest is {closest.revision} ({len(differences)} differences: {shown})."
        raise MigrationCommandError(
            f"No revision in {versions_dir} records the schema of this database.{hint} "
            "Give the revision explicitly with --to, or bring the database to a recorded schema."
        )
    names = ", ".join(item.revision for item in matches)
    raise MigrationCommandError(
        f"Several revisions record this database's schema ({names}); choose one with --to."
    )


# -- comparing a recorded schema with a live one (shared with verify) -------------------------------
def live_snapshot(connectable: sa.Engine | sa.Connection) -> Snapshot:

    return snapshot_from_database(connectable)


def schema_differences(recorded: str | Snapshot, live: Snapshot) -> list[Change]:
    """What differs between a recorded snapshot and a reflected database, by meaning, not spelling."""

    expected = load_snapshot(recorded) if isinstance(recorded, str) else recorded
    return diff_snapshots(expected, live)


def _describe(change: Change) -> str:
    return f"{change.op} {change.target}"


@contextmanager
def _engine(url: str) -> Iterator[sa.Engine]:

    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
