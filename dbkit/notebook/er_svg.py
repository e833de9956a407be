"""The ER diagram drawn as an inline SVG, laid out by dbkit: no Graphviz, no script, no network.

Layout (deterministic, so the report keeps the same bytes): a table sits one layer right of the
deepest table it references (longest path over foreign keys; self-references and cycles ignored),
layers become columns of boxes ordered by name, a layer with more than
:data:`MAX_BOXES_PER_COLUMN` tables wraps into further columns, and columns reaching past
:data:`MAX_WIDTH` start a new band below. Box sizes come from the text they
hold (a monospace font, so width is characters times a fixed advance). Foreign keys are curves
from the referencing column's row to the referenced table's header.

Each table is a ``<g class="er-table er-<mark>" data-table="...">`` and each column a ``<text
class="er-column er-<mark>" data-column="...">``, so a browser test can find boxes and marks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from dbkit.notebook.diagram import ADDED, CHANGED, DROPPED, RENAMED, ChangeMarks, marked_tables

if TYPE_CHECKING:
    from dbkit.migrate.schema.snapshot import ColumnSnapshot, Snapshot, TableSnapshot

MAX_BOXES_PER_COLUMN = 6
#: Columns that would reach past this width start a new band below (a long chain of references).
MAX_WIDTH = 2400
_FONT_SIZE = 12
_CHAR_WIDTH = 7.3  # a 12px monospace advance (DejaVu Sans Mono: 7.22), rounded up
_ROW = 17
_HEADER = 22
_PAD = 8
_GAP_X = 70
_GAP_Y = 26
_MARGIN = 12
_LEGEND = 28

#: Border and text colours of each mark (the report's risk palette, stronger for lines).
MARK_COLOURS = {ADDED: "#2e7d32", CHANGED: "#e69138", RENAMED: "#e69138", DROPPED: "#cc0000"}
_SIGNS = {ADDED: "+", CHANGED: "~", RENAMED: "~", DROPPED: "-"}


@dataclass(frozen=True)
class Box:
    """One table's box: position, size and the text rows it holds."""

    table: TableSnapshot
    x: float
    y: float
    width: float
    height: float

    def row_y(self, index: int) -> float:
        """The baseline of column row ``index``."""
        return self.y + _HEADER + _ROW * index + _ROW - 5


def er_svg(snapshot: Snapshot, marks: ChangeMarks | None = None, *, title: str = "ER diagram") -> str:
    """The diagram of ``snapshot`` (with ``marks``: dropped tables and columns drawn, changes coloured)."""
    tables = marked_tables(snapshot, marks)
    boxes = layout(tables, marks)
    width = max((box.x + box.width for box in boxes.values()), default=0) + _MARGIN
    height = max((box.y + box.height for box in boxes.values()), default=_LEGEND) + _MARGIN
    width = max(width, 420.0)
    parts = [
        f'<svg class="er-diagram" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" font-family="monospace" font-size="{_FONT_SIZE}">',
        f"<title>{escape(title)}</title>",
        _legend() if marks is not None else "",
        *(_edges(box, boxes) for box in boxes.values()),
        *(_box(box, marks) for box in boxes.values()),
        "</svg>",
    ]
    return "\n".join(part for part in parts if part)


def layout(tables: list[TableSnapshot], marks: ChangeMarks | None = None) -> dict[str, Box]:
    """Each table's box, by name: layered by foreign-key depth, wrapped into columns, never overlapping."""
    layers = _layers(tables)
    columns: list[list[TableSnapshot]] = []
    for layer in sorted(set(layers.values())):
        members = sorted((t for t in tables if layers[t.name] == layer), key=lambda t: t.name)
        columns += [
            members[i : i + MAX_BOXES_PER_COLUMN] for i in range(0, len(members), MAX_BOXES_PER_COLUMN)
        ]
    boxes: dict[str, Box] = {}
    x, band_top, band_bottom = float(_MARGIN), float(_MARGIN + _LEGEND), float(_MARGIN + _LEGEND)
    for members in columns:
        column_width = max(_box_width(table, marks) for table in members)
        if x > _MARGIN and x + column_width > MAX_WIDTH:  # a long chain of layers wraps into a new band
            x, band_top = float(_MARGIN), band_bottom + _GAP_Y
        y = band_top
        for table in members:
            height = _HEADER + _ROW * len(table.columns) + _PAD // 2
            boxes[table.name] = Box(table, x, y, _box_width(table, marks), float(height))
            y += height + _GAP_Y
        band_bottom = max(band_bottom, y - _GAP_Y)
        x += column_width + _GAP_X
    return boxes


def _layers(tables: list[TableSnapshot]) -> dict[str, int]:
    """Longest foreign-key path to a table that references none (cycles cut where first met)."""
    by_name = {table.name: table for table in tables}
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(name: str) -> int:
        if name in depth:
            return depth[name]
        visiting.add(name)
        parents = sorted(
            {fk.referred_table for fk in by_name[name].foreign_keys} - {name} - visiting & by_name.keys()
        )
        depth[name] = max((visit(parent) + 1 for parent in parents), default=0)
        visiting.discard(name)
        return depth[name]

    for name in sorted(by_name):
        visit(name)
    return depth


def _row_text(table: TableSnapshot, column: ColumnSnapshot, marks: ChangeMarks | None) -> str:
    mark, note = marks.column_mark(table.name, column.name) if marks else ("", "")
    sign = _SIGNS.get(mark, " ") if marks is not None else ""
    key = (
        "PK "
        if column.primary_key
        else ("FK " if any(column.name in fk.columns for fk in table.foreign_keys) else "")
    )
    text = f"{sign}{key}{column.name}: {column.type.label()}{'' if column.nullable else ' NOT NULL'}"
    return f"{text} ({note})" if note else text


def _header_text(table: TableSnapshot, marks: ChangeMarks | None) -> str:
    mark = marks.table_mark(table.name) if marks else ""
    return f"{table.name} ({mark})" if mark else table.name


def _box_width(table: TableSnapshot, marks: ChangeMarks | None) -> float:
    texts = [_header_text(table, marks), *(_row_text(table, column, marks) for column in table.columns)]
    return max(len(text) for text in texts) * _CHAR_WIDTH + 2 * _PAD


def _box(box: Box, marks: ChangeMarks | None) -> str:
    table = box.table
    mark = marks.table_mark(table.name) if marks else ""
    colour = MARK_COLOURS.get(mark, "#555555")
    dash = ' stroke-dasharray="6 3"' if mark == DROPPED else ""
    classes = " ".join(["er-table", *([f"er-{mark}"] if mark else [])])
    parts = [
        f'<g class="{classes}" data-table="{escape(table.name)}">',
        f'<rect class="er-box" x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
        f'rx="4" fill="#ffffff" stroke="{colour}" stroke-width="{2 if mark else 1}"{dash}/>',
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{_HEADER}" rx="4" '
        f'fill="{colour if mark else "#e8eef7"}" fill-opacity="{0.25 if mark else 1}"/>',
        f'<text x="{box.x + _PAD:.1f}" y="{box.y + _HEADER - 7:.1f}" font-weight="bold">'
        f"{escape(_header_text(table, marks))}</text>",
    ]
    for index, column in enumerate(table.columns):
        column_mark, _note = marks.column_mark(table.name, column.name) if marks else ("", "")
        fill = MARK_COLOURS.get(column_mark, "#222222")
        strike = ' text-decoration="line-through"' if column_mark == DROPPED else ""
        column_classes = " ".join(["er-column", *([f"er-{column_mark}"] if column_mark else [])])
        parts.append(
            f'<text class="{column_classes}" data-column="{escape(column.name)}" x="{box.x + _PAD:.1f}" '
            f'y="{box.row_y(index):.1f}" fill="{fill}"{strike}>{escape(_row_text(table, column, marks))}</text>'
        )
    parts.append("</g>")
    return "\n".join(parts)


def _edges(box: Box, boxes: dict[str, Box]) -> str:
    """One curve per foreign key of ``box``'s table, from its first column's row to the referenced header."""
    table = box.table
    positions = {column.name: index for index, column in enumerate(table.columns)}
    paths = []
    for fk in table.foreign_keys:
        target = boxes.get(fk.referred_table)
        if target is None or not fk.columns or fk.columns[0] not in positions:
            continue
        y1 = box.row_y(positions[fk.columns[0]]) - 4
        y2 = target.y + _HEADER / 2
        if target is box:  # self-reference: a loop on the right edge
            x = box.x + box.width
            d = f"M{x:.1f},{y1:.1f} C{x + 30:.1f},{y1:.1f} {x + 30:.1f},{y2:.1f} {x:.1f},{y2:.1f}"
        elif target.x < box.x:
            x1, x2 = box.x, target.x + target.width
            bend = (x1 - x2) / 2
            d = f"M{x1:.1f},{y1:.1f} C{x1 - bend:.1f},{y1:.1f} {x2 + bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        else:  # same column (a cycle, or a wrapped layer): around the left edges
            x1, x2 = box.x, target.x
            d = f"M{x1:.1f},{y1:.1f} C{x1 - 30:.1f},{y1:.1f} {x2 - 30:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        label = f"{table.name}({', '.join(fk.columns)}) → {fk.referred_table}"
        paths.append(
            f'<path class="er-edge" d="{d}" fill="none" stroke="#8899aa" stroke-width="1.2">'
            f"<title>{escape(label)}</title></path>"
        )
    return "\n".join(paths)


def _legend() -> str:
    items: Iterable[tuple[str, str]] = (
        ("+ added", MARK_COLOURS[ADDED]),
        ("~ changed or renamed", MARK_COLOURS[CHANGED]),
        ("- dropped", MARK_COLOURS[DROPPED]),
    )
    parts = ['<g class="er-legend">']
    x = float(_MARGIN)
    for label, colour in items:
        parts.append(
            f'<rect x="{x:.1f}" y="{_MARGIN:.1f}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16:.1f}" y="{_MARGIN + 10:.1f}">{escape(label)}</text>'
        )
        x += 16 + len(label) * _CHAR_WIDTH + 18
    parts.append("</g>")
    return "".join(parts)
