"""What notebooks show: report frames and styling, ER diagrams, charts, the review panel, the HTML report.

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
    "MermaidDiagram": "diagram",
    "er_diagram": "diagram",
    "mermaid_er": "diagram",
    "Chart": "charts",
    "phase_chart": "charts",
    "diff_chart": "charts",
    "ReviewPanel": "widgets",
    "write_report": "report",
    "report_html": "report",
    "Workspace": "workspaces",
    "workspace": "workspaces",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dbkit.notebook' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dbkit.notebook.{_EXPORTS[name]}"), name)
