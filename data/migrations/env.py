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
    engine = connectable or sa.create_engine(
        database_url(config, context.get_x_argument(as_dictionary=True).get("url")),
        poolclass=sa.pool.NullPool,
    )
    with engine.connect() as connection:
        run_migrations_on(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
