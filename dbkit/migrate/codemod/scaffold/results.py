"""What scaffolding returns: generated modules, where each model lives, and what it could not express."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from dbkit.errors import DbkitError
from dbkit.migrate.files import write_atomically


class ScaffoldError(DbkitError):
    """The input cannot be scaffolded at all (for instance, no tables were given)."""


class TableNotScaffoldedError(ScaffoldError):
    """One table gets no model (a column type no written source rebuilds): the generator reports it
    as ``no model scaffolded: ...``, leaves it hand-written and scaffolds the other tables."""


@dataclass(frozen=True)
class SourceTable:
    """One hand-written table: the ``Table``, its mapped class when known, and its ``DB_*`` module."""

    table: sa.Table
    mapped_class: type | None = None
    #: The stem of the hand-written file (``DB_Auth``); the model goes to ``BLL_Auth``.
    module: str = "DB_Models"
    #: ``DB_Catalog.books`` for a Core table held by a module-level name (the loader's ``holder``):
    #: what Phase 3's import rewrite replaces with the generated table.
    holder: str | None = None

    @classmethod
    def of_class(cls, mapped_class: type, module: str | None = None) -> SourceTable:
        """A declarative class: its table, itself, and (by default) its module's name."""
        return cls(mapped_class.__table__, mapped_class, module or mapped_class.__module__)  # type: ignore[attr-defined]

    @classmethod
    def from_hand_written(cls, entry: Any) -> SourceTable:
        """An entry of the codebase loader (anything with ``table``, ``mapped_class`` and ``file``)."""
        return cls(entry.table, entry.mapped_class, Path(entry.file).stem, getattr(entry, "holder", None))


@dataclass(frozen=True)
class ScaffoldProblem:
    """Something of a hand-written table the scaffolded model does not reproduce, and why."""

    table: str
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ModelRef:
    """Where a table's scaffolded model lives: ``BLL_Auth.UserModel``."""

    module: str
    name: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class ScaffoldResult:
    """The generated modules (name → source), where each table's model is, and what was not expressed."""

    modules: dict[str, str]
    models: dict[str, ModelRef]
    problems: list[ScaffoldProblem]

    def write(self, directory: str | Path, *, overwrite: bool = False) -> list[Path]:
        """Write each module as ``<directory>/<name>.py``; refuses to replace a file unless ``overwrite``."""
        target = Path(directory)
        paths = [target / f"{name}.py" for name in self.modules]
        existing = [str(path) for path in paths if path.exists()]
        if existing and not overwrite:
            raise ScaffoldError(
                f"Refusing to overwrite {', '.join(existing)}: pass overwrite=True (or --out another directory)."
            )
        target.mkdir(parents=True, exist_ok=True)
        for path, source in zip(paths, self.modules.values(), strict=True):
            write_atomically(path, source)
        return paths
