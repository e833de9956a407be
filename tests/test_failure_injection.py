"""Failure injection: revisions that fail half-way, interrupted upgrades, concurrent writers.

- PostgreSQL runs a transactional revision (``--transactional``) in one transaction: a failure
  half-way leaves schema, rows and the recorded revision as they were. The one step that cannot run in a transaction, ``ALTER TYPE ...
  ADD VALUE`` (a new member cannot be used before it commits), is isolated: dbkit orders it first
  and runs it in its own autocommit block (``dbkit.migrate.revisions.custom_ops._add_enum_value``), so a later
  failure rolls back everything else and leaves only the unused member, which re-running adds again
  as a no-op (``ADD VALUE IF NOT EXISTS``).
- PostgreSQL runs an online revision (the default) step by step, each committed on its own: a
  failure or a kill half-way leaves the steps before it; running the upgrade again completes it.
- SQLite: ``verify`` works on a copy (the user's file keeps its bytes and mtime); an upgrade that
  raises, or is killed, leaves the database at its previous revision with its rows.
- Two ``dbkit revision`` runs into one ``versions/`` chain or refuse; they never fork the history.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.manager import normalize_url
from dbkit.migrate import api
from dbkit.migrate.revisions.history import RevisionError, read_history
from dbkit.migrate.revisions.runner import MigrationCommandError
from dbkit.migrate.revisions.writer import LOCK_NAME

V1 = """
import enum
from typing import Optional

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin


class Status(str, enum.Enum):
    active = "active"
    suspended = "suspended"{extra_member}


class AccountModel(ApplicationModel, DatabaseMixin):
    name: str = Field(max_length=50, description="Display name")
    status: Status = Field(Status.active, description="Lifecycle state"){extra_field}
"""
NOTE_MODEL = """


class NoteModel(ApplicationModel, AccountModel.ReferenceID, DatabaseMixin):
    body: str = Field(description="Note text")
"""
INJECTED_FAILURE = "op.execute('SELECT * FROM dbkit_injected_failure')"


def write_codebase(
    path: Path, *, new_member: bool = False, new_column: bool = False, notes: bool = False
) -> Path:
    path.mkdir(parents=True)
    source = V1.format(
        extra_member='\n    closed = "closed"' if new_member else "",
        extra_field="\n    nickname: Optional[str] = Field(None, max_length=30)" if new_column else "",
    )
    (path / "BLL_Accounts.py").write_text(textwrap.dedent(source) + (NOTE_MODEL if notes else ""))
    return path


def inject_into_upgrade(revision: Path, statement: str) -> None:
    """Append ``statement`` to the revision's ``upgrade()``, after every operation dbkit wrote."""
    text = revision.read_text()
    marker = "\n\n\ndef downgrade() -> None:"
    assert marker in text
    revision.write_text(text.replace(marker, f"\n    {statement}{marker}", 1))


def account_rows(url: str) -> list[tuple]:
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(sa.text("SELECT id, name, status FROM accounts ORDER BY name"))
            ]
    finally:
        engine.dispose()


def insert_accounts(url: str) -> None:
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.begin() as connection:
            uuid = "{:032x}" if engine.dialect.name == "sqlite" else "00000000-0000-0000-0000-{:012x}"
            for number, name in enumerate(["ada", "grace", "linus"], start=1):
                connection.execute(
                    sa.text("INSERT INTO accounts (id, name, status) VALUES (:id, :name, 'active')"),
                    {"id": uuid.format(number), "name": name},
                )
    finally:
        engine.dispose()


def baseline_then_change(
    tmp_path: Path, url: str, *, transactional: bool = False, **change: bool
) -> tuple[Path, Path, Path]:
    """v1 upgraded and populated; the revision to v2 (``change``) written but not applied."""
    v1 = write_codebase(tmp_path / "v1")
    v2 = write_codebase(tmp_path / "v2", **change)
    versions = tmp_path / "versions"
    api.revision(v1, versions, from_source=v1, message="baseline")
    api.upgrade(versions, url)
    insert_accounts(url)
    (written,) = api.revision(v2, versions, message="change", transactional=transactional)
    return v1, v2, written.path


# -- PostgreSQL, transactional revisions: a failure half-way changes nothing -------------------------
def test_revision_failing_half_way_on_postgres_leaves_schema_and_rows(
    postgres_url: str, tmp_path: Path
) -> None:
    v1, v2, revision = baseline_then_change(
        tmp_path, postgres_url, transactional=True, new_column=True, notes=True
    )
    versions = revision.parent
    baseline = read_history(versions).revisions[0].revision
    rows = account_rows(postgres_url)
    inject_into_upgrade(revision, INJECTED_FAILURE)

    with pytest.raises(MigrationCommandError, match="dbkit_injected_failure"):
        api.upgrade(versions, postgres_url)

    assert api.check(v1, postgres_url).changes == ()  # no notes table, no nickname column
    assert account_rows(postgres_url) == rows
    assert api.current(versions, postgres_url) == baseline
    revision.write_text(revision.read_text().replace(f"\n    {INJECTED_FAILURE}", ""))
    api.upgrade(versions, postgres_url)
    assert api.check(v2, postgres_url).changes == ()
    assert account_rows(postgres_url) == rows


def test_enum_member_added_outside_the_transaction_is_the_only_trace_of_a_failure(
    postgres_url: str, tmp_path: Path
) -> None:
    v1, v2, revision = baseline_then_change(
        tmp_path, postgres_url, transactional=True, new_member=True, new_column=True
    )
    versions = revision.parent
    text = revision.read_text()
    assert "op.add_enum_value(" in text
    assert text.index("op.add_enum_value(") < text.index("nickname")  # isolated step first
    rows = account_rows(postgres_url)
    inject_into_upgrade(revision, INJECTED_FAILURE)

    with pytest.raises(MigrationCommandError):
        api.upgrade(versions, postgres_url)

    left = api.check(v1, postgres_url).changes  # what the database has beyond v1
    assert [(str(change.op), change.detail.get("value")) for change in left] == [
        ("drop_enum_value", "closed")
    ]
    assert account_rows(postgres_url) == rows
    revision.write_text(text)  # the fixed revision re-runs: adding the member again is a no-op
    api.upgrade(versions, postgres_url)
    assert api.check(v2, postgres_url).changes == ()


# -- PostgreSQL, online revisions: not atomic, but a re-run completes them -----------------------------
def test_online_revision_failing_half_way_on_postgres_resumes_when_run_again(
    postgres_url: str, tmp_path: Path
) -> None:
    """The steps before the failure stay committed (the revision is not recorded); the fixed
    revision, run again, skips them and completes; no row is lost."""
    _, v2, revision = baseline_then_change(tmp_path, postgres_url, new_column=True, notes=True)
    versions = revision.parent
    baseline = read_history(versions).revisions[0].revision
    rows = account_rows(postgres_url)
    inject_into_upgrade(revision, INJECTED_FAILURE)

    with pytest.raises(MigrationCommandError, match="dbkit_injected_failure"):
        api.upgrade(versions, postgres_url)

    assert api.check(v2, postgres_url).changes == ()  # every online step before the failure committed
    assert api.current(versions, postgres_url) == baseline  # but the revision is not recorded
    revision.write_text(revision.read_text().replace(f"\n    {INJECTED_FAILURE}", ""))
    api.upgrade(versions, postgres_url)  # each step finds itself done
    assert api.current(versions, postgres_url) == read_history(versions).head.revision
    assert api.check(v2, postgres_url).changes == ()
    assert account_rows(postgres_url) == rows


def test_online_upgrade_killed_mid_way_on_postgres_completes_when_run_again(
    postgres_url: str, tmp_path: Path
) -> None:
    """``dbkit upgrade`` killed (SIGKILL) between two online steps: the next run completes the revision."""
    _, v2, revision = baseline_then_change(tmp_path, postgres_url, new_column=True, notes=True)
    versions = revision.parent
    rows = account_rows(postgres_url)
    text = revision.read_text()
    started = tmp_path / "first-step-ran"
    pause = f"__import__('pathlib').Path({str(started)!r}).touch(); __import__('time').sleep(120)"
    assert text.count("for attempt in op.online_step(") > 1, "the revision has several online steps"
    cut = text.index("for attempt in op.online_step(", text.index("for attempt in op.online_step(") + 1)
    indent = text[text.rindex("\n", 0, cut) + 1 : cut]
    revision.write_text(f"{text[:cut]}{pause}\n{indent}{text[cut:]}")  # after the first step
    command = [
        sys.executable,
        "-m",
        "dbkit.cli",
        "upgrade",
        "--versions",
        str(versions),
        "--url",
        postgres_url,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the upgrade never reached the injected pause"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert api.check(v2, postgres_url).changes != ()  # half-done
    revision.write_text(text)
    api.upgrade(versions, postgres_url)
    assert api.check(v2, postgres_url).changes == ()
    assert account_rows(postgres_url) == rows


# -- SQLite: verify works on a copy; interrupted upgrades leave the previous revision ----------------
def sqlite_dump(path: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_verify_never_touches_the_users_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "production" / "app.sqlite3"
    database.parent.mkdir()
    url = f"sqlite:///{database}"
    _, _, revision = baseline_then_change(tmp_path, url, new_column=True, notes=True)
    os.utime(database, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = database.read_bytes(), database.stat().st_mtime_ns

    report = api.verify(revision.parent, url)

    assert report.passed, str(report)
    assert (database.read_bytes(), database.stat().st_mtime_ns) == before
    assert sorted(p.name for p in database.parent.iterdir()) == ["app.sqlite3"]  # no journal, no copy


def test_upgrade_of_a_copy_that_raises_leaves_original_and_copy_intact(tmp_path: Path) -> None:
    original = tmp_path / "production.sqlite3"
    v1, _, revision = baseline_then_change(tmp_path, f"sqlite:///{original}", new_column=True, notes=True)
    versions = revision.parent
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(original.read_bytes())
    original_before, copy_before = original.read_bytes(), sqlite_dump(copy)
    inject_into_upgrade(revision, INJECTED_FAILURE)

    with pytest.raises(MigrationCommandError, match="dbkit_injected_failure"):
        api.upgrade(versions, f"sqlite:///{copy}")

    assert original.read_bytes() == original_before
    assert sqlite_dump(copy) == copy_before
    assert api.current(versions, f"sqlite:///{copy}") == read_history(versions).revisions[0].revision
    assert api.check(v1, f"sqlite:///{copy}").changes == ()


def test_upgrade_of_a_copy_killed_mid_way_leaves_it_at_the_previous_revision(tmp_path: Path) -> None:
    original = tmp_path / "production.sqlite3"
    _, _, revision = baseline_then_change(tmp_path, f"sqlite:///{original}", new_column=True, notes=True)
    versions = revision.parent
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(original.read_bytes())
    original_before, copy_before = original.read_bytes(), sqlite_dump(copy)
    started = tmp_path / "operations-ran"
    inject_into_upgrade(
        revision, f"__import__('pathlib').Path({str(started)!r}).touch(); __import__('time').sleep(120)"
    )
    command = [
        sys.executable,
        "-m",
        "dbkit.cli",
        "upgrade",
        "--versions",
        str(versions),
        "--url",
        f"sqlite:///{copy}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not started.exists():  # every operation of the revision has run inside the transaction
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the upgrade never reached the injected pause"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()

    assert process.returncode == -signal.SIGKILL
    assert original.read_bytes() == original_before
    assert sqlite_dump(copy) == copy_before  # SQLite rolls the hot journal back on the next open
    assert api.current(versions, f"sqlite:///{copy}") == read_history(versions).revisions[0].revision


# -- concurrent `dbkit revision` runs ----------------------------------------------------------------------
def test_revision_planned_against_an_old_head_is_refused(tmp_path: Path) -> None:
    v1 = write_codebase(tmp_path / "v1")
    with_column = write_codebase(tmp_path / "with_column", new_column=True)
    with_notes = write_codebase(tmp_path / "with_notes", notes=True)
    versions = tmp_path / "versions"
    api.revision(v1, versions, from_source=v1, message="baseline")
    first = api.plan_revision(with_column, versions, message="column")
    second = api.plan_revision(with_notes, versions, message="notes")
    api.write_planned_revision(first, versions)
    with pytest.raises(RevisionError, match="the history moved"):
        api.write_planned_revision(second, versions)
    assert len(read_history(versions).heads) == 1
    assert len(list(versions.glob("*.py"))) == 2


def test_concurrent_revision_commands_never_leave_two_heads(tmp_path: Path) -> None:
    v1 = write_codebase(tmp_path / "v1")
    targets = [
        write_codebase(tmp_path / "with_column", new_column=True),
        write_codebase(tmp_path / "with_notes", notes=True),
        write_codebase(tmp_path / "with_member", new_member=True),
    ]
    versions = tmp_path / "versions"
    api.revision(v1, versions, from_source=v1, message="baseline")
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dbkit.cli",
                "revision",
                str(target),
                "--versions",
                str(versions),
                "-m",
                target.name,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for target in targets
    ]
    results = [(process.wait(timeout=120), *process.communicate()) for process in processes]

    for code, out, err in results:
        assert "Traceback" not in err
        # Refused: planned against a head that moved while it waited for the lock, or (when it
        # started after another run wrote) its target would undo that run's change.
        refused = code == 2 and ("history moved" in err or "Destructive change refused" in err)
        assert (code == 0 and "wrote " in out) or refused, (code, out, err)
    written = sum(code == 0 for code, _, _ in results)
    assert written >= 1
    history = read_history(versions)
    assert len(history.heads) == 1
    assert len(history.revisions) == 1 + written
    assert not (versions / LOCK_NAME).exists() and not list(versions.glob(".*.tmp"))
