"""The HTML report as a person sees it: rendered by headless Chromium, its diagram's picture checked.

Chromium comes from Debian (``apt-get install -y chromium chromium-driver``; ``.ci/run`` installs
it), driven by selenium through ``/usr/bin/chromedriver``: nothing is downloaded. Without the
browser the test skips, naming the packages, unless ``DBKIT_REQUIRE_BROWSER`` is set (CI sets it,
so there a missing browser fails the run instead of hiding the test).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from dbkit.notebook.diagram import change_marks, marked_tables
from dbkit.notebook.report import render_html
from dbkit.notebook.review import Review, build_review

DATA = Path(__file__).resolve().parents[2] / "data"
INSTALL = "apt-get install -y chromium chromium-driver (Debian packages)"


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    reason = f"headless Chromium not found (chromium: {chromium}, chromedriver: {driver}): {INSTALL}"
    if os.environ.get("DBKIT_REQUIRE_BROWSER"):
        pytest.fail(f"DBKIT_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver_path = _browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def evolution() -> Review:
    return build_review(DATA / "sample_app_fixed", target=DATA / "evolution" / "v2_fixed")


_PICTURE = """
const picture = {tables: {}, columns: []};
for (const group of document.querySelectorAll('svg.er-diagram g.er-table')) {
  const box = group.querySelector('rect.er-box').getBoundingClientRect();
  const style = getComputedStyle(group);
  picture.tables[group.dataset.table] = {
    x: box.x, y: box.y, width: box.width, height: box.height, classes: group.getAttribute('class'),
    visible: style.display !== 'none' && style.visibility !== 'hidden' && box.width > 0 && box.height > 0,
  };
  for (const text of group.querySelectorAll('text.er-column')) {
    const r = text.getBoundingClientRect();
    picture.columns.push({table: group.dataset.table, column: text.dataset.column,
      classes: text.getAttribute('class'), left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  }
}
return picture;
"""


def _picture(browser: Any, page: Path) -> dict[str, Any]:
    browser.get(page.as_uri())
    return browser.execute_script(_PICTURE)


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_the_diagram_draws_one_visible_box_per_table_none_overlapping(
    browser: Any, evolution: Review, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(evolution), encoding="utf-8")
    picture = _picture(browser, page)
    assert evolution.new is not None and evolution.diff is not None
    marks = change_marks(evolution.diff.changes, evolution.new)
    expected = {table.name for table in marked_tables(evolution.new, marks)}
    assert set(picture["tables"]) == expected
    assert all(box["visible"] for box in picture["tables"].values())
    boxes = list(picture["tables"].items())
    assert not [(a, b) for (a, box_a), (b, box_b) in combinations(boxes, 2) if _overlap(box_a, box_b)]
    # every column's text stays inside its table's box as the browser sets it (the layout's text widths hold)
    for column in picture["columns"]:
        box = picture["tables"][column["table"]]
        assert box["x"] <= column["left"] and column["right"] <= box["x"] + box["width"], column
        assert box["y"] <= column["top"] and column["bottom"] <= box["y"] + box["height"], column


def test_the_changes_are_marked_in_the_picture(browser: Any, evolution: Review, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(evolution), encoding="utf-8")
    picture = _picture(browser, page)
    marked = {(c["table"], c["column"]): c["classes"].split() for c in picture["columns"]}
    assert "er-added" in marked[("users", "timezone")]
    assert "er-added" in marked[("teams", "plan")]
    assert "er-renamed" in marked[("users", "full_name")]
    assert "er-dropped" in marked[("users", "avatar_url")]
    assert "er-changed" in marked[("users", "status")]
    assert "er-changed" in picture["tables"]["users"]["classes"]
    assert "er-changed" not in picture["tables"]["folders"]["classes"]
    # the SQL is folded: closed <details> show their summaries only
    sql_visible = browser.execute_script(
        "return [...document.querySelectorAll('#sql ~ details pre')].some(p => p.checkVisibility())"
    )
    assert sql_visible is False
    browser.execute_script("document.querySelector('#sql ~ details').open = true")
    assert browser.execute_script("return document.querySelector('#sql ~ details pre').checkVisibility()")


def test_a_generated_codebase_renders_too(browser: Any, tmp_path: Path) -> None:
    from report_codebases import write_large_codebase

    old = write_large_codebase(tmp_path / "old", 30, extra_column=False)
    new = write_large_codebase(tmp_path / "new", 30, extra_column=True)
    page = tmp_path / "report.html"
    page.write_text(render_html(build_review(old, target=new)), encoding="utf-8")
    picture = _picture(browser, page)
    assert len(picture["tables"]) == 30
    boxes = list(picture["tables"].values())
    assert not [pair for pair in combinations(boxes, 2) if _overlap(*pair)]
    assert sum("er-added" in column["classes"] for column in picture["columns"]) == 30


def _mermaid_script() -> Path:
    """Mermaid's own bundle (what GitHub and GitLab draw ```mermaid blocks with), from $DBKIT_MERMAID_JS."""
    script = Path(os.environ.get("DBKIT_MERMAID_JS", "")).expanduser()
    if script.is_file():
        return script
    reason = (
        "DBKIT_MERMAID_JS names no mermaid.min.js: run `npm pack mermaid@11`, unpack "
        "package/dist/mermaid.min.js and point DBKIT_MERMAID_JS at it (.ci/run does)"
    )
    if os.environ.get("DBKIT_REQUIRE_BROWSER"):
        pytest.fail(f"DBKIT_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


_RENDER_MERMAID = """
const [text, done] = arguments;
mermaid.initialize({startOnLoad: false});
mermaid.render('review', text).then(r => done({ok: true, svg: r.svg})).catch(e => done({ok: false, error: String(e)}));
"""


def test_the_markdown_diagram_is_drawn_by_mermaid(browser: Any, evolution: Review, tmp_path: Path) -> None:
    import re

    from dbkit.notebook.report_markdown import review_markdown

    script = _mermaid_script()
    block = re.search(r"```mermaid\n(.*?)\n```", review_markdown(evolution), re.DOTALL)
    assert block is not None
    page = tmp_path / "mermaid.html"
    page.write_text(f'<!DOCTYPE html><html><body><script src="{script.as_uri()}"></script></body></html>')
    browser.get(page.as_uri())
    drawn = browser.execute_async_script(_RENDER_MERMAID, block.group(1))
    assert drawn["ok"], drawn.get("error")
    assert evolution.new is not None
    for table in evolution.new.tables:
        assert table.name in drawn["svg"]
    assert "RENAMED was fullname" in drawn["svg"] and "DROPPED" in drawn["svg"]
    broken = browser.execute_async_script(
        _RENDER_MERMAID, block.group(1).replace("erDiagram", "erDiagram\n    x {{")
    )
    assert not broken["ok"]  # the check can fail: Mermaid rejects what it cannot parse
