"""The review report as one pull-request comment: forge Markdown, SQL folded, Mermaid, under the cap."""

from __future__ import annotations

import re
from pathlib import Path

from report_codebases import write_large_codebase, write_shop

from dbkit.notebook.report_markdown import MARKER, MAX_CHARACTERS, markdown_table, review_markdown
from dbkit.notebook.review import build_review


def _tables_are_well_formed(text: str) -> None:
    """Every pipe table has a header, a separator and rows with the header's number of cells."""
    for block in re.findall(r"(?m)(?:^\|.*\|\n)+", text):
        rows = [re.split(r"(?<!\\)\|", line)[1:-1] for line in block.strip("\n").split("\n")]
        assert len(rows) >= 2 and set(rows[1]) == {"---"}, block[:200]
        assert {len(row) for row in rows} == {len(rows[0])}, block[:200]


def test_a_small_change_is_whole_with_sql_folded_and_a_mermaid_diagram(tmp_path: Path) -> None:
    old, new = write_shop(tmp_path / "v1", "v1"), write_shop(tmp_path / "v2", "v2")
    review = build_review(old, target=new)
    text = review_markdown(review)
    assert text.startswith(MARKER + "\n")
    assert "shortened" not in text
    assert text.count("<details><summary>") == len(review.sql) == 2
    assert text.count("```sql") == 2 * len(review.sql)
    mermaid = re.search(r"```mermaid\n(.*?)\n```", text, re.DOTALL)
    assert mermaid is not None
    assert 'string(200) email "ADDED; Contact"' in mermaid.group(1)
    assert 'integer order_id FK "ADDED; NOT NULL"' in mermaid.group(1)
    assert "orders ||--o{ invoices" in mermaid.group(1)
    _tables_are_well_formed(text)


def test_cells_and_summaries_cannot_break_the_markup() -> None:
    table = markdown_table(["a", "b"], [{"a": "x | y", "b": "line\nbreak <b>"}])
    assert table.splitlines()[2] == "| x \\| y | line<br>break &lt;b&gt; |"


def test_a_report_longer_than_a_comment_is_summarised_and_says_what_was_cut(tmp_path: Path) -> None:
    """180 tables, one added column each: the whole report is far over the forges' comment limit."""
    old = write_large_codebase(tmp_path / "old", 180, extra_column=False)
    new = write_large_codebase(tmp_path / "new", 180, extra_column=True)
    review = build_review(old, target=new)
    assert len(review_markdown(review, limit=10**9)) > MAX_CHARACTERS  # uncut, it would not fit
    for limit in (MAX_CHARACTERS, 6_000):
        text = review_markdown(review, limit=limit)
        assert len(text) <= limit
        note = re.search(r"This comment is shortened .*?left out: (.*?)\. The HTML report", text)
        assert note is not None and "the SQL of each operation" in note.group(1)
        assert "Accepted: `dbkit revision` would write this revision (180 changes)" in text
        _tables_are_well_formed(text)
    assert "```mermaid" in review_markdown(review)
    shown = re.search(r"changes past the first (\d+) of 180", text)  # the 6,000-character comment
    assert shown is not None and f"…and {180 - int(shown.group(1))} more change(s)" in text
    assert "the ER diagram" in text and "```mermaid" not in text
