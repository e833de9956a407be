"""``--json`` outputs, snapshot documents and recorded revisions stay byte-identical across releases.

The files in ``golden/`` were written by the release before the engine was laid out by stage and
its changes were typed (see ``golden/make_golden.py``), on the sample and on a 50-table benchmark
codebase pair: an internal refactor must not change a byte of what users store or parse.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN))

from make_golden import contract_outputs  # noqa: E402


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return contract_outputs(tmp_path_factory.mktemp("contract"))


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.iterdir() if p.suffix in (".json", ".txt")))
def test_output_is_byte_identical_to_the_previous_release(outputs: dict[str, str], name: str) -> None:
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert outputs[name] == expected, f"{name} differs from what the previous release wrote"
