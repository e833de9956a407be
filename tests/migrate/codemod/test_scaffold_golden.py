"""Scaffold's output is pinned byte for byte: a refactor of the generator must not change it.

The cases (the sample application, every ``tests/hostile`` codebase, the 50-table benchmark
codebase, the shapes of ``test_scaffold.py``) and their recorded output live in
``scaffold_golden/``; re-record them with ``scaffold_golden/make_golden.py`` only when a change of
the output is intended.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

GOLDEN = Path(__file__).resolve().parent / "scaffold_golden"


def _make_golden() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scaffold_make_golden", GOLDEN / "make_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


make_golden = _make_golden()
CASES = make_golden.cases()
#: The recorded cases (a codebase added to tests/hostile later is not one until make_golden.py runs).
RECORDED = sorted(path.name for path in make_golden.CASES_DIR.iterdir() if path.is_dir())


def test_every_recorded_case_still_has_its_input() -> None:
    assert set(RECORDED) <= set(CASES)
    assert len(RECORDED) >= 28  # sample app, benchmark, 4 shapes of test_scaffold.py, 22 hostile codebases


@pytest.mark.parametrize("name", RECORDED)
def test_scaffold_output_is_unchanged(name: str) -> None:
    expected: dict[str, Any] = make_golden.read(name)
    found: dict[str, Any] = make_golden.run_case(CASES[name])
    assert found.keys() == expected.keys()
    for key in expected:
        if isinstance(expected[key], dict) and key.endswith("modules"):
            assert list(found[key]) == list(expected[key]), f"{name}: {key} order"
            for module, source in expected[key].items():
                assert found[key][module] == source, f"{name}: {key}[{module}] differs"
        else:
            assert found[key] == expected[key], f"{name}: {key} differs"


def test_every_recorded_module_imports_exactly_what_it_uses(tmp_path: Path) -> None:
    """No unused import, no undefined name (ruff's pyflakes rules) in any recorded module."""
    for name in RECORDED:
        for module, source in make_golden.read(name).get("modules", {}).items():
            (tmp_path / f"{name}__{module}.py").write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select=F401,F811,F821,F822", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
