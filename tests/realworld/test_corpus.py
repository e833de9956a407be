"""Every stage of the migration on real open-source model sets (tests/realworld/corpus.toml).

One test per project and stage, so the table in tests/realworld/README.md reads straight off a run:
inventory, scaffold, parity after scaffolding, the JSON snapshot round trip, and for projects with
two versions: diff, revision, and the revision run on SQLite and the real PostgreSQL with rows in
it, checked by dbkit and by an independent oracle (Alembic's own ``compare_metadata``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from corpus import Project, load_corpus, target_dir
from row_generator import TableKeys, key_sets, populate

from conftest import LoadedVersion
from dbkit.migrate import api
from dbkit.migrate.codemod.scaffold import scaffold_codebase
from dbkit.migrate.schema.documents import dump_snapshot, load_snapshot
from dbkit.migrate.schema.snapshot import Snapshot

PROJECTS = load_corpus()
EVOLVING = [project for project in PROJECTS if project.evolves]
VERSIONS = [(project, version) for project in PROJECTS for version in project.versions]

by_project = pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
by_version = pytest.mark.parametrize("project, version", VERSIONS, ids=[f"{p.name}-{v}" for p, v in VERSIONS])
by_evolving = pytest.mark.parametrize("project", EVOLVING, ids=lambda p: p.name)

Shim = Callable[[Project, str], Path]
Loaded = Callable[[Project, str], LoadedVersion]


# -- oracles ---------------------------------------------------------------------------------------
_LIVE_TABLES = """
import gc, importlib, json, sys
sys.path.insert(0, sys.argv[1] + "/own")
sys.path.append(sys.argv[1] + "/deps")
import sqlalchemy as sa
for module in sys.argv[2:]:
    importlib.import_module(module)
libraries = {  # SQLAlchemy's and Alembic's own catalogs (pg_catalog) are not the project's
    id(value)
    for name, module in list(sys.modules.items())
    if name.partition(".")[0] in ("sqlalchemy", "alembic")
    for value in list(vars(module).values())
    if isinstance(value, sa.MetaData)
}
tables = set()
for obj in gc.get_objects():
    if isinstance(obj, sa.MetaData) and id(obj) not in libraries:
        tables.update(obj.tables)
print(json.dumps(sorted(tables)))
"""


def tables_alive_after_import(project: Project, version: str) -> set[str]:
    """Every table of every ``MetaData`` alive after importing the model modules, in a clean process:
    what "every table" means, found without dbkit's loader."""
    done = subprocess.run(
        [sys.executable, "-c", _LIVE_TABLES, str(target_dir(project, version)), *project.models],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def left_out_by_dbkit(entry: Any, dialect: str, models: sa.MetaData) -> bool:
    """What Alembic reports missing that no database holds, so dbkit leaves it out (saying so in the
    revision): an index with no columns, a foreign key to columns that are not unique, a UNIQUE that
    repeats the primary key or another UNIQUE (CREATE TABLE merges them), and a type change between
    types that spell the same DDL on that database (a ``with_variant``). Everything else
    Alembic reports fails the test (tests/realworld/README.md)."""
    if isinstance(entry, list) and len(entry) == 1 and entry[0][0] == "modify_type":
        return _same_type_on(entry[0], dialect, models)
    kind = entry[0] if isinstance(entry, tuple) else None
    if kind == "add_constraint" and isinstance(entry[1], sa.UniqueConstraint):
        columns = [column.name for column in entry[1].columns]
        table = models.tables[entry[1].table.name]
        others = [[c.name for c in table.primary_key.columns]] + [
            [c.name for c in u.columns]
            for u in table.constraints
            if isinstance(u, sa.UniqueConstraint) and u is not entry[1]
        ]
        return columns in others  # merged into the same index by CREATE TABLE
    if kind == "add_index":
        return not list(entry[1].expressions)
    if kind == "add_fk":
        key = entry[1]
        referred = {element.column for element in key.elements}
        table = next(iter(referred)).table
        unique_sets = [set(table.primary_key.columns)] + [
            set(c.columns) for c in table.constraints if isinstance(c, sa.UniqueConstraint)
        ]
        unique_sets += [set(i.columns) for i in table.indexes if i.unique]
        return referred not in unique_sets
    return False


def _same_type_on(entry: Any, dialect_name: str, models: sa.MetaData) -> bool:
    """Alembic compares a ``with_variant`` type by its base type (galaxy's ``JSON().with_variant(JSONB,
    "postgresql")``); the column is what the database needs when both spell the same DDL there."""
    from sqlalchemy.dialects import postgresql, sqlite

    _, _, table, column, _, database_type, _model_type = entry
    dialect = postgresql.dialect() if dialect_name == "postgresql" else sqlite.dialect()
    declared = models.tables[table].c[column].type
    return declared.compile(dialect=dialect) == database_type.compile(dialect=dialect)


def alembic_differences(models: sa.MetaData, url: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            found = compare_metadata(MigrationContext.configure(conn), models)
    finally:
        engine.dispose()
    dialect = sa.engine.make_url(url).get_backend_name()
    return [entry for entry in found if not left_out_by_dbkit(entry, dialect, models)]


def describe(changes: Any) -> str:
    return "\n".join(f"  - {change}" for change in changes)


def snapshot_of(version: LoadedVersion) -> Snapshot:
    assert version.snapshot is not None, f"{version.codebase.name}: {version.snapshot_error}"
    return version.snapshot


# -- stages on every version -------------------------------------------------------------------------
@by_version
def test_inventory_lists_every_table_without_problems(project: Project, version: str, loaded: Loaded) -> None:
    found = loaded(project, version).inventory
    # Warnings (a table without a primary key, an index without columns) are facts of code the user
    # cannot edit; README lists them. Errors stop the migration.
    assert not found.errors, f"{project.name} {version}:\n" + "\n".join(str(p) for p in found.errors)
    listed = {entry.table for entry in found.tables}
    alive = tables_alive_after_import(project, version)
    assert listed == alive, (
        f"not listed: {sorted(alive - listed)}; listed but not alive: {sorted(listed - alive)}"
    )
    unnamed = {
        entry.table for entry in found.tables if not entry.hand_written or not entry.hand_written.class_name
    }
    unnamed -= loaded(project, version).association_tables  # named by the relationships that use them
    assert not unnamed, f"tables listed without the class or variable that defines them: {sorted(unnamed)}"


@by_version
def test_snapshot_round_trips_through_json(project: Project, version: str, loaded: Loaded) -> None:
    snapshot = snapshot_of(loaded(project, version))
    again = load_snapshot(dump_snapshot(snapshot))
    assert again == snapshot
    assert not api.diff(snapshot, again).changes


# -- scaffold and parity, on the newest version --------------------------------------------------------
@pytest.fixture(scope="session")
def scaffolded(corpus_workspace: Path, shim: Shim) -> Callable[[Project], tuple[Path, Any]]:
    """The newest version's codebase with its scaffolded BLL files next to the shim (made once)."""
    made: dict[str, tuple[Path, Any]] = {}

    def make(project: Project) -> tuple[Path, Any]:
        if project.name not in made:
            version = project.versions[-1]
            directory = corpus_workspace / "scaffolded" / f"{project.name}-{version}"
            shutil.copytree(shim(project, version), directory)
            result = scaffold_codebase(directory)
            result.write(directory)
            made[project.name] = (directory, result)
        return made[project.name]

    return make


@by_project
def test_scaffold_writes_a_model_for_every_table(project: Project, scaffolded: Any, shim: Shim) -> None:
    _directory, result = scaffolded(project)
    tables = {entry.table for entry in api.inventory(shim(project, project.versions[-1])).tables}
    refused = refused_by_scaffold(result)
    missing = sorted(tables - set(result.models) - refused)
    problems = "\n".join(f"  {problem}" for problem in result.problems)
    assert not missing, f"no BLL model for {missing}; scaffold reported:\n{problems}"
    assert not refused & set(result.models)


def refused_by_scaffold(result: Any) -> set[str]:
    """Tables scaffold left hand-written on purpose, each with its reason in the report."""
    return {problem.table for problem in result.problems if problem.message.startswith("no model scaffolded")}


@by_project
def test_parity_matches_every_table_after_scaffold(project: Project, scaffolded: Any) -> None:
    directory, result = scaffolded(project)
    refused = refused_by_scaffold(result)
    report = api.parity(directory)
    errors = [problem for problem in report.problems if ": warning: " not in problem]
    assert not errors, "\n".join(errors)
    differing = {
        table.table: [f"{d.object}: {d.kind} {d.hand_written!r} → {d.generated!r}" for d in table.differences]
        for table in report.tables
        if table.status != "match" and not (table.status == "hand_written_only" and table.table in refused)
    }
    assert not differing, "\n".join(
        f"{name}:\n    " + "\n    ".join(diffs) for name, diffs in differing.items()
    )


# -- two versions: diff, revision, and the revision on real databases -----------------------------------
@pytest.fixture(scope="session")
def revisions(corpus_workspace: Path, loaded: Loaded) -> Callable[[Project], tuple[Path, str]]:
    """``revision --from OLD NEW --allow-destructive`` for a project: the versions directory and the
    baseline's revision id (written once)."""
    made: dict[str, tuple[Path, str]] = {}

    def make(project: Project) -> tuple[Path, str]:
        if project.name not in made:
            old, new = (snapshot_of(loaded(project, version)) for version in project.versions[-2:])
            versions = corpus_workspace / "versions" / project.name
            written = api.revision(
                new,
                versions,
                message=f"{project.name} {project.versions[-2]} to {project.versions[-1]}",
                from_source=old,
                allow_destructive=True,
                backfills=project.backfills,
            )
            assert written, f"{project.name}: no revision written"
            made[project.name] = (versions, written[0].revision)
        return made[project.name]

    return make


@by_evolving
def test_diff_between_versions(project: Project, loaded: Loaded) -> None:
    old, new = (snapshot_of(loaded(project, version)) for version in project.versions[-2:])
    result = api.diff(old, new)
    assert result.changes, f"{project.name}: the versions {project.versions[-2:]} have the same schema"
    json.dumps(result.to_json())


@by_evolving
def test_revision_is_written(project: Project, revisions: Any) -> None:
    versions, _baseline = revisions(project)
    assert len(list(versions.glob("*.py"))) == 2, sorted(p.name for p in versions.glob("*.py"))


def _url(backend: str, request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("postgres_url" if backend == "postgresql" else "sqlite_url")


def _kept(before: dict[str, TableKeys], after: dict[str, TableKeys], tables: set[str]) -> list[str]:
    lost = []
    for name in sorted(tables & before.keys()):
        if after.get(name) != before[name]:
            now = after.get(name)
            lost.append(f"{name}: {before[name].count} rows before, {now.count if now else 'no table'} after")
    return lost


@by_evolving
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_revision_upgrades_and_downgrades_real_rows(
    project: Project, backend: str, revisions: Any, loaded: Loaded, request: pytest.FixtureRequest
) -> None:
    url = _url(backend, request)
    old, new = (loaded(project, version) for version in project.versions[-2:])
    versions, baseline = revisions(project)
    engine = sa.create_engine(url)
    try:
        api.upgrade(versions, url, to=baseline)
        populate(engine)
        before = key_sets(engine)

        api.upgrade(versions, url)
        remaining = api.check(snapshot_of(new), url)
        assert not remaining.changes, f"check after upgrade, {backend}:\n{describe(remaining.changes)}"
        oracle = alembic_differences(new.metadata, url)
        assert not oracle, f"Alembic's compare_metadata after upgrade, {backend}:\n{describe(oracle)}"
        after = key_sets(engine)
        kept = set(before) & set(after)  # a table the new version drops loses its rows by design
        assert not _kept(before, after, kept), _kept(before, after, kept)

        api.downgrade(versions, url, to=baseline)
        remaining = api.check(snapshot_of(old), url)
        assert not remaining.changes, f"check after downgrade, {backend}:\n{describe(remaining.changes)}"
        back = key_sets(engine)
        assert not _kept(before, back, kept), _kept(before, back, kept)
    finally:
        engine.dispose()


def test_corpus_has_the_variety_the_issue_asks_for() -> None:
    assert len(PROJECTS) >= 8, [p.name for p in PROJECTS]
    assert len(EVOLVING) >= 4, [p.name for p in EVOLVING]


def test_shim_forgets_an_earlier_version_of_the_project(shim: Shim) -> None:
    """Two versions of one project load one after the other in one process, each with its own code,
    and leave none of it imported."""
    project = EVOLVING[0]
    snapshots = [api.snapshot_of(shim(project, version)) for version in project.versions[-2:]]
    assert api.diff(snapshots[0], snapshots[1]).changes
    leftover = [name for name in sys.modules if name.partition(".")[0] in project.own_modules]
    assert not leftover, f"modules of {project.name} left in sys.modules after loading: {leftover[:5]}"
