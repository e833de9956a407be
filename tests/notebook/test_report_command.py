"""``dbkit report PATH [--target NEW] [--versions DIR] [--url URL] --out FILE.html|FILE.md``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from report_codebases import write_shop

from dbkit.cli import EXIT_DIFFERENT, EXIT_ERROR, EXIT_OK, main
from dbkit.migrate import api
from dbkit.notebook.report import report_html, write_report
from dbkit.notebook.review import build_review

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shop")
    return {version: write_shop(root / version, version) for version in ("v1", "v2", "v3")}


def test_html_follows_the_reviewers_order(shop: dict[str, Path]) -> None:
    html = report_html(shop["v1"], target=shop["v2"])
    headings = re.findall(r'<h2 id="(\w+)">', html)
    assert headings == ["verdict", "changes", "sql", "parity", "inventory", "diagram"]
    assert "Accepted: `dbkit revision` would write this revision (2 changes)." in html.replace("&#x27;", "'")
    for text in ("add_table", "invoices", "customers.email", "PostgreSQL locks and running code"):
        assert text in html


def test_sql_is_shown_per_dialect_and_per_operation(shop: dict[str, Path]) -> None:
    review = build_review(shop["v1"], target=shop["v2"])
    titles = [operation.title for operation in review.sql]
    assert any(title.startswith("create table invoices") for title in titles), titles
    assert any("add column customers.email" in title for title in titles), titles
    by_title = {operation.title.split(" (")[0]: operation.sql for operation in review.sql}
    email = next(sql for title, sql in by_title.items() if "customers.email" in title)
    assert email["sqlite"] == "ALTER TABLE customers ADD COLUMN email VARCHAR(200);"
    assert "COMMENT ON COLUMN customers.email IS 'Contact'" in email["postgresql"]
    invoices = next(sql for title, sql in by_title.items() if title.startswith("create table invoices"))
    assert "CREATE TABLE invoices" in invoices["sqlite"] and "CREATE TABLE invoices" in invoices["postgresql"]
    html = report_html(shop["v1"], target=shop["v2"])
    assert html.count("<details><summary>") == len(review.sql)


def test_sqlite_sql_of_a_table_rebuild_is_the_batch_copy(shop: dict[str, Path]) -> None:
    """v2 → v3 drops a column; with the refusal waived nothing else changes, yet SQLite's statements
    come from really running the batch block on a copy of the old schema."""
    review = build_review(shop["v2"], target=shop["v3"])
    assert review.refused
    sql = "\n".join(operation.sql["sqlite"] for operation in review.sql)
    assert "DROP TABLE invoices" in sql and "ALTER TABLE orders DROP COLUMN total" in sql


def test_the_command_exits_1_on_a_refused_change_and_still_writes_the_report(
    shop: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "review.md"
    assert main(["report", str(shop["v2"]), "--target", str(shop["v3"]), "--out", str(out)]) == EXIT_DIFFERENT
    assert "Refused:" in capsys.readouterr().out
    text = out.read_text()
    assert "drop table invoices" in text and "--allow-destructive" in text
    accepted = tmp_path / "accepted.html"
    assert main(["report", str(shop["v1"]), "--target", str(shop["v2"]), "--out", str(accepted)]) == EXIT_OK


def test_an_unknown_extension_is_refused_before_any_work(
    shop: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "review.pdf"
    assert main(["report", str(tmp_path / "missing"), "--out", str(out)]) == EXIT_ERROR
    error = capsys.readouterr().err
    assert "--out" in error and "'.pdf'" in error and ".html" in error and ".md" in error
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_failed_report_leaves_the_previous_file_whole(shop: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    out.write_text("the previous report")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "DB_Broken.py").write_text("raise ImportError('settings module is gone')\n")
    assert main(["report", str(shop["v1"]), "--target", str(broken), "--out", str(out)]) == EXIT_ERROR
    assert out.read_text() == "the previous report"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken", "review.html"]


def test_versions_and_url_need_a_target(
    shop: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["report", str(shop["v1"]), "--url", "sqlite:///x.db", "--out", str(tmp_path / "r.md")])
        == EXIT_ERROR
    )
    assert "--target NEW" in capsys.readouterr().err


def test_html_has_no_external_reference(shop: dict[str, Path]) -> None:
    html = report_html(shop["v1"], target=shop["v2"])
    assert not re.search(r"<script|<link|<img|<iframe|src=|@import|url\(", html, re.IGNORECASE)
    # the only URLs are SVG's namespace name, which no browser fetches
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}


def test_same_inputs_give_the_same_bytes_in_any_process(shop: dict[str, Path], tmp_path: Path) -> None:
    """Run in two processes with different hash seeds (set and object-address orders differ)."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"report-{seed}.html"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dbkit.cli",
                "report",
                str(shop["v1"]),
                "--target",
                str(shop["v2"]),
                "--out",
                str(out),
            ],
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    markdown = [
        write_report(shop["v1"], tmp_path / f"r{n}.md", target=shop["v2"]).read_bytes() for n in (1, 2)
    ]
    assert markdown[0] == markdown[1]


def test_the_sample_evolution_reports_in_both_formats(tmp_path: Path) -> None:
    """The bundled sample is one case: sample_app_fixed → evolution/v2_fixed, refused for the dropped column."""
    html = write_report(
        DATA / "sample_app_fixed", tmp_path / "r.html", target=DATA / "evolution" / "v2_fixed"
    )
    markdown = write_report(
        DATA / "sample_app_fixed", tmp_path / "r.md", target=DATA / "evolution" / "v2_fixed"
    )
    page = html.read_text()
    assert 'class="er-column er-renamed" data-column="full_name"' in page
    assert 'class="er-column er-dropped" data-column="avatar_url"' in page
    assert "ALTER TYPE user_status ADD VALUE IF NOT EXISTS &#x27;invited&#x27;" in page
    text = markdown.read_text()
    assert "RENAMED was fullname" in text and "```mermaid" in text and "Refused:" in text


def test_versions_plan_on_top_of_the_head_and_url_verifies_a_scratch_copy(
    shop: dict[str, Path], tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    api.revision(shop["v1"], versions, message="first")
    database = tmp_path / "app.db"
    api.upgrade(versions, f"sqlite:///{database}")
    before = database.read_bytes()
    review = build_review(shop["v1"], target=shop["v2"], versions=versions, url=f"sqlite:///{database}")
    assert not review.plan.baseline and review.verify is not None and review.verify.passed
    assert database.read_bytes() == before  # verify ran on a copy
    assert len(list(versions.glob("*.py"))) == 1  # the planned revision was written to a scratch copy only
    refused = build_review(shop["v2"], target=shop["v3"], url=f"sqlite:///{database}")
    assert refused.verify is None and "refuses this change" in refused.verify_skipped


@pytest.mark.postgres
def test_a_postgresql_database_gives_lint_row_estimates_and_large_table_warnings(
    shop: dict[str, Path], postgres_url: str, tmp_path: Path
) -> None:
    """PATH is the live database (150,000 customers, analysed); the change indexes customers.name."""
    import sqlalchemy as sa

    from dbkit.manager import normalize_url
    from dbkit.migrate.schema.to_metadata import metadata_from_snapshot
    from dbkit.notebook.review import large_table_rows, lock_rows

    indexed = write_shop(tmp_path / "indexed", "v1")
    models = indexed / "DB_Shop.py"
    models.write_text(models.read_text().replace("sa.String(80))", "sa.String(80), index=True)"))
    engine = sa.create_engine(normalize_url(postgres_url))
    try:
        metadata_from_snapshot(api.snapshot_of(shop["v1"])).create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO customers (id, name) SELECT n, 'c' || n FROM generate_series(1, 150000) n"
                )
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE customers"))
    finally:
        engine.dispose()
    review = build_review(postgres_url, target=indexed)
    assert review.rows_from.startswith("pg_class.reltuples of postgresql")
    index = next(row for row in lock_rows(review.verdict) if row["change"] == "add_index")
    assert index["table"] == "customers" and index["estimated rows"] > 100_000
    (warning,) = large_table_rows(review.verdict)
    assert warning["op"] == "add_index" and "CONCURRENTLY" in warning["safe form"]
    html = report_html(postgres_url, target=indexed)
    assert "Large tables" in html and "PostgreSQL locks and running code" in html
