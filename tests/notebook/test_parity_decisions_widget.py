"""The Phase 1 decision widget, driven as a reviewer drives it: toggles set, the button clicked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from codebases import write_codebase

from dbkit.migrate import api
from dbkit.migrate.codemod.parity_fix import ParityFixError
from dbkit.notebook import ParityDecisions, parity_decisions

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_app"
KEYS = ["roles.name:type", "teams(slug):unique", "teams.description:nullable"]

GREENHOUSE_DB = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Sensor(Base):
        __tablename__ = "sensors"
        __table_args__ = (sa.Index("ix_sensors_bed_kind", "bed", "kind"),)

        id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
        bed: Mapped[str] = mapped_column(sa.String(20))
        kind: Mapped[str] = mapped_column(sa.String(12), server_default="soil")
"""

GREENHOUSE_BLL = """
    from typing import Annotated, ClassVar

    from pydantic import Field

    from dbkit import DatabaseMixin, DBColumn


    class SensorModel(DatabaseMixin):
        audit_columns: ClassVar[bool] = False

        id: Annotated[int | None, DBColumn(primary_key=True)] = None
        bed: str = Field(max_length=20)
        kind: str = Field("soil", max_length=12)
"""


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    copy = tmp_path / "sample_app"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def texts(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(root.glob("*.py"))}


def test_every_difference_starts_as_model_is_right_and_nothing_is_written(sample: Path) -> None:
    before = texts(sample)
    widget = parity_decisions(sample, api.parity(sample))
    assert isinstance(widget, ParityDecisions)
    assert list(widget.toggles) == KEYS
    assert widget.decisions == dict.fromkeys(KEYS, "generated")
    assert widget.button.description == "Nothing to write" and widget.button.disabled
    assert "left to the Phase 2 revision (the model is right):" in widget.preview.value
    assert "teams.description:nullable: data_dependent: alter_column" in widget.preview.value
    assert texts(sample) == before


def test_a_toggle_updates_the_preview_and_the_button_names_the_files(sample: Path) -> None:
    widget = parity_decisions(sample, api.parity(sample))
    widget.toggles["roles.name:type"].value = "hand-written"
    assert widget.plan().fixed == ("roles.name:type",)
    assert "+++ b/BLL_Auth.py" in widget.preview.value and "max_length=50" in widget.preview.value
    assert widget.button.description == "Write 1 file: BLL_Auth.py" and not widget.button.disabled
    widget.toggles["teams.description:nullable"].value = "hand-written"
    assert widget.button.description == "Write 2 files: BLL_Auth.py, BLL_Teams.py"
    widget.toggles["roles.name:type"].value = "generated"
    assert widget.button.description == "Write 1 file: BLL_Teams.py"


def test_clicking_the_button_writes_the_files_and_parity_is_clean(sample: Path) -> None:
    widget = parity_decisions(sample, api.parity(sample))
    for toggle in widget.toggles.values():
        toggle.value = "hand-written"
    auth_before = (sample / "BLL_Auth.py").read_text()
    widget.button.click()
    assert widget.written == [sample / "BLL_Auth.py", sample / "BLL_Teams.py"]
    assert (sample / "BLL_Auth.py").read_text() != auth_before
    assert widget.status_text() == "Wrote 2 files: BLL_Auth.py, BLL_Teams.py"
    assert widget.button.disabled and all(toggle.disabled for toggle in widget.toggles.values())
    assert not api.parity(sample).has_schema_differences
    assert widget.apply() == []  # a second press writes nothing


def test_unattended_runs_take_the_decisions_and_call_apply(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "greenhouse", {"DB_Greenhouse.py": GREENHOUSE_DB, "BLL_Greenhouse.py": GREENHOUSE_BLL}
    )
    report = api.parity(root)
    keys = ["sensors(bed, kind):index", "sensors.kind:server_default"]
    assert [key for key in parity_decisions(root, report).toggles] == keys
    widget = parity_decisions(root, report, {"sensors(bed, kind):index": "hand-written"})
    assert widget.decisions == {
        "sensors(bed, kind):index": "hand-written",
        "sensors.kind:server_default": "generated",
    }
    assert widget.apply() == [root / "BLL_Greenhouse.py"]
    assert 'sa.Index("ix_sensors_bed_kind", "bed", "kind")' in (root / "BLL_Greenhouse.py").read_text()
    remaining = [f"{t}:{d.kind}" for t, d in api.parity(root).differences("schema")]
    assert remaining == ["sensors:column_server_default"]


def test_the_static_rendering_is_deterministic_and_names_no_widget_model(sample: Path) -> None:
    widget = parity_decisions(sample, api.parity(sample), {"teams(slug):unique": "hand-written"})
    bundle = widget._repr_mimebundle_()
    text = bundle["text/plain"]
    assert text.splitlines()[:4] == [
        "Parity decisions (run the notebook to use the controls)",
        "roles | name | type: database string(50), model string(64) | model is right",
        "teams | (slug) | unique: database uq_teams_slug (slug), model none | database is right",
        "teams | description | nullable: database True, model False | model is right",
    ]
    assert text.endswith("Write 1 file: BLL_Teams.py")
    assert "model_id" not in text and "model_id" not in bundle["text/html"]
    assert "<td>database is right</td>" in bundle["text/html"]
    again = parity_decisions(sample, api.parity(sample), {"teams(slug):unique": "hand-written"})
    assert again._repr_mimebundle_()["text/plain"] == text
    assert again._repr_html_() == bundle["text/html"]


def test_an_unknown_key_or_decision_is_refused(sample: Path) -> None:
    report = api.parity(sample)
    with pytest.raises(ParityFixError, match=r"no schema difference 'teams\.plan:type'"):
        parity_decisions(sample, report, {"teams.plan:type": "hand-written"})
    with pytest.raises(ParityFixError, match="'database' is not a decision"):
        parity_decisions(sample, report, "database")  # type: ignore[arg-type]


def test_a_file_changed_after_the_decisions_is_not_overwritten(sample: Path) -> None:
    widget = parity_decisions(sample, api.parity(sample), "hand-written")
    teams = sample / "BLL_Teams.py"
    teams.write_text(teams.read_text() + "\n# edited in the editor meanwhile\n")
    assert widget.apply() == []
    assert "Not written:" in widget.status.value and "BLL_Teams.py changed since" in widget.status.value
    assert teams.read_text().endswith("# edited in the editor meanwhile\n")


def test_a_codebase_without_schema_differences_has_nothing_to_decide(sample: Path) -> None:
    parity_decisions(sample, api.parity(sample), "hand-written").apply()
    widget = parity_decisions(sample, api.parity(sample))
    assert widget.toggles == {} and widget.decisions == {}
    assert widget.button.description == "Nothing to write" and widget.button.disabled
    assert repr(widget).splitlines() == [
        "Parity decisions (run the notebook to use the controls)",
        "No schema-level difference: nothing to decide.",
        "no schema-level difference",
        "Nothing to write",
    ]
