"""Formatting the generated source with ruff (when it is installed)."""

from __future__ import annotations

import functools
import importlib.util
import shutil
import subprocess
import sys

from dbkit.migrate.codemod.scaffold.constants import LINE_LENGTH
from dbkit.migrate.codemod.scaffold.results import ScaffoldError


def format_source(source: str, line_length: int = LINE_LENGTH) -> str:
    """``ruff format`` the source when ruff is available (isolated from any project config)."""
    command = _ruff_command()
    if command is None:
        return source
    result = subprocess.run(
        [*command, "format", "--isolated", f"--line-length={line_length}", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ScaffoldError(f"ruff format refused the generated source: {result.stderr.strip()}")
    return result.stdout


@functools.cache
def _ruff_command() -> tuple[str, ...] | None:
    if importlib.util.find_spec("ruff") is not None:
        return (sys.executable, "-m", "ruff")
    found = shutil.which("ruff")
    return (found,) if found else None
