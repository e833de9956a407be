"""validate_rows reads only what the database does not guarantee, and still finds every bad row.

Each field is proven by the column's DDL on this backend (never read), checked per row by an SQL
condition (read again only where it fails), or validated in Python. The database here is created
from raw DDL looser than the model in places (a wider VARCHAR, a nullable column, an enum stored
as VARCHAR) and exactly as strict in others: the report must name the proven fields, never select
them, and still find every planted row, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar

import pytest
import sqlalchemy as sa
from codebases import write_codebase
from pydantic import Field, field_validator, model_validator

from dbkit import DatabaseMixin, DBColumn
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.row_guarantees import StoredColumn, plan_fields
from dbkit.migrate.source.row_validation import validate_rows

BLL_ACCOUNTS = """
import enum
from typing import Annotated, ClassVar

from dbkit import DatabaseMixin, DBColumn
from pydantic import Field


class Tier(str, enum.Enum):
    free = "free"
    team = "team"


class AccountModel(DatabaseMixin):
    table_name: ClassVar[str] = "accounts"
    audit_columns: ClassVar[bool] = False

    id: Annotated[int, DBColumn(primary_key=True)]
    code: str = Field(max_length=10)
    name: str = Field(max_length=10)
    seats: int = Field(ge=1, le=100)
    total: int
    tier: Annotated[Tier, DBColumn(native_enum=False, enum_by="value")]
    label: str
    active: bool
    email: str = Field(pattern=r"^[^@]+@[^@]+$")
"""

#: The stored DDL: ``code`` exactly as wide as the model allows, ``name`` wider, ``label`` nullable.
DDL = """
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    code VARCHAR(10) NOT NULL,
    name VARCHAR(100) NOT NULL,
    seats INTEGER NOT NULL,
    total BIGINT NOT NULL,
    tier VARCHAR(20) NOT NULL,
    label TEXT,
    active BOOLEAN NOT NULL,
    email VARCHAR(50) NOT NULL
)
"""
GOOD: dict[str, Any] = {
    "code": "C1",
    "name": "Ann",
    "seats": 3,
    "total": 10**12,
    "tier": "team",
    "label": "x",
    "active": True,
    "email": "ann@example.com",
}
#: (id, column, stored value, field, Pydantic error type), on both backends.
PLANTED: list[tuple[int, str, Any, str, str]] = [
    (2, "name", "n" * 20, "name", "string_too_long"),
    (3, "seats", 0, "seats", "greater_than_equal"),
    (4, "tier", "gold", "tier", "enum"),
    (5, "label", None, "label", "string_type"),
    (6, "email", "nobody", "email", "string_pattern_mismatch"),
]
#: What SQLite stores and PostgreSQL refuses: type affinity is not a type, VARCHAR(n) is not a limit.
SQLITE_ONLY: list[tuple[int, str, Any, str, str]] = [
    (7, "seats", "many", "seats", "int_parsing"),
    (8, "active", 2, "active", "bool_parsing"),
    (9, "code", "c" * 12, "code", "string_too_long"),
    (10, "total", 1.5, "total", "int_from_float"),
]
ROWS = 12


def planted_for(url: str) -> list[tuple[int, str, Any, str, str]]:
    return PLANTED + (SQLITE_ONLY if url.startswith("sqlite") else [])


@pytest.fixture
def accounts(tmp_path: Path, database_url: str) -> tuple[Path, str]:
    """The codebase, and the table from :data:`DDL` holding :data:`ROWS` rows, the planted ones bad."""
    directory = write_codebase(tmp_path / "accounts", {"BLL_Accounts.py": BLL_ACCOUNTS})
    rows = [{"id": n, **GOOD} for n in range(1, ROWS + 1)]
    for n, column, value, _, _ in planted_for(database_url):
        rows[n - 1][column] = value
    table = sa.table("accounts", *(sa.column(name) for name in ["id", *GOOD]))
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(DDL))
        connection.execute(table.insert(), rows)
    engine.dispose()
    return directory, database_url


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement run while the test runs, as sent to the driver."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def test_every_planted_row_is_found_whatever_proves_the_rest(accounts: tuple[Path, str]) -> None:
    directory, url = accounts
    (table,) = validate_rows(load_codebase(directory), url, batch_size=5).tables
    expected = planted_for(url)
    assert (table.rows, table.failing) == (ROWS, len(expected))
    found = sorted((failure.key["id"], failure.field, failure.type) for failure in table.failures)
    assert found == sorted((n, field, kind) for n, _, _, field, kind in expected)


def test_a_guaranteed_column_is_proven_and_never_read(
    accounts: tuple[Path, str], statements: list[str]
) -> None:
    """PostgreSQL: VARCHAR(10) proves max_length=10, BIGINT an int, BOOLEAN a bool; SQLite: the rowid only."""
    directory, url = accounts
    (table,) = validate_rows(load_codebase(directory), url).tables
    sqlite = url.startswith("sqlite")
    proven = {"id"} if sqlite else {"id", "code", "total", "active"}
    assert set(table.proven_by_ddl) == proven
    assert "rowid" in table.proven_by_ddl["id"] if sqlite else table.proven_by_ddl["code"] == "VARCHAR(10)"
    reads = [statement for statement in statements if "FROM accounts" in statement]
    assert reads, "the rows were read"
    for name in proven - {"id"}:  # the key is read to name failing rows
        assert not any(name in statement for statement in reads), (name, reads)


def test_a_field_stricter_than_its_ddl_is_checked_and_its_bad_rows_read_again(
    accounts: tuple[Path, str],
) -> None:
    directory, url = accounts
    (table,) = validate_rows(load_codebase(directory), url).tables
    sqlite = url.startswith("sqlite")
    checked = {"name", "seats", "tier", "label"} | ({"code", "total", "active"} if sqlite else set())
    assert set(table.checked_by_database) == checked
    assert "email" not in table.proven_by_ddl and "email" not in table.checked_by_database
    length = "length(CAST(name AS BLOB)) <= 10" if sqlite else "char_length(name) <= 10"
    assert length in table.checked_by_database["name"]
    if not sqlite:
        assert table.checked_by_database["label"] == "label IS NOT NULL"
    # the rows whose condition fails are read again and validated whole; the pattern's row is not one
    assert table.rechecked == len(planted_for(url)) - 1
    document = table.to_json()
    assert {entry["field"] for entry in document["proven_by_ddl"]} == set(table.proven_by_ddl)
    assert {entry["field"] for entry in document["checked_by_database"]} == checked


DB_PAIRS = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Pair(Base):
    __tablename__ = "pairs"
    region = sa.Column(sa.String(8), primary_key=True)
    n = sa.Column(sa.Integer, primary_key=True)
    score = sa.Column(sa.Integer, nullable=False)
"""

BLL_PAIRS = """
from typing import Annotated, ClassVar

from dbkit import DatabaseMixin, DBColumn
from pydantic import Field


class PairModel(DatabaseMixin):
    table_name: ClassVar[str] = "pairs"
    audit_columns: ClassVar[bool] = False

    region: Annotated[str, DBColumn(primary_key=True)] = Field(max_length=8)
    n: Annotated[int, DBColumn(primary_key=True)]
    score: int = Field(le=10)
"""


def test_rows_of_a_composite_key_are_read_again_by_their_whole_key(tmp_path: Path, database_url: str) -> None:
    directory = write_codebase(tmp_path / "pairs", {"DB_Pairs.py": DB_PAIRS, "BLL_Pairs.py": BLL_PAIRS})
    table = load_codebase(directory).hand_written["pairs"].table
    rows = [{"region": region, "n": n, "score": n} for region in ("eu", "us") for n in range(1, 13)]
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert(), rows)
    engine.dispose()
    (found,) = validate_rows(load_codebase(directory), database_url, batch_size=7).tables
    assert "score" in found.checked_by_database
    assert sorted((f.key["region"], f.key["n"]) for f in found.failures) == [
        (region, n) for region in ("eu", "us") for n in (11, 12)
    ]
    assert {f.type for f in found.failures} == {"less_than_equal"} and found.rechecked == 4


def test_postgresql_numeric_nan_and_native_enum_labels(tmp_path: Path, postgres_url: str) -> None:
    """NUMERIC(10, 2) can hold NaN (checked per row); a native enum proves the field only without extra labels."""
    source = """
    import decimal
    import enum
    from typing import Annotated, ClassVar

    from dbkit import DatabaseMixin, DBColumn
    from pydantic import Field


    class Tier(str, enum.Enum):
        free = "free"
        team = "team"


    class PriceModel(DatabaseMixin):
        table_name: ClassVar[str] = "prices"
        audit_columns: ClassVar[bool] = False

        id: Annotated[int, DBColumn(primary_key=True)]
        amount: decimal.Decimal = Field(max_digits=10, decimal_places=2)
        tier: Annotated[Tier, DBColumn(enum_by="value")]
        plan: Annotated[Tier, DBColumn(enum_by="value")]
    """
    directory = write_codebase(tmp_path / "prices", {"BLL_Prices.py": source})
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TYPE tier AS ENUM ('free', 'team')"))
        connection.execute(sa.text("CREATE TYPE plan AS ENUM ('free', 'team', 'gold')"))
        connection.execute(
            sa.text(
                "CREATE TABLE prices (id INTEGER PRIMARY KEY, amount NUMERIC(10, 2) NOT NULL, "
                "tier tier NOT NULL, plan plan NOT NULL)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO prices VALUES (1, 9.5, 'free', 'team'), (2, 'NaN', 'team', 'free'), "
                "(3, 1.25, 'free', 'gold')"
            )
        )
    engine.dispose()
    (table,) = validate_rows(load_codebase(directory), postgres_url).tables
    assert table.proven_by_ddl["tier"] == "a native enum whose labels are all members"
    assert "CAST(plan AS TEXT) IN ('free', 'team')" in table.checked_by_database["plan"]
    assert "amount" in table.checked_by_database
    assert sorted((f.key["id"], f.field, f.type) for f in table.failures) == [
        (2, "amount", "finite_number"),
        (3, "plan", "enum"),
    ]


def test_a_label_with_a_percent_sign_is_matched_as_written(tmp_path: Path, database_url: str) -> None:
    """psycopg's SQL doubles ``%``: the condition must still match ``'50%'``, so only the bad row is read again."""
    source = """
    import enum
    from typing import Annotated, ClassVar

    from dbkit import DatabaseMixin, DBColumn


    class Rate(str, enum.Enum):
        half = "50%"
        full = "100%"


    class FeeModel(DatabaseMixin):
        table_name: ClassVar[str] = "fees"
        audit_columns: ClassVar[bool] = False

        id: Annotated[int, DBColumn(primary_key=True)]
        rate: Annotated[Rate, DBColumn(native_enum=False, enum_by="value")]
    """
    directory = write_codebase(tmp_path / "fees", {"BLL_Fees.py": source})
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE fees (id INTEGER PRIMARY KEY, rate VARCHAR(10) NOT NULL)"))
        connection.execute(sa.text("INSERT INTO fees VALUES (1, '50%'), (2, '100%'), (3, '75%')"))
    engine.dispose()
    (table,) = validate_rows(load_codebase(directory), database_url).tables
    assert "rate IN ('100%', '50%')" in table.checked_by_database["rate"]
    assert (table.rechecked, [(f.key, f.type) for f in table.failures]) == (1, [({"id": 3}, "enum")])


# -- the plan, without a database ---------------------------------------------------------------------
def _plan(model: type[DatabaseMixin], dialect: str, **declared: sa.types.TypeEngine[Any]) -> dict[str, str]:
    table = model.DB.__table__  # type: ignore[attr-defined]
    fields = [(name, table.c[name]) for name in model.model_fields if name in table.c]
    stored = {name: StoredColumn(name, type_, nullable=False) for name, type_ in declared.items()}
    return {plan.field: plan.how for plan in plan_fields(model, fields, stored, dialect)}


class Plain(DatabaseMixin):
    table_name: ClassVar[str] = "plain_things"
    audit_columns: ClassVar[bool] = False

    id: Annotated[int, DBColumn(primary_key=True)]
    name: str = Field(max_length=20)
    amount: decimal.Decimal = Field(max_digits=6, decimal_places=2)


def test_a_numeric_with_more_digits_than_the_field_is_not_proven() -> None:
    wide = _plan(Plain, "postgresql", id=sa.INTEGER(), name=sa.VARCHAR(20), amount=sa.NUMERIC(8, 2))
    assert wide == {"id": "ddl", "name": "ddl", "amount": "python"}
    exact = _plan(Plain, "postgresql", id=sa.INTEGER(), name=sa.VARCHAR(30), amount=sa.NUMERIC(6, 2))
    assert exact == {"id": "ddl", "name": "sql", "amount": "sql"}


class Checked(DatabaseMixin):
    table_name: ClassVar[str] = "checked_things"
    audit_columns: ClassVar[bool] = False

    id: Annotated[int, DBColumn(primary_key=True)]
    name: str = Field(max_length=20)
    other: str = Field(max_length=20)

    @field_validator("name")
    @classmethod
    def not_blank(cls, value: str) -> str:
        return value


class Peeking(Checked):
    table_name: ClassVar[str] = "peeking_things"

    @model_validator(mode="after")
    def consistent(self) -> Peeking:
        return self


def test_validators_keep_their_fields_in_python() -> None:
    """A field validator keeps its field; a model validator sees every field, so keeps them all."""
    declared = {"id": sa.INTEGER(), "name": sa.VARCHAR(20), "other": sa.VARCHAR(20)}
    assert _plan(Checked, "postgresql", **declared) == {"id": "ddl", "name": "python", "other": "ddl"}
    assert set(_plan(Peeking, "postgresql", **declared).values()) == {"python"}


def test_sqlite_proves_only_the_rowid() -> None:
    declared = {"id": sa.INTEGER(), "name": sa.VARCHAR(20), "amount": sa.NUMERIC(6, 2)}
    table = Plain.DB.__table__  # type: ignore[attr-defined]
    fields = [(name, table.c[name]) for name in Plain.model_fields]
    stored = {name: StoredColumn(name, type_, False, rowid=name == "id") for name, type_ in declared.items()}
    assert {plan.field: plan.how for plan in plan_fields(Plain, fields, stored, "sqlite")} == {
        "id": "ddl",
        "name": "sql",
        "amount": "sql",
    }
    stored["id"] = StoredColumn("id", sa.INTEGER(), False, rowid=False)  # INT, or WITHOUT ROWID
    assert plan_fields(Plain, fields, stored, "sqlite")[0].how == "sql"


def test_a_model_with_post_init_is_validated_whole(tmp_path: Path) -> None:
    """``model_post_init`` runs only on an instance: such a model keeps every field, validated as a model."""
    source = """
    from typing import Annotated, Any, ClassVar

    from dbkit import DatabaseMixin, DBColumn
    from pydantic import Field


    class TagModel(DatabaseMixin):
        table_name: ClassVar[str] = "tags"
        audit_columns: ClassVar[bool] = False

        id: Annotated[int, DBColumn(primary_key=True)]
        name: str = Field(max_length=5)

        def model_post_init(self, context: Any) -> None:
            if self.name == "admin":
                raise ValueError("reserved name")
    """
    directory = write_codebase(tmp_path / "tags", {"BLL_Tags.py": source})
    url = f"sqlite:///{tmp_path / 'tags.sqlite3'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE tags (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL)"))
        connection.execute(sa.text("INSERT INTO tags VALUES (1, 'ok'), (2, 'admin'), (3, 'toolong')"))
    engine.dispose()
    (table,) = validate_rows(load_codebase(directory), url).tables
    assert (table.proven_by_ddl, table.checked_by_database) == ({}, {})
    assert sorted((f.key["id"], f.type) for f in table.failures) == [
        (2, "value_error"),
        (3, "string_too_long"),
    ]
