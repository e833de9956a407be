"""Lock discipline of online steps on the real PostgreSQL: a step blocked by another transaction
retries and then succeeds; out of retries it fails naming the step and table, and a re-run
completes; an INVALID index left by a failed concurrent build is dropped and built again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.errors import ConfigurationError
from dbkit.migrate import api
from dbkit.migrate.revisions import runner
from dbkit.migrate.revisions.locks import LockPolicy, parse_duration
from dbkit.migrate.revisions.online import not_null_check_name
from tests.migrate.revisions.test_online_revisions import _baseline, _fill, _postgresql_state, events_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    directory = tmp_path / "versions"
    api.revision(events_schema(online_changes=False), directory, message="baseline")
    api.revision(events_schema(online_changes=True), directory, message="online changes")
    return directory


@pytest.fixture
def populated(versions: Path, postgres_url: str) -> str:
    runner.upgrade(versions, postgres_url, to=_baseline(versions))
    _fill(postgres_url)
    return postgres_url


@contextmanager
def reader_holding_events(url: str, seconds: float | None = None) -> Iterator[threading.Event]:
    """A transaction that has read ``events`` (ACCESS SHARE, which blocks ACCESS EXCLUSIVE), held
    for ``seconds`` in a thread, or until the block ends; yields once the lock is held."""
    engine = sa.create_engine(url)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
            held.set()
            release.wait(seconds)
            conn.rollback()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        yield release
    finally:
        release.set()
        thread.join()
        engine.dispose()


def test_a_blocked_step_retries_then_succeeds_when_the_lock_is_released(
    versions: Path, populated: str
) -> None:
    policy = LockPolicy(lock_timeout=0.05, first_pause=0.05, max_pause=0.2)
    with reader_holding_events(populated, seconds=1.0):
        started = time.monotonic()
        runner.upgrade(versions, populated, lock_policy=policy)
    assert time.monotonic() - started >= 0.9  # it waited for the reader, in short bounded tries
    assert policy.retries, "the blocked step retried"
    assert all(retry.table == "events" for retry in policy.retries)
    assert _postgresql_state(populated)["payload_not_null"] is True


def test_out_of_retries_fails_naming_the_step_and_a_rerun_completes(versions: Path, populated: str) -> None:
    policy = LockPolicy(lock_timeout=0.05, attempts=3, first_pause=0.01, max_pause=0.02)
    with reader_holding_events(populated), pytest.raises(runner.MigrationCommandError) as failure:
        runner.upgrade(versions, populated, lock_policy=policy)
    message = str(failure.value)
    assert "Step 'add column events.source' on table 'events' could not take its lock" in message
    assert "3 attempts of 50 ms" in message and "Run `dbkit upgrade` again to resume" in message
    assert len(policy.retries) == 2
    runner.upgrade(versions, populated)  # the reader is gone: the re-run completes the revision
    head = runner.history(versions)[-1]
    assert runner.current(versions, populated) == (head.revision,)
    engine = sa.create_engine(populated)
    try:
        assert runner.schema_differences(head.to_snapshot, runner.live_snapshot(engine)) == []
    finally:
        engine.dispose()


def test_a_rerun_after_a_failure_midway_completes(versions: Path, populated: str) -> None:
    """Rows that break the new check stop the upgrade at its validation; once fixed, a re-run
    skips what is done (the column, the NOT NULL) and finishes."""
    engine = sa.create_engine(populated)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE events SET kind = '' WHERE id = 1")
    with pytest.raises(runner.MigrationCommandError, match="ck_events_kind_not_empty"):
        runner.upgrade(versions, populated)
    state = _postgresql_state(populated)
    assert state["payload_not_null"] is True  # steps before the failure are committed
    assert state["constraints"].get("ck_events_kind_not_empty") is False  # added NOT VALID, not validated
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE events SET kind = 'click' WHERE id = 1")
    runner.upgrade(versions, populated)
    assert _postgresql_state(populated)["constraints"]["ck_events_kind_not_empty"] is True
    engine.dispose()


def test_the_downgrade_runs_from_an_intermediate_state(versions: Path, populated: str) -> None:
    engine = sa.create_engine(populated)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE events SET kind = '' WHERE id = 1")
    with pytest.raises(runner.MigrationCommandError):
        runner.upgrade(versions, populated)
    runner.stamp(versions, populated, to=runner.history(versions)[-1].revision)  # adopt the half-done state
    runner.downgrade(versions, populated, _baseline(versions))
    baseline = runner.history(versions)[0]
    assert runner.schema_differences(baseline.to_snapshot, runner.live_snapshot(engine)) == []
    engine.dispose()


def test_an_invalid_index_left_by_a_failed_concurrent_build_is_rebuilt(
    versions: Path, populated: str
) -> None:
    engine = sa.create_engine(populated, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):  # every kind is 'click': duplicates
        conn.exec_driver_sql("CREATE UNIQUE INDEX CONCURRENTLY ix_events_kind ON events (kind)")
    assert _postgresql_state(populated)["indexes"]["ix_events_kind"] is False  # INVALID, still maintained
    runner.upgrade(versions, populated)
    assert _postgresql_state(populated)["indexes"]["ix_events_kind"] is True
    with engine.connect() as conn:
        unique = conn.exec_driver_sql(
            "SELECT indisunique FROM pg_index WHERE indexrelid = 'ix_events_kind'::regclass"
        ).scalar()
    assert unique is False  # the model's index, not the leftover
    engine.dispose()


@pytest.mark.parametrize(("text", "seconds"), [("200ms", 0.2), ("2s", 2.0), ("1min", 60.0), ("150", 0.15)])
def test_lock_timeout_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_a_bad_lock_timeout_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="--lock-timeout 'soon' is not a duration"):
        parse_duration("soon")


def test_default_retries_outlast_a_minute_of_blocking() -> None:
    assert LockPolicy().minimum_patience() > 60


def test_cli_upgrade_reports_each_lock_retry_and_refuses_a_bad_duration(
    versions: Path, populated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dbkit.cli import main

    args = ["upgrade", "--versions", str(versions), "--url", populated]
    assert main([*args, "--lock-timeout", "soon"]) == 2
    assert "--lock-timeout 'soon' is not a duration" in capsys.readouterr().err
    with reader_holding_events(populated, seconds=1.5):
        assert main([*args, "--lock-timeout", "50ms"]) == 0
    err = capsys.readouterr().err
    assert "lock retry: add column events.source on events waited its lock timeout (attempt 1)" in err
    down = ["downgrade", "--versions", str(versions), "--url", populated, "--to", _baseline(versions)]
    assert main([*down, "--lock-timeout", "1s"]) == 0
    assert runner.current(versions, populated) == (_baseline(versions),)


def test_cli_revision_transactional_writes_plain_operations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dbkit.cli import main
    from dbkit.migrate.schema.documents import dump_snapshot

    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(dump_snapshot(events_schema(online_changes=False)))
    new.write_text(dump_snapshot(events_schema(online_changes=True)))
    versions = tmp_path / "versions"
    assert main(["revision", str(old), "--versions", str(versions), "-m", "baseline"]) == 0
    assert main(["revision", str(new), "--versions", str(versions), "-m", "plain", "--transactional"]) == 0
    plain = next(versions.glob("*_plain.py")).read_text()
    assert "online" not in plain.split("def upgrade")[1]
    back = ["revision", str(old), "--versions", str(versions), "-m", "online back", "--allow-destructive"]
    assert main(back) == 0
    assert "op.drop_index_online(" in next(versions.glob("*_online_back.py")).read_text()


def test_the_downgrade_drops_a_temporary_not_null_check_left_by_a_kill(
    versions: Path, populated: str
) -> None:
    """Killed between validating ``CHECK (payload IS NOT NULL)`` and dropping it: the downgrade from
    that state leaves the baseline schema, with no stray check."""
    engine = sa.create_engine(populated)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"ALTER TABLE events ADD CONSTRAINT {not_null_check_name('events', 'payload')} "
            "CHECK (payload IS NOT NULL) NOT VALID"
        )
    runner.stamp(versions, populated, to=runner.history(versions)[-1].revision)
    runner.downgrade(versions, populated, _baseline(versions))
    baseline = runner.history(versions)[0]
    assert runner.schema_differences(baseline.to_snapshot, runner.live_snapshot(engine)) == []
    assert not_null_check_name("events", "payload") not in _postgresql_state(populated)["constraints"]
    engine.dispose()
