"""run_all.py --sweep: the sizes the issue asks for, rows grouped by measure, one plot per measure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
try:
    run_all = pytest.importorskip("run_all")
finally:
    sys.path.remove(str(REPO / "bench"))


def _row(series: str, size: int, ratio: float | None, target: float | None = 0.05) -> dict[str, Any]:
    return {
        "bench": "migrate",
        "measure": f"{series} [{size} tables x 15 columns]",
        "series": series,
        "size": size,
        "dbkit": 1.0,
        "peer": 20.0,
        "ratio": ratio,
        "target": target,
    }


def test_the_sweep_covers_every_size_of_the_issue() -> None:
    sizes = {(point.bench, tuple(sorted(point.arguments.get("only", ())))): set() for point in run_all.SWEEP}
    for point in run_all.SWEEP:
        sizes[(point.bench, tuple(sorted(point.arguments.get("only", ()))))].add(point.size)
        assert point.arguments["repeat"] >= 5
    assert sizes[("generate", ())] == {50, 200, 1000}
    assert sizes[("migrate", ("inprocess",))] == {50, 200, 1000}
    assert sizes[("migrate", ("diff",))] == {100, 500}


def test_a_measure_is_its_name_without_the_size() -> None:
    assert run_all.series_of("parity, in process [200 tables x 15 columns; Alembic: 0 diffs]") == (
        "parity, in process"
    )
    assert run_all.series_of("dbkit --help, whole process (median of cold starts)") == (
        "dbkit --help, whole process (median of cold starts)"
    )


def test_one_png_per_measure_seen_at_two_sizes_or_more(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    rows = [
        _row("parity, in process", 50, 0.06),
        _row("parity, in process", 1000, 0.04),
        _row("diff, in process", 50, 0.07),  # one size only: nothing to draw against size
        {**_row("verify", 0, 1.1, 1.5), "size": 0},  # size-free
        _row("cold call", 200, None),  # no ratio
        _row("cold call", 1000, None),
    ]
    written = run_all.plot_sweep(rows, tmp_path)
    assert [path.name for path in written] == ["parity_in_process.png"]
    assert 0 < written[0].stat().st_size < 80_000


def test_a_measured_floor_is_drawn_on_the_plot_it_bounds(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    bounded = "dbkit diff of two codebases, whole process"
    rows = [_row(bounded, 100, 0.64, 0.5), _row(bounded, 500, 0.36, 0.5)]
    plain = run_all.plot_sweep(rows, tmp_path / "plain")[0].stat().st_size
    floor = [
        {**_row("floor: one codebase imported alone", size, ratio, None), "floor_for": bounded}
        for size, ratio in ((100, 0.38), (500, 0.26))
    ]
    written = run_all.plot_sweep([*rows, *floor], tmp_path / "with_floor")
    assert [path.name for path in written] == ["dbkit_diff_of_two_codebases_whole_process.png"]
    assert written[0].stat().st_size != plain  # the floor's line and legend entry are in it


def test_the_markdown_table_gives_each_row_its_verdict() -> None:
    table = run_all.markdown_table(
        [_row("parity, in process", 50, 0.06), _row("parity, in process", 1000, 0.04)]
    )
    lines = table.splitlines()
    assert lines[2].endswith("| MISS |") and lines[3].endswith("| OK |")
    assert "ratio <= 0.05 (20x faster)" in lines[2]
