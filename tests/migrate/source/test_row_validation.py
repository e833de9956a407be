"""validate_rows / ``dbkit validate-data``: stored rows against their BLL model, read-only, both backends.

The database is created from a hand-written module looser than its model (as a database that grew
up on SQLite is): rows the DDL accepts but the model rejects (a pattern, a ``ge``, an enum stored
as VARCHAR, a field validator, a NULL) are planted, and exactly those are reported.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from codebases import write_codebase

from dbkit.cli import main
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.row_validation import (
    RowValidationError,
    _read_only_connection,
    read_only_url,
    validate_rows,
)

DB_SHOP = """
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    id = sa.Column(sa.Uuid(), primary_key=True, default=uuid.uuid4)
    sku = sa.Column(sa.String(20), nullable=False)
    price = sa.Column(sa.Numeric(10, 2), nullable=False)
    grade = sa.Column(sa.String(10), nullable=False)
    contact = sa.Column(sa.String(120), nullable=True)
"""

BLL_SHOP = """
import decimal
import enum
import uuid
from typing import Annotated, ClassVar

from dbkit import DatabaseMixin, DBColumn
from pydantic import Field, field_validator


class Grade(str, enum.Enum):
    a = "a"
    b = "b"


class ProductModel(DatabaseMixin):
    table_name: ClassVar[str] = "products"
    audit_columns: ClassVar[bool] = False

    id: Annotated[uuid.UUID, DBColumn(primary_key=True)] = Field(default_factory=uuid.uuid4)
    sku: str = Field(max_length=8, pattern=r"^[A-Z0-9-]+$")
    price: decimal.Decimal = Field(max_digits=10, decimal_places=2, ge=0)
    grade: Annotated[Grade, DBColumn(native_enum=False, enum_by="value")]
    contact: str = Field(max_length=120)

    @field_validator("contact")
    @classmethod
    def contact_is_an_email(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("not an e-mail address")
        return value
"""

GOOD = {"sku": "AB-12", "price": "9.50", "grade": "a", "contact": "ops@example.com"}
#: (key, column, stored value, field, Pydantic error type): one planted anomaly per row.
PLANTED: list[tuple[int, str, Any, str, str]] = [
    (2, "sku", "TOOLONGSKU1", "sku", "string_too_long"),
    (3, "sku", "bad sku", "sku", "string_pattern_mismatch"),
    (5, "price", "-1.00", "price", "greater_than_equal"),
    (6, "grade", "z", "grade", "enum"),
    (8, "contact", "nobody", "contact", "value_error"),
    (9, "contact", None, "contact", "string_type"),
]
ROWS = 12


def key(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


@pytest.fixture
def shop(tmp_path: Path, database_url: str) -> tuple[Path, str]:
    """The codebase, and a database holding its table (hand-written DDL) with :data:`PLANTED` rows."""
    directory = write_codebase(tmp_path / "shop", {"DB_Shop.py": DB_SHOP, "BLL_Shop.py": BLL_SHOP})
    codebase = load_codebase(directory)
    table = codebase.hand_written["products"].table
    rows = [{"id": key(n), **GOOD} for n in range(ROWS)]
    for n, column, value, _, _ in PLANTED:
        rows[n][column] = value
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert(), rows)
    engine.dispose()
    return directory, database_url


def test_exactly_the_planted_rows_fail_with_pydantics_messages(shop: tuple[Path, str]) -> None:
    directory, url = shop
    report = validate_rows(load_codebase(directory), url, batch_size=4)
    (table,) = report.tables
    assert (table.table, table.model, table.rows, table.failing) == ("products", "ProductModel", ROWS, 6)
    found = [(failure.key, failure.field, failure.type) for failure in table.failures]
    assert found == [({"id": str(key(n))}, field, kind) for n, _, _, field, kind in PLANTED]
    assert dict(table.counts) == {(field, kind): 1 for _, _, _, field, kind in PLANTED}
    assert table.counts_by_field() == {"contact": 2, "grade": 1, "price": 1, "sku": 2}
    by_field = {failure.field: failure for failure in table.failures}
    assert by_field["grade"].message == "Input should be 'a' or 'b'"
    assert by_field["grade"].value == "'z'"
    assert "not an e-mail address" in next(f.message for f in table.failures if f.type == "value_error")
    assert not report.ok


def test_first_failures_are_capped_and_counts_cover_every_row(shop: tuple[Path, str]) -> None:
    directory, url = shop
    (table,) = validate_rows(load_codebase(directory), url, first_failures=2, batch_size=3).tables
    assert len(table.failures) == 2 and table.failing == 6 and sum(table.counts.values()) == 6
    assert table.first_failing_key == {"id": str(key(2))}


def test_validate_data_command_json_and_exit_status(
    shop: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    directory, url = shop
    assert main(["validate-data", str(directory), "--url", url, "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    (table,) = document["tables"]
    assert {"table", "rows", "failing", "failures"} <= table.keys()
    assert (table["table"], table["rows"], table["failing"]) == ("products", ROWS, 6)
    assert {"key", "field", "type", "message"} <= table["failures"][0].keys()
    assert main(["validate-data", str(directory), "--url", url]) == 1
    out = capsys.readouterr().out
    assert "products (ProductModel): 12 rows, 6 failing" in out
    assert "  sku: 1 row(s) string_too_long" in out
    assert out.endswith("6 row(s) fail their model's validation\n")


def test_a_clean_table_exits_0(tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    directory = write_codebase(tmp_path / "shop", {"DB_Shop.py": DB_SHOP, "BLL_Shop.py": BLL_SHOP})
    table = load_codebase(directory).hand_written["products"].table
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert(), [{"id": key(n), **GOOD} for n in range(3)])
    engine.dispose()
    assert main(["validate-data", str(directory), "--url", database_url, "--table", "products"]) == 0
    assert capsys.readouterr().out.endswith("every row validates\n")


def test_an_unknown_table_is_a_clear_error(
    shop: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    directory, url = shop
    with pytest.raises(
        RowValidationError, match=r"No BLL model for table .orders.*Tables with a model: products"
    ):
        validate_rows(load_codebase(directory), url, "orders")
    assert main(["validate-data", str(directory), "--url", url, "--table", "orders"]) == 2
    assert "No BLL model for table 'orders'" in capsys.readouterr().err


def test_a_table_missing_from_the_database_is_reported(tmp_path: Path, database_url: str) -> None:
    directory = write_codebase(tmp_path / "shop", {"DB_Shop.py": DB_SHOP, "BLL_Shop.py": BLL_SHOP})
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE other (x INTEGER)"))
    engine.dispose()
    (table,) = validate_rows(load_codebase(directory), database_url).tables
    assert table.error is not None and "not in the database" in table.error and table.rows == 0


def test_a_missing_sqlite_file_is_a_clear_error_and_is_not_created(tmp_path: Path) -> None:
    directory = write_codebase(tmp_path / "shop", {"DB_Shop.py": DB_SHOP, "BLL_Shop.py": BLL_SHOP})
    missing = tmp_path / "nowhere.sqlite3"
    with pytest.raises(RowValidationError, match="No SQLite database at"):
        validate_rows(load_codebase(directory), f"sqlite:///{missing}")
    assert not missing.exists()


def test_the_connection_cannot_write(shop: tuple[Path, str]) -> None:
    """SQLite opens the file with mode=ro; PostgreSQL runs a READ ONLY transaction."""
    _, url = shop
    engine = sa.create_engine(read_only_url(url))
    try:
        with _read_only_connection(engine) as connection, pytest.raises(sa.exc.DBAPIError) as caught:
            connection.execute(sa.text("DELETE FROM products"))
    finally:
        engine.dispose()
    assert "read" in str(caught.value).lower() and "only" in str(caught.value).lower()
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM products")).scalar() == ROWS
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "database", "mode"),
    [
        ("sqlite:///data/app.db", "file:data/app.db", "ro"),
        ("sqlite:////abs/app.db", "file:/abs/app.db", "ro"),
        ("sqlite:///file:app.db?uri=true", "file:app.db", "ro"),
        ("sqlite:///file:app.db?mode=rw&uri=true", "file:app.db", "rw"),
    ],
)
def test_read_only_url_of_a_sqlite_file(url: str, database: str, mode: str) -> None:
    found = read_only_url(url)
    assert (found.database, found.query.get("mode"), found.query.get("uri")) == (database, mode, "true")


@pytest.mark.parametrize("url", ["sqlite://", "postgresql://u@h/db"])
def test_read_only_url_leaves_others(url: str) -> None:
    assert read_only_url(url) == sa.make_url(url)
