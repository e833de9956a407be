"""Lock discipline for online steps: a short ``lock_timeout``, retries with backoff and jitter.

On a live PostgreSQL table the hazard is the lock queue: a DDL statement waiting for its lock
blocks every later reader and writer of the table. Each online step therefore asks for its lock
for at most ``lock_timeout``; when it times out, nothing of the step happened, the application's
queries flow again, and the step is retried after an exponential, jittered pause. The retries
are bounded (by default they outlast more than a minute of blocking) and reported; a step out
of retries stops the upgrade with a message naming it, leaving every earlier step committed
(re-running ``dbkit upgrade`` resumes, since each step checks the catalog first).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from alembic.operations import Operations

from dbkit.errors import ConfigurationError, MigrationRuntimeError

#: Where the runner leaves the policy for the revision's operations (``Config.attributes``).
POLICY_ATTRIBUTE = "dbkit.lock_policy"
#: PostgreSQL's SQLSTATE for ``lock_timeout`` expiring (``lock_not_available``).
LOCK_NOT_AVAILABLE = "55P03"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """``"200ms"``, ``"2s"``, ``"1min"`` → seconds; a bare number is milliseconds, as in PostgreSQL."""
    match = _DURATION.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigurationError(
            f"--lock-timeout {text!r} is not a duration: write a positive number with a unit, "
            "e.g. 200ms, 2s or 1min (a bare number means milliseconds)."
        )
    return float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "ms").lower()]


@dataclass(frozen=True)
class LockRetry:
    """One step that timed out waiting for its lock and will be tried again after ``pause``."""

    step: str
    table: str
    attempt: int
    pause: float

    def __str__(self) -> str:
        return (
            f"lock retry: {self.step} on {self.table} waited its lock timeout "
            f"(attempt {self.attempt}); retrying in {self.pause:.2f} s"
        )


@dataclass
class LockPolicy:
    """How online steps take their locks.

    ``lock_timeout``: the longest a step's lock request may queue the application (200 ms).
    ``attempts``: tries per step. Pauses double from ``first_pause`` up to ``max_pause``, times a
    jitter of 0.5 to 1: even the first is longer than the lock timeout, so the writes queued behind
    one attempt drain before the next (shorter pauses let two waits add up into one longer stall).
    By default 20 attempts outlast at least ``minimum_patience()`` (about 80 s) of blocking.
    ``scan_timeout``: the ``statement_timeout`` of steps that scan the table (validations,
    concurrent index builds), long so that a server-wide short default never kills them.
    """

    lock_timeout: float = 0.2
    attempts: int = 20
    first_pause: float = 0.5
    max_pause: float = 10.0
    scan_timeout: float = 6 * 3600.0
    #: Pause between two batches of a backfill, so the application keeps up.
    batch_pause: float = 0.01
    on_retry: Callable[[LockRetry], None] | None = None
    #: Called with a line of progress (each batch of a backfill).
    on_progress: Callable[[str], None] | None = None
    retries: list[LockRetry] = field(default_factory=list)

    def pause(self, attempt: int) -> float:
        """Exponential backoff with jitter: never two blocked migrations retrying in step."""
        ceiling = min(self.max_pause, self.first_pause * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)

    def minimum_patience(self) -> float:
        """The least time the retries of one step span (jitter at its lowest)."""
        pauses = sum(
            min(self.max_pause, self.first_pause * 2 ** (n - 1)) * 0.5 for n in range(1, self.attempts)
        )
        return pauses + self.attempts * self.lock_timeout

    def report_progress(self, line: str) -> None:
        if self.on_progress is not None:
            self.on_progress(line)

    def record(self, retry: LockRetry) -> None:
        self.retries.append(retry)
        if self.on_retry is not None:
            self.on_retry(retry)


def policy_of(operations: Operations) -> LockPolicy:
    """The runner's policy (``dbkit upgrade --lock-timeout``), or the default one (plain ``alembic``)."""
    context = operations.get_context()
    config = getattr(context, "config", None)
    policy = config.attributes.get(POLICY_ATTRIBUTE) if config is not None else None
    if policy is None:
        policy = LockPolicy()
        if config is not None:
            config.attributes[POLICY_ATTRIBUTE] = policy
    return policy


def is_lock_timeout(error: BaseException) -> bool:
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) == LOCK_NOT_AVAILABLE


def _milliseconds(seconds: float) -> str:
    return f"'{max(1, round(seconds * 1000))}ms'"


@contextmanager
def _session_settings(operations: Operations, settings: dict[str, str]) -> Iterator[None]:
    """Session-level settings (each statement of an autocommit block is its own transaction)."""
    for name, value in settings.items():
        operations.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        for name in settings:
            operations.execute(f"RESET {name}")


class StepAttempt(AbstractContextManager["StepAttempt"]):
    """One try of a step's body (``with attempt:``): committed on success; a lock timeout is
    rolled back and swallowed, so the loop comes round again; any other error is rolled back
    and raised."""

    def __init__(self, operations: Operations, transaction: bool) -> None:
        self.operations = operations
        self.transaction = transaction
        self.timed_out = False

    def __enter__(self) -> StepAttempt:
        if self.transaction:
            self.operations.execute("BEGIN")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: Any) -> bool:
        if error is None:
            if self.transaction:
                self.operations.execute("COMMIT")
            return False
        if self.transaction and not self.operations.get_context().as_sql:
            self.operations.execute("ROLLBACK")
        self.timed_out = is_lock_timeout(error)
        return self.timed_out


class _Once(AbstractContextManager[None]):
    """Where there is no lock to bound (SQLite): the body runs once, in the migration's transaction."""

    def __exit__(self, *_exc: Any) -> bool:
        return False


def step_attempts(
    operations: Operations,
    step: str,
    table: str,
    *,
    transaction: bool = True,
    scans: bool = False,
    waits_harmlessly: bool = False,
) -> Iterator[AbstractContextManager[Any]]:
    """The attempts of one online step: ``for attempt in step_attempts(...): with attempt: ...``.

    On PostgreSQL the migration's transaction is committed first (Alembic's ``autocommit_block``)
    and each attempt runs the body in a transaction of its own (``transaction``; ``False`` for
    what PostgreSQL refuses in a transaction block, the concurrent index builds) with the
    policy's ``lock_timeout``. ``scans``: the step also gets the long ``statement_timeout``.
    ``waits_harmlessly``: its lock never queues the application (concurrent builds and drops
    take SHARE UPDATE EXCLUSIVE at most), so it waits for older transactions instead of timing
    out and leaving an INVALID index behind (GitLab's migration helpers make the same exception).
    Offline (``upgrade --sql``) the statements are written once, in order. Elsewhere: one plain try.
    """
    context = operations.get_context()
    if context.dialect.name != "postgresql":
        yield _Once()
        return
    policy = policy_of(operations)
    settings = {} if waits_harmlessly else {"lock_timeout": _milliseconds(policy.lock_timeout)}
    if scans:
        settings["statement_timeout"] = _milliseconds(policy.scan_timeout)
    with context.autocommit_block(), _session_settings(operations, settings):
        for number in range(1, policy.attempts + 1):
            attempt = StepAttempt(operations, transaction)
            yield attempt
            if not attempt.timed_out or context.as_sql:
                return
            if number == policy.attempts:
                raise _out_of_retries(step, table, policy)
            pause = policy.pause(number)
            policy.record(LockRetry(step, table, number, pause))
            time.sleep(pause)


def run_step(operations: Operations, step: str, table: str, work: Callable[[], Any], **options: bool) -> None:
    """``work`` (statements issued through ``operations``) as one online step; see :func:`step_attempts`."""
    for attempt in step_attempts(operations, step, table, **options):
        with attempt:
            work()


def _out_of_retries(step: str, table: str, policy: LockPolicy) -> MigrationRuntimeError:
    return MigrationRuntimeError(
        f"Step {step!r} on table {table!r} could not take its lock: {policy.attempts} attempts of "
        f"{policy.lock_timeout * 1000:.0f} ms each timed out while another transaction held the table "
        "(see pg_stat_activity and pg_locks). Nothing of this step was applied; the steps before it "
        "are committed. Run `dbkit upgrade` again to resume (e.g. with a longer --lock-timeout, or "
        "once the blocking transaction has ended)."
    )


__all__ = [
    "LOCK_NOT_AVAILABLE",
    "POLICY_ATTRIBUTE",
    "LockPolicy",
    "LockRetry",
    "is_lock_timeout",
    "parse_duration",
    "policy_of",
    "run_step",
    "step_attempts",
]
