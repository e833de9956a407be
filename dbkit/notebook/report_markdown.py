"""The review report as Markdown for one pull-request (or merge-request) comment.

GitHub- and GitLab-flavoured: pipe tables, ``<details>`` blocks folding the SQL of each
operation, and a ```` ```mermaid ```` ER diagram (both forges draw it). A comment is capped
(GitHub: 65,536 characters), so :func:`review_markdown` stays under :data:`MAX_CHARACTERS`: when
the full report is longer it drops detail in a fixed order (the diagram's unchanged tables, the
SQL, unchanged tables' parity rows, the diagram, then changes past those that fit) and says what
it cut.
The first line is :data:`MARKER`, a hidden comment a CI job finds its earlier comment by.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dbkit.notebook.diagram import change_marks, mermaid_er
from dbkit.notebook.frames import SUGGESTION_COLUMNS, diff_frame, suggestion_rows
from dbkit.notebook.review import (
    DIALECT_NAMES,
    LARGE_TABLE_COLUMNS,
    LOCK_COLUMNS,
    NO_LOCKS,
    large_table_rows,
    lock_rows,
    rows_note,
)
from dbkit.notebook.revision_sql import DIALECTS

if TYPE_CHECKING:
    from dbkit.notebook.review import Review

#: Forges cap a comment's length (GitHub at 65,536 characters); the report stays under this.
MAX_CHARACTERS = 65_000
#: GitHub's Mermaid refuses a diagram longer than 50,000 characters; the diagram stays under this.
MAX_DIAGRAM_CHARACTERS = 20_000
#: The hidden first line a CI job looks for to update its comment instead of adding one.
MARKER = "<!-- dbkit-report -->"


@dataclass(frozen=True)
class _Detail:
    """How much a rendering holds; :func:`review_markdown` lowers these until the text fits."""

    diagram: str = "all"  # "all" tables, "changed" tables only, or "none"
    sql: bool = True
    parity_all_tables: bool = True
    change_rows: int | None = None  # None: all


def review_markdown(review: Review, limit: int = MAX_CHARACTERS) -> str:
    """The comment, whole when it fits in ``limit`` characters, else shortened with a note saying what was cut."""
    text = _render(review, _Detail(), [])
    if len(text) <= limit:
        return text
    cuts: list[str] = []
    detail = _Detail()
    for lower, cut in _REDUCTIONS:
        lowered = lower(detail)
        if _render(review, lowered, cuts) == _render(review, detail, cuts):
            continue  # nothing to leave out here (e.g. every table changed): say no such cut
        detail = lowered
        cuts.append(cut)
        text = _render(review, detail, cuts)
        if len(text) <= limit:
            return text
    total = len(review.diff.changes) if review.diff else 0
    fitting = _most_rows_that_fit(
        lambda rows: _render(review, _with_rows(detail, rows), cuts, total), total, limit
    )
    return _render(review, _with_rows(detail, fitting), cuts, total)


_REDUCTIONS: Sequence[tuple[Callable[[_Detail], _Detail], str]] = (
    (lambda d: replace(d, diagram="changed"), "the diagram's unchanged tables"),
    (lambda d: replace(d, sql=False), "the SQL of each operation"),
    (lambda d: replace(d, parity_all_tables=False), "parity rows of tables that match"),
    (lambda d: replace(d, diagram="none"), "the ER diagram"),
)


def _with_rows(detail: _Detail, rows: int) -> _Detail:
    return replace(detail, change_rows=rows)


def _most_rows_that_fit(render: Callable[[int], str], total: int, limit: int) -> int:
    low, high = 0, total
    while low < high:  # the largest row count whose rendering fits (0 always does: a summary line)
        middle = (low + high + 1) // 2
        if len(render(middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _render(review: Review, detail: _Detail, cuts: list[str], total_changes: int = 0) -> str:
    shortened = list(cuts)
    if detail.change_rows is not None:
        shortened.append(f"changes past the first {detail.change_rows} of {total_changes}")
    parts = [MARKER, f"## {review.title}", _verdict(review)]
    if shortened:
        parts.append(
            f"> This comment is shortened to stay under the forges' {MAX_CHARACTERS:,}-character limit; "
            f"left out: {'; '.join(shortened)}. The HTML report (`dbkit report ... --out report.html`) "
            "holds everything."
        )
    if review.plan is not None and review.plan.changes:
        parts += _changes(review, detail)
    parts += _parity(review, detail)
    parts += _diagram(review, detail)
    return "\n\n".join(part for part in parts if part) + "\n"


def _verdict(review: Review) -> str:
    lines = [f"**Verdict.** {review.verdict_summary}"]
    if review.verdict is not None and review.refused:
        lines += [""] + [f"- {_inline(text)}" for text in review.verdict.refusals]
    return "\n".join(lines)


def _changes(review: Review, detail: _Detail) -> list[str]:
    diff, verdict, plan = review.diff, review.verdict, review.plan
    assert diff is not None and verdict is not None and plan is not None
    frame = diff_frame(diff.changes, verdict)
    rows = frame.to_dict("records")
    shown = rows if detail.change_rows is None else rows[: detail.change_rows]
    parts = ["### Changes"]
    if diff.message:
        parts.append("\n".join(f"> {line}" if line else ">" for line in diff.message.splitlines()))
    parts.append(markdown_table(list(frame.columns), shown))
    if len(shown) < len(rows):
        parts.append(f"…and {len(rows) - len(shown)} more change(s), in the HTML report.")
    parts += [f"- {_inline(note)}" for note in plan.notes]
    if verdict.plans:
        parts.append(
            "Backfills:\n"
            + "\n".join(f"- `{p.table}.{p.column}`: {_inline('; '.join(p.steps))}" for p in verdict.plans)
        )
    locks, large = lock_rows(verdict), large_table_rows(verdict)
    if len(shown) < len(rows):  # a shortened comment keeps the locks of the changes it shows
        kept = {(row["table"], row["change"], row["target"]) for row in shown}
        locks = [row for row in locks if (row["table"], row["change"], row["target"]) in kept]
    if locks:
        parts.append("**PostgreSQL locks and running code**\n\n" + markdown_table(LOCK_COLUMNS, locks))
    if large:
        parts.append("**Large tables**\n\n" + markdown_table(LARGE_TABLE_COLUMNS, large))
    parts.append(" ".join(text for text in ("" if locks or large else NO_LOCKS, rows_note(review)) if text))
    if diff.suggestions:
        parts += [
            "### Rename suggestions",
            markdown_table(SUGGESTION_COLUMNS, suggestion_rows(diff)),
        ]
    parts += _sql(review, detail)
    if review.verify is not None or review.verify_skipped:
        from dbkit.notebook.frames import verify_text

        text = verify_text(review.verify) if review.verify is not None else review.verify_skipped
        parts += ["### Verify on a scratch copy", f"```text\n{text}\n```"]
    return parts


def _sql(review: Review, detail: _Detail) -> list[str]:
    if not review.sql:
        return []
    count = len(review.sql)
    if not detail.sql:
        return ["### SQL the revision runs", f"{count} operation(s); their SQL is in the HTML report."]
    parts = ["### SQL the revision runs"]
    if review.refused:
        parts.append(
            "Refused as it stands: this is what the revision would run once the refusals are resolved."
        )
    for number, operation in enumerate(review.sql, start=1):
        blocks = "\n\n".join(
            f"{DIALECT_NAMES[dialect]}\n\n{_fenced(operation.sql[dialect], 'sql')}" for dialect in DIALECTS
        )
        parts.append(
            f"<details><summary>{number}. {_html_text(operation.title)}</summary>\n\n{blocks}\n\n</details>"
        )
    return parts


def _parity(review: Review, detail: _Detail) -> list[str]:
    if review.parity is None:
        return []
    report = review.parity
    rows = []
    for table in report.tables:
        counts = {level: 0 for level in ("schema", "orm", "cosmetic")}
        for difference in table.differences:
            counts[difference.level] += 1
        if detail.parity_all_tables or table.differences:
            rows.append({"table": table.table, "status": table.status, **counts})
    schema = len(report.differences("schema"))
    summary = (
        f"{schema} schema-level difference(s) between hand-written and generated models."
        if schema
        else "No schema-level difference: every generated model can replace its hand-written class."
    )
    return [
        "### Parity: hand-written vs generated",
        summary,
        markdown_table(["table", "status", "schema", "orm", "cosmetic"], rows),
    ]


def _diagram(review: Review, detail: _Detail) -> list[str]:
    if detail.diagram == "none":
        return []
    if review.new is not None and review.diff is not None:
        snapshot, marks = review.new, change_marks(review.diff.changes, review.new)
        changed = sorted(marks.tables)
    else:
        snapshot, marks, changed = review.old, None, []
    tables = None if detail.diagram == "all" else changed
    text = mermaid_er(snapshot, tables=tables, marks=marks)
    note = ""
    if len(text) > MAX_DIAGRAM_CHARACTERS:
        text = mermaid_er(snapshot, tables=changed or None, marks=marks)
        note = "Changed tables only (the whole schema is too large for one Mermaid diagram)."
    if len(text) > MAX_DIAGRAM_CHARACTERS:
        text = mermaid_er(snapshot, tables=changed or None, marks=marks, columns=False)
        note = "Tables without columns (too large for one Mermaid diagram with them)."
    legend = "Columns marked ADDED, CHANGED, RENAMED or DROPPED in their comments." if marks else ""
    return [
        "### Entity-relationship diagram",
        " ".join(t for t in (legend, note) if t),
        _fenced(text, "mermaid"),
    ]


# -- Markdown building blocks ------------------------------------------------------------------------
def markdown_table(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A pipe table (GitHub, GitLab): cells escaped so ``|`` and newlines cannot break the row."""
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return _html_text(text).replace("|", "\\|").replace("\n", "<br>")


def _html_text(text: str) -> str:
    """Text safe inside Markdown and HTML (``<details>``): no tag or entity can form."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline(text: str) -> str:
    return _html_text(" ".join(text.split()))


def _fenced(text: str, language: str) -> str:
    """A fenced block whose fence is longer than any backtick run inside ``text``."""
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _backtick_runs(line: str) -> list[str]:
    runs, current = [], ""
    for char in line:
        if char == "`":
            current += char
        elif current:
            runs.append(current)
            current = ""
    return [*runs, current] if current else runs
