"""Python-side defaults that are instances of Python classes scaffold as real expressions, or as a problem.

A value whose class has an importable module and a ``repr`` that evaluates back to an equal value
is written as that expression with its import; anything else becomes a problem for that one field
(naming the file, the model and the field, and what to do), never broken source and never a
failure of the whole codebase. Each case writes the module, lints it, imports it, generates its
model and compares the table's DDL and the column's Python-side default with the hand-written ones.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import ipaddress
import textwrap
import uuid
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from scaffold_support import run_generated
from test_scaffold import dbkit_metadata, ddl

from dbkit.migrate.codemod.scaffold import ScaffoldResult, SourceTable, scaffold, scaffold_codebase


class Mood(enum.Enum):
    CALM = "calm"
    BUSY = "busy"


class Permission(enum.IntFlag):
    READ = 1
    WRITE = 2


#: (label, column type, default): values of Python classes a hand-written default can hold.
VALUES: list[tuple[str, sa.types.TypeEngine[Any], Any]] = [
    ("fraction", sa.Numeric(10, 4), Fraction(1, 2)),
    ("decimal", sa.Numeric(10, 2), decimal.Decimal("1.50")),
    ("decimal_nan", sa.Numeric(10, 2), decimal.Decimal("NaN")),
    ("date", sa.Date(), dt.date(2020, 1, 1)),
    ("datetime", sa.DateTime(), dt.datetime(2020, 1, 2, 3, 4, 5, 6)),
    ("aware_datetime", sa.DateTime(timezone=True), dt.datetime(2020, 1, 2, tzinfo=dt.UTC)),
    (
        "offset_datetime",
        sa.DateTime(timezone=True),
        dt.datetime(2020, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ),
    ("time", sa.Time(), dt.time(12, 30)),
    ("timedelta", sa.Interval(), dt.timedelta(days=1, seconds=5)),
    ("uuid", sa.Uuid(), uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("enum_member", sa.Enum(Mood, name="mood"), Mood.BUSY),
    ("enum_member_on_string", sa.String(10), Mood.CALM),
    ("flag_combination", sa.Integer(), Permission.READ | Permission.WRITE),
    ("ip_address", sa.String(40), ipaddress.IPv4Address("10.0.0.1")),
    ("ordered_dict", sa.JSON(), OrderedDict([("b", 1), ("a", 2)])),
    ("frozenset", sa.JSON(), frozenset({"b", "a", "c"})),
    ("empty_frozenset", sa.JSON(), frozenset()),
    ("set", sa.JSON(), {3, 1, 2}),
    ("nan", sa.Float(), float("nan")),
    ("negative_infinity", sa.Float(), float("-inf")),
    ("complex", sa.JSON(), complex(1, -2)),
    (
        "nested",
        sa.JSON(),
        {
            "when": [dt.date(2020, 1, 1), (decimal.Decimal("2.5"), Fraction(1, 3))],
            "mood": {Mood.CALM: uuid.UUID(int=7)},
        },
    ),
]


def _python_default(column: sa.Column[Any]) -> Any:
    default = column.default
    assert default is not None, column
    return default.arg(None) if default.is_callable else default.arg


def _same(found: Any, expected: Any) -> bool:
    """Equal and of the same type (``nan`` equal to itself), containers item by item.

    An enum member is compared by name and value: the generated module redefines its class inline.
    """
    if isinstance(expected, enum.Enum):
        return isinstance(found, enum.Enum) and (found.name, found.value) == (expected.name, expected.value)
    if type(found) is not type(expected):
        return False
    if isinstance(expected, float | decimal.Decimal) and expected != expected:  # nan
        return found != found
    if isinstance(expected, dict):
        pairs = zip(found.items(), expected.items(), strict=False)
        return len(found) == len(expected) and all(
            _same(a, b) for pair in pairs for a, b in zip(*pair, strict=True)
        )
    if isinstance(expected, list | tuple):
        return len(found) == len(expected) and all(_same(a, b) for a, b in zip(found, expected, strict=True))
    return bool(found == expected)


@pytest.mark.parametrize(("label", "column_type", "value"), VALUES, ids=[v[0] for v in VALUES])
def test_a_default_of_a_python_class_is_scaffolded_as_an_expression(
    label: str, column_type: sa.types.TypeEngine[Any], value: Any, tmp_path: Path
) -> None:
    table = sa.Table(
        f"values_{label}",
        dbkit_metadata(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", column_type, default=value),
    )
    result = scaffold([SourceTable(table, None, "DB_Values")])
    # a JSON column with no annotation saying more is typed Any, reported with its reason
    assert [p for p in result.problems if not p.message.startswith("typed as Any")] == [], result.problems
    generated = run_generated(result, tmp_path)[table.name]
    assert ddl(generated) == ddl(table)
    assert _same(_python_default(generated.c.value), value), result.modules["BLL_Values"]
    again = scaffold([SourceTable(table, None, "DB_Values")])
    assert again.modules == result.modules  # deterministic (sets are written in a stable order)


def test_the_expressions_read_as_written_by_hand() -> None:
    table = sa.Table(
        "readable_values",
        dbkit_metadata(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ratio", sa.Numeric(10, 4), default=Fraction(1, 2)),
        sa.Column("day", sa.Date, default=dt.date(2020, 1, 1)),
        sa.Column("when", sa.DateTime(timezone=True), default=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
        sa.Column("key", sa.Uuid, default=uuid.UUID(int=1)),
        sa.Column("tags", sa.JSON, default=frozenset({"b", "a"})),
    )
    source = scaffold([SourceTable(table, None, "DB_Values")]).modules["BLL_Values"]
    assert "import datetime as dt\nimport decimal\nimport fractions\nimport uuid\n" in source
    assert (
        "ratio: decimal.Decimal | None = Field(fractions.Fraction(1, 2), max_digits=10, decimal_places=4)"
        in source
    )
    assert "day: dt.date | None = dt.date(2020, 1, 1)" in source
    assert "when: dt.datetime | None = dt.datetime(2020, 1, 1, 0, 0, tzinfo=dt.timezone.utc)" in source
    assert 'key: uuid.UUID | None = uuid.UUID("00000000-0000-0000-0000-000000000001")' in source
    assert 'tags: Any | None = frozenset({"a", "b"})' in source


# -- values that have no faithful source: a problem for that one field ---------------------------------

LEGACY_SOURCE = '''
import dataclasses
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


@dataclasses.dataclass(frozen=True)
class Money:
    """Defined here: Phase 3 deletes this file, so a default of this class cannot be imported."""

    cents: int


class Opaque:
    """No repr that evaluates."""


class Price(Base):
    __tablename__ = "prices"
    id: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[int] = mapped_column(sa.PickleType, default=Money(5))
    token: Mapped[int] = mapped_column(sa.PickleType, default=Opaque())
    ratio: Mapped[float] = mapped_column(sa.Numeric(6, 3), default=__import__("fractions").Fraction(3, 4))
    label: Mapped[str] = mapped_column(sa.String(20), default="price")


class Discount(Base):
    __tablename__ = "discounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    percent: Mapped[int] = mapped_column(default=10)
'''


def _write_codebase(directory: Path) -> Path:
    directory.mkdir()
    (directory / "DB_Prices.py").write_text(textwrap.dedent(LEGACY_SOURCE))
    return directory


def test_a_value_without_faithful_source_is_a_problem_for_that_field_only(tmp_path: Path) -> None:
    result = scaffold_codebase(_write_codebase(tmp_path / "codebase"))
    assert sorted(result.models) == ["discounts", "prices"]
    problems = {(p.table, p.column): p.message for p in result.problems if p.column}
    assert sorted(problems) == [("prices", "amount"), ("prices", "token")]
    money, opaque = problems[("prices", "amount")], problems[("prices", "token")]
    for message, field in ((money, "amount"), (opaque, "token")):
        assert "DB_Prices.py" in message and f"Price.{field}" in message and f"PriceModel.{field}" in message
        assert "by hand" in message
    assert "Money(cents=5)" in money and "DB_Prices" in money
    assert "Opaque" in opaque
    source = result.modules["BLL_Prices"]
    assert "fractions.Fraction(3, 4)" in source and 'label: str = Field("price"' in source
    generated = run_generated(result, tmp_path / "generated")
    assert _same(_python_default(generated["prices"].c.ratio), Fraction(3, 4))
    assert generated["prices"].c.amount.default is None and generated["prices"].c.token.default is None
    assert _python_default(generated["discounts"].c.percent) == 10


class Unequal:
    """A repr that evaluates, but to an object that is not equal (no __eq__): not faithful."""

    def __repr__(self) -> str:
        return "Unequal()"


class Lying:
    """A repr that evaluates to another value."""

    def __init__(self, value: int = 0) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lying) and other.value == self.value

    def __hash__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return "Lying()"


def test_a_repr_that_does_not_rebuild_the_value_is_a_problem(tmp_path: Path) -> None:
    table = sa.Table(
        "unfaithful",
        dbkit_metadata(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("unequal", sa.PickleType, default=Unequal()),
        sa.Column("lying", sa.PickleType, default=Lying(3)),
        sa.Column("in_a_list", sa.JSON, default=[1, Lying(3)]),
        sa.Column("fine", sa.Date, default=dt.date(2021, 5, 1)),
    )
    result: ScaffoldResult = scaffold([SourceTable(table, None, "test_scaffold_values")])
    assert sorted(p.column or "" for p in result.problems if not p.message.startswith("typed as Any")) == [
        "in_a_list",
        "lying",
        "unequal",
    ]
    generated = run_generated(result, tmp_path)["unfaithful"]
    assert ddl(generated) == ddl(table)
    assert _python_default(generated.c.fine) == dt.date(2021, 5, 1)


def test_a_value_of_a_class_in_a_db_module_is_never_imported_from_it(tmp_path: Path) -> None:
    legacy = ModuleType("DB_Legacy")
    exec(
        "class Money:\n"
        "    def __init__(self, cents):\n"
        "        self.cents = cents\n"
        "    def __eq__(self, other):\n"
        "        return isinstance(other, Money) and other.cents == self.cents\n"
        "    def __repr__(self):\n"
        "        return f'Money({self.cents})'\n",
        legacy.__dict__,
    )
    table = sa.Table(
        "legacy_values",
        dbkit_metadata(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", sa.PickleType, default=legacy.Money(5)),
    )
    result = scaffold([SourceTable(table, None, "DB_Legacy")])
    assert [p.column for p in result.problems if not p.message.startswith("typed as Any")] == ["amount"]
    assert "DB_Legacy" not in result.modules["BLL_Legacy"].split('"""', 2)[2]
    run_generated(result, tmp_path)


class Sentinel(enum.Enum):
    """Members whose values no source rebuilds (``object()`` compares by identity)."""

    FIRST = object()
    SECOND = object()


def test_an_enum_class_that_cannot_be_written_is_a_problem_not_a_failure(tmp_path: Path) -> None:
    """As a default: a problem for that field; as a column type: a Literal of the stored labels, reported."""
    table = sa.Table(
        "sentinels",
        dbkit_metadata(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Enum(Sentinel, name="sentinel_kind"), nullable=False),
        sa.Column("marker", sa.PickleType, default=Sentinel.FIRST),
        sa.Column("callbacks", sa.PickleType, default=frozenset({print, lambda: None})),
    )
    result = scaffold([SourceTable(table, None, "test_scaffold_values")])
    problems = {p.column: p.message for p in result.problems if p.column}
    assert sorted(problems) == ["callbacks", "kind", "marker"]
    assert "Literal" in problems["kind"] and "Sentinel" in problems["kind"]
    assert problems["marker"].startswith("Python-side default Sentinel.FIRST not scaffolded")
    assert not any("0x" in message for message in problems.values()), problems  # stable between runs
    source = result.modules["BLL_test_scaffold_values"]
    assert "class Sentinel(" not in source
    assert 'kind: Literal["FIRST", "SECOND"]\n' in source
    generated = run_generated(result, tmp_path)["sentinels"]
    assert ddl(generated) == ddl(table)
