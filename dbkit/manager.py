"""DatabaseManager: one isolated declarative Base, engine and session factory per database.

Constructing a manager is free: nothing connects and no file is created until the first
session (or ``test_connection=True``) asks for a connection.
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm import registry as OrmRegistry  # noqa: N812 - the class, not an instance

from dbkit.errors import ConfigurationError, DatabaseConnectionError
from dbkit.naming import naming_convention

#: ``MetaData.info`` key the model generator fills: ``{table key: generated class}``. A ``MetaData``
#: handed to Alembic's env.py keeps its classes alive, with the ``migration_notes`` of their models,
#: even after the application drops the manager that generated them (SQLAlchemy's registries are
#: weak). Not ``Table.info``: Alembic renders that into migration scripts. Defined here, beside the
#: manager, so readers of a metadata need not import the generator (and Pydantic).
GENERATED_CLASSES_INFO = "dbkit.generated_classes"

#: The environment variable read when no URL is given.
DATABASE_URL_ENV = "DATABASE_URL"
#: The embedded default: an SQLite file in the working directory.
DEFAULT_SQLITE_FILE = "dbkit.sqlite3"
#: Root and system requester ids (read by the business layer's permission rules).
ROOT_ID_ENV = "ROOT_ID"
SYSTEM_ID_ENV = "SYSTEM_ID"
DEFAULT_ROOT_ID = "00000000-0000-4000-8000-000000000000"
DEFAULT_SYSTEM_ID = "00000000-0000-4000-8000-000000000001"

#: The primary-key column type of every dbkit entity: native UUID on PostgreSQL,
#: CHAR(32) elsewhere, and always a ``str`` with dashes in Python.
PK_COLUMN_TYPE = sa.Uuid(as_uuid=False)

_active_manager: contextvars.ContextVar[DatabaseManager | None] = contextvars.ContextVar(
    "dbkit_active_manager", default=None
)


def normalize_url(url: str | URL) -> URL:
    """Parse a URL, spelling bare ``postgresql://`` as psycopg 3 so SQLAlchemy 2.0 and 2.1 agree."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise ConfigurationError(
            f"Cannot parse database URL {str(url)!r}: {exc}. "
            "Use e.g. sqlite:///path/app.db or postgresql+psycopg://user@host/dbname."
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _prefix_slug(prefix: str) -> str:
    slug = re.sub(r"[^0-9A-Za-z]+", "_", prefix).strip("_").lower()
    if not slug:
        raise ConfigurationError(f"db_prefix {prefix!r} has no letters or digits to name a database with.")
    return slug


def apply_prefix(url: URL, db_prefix: str | None) -> URL:
    """The URL of the database isolated by ``db_prefix``: a sibling SQLite file or another PG database."""
    if not db_prefix:
        return url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return url  # every in-memory database is already isolated
        path = Path(url.database)
        return url.set(database=str(path.with_name(f"{db_prefix}.{path.name}")))
    return url.set(database=f"{_prefix_slug(db_prefix)}_{url.database or 'postgres'}")


def _make_base(metadata: sa.MetaData) -> type[DeclarativeBase]:
    """A fresh declarative base with its own registry, so two managers never share classes."""
    return type("Base", (DeclarativeBase,), {"metadata": metadata, "__module__": __name__})


def _adopted_base(base: Any) -> type[DeclarativeBase]:
    """The application's declarative base, checked: generated classes will subclass it and join its registry."""
    registry = getattr(base, "registry", None)
    metadata = getattr(base, "metadata", None)
    if (
        not isinstance(base, type)
        or not isinstance(registry, OrmRegistry)
        or not isinstance(metadata, sa.MetaData)
    ):
        raise ConfigurationError(
            f"DatabaseManager(base={base!r}): base must be the application's declarative base class "
            "(a DeclarativeBase subclass or the result of declarative_base()), whose registry and MetaData "
            "the generated classes join."
        )
    return base


def _adopted_metadata(metadata: Any) -> sa.MetaData:
    """The application's Core ``MetaData``, checked: a fresh declarative base over it makes generated
    tables join the hand-written ``Table`` declarations (same naming convention, foreign keys resolve)."""
    if not isinstance(metadata, sa.MetaData):
        raise ConfigurationError(
            f"DatabaseManager(metadata={metadata!r}): metadata must be the application's sa.MetaData() "
            "instance, the one its Core sa.Table(...) declarations are defined on."
        )
    return metadata


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class SessionScope(Generator[Session, None, None]):
    """What ``get_db()`` returns: a context manager *and* a generator dependency.

    ``with manager.get_db() as db`` and ``db = next(gen); ...; gen.close()`` (the FastAPI
    dependency protocol) both commit on success, roll back on error and always close.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._steps = self._run(factory)

    @staticmethod
    def _run(factory: sessionmaker[Session]) -> Iterator[Session]:
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def send(self, value: None) -> Session:
        return self._steps.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Session:
        return self._steps.throw(typ if val is None else val)

    def close(self) -> None:
        # Closing a generator paused at ``yield`` raises GeneratorExit inside it, which the
        # ``except BaseException`` would treat as an error: finish it normally instead.
        with suppress(StopIteration):
            next(self._steps)

    def __enter__(self) -> Session:
        return next(self._steps)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc is None:
            self.close()
            return False
        try:
            self._steps.throw(exc)
        except BaseException as raised:
            if raised is exc:
                return False
            raise
        return False


class DatabaseManager:
    """One database: its URL, an isolated ``Base``/``MetaData``, an engine and sessions.

    ``DatabaseManager(url, base=Base)`` adopts the application's declarative base instead (its
    registry, MetaData and naming convention): generated classes then join the hand-written ones,
    so foreign keys and string relationships resolve both ways during a gradual switch. The base
    module hands it to the default manager with ``DatabaseManager.set_default(DatabaseManager(base=Base))``.
    An application of Core ``sa.Table(..., metadata)`` declarations hands over its ``MetaData``
    instead: ``DatabaseManager(metadata=metadata)`` builds a fresh base over it (not both).

    As in the seed, ``DatabaseManager()`` with no argument is the process-wide instance
    (thread-safe, configured from ``$DATABASE_URL``), also reachable as ``DatabaseManager.default()``.
    Any argument (``DatabaseManager(url)``, ``DatabaseManager(db_prefix="test.x")``, even
    ``DatabaseManager(url=None)``) builds an independent manager for tests, tenants or tools.
    """

    _default: ClassVar[DatabaseManager | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __new__(cls, *args: Any, **kwargs: Any) -> DatabaseManager:
        if not args and not kwargs:
            return cls.default()
        return super().__new__(cls)

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        db_prefix: str | None = None,
        test_connection: bool = False,
        engine_options: dict[str, Any] | None = None,
        root_id: str | None = None,
        system_id: str | None = None,
        base: type[Any] | None = None,
        metadata: sa.MetaData | None = None,
    ) -> None:
        if self.__dict__.get("_initialised"):
            return  # DatabaseManager() handed back the already configured default instance
        self._initialised = True
        base_url = url or os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"
        self.db_prefix = db_prefix
        self.url: URL = apply_prefix(normalize_url(base_url), db_prefix)
        self.engine_options = dict(engine_options or {})
        self.root_id = root_id or os.environ.get(ROOT_ID_ENV, DEFAULT_ROOT_ID)
        self.system_id = system_id or os.environ.get(SYSTEM_ID_ENV, DEFAULT_SYSTEM_ID)
        if base is not None and metadata is not None:
            raise ConfigurationError(
                "DatabaseManager(base=..., metadata=...): give one. base= adopts a declarative base (its "
                "registry and MetaData); metadata= adopts the MetaData of Core tables that have no base."
            )
        #: Whether the schema is the application's own (``base=`` or ``metadata=``): generated and
        #: hand-written tables then share one MetaData (its naming convention included), and with
        #: ``base=`` one registry too.
        self.adopted_base = base is not None or metadata is not None
        if base is not None:
            self.Base: type[DeclarativeBase] = _adopted_base(base)
            self.metadata = self.Base.metadata
        else:
            self.metadata = (
                _adopted_metadata(metadata)
                if metadata is not None
                else sa.MetaData(naming_convention=naming_convention())
            )
            self.Base = _make_base(self.metadata)
        #: Generated SQLAlchemy classes, keyed by the Pydantic model they come from.
        self.generated: dict[type, type] = {}
        self._lock = threading.RLock()
        self._engine: Engine | None = None
        self._session_factory: sessionmaker[Session] | None = None
        self._pid: int | None = None
        if test_connection:
            self.test_connection()

    # -- process-wide default -------------------------------------------------------------
    @classmethod
    def default(cls) -> DatabaseManager:
        """The shared instance for this process, created on first use from ``DATABASE_URL``."""
        if cls._default is None:
            with cls._default_lock:
                if cls._default is None:
                    instance = super().__new__(cls)
                    instance.__init__(url=None)
                    cls._default = instance
        return cls._default

    @classmethod
    def set_default(cls, manager: DatabaseManager | None) -> None:
        with cls._default_lock:
            cls._default = manager

    @classmethod
    @contextmanager
    def default_scope(cls, manager: DatabaseManager) -> Iterator[DatabaseManager]:
        """Within the block ``manager`` is the default and no manager is active; both are restored after.

        The codebase loader imports a codebase under it, so a ``DatabaseManager.set_default(...)``
        the codebase's own base module runs stays inside the load, as its modules do.
        """
        with cls._default_lock:
            previous, cls._default = cls._default, manager
        token = _active_manager.set(None)
        try:
            yield manager
        finally:
            _active_manager.reset(token)
            with cls._default_lock:
                cls._default = previous

    @contextmanager
    def activate(self) -> Iterator[DatabaseManager]:
        """Make this the manager ``Model.DB`` generates against, within the block (and its tasks)."""
        token = _active_manager.set(self)
        try:
            yield self
        finally:
            _active_manager.reset(token)

    # -- dialect facts (no connection needed) ---------------------------------------------
    @property
    def dialect(self) -> sa.Dialect:
        return self.url.get_dialect()()

    @property
    def DATABASE_TYPE(self) -> str:
        """``"sqlite"`` or ``"postgresql"`` (the SQLAlchemy backend name)."""
        return self.url.get_backend_name()

    @property
    def PK_TYPE(self) -> sa.types.TypeEngine[Any]:
        """The dialect's own spelling of the primary-key type (``UUID`` on PostgreSQL, ``CHAR(32)`` on SQLite)."""
        return PK_COLUMN_TYPE.dialect_impl(self.dialect)

    # -- engine lifecycle --------------------------------------------------------------------
    def init_engine_config(self) -> Engine:
        """Create the engine and session factory (in the parent process, before any fork)."""
        with self._lock:
            if self._engine is None:
                self._engine = self._create_engine()
                self._session_factory = sessionmaker(bind=self._engine, expire_on_commit=False)
                self._pid = os.getpid()
            return self._engine

    def init_worker(self) -> None:
        """Call in a forked worker: drop the parent's pooled connections without closing them.

        Closing would send a termination message on a socket the parent still uses; SQLAlchemy's
        ``dispose(close=False)`` simply forgets them and opens new ones in this process.
        """
        with self._lock:
            if self._engine is None:
                self.init_engine_config()
                return
            self._engine.dispose(close=False)
            self._session_factory = sessionmaker(bind=self._engine, expire_on_commit=False)
            self._pid = os.getpid()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            return self.init_engine_config()
        if self._pid != os.getpid():  # forked without init_worker(): never reuse the parent's sockets
            self.init_worker()
        return self._engine

    def _create_engine(self) -> Engine:
        if self.db_prefix and self.DATABASE_TYPE == "postgresql":
            self._create_postgres_database_if_missing()
        engine = sa.create_engine(self.url, **self.engine_options)
        if self.DATABASE_TYPE == "sqlite":
            event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine

    def _create_postgres_database_if_missing(self) -> None:
        server = sa.create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with server.connect() as conn:
                exists = conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": self.url.database}
                ).scalar()
                if not exists:
                    quoted = server.dialect.identifier_preparer.quote(self.url.database)
                    conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
        except sa.exc.OperationalError as exc:
            raise self._connection_error(exc) from None
        finally:
            server.dispose()

    def _connection_error(self, exc: BaseException) -> DatabaseConnectionError:
        cause = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        return DatabaseConnectionError(
            f"Cannot connect to {self.url.render_as_string(hide_password=True)}: {cause}. "
            f"Check the URL (argument or ${DATABASE_URL_ENV}) and that the server is running."
        )

    def test_connection(self) -> None:
        """Connect once now; raise :class:`DatabaseConnectionError` with the URL and cause if that fails."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as exc:
            raise self._connection_error(exc) from None

    def dispose(self) -> None:
        """Close every pooled connection (the manager stays usable and reconnects on demand)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()

    # -- sessions ----------------------------------------------------------------------------
    @property
    def session_factory(self) -> sessionmaker[Session]:
        self.engine  # noqa: B018 - creates the factory, and renews it after a fork
        assert self._session_factory is not None
        return self._session_factory

    def get_db(self) -> SessionScope:
        """A session that commits on success, rolls back on error and always closes.

        Use as ``with manager.get_db() as db:`` or as a generator dependency.
        """
        return SessionScope(self.session_factory)

    def session_dependency(self) -> Iterator[Session]:
        """A real generator function, for frameworks that inspect the callable (FastAPI ``Depends``)."""
        with self.get_db() as db:
            yield db

    # -- schema --------------------------------------------------------------------------------
    def create_all(self) -> None:
        """Create every table of this manager's ``MetaData`` that does not exist yet (with ``base=``,
        the hand-written tables of that base too: one schema)."""
        self.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        self.metadata.drop_all(self.engine)

    def __repr__(self) -> str:
        return f"DatabaseManager({self.url.render_as_string(hide_password=True)!r})"


def active_manager() -> DatabaseManager:
    """The manager ``Model.DB`` uses: the one activated in this context, else the default."""
    return _active_manager.get() or DatabaseManager.default()
