"""Record what scaffold generates today, so a refactor of the generator can prove it changes nothing.

    python tests/migrate/codemod/scaffold_golden/make_golden.py

writes ``cases/<case>/``: each generated module twice, ``<module>.py.golden`` (formatted, what
``dbkit scaffold`` writes) and ``raw/<module>.py.golden`` (``formatter=None``: the renderer's own
bytes, before ruff can hide a difference), and ``result.json`` (where each model lives, the
problems, or the error when the case cannot be scaffolded). The files end in ``.golden`` so that
neither ruff nor pytest treats them as code. ``test_scaffold_golden.py`` compares against them;
re-run this script only when a change of the output is intended.
"""

from __future__ import annotations

import enum
import importlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from dbkit.migrate.codemod.scaffold import ScaffoldResult, SourceTable, scaffold, scaffold_codebase
from dbkit.naming import naming_convention

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
REPO = HERE.parents[3]
HOSTILE = REPO / "tests" / "hostile"
SAMPLE_APP = REPO / "data" / "sample_app"
BENCH_TABLES = 50

#: One case: formatter (``None`` or the default) → the result of scaffolding it.
Case = Callable[[dict[str, Any]], ScaffoldResult]


def _import_from(directory: Path, name: str) -> ModuleType:
    """``name`` imported with ``directory`` on sys.path (reusing the module pytest already loaded)."""
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    return importlib.import_module(name)


def test_scaffold_module() -> ModuleType:
    """``test_scaffold.py`` as pytest imports it (its types render as ``from test_scaffold import ...``)."""
    return _import_from(HERE.parent, "test_scaffold")


def bench_module() -> ModuleType:
    return _import_from(REPO / "bench", "bench_migrate")


# -- the cases --------------------------------------------------------------------------------------


def _codebase(path: Path) -> Case:
    return lambda kwargs: _scaffold_loaded(path, kwargs)


def _scaffold_loaded(path: Path, kwargs: dict[str, Any]) -> ScaffoldResult:
    """``scaffold_codebase``, with the formatter chosen (the public function always formats)."""
    if "formatter" not in kwargs:
        return scaffold_codebase(path)
    from dbkit.migrate.source.codebase import load_codebase

    codebase = load_codebase(path)
    entries = sorted(codebase.hand_written.values(), key=lambda e: (e.file, e.name))
    return scaffold([SourceTable.from_hand_written(entry) for entry in entries], **kwargs)


@contextmanager
def bench_codebase() -> Iterator[Path]:
    """The 50-table benchmark codebase (changed variant), with its DB_*.py files only."""
    bench = bench_module()
    with tempfile.TemporaryDirectory(prefix="dbkit-scaffold-golden-") as tmp:
        directory = Path(tmp) / "codebase"
        directory.mkdir()
        (directory / "base.py").write_text((SAMPLE_APP / "base.py").read_text())
        for name, source in bench.hand_written_sources(BENCH_TABLES, changed=True).items():
            (directory / name).write_text(source)
        yield directory


def _bench(kwargs: dict[str, Any]) -> ScaffoldResult:
    with bench_codebase() as directory:
        return _scaffold_loaded(directory, kwargs)


class Colour(str, enum.Enum):  # noqa: UP042 - as test_plain_table_is_rendered_exactly spells it
    red = "red"
    green = "green"


def _plain_table(kwargs: dict[str, Any]) -> ScaffoldResult:
    """The table of ``test_plain_table_is_rendered_exactly``."""
    metadata = sa.MetaData(naming_convention=naming_convention())
    tags = sa.Table(
        "tags",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(50), nullable=False, unique=True, comment="Shown to users"),
        sa.Column("colour", sa.Enum(Colour, name="colour"), nullable=False, server_default="red"),
        sa.Column("note", sa.Text),
        comment="Labels",
    )
    return scaffold([SourceTable(tags, module="DB_Labels")], **kwargs)


def _pets(kwargs: dict[str, Any]) -> ScaffoldResult:
    shapes = test_scaffold_module()
    return scaffold(shapes.sources(shapes.Pet, shapes.Owner, module="DB_Pets"), **kwargs)


def _shop(kwargs: dict[str, Any]) -> ScaffoldResult:
    shapes = test_scaffold_module()
    tables = [*shapes.sources(*shapes.SHOP_CLASSES), SourceTable(shapes.account_categories, None, "DB_Shop")]
    return scaffold(tables, **kwargs)


def _legacy_type(kwargs: dict[str, Any]) -> ScaffoldResult:
    """The table of ``test_a_type_defined_in_a_db_module_is_reported_and_stored_as_its_storage_type``."""
    legacy = ModuleType("DB_Legacy")
    exec(
        "import sqlalchemy as sa\n"
        "class Upper(sa.types.TypeDecorator):\n"
        "    impl = sa.String(12)\n"
        "    cache_ok = True\n",
        legacy.__dict__,
    )
    metadata = sa.MetaData(naming_convention=naming_convention())
    table = sa.Table("codes", metadata, sa.Column("code", legacy.Upper(), primary_key=True))
    return scaffold([SourceTable(table, None, "DB_Legacy")], **kwargs)


def cases() -> dict[str, Case]:
    """Case name → how to scaffold it."""
    found: dict[str, Case] = {
        "sample_app": _codebase(SAMPLE_APP),
        f"bench_{BENCH_TABLES}_changed": _bench,
        "test_scaffold_plain_table": _plain_table,
        "test_scaffold_pets": _pets,
        "test_scaffold_shop": _shop,
        "test_scaffold_legacy_type": _legacy_type,
    }
    for directory in sorted(HOSTILE.iterdir()):
        if directory.is_dir():
            found[f"hostile_{directory.name}"] = _codebase(directory)
    return found


# -- running and recording ----------------------------------------------------------------------------


def run_case(case: Case) -> dict[str, Any]:
    """The formatted and raw modules, models and problems of a case; or its error, paths made relative."""
    try:
        formatted = case({})
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}".replace(str(REPO), "<repo>")}
    raw = case({"formatter": None})
    return {
        "modules": formatted.modules,
        "raw_modules": raw.modules,
        "models": {table: str(ref) for table, ref in formatted.models.items()},
        "problems": [str(problem) for problem in formatted.problems],
        "raw_problems": [str(problem) for problem in raw.problems],
    }


def record(name: str, outcome: dict[str, Any]) -> None:
    target = CASES_DIR / name
    shutil.rmtree(target, ignore_errors=True)
    (target / "raw").mkdir(parents=True)
    summary = {key: outcome[key] for key in ("error", "models", "problems") if key in outcome}
    if "modules" in outcome:
        summary["module_order"] = list(outcome["modules"])
        for module, source in outcome["modules"].items():
            (target / f"{module}.py.golden").write_text(source)
        for module, source in outcome["raw_modules"].items():
            (target / "raw" / f"{module}.py.golden").write_text(source)
    (target / "result.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def read(name: str) -> dict[str, Any]:
    """A recorded case, in the shape :func:`run_case` returns."""
    target = CASES_DIR / name
    summary = json.loads((target / "result.json").read_text())
    if "error" in summary:
        return {"error": summary["error"]}
    order = summary["module_order"]
    return {
        "modules": {module: (target / f"{module}.py.golden").read_text() for module in order},
        "raw_modules": {module: (target / "raw" / f"{module}.py.golden").read_text() for module in order},
        "models": summary["models"],
        "problems": summary["problems"],
        "raw_problems": summary["problems"],
    }


def check_bench_scaffold_matches_the_cli() -> None:
    """The bench case scaffolds in process; ``build_codebase`` runs ``dbkit scaffold``: both must agree."""
    bench = bench_module()
    recorded = read(f"bench_{BENCH_TABLES}_changed")["modules"]
    with tempfile.TemporaryDirectory(prefix="dbkit-scaffold-golden-") as tmp:
        built = bench.build_codebase(Path(tmp) / "built", BENCH_TABLES, changed=True)
        written = {path.stem: path.read_text() for path in sorted(built.glob("BLL_*.py"))}
    if written != recorded:
        raise SystemExit("dbkit scaffold (build_codebase) and the in-process scaffold disagree")


def main() -> None:
    if CASES_DIR.exists():
        shutil.rmtree(CASES_DIR)
    for name, case in cases().items():
        outcome = run_case(case)
        record(name, outcome)
        print(f"{name}: {outcome.get('error') or ', '.join(outcome['modules'])}")
    check_bench_scaffold_matches_the_cli()


if __name__ == "__main__":
    main()
