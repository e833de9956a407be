"""The ER diagram's own layout: one box per table, never overlapping, layered by foreign keys, marks drawn."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

from report_codebases import write_large_codebase, write_shop

from dbkit.migrate import api
from dbkit.notebook.diagram import change_marks, marked_tables
from dbkit.notebook.er_svg import MAX_WIDTH, Box, er_svg, layout


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


def test_referenced_tables_sit_left_of_the_tables_referencing_them(tmp_path: Path) -> None:
    snapshot = api.snapshot_of(write_shop(tmp_path / "v2", "v2"))
    boxes = layout(list(snapshot.tables))
    assert boxes["customers"].x < boxes["orders"].x < boxes["invoices"].x


def test_a_long_chain_wraps_into_bands_and_no_box_overlaps(tmp_path: Path) -> None:
    snapshot = api.snapshot_of(write_large_codebase(tmp_path / "big", 40, extra_column=False))
    boxes = layout(list(snapshot.tables))
    assert len(boxes) == 40
    assert max(box.x + box.width for box in boxes.values()) <= MAX_WIDTH
    assert not [(a, b) for a, b in combinations(boxes.values(), 2) if _overlap(a, b)]


def test_changes_are_marked_and_dropped_items_kept(tmp_path: Path) -> None:
    old = api.snapshot_of(write_shop(tmp_path / "v2", "v2"))
    new = api.snapshot_of(write_shop(tmp_path / "v3", "v3"))
    marks = change_marks(api.diff(old, new).changes, new)
    assert [t.name for t in marked_tables(new, marks)] == ["customers", "invoices", "orders"]
    svg = er_svg(new, marks)
    assert re.search(r'<g class="er-table er-dropped" data-table="invoices">', svg)
    assert 'class="er-column er-dropped" data-column="total"' in svg
    assert 'class="er-column er-dropped" data-column="email"' in svg
    assert svg.count('<g class="er-table') == 3 and svg.count('class="er-edge"') == 2
