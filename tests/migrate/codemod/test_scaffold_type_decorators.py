"""Scaffold writes only type expressions that rebuild the hand-written type (issue #10's corpus).

A custom ``TypeDecorator`` is written as a constructor call built from its attributes, which does
not always rebuild it (zenml's ``UTCDateTime`` takes no argument, prefect's ``Pydantic`` needs a
positional one): the call is evaluated and compiled first; one that fails is replaced by the
decorator's storage type (same DDL, reported), and a type with no such fallback leaves its table
hand-written ("no model scaffolded: ..."), never the whole module unimportable. Each case is a
codebase directory in ``tmp_path``: scaffolded, written, imported, and compared by ``dbkit parity``.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from scaffold_support import run_generated
from test_scaffold import ddl, load_generated

from dbkit.cli import main
from dbkit.migrate import api
from dbkit.migrate.codemod.scaffold import (
    ScaffoldError,
    ScaffoldGenerator,
    ScaffoldResult,
    SourceTable,
    scaffold,
    scaffold_codebase,
)
from dbkit.migrate.source.codebase import load_codebase

#: A module of column types that stays after Phase 3 (not a ``DB_*`` file).
SHELF_TYPES = '''
import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.types import UserDefinedType


class UTCDateTime(sa.types.TypeDecorator):
    """zenml's shape: DateTime(timezone=True) stored, but __init__ takes no ``timezone``."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def __init__(self):
        super().__init__()

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class PydanticText(sa.types.TypeDecorator):
    """prefect's shape: a required positional argument the instance keeps under another name."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, pydantic_type, sa_column_type=None):
        super().__init__()
        self._pydantic_type = pydantic_type

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)


class Code(sa.types.TypeDecorator):
    """A decorator whose constructor call rebuilds it: written as is (it converts values)."""

    impl = sa.CHAR
    cache_ok = True

    def __init__(self, length):
        super().__init__(length)

    def process_bind_param(self, value, dialect):
        return None if value is None else value.strip()


class WrappedCode(sa.types.TypeDecorator):
    """A decorator over a decorator: its own call does not rebuild it, its impl's does."""

    impl = sa.CHAR
    cache_ok = True

    def __init__(self, size):
        super().__init__()
        self.impl = Code(size)


class Vector(UserDefinedType):
    """A type of its own, no storage type to fall back to, its argument kept under another name."""

    cache_ok = True

    def __init__(self, dim):
        self.dimensions = dim

    def get_col_spec(self, **kw):
        return f"VECTOR({self.dimensions})"
'''

DB_SHELF_HEADER = """
import sqlalchemy as sa
from shelf_types import Code, PydanticText, UTCDateTime, Vector, WrappedCode
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass
"""

BOOK = """
class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    {column}
"""


def codebase(tmp_path: Path, *classes: str) -> Path:
    """A codebase directory: ``shelf_types.py`` and a ``DB_Shelf.py`` defining ``classes``."""
    directory = tmp_path / "codebase"
    directory.mkdir()
    (directory / "shelf_types.py").write_text(textwrap.dedent(SHELF_TYPES))
    body = "\n".join(textwrap.dedent(item) for item in classes)
    (directory / "DB_Shelf.py").write_text(textwrap.dedent(DB_SHELF_HEADER) + "\n" + body)
    return directory


def scaffold_and_check(directory: Path) -> tuple[ScaffoldResult, str]:
    """Scaffold the codebase, write and import the module, and require ``dbkit parity`` to find
    no schema-level difference (a table left hand-written is ``hand_written_only``)."""
    result = scaffold_codebase(directory)
    result.write(directory)
    assert set(load_generated(directory, list(result.modules))) == set(result.modules)
    report = api.parity(directory)
    assert not report.has_schema_differences, report.to_json()
    assert main(["parity", str(directory)]) == 0
    return result, result.modules["BLL_Shelf"]


def problems_of(result: ScaffoldResult, table: str, column: str | None) -> list[str]:
    return [p.message for p in result.problems if (p.table, p.column) == (table, column)]


def statuses(directory: Path) -> dict[str, str]:
    return {table.table: table.status for table in api.parity(directory).tables}


# -- decorators whose constructor call does not rebuild them ------------------------------------------
def test_a_converting_decorator_its_call_does_not_rebuild_is_typed_by_its_values(tmp_path: Path) -> None:
    """zenml's UTCDateTime: its values are datetimes, whose dbkit type has the same DDL; the loss is reported."""
    column = "published_at = mapped_column(UTCDateTime(), nullable=True)"
    directory = codebase(tmp_path, BOOK.format(column=column))
    result, source = scaffold_and_check(directory)
    assert "    published_at: dt.datetime | None = None\n" in source, source
    assert statuses(directory) == {"books": "match"}
    (message,) = problems_of(result, "books", "published_at")
    assert message.startswith(
        "type shelf_types.UTCDateTime is not written (UTCDateTime(timezone=True) raises TypeError: "
        "UTCDateTime.__init__() got an unexpected keyword argument 'timezone'): the field is typed datetime"
    ), message
    assert "bind/result processing is not carried over" in message


def test_a_converting_decorator_with_other_ddl_is_written_as_its_storage_type(tmp_path: Path) -> None:
    """prefect's Pydantic type holds dicts as TEXT: its storage type keeps the DDL, and the field its str values."""
    directory = codebase(
        tmp_path, BOOK.format(column="details = mapped_column(PydanticText(dict), nullable=False)")
    )
    result, source = scaffold_and_check(directory)
    assert "    details: Annotated[str, DBColumn(sa_type=sa.Text())]\n" in source, source
    assert statuses(directory) == {"books": "match"}
    (message,) = problems_of(result, "books", "details")
    assert "is written as its storage type" in message, message
    assert (
        "PydanticText() raises TypeError: PydanticText.__init__() missing 1 required positional argument"
        in message
    )
    assert "Python-side behaviour (bind/result processing) is not carried over" in message


def test_a_decorator_over_a_decorator_is_written_as_the_inner_one(tmp_path: Path) -> None:
    """WrappedCode converts nothing itself: its storage type, Code(8), is written, with nothing lost."""
    directory = codebase(tmp_path, BOOK.format(column="code = mapped_column(WrappedCode(8), nullable=True)"))
    result, source = scaffold_and_check(directory)
    assert (
        "    code: Annotated[str | None, DBColumn(sa_type=Code(8))] = Field(None, max_length=8)\n" in source
    ), source
    assert problems_of(result, "books", "code") == []


def test_the_fallback_source_is_exact(tmp_path: Path) -> None:
    directory = codebase(
        tmp_path,
        BOOK.format(column="details = mapped_column(PydanticText(dict), nullable=False)"),
    )
    _result, source = scaffold_and_check(directory)
    assert source == (
        '"""Business-logic models scaffolded by dbkit from DB_Shelf: review, then own this file."""\n'
        "\n"
        "from typing import Annotated, ClassVar\n"
        "\n"
        "import sqlalchemy as sa\n"
        "from dbkit import DatabaseMixin, DBColumn\n"
        "\n"
        "\n"
        "class BookModel(DatabaseMixin):\n"
        "    audit_columns: ClassVar[bool] = False\n"
        "\n"
        "    id: Annotated[int | None, DBColumn(primary_key=True)] = None\n"
        "    details: Annotated[str, DBColumn(sa_type=sa.Text())]\n"
    )


def test_a_decorator_its_call_rebuilds_is_kept_as_is(tmp_path: Path) -> None:
    directory = codebase(tmp_path, BOOK.format(column="isbn = mapped_column(Code(13), nullable=True)"))
    result, source = scaffold_and_check(directory)
    assert (
        "    isbn: Annotated[str | None, DBColumn(sa_type=Code(13))] = Field(None, max_length=13)\n" in source
    ), source
    assert "from shelf_types import Code\n" in source
    assert statuses(directory) == {"books": "match"}
    assert problems_of(result, "books", "isbn") == []


def test_the_zenml_and_prefect_shapes_in_one_table_generate_the_same_ddl(tmp_path: Path) -> None:
    """The in-memory path too: the generated module lints clean, imports, and gives the same DDL."""
    from test_scaffold import dbkit_metadata

    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(SHELF_TYPES), namespace)  # the types of a module that is not a DB_* file
    metadata = dbkit_metadata()
    table = sa.Table(
        "events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", namespace["UTCDateTime"](), nullable=False),
        sa.Column("payload", namespace["PydanticText"](dict), nullable=False),
    )
    result = scaffold([SourceTable(table, None, "DB_Events")])
    generated = run_generated(result, tmp_path)
    assert ddl(generated["events"]) == ddl(table)
    lost = ("is not carried over", "no Python-side conversion")
    assert {p.column for p in result.problems if any(text in p.message for text in lost)} == {"at", "payload"}


# -- no source at all: the table stays hand-written, the others are scaffolded -----------------------
AUTHOR = """
class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
"""
EMBEDDING = """
class Embedding(Base):
    __tablename__ = "embeddings"
    id: Mapped[int] = mapped_column(primary_key=True)
    vector = mapped_column(Vector(3), nullable=False)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id"))
"""
HIGHLIGHT = """
class Highlight(Base):
    __tablename__ = "highlights"
    id: Mapped[int] = mapped_column(primary_key=True)
    embedding_id: Mapped[int] = mapped_column(sa.ForeignKey("embeddings.id"))
"""


def test_a_type_with_no_rebuilding_source_leaves_only_its_table_hand_written(tmp_path: Path) -> None:
    directory = codebase(tmp_path, AUTHOR, EMBEDDING, HIGHLIGHT)
    result, source = scaffold_and_check(directory)
    assert set(result.models) == {"authors", "highlights"}
    assert "Vector" not in source and "EmbeddingModel" not in source
    # the reference to the table left hand-written is a plain foreign key, as to any such table
    assert 'embedding_id: Annotated[int, DBColumn(foreign_key="embeddings.id")]' in source, source
    assert statuses(directory) == {
        "authors": "match",
        "embeddings": "hand_written_only",
        "highlights": "match",
    }
    (refusal,) = problems_of(result, "embeddings", None)
    assert refusal.startswith(
        "no model scaffolded: column 'vector' has type shelf_types.Vector, and no source scaffold can "
        "write rebuilds it (Vector() raises TypeError: Vector.__init__() missing 1 required positional "
        "argument: 'dim'). Keep DB_Shelf.py's definition of the table by hand"
    ), refusal
    assert [p.message for p in result.problems if p.table == "embeddings"] == [refusal]  # nothing else


def test_a_table_whose_planning_fails_unexpectedly_is_reported_and_skipped(tmp_path: Path) -> None:
    class Fragile(ScaffoldGenerator):
        def plan_field(self, model: Any, column: sa.Column[Any]) -> Any:
            if column.name == "vector":
                raise RuntimeError("a hook broke")
            return super().plan_field(model, column)

    metadata = sa.MetaData()
    authors = sa.Table("authors", metadata, sa.Column("id", sa.Integer, primary_key=True))
    embeddings = sa.Table(
        "embeddings",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("vector", sa.Text),
        sa.Column("author_id", sa.ForeignKey("authors.id")),
    )
    highlights = sa.Table(
        "highlights",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("embedding_id", sa.ForeignKey("embeddings.id")),
    )
    tables = [SourceTable(t, None, "DB_Shelf") for t in (authors, embeddings, highlights)]
    result = Fragile(tables).generate()
    assert set(result.models) == {"authors", "highlights"}
    (refusal,) = problems_of(result, "embeddings", None)
    assert refusal.startswith(
        "no model scaffolded: planning it failed unexpectedly at column 'vector' (RuntimeError: a hook broke)"
    ), refusal
    assert 'DBColumn(foreign_key="embeddings.id")' in result.modules["BLL_Shelf"]


def test_nothing_scaffoldable_is_a_clear_error() -> None:
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(SHELF_TYPES), namespace)
    table = sa.Table(
        "embeddings",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("vector", namespace["Vector"](3)),
    )
    with pytest.raises(ScaffoldError, match=r"Nothing to scaffold: .*embeddings: no model scaffolded"):
        scaffold([SourceTable(table, None, "DB_Shelf")])


# -- a variant for a dialect beyond PostgreSQL and SQLite is kept ----------------------------------
def test_a_mysql_variant_is_kept_not_derived_away(tmp_path: Path) -> None:
    """zenml's ``String(16777215).with_variant(MEDIUMTEXT, "mysql")``: the registry derives no variant."""
    column = 'text = mapped_column(sa.String(16777215).with_variant(sa.dialects.mysql.MEDIUMTEXT(), "mysql"))'
    directory = codebase(tmp_path, "import sqlalchemy.dialects.mysql\n" + BOOK.format(column=column))
    _result, source = scaffold_and_check(directory)
    assert 'sa_type=sa.String(16777215).with_variant(mysql.MEDIUMTEXT(), "mysql")' in source, source
    assert statuses(directory) == {"books": "match"}


def test_the_hostile_codebase_scaffolds_every_other_table(tmp_path: Path) -> None:
    """``tests/hostile/unrebuildable_column_types`` loads and scaffolds in place of the real corpus."""
    hostile = Path(__file__).resolve().parents[2] / "hostile" / "unrebuildable_column_types"
    directory = tmp_path / "codebase"
    shutil.copytree(hostile, directory)
    assert not load_codebase(directory).errors
    result = scaffold_codebase(directory)
    assert set(result.models) == {"authors", "books", "highlights"}
