"""Codemods write a codebase whole or not at all (dbkit.migrate.files.write_all_or_none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbkit.migrate.files import read_exactly, write_all_or_none


class StaleError(Exception):
    pass


def test_every_file_is_written_and_crlf_endings_survive(tmp_path: Path) -> None:
    first, second = tmp_path / "BLL_A.py", tmp_path / "BLL_B.py"
    first.write_bytes(b"a = 1\r\n")
    written = write_all_or_none(
        [(first, "a = 1\r\n", "a = 2\r\n"), (second, None, "b = 1\n")], lambda path: StaleError(path)
    )
    assert written == [first, second]
    assert first.read_bytes() == b"a = 2\r\n" and read_exactly(second) == "b = 1\n"


def test_a_file_changed_since_planning_refuses_before_anything_is_written(tmp_path: Path) -> None:
    first, second = tmp_path / "BLL_A.py", tmp_path / "BLL_B.py"
    first.write_text("a = 1\n")
    second.write_text("b = 1  # edited meanwhile\n")
    with pytest.raises(StaleError, match=r"BLL_B\.py"):
        write_all_or_none(
            [(first, "a = 1\n", "a = 2\n"), (second, "b = 1\n", "b = 2\n")], lambda p: StaleError(str(p))
        )
    assert first.read_text() == "a = 1\n" and second.read_text() == "b = 1  # edited meanwhile\n"


def test_a_failure_part_way_puts_back_what_was_written(tmp_path: Path) -> None:
    first, created = tmp_path / "BLL_A.py", tmp_path / "BLL_New.py"
    first.write_text("a = 1\n")
    missing_directory = tmp_path / "gone" / "BLL_C.py"  # its write fails: no such directory
    with pytest.raises(OSError):
        write_all_or_none(
            [(first, "a = 1\n", "a = 2\n"), (created, None, "n = 1\n"), (missing_directory, None, "c = 1\n")],
            lambda path: StaleError(path),
        )
    assert first.read_text() == "a = 1\n" and not created.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["BLL_A.py"]  # no temporary left behind
