"""Benchmark: define and generate N dbkit models x F fields (with references) against SQLModel.

Both sides get the SAME tables: the uuid ``id`` primary key and the audit columns
(``created_at``, ``created_by_user_id``, ``updated_at``, ``updated_by_user_id``, ``deleted_at``,
``deleted_by_user_id``), F data fields cycling through str (with and without ``max_length``),
int, bool, float, Decimal, datetime, date, Optional variants and an Enum, each with a column
comment, plus 1-2 references per model (required or nullable) to earlier models, each with a
relationship and a backref named after the referencing table.

The source of both model sets is generated here, written to a file and compiled by each worker
before its clock starts; every measurement runs in a fresh subprocess (so import and cache state
are equal), the two sides alternate order, and the median of the repetitions is reported.

    python bench/bench_generate.py [--models 1000] [--fields 15] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = 20240601
SIDES = ("dbkit", "sqlmodel")
#: Timed phases in the order a worker reports them; ``total`` is their sum without the import.
PHASES = ("import", "define", "generate", "create_all")
TARGET_RATIO = 1.0


@dataclass(frozen=True)
class FieldKind:
    """One column shape, written once for both sides so they cannot drift apart."""

    annotation: str
    default: str  # Python source of the default, "..." for required
    constraints: str = ""  # extra pydantic Field keyword arguments (same on both sides)
    sqlmodel_sa_type: str = ""  # SQLModel needs an explicit type where its own mapping differs


FIELD_KINDS: tuple[FieldKind, ...] = (
    FieldKind("str", "...", "max_length=100"),
    FieldKind("Optional[str]", "None", "max_length=255"),
    FieldKind("int", "..."),
    FieldKind("Optional[int]", "None"),
    FieldKind("bool", "False"),
    FieldKind("float", "..."),
    FieldKind("decimal.Decimal", "...", "max_digits=12, decimal_places=2"),
    FieldKind("datetime.datetime", "...", sqlmodel_sa_type="sa.DateTime(timezone=True)"),
    FieldKind("Optional[datetime.datetime]", "None", sqlmodel_sa_type="sa.DateTime(timezone=True)"),
    FieldKind("datetime.date", "..."),
    FieldKind("Optional[datetime.date]", "None"),
    FieldKind("Status", "Status.active"),
    FieldKind("Optional[float]", "None"),
    FieldKind("str", "''"),
    FieldKind("Optional[decimal.Decimal]", "None", "max_digits=10, decimal_places=4"),
)


@dataclass(frozen=True)
class Reference:
    target: int  # index of an earlier model
    optional: bool


@dataclass(frozen=True)
class ModelSpec:
    index: int
    references: tuple[Reference, ...]

    @property
    def stem(self) -> str:
        return f"Entity{self.index:04d}"


def model_specs(n_models: int, seed: int = SEED) -> list[ModelSpec]:
    """Deterministic specs: model k > 0 references one or two distinct earlier models."""
    rng = random.Random(seed)
    specs = []
    for index in range(n_models):
        count = 0 if index == 0 else min(index, rng.choice((1, 2)))
        targets = sorted(rng.sample(range(index), count))
        specs.append(ModelSpec(index, tuple(Reference(t, rng.random() < 0.5) for t in targets)))
    return specs


def _field_lines(n_fields: int, extra_keywords: Callable[[FieldKind, str], str]) -> list[str]:
    lines = []
    for position in range(n_fields):
        kind = FIELD_KINDS[position % len(FIELD_KINDS)]
        name = f"f{position:02d}"
        keywords = ", ".join(
            part
            for part in (kind.default, kind.constraints, f"description={name!r}", extra_keywords(kind, name))
            if part
        )
        lines.append(f"    {name}: {kind.annotation} = Field({keywords})")
    return lines


_COMMON_HEADER = """\
import datetime
import decimal
import enum
from typing import Optional

import sqlalchemy as sa


class Status(str, enum.Enum):
    active = "active"
    archived = "archived"
    deleted = "deleted"
"""


def dbkit_source(specs: list[ModelSpec], n_fields: int) -> str:
    """``class Entity0001Model(ApplicationModel, Entity0000Model.ReferenceID, DatabaseMixin)``..."""
    out = [
        _COMMON_HEADER,
        "from pydantic import Field",
        "from dbkit import ApplicationModel, DatabaseMixin",
        "",
    ]
    for spec in specs:
        references = [
            f"Entity{ref.target:04d}Model.ReferenceID" + (".Optional" if ref.optional else "")
            for ref in spec.references
        ]
        bases = ", ".join(["ApplicationModel", *references, "DatabaseMixin"])
        out.append(f"class {spec.stem}Model({bases}):")
        out.extend(_field_lines(n_fields, lambda kind, name: ""))
        out.append("")
    out.append("MODELS = [" + ", ".join(f"{spec.stem}Model" for spec in specs) + "]")
    return "\n".join(out) + "\n"


_SQLMODEL_AUDIT = """\
    id: str = Field(default_factory=new_id, primary_key=True, sa_type=PK)
    created_at: Optional[datetime.datetime] = Field(
        None, nullable=False, sa_type=sa.DateTime(timezone=True), sa_column_kwargs={"server_default": sa.func.now()}
    )
    created_by_user_id: Optional[str] = Field(None, sa_type=PK)
    updated_at: Optional[datetime.datetime] = Field(
        None,
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.func.now(), "onupdate": sa.func.now()},
    )
    updated_by_user_id: Optional[str] = Field(None, sa_type=PK)
    deleted_at: Optional[datetime.datetime] = Field(None, sa_type=sa.DateTime(timezone=True))
    deleted_by_user_id: Optional[str] = Field(None, sa_type=PK)
"""


def _sqlmodel_extra(kind: FieldKind, name: str) -> str:
    parts = [f"sa_column_kwargs={{'comment': {name!r}}}"]
    if kind.sqlmodel_sa_type:
        parts.append(f"sa_type={kind.sqlmodel_sa_type}")
    return ", ".join(parts)


def sqlmodel_source(specs: list[ModelSpec], n_fields: int) -> str:
    """The same tables as :func:`dbkit_source`, written the way a SQLModel user writes them."""
    from dbkit.naming import reference_field_for, table_name_for

    def table(index: int) -> str:
        return table_name_for(f"Entity{index:04d}Model")

    out = [
        _COMMON_HEADER,
        "import uuid",
        "from sqlmodel import Field, Relationship, SQLModel",
        "",
        "PK = sa.Uuid(as_uuid=False)",
        "",
        "def new_id():",
        "    return str(uuid.uuid4())",
        "",
    ]
    for spec in specs:
        own_table = table(spec.index)
        out.append(f"class {spec.stem}(SQLModel, table=True):")
        out.append(f"    __tablename__ = {own_table!r}")
        out.append(_SQLMODEL_AUDIT.rstrip("\n"))
        for ref in spec.references:
            target_stem = f"Entity{ref.target:04d}"
            column = reference_field_for(f"{target_stem}Model")
            annotation = "Optional[str]" if ref.optional else "str"
            default = "None" if ref.optional else "..."
            comment = f"The ID of the related entity{ref.target:04d}"  # dbkit's ReferenceID wording
            out.append(
                f"    {column}: {annotation} = Field({default}, foreign_key={table(ref.target) + '.id'!r}, "
                f"sa_type=PK, description={comment!r}, sa_column_kwargs={{'comment': {comment!r}}})"
            )
        out.extend(_field_lines(n_fields, _sqlmodel_extra))
        for ref in spec.references:
            target_stem = f"Entity{ref.target:04d}"
            relationship = reference_field_for(f"{target_stem}Model").removesuffix("_id")
            out.append(
                f"    {relationship}: Optional[{target_stem}] = "
                f"Relationship(sa_relationship_kwargs={{'backref': {own_table!r}}})"
            )
        out.append("")
    out.append("TABLES = [" + ", ".join(spec.stem for spec in specs) + "]")
    return "\n".join(out) + "\n"


# -- workers (each runs in a fresh subprocess) ----------------------------------------------------
def _import(side: str) -> None:
    """Load what the models' source and the phases use (``import dbkit`` alone is lazy)."""
    if side == "dbkit":
        from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, ModelRegistry  # noqa: F401
    else:
        from sqlmodel import Field, Relationship, SQLModel  # noqa: F401


def _dbkit_phases(namespace: dict[str, Any], clock: Callable[[str], None]) -> Any:
    from dbkit import DatabaseManager, ModelRegistry

    manager = DatabaseManager("sqlite://")
    registry = ModelRegistry(manager, namespace["MODELS"])
    registry.generate()
    clock("generate")
    manager.create_all()
    clock("create_all")
    return manager.Base.registry


def _sqlmodel_phases(namespace: dict[str, Any], clock: Callable[[str], None]) -> Any:
    import sqlalchemy as sa
    from sqlalchemy.orm import configure_mappers
    from sqlmodel import SQLModel

    configure_mappers()
    clock("generate")
    engine = sa.create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    clock("create_all")
    from sqlmodel.main import default_registry

    return default_registry


def schema_of(registry: Any) -> dict[str, Any]:
    """Columns (SQL type, nullability, comment), foreign keys and relationships of every table, as plain data."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    tables: dict[str, Any] = {}
    for table in registry.metadata.sorted_tables:
        tables[table.name] = {
            "columns": {
                c.name: [c.type.compile(dialect), c.nullable, c.primary_key, c.comment]
                for c in sorted(table.c, key=str)
            },
            "foreign_keys": sorted(f"{fk.parent.name}->{fk.target_fullname}" for fk in table.foreign_keys),
        }
    for mapper in registry.mappers:
        tables[mapper.local_table.name]["relationships"] = sorted(mapper.relationships.keys())
    return tables


def run_worker(
    side: str, source_path: Path, profile_path: Path | None, schema_path: Path | None
) -> dict[str, float]:
    """Time import, class definition, generation and create_all of one side; report peak RSS."""
    code = compile(source_path.read_text(), str(source_path), "exec", dont_inherit=True)
    timings: dict[str, float] = {}
    started = last = time.perf_counter()
    last_cpu = time.process_time()

    def clock(phase: str) -> None:
        # CPU seconds beside wall seconds: on a shared machine a process waiting for a core loses wall
        # time, not CPU time, so the CPU ratio says what the code costs when the wall ratio is noise.
        nonlocal last, last_cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        timings[phase], timings[f"cpu_{phase}"] = now - last, now_cpu - last_cpu
        last, last_cpu = now, now_cpu

    profiler = cProfile.Profile() if profile_path else None
    if profiler:
        profiler.enable()
    _import(side)
    clock("import")
    module = types.ModuleType(f"bench_{side}_models")
    sys.modules[module.__name__] = module  # Pydantic resolves annotations through the module
    namespace = module.__dict__
    exec(code, namespace)
    clock("define")
    registry = (_dbkit_phases if side == "dbkit" else _sqlmodel_phases)(namespace, clock)
    timings["total"] = time.perf_counter() - started - timings["import"]
    timings["cpu_total"] = sum(timings[f"cpu_{phase}"] for phase in PHASES[1:])
    timings["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile_path))
    if schema_path:
        schema_path.write_text(json.dumps(schema_of(registry), indent=1, sort_keys=True))
    return timings


def _spawn(
    side: str, source_path: Path, profile_path: Path | None = None, schema_path: Path | None = None
) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", side, "--source", str(source_path)]
    if profile_path:
        command += ["--profile-out", str(profile_path)]
    if schema_path:
        command += ["--schema-out", str(schema_path)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"The {side} worker failed on {source_path}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the benchmark ---------------------------------------------------------------------------------
def write_sources(directory: Path, n_models: int, n_fields: int) -> dict[str, Path]:
    specs = model_specs(n_models)
    sources = {"dbkit": dbkit_source(specs, n_fields), "sqlmodel": sqlmodel_source(specs, n_fields)}
    paths = {}
    for side, text in sources.items():
        paths[side] = directory / f"models_{side}.py"
        paths[side].write_text(text)
    return paths


def run(n_models: int = 1000, n_fields: int = 15, repeat: int = 3) -> list[dict[str, Any]]:
    """Rows ``{measure, dbkit, peer, ratio, target}``: medians over ``repeat`` fresh subprocesses each."""
    samples: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory(prefix="dbkit-bench-") as tmp:
        paths = write_sources(Path(tmp), n_models, n_fields)
        schemas = {side: Path(tmp) / f"schema_{side}.json" for side in SIDES}
        for side in SIDES:  # one untimed run each proves both sides build the same tables
            _spawn(side, paths[side], schema_path=schemas[side])
        check_same_schema(schemas["dbkit"], schemas["sqlmodel"])
        for repetition in range(repeat):
            order = SIDES if repetition % 2 == 0 else tuple(reversed(SIDES))
            for side in order:
                samples[side].append(_spawn(side, paths[side]))
    rows = []
    measures = [
        ("import (s)", "import", None),
        ("define classes (s)", "define", None),
        ("generate .DB / configure (s)", "generate", None),
        ("create_all (s)", "create_all", None),
        # issue #14: .DB generation + create_all no slower than configure_mappers + create_all
        ("generate + create_all (s)", ("generate", "create_all"), TARGET_RATIO),
        ("total, import excluded (s)", "total", TARGET_RATIO),
        ("peak RSS (MiB)", "peak_rss_mib", None),
        ("CPU: generate + create_all (s)", ("cpu_generate", "cpu_create_all"), None),
        ("CPU: total, import excluded (s)", "cpu_total", None),
    ]
    for label, keys, target in measures:
        keys = keys if isinstance(keys, tuple) else (keys,)
        dbkit = statistics.median(sum(s[k] for k in keys) for s in samples["dbkit"])
        peer = statistics.median(sum(s[k] for k in keys) for s in samples["sqlmodel"])
        rows.append(
            {
                "measure": f"{label} [{n_models} models x {n_fields} fields]",
                "dbkit": round(dbkit, 3),
                "peer": round(peer, 3),
                "ratio": round(dbkit / peer, 2) if peer else None,
                "target": target,
            }
        )
    return rows


def check_same_schema(dbkit_schema: Path, peer_schema: Path) -> None:
    """Refuse to compare timings of two different schemas: name the first table that differs."""
    ours, theirs = json.loads(dbkit_schema.read_text()), json.loads(peer_schema.read_text())
    if ours.keys() != theirs.keys():
        raise AssertionError(f"Table sets differ: {sorted(ours.keys() ^ theirs.keys())[:5]}")
    for name in ours:
        if ours[name] != theirs[name]:
            raise AssertionError(f"Table {name} differs:\n dbkit:    {ours[name]}\n SQLModel: {theirs[name]}")


def print_rows(rows: list[dict[str, Any]]) -> None:
    width = max(len(row["measure"]) for row in rows)
    print(f"{'measure':<{width}}  {'dbkit':>9}  {'SQLModel':>9}  {'ratio':>6}  target")
    for row in rows:
        target = f"<= {row['target']}" if row["target"] is not None else ""
        verdict = ""
        if row["target"] is not None and row["ratio"] is not None:
            verdict = "  OK" if row["ratio"] <= row["target"] else "  SLOWER"
        print(
            f"{row['measure']:<{width}}  {row['dbkit']:>9.3f}  {row['peer']:>9.3f}  {row['ratio']:>6}  "
            f"{target}{verdict}"
        )


def profile_dbkit(n_models: int, n_fields: int, top: int = 25) -> str:
    """cProfile of one dbkit worker, sorted by cumulative and by own time, as text."""
    with tempfile.TemporaryDirectory(prefix="dbkit-bench-") as tmp:
        paths = write_sources(Path(tmp), n_models, n_fields)
        profile_path = Path(tmp) / "dbkit.prof"
        _spawn("dbkit", paths["dbkit"], profile_path)
        out = io.StringIO()
        stats = pstats.Stats(str(profile_path), stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000, help="number of models (default 1000)")
    parser.add_argument("--fields", type=int, default=15, help="data fields per model (default 15)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh subprocesses per side (default 3)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one dbkit run")
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--schema-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.source, args.profile_out, args.schema_out)))
        return
    print_rows(run(args.models, args.fields, args.repeat))
    if args.profile:
        print(profile_dbkit(args.models, args.fields))


if __name__ == "__main__":
    main()
