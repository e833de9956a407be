"""Load a codebase directory (``DB_*.py`` and ``BLL_*.py`` files) into plain model sets, in isolation.

**Loading executes the codebase's code**, as importing it would: load only code you trust.

Each ``DB_*.py`` and ``BLL_*.py`` file is imported with the directory first on ``sys.path``, so
the codebase's own imports (``from base import Base``, ``from DB_Auth import User``) resolve.
Afterwards ``sys.path`` and ``sys.modules`` are restored: the codebase's modules are removed,
modules it shadowed are put back, only newly imported third-party modules stay. Two versions of
one codebase therefore load side by side in one process without mixing classes. No bytecode is
written into the directory.

The result, a :class:`Codebase`, holds:

* the hand-written tables: every table of every declarative Base, ``registry`` or ``MetaData``
  reachable from a ``DB_*.py`` module's namespace (models re-exported from an installed package
  count), with their mapped classes and source file;
* the ``DatabaseMixin`` models defined in ``BLL_*.py`` files, each generated on a scratch
  ``DatabaseManager("sqlite://")`` the codebase owns (never the process's default manager);
* :class:`LoadProblem` s: a file that fails to import, two models for one table, a model whose
  generation fails, relationships that cannot be configured. The rest still loads.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import linecache
import re
import sys
import threading
import traceback
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapper
from sqlalchemy.orm import registry as OrmRegistry  # noqa: N812 - the class, not an instance
from sqlalchemy.orm.exc import UnmappedClassError

from dbkit.errors import DbkitError
from dbkit.manager import GENERATED_CLASSES_INFO, DatabaseManager
from dbkit.migrate.source.isolation import isolated_imports

HAND_WRITTEN_PATTERN = "DB_*.py"
GENERATED_PATTERN = "BLL_*.py"
SCRATCH_URL = "sqlite://"

Severity = Literal["error", "warning"]

#: Problem kinds the loader reports (the inventory adds its own warnings).
IMPORT_ERROR = "import_error"
DUPLICATE_TABLE = "duplicate_table"
GENERATION_ERROR = "generation_error"
MAPPER_ERROR = "mapper_error"

_load_lock = threading.Lock()


class CodebaseError(DbkitError):
    """The path given is not a codebase at all (nothing can be loaded from it)."""


class CodebaseLoadError(CodebaseError):
    """The codebase loaded with errors, so its schema is incomplete: commands that act on the
    schema (snapshot, diff, revision, check, parity) refuse it rather than act on part of it."""


@dataclass(frozen=True)
class LoadProblem:
    """Something in a model file that could not be loaded or looks wrong; loading went on."""

    #: The file, relative to the codebase directory (absolute or package-relative outside it).
    file: str
    #: 1-based line, when known.
    line: int | None
    cause: str
    kind: str = IMPORT_ERROR
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.cause}"

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "cause": self.cause,
        }


@dataclass(frozen=True)
class HandWrittenTable:
    """One table of the hand-written models, with the classes mapping it (none for a Core table)."""

    table: sa.Table
    #: Root mapped classes (subclasses of single-table inheritance excluded); usually one.
    classes: tuple[type, ...]
    file: str
    #: Line of the class statement (or of the ``Table(...)`` call), when known.
    line: int | None = None
    #: Where a Core table on a plain ``MetaData`` is held, as Python would reach it:
    #: ``DB_Core.users_table``, ``DB_Core.Model.builds`` (a class attribute),
    #: ``DB_Core.metadata.tables['audit_log']``. ``None`` for a mapped table, and for an
    #: association table on a declarative Base's metadata.
    holder: str | None = None

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def mapped_class(self) -> type | None:
        return self.classes[0] if self.classes else None

    @property
    def class_name(self) -> str | None:
        """The mapping class's name; for a Core table, where it is held (:attr:`holder`)."""
        return self.classes[0].__name__ if self.classes else self.holder

    @property
    def column_attributes(self) -> dict[str, str]:
        """Column name → attribute name on the mapped class (they differ in ``name = Column("nm")``)."""
        if not self.classes:
            return {column.name: column.key for column in self.table.columns}
        return column_attribute_names(sa.inspect(self.classes[0]), self.table)


def column_attribute_names(mapper: sa.orm.Mapper[Any], table: sa.Table) -> dict[str, str]:
    """Column name → the mapped attribute holding it, for ``table``'s columns (``name = Column("nm")``)."""
    # ``mapper.columns`` holds each column attribute's first column by attribute name; in joined
    # inheritance that is the subclass's own column, put first. Reading it, not every property's
    # column list, keeps parity from touching each property object of every mapper.
    found: dict[str, str] = {}
    column_type = sa.Column
    for key, column in mapper.columns.items():
        if isinstance(column, column_type) and column.table is table and column.name not in found:
            found[column.name] = key
    return found


@dataclass(frozen=True)
class GeneratedModel:
    """A ``DatabaseMixin`` model found in a ``BLL_*.py`` file, and the class generated from it."""

    model: type
    file: str
    table_name: str
    #: The SQLAlchemy class generated on the codebase's scratch manager; ``None`` if generation failed.
    generated: type | None
    #: Line of the model's class statement, when known.
    line: int | None = None

    @property
    def class_name(self) -> str:
        return self.model.__name__

    @property
    def table(self) -> sa.Table | None:
        return self.generated.__table__ if self.generated is not None else None  # type: ignore[attr-defined]


@dataclass
class Codebase:
    """What :func:`load_codebase` found in one directory. Plain data: nothing here touches a database."""

    path: Path
    #: Scratch manager owning the generated classes (an in-memory SQLite URL, never connected by loading).
    manager: DatabaseManager
    #: The imported ``DB_*``/``BLL_*`` modules by module name (kept alive; no longer in ``sys.modules``).
    modules: dict[str, ModuleType] = field(default_factory=dict)
    #: Hand-written tables by table name, sorted.
    hand_written: dict[str, HandWrittenTable] = field(default_factory=dict)
    #: BLL models by table name, sorted (including those whose generation failed).
    models: dict[str, GeneratedModel] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """The codebase's ``DB_*.py`` and ``BLL_*.py`` files, in load order."""
        return codebase_files(self.path)

    def generated_classes(self) -> dict[type, type]:
        """BLL model → generated SQLAlchemy class, for the models that generated."""
        return {m.model: m.generated for m in self.models.values() if m.generated is not None}

    def generated_tables(self) -> dict[str, sa.Table]:
        """Generated tables by name (only the codebase's own BLL models)."""
        return {name: m.table for name, m in self.models.items() if m.table is not None}

    def generated_metadata(self) -> sa.MetaData:
        """The scratch manager's ``MetaData``: every generated table (and any model they reference)."""
        return self.manager.metadata

    def hand_written_metadata(self) -> list[sa.MetaData]:
        """The distinct ``MetaData`` objects holding the hand-written tables, in table-name order."""
        found: dict[int, sa.MetaData] = {}
        for entry in self.hand_written.values():
            found.setdefault(id(entry.table.metadata), entry.table.metadata)
        return list(found.values())

    def hand_written_tables(self) -> dict[str, sa.Table]:
        return {name: entry.table for name, entry in self.hand_written.items()}

    def table_names(self) -> list[str]:
        """Every table name, hand-written or generated, sorted."""
        return sorted(set(self.hand_written) | {n for n, m in self.models.items() if m.generated is not None})

    @property
    def errors(self) -> list[LoadProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def raise_for_errors(self) -> None:
        """Raise :class:`CodebaseLoadError` naming the first error when any model file failed to load."""
        errors = self.errors
        if not errors:
            return
        more = (
            f" (and {len(errors) - 1} more: `dbkit inventory {self.path}` lists them)"
            if len(errors) > 1
            else ""
        )
        raise CodebaseLoadError(
            f"{self.path}/{str(errors[0]).rstrip('.')}{more}. Fix it; nothing was written."
        )

    def __repr__(self) -> str:
        return (
            f"Codebase({str(self.path)!r}: {len(self.hand_written)} hand-written tables, "
            f"{len(self.models)} BLL models, {len(self.problems)} problems)"
        )


def codebase_files(path: Path) -> list[Path]:
    """``DB_*.py`` files then ``BLL_*.py`` files, each group sorted by name (the load order)."""
    return [*sorted(path.glob(HAND_WRITTEN_PATTERN)), *sorted(path.glob(GENERATED_PATTERN))]


def load_codebase(path: str | Path) -> Codebase:
    """Import a codebase directory in isolation and collect its models (this runs the codebase's code).

    Raises :class:`CodebaseError` only when ``path`` is not a directory holding any ``DB_*.py`` or
    ``BLL_*.py`` file; everything else that goes wrong is a :class:`LoadProblem` in the result.
    """
    root = Path(path).resolve()
    if not root.is_dir():
        raise CodebaseError(
            f"{path}: not a directory. Give the directory holding the DB_*.py / BLL_*.py files."
        )
    files = codebase_files(root)
    if not files:
        raise CodebaseError(
            f"{path}: no {HAND_WRITTEN_PATTERN} or {GENERATED_PATTERN} files. A codebase directory holds "
            "hand-written SQLAlchemy models in DB_*.py files and/or DatabaseMixin models in BLL_*.py files."
        )
    with _load_lock:
        return _Loader(root, files).load()


class _Loader:
    """One load: imports, then collection while the modules are still importable, then cleanup."""

    def __init__(self, root: Path, files: list[Path]) -> None:
        self.root = root
        self.files = files
        self.codebase = Codebase(path=root, manager=DatabaseManager(SCRATCH_URL))
        #: id(Table) → file and line that created it during this load (Core tables have no class to ask).
        self.table_origin: dict[int, tuple[Path, int]] = {}
        #: Files inside the codebase whose modules imported successfully (set after the imports).
        self.loaded_files: set[Path] = set()

    def load(self) -> Codebase:
        # The scratch manager is the default (not merely active) during the load, so a base module's
        # ``DatabaseManager.set_default(DatabaseManager(base=Base))`` takes over, and is undone after.
        scratch_default = DatabaseManager.default_scope(self.codebase.manager)
        with isolated_imports(self.root), self._recording_table_origins(), scratch_default:
            for file in self.files:
                self._import(file)
            self._collect_hand_written()
            self._collect_models()
            self._generate_models()
        self.codebase.problems.sort(key=lambda p: (p.file, p.line or 0, p.kind, p.cause))
        return self.codebase

    # -- importing -----------------------------------------------------------------------------
    def _import(self, file: Path) -> None:
        try:
            module = importlib.import_module(file.stem)
        except (Exception, SystemExit) as exc:  # any failure in the codebase's code is reported, never raised
            self.codebase.problems.append(self._import_problem(file, exc))
            return
        if Path(getattr(module, "__file__", "") or "").resolve() != file:
            self.codebase.problems.append(
                LoadProblem(
                    self.display(file),
                    None,
                    f"importing {file.stem!r} found {getattr(module, '__file__', module)!r} instead of this file: "
                    "rename the file so its module name is not taken by a built-in module.",
                )
            )
            return
        self.codebase.modules[module.__name__] = module

    def _import_problem(self, file: Path, exc: BaseException) -> LoadProblem:
        frames = [
            (Path(frame.f_code.co_filename), line) for frame, line in traceback.walk_tb(exc.__traceback__)
        ]
        own = [line for path, line in frames if path == file]
        origin = self._origin(exc, frames)
        line = own[-1] if own else (origin[1] if origin and origin[0] == file else None)
        cause = f"{type(exc).__name__}: {_message(exc)}"
        if origin and origin[0] != file:
            cause += f" (raised in {self.display(origin[0])} line {origin[1]})"
        duplicate = _DUPLICATE_TABLE_MESSAGE.search(cause)
        if duplicate and line:
            cause = self._explain_duplicate_table(file, line, duplicate.group(1), cause)
        return LoadProblem(self.display(file), line, cause, IMPORT_ERROR)

    def _origin(self, exc: BaseException, frames: list[tuple[Path, int]]) -> tuple[Path, int] | None:
        """The innermost location inside the codebase directory where ``exc`` arose."""
        if isinstance(exc, SyntaxError) and exc.filename:
            return Path(exc.filename).resolve(), exc.lineno or 0
        inside = [(path, line) for path, line in frames if self.inside(path)]
        return inside[-1] if inside else None

    def _explain_duplicate_table(self, file: Path, line: int, table: str, cause: str) -> str:
        """SQLAlchemy names the table only: name the class that failed and the one already there."""
        linecache.checkcache(str(file))
        source = linecache.getline(str(file), line)
        new_class = re.match(r"\s*class\s+(\w+)", source)
        own_modules = [m for m in list(sys.modules.values()) if self.inside(_module_file(m) or Path("/"))]
        existing = [m.class_ for m in _mappers_of_table_name(own_modules, table)]
        first = (
            ", ".join(f"class {c.__name__} in {self.display_module(c)}" for c in existing) or "another model"
        )
        second = f"class {new_class.group(1)}" if new_class else "this model"
        return (
            f"two models for table {table!r}: {second} (line {line}) and {first}. "
            f"Give {second} another __tablename__, or remove one of them. ({cause})"
        )

    @contextmanager
    def _recording_table_origins(self) -> Iterator[None]:
        def record(table: sa.Table, _metadata: Any) -> None:
            frame = sys._getframe(1)
            while frame is not None:
                path = Path(frame.f_code.co_filename)
                if self.inside(path):
                    self.table_origin[id(table)] = (path, frame.f_lineno)
                    return
                frame = frame.f_back  # type: ignore[assignment]

        event.listen(sa.Table, "after_parent_attach", record)
        try:
            yield
        finally:
            event.remove(sa.Table, "after_parent_attach", record)

    # -- hand-written tables -------------------------------------------------------------------
    def _collect_hand_written(self) -> None:
        self.loaded_files = {
            path
            for module in list(sys.modules.values())
            if (path := _module_file(module)) is not None and self.inside(path)
        }
        roots = _SchemaRoots(self)
        for module_name in sorted(self.codebase.modules):
            if module_name.startswith("DB_"):
                roots.scan(self.codebase.modules[module_name])
        classes_by_table = self._classes_by_table(roots.registries)
        seen: dict[str, HandWrittenTable] = {}
        for metadata in roots.metadatas:
            for name in sorted(metadata.tables):
                table = metadata.tables[name]
                entry = self._hand_written_entry(table, classes_by_table.get(table, []), roots)
                if entry is None:
                    continue
                if name in seen:
                    self._report_duplicate_hand_written(seen[name], entry)
                    continue
                seen[name] = entry
        for registry in roots.registries:
            self._configure(registry)
        self.codebase.hand_written = dict(sorted(seen.items()))

    def _classes_by_table(self, registries: list[OrmRegistry]) -> dict[sa.Table, list[type]]:
        """Root mapped classes per table, skipping generated classes and classes of failed files."""
        grouped: dict[sa.Table, list[type]] = {}
        for registry in registries:
            for mapper in sorted(_mappers(registry), key=_mapper_sort_key):
                cls = mapper.class_
                if getattr(cls, "__dbkit_model__", None) is not None or cls.__module__ not in sys.modules:
                    continue
                table = mapper.local_table
                if not isinstance(table, sa.Table):
                    continue
                inherits = mapper.inherits
                if inherits is not None and inherits.local_table is table:
                    continue  # single-table inheritance: the parent class stands for the table
                grouped.setdefault(table, []).append(cls)
        return grouped

    def _hand_written_entry(
        self, table: sa.Table, classes: list[type], roots: _SchemaRoots
    ) -> HandWrittenTable | None:
        origin = self.table_origin.get(id(table))
        if origin is not None and origin[0] not in self.loaded_files:
            return None  # created by a file that failed to import: that file is reported already
        if not classes and self._mapped_only_by_skipped_classes(table, roots):
            return None
        if len(classes) > 1:
            names = " and ".join(f"class {c.__name__} ({self.display_module(c)})" for c in classes)
            self.codebase.problems.append(
                LoadProblem(
                    self.display_module(classes[1]),
                    class_line(classes[1]),
                    f"two models for table {table.name!r}: {names}. Map the table once; the first is used.",
                    DUPLICATE_TABLE,
                )
            )
        if classes:
            file, line = self.display_module(classes[0]), class_line(classes[0])
        elif origin:
            file, line = self.display(origin[0]), origin[1]
        else:
            file, line = roots.holder_file(table), None
        holder = None
        if not classes and all(registry.metadata is not table.metadata for registry in roots.registries):
            # a Core table on a plain MetaData; an association table on a declarative Base's
            # metadata stays class-less (``class: null``, the inventory's JSON contract)
            holder = roots.holder_name(table, origin[0] if origin else None)
        return HandWrittenTable(table=table, classes=tuple(classes), file=file, line=line, holder=holder)

    def _mapped_only_by_skipped_classes(self, table: sa.Table, roots: _SchemaRoots) -> bool:
        """A table whose mapped classes are all generated (or from failed files) is not hand-written;
        nor is a switched Core table (``books = BookModel.DB.__table__``, on the application's MetaData
        adopted with ``DatabaseManager(metadata=...)``: its generated class's registry is dbkit's)."""
        generated = table.metadata.info.get(GENERATED_CLASSES_INFO, {}).get(table.key)
        if generated is not None and getattr(generated, "__table__", None) is table:
            return True
        for registry in roots.registries:
            for mapper in _mappers(registry):
                if mapper.local_table is table:
                    return True
        return False

    def _report_duplicate_hand_written(self, first: HandWrittenTable, second: HandWrittenTable) -> None:
        def label(entry: HandWrittenTable) -> str:
            if entry.classes:
                return f"class {entry.class_name} ({entry.file})"
            return f"Table {entry.holder} ({entry.file})" if entry.holder else f"a Table in {entry.file}"

        self.codebase.problems.append(
            LoadProblem(
                second.file,
                second.line,
                f"two models for table {first.name!r} on different declarative bases: {label(first)} and "
                f"{label(second)}. Rename one table or remove one model; the first is used.",
                DUPLICATE_TABLE,
            )
        )

    def _configure(self, registry: OrmRegistry) -> None:
        """Resolve relationships and backrefs now, reporting what cannot be resolved."""
        try:
            with warnings.catch_warnings():
                # SQLAlchemy's deprecation warnings about the codebase's own types are the codebase's
                # (prefect's UUID type): shown, never an error raised from dbkit's call
                warnings.simplefilter("default")
                registry.configure(cascade=True)
        except Exception as exc:
            message = _message(exc)
            match = re.search(r"Mapper\[(\w+)\(", message)
            culprit = next(
                (m.class_ for m in _mappers(registry) if match and m.class_.__name__ == match.group(1)), None
            )
            file = self.display_module(culprit) if culprit else "?"
            line = class_line(culprit) if culprit else None
            self.codebase.problems.append(
                LoadProblem(
                    file,
                    line,
                    f"relationships cannot be configured: {type(exc).__name__}: {message}",
                    MAPPER_ERROR,
                )
            )

    # -- BLL models ----------------------------------------------------------------------------
    def _collect_models(self) -> None:
        model_modules = sorted(name for name in self.codebase.modules if name.startswith("BLL_"))
        if not model_modules:
            return  # hand-written only: the generator (and Pydantic, 0.1 s to import) is never needed
        from dbkit.generate.builder import is_database_model, table_name_of

        found: dict[str, GeneratedModel] = {}
        for module_name in model_modules:
            module = self.codebase.modules[module_name]
            for value in list(vars(module).values()):
                if not is_database_model(value) or value.__module__ != module_name:
                    continue
                model = GeneratedModel(
                    value, self.display_module(value), table_name_of(value), None, class_line(value)
                )
                previous = found.get(model.table_name)
                if previous is None:
                    found[model.table_name] = model
                elif previous.model is not value:
                    self._report_duplicate_model(previous, model)
        self.codebase.models = dict(sorted(found.items()))

    def _report_duplicate_model(self, first: GeneratedModel, second: GeneratedModel) -> None:
        self.codebase.problems.append(
            LoadProblem(
                second.file,
                second.line,
                f"two models for table {second.table_name!r}: {first.class_name} ({first.file}) and "
                f"{second.class_name} ({second.file}). Set table_name on one of them; {first.class_name} is used.",
                DUPLICATE_TABLE,
            )
        )

    def _generate_models(self) -> None:
        """Generate every model on the scratch manager; a failure excludes that model and is retried
        without it on a fresh manager, so one broken model never leaves a half-configured registry.
        (Classes a BLL file generated at import time, ``User = UserModel.DB``, stay on the first one.)"""
        if not self.codebase.models:
            return
        excluded: dict[type, str] = {}
        while True:
            failure = self._generate_all(excluded)
            if failure is None:
                return
            model, cause = failure
            excluded[model] = cause
            entry = next(m for m in self.codebase.models.values() if m.model is model)
            self.codebase.problems.append(
                LoadProblem(
                    entry.file,
                    entry.line,
                    cause,
                    GENERATION_ERROR,
                )
            )
            self.codebase.manager = DatabaseManager(SCRATCH_URL)

    def _generate_all(self, excluded: dict[type, str]) -> tuple[type, str] | None:
        from dbkit.generate.builder import generator_for
        from dbkit.generate.ordering import generation_order, reference_targets

        entries = {m.model: m for m in self.codebase.models.values()}
        order = generation_order(m for m in entries if m not in excluded)
        generator = generator_for(self.codebase.manager)
        generated: dict[type, type] = {}
        for model in order:
            if model in excluded or model not in entries:
                continue  # models outside the codebase are generated as reference targets
            broken = [t for t in reference_targets(model) if t in excluded]
            if broken:
                return model, (
                    f"{model.__name__} references {broken[0].__name__}, which cannot be generated: "
                    f"fix {broken[0].__name__} first."
                )
            try:
                generated[model] = generator.generate(model)
            except Exception as exc:
                return model, _generation_cause(model, exc)
        for name, entry in self.codebase.models.items():
            self.codebase.models[name] = dataclasses.replace(entry, generated=generated.get(entry.model))
        return None

    # -- paths ---------------------------------------------------------------------------------
    def inside(self, path: Path) -> bool:
        return path.is_relative_to(self.root)

    def display(self, path: Path) -> str:
        return display_path(path, self.root)

    def display_module(self, cls: type) -> str:
        file = _module_file(cls)
        return self.display(file) if file else cls.__module__


class _SchemaRoots:
    """Declarative registries and ``MetaData`` reachable from module namespaces, deduplicated by identity."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.registries: list[OrmRegistry] = []
        self.metadatas: list[sa.MetaData] = []
        self._holders: dict[int, str] = {}
        #: Python paths reaching each Table and MetaData, with the file of the module holding them.
        self._paths: dict[int, list[tuple[Path | None, str]]] = {}
        #: The scratch manager's generated tables are never hand-written.
        self._excluded_metadata = {id(loader.codebase.manager.metadata)}

    def scan(self, module: ModuleType, depth: int = 0) -> None:
        module_file = _module_file(module)
        label = module_file.stem if module_file is not None else module.__name__.rpartition(".")[2]
        for attribute, value in list(vars(module).items()):
            if isinstance(value, ModuleType):
                if (
                    depth == 0
                    and self.loader.inside(_module_file(value) or Path("/"))
                    and value is not module
                ):
                    self.scan(value, depth + 1)
                continue
            if isinstance(value, sa.Table):
                self._holders.setdefault(
                    id(value), self.loader.display(_module_file(module) or Path(module.__name__))
                )
            self._record_paths(value, f"{label}.{attribute}", module_file, module.__name__)
            self._add(value)

    def _record_paths(
        self, value: Any, path: str, file: Path | None, module_name: str, depth: int = 0
    ) -> None:
        """Remember ``path`` for a Table or MetaData, and for those a class defined here holds."""
        if isinstance(value, (sa.Table, sa.MetaData)):
            self._paths.setdefault(id(value), []).append((file, path))
        elif isinstance(value, type) and depth < 2 and (depth == 0 or value.__module__ == module_name):
            # a class defined here, or imported here from where the tables live (``from buildbot.db.model
            # import Model``: its Core tables are ``DB_Buildbot.Model.builds``)
            for attribute, held in list(vars(value).items()):
                if not attribute.startswith("__"):  # a mapped class's ``__table__`` is named by its class
                    self._record_paths(held, f"{path}.{attribute}", file, module_name, depth + 1)

    def holder_file(self, table: sa.Table) -> str:
        return self._holders.get(id(table), "?")

    def holder_name(self, table: sa.Table, defined_in: Path | None) -> str | None:
        """Where a Core table is held, preferring the module that defines it over one importing it:
        ``DB_Core.users_table``, ``DB_Core.Model.builds``; a table no name holds is reached through its
        ``MetaData`` (``DB_Core.metadata.tables['audit_log']``)."""
        for key, suffix in ((id(table), ""), (id(table.metadata), f".tables[{table.name!r}]")):
            paths = self._paths.get(key, [])
            for file, path in paths:
                if defined_in is not None and file == defined_in:
                    return path + suffix
            if paths:
                return paths[0][1] + suffix
        return None

    def _add(self, value: Any) -> None:
        registry, metadata = _schema_root_of(value)
        if registry is not None and all(r is not registry for r in self.registries):
            self.registries.append(registry)
            for mapper in _mappers(registry):  # a class may map a Table of another MetaData
                if isinstance(mapper.local_table, sa.Table):
                    self._add_metadata(mapper.local_table.metadata)
        if metadata is not None:
            self._add_metadata(metadata)

    def _add_metadata(self, metadata: sa.MetaData) -> None:
        if id(metadata) not in self._excluded_metadata and all(m is not metadata for m in self.metadatas):
            self.metadatas.append(metadata)


def _schema_root_of(value: Any) -> tuple[OrmRegistry | None, sa.MetaData | None]:
    """The declarative registry and ``MetaData`` a namespace value leads to, if any."""
    if isinstance(value, sa.MetaData):
        return None, value
    if isinstance(value, sa.Table):
        return None, value.metadata
    if isinstance(value, OrmRegistry):
        return value, value.metadata
    if not isinstance(value, type):
        return None, None
    mapper = sa.inspect(value, raiseerr=False)
    if isinstance(mapper, Mapper):
        return mapper.registry, mapper.registry.metadata
    registry = value.__dict__.get("registry") or _safe_getattr(value, "registry")
    if isinstance(registry, OrmRegistry):  # a declarative Base (DeclarativeBase or declarative_base())
        return registry, registry.metadata
    return None, _class_held_metadata(value)


def _class_held_metadata(cls: type) -> sa.MetaData | None:
    """Core tables kept on a plain class (``class Model: metadata = sa.MetaData(); users = sa.Table(...)``)."""
    for value in list(vars(cls).values()):
        if isinstance(value, sa.MetaData):
            return value
        if isinstance(value, sa.Table):
            return value.metadata
    return None


def _safe_getattr(value: Any, name: str) -> Any:
    try:
        return getattr(value, name, None)
    except Exception:  # arbitrary descriptors in user code
        return None


def _mappers_of_table_name(modules: Iterable[ModuleType], table: str) -> list[Mapper[Any]]:
    found: list[Mapper[Any]] = []
    for module in modules:
        for value in vars(module).values():
            registry, _ = _schema_root_of(value)
            for mapper in _mappers(registry) if registry is not None else ():
                if getattr(mapper.local_table, "name", None) == table and mapper not in found:
                    found.append(mapper)
    return found


def _mappers(registry: OrmRegistry) -> list[Mapper[Any]]:
    """A registry's mappers, skipping a class whose mapping raised half-way (it has no mapper, and
    ``registry.mappers`` itself would raise ``UnmappedClassError``)."""
    try:
        return list(registry.mappers)
    except UnmappedClassError:
        found = []
        for manager in list(registry._managers):  # no public accessor tolerates the broken class
            try:
                found.append(manager.mapper)
            except UnmappedClassError:
                continue
        return found


def _mapper_sort_key(mapper: Mapper[Any]) -> tuple[str, str]:
    return mapper.class_.__module__, mapper.class_.__qualname__


def _generation_cause(model: type, exc: BaseException) -> str:
    """The error naming the model and, when it can be found, the field."""
    message = f"{type(exc).__name__}: {_message(exc)}"
    if f"{model.__name__}." in message:
        return f"cannot generate {model.__name__}: {message}"
    field_name = _failing_field(model)
    where = f"{model.__name__}.{field_name}" if field_name else model.__name__
    return f"cannot generate {where}: {message}"


def _failing_field(model: type) -> str | None:
    """The first field whose column cannot be built, tried on a throwaway generator."""
    from dbkit.generate.builder import ModelGenerator, table_name_of

    generator = ModelGenerator(DatabaseManager(SCRATCH_URL))
    table = table_name_of(model)
    for name, field_info in model.model_fields.items():
        try:
            generator.column_for(model, table, name, field_info)
        except Exception:
            return name
    return None


_DUPLICATE_TABLE_MESSAGE = re.compile(r"Table '([^']+)' is already defined for this MetaData instance")


def _message(exc: BaseException) -> str:
    """An exception's message on one line, without SQLAlchemy's background link."""
    text = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    text = re.sub(r"\s*\(Background on this error at: [^)]*\)", "", text)
    return " ".join(text.split()) or type(exc).__name__


def _module_file(obj: Any) -> Path | None:
    module = obj if isinstance(obj, ModuleType) else sys.modules.get(getattr(obj, "__module__", "") or "")
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


def display_path(path: Path | None, root: Path) -> str:
    """``path`` relative to the codebase, else to the ``sys.path`` entry it was imported from."""
    if path is None:
        return "?"
    path = Path(path)
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    for entry in sorted((Path(p).resolve() for p in sys.path if p), key=lambda p: -len(p.parts)):
        if path.is_relative_to(entry):
            return path.relative_to(entry).as_posix()
    return path.as_posix()


_CLASS_STATEMENT = re.compile(r"[ \t]*class[ \t]+(\w+)")


@functools.lru_cache(maxsize=256)
def _class_lines(file: Path, mtime: float) -> dict[str, int]:
    """Class name → line of its first ``class`` statement (a scan, not a parse: the file may not parse)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return {}
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _CLASS_STATEMENT.match(line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def _class_line(file: Path | None, class_name: str | None) -> int | None:
    """The line of ``class <class_name>`` in ``file`` (first definition), for problem locations."""
    if file is None or class_name is None or not file.exists():
        return None
    return _class_lines(file, file.stat().st_mtime).get(class_name)


def class_line(cls: type) -> int | None:
    """Line of a class's definition in its module's file (while the module is importable)."""
    return _class_line(_module_file(cls), cls.__name__)
