"""The notebook layer: report frames, the Mermaid ER diagram, charts, the review panel, the HTML report, workspaces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dbkit.migrate import api
from dbkit.migrate.schema.snapshot import (
    ColumnSnapshot,
    ForeignKeySnapshot,
    PrimaryKeySnapshot,
    Snapshot,
    TableSnapshot,
    TypeSpec,
    UniqueSnapshot,
)
from dbkit.notebook import (
    ReviewPanel,
    diff_chart,
    diff_table,
    er_diagram,
    inventory_table,
    parity_table,
    phase_chart,
    workspace,
    write_report,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLE_APP = DATA / "sample_app"
EVOLUTION_V2 = DATA / "evolution" / "v2"
UUID = TypeSpec("uuid")


def _string(length: int) -> TypeSpec:
    return TypeSpec("string", length=length)


def _table(name: str, *columns: ColumnSnapshot, **extra: object) -> TableSnapshot:
    return TableSnapshot(
        name,
        (ColumnSnapshot("id", UUID, nullable=False, primary_key=True), *columns),
        primary_key=PrimaryKeySnapshot(f"pk_{name}", ("id",)),
        **extra,
    )  # type: ignore[arg-type]


# -- frames -----------------------------------------------------------------------------------------
def test_inventory_frame_lists_each_table_with_its_phase_and_models() -> None:
    table = inventory_table(api.inventory(SAMPLE_APP))
    rows = table.frame.set_index("table")
    assert rows.loc["users"].tolist() == ["hybrid", "User (DB_Auth.py)", "UserModel (BLL_Auth.py)"]
    assert rows.loc["document_tags"].tolist() == ["hand_written", "Table (DB_Documents.py)", ""]
    assert table.frame["phase"].value_counts().to_dict() == {"hand_written": 6, "hybrid": 4}


def test_parity_frame_shows_the_three_schema_drifts_hand_written_first() -> None:
    frame = parity_table(api.parity(SAMPLE_APP), levels=("schema",)).frame
    assert frame[["object", "kind", "hand-written", "generated"]].values.tolist() == [
        ["roles.name", "column_type", "string(50)", "string(64)"],
        ["teams(slug)", "unique", "uq_teams_slug (slug)", "—"],
        ["teams.description", "column_nullable", "NULL", "NOT NULL"],
    ]


def test_diff_frame_gives_each_change_its_risk_and_lint_verdict() -> None:
    diff = api.diff(SAMPLE_APP, EVOLUTION_V2)
    frame = diff_table(diff, diff.lint()).frame
    assert frame[["target", "risk", "verdict"]].values.tolist() == [
        ["user_status", "safe", "ok"],
        ["teams.plan", "data_dependent", "backfilled"],
        ["users.full_name", "backward_incompatible", "ok"],
        ["users.timezone", "safe", "ok"],
        ["users.avatar_url", "destructive", "refused"],
    ]
    waived = diff_table(diff, diff.lint(waivers=["users.avatar_url"])).frame
    assert waived["verdict"].tolist()[-1] == "waived"


def test_styled_html_has_fixed_ids_and_the_text_form_no_memory_address() -> None:
    table = inventory_table(api.inventory(SAMPLE_APP))
    html = table._repr_html_()
    assert 'id="T_dbkit-inventory"' in html and "background-color: #fff3c4" in html
    assert html == inventory_table(api.inventory(SAMPLE_APP))._repr_html_()
    assert " at 0x" not in repr(table) and repr(table).startswith("Inventory\n")


# -- diagram ---------------------------------------------------------------------------------------
def test_mermaid_er_diagram_of_a_small_snapshot_is_exact() -> None:
    users = _table(
        "users",
        ColumnSnapshot("email", _string(255), nullable=False, comment='Login "e-mail"'),
        unique_constraints=(UniqueSnapshot("uq_users_email", ("email",)),),
    )
    posts = _table(
        "posts",
        ColumnSnapshot("author_id", UUID, nullable=False),
        ColumnSnapshot("editor_id", UUID),
        ColumnSnapshot("score", TypeSpec("numeric", precision=10, scale=2)),
        foreign_keys=(
            ForeignKeySnapshot("fk_posts_editor_id", ("editor_id",), "users", ("id",)),
            ForeignKeySnapshot("fk_posts_author_id", ("author_id",), "users", ("id",)),
        ),
    )
    diagram = er_diagram(Snapshot((users, posts)))
    assert diagram.text == "\n".join(
        [
            "erDiagram",
            "    posts {",
            "        uuid id PK",
            '        uuid author_id FK "NOT NULL"',
            "        uuid editor_id FK",
            "        numeric(10-2) score",
            "    }",
            "    users {",
            "        uuid id PK",
            "        string(255) email UK \"NOT NULL; Login 'e-mail'\"",
            "    }",
            '    users ||--o{ posts : "author_id"',
            '    users |o--o{ posts : "editor_id"',
        ]
    )
    assert diagram._repr_markdown_() == f"```mermaid\n{diagram.text}\n```"


def test_er_diagram_of_the_sample_is_deterministic_and_hides_columns_on_request() -> None:
    first = er_diagram(SAMPLE_APP, hide_columns=("created_at",)).text
    assert first == er_diagram(SAMPLE_APP, hide_columns=("created_at",)).text
    assert "created_at" not in first and '    users ||--o{ credentials : "user_id"' in first


# -- charts ----------------------------------------------------------------------------------------
def test_charts_count_tables_per_phase_and_changes_per_risk() -> None:
    phases = phase_chart({"today": api.inventory(SAMPLE_APP)})
    assert phases.rows == (("today", (6, 4, 0)),)
    risks = diff_chart(api.diff(SAMPLE_APP, EVOLUTION_V2))
    assert dict(risks.rows) == {
        "enum user_status": (1, 0, 0, 0),
        "teams": (0, 1, 0, 0),
        "users": (1, 0, 1, 1),
    }
    svg = risks.to_svg()
    assert svg.startswith("<svg") and svg.count("<rect") == 5 + 4  # five segments, four legend keys


# -- review panel ----------------------------------------------------------------------------------
OLD = Snapshot(
    (_table("people", ColumnSnapshot("fullname", _string(100)), ColumnSnapshot("avatar", _string(500))),)
)
NEW = Snapshot(
    (
        _table(
            "people", ColumnSnapshot("full_name", _string(100)), ColumnSnapshot("nickname", TypeSpec("text"))
        ),
    )
)


def test_review_panel_refuses_until_renames_are_accepted_and_drops_waived(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    panel = ReviewPanel(NEW, versions, from_source=OLD)
    assert list(panel.rename_choices) == ["people.fullname->full_name"]
    assert not panel.plan.allowed and panel.write_button.disabled
    assert list(panel.waivers) == ["people.avatar", "people.fullname"]

    panel.rename_choices["people.fullname->full_name"].value = "accept"
    assert [str(c.op) for c in panel.plan.changes if c.column == "full_name"] == ["rename_column"]
    assert list(panel.waivers) == ["people.avatar"]  # the rename removed one drop
    assert panel.write_button.disabled

    panel.risk_filter.value = ("destructive",)
    assert panel.visible_frame()["target"].tolist() == ["people.avatar"]
    panel.table_filter.value = "people"
    assert len(panel.visible_frame()) == 1

    panel.waivers["people.avatar"].value = True
    assert panel.plan.allowed and not panel.write_button.disabled
    assert not versions.exists()  # nothing is written before the button
    panel.write_button.click()
    assert len(panel.written) == 2 and panel.write_button.disabled
    files = sorted(p.name.split("_", 1)[1] for p in versions.glob("*.py"))
    assert len(files) == 2 and any(name.startswith("baseline") for name in files)
    # The baseline is named after the schema it records, not after the change that follows it.
    assert "baseline_the_existing_schema_1_table.py" in files
    assert "Wrote 2 revision file(s)" in panel.status.value


def test_review_panel_writes_nothing_while_refused(tmp_path: Path) -> None:
    panel = ReviewPanel(NEW, tmp_path / "versions", from_source=OLD)
    assert panel.write() == []
    assert "Refused" in panel.status.value and not (tmp_path / "versions").exists()
    assert " at 0x" not in repr(panel) and "rename suggestion people.fullname->full_name: reject" in repr(
        panel
    )


# -- report and workspace ------------------------------------------------------------------------------
def test_report_is_one_self_contained_deterministic_page(tmp_path: Path) -> None:
    first = write_report(SAMPLE_APP, tmp_path / "a" / "report.html", target=EVOLUTION_V2)
    second = write_report(SAMPLE_APP, tmp_path / "b.html", target=EVOLUTION_V2)
    html = first.read_text()
    assert html == second.read_text()
    for heading in (
        "Verdict",
        "Changes",
        "SQL the revision runs",
        "Inventory",
        "Parity: hand-written vs generated",
    ):
        assert f">{heading}</h2>" in html
    assert "drop_column" in html and "refused" in html and '<svg class="er-diagram"' in html
    assert not re.search(r"<script|<link|src=\"http", html)
    assert ">Changes</h2>" not in write_report(SAMPLE_APP, tmp_path / "c.html").read_text()


def test_workspace_copies_codebase_and_database_and_leaves_the_originals_alone(tmp_path: Path) -> None:
    import sqlalchemy as sa

    original = SAMPLE_APP / "BLL_Auth.py"
    before = original.read_bytes()
    ws = workspace(SAMPLE_APP, f"sqlite:///{DATA / 'production.sqlite3'}")
    try:
        (ws.codebase / "BLL_Auth.py").write_text("# edited\n")
        engine = sa.create_engine(ws.database_url)
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM tags"))
        engine.dispose()
        assert ws.relative(ws.codebase / "BLL_Auth.py") == "app/BLL_Auth.py"
        assert str(ws.root) not in repr(ws)
    finally:
        ws.close()
    assert original.read_bytes() == before and not ws.root.exists()
    with pytest.raises(Exception, match="not a directory"):
        workspace(tmp_path / "missing")
