"""pytest glue for :mod:`dbkit.migrate.checks`: fixtures and ready-made tests for a project's CI.

Enable it (``-p dbkit.pytest_plugin``, ``pytest_plugins = ["dbkit.pytest_plugin"]`` in a
conftest.py, or the ``pytest11`` entry point), configure where things are::

    # pytest.ini / [tool.pytest.ini_options]
    dbkit_codebase = app/models          # the directory with DB_*.py / BLL_*.py
    dbkit_versions = migrations/versions # default: <codebase>/versions when it exists
    dbkit_database_url = sqlite:///prod-copy.db   # optional: verify on a copy of it

(or ``--dbkit-codebase``, ``--dbkit-versions``, ``--dbkit-database-url``), and import the tests::

    # tests/test_migrations.py
    from dbkit.pytest_plugin import (
        test_data_validates, test_models_match_revisions, test_parity, test_relationship_contract,
        test_single_head, test_upgrade_downgrade,
    )

A failing check fails its test with the check's readable message (every difference listed),
without a traceback into dbkit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dbkit.errors import DbkitError
from dbkit.migrate import checks

CODEBASE_OPTION = "dbkit_codebase"
VERSIONS_OPTION = "dbkit_versions"
DATABASE_URL_OPTION = "dbkit_database_url"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dbkit", "dbkit migration checks")
    group.addoption("--dbkit-codebase", help="Directory of the DB_*.py / BLL_*.py model files.")
    group.addoption("--dbkit-versions", help="Alembic versions directory (default: <codebase>/versions).")
    group.addoption(
        "--dbkit-database-url", help="Database verify copies (SQLite) or uses as server (PostgreSQL)."
    )
    parser.addini(CODEBASE_OPTION, "Directory of the DB_*.py / BLL_*.py model files (relative to rootdir).")
    parser.addini(VERSIONS_OPTION, "Alembic versions directory (relative to rootdir).")
    parser.addini(DATABASE_URL_OPTION, "Database URL for the upgrade/downgrade check.")


def _setting(config: pytest.Config, name: str) -> tuple[str | None, Path]:
    """The option's value and the directory a relative path is relative to (CLI: where pytest
    was invoked; ini: the rootdir)."""
    given = config.getoption(name)
    if given:
        return str(given), config.invocation_params.dir
    return (str(config.getini(name)).strip() or None), config.rootpath


def _path_setting(config: pytest.Config, name: str) -> Path | None:
    value, base = _setting(config, name)
    if value is None:
        return None
    path = Path(value)
    return path if path.is_absolute() else base / path


@pytest.fixture(scope="session")
def dbkit_codebase(pytestconfig: pytest.Config) -> Path:
    """The codebase directory, from ``--dbkit-codebase`` or the ``dbkit_codebase`` ini option."""
    path = _path_setting(pytestconfig, CODEBASE_OPTION)
    if path is None:
        pytest.fail(
            "dbkit: no codebase configured; set `dbkit_codebase = DIR` in the pytest ini options "
            "or pass --dbkit-codebase DIR.",
            pytrace=False,
        )
    if not path.is_dir():
        pytest.fail(f"dbkit: codebase {path} is not a directory.", pytrace=False)
    return path


@pytest.fixture(scope="session")
def dbkit_versions(pytestconfig: pytest.Config) -> Path:
    """The versions directory: ``--dbkit-versions`` / ``dbkit_versions``, else ``<codebase>/versions``."""
    path = _path_setting(pytestconfig, VERSIONS_OPTION)
    if path is None:
        codebase = _path_setting(pytestconfig, CODEBASE_OPTION)
        path = codebase / "versions" if codebase is not None else None
    if path is None or not path.is_dir():
        where = f"{path} is not a directory" if path is not None else "no versions directory configured"
        pytest.fail(
            f"dbkit: {where}; set `dbkit_versions = DIR` in the pytest ini options or pass --dbkit-versions DIR.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def dbkit_database_url(pytestconfig: pytest.Config) -> str | None:
    """``--dbkit-database-url`` / ``dbkit_database_url``; ``None``: verify on an empty scratch SQLite."""
    value, _base = _setting(pytestconfig, DATABASE_URL_OPTION)
    return value


def _run(check: Callable[..., checks.CheckResult], *args: object) -> None:
    """Run a check; a failure (or a dbkit error such as an unloadable codebase) fails the test
    with its readable message, without a traceback into dbkit."""
    try:
        check(*args)
    except DbkitError as exc:
        message = str(exc)
    else:
        return
    pytest.fail(message, pytrace=False)  # outside ``except``: no "during handling" echo of the message


# -- ready-made tests (import them into a test module) -----------------------------------------------
def test_parity(dbkit_codebase: Path) -> None:
    """Phase 1: hand-written and generated models have the same DDL."""
    _run(checks.check_parity, dbkit_codebase)


def test_single_head(dbkit_versions: Path) -> None:
    """The revision history has exactly one head."""
    _run(checks.check_single_head, dbkit_versions)


def test_models_match_revisions(dbkit_codebase: Path, dbkit_versions: Path) -> None:
    """The head revision leads to the models' schema: no revision is missing."""
    _run(checks.check_models_match_revisions, dbkit_codebase, dbkit_versions)


def test_upgrade_downgrade(dbkit_versions: Path, dbkit_database_url: str | None) -> None:
    """Every revision up and down on a scratch copy, rows kept (``dbkit verify``)."""
    _run(checks.check_upgrade_downgrade, dbkit_versions, dbkit_database_url)


def test_data_validates(dbkit_codebase: Path, dbkit_database_url: str | None) -> None:
    """Before the switch: every stored row passes its BLL model's validation (``dbkit validate-data``)."""
    if dbkit_database_url is None:
        pytest.skip(
            "dbkit: no database to validate; set `dbkit_database_url = URL` or pass --dbkit-database-url URL."
        )
    _run(checks.check_data_validates, dbkit_codebase, dbkit_database_url)


def test_relationship_contract(dbkit_codebase: Path, dbkit_database_url: str | None) -> None:
    """Phase 2: every relationship of the application's classes is kept by its table's BLL model and,
    with a database URL, followed both ways on the rows of a scratch copy (``dbkit switch``'s contract)."""
    _run(checks.check_relationship_contract, dbkit_codebase, dbkit_database_url)


def test_phase3(dbkit_codebase: Path) -> None:
    """Phase 3: no DB_*.py file left and nothing imports one."""
    _run(checks.check_phase3, dbkit_codebase)
