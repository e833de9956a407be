"""The review report as one self-contained HTML page, and :func:`write_report` for either form.

``dbkit report`` writes it; a team attaches it to a pull request or a CI run, and notebook 05
shows it inline. Everything is inline (styles and SVG pictures, no scripts, no external files,
nothing fetched) and nothing in it depends on time or the machine, so two runs on the same
inputs write the same bytes. The reviewer's order: the verdict, the changes with their risk,
lint's decision and the locks lint found, rename suggestions, the SQL per dialect, ``verify``,
parity and the inventory, then the ER diagram with the changes marked.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from dbkit.errors import DbkitError
from dbkit.notebook.charts import diff_chart, phase_chart
from dbkit.notebook.diagram import change_marks
from dbkit.notebook.er_svg import er_svg
from dbkit.notebook.frames import (
    diff_table,
    inventory_table,
    parity_summary_table,
    parity_table,
    problems_table,
    suggestions_table,
)
from dbkit.notebook.report_markdown import review_markdown
from dbkit.notebook.review import (
    DIALECT_NAMES,
    LARGE_TABLE_COLUMNS,
    LOCK_COLUMNS,
    NO_LOCKS,
    Review,
    build_review,
    large_table_rows,
    lock_rows,
    rows_note,
)
from dbkit.notebook.revision_sql import DIALECTS

if TYPE_CHECKING:
    from dbkit.migrate.diff.lint import Verdict

#: The report's formats, by the output file's extension.
FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}

#: Scoped to the report's own element, so the page can also sit inside a notebook's output.
_PAGE_STYLE = """
.dbkit-report { font-family: sans-serif; margin: 2em; color: #222; max-width: 80em; }
.dbkit-report h1 { font-size: 1.5em; }
.dbkit-report h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.dbkit-report table { border-collapse: collapse; margin: 0.5em 0; }
.dbkit-report caption { text-align: left; font-weight: bold; }
.dbkit-report th, .dbkit-report td { border: 1px solid #ddd; font-size: 0.9em; }
.dbkit-report pre { background: #f6f6f6; padding: 0.6em; white-space: pre-wrap; }
.dbkit-report details { margin: 0.3em 0; } .dbkit-report summary { cursor: pointer; font-family: monospace; }
.dbkit-report .verdict { padding: 0.6em 1em; border-radius: 4px; font-weight: bold; }
.dbkit-report .verdict.refused { background: #f8b4b4; } .dbkit-report .verdict.accepted { background: #d9f2d9; }
.dbkit-report .verdict.none { background: #e8eef7; }
.dbkit-report .diagram { overflow-x: auto; }
"""


class ReportFormatError(DbkitError):
    """The output file's extension names no report format."""


def report_format(out: str | Path) -> str:
    """``html`` or ``markdown``, from ``out``'s extension; anything else is refused before any work."""
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise ReportFormatError(
            f"--out {out}: unknown report format {suffix or '(no extension)'!r}. Name the file .html "
            "(a page to open or attach) or .md (Markdown for a pull-request comment)."
        )
    return FORMATS[suffix]


def write_report(
    path: str | Path,
    out: str | Path,
    *,
    target: str | Path | None = None,
    versions: str | Path | None = None,
    url: str | None = None,
    title: str | None = None,
) -> Path:
    """Write the report of PATH (or of the change from PATH to ``target``) to ``out``; return ``out``.

    The format follows ``out``'s extension (:data:`FORMATS`), checked before any work.
    """
    report_format(out)
    review = build_review(path, target=target, versions=versions, url=url, title=title)
    return write_review(review, out)


def write_review(review: Review, out: str | Path) -> Path:
    """Write ``review`` in the format of ``out``'s extension, whole or not at all (a failure leaves any
    earlier file at ``out`` untouched); return ``out``."""
    form = report_format(out)
    text = render_html(review) if form == "html" else review_markdown(review)
    _write_whole(Path(out), text)
    return Path(out)


def _write_whole(out: Path, text: str) -> None:
    from dbkit.migrate.files import write_atomically

    out.parent.mkdir(parents=True, exist_ok=True)
    new = not out.exists()
    write_atomically(out, text)
    if new:  # the temporary file's mode is private to the owner; a new report gets open()'s
        os.chmod(out, _default_mode())


def _default_mode() -> int:
    """What ``open()`` would give a new file (mkstemp's is private to the owner)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def report_html(
    path: str | Path,
    *,
    target: str | Path | None = None,
    versions: str | Path | None = None,
    url: str | None = None,
    title: str | None = None,
) -> str:
    """The page :func:`write_report` writes to an ``.html`` file (a notebook shows it inline)."""
    return render_html(build_review(path, target=target, versions=versions, url=url, title=title))


def render_html(review: Review) -> str:
    sections = [
        f"<h1>{escape(review.title)}</h1>",
        _verdict_section(review),
        *(_change_sections(review) if review.plan is not None else []),
        _codebase_section(review),
        _diagram_section(review),
    ]
    body = "\n".join(section for section in sections if section)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(review.title)}</title>\n<style>{_PAGE_STYLE}</style>\n</head>\n"
        f'<body>\n<div class="dbkit-report">\n{body}\n</div>\n</body>\n</html>\n'
    )


def _verdict_section(review: Review) -> str:
    state = (
        "none"
        if review.plan is None or not review.plan.changes
        else "refused"
        if review.refused
        else "accepted"
    )
    parts = [
        '<h2 id="verdict">Verdict</h2>',
        f'<p class="verdict {state}">{escape(review.verdict_summary)}</p>',
    ]
    if review.verdict is not None and review.refused:
        parts.append(
            "<ul>" + "".join(f"<li>{escape(text)}</li>" for text in review.verdict.refusals) + "</ul>"
        )
    return "\n".join(parts)


def _change_sections(review: Review) -> list[str]:
    diff, verdict, plan = review.diff, review.verdict, review.plan
    assert diff is not None and verdict is not None and plan is not None
    if not diff.changes:
        return []
    changes = [
        '<h2 id="changes">Changes</h2>',
        f"<pre>{escape(diff.message)}</pre>" if diff.message else "",
        diff_chart(diff).to_svg(),
        diff_table(diff, verdict, uuid="dbkit-report-diff").to_html(),  # unique beside a notebook's own
        *(f"<p>{escape(note)}</p>" for note in plan.notes),
        _plans_html(verdict),
        _locks_html(review),
    ]
    sections = ["\n".join(part for part in changes if part)]
    if diff.suggestions:
        sections.append('<h2 id="renames">Rename suggestions</h2>\n' + suggestions_table(diff).to_html())
    sections.append(_sql_section(review))
    if review.verify is not None or review.verify_skipped:
        sections.append(_verify_section(review))
    return sections


def _plans_html(verdict: Verdict) -> str:
    if not verdict.plans:
        return ""
    items = "".join(
        f"<li><code>{escape(plan.table)}.{escape(plan.column)}</code>: {escape('; '.join(plan.steps))}</li>"
        for plan in verdict.plans
    )
    return f"<p>Backfills:</p><ul>{items}</ul>"


def _locks_html(review: Review) -> str:
    """Lint's locks per change (both forms, rows when known) and its large-table warnings."""
    verdict = review.verdict
    assert verdict is not None
    parts = [
        _plain_table(lock_rows(verdict), LOCK_COLUMNS, "dbkit-locks", "PostgreSQL locks and running code"),
        _plain_table(large_table_rows(verdict), LARGE_TABLE_COLUMNS, "dbkit-large-tables", "Large tables"),
    ]
    if not any(parts):
        parts.append(f"<p>{escape(NO_LOCKS)}</p>")
    parts.append(f"<p>{escape(rows_note(review))}</p>")
    return "\n".join(part for part in parts if part)


def _plain_table(rows: list[dict[str, object]], columns: list[str], uuid: str, caption: str) -> str:
    import pandas as pd

    if not rows:
        return ""
    frame = pd.DataFrame(rows, columns=columns).fillna("").astype(object)
    return frame.style.set_uuid(uuid).hide(axis="index").set_caption(caption).to_html()


def _sql_section(review: Review) -> str:
    if not review.sql:
        return ""
    intro = (
        "What the revision runs, per operation: SQLite on an empty copy of the old schema, PostgreSQL "
        "as Alembic's offline mode writes it."
    )
    if review.refused:
        intro += (
            " The revision is refused as it stands: this is what it would run once the refusals are resolved."
        )
    parts = ['<h2 id="sql">SQL the revision runs</h2>', f"<p>{escape(intro)}</p>"]
    for number, operation in enumerate(review.sql, start=1):
        blocks = "".join(
            f"<p>{DIALECT_NAMES[dialect]}</p><pre>{escape(operation.sql[dialect])}</pre>"
            for dialect in DIALECTS
        )
        parts.append(f"<details><summary>{number}. {escape(operation.title)}</summary>{blocks}</details>")
    return "\n".join(parts)


def _verify_section(review: Review) -> str:
    from dbkit.notebook.frames import verify_text

    text = verify_text(review.verify) if review.verify is not None else review.verify_skipped
    return f'<h2 id="verify">Verify on a scratch copy</h2>\n<pre>{escape(text)}</pre>'


def _codebase_section(review: Review) -> str:
    parts = []
    if review.parity is not None:
        schema = len(review.parity.differences("schema"))
        verdict = (
            f"{schema} schema-level difference(s): replacing those hand-written classes needs a migration or a fix."
            if schema
            else "No schema-level difference: every generated model can replace its hand-written class."
        )
        parts += [
            '<h2 id="parity">Parity: hand-written vs generated</h2>',
            f"<p>{escape(verdict)}</p>",
            parity_summary_table(review.parity).to_html(),
        ]
        if review.parity.differences():
            parts.append(parity_table(review.parity).to_html())
    if review.inventory is not None:
        result = review.inventory
        summary = ", ".join(
            f"{count} {phase.replace('_', '-')}" for phase, count in result.phase_counts().items()
        )
        parts += [
            '<h2 id="inventory">Inventory</h2>',
            f"<p>{len(result.tables)} tables: {escape(summary)}.</p>",
            phase_chart({"tables": result}).to_svg(),
            inventory_table(result).to_html(),
        ]
        if result.problems:
            parts.append(problems_table(result).to_html())
    return "\n".join(parts)


def _diagram_section(review: Review) -> str:
    if review.new is not None and review.diff is not None:
        svg = er_svg(
            review.new, change_marks(review.diff.changes, review.new), title="ER diagram of the change"
        )
    else:
        svg = er_svg(review.old, title="ER diagram")
    return f'<h2 id="diagram">Entity-relationship diagram</h2>\n<div class="diagram">\n{svg}\n</div>'
