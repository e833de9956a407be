"""Property-based round trips (hypothesis) on SQLite and the real PostgreSQL server.

1. Random ``DatabaseMixin`` model sets, created on each backend, reflect to their own snapshot.
2. Random hand-written SQLAlchemy models scaffold into BLL models with no ``schema`` parity difference.
3. Random (old, new) pairs: revision → upgrade a populated database → ``check`` is clean →
   downgrade → ``check`` against old is clean; rows of kept columns survive both ways.

CI runs a few derandomized examples per property (deterministic). For a longer, random search set
``DBKIT_HYPOTHESIS_EXAMPLES=200``. Each example gets its own SQLite file and its own PostgreSQL
database: function-scoped fixtures are not reset between hypothesis examples.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import importlib
import importlib.util
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from hypothesis import given, settings
from strategies import (
    FIELD_KINDS,
    Evolution,
    HandWrittenSet,
    ModelSetSpec,
    evolutions,
    hand_written_sets,
    model_sets,
    render_hand_written,
    render_models,
    unique_suffix,
)

from dbkit import DatabaseManager, ModelRegistry
from dbkit.generate.builder import is_database_model
from dbkit.manager import normalize_url
from dbkit.migrate import api
from dbkit.migrate.codemod.scaffold import SourceTable, scaffold
from dbkit.migrate.diff.changes import Op
from dbkit.migrate.diff.compare import CompareOptions, diff_snapshots
from dbkit.migrate.diff.risk import needs_backfill
from dbkit.migrate.schema.from_database import snapshot_from_database
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import Snapshot
from dbkit.migrate.source.parity import schema_differences

EXAMPLES_ENV = "DBKIT_HYPOTHESIS_EXAMPLES"
ROWS_PER_TABLE = 3


def examples(ci_default: int) -> settings:
    """``ci_default`` derandomized examples, or ``$DBKIT_HYPOTHESIS_EXAMPLES`` random ones."""
    requested = os.environ.get(EXAMPLES_ENV)
    return settings(
        max_examples=int(requested) if requested else ci_default,
        deadline=None,  # an example creates databases: its time depends on the machine
        derandomize=not requested,
        database=None,
        print_blob=True,
    )


# -- isolation: modules, databases ----------------------------------------------------------------
@contextmanager
def loaded_module(source: str, directory: Path, name: str) -> Iterator[ModuleType]:
    """Execute ``source`` as module ``name`` (registered while in use, forgotten afterwards)."""
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)


@contextmanager
def imported_modules(directory: Path, names: list[str]) -> Iterator[dict[str, ModuleType]]:
    """Import written modules with ``directory`` first on ``sys.path``, then forget them."""
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    sys.path.insert(0, str(directory))
    try:
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            del sys.modules[name]


@contextmanager
def fresh_databases(server_url: str, directory: Path) -> Iterator[dict[str, str]]:
    """A new SQLite file and a new PostgreSQL database for one example, dropped afterwards."""
    server = normalize_url(server_url)
    name = f"dbkit_prop_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield {
            "sqlite": f"sqlite:///{directory / 'example.sqlite3'}",
            "postgresql": server.set(database=name).render_as_string(hide_password=False),
        }
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def model_classes(module: ModuleType, spec: ModelSetSpec) -> list[type]:
    return [getattr(module, model.class_name) for model in spec.models]


def differences_text(changes: list[Any]) -> str:
    return "\n".join(str(change.to_json()) for change in changes)


# -- 1. generated models reflect to their own snapshot --------------------------------------------
@examples(ci_default=25)
@given(spec=model_sets())
def test_generated_models_reflect_to_their_snapshot(spec: ModelSetSpec, postgres_server_url: str) -> None:
    source = render_models(spec)
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        with (
            loaded_module(source, directory, f"models_{unique_suffix()}") as module,
            fresh_databases(postgres_server_url, directory) as urls,
        ):
            for backend, url in urls.items():
                manager = DatabaseManager(url)
                try:
                    classes = ModelRegistry(manager, model_classes(module, spec)).create_schema()
                    expected = snapshot_from_metadata(manager.metadata, models=classes.values())
                finally:
                    manager.dispose()
                reflected = snapshot_from_database(url)
                changes = diff_snapshots(expected, reflected, CompareOptions.for_pair(expected, reflected))
                assert not changes, f"{backend}:\n{differences_text(changes)}\n--- models:\n{source}"


# -- 2. hand-written models scaffold with schema parity --------------------------------------------
@examples(ci_default=25)
@given(spec=hand_written_sets())
def test_scaffolded_models_have_schema_parity(spec: HandWrittenSet) -> None:
    source = render_hand_written(spec)
    stem = f"DB_Random{spec.suffix}"
    with tempfile.TemporaryDirectory() as scratch, loaded_module(source, Path(scratch), stem) as hand_module:
        classes = [getattr(hand_module, table.class_name) for table in spec.tables]
        result = scaffold([SourceTable.of_class(cls, module=stem) for cls in classes])
        bll = Path(scratch) / "bll"
        result.write(bll)
        with imported_modules(bll, list(result.modules)) as modules:
            models = [
                obj
                for module in modules.values()
                for obj in vars(module).values()
                if is_database_model(obj) and obj.__module__ == module.__name__
            ]
            generated = ModelRegistry(DatabaseManager("sqlite://"), models).generate()
            generated_tables = {cls.__table__.name: cls.__table__ for cls in generated.values()}
        bll_source = "\n".join(result.modules.values())
        for cls in classes:
            table = cls.__table__
            hand = snapshot_from_metadata([table]).tables[0]
            ours = snapshot_from_metadata([generated_tables[table.name]]).tables[0]
            found = schema_differences(hand, ours)
            assert not found, (
                f"{table.name}: {found}\n--- hand-written:\n{source}\n--- scaffolded:\n{bll_source}"
            )


# -- 3. revisions round trip on populated databases ------------------------------------------------
@dataclass
class Schema:
    """One side of an evolution: its models loaded, their tables (on a scratch manager), its snapshot."""

    spec: ModelSetSpec
    module: ModuleType
    tables: dict[str, sa.Table]
    snapshot: Snapshot


@contextmanager
def schema_of(spec: ModelSetSpec, directory: Path) -> Iterator[Schema]:
    with loaded_module(render_models(spec), directory, f"evolution_{unique_suffix()}") as module:
        manager = DatabaseManager("sqlite://")
        classes = ModelRegistry(manager, model_classes(module, spec)).generate()
        tables = {cls.__table__.name: cls.__table__ for cls in classes.values()}
        yield Schema(spec, module, tables, snapshot_from_metadata(manager.metadata, models=classes.values()))


def backfills_for(old: Schema, new: Schema) -> dict[str, str]:
    """A backfill for every NOT NULL column the evolution adds to an existing table."""
    kinds = {(m.table, f.name): f.kind for m in new.spec.models for f in m.fields}
    fills = {}
    for change in api.diff(old.snapshot, new.snapshot).changes:
        if change.op == Op.ADD_COLUMN and needs_backfill(change.detail["new"]):
            fill = FIELD_KINDS[kinds[(change.table, change.column)]].backfill
            assert fill is not None, f"strategy added {change.target} NOT NULL without a backfill"
            fills[change.target] = fill
    return fills


def sample_value(kind: str, row: int, enum_class: Any) -> Any:
    """A value of ``kind`` distinct per row (unique columns hold three rows)."""
    values: dict[str, Any] = {
        "str": f"value {row}",
        "text": f"long value {row}",
        "sa_text": f"text {row}",
        "int": row * 10 + 1,
        "big_int": 2**40 + row,
        "bool": row % 2 == 0,
        "float": row + 0.5,
        "decimal": decimal.Decimal(f"{row}.25"),
        "datetime": dt.datetime(2024, 1, row + 1, 12, tzinfo=dt.UTC),
        "date": dt.date(2024, 2, row + 1),
        "time": dt.time(8, row),
        "timedelta": dt.timedelta(hours=row + 1),
        "uuid": uuid.UUID(int=row + 1),
        "bytes": bytes([row, 1, 2]),
        "dict": {"k": row},
        "list": ["a", str(row)],
        "nested": {"city": f"City {row}", "zip_code": f"{row:05d}"},
        "literal": ("low", "mid", "high")[row % 3],
    }
    if kind == "enum":
        members = list(enum_class)
        return members[row % len(members)]
    return values[kind]


def primary_key_value(key: str, table_index: int, row: int) -> Any:
    return row + 1 if key == "int" else str(uuid.UUID(int=(table_index + 1) << 32 | row + 1))


def populate(url: str, schema: Schema) -> None:
    """Three rows per table, inserted in model order; optional references point at rows already in."""
    spec = schema.spec
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for index, model in enumerate(spec.models):
                table = schema.tables[model.table]
                for row in range(ROWS_PER_TABLE):
                    values: dict[str, Any] = {"id": primary_key_value(model.key, index, row)}
                    for field in model.fields:
                        enum_class = getattr(schema.module, field.enum.name) if field.enum else None
                        values[field.name] = sample_value(field.kind, row, enum_class)
                    for reference in model.references:
                        target = spec.models[reference.target]
                        ready = reference.target < index or (reference.target == index and row > 0)
                        values[reference.name] = (
                            primary_key_value(target.key, reference.target, 0) if ready else None
                        )
                        assert ready or reference.optional, "strategy made an uninsertable required reference"
                    connection.execute(table.insert().values(**values))
    finally:
        engine.dispose()


def comparable(value: Any) -> Any:
    """Enum members by name: the old and new model modules each define their own enum class."""
    return value.name if isinstance(value, enum.Enum) else value


def kept_rows(url: str, schema: Schema, other: Schema) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of the tables and columns both schemas have, read through ``schema``'s tables."""
    engine = sa.create_engine(url)
    found: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as connection:
            for name, table in sorted(schema.tables.items()):
                if name not in other.tables:
                    continue
                columns = [c for c in table.columns if c.name in other.tables[name].c]
                query = sa.select(*columns).order_by(table.c.id)
                found[name] = [tuple(map(comparable, row)) for row in connection.execute(query)]
    finally:
        engine.dispose()
    return found


def changed_cells(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    """``table row N column K: old -> new`` for every kept value that changed (and rows gone or added)."""
    found = []
    for table in sorted(before.keys() | after.keys()):
        old_rows, new_rows = before.get(table, []), after.get(table, [])
        if len(old_rows) != len(new_rows):
            found.append(f"{table}: {len(old_rows)} rows -> {len(new_rows)}")
        for number, (old_row, new_row) in enumerate(zip(old_rows, new_rows, strict=False)):
            found += [
                f"{table} row {number} column {index}: {a!r} -> {b!r}"
                for index, (a, b) in enumerate(zip(old_row, new_row, strict=True))
                if a != b
            ]
    return found


def assert_matches(source: Snapshot, url: str, moment: str, evolution: Evolution) -> None:
    changes = api.check(source, url).changes
    assert not changes, f"{moment}:\n{differences_text(list(changes))}\nsteps: {evolution.steps}"


@examples(ci_default=20)
@given(evolution=evolutions())
def test_revision_round_trip_keeps_rows(evolution: Evolution, postgres_server_url: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        with (
            schema_of(evolution.old, directory) as old,
            schema_of(evolution.new, directory) as new,
            fresh_databases(postgres_server_url, directory) as urls,
        ):
            versions = directory / "versions"
            baseline, *_change = api.revision(
                new.snapshot,
                versions,
                from_source=old.snapshot,
                allow_destructive=True,
                backfills=backfills_for(old, new),
            )
            for backend, url in urls.items():
                moment = f"{backend}, steps {evolution.steps}"
                api.upgrade(versions, url, to=baseline.revision)
                assert_matches(old.snapshot, url, f"{moment}: baseline", evolution)
                populate(url, old)
                before = kept_rows(url, old, new)
                api.upgrade(versions, url)
                assert_matches(new.snapshot, url, f"{moment}: after upgrade", evolution)
                assert not changed_cells(before, kept_rows(url, new, old)), f"{moment}: upgrade changed rows"
                api.downgrade(versions, url, to=baseline.revision)
                assert_matches(old.snapshot, url, f"{moment}: after downgrade", evolution)
                assert not changed_cells(before, kept_rows(url, old, new)), (
                    f"{moment}: downgrade changed rows"
                )
