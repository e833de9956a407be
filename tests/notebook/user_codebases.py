"""Codebases of other shapes than the bundled sample, for running the notebooks on "your own code".

Each shape is a small application a user could point the notebooks at, written into a test's
directory with a populated SQLite database and a second version of its models:

* ``logistics``: hand-written only (``DB_*.py``, no ``BLL_*.py``), with a shared base module
  ``DB_Base.py`` holding the declarative ``Base`` the other model files import;
* ``library``: Core ``sa.Table(..., metadata)`` declarations instead of ORM classes, and one
  ``BLL_*.py`` model written beside them with a drift (partly generated, Phase 1);
* ``garden``: already fully generated (``BLL_*.py`` only: Phase 3 is done).

No name here overlaps the sample's files, tables or classes, so a notebook output that mentions
the sample is a notebook still welded to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from codebases import write_codebase

from dbkit.migrate import api

_LOGISTICS_BASE = '''
    """The declarative base every model file of the logistics app imports."""

    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        metadata = sa.MetaData(
            naming_convention={
                "uq": "uq_%(table_name)s_%(column_0_N_name)s",
                "fk": "fk_%(table_name)s_%(column_0_N_name)s",
                "pk": "pk_%(table_name)s",
                "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            }
        )
'''

_LOGISTICS_DEPOTS = """
    import sqlalchemy as sa
    from sqlalchemy.orm import Mapped, mapped_column, relationship

    from DB_Base import Base

    class Warehouse(Base):
        __tablename__ = "warehouses"
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(sa.String(12), unique=True)
        city: Mapped[str | None] = mapped_column(sa.String(80))

    class Shelf(Base):
        __tablename__ = "shelves"
        id: Mapped[int] = mapped_column(primary_key=True)
        warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"))
        label: Mapped[str] = mapped_column(sa.String(20))

        warehouse = relationship(Warehouse, backref="shelves")
"""

_LOGISTICS_PARCELS = """
    import sqlalchemy as sa
    from sqlalchemy.orm import Mapped, mapped_column, relationship

    from DB_Base import Base
    from DB_Depots import Shelf

    class Parcel(Base):
        __tablename__ = "parcels"
        id: Mapped[int] = mapped_column(primary_key=True)
        shelf_id: Mapped[int] = mapped_column(sa.ForeignKey("shelves.id"))
        recipient: Mapped[str] = mapped_column(sa.String(120))
        weight_grams: Mapped[int | None] = mapped_column(sa.Integer)
        {parcel_extra}
        shelf = relationship(Shelf, backref="parcels")
"""

_LOGISTICS_JOBS = '''
    """Nightly jobs of the logistics app: application code using a hand-written class and the base."""

    from DB_Base import Base
    from DB_Parcels import Parcel

    def heavy_parcels(session, grams):
        return session.query(Parcel).filter(Parcel.weight_grams > grams).all()

    def table_names():
        return sorted(Base.metadata.tables)
'''

_LIBRARY_CATALOG = """
    import sqlalchemy as sa

    metadata = sa.MetaData()

    authors = sa.Table(
        "authors",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("born", sa.Integer, nullable=True),
    )

    books = sa.Table(
        "books",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("isbn", sa.String(13), nullable=True, unique=True),
        {book_extra}
    )
"""

_LIBRARY_REPORTS = '''
    """Application code reading a Core table directly (Phase 2 has no class to replace it with)."""

    import sqlalchemy as sa

    from DB_Catalog import books

    def titles(connection):
        return [row.title for row in connection.execute(sa.select(books.c.title))]
'''

_LIBRARY_MODELS = '''
    """The first generated model of the library app, written beside its Core tables (Phase 1)."""

    from typing import Annotated, ClassVar, Optional

    from pydantic import Field

    from dbkit import DatabaseMixin, DBColumn

    class AuthorModel(DatabaseMixin):
        audit_columns: ClassVar[bool] = False
        id: Annotated[Optional[int], DBColumn(primary_key=True)] = None
        name: str = Field(max_length=120)  # drift: the authors.name column is VARCHAR(100)
        born: Optional[int] = None
'''

_LIBRARY_LOANS = """
    import sqlalchemy as sa

    from DB_Catalog import metadata

    loans = sa.Table(
        "loans",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("book_id", sa.Integer, sa.ForeignKey("books.id"), nullable=False),
        sa.Column("borrower", sa.String(80), nullable=False),
        sa.Column("due_on", sa.Date, nullable=True),
    )
"""

_GARDEN = """
    from typing import ClassVar, Optional

    from pydantic import Field

    from dbkit import ApplicationModel, DatabaseMixin

    class GreenhouseModel(ApplicationModel, DatabaseMixin):
        table_comment: ClassVar[str] = "Glass houses of the nursery"
        name: str = Field(description="Display name", max_length=60)
        heated: bool = Field(False, description="Whether the house is heated")

    class PlantingModel(ApplicationModel, GreenhouseModel.ReferenceID, DatabaseMixin):
        species: str = Field(description="Latin name", max_length=80)
        quantity: Optional[int] = Field(None, description="Seedlings planted")
        {planting_extra}
"""


@dataclass(frozen=True)
class UserCodebase:
    """One shape on disk: its codebase directory, its next version, and its database file."""

    name: str
    codebase: Path
    evolution: Path
    database: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"


def _logistics(root: Path, version: int) -> Path:
    extra = 'tracking_code: Mapped[str | None] = mapped_column(sa.String(40), comment="Carrier code")'
    return write_codebase(
        root,
        {
            "DB_Base.py": _LOGISTICS_BASE,
            "DB_Depots.py": _LOGISTICS_DEPOTS,
            "DB_Parcels.py": _LOGISTICS_PARCELS.replace("{parcel_extra}", extra if version == 2 else ""),
            "jobs.py": _LOGISTICS_JOBS,
        },
    )


def _library(root: Path, version: int) -> Path:
    extra = 'sa.Column("pages", sa.Integer, nullable=True),'
    return write_codebase(
        root,
        {
            "DB_Catalog.py": _LIBRARY_CATALOG.replace("{book_extra}", extra if version == 2 else ""),
            "DB_Loans.py": _LIBRARY_LOANS,
            "BLL_Catalog.py": _LIBRARY_MODELS,
            "reports.py": _LIBRARY_REPORTS,
        },
    )


def _garden(root: Path, version: int) -> Path:
    extra = 'notes: Optional[str] = Field(None, description="Care notes", max_length=500)'
    return write_codebase(
        root, {"BLL_Garden.py": _GARDEN.replace("{planting_extra}", extra if version == 2 else "")}
    )


def _rows(name: str) -> dict[str, list[dict[str, object]]]:
    """A few deterministic rows per table, parents first."""
    if name == "logistics":
        return {
            "warehouses": [
                {"id": i, "code": f"WH{i:02d}", "city": None if i % 2 else "Lyon"} for i in (1, 2)
            ],
            "shelves": [{"id": i, "warehouse_id": 1 + i % 2, "label": f"S-{i}"} for i in range(1, 6)],
            "parcels": [
                {"id": i, "shelf_id": 1 + i % 5, "recipient": f"Recipient {i}", "weight_grams": 100 * i}
                for i in range(1, 21)
            ],
        }
    if name == "library":
        return {
            "authors": [{"id": i, "name": f"Author {i}", "born": 1900 + i} for i in range(1, 4)],
            "books": [
                {"id": i, "author_id": 1 + i % 3, "title": f"Volume {i}", "isbn": f"97800000000{i:02d}"}
                for i in range(1, 11)
            ],
            "loans": [{"id": i, "book_id": 1 + i % 10, "borrower": f"Reader {i}"} for i in range(1, 8)],
        }
    houses = [str(uuid.UUID(int=i)) for i in (1, 2)]
    return {
        "greenhouses": [
            {"id": houses[0], "name": "North", "heated": True},
            {"id": houses[1], "name": "South", "heated": False},
        ],
        "plantings": [
            {
                "id": str(uuid.UUID(int=100 + i)),
                "greenhouse_id": houses[i % 2],
                "species": f"Species {i}",
                "quantity": i or None,
            }
            for i in range(12)
        ],
    }


def _create_database(name: str, codebase: Path, database: Path) -> None:
    """The schema of ``codebase`` (hand-written where there is one, else generated) and its rows."""
    loaded = api.load(codebase, strict=True)
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        for metadata in loaded.hand_written_metadata() or [loaded.generated_metadata()]:
            metadata.create_all(engine)
        tables = {**loaded.generated_tables(), **loaded.hand_written_tables()}
        with engine.begin() as connection:
            for table, rows in _rows(name).items():
                connection.execute(sa.insert(tables[table]), rows)
    finally:
        engine.dispose()


SHAPES = {"logistics": _logistics, "library": _library, "garden": _garden}


def write_user_codebase(root: Path, name: str) -> UserCodebase:
    """Shape ``name`` (a key of :data:`SHAPES`) under ``root``: ``app/``, ``app_v2/``, ``app.sqlite3``."""
    write = SHAPES[name]
    shape = UserCodebase(name, write(root / "app", 1), write(root / "app_v2", 2), root / "app.sqlite3")
    _create_database(name, shape.codebase, shape.database)
    return shape
