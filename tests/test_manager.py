"""DatabaseManager: isolation, lazy connections, sessions, prefixes and fork safety."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dbkit import DatabaseConnectionError, DatabaseManager
from dbkit.entity import BaseMixin
from dbkit.errors import ConfigurationError
from dbkit.manager import normalize_url


def _notes_table(manager: DatabaseManager) -> type:
    class Note(manager.Base, BaseMixin):
        __tablename__ = "notes"
        body = sa.Column(sa.String(50), nullable=False)

    return Note


def test_constructing_a_manager_neither_connects_nor_creates_a_file(tmp_path: Path) -> None:
    path = tmp_path / "lazy.sqlite3"
    manager = DatabaseManager(f"sqlite:///{path}")
    _notes_table(manager)
    assert not path.exists()
    assert manager._engine is None


def test_default_url_comes_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    assert DatabaseManager(url=None).url.database == str(tmp_path / "env.sqlite3")


def test_embedded_sqlite_file_is_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    manager = DatabaseManager(url=None)
    assert manager.DATABASE_TYPE == "sqlite"
    assert manager.url.database == str(tmp_path / "dbkit.sqlite3")


def test_bare_postgresql_url_uses_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def test_unparseable_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="Cannot parse database URL"):
        DatabaseManager("not a url")


def test_db_prefix_isolates_a_sibling_sqlite_file(tmp_path: Path) -> None:
    manager = DatabaseManager(f"sqlite:///{tmp_path / 'app.db'}", db_prefix="test.integration")
    assert manager.url.database == str(tmp_path / "test.integration.app.db")


@pytest.mark.postgres
def test_db_prefix_creates_a_separate_postgres_database(postgres_url: str) -> None:
    manager = DatabaseManager(postgres_url, db_prefix="test.integration", test_connection=True)
    try:
        assert manager.url.database.startswith("test_integration_")
        with manager.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == manager.url.database
    finally:
        manager.dispose()
        admin = sa.create_engine(normalize_url(postgres_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{manager.url.database}" WITH (FORCE)'))
        admin.dispose()


def test_test_connection_fails_clearly_when_unreachable() -> None:
    with pytest.raises(
        DatabaseConnectionError, match=r"Cannot connect to postgresql\+psycopg://nobody@127.0.0.1:1/x"
    ):
        DatabaseManager("postgresql://nobody@127.0.0.1:1/x", test_connection=True)


def test_pk_type_and_database_type_report_the_dialect_view(database_url: str) -> None:
    manager = DatabaseManager(database_url)
    assert manager.DATABASE_TYPE in ("sqlite", "postgresql")
    expected = "UUID" if manager.DATABASE_TYPE == "postgresql" else "CHAR(32)"
    assert manager.PK_TYPE.compile(dialect=manager.dialect) == expected


def test_get_db_commits_on_success(manager: DatabaseManager) -> None:
    Note = _notes_table(manager)
    manager.create_all()
    with manager.get_db() as db:
        db.add(Note(body="kept"))
    with manager.get_db() as db:
        assert db.scalars(sa.select(Note.body)).all() == ["kept"]


def test_get_db_rolls_back_on_error(manager: DatabaseManager) -> None:
    Note = _notes_table(manager)
    manager.create_all()
    with pytest.raises(RuntimeError, match="boom"), manager.get_db() as db:
        db.add(Note(body="lost"))
        db.flush()
        raise RuntimeError("boom")
    with manager.get_db() as db:
        assert db.scalars(sa.select(Note)).all() == []


def test_get_db_works_as_a_generator_dependency(manager: DatabaseManager) -> None:
    Note = _notes_table(manager)
    manager.create_all()
    dependency = manager.get_db()
    db = next(dependency)
    assert isinstance(db, Session)
    db.add(Note(body="via generator"))
    dependency.close()  # what a framework does after the request
    failing = manager.get_db()
    next(failing).add(Note(body="rolled back"))
    with pytest.raises(ValueError):
        failing.throw(ValueError("request failed"))
    with manager.get_db() as check:
        assert check.scalars(sa.select(Note.body)).all() == ["via generator"]


def test_two_managers_never_share_tables_or_connections(tmp_path: Path) -> None:
    first = DatabaseManager(f"sqlite:///{tmp_path / 'one.db'}")
    second = DatabaseManager(f"sqlite:///{tmp_path / 'two.db'}")
    assert first.Base is not second.Base and first.metadata is not second.metadata
    FirstNote, SecondNote = _notes_table(first), _notes_table(second)
    first.create_all()
    second.create_all()
    with first.get_db() as db:
        db.add(FirstNote(body="only in one"))
    with second.get_db() as db:
        assert db.scalars(sa.select(SecondNote)).all() == []
    assert first.engine is not second.engine


def test_default_manager_is_one_instance_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DatabaseManager, "_default", None)
    seen: list[DatabaseManager] = []
    threads = [threading.Thread(target=lambda: seen.append(DatabaseManager())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(m) for m in seen}) == 1
    assert seen[0] is DatabaseManager.default()
    assert DatabaseManager(db_prefix="tenant") is not seen[0]


def _child_counts_notes(manager: DatabaseManager, note_class: type, queue: multiprocessing.Queue) -> None:
    manager.init_worker()
    with manager.get_db() as db:
        queue.put((os.getpid(), db.scalar(sa.select(sa.func.count()).select_from(note_class))))


# A prefork server (gunicorn) forks from a single-threaded parent; this test forks from pytest's process,
# which has threads by then, so Python 3.12+ warns. The fork is the test's own, never dbkit's.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
def test_init_worker_gives_a_forked_worker_its_own_connections(manager: DatabaseManager) -> None:
    Note = _notes_table(manager)
    manager.init_engine_config()
    manager.create_all()
    with manager.get_db() as db:
        db.add(Note(body="before fork"))
    parent_connection = manager.engine.pool.checkedin()
    assert parent_connection >= 1  # the parent holds a pooled connection across the fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_child_counts_notes, args=(manager, Note, queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert sorted(count for _, count in results) == [1, 1]
    with manager.get_db() as db:  # the parent's pooled connection still works after the children ran
        db.add(Note(body="after fork"))
    with manager.get_db() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Note)) == 2
