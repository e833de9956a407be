"""One self-contained HTML page about a codebase: inventory, parity and, given a target, the diff.

``dbkit report`` writes it; a team attaches it to a pull request or a CI run. Everything is
inline (styles and SVG pictures, no scripts, no external files) and nothing in it depends on
time or the machine, so two runs on the same code write the same bytes.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from dbkit.notebook.charts import diff_chart, phase_chart
from dbkit.notebook.diagram import mermaid_er
from dbkit.notebook.frames import (
    diff_table,
    inventory_table,
    parity_summary_table,
    parity_table,
    problems_table,
    suggestions_table,
    verdict_text,
)

if TYPE_CHECKING:
    from dbkit.migrate.source.codebase import Codebase

_PAGE_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; } caption { text-align: left; font-weight: bold; }
th, td { border: 1px solid #ddd; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.6em; white-space: pre-wrap; }
"""


def write_report(
    path: str | Path,
    out: str | Path,
    *,
    target: str | Path | None = None,
    title: str | None = None,
) -> Path:
    """Write the report of the codebase at ``path`` to ``out`` (an ``.html`` file); return ``out``.

    With ``target`` (the codebase's next version, a snapshot file or a database URL), the page
    also holds the changes from ``path``'s schema to the target's, with rename hints applied,
    each change's risk and lint's verdict.
    """
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(report_html(path, target=target, title=title), encoding="utf-8")
    return out_path


def report_html(path: str | Path, *, target: str | Path | None = None, title: str | None = None) -> str:
    """The page :func:`write_report` writes."""
    from dbkit.migrate import api

    codebase = api.load(path)
    name = Path(path).resolve().name
    heading = title or f"dbkit report: {name}"
    sections = [f"<h1>{escape(heading)}</h1>", _inventory_section(codebase), _parity_section(codebase)]
    if target is not None:
        sections.append(_diff_section(codebase, target))
    sections.append(_diagram_section(codebase))
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(heading)}</title>\n<style>{_PAGE_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _inventory_section(codebase: Codebase) -> str:
    from dbkit.migrate.source.inventory import inventory

    result = inventory(codebase)
    counts = result.phase_counts()
    summary = ", ".join(f"{count} {phase.replace('_', '-')}" for phase, count in counts.items())
    parts = [
        "<h2>Inventory</h2>",
        f"<p>{len(result.tables)} tables: {escape(summary)}.</p>",
        phase_chart({"tables": result}).to_svg(),
        inventory_table(result).to_html(),
    ]
    if result.problems:
        parts.append(problems_table(result).to_html())
    return "\n".join(parts)


def _parity_section(codebase: Codebase) -> str:
    from dbkit.migrate.source.parity import parity

    report = parity(codebase)
    schema = len(report.differences("schema"))
    verdict = (
        f"{schema} schema-level difference(s): replacing those hand-written classes needs a migration or a fix."
        if schema
        else "No schema-level difference: every generated model can replace its hand-written class."
    )
    parts = [
        "<h2>Parity: hand-written vs generated</h2>",
        f"<p>{escape(verdict)}</p>",
        parity_summary_table(report).to_html(),
    ]
    if report.differences():
        parts.append(parity_table(report).to_html())
    return "\n".join(parts)


def _diff_section(codebase: Codebase, target: str | Path) -> str:
    from dbkit.migrate import api

    new = api.snapshot_of(target)
    diff = api.diff(api.codebase_snapshot(codebase), new)
    verdict = diff.lint(snapshot=new)
    parts = [
        f"<h2>Changes towards {escape(Path(str(target)).name)}</h2>",
        f"<pre>{escape(diff.message or '(no migration_notes)')}</pre>",
    ]
    if not diff.changes:
        parts.append("<p>No change.</p>")
        return "\n".join(parts)
    parts += [
        diff_chart(diff).to_svg(),
        diff_table(diff, verdict).to_html(),
        f"<pre>{escape(verdict_text(verdict))}</pre>",
    ]
    if diff.suggestions:
        parts.append(suggestions_table(diff).to_html())
    return "\n".join(parts)


def _diagram_section(codebase: Codebase) -> str:
    from dbkit.migrate import api

    text = mermaid_er(api.codebase_snapshot(codebase))
    return (
        "<h2>Entity-relationship diagram (Mermaid source)</h2>\n"
        "<p>Paste into a Markdown <code>```mermaid</code> block (GitHub, JupyterLab) to draw it.</p>\n"
        f"<pre>{escape(text)}</pre>"
    )
