"""Pictures where a person would rather look than read: migration progress and a diff's risks.

Drawn as SVG by hand (stacked horizontal bars and a legend): no plotting library to install,
and the output is text, identical on every run, so notebooks keep strict output checks. Each
:class:`Chart` prints as a small text table too, for readers of an untrusted notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbkit.migrate.diff.hints import HintedDiff
    from dbkit.migrate.source.inventory import Inventory

#: Stronger variants of the report colours, for bars.
PHASE_BAR_COLOURS = {"hand_written": "#e06666", "hybrid": "#f1c232", "generated": "#6aa84f"}
RISK_BAR_COLOURS = {
    "safe": "#6aa84f",
    "data_dependent": "#f1c232",
    "backward_incompatible": "#e69138",
    "destructive": "#cc0000",
}

_LABEL_WIDTH = 170
_BAR_WIDTH = 360
_ROW_HEIGHT = 26
_FONT = 'font-family="sans-serif" font-size="12"'


@dataclass(frozen=True)
class Chart:
    """A stacked bar chart: one row per label, one segment per category (in ``categories`` order)."""

    title: str
    rows: tuple[tuple[str, tuple[int, ...]], ...]
    categories: tuple[str, ...]
    colours: tuple[str, ...]

    def to_svg(self) -> str:
        scale = max((sum(values) for _label, values in self.rows), default=0) or 1
        legend_y = 30 + _ROW_HEIGHT * len(self.rows) + 8
        height = legend_y + 24
        width = _LABEL_WIDTH + _BAR_WIDTH + 50
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">',
            f"<title>{escape(self.title)}</title>",
            f'<text x="4" y="16" {_FONT} font-weight="bold">{escape(self.title)}</text>',
        ]
        for index, (label, values) in enumerate(self.rows):
            y = 30 + index * _ROW_HEIGHT
            parts.append(f'<text x="4" y="{y + 15}" {_FONT}>{escape(label)}</text>')
            x = float(_LABEL_WIDTH)
            for category, colour, value in zip(self.categories, self.colours, values, strict=True):
                if not value:
                    continue
                span = _BAR_WIDTH * value / scale
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{span:.1f}" height="20" fill="{colour}">'
                    f"<title>{escape(category)}: {value}</title></rect>"
                )
                if span >= 14:
                    parts.append(
                        f'<text x="{x + span / 2:.1f}" y="{y + 14}" {_FONT} text-anchor="middle" '
                        f'fill="white">{value}</text>'
                    )
                x += span
            parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" {_FONT}>{sum(values)}</text>')
        x = 4
        for category, colour in zip(self.categories, self.colours, strict=True):
            parts.append(f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{colour}"/>')
            parts.append(f'<text x="{x + 16}" y="{legend_y + 11}" {_FONT}>{escape(category)}</text>')
            x += 24 + 7 * len(category)
        parts.append("</svg>")
        return "\n".join(parts)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def __repr__(self) -> str:
        width = max((len(label) for label, _values in self.rows), default=0)
        lines = [self.title, " " * width + "  " + "  ".join(self.categories)]
        for label, values in self.rows:
            cells = "  ".join(
                f"{value:>{len(category)}}" for category, value in zip(self.categories, values, strict=True)
            )
            lines.append(f"{label:<{width}}  {cells}")
        return "\n".join(lines)


def phase_chart(
    stages: Mapping[str, Inventory | Mapping[str, int]], title: str = "Tables per phase"
) -> Chart:
    """One bar per stage (``{"today": inventory, "after Phase 2": ...}``), split by phase."""
    from dbkit.migrate.source.inventory import PHASES

    rows = []
    for label, stage in stages.items():
        counts = stage.phase_counts() if hasattr(stage, "phase_counts") else stage
        rows.append((label, tuple(int(counts.get(phase, 0)) for phase in PHASES)))
    return Chart(title, tuple(rows), PHASES, tuple(PHASE_BAR_COLOURS[p] for p in PHASES))


def diff_chart(diff: HintedDiff | Sequence[object], title: str = "Changes per table, by risk") -> Chart:
    """One bar per table, split by the risk of its changes (enum-wide changes under their enum)."""
    from dbkit.migrate.diff.risk import Risk

    changes = getattr(diff, "changes", diff)
    risks = tuple(
        str(risk) for risk in (Risk.SAFE, Risk.DATA_DEPENDENT, Risk.BACKWARD_INCOMPATIBLE, Risk.DESTRUCTIVE)
    )
    counts: dict[str, dict[str, int]] = {}
    for change in changes:
        label = change.table or f"enum {getattr(change, 'enum', '')}"  # type: ignore[attr-defined]
        row = counts.setdefault(label, dict.fromkeys(risks, 0))
        row[str(change.risk)] += 1  # type: ignore[attr-defined]
    rows = tuple((label, tuple(counts[label][risk] for risk in risks)) for label in sorted(counts))
    return Chart(title, rows, risks, tuple(RISK_BAR_COLOURS[r] for r in risks))
