"""Schema commands run with Python's cyclic collector off (what they build lives until the process
exits); row commands keep it; either way ``main`` leaves the collector as it found it."""

from __future__ import annotations

import argparse
import gc

import pytest

from dbkit import cli


def test_every_schema_command_is_a_command() -> None:
    commands = cli.build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) >= cli.SCHEMA_COMMANDS
    assert {"verify", "validate-data", "upgrade", "downgrade", "demo"}.isdisjoint(cli.SCHEMA_COMMANDS)


@pytest.mark.parametrize(
    ("command", "handler", "argv", "collecting"),
    [
        ("diff", "cmd_diff", ["diff", "a.json", "b.json"], False),
        ("verify", "cmd_verify", ["verify", "--versions", "versions"], True),
    ],
)
def test_the_collector_is_off_only_while_a_schema_command_runs(
    monkeypatch: pytest.MonkeyPatch, command: str, handler: str, argv: list[str], collecting: bool
) -> None:
    seen: list[bool] = []

    def record(args: argparse.Namespace) -> int:
        assert args.command == command
        seen.append(gc.isenabled())
        return cli.EXIT_OK

    monkeypatch.setattr(cli, handler, record)
    assert gc.isenabled()
    assert cli.main(argv) == cli.EXIT_OK
    assert seen == [collecting]
    assert gc.isenabled()


def test_the_collector_comes_back_after_a_failing_schema_command(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(args: argparse.Namespace) -> int:
        raise cli.CommandLineError("refused")

    monkeypatch.setattr(cli, "cmd_diff", fail)
    assert cli.main(["diff", "a.json", "b.json"]) == cli.EXIT_ERROR
    assert gc.isenabled()


def test_only_the_exiting_process_freezes_what_a_schema_command_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``run`` (the process) freezes, so the interpreter's exit skips a last pass over the command's
    objects; ``main`` called in a process that goes on never leaves anything frozen."""
    monkeypatch.setattr(cli, "cmd_diff", lambda args: cli.EXIT_OK)
    before = gc.get_freeze_count()
    assert cli.main(["diff", "a.json", "b.json"]) == cli.EXIT_OK
    assert gc.get_freeze_count() == before
    try:
        assert cli.main(["diff", "a.json", "b.json"], exiting=True) == cli.EXIT_OK
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
    assert gc.isenabled()


def test_the_dbkit_process_exits_through_run() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["dbkit"] == "dbkit.cli:run"
