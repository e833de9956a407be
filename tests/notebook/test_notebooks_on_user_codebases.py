"""The five notebooks run to the end on codebases other than the bundled sample (issue #13).

Each shape of :mod:`user_codebases` (hand-written only with a shared ``DB_Base.py``; Core tables
partly generated; fully generated; and one without a database URL) runs every notebook with
papermill, as a user would run them on their own code. Every cell must complete, no output may
mention the sample (its files, tables, classes or ``sample_app``), and the codebase directories
and the database file must be byte-identical afterwards: the notebooks work on temporary copies.

One class per shape, so that pytest-xdist's ``--dist loadscope`` spreads the shapes over workers
while a shape's notebooks share its built codebase.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import papermill
import pytest
from user_codebases import UserCodebase, write_user_codebase

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK_NAMES = [
    "01_tour",
    "02_phase1_parity",
    "03_phase2_switch",
    "04_phase3_cleanup",
    "05_evolution",
]
KERNEL_NAME = "dbkit-tests-current-env"

#: What the sample is made of: none of it may reach the output of a run on another codebase.
SAMPLE_NAMES = re.compile(
    r"sample_app|Acme|services\.py|\b(?:DB|BLL)_(?:Auth|Teams|Documents)\b"
    r"|\b(?:users|roles|credentials|teams|user_teams|invitations|documents|folders|tags|document_tags)\b"
    r"|\b(?:User|Role|Credential|Team|UserTeam|Invitation|Document|Folder|Tag)(?:Model)?\b"
    r"|\bUserStatus\b"
)


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A kernel spec running this very Python (what ``--nbval-current-env`` does for nbval)."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "dbkit tests (current environment)",
                "language": "python",
            }
        )
    )
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(root), previous]))
    try:
        yield KERNEL_NAME
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous


def tree_digest(*paths: Path) -> dict[str, str]:
    """SHA-256 of every file under ``paths``, caches included: the inputs, byte for byte (a new
    ``__pycache__`` or journal file beside them would be a write outside the temporary copy too)."""
    digests = {}
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            digests[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return digests


def output_text(notebook: dict[str, Any]) -> str:
    """Everything the executed notebook shows: streams, rich outputs (text, HTML, Markdown) and errors.

    Stream chunks are concatenated as printed (the kernel may split one ``print`` over two outputs).
    """
    parts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                parts.append("".join(output["text"]))
                continue
            parts.extend(
                "\n" + ("".join(value) if isinstance(value, list) else str(value)) + "\n"
                for mime, value in output.get("data", {}).items()
                if mime.startswith("text/")
            )
            parts.extend(f"\n{line}\n" for line in output.get("traceback", []))
        parts.append("\n")
    return "".join(parts)


def run_notebook(
    name: str, kernel: str, out_dir: Path, parameters: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """Execute notebook ``name`` with ``parameters`` (from ``notebooks/``, as a user would); its JSON and text."""
    out = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(out),
        parameters=parameters,
        kernel_name=kernel,
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        execution_timeout=600,
    )
    executed = json.loads(out.read_text(encoding="utf-8"))
    unrun = [
        index
        for index, cell in enumerate(executed["cells"])
        if cell["cell_type"] == "code" and cell.get("execution_count") is None
    ]
    assert not unrun, f"{name}: cells {unrun} did not run"
    return executed, output_text(executed)


class ShapeRuns:
    """Every notebook on one shape; subclasses name the shape and what its outputs must say."""

    shape: str
    with_database: bool = True
    #: notebook → phrases its output must contain on this shape (the behaviour, not only "it ran").
    expected: dict[str, tuple[str, ...]] = {}
    extra_parameters: dict[str, dict[str, Any]] = {}

    @pytest.fixture(scope="class")
    def codebase(self, tmp_path_factory: pytest.TempPathFactory) -> UserCodebase:
        return write_user_codebase(tmp_path_factory.mktemp(self.shape), self.shape)

    def parameters(self, name: str, codebase: UserCodebase) -> dict[str, Any]:
        parameters: dict[str, Any] = {
            "codebase_path": str(codebase.codebase),
            "database_url": codebase.database_url if self.with_database else None,
        }
        if name == "05_evolution":
            parameters["evolution_path"] = str(codebase.evolution)
        return {**parameters, **self.extra_parameters.get(name, {})}

    @pytest.mark.parametrize("name", NOTEBOOK_NAMES)
    def test_notebook_runs_on_the_codebase_and_leaves_it_untouched(
        self, name: str, codebase: UserCodebase, kernel_name: str, tmp_path: Path
    ) -> None:
        inputs = (codebase.database.parent,)  # app/, app_v2/ and app.sqlite3, and nothing new beside them
        before = tree_digest(*inputs)
        _notebook, text = run_notebook(name, kernel_name, tmp_path, self.parameters(name, codebase))
        assert tree_digest(*inputs) == before, f"{name} changed its input files"
        leaked = sorted({match.group(0) for match in SAMPLE_NAMES.finditer(text)})
        assert not leaked, f"{name} on {self.shape} mentions the sample: {leaked}"
        for phrase in self.expected.get(name, ()):
            assert phrase in text, f"{name} on {self.shape}: {phrase!r} not in its output"


class TestHandWrittenWithSharedBase(ShapeRuns):
    shape = "logistics"
    expected = {
        "01_tour": ("3 hand-written tables, 0 BLL models", "parcels"),
        "02_phase1_parity": (
            "Phase 1 starts by scaffolding",
            "wrote app/BLL_Depots.py",
            "schema-level differences: 0",
        ),
        "03_phase2_switch": ("switched parcels", "rows preserved: True", "changes still needed: 0"),
        "04_phase3_cleanup": (
            "rewrote: app/jobs.py",
            "delete DB_Depots.py: every table it defines has a generated model",
            "keep   DB_Base.py: defines no table, and jobs.py still imports it",
            "clean: True · kept: DB_Base.py",
            "database matches the models",
        ),
        "05_evolution": ("parcels.tracking_code", "verify: PASSED", "database matches the new version: True"),
    }

    @pytest.mark.postgres
    def test_evolution_runs_on_postgresql_too(
        self, codebase: UserCodebase, kernel_name: str, tmp_path: Path, postgres_server_url: str
    ) -> None:
        parameters = {**self.parameters("05_evolution", codebase), "postgres_url": postgres_server_url}
        _notebook, text = run_notebook("05_evolution", kernel_name, tmp_path, parameters)
        assert "PostgreSQL upgrade kept the rows: True" in text
        assert "PostgreSQL matches the new version: True" in text
        assert "PostgreSQL downgrade kept the rows: True" in text


class TestCoreTablesPartlyGenerated(ShapeRuns):
    shape = "library"
    extra_parameters = {"02_phase1_parity": {"parity_decisions": "hand-written"}}
    expected = {
        "02_phase1_parity": (
            "type: database string(100), model string(120)",
            "wrote: app/BLL_Catalog.py",
            "schema-level differences: 0",
        ),
        "03_phase2_switch": (
            "+authors = AuthorModel.DB.__table__",
            "+DatabaseManager.set_default(DatabaseManager(metadata=metadata))",
            "switched loans",
            "0 hand-written tables left: none",
            "rows preserved: True",
        ),
        "04_phase3_cleanup": (
            "rewrote: app/reports.py",
            "delete DB_Loans.py",
            "delete DB_Catalog.py",
            "clean: True · kept: none",
            "database matches the models",
        ),
        "05_evolution": ("books.pages", "rows preserved by the downgrade: True"),
    }

    def test_a_difference_decided_model_is_right_is_left_to_the_revision(
        self, codebase: UserCodebase, kernel_name: str, tmp_path: Path
    ) -> None:
        parameters = {
            **self.parameters("02_phase1_parity", codebase),
            "parity_decisions": {"authors.name:type": "generated"},
        }
        _notebook, text = run_notebook("02_phase1_parity", kernel_name, tmp_path, parameters)
        assert "wrote: nothing" in text
        assert "left to the Phase 2 revision: authors.name:type" in text
        assert "schema-level differences: 1 (1 decided 'model is right')" in text


class TestFullyGenerated(ShapeRuns):
    shape = "garden"
    expected = {
        "02_phase1_parity": (
            "Phases 1 to 3 are done",
            "greenhouses: 2 rows, 0 failing",
            "plantings: 12 rows, 0 failing",
        ),
        "03_phase2_switch": ("Phase 2 is done", "rows preserved: True"),
        "04_phase3_cleanup": ("Phase 3 is already done", "database matches the models"),
        "05_evolution": ("plantings.notes", "database matches the new version: True"),
    }

    def test_evolution_takes_a_snapshot_as_the_next_version(
        self, codebase: UserCodebase, kernel_name: str, tmp_path: Path
    ) -> None:
        from dbkit.migrate import api

        snapshot = api.write_snapshot(codebase.evolution, tmp_path / "next.json")
        parameters = {**self.parameters("05_evolution", codebase), "evolution_path": str(snapshot)}
        _notebook, text = run_notebook("05_evolution", kernel_name, tmp_path, parameters)
        assert "the snapshot next.json" in text
        assert "plantings.notes" in text
        assert "database matches the new version: True" in text


class TestWithoutDatabase(ShapeRuns):
    shape = "logistics"
    with_database = False
    expected = {
        name: ("No database_url:", "skipped (it needs a database")
        for name in NOTEBOOK_NAMES
        if name != "04_phase3_cleanup"
    } | {"04_phase3_cleanup": ("No database_url: the final check against the database skipped",)}
