"""Temporary working copies for notebooks: a codebase directory and its database, never the originals.

A notebook that edits model files, writes revisions or upgrades a database must not touch what
it was pointed at, and must print the same thing on every run: :class:`Workspace` copies the
codebase (and an SQLite database, or a PostgreSQL database through ``CREATE DATABASE ...
TEMPLATE``) into a fresh temporary directory, and prints paths *relative to it*, so no temp
path ever reaches a notebook's output.
"""

from __future__ import annotations

import difflib
import re
import shutil
import sqlite3
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dbkit.errors import DbkitError

if TYPE_CHECKING:
    import sqlalchemy as sa

#: Files never copied into a workspace (caches, compiled bytecode).
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
_SAFE_NAME = re.compile(r"[^a-z0-9_]")
#: The suffix of a codebase's fixed version shipped beside it (``sample_app`` → ``sample_app_fixed``).
FIXED_SUFFIX = "_fixed"


class WorkspaceError(DbkitError):
    """The codebase or database given to a notebook cannot be copied."""


@dataclass
class Workspace:
    """A temporary directory holding ``app/`` (the codebase copy) and, optionally, a database copy."""

    root: Path
    codebase: Path
    database_url: str | None = None
    #: Scratch PostgreSQL databases this workspace created (dropped by :meth:`close`).
    _scratch_databases: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def relative(self, path: str | Path) -> str:
        """``path`` as shown in a notebook: relative to the workspace, so runs print the same text."""
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()

    def files(self, pattern: str = "*.py") -> list[str]:
        """The codebase copy's files matching ``pattern``, sorted, relative to the codebase."""
        return sorted(p.name for p in self.codebase.glob(pattern))

    def copy(self, source: str | Path, name: str) -> Path:
        """A copy of another codebase directory (the next version of the models, say) at ``name``."""
        source_path = Path(source)
        if not source_path.is_dir():
            raise WorkspaceError(f"{source}: not a directory (paths are relative to the notebook).")
        return Path(shutil.copytree(source_path, self.path(name), ignore=IGNORED))

    def update_from(self, source: str | Path, pattern: str = "*.py") -> str:
        """Make the codebase copy's ``pattern`` files those of ``source``; returns the diff.

        A notebook that fixes models shows each fix as the diff a reviewer would read, then works
        on the fixed files, instead of patching source text it would have to know by heart.
        Files ``source`` lacks are removed, so the copy then equals it.
        """
        source_path = Path(source)
        if not source_path.is_dir():
            raise WorkspaceError(f"{source}: not a directory (paths are relative to the notebook).")
        diff = directory_diff(self.codebase, source_path, pattern)
        for stale in self.codebase.glob(pattern):
            if not (source_path / stale.name).exists():
                stale.unlink()
        for fresh in sorted(source_path.glob(pattern)):
            shutil.copyfile(fresh, self.codebase / fresh.name)
        return diff

    def edit(self, file: str, old: str, new: str) -> str:
        """Replace the one occurrence of ``old`` in a codebase file by ``new``; returns the diff.

        Stands for an edit in the user's editor, shown as a diff; a snippet found zero or several
        times is refused rather than guessed.
        """
        path = self.codebase / file
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise WorkspaceError(
                f"{file}: {old!r} occurs {text.count(old)} times; an edit needs exactly one."
            )
        edited = text.replace(old, new)
        path.write_text(edited, encoding="utf-8")
        return _unified_diff(text, edited, file, file)

    def copy_database(self, database_url: str, name: str = "production") -> str:
        """A private copy of ``database_url`` (SQLite file or PostgreSQL database); returns its URL."""
        from dbkit.manager import normalize_url

        url = normalize_url(database_url)
        if url.get_backend_name() == "sqlite":
            return self._copy_sqlite(url.database, name)
        if url.get_backend_name() == "postgresql":
            return self._copy_postgres(url, name)
        raise WorkspaceError(
            f"Cannot copy {url.render_as_string(hide_password=True)}: notebooks copy SQLite files and "
            "PostgreSQL databases only. Point database_url at one of those."
        )

    def _copy_sqlite(self, database: str | None, name: str) -> str:
        if not database or database == ":memory:":
            raise WorkspaceError("An in-memory SQLite database has nothing to copy: give a database file.")
        source = Path(database)
        if not source.is_file():
            raise WorkspaceError(
                f"{database}: no such SQLite database file (paths are relative to the notebook)."
            )
        target = self.path(f"{name}.sqlite3")
        reader, writer = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(target)
        try:
            reader.backup(writer)  # consistent even while another process writes the source
        finally:
            reader.close()
            writer.close()
        return f"sqlite:///{target}"

    def _copy_postgres(self, url: sa.URL, name: str) -> str:
        return self._create_database(url, name, template=url.database)

    def create_postgres_database(self, server_url: str, name: str) -> str:
        """A new, empty database on ``server_url``'s server, dropped by :meth:`close`; returns its URL."""
        from dbkit.manager import normalize_url

        return self._create_database(normalize_url(server_url), name)

    def _create_database(self, url: sa.URL, name: str, template: str | None = None) -> str:
        import sqlalchemy as sa

        scratch = _SAFE_NAME.sub("_", f"dbkit_{name}_{self.root.name}".lower())[:63]
        admin_url = url.set(database="postgres")
        statement = f'CREATE DATABASE "{scratch}"' + (f' TEMPLATE "{template}"' if template else "")
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            admin.dispose()
        self._scratch_databases.append((admin_url.render_as_string(hide_password=False), scratch))
        return url.set(database=scratch).render_as_string(hide_password=False)

    def close(self) -> None:
        """Drop scratch PostgreSQL databases and delete the directory."""
        import sqlalchemy as sa

        for admin_url, name in self._scratch_databases:
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as connection:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            finally:
                admin.dispose()
        self._scratch_databases.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def __repr__(self) -> str:  # never the temp path: notebook outputs must not change between runs
        database = "with a database copy" if self.database_url else "without a database"
        return f"Workspace(app/ with {len(self.files())} Python files, {database})"


def directory_diff(old: str | Path, new: str | Path, pattern: str = "*.py") -> str:
    """The unified diff between the ``pattern`` files of two directories, file by file (by name).

    File names, never paths, head each file's diff (``a/BLL_Auth.py``), so the text is the same
    wherever the directories are.
    """
    old_dir, new_dir = Path(old), Path(new)
    names = sorted({p.name for p in old_dir.glob(pattern)} | {p.name for p in new_dir.glob(pattern)})
    parts = []
    for name in names:
        before, after = old_dir / name, new_dir / name
        parts.append(
            _unified_diff(
                before.read_text(encoding="utf-8") if before.exists() else "",
                after.read_text(encoding="utf-8") if after.exists() else "",
                name if before.exists() else None,
                name if after.exists() else None,
            )
        )
    return "".join(parts)


def _unified_diff(before: str, after: str, old_name: str | None, new_name: str | None) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{old_name}" if old_name else "/dev/null",
            tofile=f"b/{new_name}" if new_name else "/dev/null",
        )
    )


def with_fixes(codebase_path: str | Path) -> Path:
    """``codebase_path``'s fixed version when one is shipped beside it (``<path>_fixed``), else the path.

    The bundled sample keeps its deliberate Phase 1 drifts for the notebook that finds them, and
    ships the same files with the drifts fixed as data beside them: later notebooks start from
    models that match the database without patching source. A codebase of your own has no such
    sibling and is used as it is.
    """
    path = Path(codebase_path)
    fixed = (path if path.name else path.resolve()).with_name(path.resolve().name + FIXED_SUFFIX)
    return fixed if fixed.is_dir() else path


def workspace(
    codebase_path: str | Path, database_url: str | None = None, *, copy_bll: bool = True
) -> Workspace:
    """Copy ``codebase_path`` (and ``database_url``'s database) into a new temporary directory.

    ``copy_bll=False`` leaves the ``BLL_*.py`` files behind (to start a codebase in Phase 1 from
    scratch). The directory is deleted by :meth:`Workspace.close`, or when the workspace is
    garbage-collected.
    """
    source = Path(codebase_path)
    if not source.is_dir():
        raise WorkspaceError(
            f"{codebase_path}: not a directory. Set codebase_path to the directory holding your DB_*.py / "
            "BLL_*.py files (relative to the notebook)."
        )
    root = Path(tempfile.mkdtemp(prefix="dbkit-notebook-"))
    ignore = IGNORED if copy_bll else shutil.ignore_patterns("__pycache__", "*.pyc", "BLL_*.py")
    shutil.copytree(source, root / "app", ignore=ignore)
    space = Workspace(root=root, codebase=root / "app")
    weakref.finalize(space, shutil.rmtree, str(root), True)
    if database_url:
        space.database_url = space.copy_database(database_url)
    return space
