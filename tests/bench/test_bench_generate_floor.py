"""bench_generate's plain SQLAlchemy side (the floor of .DB generation): the very same tables as
dbkit and SQLModel, refused when they differ, and its rows flow through run_all's table and sweep."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("sqlmodel")
sys.path.insert(0, str(REPO / "bench"))
try:
    bench_generate = pytest.importorskip("bench_generate")
    run_all = pytest.importorskip("run_all")
finally:
    sys.path.remove(str(REPO / "bench"))

MODELS, FIELDS = 6, 15
FLOOR_VS_SA = "floor: generate + create_all vs plain SQLAlchemy declarative (s)"
FLOOR_VS_SQLMODEL = (
    "floor: plain SQLAlchemy declarative generate + create_all vs SQLModel configure + create_all (s)"
)


def _schemas(directory: Path, paths: dict[str, Path], sides: tuple[str, ...]) -> dict[str, Path]:
    schemas = {side: directory / f"schema_{side}.json" for side in sides}
    for side in sides:
        bench_generate._spawn(side, paths[side], schema_path=schemas[side])
    return schemas


def test_the_three_sides_build_the_same_tables(tmp_path: Path) -> None:
    paths = bench_generate.write_sources(tmp_path, MODELS, FIELDS)
    assert "class Entity0005(Base):" in paths["sqlalchemy"].read_text()
    schemas = _schemas(tmp_path, paths, bench_generate.SIDES)
    bench_generate.check_same_schema(schemas["sqlalchemy"], schemas["dbkit"], ("plain SQLAlchemy", "dbkit"))
    bench_generate.check_same_schema(
        schemas["sqlalchemy"], schemas["sqlmodel"], ("plain SQLAlchemy", "SQLModel")
    )
    bench_generate.check_same_schema(schemas["dbkit"], schemas["sqlmodel"])
    tables = bench_generate.json.loads(schemas["sqlalchemy"].read_text())
    assert len(tables) == MODELS
    assert all(table["relationships"] for table in tables.values())  # references and backrefs
    assert any(table["foreign_keys"] for table in tables.values())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sa.String(100), nullable=False", "sa.String(99), nullable=False"),  # a type
        ("sa.Integer, comment='f03'", "sa.Integer, nullable=False, comment='f03'"),  # a nullability
        (", backref='entity0005s')", ")"),  # a backref
    ],
    ids=["type", "nullability", "backref"],
)
def test_a_plain_side_with_other_tables_is_refused(tmp_path: Path, old: str, new: str) -> None:
    paths = bench_generate.write_sources(tmp_path, MODELS, FIELDS)
    text = paths["sqlalchemy"].read_text()
    assert old in text
    paths["sqlalchemy"].write_text(text[::-1].replace(old[::-1], new[::-1], 1)[::-1])  # the last model only
    schemas = _schemas(tmp_path, paths, ("dbkit", "sqlalchemy"))
    with pytest.raises(AssertionError, match="plain SQLAlchemy:"):
        bench_generate.check_same_schema(
            schemas["sqlalchemy"], schemas["dbkit"], ("plain SQLAlchemy", "dbkit")
        )


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return bench_generate.run(MODELS, FIELDS, 1)


def _by_series(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {run_all.series_of(row["measure"]): row for row in found}


def test_run_reports_the_floor_rows(rows: list[dict[str, Any]]) -> None:
    by_series = _by_series(rows)
    for series, peer_name in (
        (FLOOR_VS_SA, "plain SQLAlchemy declarative"),
        (
            "floor: CPU: generate + create_all vs plain SQLAlchemy declarative (s)",
            "plain SQLAlchemy declarative",
        ),
        (FLOOR_VS_SQLMODEL, "SQLModel"),
    ):
        row = by_series[series]
        assert row["peer_name"] == peer_name and row["target"] is None
        assert row["dbkit"] > 0 and row["peer"] > 0 and row["ratio"] > 0
    # the rows comparing dbkit with SQLModel keep their names and targets, and name no other peer
    old = [row for row in rows if not row["measure"].startswith("floor: ")]
    assert [row["target"] for row in old if row["target"] is not None] == [1.0, 1.0]
    assert "generate + create_all (s)" in by_series and all("peer_name" not in row for row in old)
    # the floor's dbkit column is dbkit's own generate + create_all, its peer SQLModel's is the floor row's
    assert by_series[FLOOR_VS_SA]["dbkit"] == by_series["generate + create_all (s)"]["dbkit"]
    assert by_series[FLOOR_VS_SQLMODEL]["peer"] == by_series["generate + create_all (s)"]["peer"]
    assert by_series[FLOOR_VS_SQLMODEL]["dbkit"] == by_series[FLOOR_VS_SA]["peer"]


def test_the_floor_rows_flow_through_run_all_and_its_sweep(
    rows: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench_generate.print_rows(rows)
    assert "plain SQLAlchemy declarative" in capsys.readouterr().out
    monkeypatch.setattr(bench_generate, "run", lambda **arguments: rows)
    monkeypatch.setitem(sys.modules, "bench_generate", bench_generate)
    monkeypatch.setattr(
        run_all,
        "SWEEP",
        tuple(run_all.SweepPoint("generate", size, "models", {"n_models": size}) for size in (6, 12)),
    )
    swept = run_all.run_sweep(["generate"])
    assert not [row for row in swept if row.get("error")]
    floor = [row for row in swept if row["series"] == FLOOR_VS_SA]
    assert [row["peer_name"] for row in floor] == ["plain SQLAlchemy declarative"] * 2
    assert {row["peer_name"] for row in swept if row["series"] == "generate + create_all (s)"} == {"SQLModel"}
    assert "plain SQLAlchemy declarative" in run_all.format_table(swept)
    assert FLOOR_VS_SQLMODEL in run_all.markdown_table(swept)
    pytest.importorskip("matplotlib")
    written = {path.name for path in run_all.plot_sweep(swept, tmp_path)}
    assert {
        "floor_generate_create_all_vs_plain_sqlalchemy_declarative_s.png",
        "generate_create_all_s.png",
    } <= written
    # the plain side against SQLModel is the floor of "generate + create_all": drawn on its plot
    assert not [name for name in written if name.startswith("floor_plain_sqlalchemy")]
    bounded = {row["floor_for"] for row in swept if row["series"] == FLOOR_VS_SQLMODEL}
    assert bounded == {"generate + create_all (s)"}
