"""The layout shows the architecture: imports flow one way, and `import dbkit` stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dbkit"

#: layer → packages it must never import (lower layers never reach up).
FORBIDDEN = {
    "dbkit.naming": ("dbkit.generate", "dbkit.bll", "dbkit.migrate", "dbkit.notebook", "dbkit.cli"),
    "dbkit.errors": ("dbkit.generate", "dbkit.bll", "dbkit.migrate", "dbkit.notebook", "dbkit.cli"),
    "dbkit.manager": ("dbkit.generate", "dbkit.bll", "dbkit.migrate", "dbkit.notebook", "dbkit.cli"),
    "dbkit.entity": ("dbkit.generate", "dbkit.bll", "dbkit.migrate", "dbkit.notebook", "dbkit.cli"),
    "dbkit.search": ("dbkit.generate", "dbkit.bll", "dbkit.migrate", "dbkit.notebook", "dbkit.cli"),
    "dbkit.generate": ("dbkit.bll", "dbkit.migrate", "dbkit.notebook", "dbkit.cli"),
    "dbkit.bll": ("dbkit.migrate", "dbkit.notebook", "dbkit.cli"),
    "dbkit.migrate": ("dbkit.notebook", "dbkit.cli", "dbkit.bll"),
    "dbkit.notebook": ("dbkit.cli",),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path) -> None:
    module = _module_name(path)
    for layer, forbidden in FORBIDDEN.items():
        if module == layer or module.startswith(layer + "."):
            bad = sorted(
                name
                for name in _imports(path)
                if any(name == f or name.startswith(f + ".") for f in forbidden)
            )
            assert not bad, f"{module} imports {bad}, which sit above it in the layering"


def test_import_dbkit_loads_no_heavy_package() -> None:
    code = "import sys, dbkit; print(sorted(m for m in ('sqlalchemy', 'pandas', 'alembic', 'pydantic') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
