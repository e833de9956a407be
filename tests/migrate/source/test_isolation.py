"""Loading a codebase leaves the process as it found it (dbkit.migrate.source.isolation).

Each test writes a small codebase that does at import time what a published project was found
doing (tests/realworld): replacing process-wide hooks, putting a vendored directory on sys.path,
installing import machinery, registering pydantic v1 validators, SQLModel tables or prometheus
metrics. After ``load_codebase`` the process must be as before, and a second load (a re-run
notebook cell, the next version of the codebase) must work.
"""

from __future__ import annotations

import builtins
import importlib.machinery
import importlib.metadata
import logging
import os
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from codebases import write_codebase

from dbkit.migrate import api
from dbkit.migrate.source.codebase import Codebase, load_codebase


def assert_loaded_cleanly(codebase: Codebase, *tables: str) -> None:
    assert [str(problem) for problem in codebase.problems] == []
    assert set(tables) <= set(codebase.hand_written), sorted(codebase.hand_written)


@pytest.fixture
def process_guard() -> Iterator[None]:
    """Put back whatever a load leaked (only the code before the fix leaks), so that a failing test
    here never breaks the tests after it."""
    root = logging.getLogger()
    finder = importlib.machinery.PathFinder
    saved: dict[str, Any] = {
        "print": builtins.print,
        "excepthook": sys.excepthook,
        "logger_class": logging.getLoggerClass(),
        "handlers": list(root.handlers),
        "level": root.level,
        "filters": list(warnings.filters),
        "environ": dict(os.environ),
        "path": list(sys.path),
        "meta_path": list(sys.meta_path),
        "find_distributions": vars(finder)["find_distributions"],
        "modules": set(sys.modules),
    }
    try:
        yield
    finally:
        builtins.print = saved["print"]
        sys.excepthook = saved["excepthook"]
        logging.setLoggerClass(saved["logger_class"])
        root.handlers[:] = saved["handlers"]
        root.setLevel(saved["level"])
        warnings.filters[:] = saved["filters"]
        warnings._filters_mutated()  # type: ignore[attr-defined]
        os.environ.clear()
        os.environ.update(saved["environ"])
        sys.path[:] = saved["path"]
        sys.meta_path[:] = saved["meta_path"]
        if vars(finder).get("find_distributions") is not saved["find_distributions"]:
            finder.find_distributions = saved["find_distributions"]  # type: ignore[method-assign]
        for name in set(sys.modules) - saved["modules"]:
            if name.startswith(("dbkit_vendored", "dbkit_validated")):
                del sys.modules[name]


TABLE = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)
"""


# -- process-wide hooks --------------------------------------------------------------------------------


def _root_logger_state() -> tuple[list[logging.Handler], int]:
    logger = logging.getLogger()
    return list(logger.handlers), logger.level


#: (what a project does at import, what must be the same after the load)
HOOKS: dict[str, tuple[str, Any]] = {
    "print": (
        "import builtins\nbuiltins.print = lambda *args, **kwargs: None\n",
        lambda: builtins.print,
    ),
    "excepthook": ("import sys\nsys.excepthook = lambda *args: None\n", lambda: sys.excepthook),
    "root_logging_handler": (
        "import logging\nlogging.getLogger().addHandler(logging.NullHandler())\n"
        "logging.getLogger().setLevel(logging.CRITICAL)\n",
        _root_logger_state,
    ),
    "logger_class": (
        "import logging\nclass ProjectLogger(logging.Logger):\n    pass\nlogging.setLoggerClass(ProjectLogger)\n",
        logging.getLoggerClass,
    ),
    "warnings_filter": (
        "import warnings\nwarnings.filterwarnings('ignore', message='dbkit-isolation-test')\n",
        lambda: list(warnings.filters),
    ),
    "environment_variable": (
        "import os\nos.environ['DBKIT_ISOLATION_TEST'] = 'set by the codebase'\n",
        lambda: dict(os.environ),
    ),
}


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_process_wide_hooks_set_at_import_are_restored(
    tmp_path: Path, process_guard: None, hook: str
) -> None:
    """zenml replaces print and sys.excepthook and configures the root logger, galaxy sets the
    logger class; a codebase's import must not change them for the rest of the process."""
    code, state = HOOKS[hook]
    root = write_codebase(tmp_path / "app", {"DB_Hooks.py": code + textwrap.dedent(TABLE)})
    before = state()
    assert_loaded_cleanly(load_codebase(root), "things")
    assert state() == before


# -- sys.path and modules imported from a directory the codebase put on it ------------------------------


def _vendored_version(tmp_path: Path, name: str, length: int) -> Path:
    """A codebase whose DB_ file puts ``vendor/`` (beside the codebase, not inside it) on sys.path and
    takes a column length from the vendored package there."""
    write_codebase(
        tmp_path / name / "vendor",
        {"dbkit_vendored_lib/__init__.py": f"NAME_LENGTH = {length}\n"},
    )
    return write_codebase(
        tmp_path / name / "app",
        {
            "DB_Vendored.py": """
                import sys
                from pathlib import Path

                sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "vendor"))

                import sqlalchemy as sa
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

                import dbkit_vendored_lib

                class Base(DeclarativeBase):
                    pass

                class Item(Base):
                    __tablename__ = "items"
                    id: Mapped[int] = mapped_column(primary_key=True)
                    name: Mapped[str] = mapped_column(sa.String(dbkit_vendored_lib.NAME_LENGTH))
            """
        },
    )


def test_a_package_imported_from_a_vendored_directory_is_forgotten_with_its_sys_path_entry(
    tmp_path: Path, process_guard: None
) -> None:
    root = _vendored_version(tmp_path, "v1", 10)
    path_before = list(sys.path)
    codebase = load_codebase(root)
    assert_loaded_cleanly(codebase, "items")
    assert sys.path == path_before
    assert "dbkit_vendored_lib" not in sys.modules


def test_a_second_version_of_a_vendored_package_is_imported_afresh(
    tmp_path: Path, process_guard: None
) -> None:
    first = load_codebase(_vendored_version(tmp_path, "v1", 10))
    second = load_codebase(_vendored_version(tmp_path, "v2", 20))
    assert_loaded_cleanly(first, "items")
    assert_loaded_cleanly(second, "items")
    assert first.hand_written["items"].table.c.name.type.length == 10
    assert second.hand_written["items"].table.c.name.type.length == 20


# -- import machinery: the importlib_metadata backport --------------------------------------------------

BACKPORT = """
    # What importlib_metadata's _compat.install does when imported: its own finder appended to
    # sys.meta_path, and the standard PathFinder's find_distributions deleted.
    import sys


    class MetadataPathFinder:
        @classmethod
        def find_spec(cls, *args, **kwargs):
            return None


    def _matches(finder):
        return getattr(finder, "__module__", None) == "_frozen_importlib_external" and hasattr(
            finder, "find_distributions"
        )


    sys.meta_path.append(MetadataPathFinder())
    for finder in filter(_matches, sys.meta_path):
        del finder.find_distributions
"""


def test_import_machinery_installed_at_import_is_removed_and_importlib_metadata_still_works(
    tmp_path: Path, process_guard: None
) -> None:
    write_codebase(tmp_path / "vendor", {"dbkit_vendored_metadata/__init__.py": BACKPORT})
    root = write_codebase(
        tmp_path / "app",
        {
            "DB_Backport.py": textwrap.dedent(
                """
                import sys
                from pathlib import Path

                sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "vendor"))
                import dbkit_vendored_metadata  # noqa: F401
                """
            )
            + textwrap.dedent(TABLE),
        },
    )
    meta_path_before = list(sys.meta_path)
    version = importlib.metadata.version("sqlalchemy")
    assert_loaded_cleanly(load_codebase(root), "things")
    assert importlib.metadata.version("sqlalchemy") == version  # a driver's version lookup, say
    assert "find_distributions" in vars(importlib.machinery.PathFinder)
    assert sys.meta_path == meta_path_before


# -- pydantic v1 validators --------------------------------------------------------------------------------


def test_pydantic_v1_validators_in_a_vendored_module_load_twice(tmp_path: Path, process_guard: None) -> None:
    """pydantic v1 refuses a validator whose ``module.qualname`` it has seen; the next load imports the
    vendored module afresh and must not hit its own earlier names (``duplicate validator function``)."""
    root = write_codebase(
        tmp_path / "app",
        {
            "_vendor/dbkit_validated_settings.py": """
                from pydantic.v1 import BaseModel, validator

                class Settings(BaseModel):
                    table_name: str = "settings_rows"

                    @validator("table_name")
                    def lower_case(cls, value):
                        return value.lower()

                SETTINGS = Settings()
            """,
            "DB_Settings.py": """
                import sys
                from pathlib import Path

                sys.path.insert(0, str(Path(__file__).resolve().parent / "_vendor"))

                import sqlalchemy as sa
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

                from dbkit_validated_settings import SETTINGS

                class Base(DeclarativeBase):
                    pass

                class Row(Base):
                    __tablename__ = SETTINGS.table_name
                    id: Mapped[int] = mapped_column(primary_key=True)
            """,
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pydantic.v1 on a recent Python
        first = load_codebase(root)
        second = load_codebase(root)
    assert_loaded_cleanly(first, "settings_rows")
    assert_loaded_cleanly(second, "settings_rows")


# -- SQLModel's shared registry ------------------------------------------------------------------------------


def _sqlmodel_codebase(root: Path, *extra_columns: str) -> Path:
    columns = "".join(f"\n                    {column}" for column in extra_columns)
    return write_codebase(
        root,
        {
            "DB_Heroes.py": f"""
                from sqlmodel import Field, SQLModel

                class Hero(SQLModel, table=True):
                    __tablename__ = "isolation_hero"
                    id: int | None = Field(default=None, primary_key=True)
                    name: str{columns}
            """
        },
    )


def test_an_sqlmodel_codebase_loads_twice_and_a_changed_version_after(tmp_path: Path) -> None:
    """SQLModel maps every ``table=True`` class into its one process-wide registry and MetaData; a
    second load must not find ``isolation_hero`` already defined there."""
    v1 = _sqlmodel_codebase(tmp_path / "v1")
    v2 = _sqlmodel_codebase(tmp_path / "v2", "power: int | None = None")
    first = load_codebase(v1)
    assert_loaded_cleanly(first, "isolation_hero")
    # the first load's result stays usable until the next load starts
    assert "isolation_hero" in api.codebase_snapshot(first).table_map
    again = load_codebase(v1)
    assert_loaded_cleanly(again, "isolation_hero")
    changed = load_codebase(v2)
    assert_loaded_cleanly(changed, "isolation_hero")
    columns = [column.name for column in api.codebase_snapshot(changed).table_map["isolation_hero"].columns]
    assert columns == ["id", "name", "power"]


# -- prometheus_client's process-wide registry ---------------------------------------------------------------


def test_a_prometheus_metric_registered_at_import_loads_twice(tmp_path: Path) -> None:
    """prometheus_client's default registry refuses a metric name it holds; the module that registers
    it is imported afresh by each load (Jupyter's server has prometheus_client imported already)."""
    from prometheus_client import REGISTRY

    collectors_before = dict(REGISTRY._collector_to_names)
    root = write_codebase(
        tmp_path / "app",
        {
            "DB_Metrics.py": textwrap.dedent(
                """
                from prometheus_client import Counter

                EVENTS = Counter("dbkit_isolation_test_events", "Events seen by the codebase")
                """
            )
            + textwrap.dedent(TABLE),
        },
    )
    first = load_codebase(root)
    second = load_codebase(root)
    assert_loaded_cleanly(first, "things")
    assert_loaded_cleanly(second, "things")
    assert dict(REGISTRY._collector_to_names) == collectors_before


def test_a_load_never_imports_prometheus_client_and_a_codebase_that_does_loads_twice(tmp_path: Path) -> None:
    """In a fresh process (the ``dbkit`` command, a diff's worker) nothing has imported prometheus_client:
    a codebase that does not use it loads without it being imported (60 ms per load), and one that
    imports it first loads twice, leaving the registry with only prometheus_client's own collectors."""
    plain = write_codebase(tmp_path / "plain", {"DB_Things.py": textwrap.dedent(TABLE)})
    metrics = write_codebase(
        tmp_path / "metrics",
        {
            "DB_Metrics.py": "from prometheus_client import Counter\n\n"
            'EVENTS = Counter("dbkit_isolation_fresh_events", "Events seen by the codebase")\n'
            + textwrap.dedent(TABLE)
        },
    )
    script = textwrap.dedent(
        f"""
        import sys
        from dbkit.migrate.source.codebase import load_codebase

        assert not load_codebase({str(plain)!r}).problems
        assert "prometheus_client" not in sys.modules, "imported by a load that does not use it"
        for _ in range(2):
            problems = load_codebase({str(metrics)!r}).problems
            assert not problems, [str(problem) for problem in problems]
        import prometheus_client

        defaults = {{prometheus_client.PROCESS_COLLECTOR, prometheus_client.PLATFORM_COLLECTOR,
                    prometheus_client.GC_COLLECTOR}}
        left = set(prometheus_client.REGISTRY._collector_to_names)
        assert left == defaults & left and left, left
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_compiler_registered_on_a_sqlalchemy_construct_is_undone(tmp_path: Path) -> None:
    """prefect compiles ``func.now()`` as ``strftime(...)`` on SQLite at import: after the load, every
    later model in the process compiles it as SQLAlchemy does again."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import sqlite

    root = write_codebase(
        tmp_path / "app",
        {
            "DB_Clock.py": """
                import sqlalchemy as sa
                from sqlalchemy.ext.compiler import compiles
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
                from sqlalchemy.sql import functions


                @compiles(functions.now, "sqlite")
                def _sqlite_now(element, compiler, **kw):
                    return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


                class Base(DeclarativeBase):
                    pass


                class Tick(Base):
                    __tablename__ = "ticks"
                    id: Mapped[int] = mapped_column(primary_key=True)
                    at = mapped_column(sa.DateTime, server_default=sa.func.now())
            """
        },
    )
    before = str(sa.func.now().compile(dialect=sqlite.dialect()))
    load_codebase(root)
    assert str(sa.func.now().compile(dialect=sqlite.dialect())) == before == "CURRENT_TIMESTAMP"
