"""What notebooks show and use: report frames and styling, ER diagrams, charts, the review panel, the
HTML report, and the helpers migration notebooks share (workspaces, row counts and copies, phase replays).

Names are exported lazily so ``import dbkit.notebook`` does not import pandas or ipywidgets.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ReportTable": "frames",
    "inventory_table": "frames",
    "problems_table": "frames",
    "parity_summary_table": "frames",
    "parity_table": "frames",
    "diff_table": "frames",
    "suggestions_table": "frames",
    "verdict_text": "frames",
    "verify_text": "frames",
    "shorten": "frames",
    "MermaidDiagram": "diagram",
    "er_diagram": "diagram",
    "mermaid_er": "diagram",
    "Chart": "charts",
    "phase_chart": "charts",
    "diff_chart": "charts",
    "ReviewPanel": "widgets",
    "ParityDecisions": "widgets",
    "parity_decisions": "widgets",
    "write_report": "report",
    "report_html": "report",
    "Workspace": "workspaces",
    "workspace": "workspaces",
    "directory_diff": "workspaces",
    "with_fixes": "workspaces",
    "row_counts": "databases",
    "counts_line": "databases",
    "scalar": "databases",
    "copy_rows": "databases",
    "switch_to_generated": "phases",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dbkit.notebook' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dbkit.notebook.{_EXPORTS[name]}"), name)
