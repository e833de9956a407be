"""Rendering Python source: the import block and formatting with ruff."""

from __future__ import annotations

import functools
import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from dbkit.migrate.codemod.scaffold.constants import LINE_LENGTH
from dbkit.migrate.codemod.scaffold.results import ScaffoldError

# -- rendering source --------------------------------------------------------------------------------


@dataclass
class Imports:
    """The imports one module uses, rendered in isort order (stdlib, third party, the codebase's own)."""

    modules: dict[str, str | None] = field(default_factory=dict)
    names: dict[str, set[str]] = field(default_factory=dict)

    def module(self, name: str, alias: str | None = None) -> str:
        self.modules[name] = alias
        return alias or name

    def name(self, module: str, name: str) -> str:
        self.names.setdefault(module, set()).add(name)
        return name

    def render(self, local_modules: Iterable[str] = ()) -> str:
        local = set(local_modules)
        groups: dict[int, list[tuple[str, str]]] = {0: [], 1: [], 2: []}

        def group(module: str) -> int:
            top = module.split(".")[0]
            if top in local:
                return 2
            return 0 if top in sys.stdlib_module_names else 1

        for module, alias in self.modules.items():
            line = f"import {module} as {alias}" if alias and alias != module else f"import {module}"
            groups[group(module)].append((module, line))
        for module, names in self.names.items():
            ordered = sorted(names, key=_isort_name_key)
            groups[group(module)].append((module, f"from {module} import {', '.join(ordered)}"))
        blocks = []
        for index in sorted(groups):
            lines = [line for _, line in sorted(groups[index], key=lambda item: _isort_line_key(*item))]
            if lines:
                blocks.append("\n".join(lines))
        return "\n\n".join(blocks)


def _isort_name_key(name: str) -> tuple[int, str, str]:
    """isort's order-by-type of imported names: CONSTANTS, Classes, functions, each case-insensitively."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (kind, name.lower(), name)


def _isort_line_key(module: str, line: str) -> tuple[int, str]:
    """``import x`` lines before ``from x import`` lines, each sorted by module (ruff's isort default)."""
    return (0 if line.startswith("import ") else 1, module.lower())


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
