"""The layout shows the architecture: imports flow one way, and `import dbkit` stays cheap.

The layering, the engine's stage order and the absence of import cycles (imports inside functions
included) are import-linter contracts in ``pyproject.toml``; this test runs them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "0 broken" in report


def test_import_dbkit_loads_no_heavy_package() -> None:
    code = "import sys, dbkit; print(sorted(m for m in ('sqlalchemy', 'pandas', 'alembic', 'pydantic') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
