"""Scaffold writes the Python type a column's values have (issue #17), not ``Any``.

Three codebases: a SQLModel one (``AutoString``, a ``uuid.UUID`` key with ``uuid4``), one heavy
with ``TypeDecorator`` s (GUID, JSONEncodedDict, ``MutableDict.as_mutable(JSON)``, a converting
String decorator) in a module that stays, and the bundled sample. Each is scaffolded, written,
imported and compared by ``dbkit parity``: no schema-level difference, and ``Any`` or an import of
the source ORM's helpers only where the report says why.
"""

from __future__ import annotations

import decimal
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from codebases import write_codebase
from test_scaffold import load_generated

from dbkit.generate.types import value_type
from dbkit.migrate import api
from dbkit.migrate.codemod.scaffold import ScaffoldResult, scaffold_codebase

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample_app"

SQLMODEL_HEROES = """
import uuid
from typing import Optional

from sqlmodel import Field, Relationship, SQLModel


class Team(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    headquarters: str


class Hero(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    age: Optional[int] = None
    team_id: Optional[int] = Field(default=None, foreign_key="team.id")
    team: Optional[Team] = Relationship()
"""

STORE_TYPES = '''
import json
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


class GUID(sa.types.TypeDecorator):
    """SQLAlchemy's backend-agnostic GUID recipe: UUID on PostgreSQL, CHAR(32) elsewhere."""

    impl = sa.CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(sa.CHAR(32))

    def process_bind_param(self, value, dialect):
        if value is None:
            return value
        value = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
        return str(value) if dialect.name == "postgresql" else "%.32x" % value.int

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value)


class JSONEncodedDict(sa.types.TypeDecorator):
    """SQLAlchemy's recipe: a dict stored as JSON text in a VARCHAR."""

    impl = sa.VARCHAR
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)


class Lowercase(sa.types.TypeDecorator):
    """A String decorator that converts what is written."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.lower()


class Trimmed(sa.types.TypeDecorator):
    """A String decorator that converts nothing: only its DDL matters."""

    impl = sa.String
    cache_ok = True
'''

DB_STORE = """
import sqlalchemy as sa
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlalchemy.orm import DeclarativeBase

from store_types import GUID, JSONEncodedDict, Lowercase, Trimmed


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    id = sa.Column(GUID(), primary_key=True)
    sku = sa.Column(Lowercase(40), nullable=False)
    label = sa.Column(Trimmed(80), nullable=False)
    attributes = sa.Column(JSONEncodedDict(), nullable=True)
    settings = sa.Column(MutableDict.as_mutable(sa.JSON), nullable=True)
    tags = sa.Column(MutableList.as_mutable(sa.JSON), nullable=True)
    picture = sa.Column(sa.LargeBinary, nullable=True)
    shelf_life = sa.Column(sa.Interval, nullable=True)
    price = sa.Column(sa.Numeric(10, 2), nullable=False)
    raw = sa.Column(sa.JSON, nullable=True)
"""


def scaffold_written(directory: Path) -> tuple[ScaffoldResult, dict[str, str]]:
    """Scaffold, write and import the modules; parity must find no schema-level difference."""
    result = scaffold_codebase(directory)
    result.write(directory)
    assert set(load_generated(directory, list(result.modules))) == set(result.modules)
    report = api.parity(directory)
    assert not report.has_schema_differences, report.to_json()
    assert {table.status for table in report.tables} == {"match"}
    return result, result.modules


def field_line(source: str, name: str) -> str:
    (line,) = [line.strip() for line in source.splitlines() if line.strip().startswith(f"{name}:")]
    return line


def test_a_sqlmodel_codebase_keeps_its_types_and_imports_nothing_from_sqlmodel(tmp_path: Path) -> None:
    directory = write_codebase(tmp_path / "heroes", {"DB_Heroes.py": SQLMODEL_HEROES})
    result, modules = scaffold_written(directory)
    source = modules["BLL_Heroes"]
    assert "sqlmodel" not in source and "Any" not in source, source
    assert "    name: Annotated[str, DBColumn(index=True)] = Field(max_length=100)\n" in source, source
    assert "    name: str = Field(max_length=100)\n" in source
    assert "    headquarters: str\n" in source
    # the uuid.UUID key keeps its type and its default factory (not the mixin's str id)
    assert (
        "    id: Annotated[uuid.UUID, DBColumn(primary_key=True)] = Field(default_factory=uuid4)\n" in source
    )
    assert not [p for p in result.problems if "typed as Any" in p.message or "installed package" in p.message]
    orm = api.parity(directory).differences("orm")
    assert not [d for _, d in orm if d.kind == "python_type"], orm


def test_a_type_decorator_codebase_is_typed_by_its_values(tmp_path: Path) -> None:
    directory = write_codebase(tmp_path / "store", {"store_types.py": STORE_TYPES, "DB_Store.py": DB_STORE})
    result, modules = scaffold_written(directory)
    source = modules["BLL_Store"]
    expected = {
        "id": "id: Annotated[uuid.UUID, DBColumn(sa_type=GUID(), primary_key=True)]",
        "sku": "sku: Annotated[str, DBColumn(sa_type=Lowercase(40))] = Field(max_length=40)",
        "label": "label: str = Field(max_length=80)",  # converts nothing: its String(80) is dbkit's own
        "attributes": "attributes: Annotated[dict[str, Any] | None, DBColumn(sa_type=JSONEncodedDict())] = None",
        # mutation tracking kept (tests/migrate/codemod/test_scaffold_mutation_tracking.py)
        "settings": "settings: Annotated[dict[str, Any] | None, DBColumn(sa_type=MutableDict.as_mutable(sa.JSON()))] = None",
        "tags": "tags: Annotated[list[Any] | None, DBColumn(sa_type=MutableList.as_mutable(sa.JSON()))] = None",
        "picture": "picture: bytes | None = None",
        "shelf_life": "shelf_life: dt.timedelta | None = None",
        "price": "price: decimal.Decimal = Field(max_digits=10, decimal_places=2)",
        "raw": "raw: Any | None = None",
    }
    assert {name: field_line(source, name) for name in expected} == expected, source
    typed_any = {p.column: p.message for p in result.problems if "typed as Any" in p.message}
    assert list(typed_any) == ["raw"]
    assert "a JSON column holds any JSON value" in typed_any["raw"]
    orm = api.parity(directory).differences("orm")
    assert not [d for _, d in orm if d.kind == "python_type"], orm


def test_decorators_of_an_installed_orm_package_are_replaced_or_reported(tmp_path: Path) -> None:
    """SQLModel's helpers used from plain SQLAlchemy: nothing imported from sqlmodel, losses reported."""
    codebase = {
        "DB_Files.py": """
            import sqlalchemy as sa
            from sqlalchemy.orm import DeclarativeBase
            from sqlmodel.sql.sqltypes import AutoString, UTCDateTime


            class Base(DeclarativeBase):
                pass


            class File(Base):
                __tablename__ = "files"
                id = sa.Column(sa.Integer, primary_key=True)
                name = sa.Column(AutoString(60), nullable=False)
                data = sa.Column(sa.PickleType, nullable=True)
                stamped = sa.Column(UTCDateTime(), nullable=False)
        """
    }
    directory = write_codebase(tmp_path / "files", codebase)
    result, modules = scaffold_written(directory)
    source = modules["BLL_Files"]
    # AutoString converts nothing: dbkit's String(60) is the same DDL, nothing imported for it
    assert "AutoString" not in source
    assert field_line(source, "name") == "name: str = Field(max_length=60)"
    (pickled,) = [p.message for p in result.problems if p.column == "data"]
    assert pickled.startswith("typed as Any (PickleType converts stored values"), pickled
    # UTCDateTime converts values (aware datetimes in UTC), but dbkit's datetime type has its DDL:
    # the source ORM's helper is not imported, and the lost conversion is reported
    assert field_line(source, "stamped") == "stamped: dt.datetime"
    (lost,) = [p.message for p in result.problems if p.column == "stamped"]
    assert lost.startswith(
        "type sqlmodel.sql.sqltypes.UTCDateTime is not written (it comes from the installed package "
        "'sqlmodel', and dbkit's own type has the same DDL): the field is typed datetime"
    ), lost
    assert "bind/result processing is not carried over" in lost


def test_the_sample_scaffolds_with_no_any(tmp_path: Path) -> None:
    directory = tmp_path / "sample"
    shutil.copytree(SAMPLE, directory, ignore=shutil.ignore_patterns("BLL_*.py", "__pycache__"))
    result, modules = scaffold_written(directory)
    for name, source in modules.items():
        assert "Any" not in source.replace("dict[str, Any]", ""), f"{name}:\n{source}"
    assert not [p for p in result.problems if "typed as Any" in p.message]


@pytest.mark.parametrize(
    ("column_type", "python_type"),
    [
        (sa.Uuid(), uuid.UUID),
        (sa.Uuid(as_uuid=False), str),
        (sa.Numeric(10, 2), decimal.Decimal),
        (sa.Numeric(10, 2, asdecimal=False), float),
        (sa.String(10), str),
        (sa.LargeBinary(), bytes),
    ],
)
def test_value_type_of_plain_types(column_type: sa.types.TypeEngine, python_type: type) -> None:
    assert value_type(column_type).python_type is python_type


def test_parity_shows_a_uuid_key_that_became_str(tmp_path: Path) -> None:
    """The orm level compares Python-side types: ``uuid.UUID`` → ``str`` is a difference, the DDL the same."""
    codebase = {
        "DB_Keys.py": """
            import uuid

            import sqlalchemy as sa
            from sqlalchemy.orm import DeclarativeBase


            class Base(DeclarativeBase):
                pass


            class Key(Base):
                __tablename__ = "keys"
                id = sa.Column(sa.Uuid(), primary_key=True, default=uuid.uuid4)
        """,
        "BLL_Keys.py": """
            from typing import Annotated, ClassVar

            import sqlalchemy as sa
            from dbkit import DatabaseMixin, DBColumn
            from dbkit.entity import new_id
            from pydantic import Field


            class KeyModel(DatabaseMixin):
                audit_columns: ClassVar[bool] = False

                id: Annotated[str, DBColumn(sa_type=sa.Uuid(as_uuid=False), primary_key=True)] = Field(
                    default_factory=new_id
                )
        """,
    }
    directory = write_codebase(tmp_path / "keys", codebase)
    report = api.parity(directory)
    assert not report.has_schema_differences, report.to_json()
    found = [d for _, d in report.differences("orm") if d.kind == "python_type"]
    assert [(d.object, d.hand_written, d.generated) for d in found] == [("keys.id", "uuid.UUID", "str")]


SHADOWING_FIELDS = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Dataset(Base):
    __tablename__ = "datasets"
    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.Uuid, nullable=True, unique=True)
    datetime = sa.Column(sa.DateTime, nullable=True)
    datetime_ = sa.Column(sa.Date, nullable=True)
    total = sa.Column(sa.Numeric(10, 2), nullable=True)
"""


def test_a_field_named_like_the_module_of_its_type_does_not_shadow_it(tmp_path: Path) -> None:
    """galaxy's ``uuid`` column: ``uuid: uuid.UUID | None = None`` in a class body makes the name
    ``uuid`` the field's default for every annotation after it; the module is imported as ``uuid_``."""
    directory = write_codebase(tmp_path / "datasets", {"DB_Datasets.py": SHADOWING_FIELDS})
    _, modules = scaffold_written(directory)
    source = modules["BLL_Datasets"]
    assert "import uuid as uuid_\n" in source, source
    assert field_line(source, "uuid").startswith("uuid: Annotated[uuid_.UUID | None"), source
    # datetime is imported as dt already, and a module no field is named after keeps its name
    assert "import datetime as dt\n" in source and "import decimal\n" in source, source
    assert field_line(source, "datetime_").startswith("datetime_: dt.date | None"), source
