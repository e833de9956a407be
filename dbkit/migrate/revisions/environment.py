"""The Alembic environment around a versions directory: created when missing, configured in code.

dbkit never asks anyone to hand-edit an ``alembic.ini``: :func:`alembic_config` finds the
environment around ``--versions DIR`` (or writes a standard one: ``alembic.ini``, ``env.py``
and ``script.py.mako`` beside DIR) and returns a ready ``Config``. The written ``env.py`` is
plain Alembic (the cookbook's shared-connection recipe, batch mode on SQLite, type and
server-default comparison), so ``alembic upgrade head`` and pytest-alembic work on it as is;
it calls back into this module only for the target metadata and SQLite's foreign-key pragma.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import alembic
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from dbkit.errors import ConfigurationError
from dbkit.manager import normalize_url
from dbkit.migrate.revisions.history import read_history
from dbkit.migrate.schema.to_metadata import metadata_from_snapshot

INI_NAME = "alembic.ini"
ENV_NAME = "env.py"
SCRIPT_TEMPLATE_NAME = "script.py.mako"
#: alembic.ini options read by env.py (``module:attribute`` of a MetaData / Base / callable, or a file).
TARGET_METADATA_OPTION = "dbkit.target_metadata"
TARGET_SNAPSHOT_OPTION = "dbkit.target_snapshot"
#: The variable env.py reads when no URL is configured (dbkit's own convention).
DATABASE_URL_ENV = "DATABASE_URL"

_INI_TEMPLATE = """\
# Alembic configuration written by dbkit around {versions_name}/ (edit freely; dbkit never rewrites it).
[alembic]
script_location = %(here)s
version_locations = %(here)s/{versions_name}
path_separator = os
prepend_sys_path = .
# The database: `alembic -x url=...`, this option, or $DATABASE_URL.
sqlalchemy.url =
# What `alembic revision --autogenerate` and pytest-alembic compare with: `package.module:attribute`
# (a MetaData, a declarative Base, or a callable taking the alembic Config), or a dbkit snapshot
# file. Both empty: the schema recorded by the head revision.
{target_metadata_option} = {target_metadata}
{target_snapshot_option} = {target_snapshot}

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""

_ENV_TEMPLATE = '''\
"""Alembic environment written by dbkit (edit freely; dbkit only creates it when missing).

Connection: ``config.attributes["connection"]`` (a shared Connection or Engine, as in Alembic's
cookbook; pytest-alembic passes one), else a URL from ``-x url=...``, ``sqlalchemy.url`` or
$DATABASE_URL. Target metadata: see the ``dbkit.*`` options in alembic.ini.
"""

import logging.config

import sqlalchemy as sa
from alembic import context

from dbkit.migrate.revisions.environment import (
    database_url,
    load_target_metadata,
    sqlite_foreign_keys_disabled,
    sqlite_transactional_ddl,
)

config = context.config
if (
    config.attributes.get("configure_logger", True)
    and config.config_file_name
    and config.file_config.has_section("loggers")
):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = load_target_metadata(config)
COMPARE = {"compare_type": True, "compare_server_default": True}


def run_migrations_offline() -> None:
    """Write the SQL to stdout (``alembic upgrade --sql``) for review by a DBA."""
    url = database_url(config, context.get_x_argument(as_dictionary=True).get("url"))
    sqlite = sa.make_url(url).get_backend_name() == "sqlite"
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=sqlite,
        **COMPARE,
    )
    if sqlite:  # outside the transaction, where the pragma has an effect
        context.execute("PRAGMA foreign_keys=OFF")
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        context.execute("PRAGMA foreign_key_check")
        context.execute("PRAGMA foreign_keys=ON")


def run_migrations_on(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        **COMPARE,
    )
    # SQLite batch mode recreates tables: enforced foreign keys would cascade deletes; and
    # pysqlite would commit before each DDL statement, so a failure would leave half a migration.
    with (
        sqlite_foreign_keys_disabled(connection),
        sqlite_transactional_ddl(connection),
        context.begin_transaction(),
    ):
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if isinstance(connectable, sa.Connection):
        run_migrations_on(connectable)
        return
    engine = connectable or sa.create_engine(database_url(config, context.get_x_argument(as_dictionary=True).get("url")), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        run_migrations_on(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''


# -- locating and creating the environment ----------------------------------------------------
def script_location(versions_dir: Path) -> Path:
    """Where env.py lives for ``versions_dir``: beside it."""
    return versions_dir.resolve().parent


def find_ini(versions_dir: Path) -> Path | None:
    """The alembic.ini of ``versions_dir``'s environment: beside DIR, or one level up (``alembic init`` layout)."""
    location = script_location(versions_dir)
    for candidate in (location / INI_NAME, location.parent / INI_NAME):
        if candidate.is_file() and _ini_script_location(candidate) == location:
            return candidate
    return None


def _ini_script_location(ini_path: Path) -> Path | None:

    option = Config(str(ini_path)).get_main_option("script_location")
    if not option:
        return None
    path = Path(option)
    return (path if path.is_absolute() else ini_path.parent / path).resolve()


def ensure_environment(
    versions_dir: str | Path, *, target_metadata: str = "", target_snapshot: str = ""
) -> Path:
    """Create whatever is missing of a standard environment around ``versions_dir``; returns its ini.

    Existing files are never overwritten, so a team's own env.py or alembic.ini stays as it is.
    """
    versions = Path(versions_dir).resolve()
    location = script_location(versions)
    if versions.exists() and not versions.is_dir():
        raise ConfigurationError(f"--versions {versions} is a file; give the directory for revision files.")
    versions.mkdir(parents=True, exist_ok=True)
    env_path = location / ENV_NAME
    if not env_path.exists():
        _write_new(env_path, _ENV_TEMPLATE)
    template_path = location / SCRIPT_TEMPLATE_NAME
    if not template_path.exists():
        _copy_alembic_script_template(template_path)
    ini_path = find_ini(versions)
    if ini_path is None:
        ini_path = location / INI_NAME
        if ini_path.exists():
            raise ConfigurationError(
                f"{ini_path} exists but its script_location is not {location}: point it there "
                f"(where env.py and {versions.name}/ are), or give --versions inside that environment."
            )
        _write_new(
            ini_path,
            _INI_TEMPLATE.format(
                versions_name=versions.name,
                target_metadata_option=TARGET_METADATA_OPTION,
                target_metadata=target_metadata,
                target_snapshot_option=TARGET_SNAPSHOT_OPTION,
                target_snapshot=target_snapshot,
            ),
        )
    return ini_path


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet (``x`` mode: a concurrent writer's file is kept)."""
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        pass


def _copy_alembic_script_template(target: Path) -> None:

    source = Path(alembic.__file__).parent / "templates" / "generic" / SCRIPT_TEMPLATE_NAME
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def alembic_config(versions_dir: str | Path, url: str | None = None, *, create: bool = True) -> Config:
    """The Alembic ``Config`` for ``versions_dir`` (the environment is created if missing and ``create``).

    ``url`` becomes ``sqlalchemy.url``; the versions directory is always where revisions are read
    and written, whatever the ini says.
    """

    versions = Path(versions_dir).resolve()
    if create:
        ensure_environment(versions)
    elif not (script_location(versions) / ENV_NAME).is_file():
        raise ConfigurationError(
            f"No Alembic environment around {versions}: expected {script_location(versions) / ENV_NAME}. "
            "Write a revision there first (dbkit creates the environment), or give the right --versions."
        )
    ini_path = find_ini(versions)
    config = Config(str(ini_path)) if ini_path else Config()
    config.set_main_option("script_location", str(script_location(versions)))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", _escape(str(versions)))
    if url is not None:
        config.set_main_option("sqlalchemy.url", _escape(url))
    return config


def _escape(value: str) -> str:
    """ConfigParser interpolates ``%``: URLs with percent-encoded passwords need it doubled."""
    return value.replace("%", "%%")


# -- what env.py calls --------------------------------------------------------------------------
def database_url(config: Config, x_url: str | None = None) -> str:
    """The URL env.py connects to: ``-x url=...`` (``x_url``), else ``sqlalchemy.url``, else ``$DATABASE_URL``."""

    url = x_url or config.get_main_option("sqlalchemy.url") or os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise ConfigurationError(
            "No database URL for Alembic: pass --url to dbkit, `-x url=...` to alembic, "
            f"set sqlalchemy.url in alembic.ini, or set ${DATABASE_URL_ENV}."
        )
    return normalize_url(url).render_as_string(hide_password=False)


def load_target_metadata(config: Config) -> sa.MetaData | list[sa.MetaData] | None:
    """The models Alembic compares with, from the ini's ``dbkit.*`` options or the head revision.

    ``dbkit.target_metadata = pkg.module:attr`` names a MetaData, a declarative Base, a sequence
    of them, or a callable taking the Config and returning one; ``dbkit.target_snapshot`` a
    snapshot file. With neither, the schema the head revision recorded is the target, so
    pytest-alembic's "models match DDL" checks the revisions against what they claim.
    """
    hook = (config.get_main_option(TARGET_METADATA_OPTION) or "").strip()
    if hook:
        return _metadata_from_object(_import_hook(hook, config), hook, config)
    snapshot_file = (config.get_main_option(TARGET_SNAPSHOT_OPTION) or "").strip()
    if snapshot_file:
        path = Path(snapshot_file)
        if not path.is_absolute() and config.config_file_name:
            path = Path(config.config_file_name).parent / path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"{TARGET_SNAPSHOT_OPTION} = {snapshot_file}: cannot read it ({exc})."
            ) from None
        return metadata_from_snapshot(text)

    head_snapshot = read_history(script=ScriptDirectory.from_config(config)).head_to_snapshot
    return metadata_from_snapshot(head_snapshot) if head_snapshot else None


def _import_hook(hook: str, config: Config) -> Any:
    module_name, _, attribute_path = hook.partition(":")
    if not attribute_path:
        raise ConfigurationError(f"{TARGET_METADATA_OPTION} = {hook}: write it as package.module:attribute.")
    try:
        value: Any = importlib.import_module(module_name)
        for attribute in attribute_path.split("."):
            value = getattr(value, attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"{TARGET_METADATA_OPTION} = {hook}: cannot import it ({exc}).") from None
    return value


def _metadata_from_object(value: Any, hook: str, config: Config) -> sa.MetaData | list[sa.MetaData]:

    if isinstance(value, sa.MetaData):
        return value
    if isinstance(getattr(value, "metadata", None), sa.MetaData):
        return value.metadata
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_single_metadata(item, hook) for item in value]
    if callable(value):
        return _metadata_from_object(value(config), hook, config)
    raise ConfigurationError(
        f"{TARGET_METADATA_OPTION} = {hook} is a {type(value).__name__}; it must give a MetaData, "
        "a declarative Base, a list of them, or a callable returning one."
    )


def _single_metadata(value: Any, hook: str) -> sa.MetaData:

    metadata = value if isinstance(value, sa.MetaData) else getattr(value, "metadata", None)
    if not isinstance(metadata, sa.MetaData):
        raise ConfigurationError(f"{TARGET_METADATA_OPTION} = {hook}: {value!r} is not a MetaData or a Base.")
    return metadata


@contextmanager
def sqlite_foreign_keys_disabled(connection: sa.Connection) -> Iterator[None]:
    """Foreign-key enforcement off for the block on SQLite, restored afterwards; a no-op elsewhere.

    Set before the migration transaction begins, since the pragma does nothing inside one.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    was_enforced = bool(_pragma(connection, "PRAGMA foreign_keys"))
    if was_enforced:
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if was_enforced:
            _pragma(connection, "PRAGMA foreign_keys=ON")


@contextmanager
def sqlite_transactional_ddl(connection: sa.Connection) -> Iterator[None]:
    """Make the block's transaction cover DDL on SQLite, so a failing migration rolls back whole.

    Python's sqlite3 (before 3.12's ``autocommit``) commits implicitly before DDL; with its
    ``isolation_level`` at ``None`` and an explicit ``BEGIN`` when SQLAlchemy begins, every
    statement of the migration is in one transaction (SQLAlchemy's documented pysqlite recipe).
    A no-op elsewhere, and when the caller's own transaction is already open.
    """

    if connection.dialect.name != "sqlite" or connection.in_transaction():
        yield
        return
    driver = connection.connection.driver_connection
    previous = driver.isolation_level

    def begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    driver.isolation_level = None
    sa.event.listen(connection, "begin", begin)
    try:
        yield
    finally:
        sa.event.remove(connection, "begin", begin)
        driver.isolation_level = previous


def _pragma(connection: sa.Connection, statement: str) -> Any:
    """Run a pragma and return its value; end the transaction SQLAlchemy began for it, if any
    (a transaction the caller began is left alone)."""
    began_here = not connection.in_transaction()
    result = connection.exec_driver_sql(statement)
    value = result.scalar() if result.returns_rows else None
    if began_here:
        connection.commit()
    return value
