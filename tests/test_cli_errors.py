"""Unexpected errors reach a `dbkit` user as one line naming the command, table and column, plus a log file.

`--debug` lets the traceback through; Ctrl-C is one line and exit 130; dbkit's own errors keep their
one-line message and exit 2. `dbkit.errors.working_on` records where the engine was.
"""

from __future__ import annotations

import contextvars
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_cli import SAMPLE, V2, run
from test_hostile_inputs import HOSTILE, assert_one_line_error

from dbkit import cli
from dbkit.errors import current_location, location_of, working_on
from dbkit.migrate.revisions.operations import OperationBuilder

#: A real codebase that breaks the engine: the SQLAlchemy docs' ``utcnow`` recipe, compiled for
#: MySQL only, as a server default. The snapshot spells defaults as its generic dialect, PostgreSQL or
#: SQLite would (prefect's GenerateUUID has compilers for the last two); none can spell this one.
MYSQL_ONLY_DEFAULT = """\
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement


class utcnow(FunctionElement):
    type = sa.DateTime()
    inherit_cache = True


@compiles(utcnow, "mysql")
def _mysql_utcnow(element, compiler, **kw):
    return "UTC_TIMESTAMP()"


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at = mapped_column(sa.DateTime, server_default=utcnow())
"""


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where this test's logs go (never the user's ~/.local/state)."""
    directory = tmp_path / "logs"
    monkeypatch.setenv("DBKIT_LOG_DIR", str(directory))
    return directory


@pytest.fixture
def broken_codebase(tmp_path: Path) -> Path:
    codebase = tmp_path / "app"
    codebase.mkdir()
    (codebase / "DB_Events.py").write_text(MYSQL_ONLY_DEFAULT)
    return codebase


def dbkit_process(*argv: object, cwd: Path, log_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DBKIT_LOG_DIR": str(log_dir)}
    command = [sys.executable, "-m", "dbkit.cli", *map(str, argv)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def assert_internal_error(code: int, err: str, log_dir: Path, *fragments: str) -> str:
    """Exit 70, exactly two lines (the error, the log's path), the log holding the traceback."""
    assert code == cli.EXIT_INTERNAL, err
    assert "Traceback" not in err
    first, second = err.splitlines()  # exactly two lines
    assert err.endswith("\n") and err.count("\n") == 2, err
    for fragment in fragments:
        assert fragment in first, first
    logs = list(log_dir.glob("dbkit-*.log"))
    assert len(logs) == 1, logs
    assert second == f"the traceback is in {logs[0]}; run again with --debug to print it here"
    log = logs[0].read_text()
    assert "Traceback (most recent call last)" in log
    assert "sqlalchemy " in log and "python " in log and "argv: dbkit " in log
    return log


# -- the real command on a real codebase ---------------------------------------------------------------
def test_unexpected_error_in_a_real_process_is_one_line_and_a_log(
    broken_codebase: Path, tmp_path: Path, log_dir: Path
) -> None:
    result = dbkit_process("snapshot", broken_codebase, "--out", "schema.json", cwd=tmp_path, log_dir=log_dir)
    log = assert_internal_error(
        result.returncode,
        result.stderr,
        log_dir,
        "dbkit snapshot: unexpected UnsupportedCompilationError",
        "while working on table 'events', column 'created_at':",
        "utcnow",
    )
    assert result.stdout == "" and not (tmp_path / "schema.json").exists()
    assert "UnsupportedCompilationError" in log and "_column_from_sqlalchemy" in log
    assert "working on: table 'events', column 'created_at'" in log
    assert "(dbkit was working on table 'events', column 'created_at')" in log  # the note


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_prints_the_traceback_instead(
    where: str, broken_codebase: Path, tmp_path: Path, log_dir: Path
) -> None:
    argv = ["revision", broken_codebase, "--versions", "versions", "-m", "first"]
    argv = ["--debug", *argv] if where == "before" else [*argv, "--debug"]
    result = dbkit_process(*argv, cwd=tmp_path, log_dir=log_dir)
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "UnsupportedCompilationError" in result.stderr
    assert "dbkit was working on table 'events', column 'created_at'" in result.stderr
    assert not log_dir.exists()


# -- in process: a failure planted in a per-change loop ------------------------------------------------
@pytest.fixture
def failing_add_column(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, str | None]]:
    """``add_column`` of the revision builder fails (for the first added column it meets)."""
    seen: list[tuple[str | None, str | None]] = []

    def add_column(self: OperationBuilder, change: object) -> list[object]:
        seen.append((change.table, change.column))  # type: ignore[attr-defined]
        raise RuntimeError("column type cannot be rendered\nsecond line of the message")

    monkeypatch.setattr(OperationBuilder, "add_column", add_column)
    return seen


def revision_argv(tmp_path: Path, *extra: str) -> list[str]:
    versions = tmp_path / "versions"
    return ["revision", str(V2), "--versions", str(versions), "--from", str(SAMPLE), "-m", "evolve", *extra]


def test_unexpected_error_names_command_table_and_column(
    failing_add_column: list[tuple[str | None, str | None]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    log_dir: Path,
) -> None:
    code, out, err = run(capsys, *revision_argv(tmp_path, "--allow-destructive"))
    [(table, column)] = failing_add_column
    log = assert_internal_error(
        code,
        err,
        log_dir,
        f"dbkit revision: unexpected RuntimeError while working on table {table!r}, column {column!r}: "
        "column type cannot be rendered",
    )
    assert "second line of the message" not in err and "second line of the message" in log
    assert f"working on: table {table!r}, column {column!r}" in log
    assert out == ""


def test_debug_in_process_raises_with_the_location(
    failing_add_column: list[tuple[str | None, str | None]], tmp_path: Path, log_dir: Path
) -> None:
    with pytest.raises(RuntimeError, match="column type cannot be rendered") as raised:
        cli.main(["--debug", *revision_argv(tmp_path, "--allow-destructive")])
    [(table, column)] = failing_add_column
    assert location_of(raised.value) == f"table {table!r}, column {column!r}"
    assert not log_dir.exists()


def test_a_log_that_cannot_be_written_is_said_on_the_second_line(
    failing_add_column: list[tuple[str | None, str | None]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    monkeypatch.setenv("DBKIT_LOG_DIR", str(not_a_directory))
    code, _, err = run(capsys, *revision_argv(tmp_path, "--allow-destructive"))
    assert code == cli.EXIT_INTERNAL and "Traceback" not in err
    first, second = err.splitlines()
    assert first.startswith("dbkit revision: unexpected RuntimeError while working on table ")
    assert second.startswith(f"the traceback could not be written to {not_a_directory}/dbkit-")
    assert second.endswith("; run again with --debug to print it here")


def test_the_log_keeps_passwords_out(tmp_path: Path, log_dir: Path) -> None:
    argv = ["check", "app", "--url", "postgresql://admin:s3cret@db.example.com/app"]
    try:
        with working_on(table="users"):
            raise ValueError("boom")
    except ValueError as exc:
        lines = cli.report_internal_error(exc, "check", argv).splitlines()
    assert lines[0] == "dbkit check: unexpected ValueError while working on table 'users': boom"
    [log] = log_dir.glob("dbkit-*.log")
    text = log.read_text()
    assert "s3cret" not in text and "postgresql://admin:***@db.example.com/app" in text
    assert (log.stat().st_mode & 0o777) == 0o600


def test_log_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DBKIT_LOG_DIR", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cli.log_directory() == tmp_path / "home" / ".local" / "state" / "dbkit" / "logs"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert cli.log_directory() == tmp_path / "state" / "dbkit" / "logs"
    monkeypatch.setenv("DBKIT_LOG_DIR", str(tmp_path / "logs"))
    assert cli.log_directory() == tmp_path / "logs"


def test_keyboard_interrupt_is_one_line_and_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, log_dir: Path
) -> None:
    from dbkit.migrate import api

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "write_snapshot", interrupted)
    code, out, err = run(capsys, "snapshot", SAMPLE, "--out", tmp_path / "schema.json")
    assert code == 130 and out == ""
    assert err.count("\n") == 1 and err.startswith("dbkit snapshot: interrupted"), err
    assert not log_dir.exists()


def test_dbkit_errors_keep_their_one_line_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, log_dir: Path
) -> None:
    code, _, err = run(
        capsys, "snapshot", HOSTILE / "foreign_key_to_missing_table", "--out", tmp_path / "s.json"
    )
    assert_one_line_error(code, err, "Order (table 'orders')", "'customers'", "no model defines")
    assert not log_dir.exists()


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the epilog to the terminal
    assert "70 internal error" in out and "130 interrupted" in out and "--debug" in out


# -- working_on ----------------------------------------------------------------------------------------
def raised_in(*contexts: dict[str, str]) -> Exception:
    """The exception raised inside ``working_on(**c)`` for each of ``contexts``, outermost first."""

    def enter(remaining: tuple[dict[str, str], ...]) -> None:
        if not remaining:
            raise LookupError("deep down")
        with working_on(**remaining[0]):
            enter(remaining[1:])

    with pytest.raises(LookupError) as raised:
        enter(contexts)
    return raised.value


def test_innermost_context_wins_and_names_missing_parts_from_outer_ones() -> None:
    exc = raised_in({"table": "users"}, {"column": "email"})
    assert location_of(exc) == "table 'users', column 'email'"
    assert exc.__notes__ == ["(dbkit was working on table 'users', column 'email')"]
    exc = raised_in({"table": "users", "column": "id"}, {"table": "teams"})
    assert location_of(exc) == "table 'teams', column 'id'"
    exc = raised_in({"what": "rendering the revision"}, {"table": "teams"})
    assert location_of(exc) == "table 'teams' (rendering the revision)"
    assert location_of(raised_in({"what": "loading"})) == "loading"


def test_location_is_recorded_once() -> None:
    error = RuntimeError("x")
    for table in ("first", "second"):
        with pytest.raises(RuntimeError), working_on(table=table):
            raise error
    assert location_of(error) == "table 'first'"
    assert len(error.__notes__) == 1


def test_nothing_recorded_outside_any_context_or_for_empty_ones() -> None:
    assert location_of(ValueError("x")) is None
    exc = raised_in({})
    assert location_of(exc) is None and not hasattr(exc, "__notes__")


def test_location_is_cleared_on_exit_even_when_raising() -> None:
    assert current_location() is None
    with working_on(table="users"):
        with working_on(column="email"):
            assert current_location() == "table 'users', column 'email'"
        assert current_location() == "table 'users'"
    assert current_location() is None
    raised_in({"table": "users"}, {"column": "email"})
    assert current_location() is None


def test_keyboard_interrupt_is_not_annotated() -> None:
    with pytest.raises(KeyboardInterrupt) as raised, working_on(table="users"):
        raise KeyboardInterrupt
    assert location_of(raised.value) is None


def test_no_leak_across_threads_or_contexts() -> None:
    seen: dict[str, str | None] = {}
    inside, done = threading.Event(), threading.Event()

    def worker() -> None:
        with working_on(table="worker_table"):
            inside.set()
            done.wait(5)
            seen["worker"] = current_location()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = current_location()  # the worker is inside its context right now
    done.set()
    thread.join()
    assert seen == {"main": None, "worker": "table 'worker_table'"}

    with working_on(table="users"):
        assert contextvars.Context().run(current_location) is None  # a fresh context
        assert contextvars.copy_context().run(current_location) == "table 'users'"  # inherited
