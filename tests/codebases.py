"""Small codebases written into a test's directory (the loader's, inventory's and isolation's tests)."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_codebase(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative paths, dedented) under ``root``; parent directories are created."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    root.mkdir(parents=True, exist_ok=True)
    return root
