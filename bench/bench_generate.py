"""Benchmark: define and generate N dbkit models x F fields (with references) against SQLModel,
and against plain SQLAlchemy declarative classes, the floor of dbkit's ``.DB`` generation.

Three sides get the SAME tables: the uuid ``id`` primary key and the audit columns
(``created_at``, ``created_by_user_id``, ``updated_at``, ``updated_by_user_id``, ``deleted_at``,
``deleted_by_user_id``), F data fields cycling through str (with and without ``max_length``),
int, bool, float, Decimal, datetime, date, Optional variants and an Enum, each with a column
comment, plus 1-2 references per model (required or nullable) to earlier models, each with a
relationship and a backref named after the referencing table. An untimed run of each side dumps
its schema first, and the benchmark refuses to report if any two differ.

- ``dbkit``: "define" builds the Pydantic classes; "generate" is ``ModelRegistry.generate()``: the
  tables, SQLAlchemy's declarative mapping of every ``.DB`` class and the registry's configuration.
- ``sqlmodel``: "define" builds tables and maps them while the classes are defined; "generate" is
  only ``configure_mappers()``. The rows without a ``peer_name`` compare dbkit with this side, as
  issue #14 asks ("generate + create_all" and "total" have the target ratio 1.0).
- ``sqlalchemy``: plain SQLAlchemy 2.x declarative classes whose class statements run INSIDE
  "generate" (``build(Base)`` on a fresh ``DeclarativeBase``, then ``configure_mappers()``): the least
  work any ``.DB`` generation can do (build the tables, map them declaratively, configure). The
  ``floor: ...`` rows are informational (no target) and name their peer in ``peer_name``:
  "generate + create_all vs plain SQLAlchemy declarative" is dbkit / plain SQLAlchemy (how far
  dbkit is above the floor), and "plain SQLAlchemy declarative generate + create_all vs SQLModel
  configure + create_all" is plain SQLAlchemy / SQLModel (in the ``dbkit`` column: the floor
  itself); when that ratio is above 1.0, the target of "generate + create_all" is out of reach of
  any implementation that maps its classes in "generate", since SQLModel's figure leaves out the
  mapping it did in "define". Wall and CPU seconds are given for both.

The source of every model set is generated here, written to a file and compiled by each worker
before its clock starts; every measurement runs in a fresh subprocess (so import and cache state
are equal), the order of the sides rotates per repetition, and the median of the repetitions is
reported.

    python bench/bench_generate.py [--models 1000] [--fields 15] [--repeat 3] [--profile [SIDE]]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import re
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
SIDES = ("dbkit", "sqlmodel", "sqlalchemy")
SIDE_NAMES = {"dbkit": "dbkit", "sqlmodel": "SQLModel", "sqlalchemy": "plain SQLAlchemy declarative"}
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


def _entity_table(index: int) -> str:
    """The table name of synthetic model ``index`` (the name dbkit derives for ``EntityNNNNModel``)."""
    from dbkit.naming import table_name_for

    return table_name_for(f"Entity{index:04d}Model")


def _uuid_source_header(import_line: str) -> list[str]:
    """The opening lines the SQLModel and SQLAlchemy sources share: imports, ``PK`` and ``new_id``."""
    return [
        _COMMON_HEADER,
        "import uuid",
        import_line,
        "",
        "PK = sa.Uuid(as_uuid=False)",
        "",
        "def new_id():",
        "    return str(uuid.uuid4())",
        "",
    ]


def sqlmodel_source(specs: list[ModelSpec], n_fields: int) -> str:
    """The same tables as :func:`dbkit_source`, written the way a SQLModel user writes them."""
    from dbkit.naming import reference_field_for

    table = _entity_table
    out = _uuid_source_header("from sqlmodel import Field, Relationship, SQLModel")
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


def _sqlalchemy_type(kind: FieldKind) -> str:
    """The SQLAlchemy type a SQLAlchemy user writes for ``kind``: the SQL the other two sides emit."""
    annotation = kind.annotation.removeprefix("Optional[").removesuffix("]")
    numbers = dict(re.findall(r"(\w+)=(\d+)", kind.constraints))
    if annotation == "str":
        return f"sa.String({numbers['max_length']})" if "max_length" in numbers else "sa.String"
    if annotation == "decimal.Decimal":
        return f"sa.Numeric({numbers['max_digits']}, {numbers['decimal_places']})"
    if kind.sqlmodel_sa_type:
        return kind.sqlmodel_sa_type
    simple = {"int": "sa.Integer", "bool": "sa.Boolean", "float": "sa.Float", "datetime.date": "sa.Date"}
    return simple.get(annotation) or f"sa.Enum({annotation})"


_SQLALCHEMY_AUDIT = """\
        id = mapped_column(PK, primary_key=True, default=new_id)
        created_at = mapped_column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
        created_by_user_id = mapped_column(PK)
        updated_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now())
        updated_by_user_id = mapped_column(PK)
        deleted_at = mapped_column(sa.DateTime(timezone=True))
        deleted_by_user_id = mapped_column(PK)
"""


def sqlalchemy_source(specs: list[ModelSpec], n_fields: int) -> str:
    """The same tables as :func:`dbkit_source` in plain SQLAlchemy 2.x declarative classes, defined
    inside ``build(Base)`` so that the worker's ``generate`` clock covers their class statements.

    Un-annotated ``mapped_column(type, ...)``: the fastest idiomatic spelling (``Mapped[...]``
    annotations add their resolution per attribute and change nothing in the tables: build +
    configure of 200 models took 1.58-1.61 s of CPU without them, 1.70-1.77 s with them, idle
    machine); relationships name their target class itself, always defined earlier, so nothing is
    looked up by name."""
    from dbkit.naming import reference_field_for

    table = _entity_table
    out = [*_uuid_source_header("from sqlalchemy.orm import mapped_column, relationship"), "def build(Base):"]
    for spec in specs:
        own_table = table(spec.index)
        out.append(f"    class {spec.stem}(Base):")
        out.append(f"        __tablename__ = {own_table!r}")
        out.append(_SQLALCHEMY_AUDIT.rstrip("\n"))
        for ref in spec.references:
            column = reference_field_for(f"Entity{ref.target:04d}Model")
            comment = f"The ID of the related entity{ref.target:04d}"  # dbkit's ReferenceID wording
            nullable = "" if ref.optional else ", nullable=False"
            out.append(
                f"        {column} = mapped_column(PK, sa.ForeignKey({table(ref.target) + '.id'!r})"
                f"{nullable}, comment={comment!r})"
            )
        for position in range(n_fields):
            kind = FIELD_KINDS[position % len(FIELD_KINDS)]
            name = f"f{position:02d}"
            nullable = "" if kind.annotation.startswith("Optional[") else ", nullable=False"
            out.append(
                f"        {name} = mapped_column({_sqlalchemy_type(kind)}{nullable}, comment={name!r})"
            )
        for ref in spec.references:
            target_stem = f"Entity{ref.target:04d}"
            relationship = reference_field_for(f"{target_stem}Model").removesuffix("_id")
            out.append(f"        {relationship} = relationship({target_stem}, backref={own_table!r})")
        out.append("")
    out.append("    return [" + ", ".join(spec.stem for spec in specs) + "]")
    return "\n".join(out) + "\n"


# -- workers (each runs in a fresh subprocess) ----------------------------------------------------
def _import(side: str) -> None:
    """Load what the models' source and the phases use (``import dbkit`` alone is lazy)."""
    if side == "dbkit":
        from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, ModelRegistry  # noqa: F401
    elif side == "sqlmodel":
        from sqlmodel import Field, Relationship, SQLModel  # noqa: F401
    else:
        import sqlalchemy  # noqa: F401
        from sqlalchemy.orm import DeclarativeBase, configure_mappers, mapped_column, relationship  # noqa: F401


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


def _sqlalchemy_phases(namespace: dict[str, Any], clock: Callable[[str], None]) -> Any:
    """The floor of dbkit's ``.DB``: a fresh declarative base, the class statements (tables and
    declarative mapping), ``configure_mappers()``; then ``create_all``."""
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, configure_mappers

    class Base(DeclarativeBase):
        pass

    # kept like SQLModel's module-level TABLES: the registry holds its mappers weakly, and classes
    # nothing refers to would be collected with them
    namespace["TABLES"] = namespace["build"](Base)
    configure_mappers()
    clock("generate")
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    clock("create_all")
    return Base.registry


_PHASES_OF: dict[str, Callable[[dict[str, Any], Callable[[str], None]], Any]] = {
    "dbkit": _dbkit_phases,
    "sqlmodel": _sqlmodel_phases,
    "sqlalchemy": _sqlalchemy_phases,
}


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
    registry = _PHASES_OF[side](namespace, clock)
    timings["total"] = time.perf_counter() - started - timings["import"]
    timings["cpu_total"] = sum(timings[f"cpu_{phase}"] for phase in PHASES[1:])
    timings["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile_path))
    if schema_path:
        import gc

        gc.collect()  # (untimed) the schema of what stays mapped, not of what a collection would drop
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
    sources = {
        "dbkit": dbkit_source(specs, n_fields),
        "sqlmodel": sqlmodel_source(specs, n_fields),
        "sqlalchemy": sqlalchemy_source(specs, n_fields),
    }
    paths = {}
    for side, text in sources.items():
        paths[side] = directory / f"models_{side}.py"
        paths[side].write_text(text)
    return paths


def run(n_models: int = 1000, n_fields: int = 15, repeat: int = 3) -> list[dict[str, Any]]:
    """Rows ``{measure, dbkit, peer, ratio, target}``: medians over ``repeat`` fresh subprocesses each.

    The rows without ``peer_name`` compare dbkit with SQLModel; the ``floor: ...`` rows name their
    peer in ``peer_name`` (and the last pair puts plain SQLAlchemy in the ``dbkit`` column)."""
    samples: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory(prefix="dbkit-bench-") as tmp:
        paths = write_sources(Path(tmp), n_models, n_fields)
        schemas = {side: Path(tmp) / f"schema_{side}.json" for side in SIDES}
        for side in SIDES:  # one untimed run each proves the three sides build the same tables
            _spawn(side, paths[side], schema_path=schemas[side])
        check_same_schema(schemas["dbkit"], schemas["sqlmodel"])
        check_same_schema(schemas["sqlalchemy"], schemas["dbkit"], names=("plain SQLAlchemy", "dbkit"))
        for repetition in range(repeat):
            shift = repetition % len(SIDES)  # rotate: each side runs first, middle and last in turn
            for side in SIDES[shift:] + SIDES[:shift]:
                samples[side].append(_spawn(side, paths[side]))

    def median(side: str, keys: tuple[str, ...]) -> float:
        return statistics.median(sum(s[k] for k in keys) for s in samples[side])

    def row(label: str, subject: float, peer: float, target: float | None) -> dict[str, Any]:
        return {
            "measure": f"{label} [{n_models} models x {n_fields} fields]",
            "dbkit": round(subject, 3),
            "peer": round(peer, 3),
            "ratio": round(subject / peer, 2) if peer else None,
            "target": target,
        }

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
        rows.append(row(label, median("dbkit", keys), median("sqlmodel", keys), target))
    # The floor (informational): plain SQLAlchemy classes whose statements run in their "generate"
    # phase do the least any .DB can do: build the tables, map them declaratively, configure.
    wall, cpu = ("generate", "create_all"), ("cpu_generate", "cpu_create_all")
    floor = SIDE_NAMES["sqlalchemy"]
    for prefix, keys in (("", wall), ("CPU: ", cpu)):
        rows.append(
            {
                **row(
                    f"floor: {prefix}generate + create_all vs {floor} (s)",
                    median("dbkit", keys),
                    median("sqlalchemy", keys),
                    None,
                ),
                "peer_name": floor,
            }
        )
    for prefix, keys in (("", wall), ("CPU: ", cpu)):
        rows.append(
            {
                **row(
                    f"floor: {prefix}{floor} generate + create_all vs SQLModel configure + create_all (s)",
                    median("sqlalchemy", keys),
                    median("sqlmodel", keys),
                    None,
                ),
                "peer_name": "SQLModel",
                "floor_for": f"{prefix}generate + create_all (s)",  # drawn on that measure's plot
            }
        )
    return rows


def check_same_schema(
    dbkit_schema: Path, peer_schema: Path, names: tuple[str, str] = ("dbkit", "SQLModel")
) -> None:
    """Refuse to compare timings of two different schemas: name the first table that differs
    (``names``: the sides the two files come from, for the message)."""
    ours, theirs = json.loads(dbkit_schema.read_text()), json.loads(peer_schema.read_text())
    if ours.keys() != theirs.keys():
        raise AssertionError(
            f"Table sets of {names[0]} and {names[1]} differ: {sorted(ours.keys() ^ theirs.keys())[:5]}"
        )
    width = max(len(name) for name in names) + 1
    for name in ours:
        if ours[name] != theirs[name]:
            raise AssertionError(
                f"Table {name} differs:\n {names[0] + ':':<{width}} {ours[name]}\n {names[1] + ':':<{width}} {theirs[name]}"
            )


def print_rows(rows: list[dict[str, Any]]) -> None:
    """The table; ``peer is`` is SQLModel unless the row names its peer (the floor rows)."""
    width = max(len(row["measure"]) for row in rows)
    peer_width = max(len(row.get("peer_name") or "SQLModel") for row in rows)
    print(f"{'measure':<{width}}  {'dbkit':>9}  {'peer':>9}  {'peer is':<{peer_width}}  {'ratio':>6}  target")
    for row in rows:
        target = f"<= {row['target']}" if row["target"] is not None else ""
        verdict = ""
        if row["target"] is not None and row["ratio"] is not None:
            verdict = "  OK" if row["ratio"] <= row["target"] else "  SLOWER"
        print(
            f"{row['measure']:<{width}}  {row['dbkit']:>9.3f}  {row['peer']:>9.3f}  "
            f"{row.get('peer_name') or 'SQLModel':<{peer_width}}  {row['ratio']:>6}  {target}{verdict}"
        )


def profile_dbkit(n_models: int, n_fields: int, top: int = 25, side: str = "dbkit") -> str:
    """cProfile of one worker of ``side`` (dbkit by default), sorted by cumulative and by own time, as text."""
    with tempfile.TemporaryDirectory(prefix="dbkit-bench-") as tmp:
        paths = write_sources(Path(tmp), n_models, n_fields)
        profile_path = Path(tmp) / f"{side}.prof"
        _spawn(side, paths[side], profile_path)
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
    parser.add_argument(
        "--profile",
        nargs="?",
        const="dbkit",
        choices=SIDES,
        help="also print a cProfile of one run of a side (dbkit when no side is given)",
    )
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
        print(profile_dbkit(args.models, args.fields, side=args.profile))


if __name__ == "__main__":
    main()
