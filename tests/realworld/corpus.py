"""The real-world corpus: read ``corpus.toml``, install each pinned version into its own cached
target directory, and write the ``DB_<Project>.py`` shim that makes it a dbkit codebase.

Installs never touch the test environment: ``pip install --no-deps --target`` into a directory
outside the repository (``DBKIT_CORPUS_CACHE``, default ``~/.cache/dbkit-realworld``), reused
between runs and keyed by a hash of the pins, so changing a pin installs afresh. The shim puts that
directory first on ``sys.path`` while dbkit loads it; dbkit's loader takes it off again and forgets
every module imported from it, so two versions of one project load side by side.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.schema.snapshot import Snapshot
from dbkit.migrate.source.inventory import Inventory, inventory

CORPUS_FILE = Path(__file__).with_name("corpus.toml")

#: Packages of the test environment that a target must never shadow (dbkit and its stack).
NEVER_SHADOWED = frozenset(
    {"sqlalchemy", "alembic", "pydantic", "pydantic_core", "dbkit", "pandas", "numpy", "pytest", "_pytest"}
)


class CorpusError(Exception):
    """The corpus file or an install is wrong: the message says which project and what to change."""


@dataclass(frozen=True)
class Project:
    name: str
    package: str
    versions: tuple[str, ...]
    models: tuple[str, ...]
    extra_packages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    backfills: dict[str, str] = field(default_factory=dict)
    #: Environment variables the import needs; ``{codebase}`` is the shim's directory.
    environment: dict[str, str] = field(default_factory=dict)
    notes: str = ""

    @property
    def evolves(self) -> bool:
        return len(self.versions) >= 2

    @property
    def shim_name(self) -> str:
        """``DB_<Project>``: the codebase's one hand-written model file."""
        return "DB_" + "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", self.name) if part)

    def specs(self, version: str) -> tuple[str, ...]:
        return (f"{self.package}=={version}", *self.extra_packages.get(version, ()))

    @property
    def own_modules(self) -> tuple[str, ...]:
        """Top-level packages of the model modules: forgotten before each version is imported."""
        return tuple(sorted({module.partition(".")[0] for module in self.models}))


def load_corpus(path: Path = CORPUS_FILE) -> list[Project]:
    data = tomllib.loads(path.read_text())
    projects = [_project(entry, path) for entry in data.get("project", [])]
    names = [p.name for p in projects]
    if len(set(names)) != len(names):
        raise CorpusError(f"{path}: project names repeat: {sorted(names)}")
    return projects


def _project(entry: dict, path: Path) -> Project:
    missing = {"name", "package", "versions", "models"} - entry.keys()
    if missing:
        raise CorpusError(f"{path}: project {entry.get('name', '?')!r} lacks {sorted(missing)}")
    versions = tuple(entry["versions"])
    extra = entry.get("extra_packages", [])
    if isinstance(extra, list):
        per_version = {version: tuple(extra) for version in versions}
    else:
        unknown = set(extra) - set(versions)
        if unknown:
            raise CorpusError(
                f"{path}: project {entry['name']!r}: extra_packages for unknown versions {unknown}"
            )
        per_version = {version: tuple(extra.get(version, ())) for version in versions}
    return Project(
        name=entry["name"],
        package=entry["package"],
        versions=versions,
        models=tuple(entry["models"]),
        extra_packages=per_version,
        backfills=dict(entry.get("backfills", {})),
        environment=dict(entry.get("environment", {})),
        notes=entry.get("notes", ""),
    )


def cache_root() -> Path:
    return Path(os.environ.get("DBKIT_CORPUS_CACHE") or Path.home() / ".cache" / "dbkit-realworld")


def target_dir(project: Project, version: str) -> Path:
    layout = "own+deps"  # a change of the directory layout installs afresh
    digest = hashlib.sha256("\n".join((layout, *project.specs(version))).encode()).hexdigest()[:10]
    return cache_root() / f"{project.package}-{version}-{digest}"


def install(project: Project, version: str) -> Path:
    """The version's target directory, installed once (atomically: a half install is never reused)."""
    target = target_dir(project, version)
    if (target / ".installed").is_file():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--no-compile", "--target", str(partial), *project.specs(version),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise CorpusError(f"{project.name} {version}: pip install failed:\n{done.stderr[-2000:]}")
    shadowing = NEVER_SHADOWED & {path.name.lower() for path in partial.iterdir()}
    if shadowing:
        raise CorpusError(
            f"{project.name} {version}: the install holds {sorted(shadowing)}, which dbkit itself runs on; "
            "remove what pulls it in from extra_packages in corpus.toml."
        )
    _split_own_from_dependencies(project, version, partial)
    (partial / ".installed").write_text("\n".join(project.specs(version)) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def _split_own_from_dependencies(project: Project, version: str, directory: Path) -> None:
    """``own/``: the project's packages, first on ``sys.path`` (this version's code, whatever else is
    installed); ``deps/``: its extra packages, last (the test environment's copy of a package, e.g.
    attrs or psutil, wins over a pinned one, so the environment is never shadowed)."""
    own, deps = directory / "own", directory / "deps"
    entries = [path for path in directory.iterdir()]
    own.mkdir()
    deps.mkdir()
    for path in entries:
        top = path.name.removesuffix(".py")
        destination = own if top in project.own_modules else deps
        path.rename(destination / path.name)
    missing = [name for name in project.own_modules if not any(own.glob(f"{name}*"))]
    if missing:
        raise CorpusError(
            f"{project.name} {version}: {project.package} installed no top-level {missing}; check `models`."
        )


SHIM_TEMPLATE = '''\
"""{project} {version} as a dbkit codebase (written by tests/realworld; do not edit).

Puts the pinned install first on sys.path and imports the project's model modules. A copy of the
project imported earlier (another version) is forgotten first, so this version's code is loaded.
"""

import importlib
import os
import sys

{environment}_TARGET = {target!r}
for _name in [n for n in sys.modules if n.partition(".")[0] in {own!r}]:
    del sys.modules[_name]
sys.path.insert(0, _TARGET + "/own")  # the project's code first
sys.path.append(_TARGET + "/deps")  # its pinned dependencies after the environment's

{imports}

# Everything the model modules define is the codebase's namespace, as `from module import *` would
# make it if the modules listed every name in __all__ (dbkit finds the schema from there).
for _module in [{aliases}]:
    globals().update(
        (name, value) for name, value in vars(_module).items() if not name.startswith("__")
    )
'''


def write_shim(project: Project, version: str, directory: Path) -> Path:
    """A codebase directory holding only the shim: the project's hand-written models, as they are."""
    target = install(project, version)
    directory.mkdir(parents=True, exist_ok=True)
    imports = "\n".join(
        f"{_alias(module)} = importlib.import_module({module!r})" for module in project.models
    )
    shim = directory / f"{project.shim_name}.py"
    shim.write_text(
        SHIM_TEMPLATE.format(
            project=project.name,
            version=version,
            target=str(target),
            own=tuple(project.own_modules),
            imports=imports,
            aliases=", ".join(_alias(module) for module in project.models),
            environment="".join(
                f"os.environ.setdefault({name!r}, {value.format(codebase=directory)!r})\n"
                for name, value in sorted(project.environment.items())
            ),
        )
    )
    return directory


def _alias(module: str) -> str:
    return "models_" + re.sub(r"\W+", "_", module)


@dataclass(frozen=True)
class LoadedVersion:
    """What the stages need of one version, from one load of its codebase (a load runs the
    project's imports: galaxy's take seconds)."""

    codebase: Path
    inventory: Inventory
    snapshot: Snapshot | None
    snapshot_error: str | None
    #: The project's own tables, copied onto one MetaData: what Alembic's compare_metadata is given.
    metadata: sa.MetaData
    association_tables: frozenset[str]


def load_version(codebase: Path) -> LoadedVersion:
    loaded = api.load(codebase)
    snapshot, error = None, "; ".join(str(problem) for problem in loaded.errors) or None
    if not loaded.errors:
        try:
            snapshot = api.codebase_snapshot(loaded)
        except Exception as exc:  # reported by the snapshot stage, with the table dbkit names
            error = f"{type(exc).__name__}: {exc}"
    metadata = sa.MetaData()
    for entry in loaded.hand_written.values():
        entry.table.to_metadata(metadata)
    return LoadedVersion(
        codebase=codebase,
        inventory=inventory(loaded),
        snapshot=snapshot,
        snapshot_error=error,
        metadata=metadata,
        association_tables=frozenset(_association_tables(loaded)),
    )


def _association_tables(loaded: Any) -> set[str]:
    return {
        relationship.secondary.name
        for entry in loaded.hand_written.values()
        for cls in entry.classes
        for relationship in sa.inspect(cls).relationships
        if relationship.secondary is not None
    }
