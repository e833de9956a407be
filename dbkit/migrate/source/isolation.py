"""Loading a codebase runs its code in this process (the CLI's, or the user's Jupyter kernel): what
that code changes in the process is undone when the load ends, so a second load, another codebase
or the rest of a notebook sees the process as it was.

Undone: ``sys.path`` and the modules imported from the codebase or from directories it put on the
path (so the next load imports them afresh, another version included), import machinery it
installed, and the process-wide hooks real projects set at import time (``print``,
``sys.excepthook``, the root logger, the logger class, warning filters, environment variables).
The real-world corpus (tests/realworld) found each of these in a published project.
"""

from __future__ import annotations

import builtins
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy.orm import registry as OrmRegistry  # noqa: N812 - the class, not an instance


@contextmanager
def isolated_imports(root: Path) -> Iterator[None]:
    """``root`` first on ``sys.path`` with no shadowing modules; everything restored afterwards."""
    _SharedRegistries.release_earlier_loads()
    shared = _SharedRegistries.save()
    imports = _ImportState.save(root)
    process = _ProcessState.save()
    sys.path.insert(0, str(root))
    sys.dont_write_bytecode = True  # never write __pycache__ into the codebase
    importlib.invalidate_caches()
    try:
        yield
    finally:
        process.restore()
        imports.restore()
        shared.remember_additions()


@dataclass
class _ImportState:
    root: Path
    path: list[str]
    meta_path: list[Any]
    path_hooks: list[Any]
    #: The importlib_metadata backport deletes the standard PathFinder's ``find_distributions``,
    #: which blinds ``importlib.metadata`` for the rest of the process (a driver's version lookup).
    finders: dict[type, Any]
    modules: dict[str, Any]
    dont_write_bytecode: bool
    own_names: set[str] = field(default_factory=set)

    @classmethod
    def save(cls, root: Path) -> _ImportState:
        state = cls(
            root=root,
            path=list(sys.path),
            meta_path=list(sys.meta_path),
            path_hooks=list(sys.path_hooks),
            finders={
                finder: vars(finder)["find_distributions"]
                for finder in sys.meta_path
                if isinstance(finder, type) and "find_distributions" in vars(finder)
            },
            modules=dict(sys.modules),
            dont_write_bytecode=sys.dont_write_bytecode,
            own_names=_top_level_names(root),
        )
        for name in list(sys.modules):
            if name.partition(".")[0] in state.own_names:
                del sys.modules[
                    name
                ]  # a same-named module from elsewhere must not answer the codebase's imports
        return state

    def restore(self) -> None:
        # Directories the codebase put on sys.path (a vendored tree, a pinned install) are its own;
        # one inside the environment's site-packages belongs to a library that stays imported
        # (setuptools adds its _vendor directory, which distutils needs later): it stays.
        added = [entry for entry in sys.path if entry and entry not in self.path]
        libraries = [entry for entry in added if _inside_environment(entry)]
        added = [entry for entry in added if entry not in libraries]
        roots = [self.root, *(Path(entry).resolve() for entry in added)]
        sys.path[:] = [*self.path, *libraries]
        sys.meta_path[:] = self.meta_path  # finders its imports installed (importlib_metadata's, six's)
        sys.path_hooks[:] = self.path_hooks
        for finder, method in self.finders.items():
            if vars(finder).get("find_distributions") is not method:
                finder.find_distributions = method
        sys.dont_write_bytecode = self.dont_write_bytecode
        for entry in (str(self.root), *added):
            sys.path_importer_cache.pop(entry, None)
        forgotten = self._forget_modules(roots)
        _forget_pydantic_v1_validators(forgotten)
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module

    def _forget_modules(self, roots: list[Path]) -> list[str]:
        # Decide first, then forget: a namespace package recomputes its path from its parent's.
        forgotten = [
            name
            for name, module in list(sys.modules.items())
            if name not in self.modules
            and any(_belongs_to(module, path, self.own_names, name) for path in roots)
        ]
        # A synthetic submodule (``zipp.compat.overlay.zipfile``) goes with its forgotten package.
        packages = {name.partition(".")[0] for name in forgotten}
        forgotten += [
            name
            for name in list(sys.modules)
            if name not in self.modules and name not in forgotten and name.partition(".")[0] in packages
        ]
        for name in forgotten:
            del sys.modules[name]
        return forgotten


@dataclass
class _SharedRegistries:
    """Declarative registries that exist before a load and that the codebase maps classes into: a
    library's own (SQLModel's default registry and ``SQLModel.metadata``), not the codebase's.

    Their additions outlive the forgotten modules, so loading the codebase again (a re-run notebook
    cell, the next version of it) would define each table twice. The classes stay mapped while the
    load's result is in use, and are released when the next load starts."""

    managers: dict[Any, set[Any]]
    tables: dict[Any, set[str]]

    #: (registry, managers, tables) that earlier loads added to registries they did not create.
    _left: ClassVar[list[tuple[Any, list[Any], list[Any]]]] = []

    @classmethod
    def save(cls) -> _SharedRegistries:
        registries = list(_all_registries())
        return cls(
            managers={registry: set(registry._managers) for registry in registries},
            tables={registry: set(registry.metadata.tables) for registry in registries},
        )

    def remember_additions(self) -> None:
        """After the codebase's modules are forgotten: what it added to registries that stay
        reachable from a module still imported (a library's, like SQLModel's). The codebase's own
        Base and dbkit's scratch registry are reachable from no module: left alone."""
        additions = {}
        for registry in list(_all_registries()):
            managers = self.managers.get(registry, set())
            known = self.tables.get(registry, set())
            added_managers = [m for m in list(registry._managers) if m not in managers]
            added_tables = [t for name, t in list(registry.metadata.tables.items()) if name not in known]
            if added_managers or added_tables:
                additions[registry] = (added_managers, added_tables)
        for registry in _held_by_imported_modules(additions):
            _SharedRegistries._left.append((registry, *additions[registry]))

    @classmethod
    def release_earlier_loads(cls) -> None:
        while cls._left:
            registry, managers, tables = cls._left.pop()
            for manager in managers:
                registry._managers.pop(manager, None)
                registry._dispose_manager_and_mapper(manager)
            for table in tables:
                if registry.metadata.tables.get(table.key) is table:
                    registry.metadata.remove(table)


def _held_by_imported_modules(candidates: dict[Any, Any]) -> list[Any]:
    """The registries among ``candidates`` that a module in ``sys.modules`` holds, directly or as a
    declarative base's ``registry``."""
    if not candidates:
        return []
    found: list[Any] = []
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not namespace:
            continue
        for value in list(namespace.values()):
            registry = value if isinstance(value, OrmRegistry) else _registry_attribute(value)
            if isinstance(registry, OrmRegistry) and registry in candidates and registry not in found:
                found.append(registry)
                if len(found) == len(candidates):
                    return found
    return found


def _registry_attribute(value: Any) -> Any:
    if not isinstance(value, type):
        return None
    try:
        return value.__dict__.get("registry") or value.__dict__.get("_sa_registry")
    except Exception:  # arbitrary descriptors in library code
        return None


def _all_registries() -> Iterator[Any]:
    from sqlalchemy.orm import mapperlib

    yield from list(mapperlib._mapper_registries)


@dataclass
class _ProcessState:
    """Process-wide hooks a project may set when imported (zenml replaces ``print`` and
    ``sys.excepthook`` and configures the root logger; galaxy sets the logger class)."""

    print: Any
    excepthook: Any
    logger_class: type[logging.Logger]
    root_handlers: list[logging.Handler]
    root_level: int
    warning_filters: list[Any]
    environ: dict[str, str]
    stdout_write: Any
    stderr_write: Any
    metrics: tuple[dict[Any, Any], dict[Any, Any]] | None
    compilers: dict[type, tuple[Any, Any, dict[str, Any] | None]]

    @classmethod
    def save(cls) -> _ProcessState:
        root = logging.getLogger()
        return cls(
            print=builtins.print,
            excepthook=sys.excepthook,
            logger_class=logging.getLoggerClass(),
            root_handlers=list(root.handlers),
            root_level=root.level,
            warning_filters=list(warnings.filters),
            environ=dict(os.environ),
            stdout_write=vars(sys.stdout).get("write") if hasattr(sys.stdout, "__dict__") else None,
            stderr_write=vars(sys.stderr).get("write") if hasattr(sys.stderr, "__dict__") else None,
            metrics=_prometheus_registry_state(),
            compilers=_sqlalchemy_compilers(),
        )

    def restore(self) -> None:
        builtins.print = self.print
        sys.excepthook = self.excepthook
        logging.setLoggerClass(self.logger_class)
        root = logging.getLogger()
        root.handlers[:] = self.root_handlers
        root.setLevel(self.root_level)
        warnings.filters[:] = self.warning_filters
        warnings._filters_mutated()  # type: ignore[attr-defined]  # the C module caches the filters
        if os.environ != self.environ:
            os.environ.clear()
            os.environ.update(self.environ)
        for stream, write in ((sys.stdout, self.stdout_write), (sys.stderr, self.stderr_write)):
            _restore_write(stream, write)
        _restore_prometheus_registry(self.metrics)
        _restore_sqlalchemy_compilers(self.compilers)


_MISSING = object()


def _sqlalchemy_compilers() -> dict[type, tuple[Any, Any, dict[str, Any] | None]]:
    """How each SQLAlchemy construct compiles: ``@compiles`` on SQLAlchemy's own classes is
    process-wide (prefect compiles ``func.now()`` as ``strftime(...)`` on SQLite), and would
    outlive the codebase that registered it."""
    from sqlalchemy.sql.visitors import Visitable

    found: dict[type, tuple[Any, Any, dict[str, Any] | None]] = {}
    stack = [Visitable]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("sqlalchemy"):
            dispatcher = cls.__dict__.get("_compiler_dispatcher", _MISSING)
            specs = dict(dispatcher.specs) if hasattr(dispatcher, "specs") else None
            found[cls] = (dispatcher, cls.__dict__.get("_compiler_dispatch", _MISSING), specs)
    return found


def _restore_sqlalchemy_compilers(saved: dict[type, tuple[Any, Any, dict[str, Any] | None]]) -> None:
    for cls, (dispatcher, dispatch, specs) in saved.items():
        for name, value in (("_compiler_dispatcher", dispatcher), ("_compiler_dispatch", dispatch)):
            if cls.__dict__.get(name, _MISSING) is not value:
                if value is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, value)
        if specs is not None and dispatcher.specs != specs:
            dispatcher.specs.clear()
            dispatcher.specs.update(specs)


def _prometheus_registry_state() -> tuple[dict[Any, Any], dict[Any, Any]] | None:
    """prometheus_client's process-wide registry (Jupyter's server imports it) refuses a metric that
    a module registers again when imported afresh (prefect's event metrics): save its contents.

    ``None`` when prometheus_client is not imported: it is never imported here just to look (60 ms
    of every load of every codebase); a codebase that imports it leaves it with its own defaults."""
    registry = _prometheus_registry()
    if registry is None:
        return None
    return dict(registry._collector_to_names), dict(registry._names_to_collectors)


def _prometheus_registry() -> Any:
    registry = getattr(sys.modules.get("prometheus_client.registry"), "REGISTRY", None)
    return registry if hasattr(registry, "_names_to_collectors") else None


def _prometheus_defaults(registry: Any) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """What importing prometheus_client registers by itself: its process, platform and GC collectors."""
    client = sys.modules.get("prometheus_client")
    names = ("PROCESS_COLLECTOR", "PLATFORM_COLLECTOR", "GC_COLLECTOR")
    defaults = {id(collector) for name in names if (collector := getattr(client, name, None)) is not None}
    return (
        {c: metric_names for c, metric_names in registry._collector_to_names.items() if id(c) in defaults},
        {name: c for name, c in registry._names_to_collectors.items() if id(c) in defaults},
    )


def _restore_prometheus_registry(saved: tuple[dict[Any, Any], dict[Any, Any]] | None) -> None:
    registry = _prometheus_registry()
    if registry is None:
        return
    collectors, names = saved if saved is not None else _prometheus_defaults(registry)
    with registry._lock:
        registry._collector_to_names.clear()
        registry._collector_to_names.update(collectors)
        registry._names_to_collectors.clear()
        registry._names_to_collectors.update(names)


def _restore_write(stream: Any, write: Any) -> None:
    """An instance-level ``write`` patched onto a stream (zenml 0.98 patches ``sys.stdout.write``)."""
    own = vars(stream) if hasattr(stream, "__dict__") else {}
    if own.get("write") is write:
        return
    try:
        if write is None:
            del stream.write
        else:
            stream.write = write
    except (AttributeError, TypeError):  # a stream type without instance attributes cannot be patched
        pass


def _forget_pydantic_v1_validators(modules: list[str]) -> None:
    """Pydantic v1 (and ``pydantic.v1``) records every validator's ``module.qualname`` to refuse a
    duplicate; a forgotten module imported afresh by the next load would hit its own old names
    (``ConfigError: duplicate validator function``). Forget those names with the modules, as
    pydantic itself skips the check under IPython."""
    if not modules:
        return
    prefixes = tuple(f"{name}." for name in modules)
    for registry_module in ("pydantic.v1.class_validators", "pydantic.class_validators"):
        names = getattr(sys.modules.get(registry_module), "_FUNCS", None)
        if isinstance(names, set):
            names.difference_update([ref for ref in names if ref.startswith(prefixes)])


def _inside_environment(entry: str) -> bool:
    """A path inside the running environment's site-packages (or the standard library)."""
    import sysconfig

    path = Path(entry).resolve()
    bases = {sysconfig.get_paths()[key] for key in ("purelib", "platlib", "stdlib")}
    return any(path.is_relative_to(Path(base).resolve()) for base in bases)


def _top_level_names(root: Path) -> set[str]:
    names = {path.stem for path in root.glob("*.py")}
    names.update(path.name for path in root.iterdir() if path.is_dir() and path.name.isidentifier())
    return names


def _belongs_to(module: Any, root: Path, own_names: set[str], name: str) -> bool:
    if name.partition(".")[0] in own_names:
        return True
    file = getattr(module, "__file__", None)
    if file and Path(file).resolve().is_relative_to(root):
        return True
    try:
        locations = list(getattr(module, "__path__", None) or [])
    except Exception:  # a namespace package whose parent is gone cannot recompute its path
        return False
    return any(Path(location).resolve().is_relative_to(root) for location in locations)
