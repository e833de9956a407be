"""What the per-table memo promises: the same snapshot as reading afresh, whatever changed in place."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.migrate.schema.from_models import _read_table, snapshot_from_metadata, snapshot_of_table
from dbkit.migrate.schema.table_memo import _COLUMN_FACTS, MEMO_ATTRIBUTE, TableMemo, facts_of, memo_of
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.parity import ParityReport, parity

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample_app"


def _orders() -> sa.Table:
    metadata = sa.MetaData()
    sa.Table("customers", metadata, sa.Column("id", sa.Integer, primary_key=True))
    return sa.Table(
        "orders",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE")),
        sa.Column("code", sa.String(20), nullable=False, server_default="new"),
        sa.Column("total", sa.Numeric(10, 2)),
        sa.Index("ix_orders_code", "code"),
    )


def _read_afresh(table: sa.Table) -> object:
    """The snapshot as if the table had never been read."""
    return _read_table(table, TableMemo(facts_of(table)), None, None)


def _set_foreign_key_action(table: sa.Table) -> None:
    (foreign_key,) = table.foreign_key_constraints
    foreign_key.ondelete = "SET NULL"


#: Changes a notebook can make to a loaded table between two comparisons.
CHANGES: dict[str, Callable[[sa.Table], None]] = {
    "nullable flipped": lambda t: setattr(t.c.total, "nullable", False),
    "column renamed": lambda t: setattr(t.c.total, "name", "amount"),
    "type replaced": lambda t: setattr(t.c.code, "type", sa.String(40)),
    "server default set": lambda t: setattr(t.c.total, "server_default", sa.DefaultClause("0")),
    "server default dropped": lambda t: setattr(t.c.code, "server_default", None),
    "column comment": lambda t: setattr(t.c.code, "comment", "order code"),
    "table comment": lambda t: setattr(t, "comment", "orders placed"),
    "column appended": lambda t: t.append_column(sa.Column("note", sa.Text)),
    "unique appended": lambda t: t.append_constraint(sa.UniqueConstraint("code", name="uq_orders_code")),
    "check appended": lambda t: t.append_constraint(sa.CheckConstraint("total >= 0", name="ck_total")),
    "index added": lambda t: sa.Index("ix_orders_total", t.c.total),
    "index made unique": lambda t: setattr(next(iter(t.indexes)), "unique", True),
    "index renamed": lambda t: setattr(next(iter(t.indexes)), "name", "ix_code"),
    "foreign key action": _set_foreign_key_action,
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_change_in_place_is_read_again(change: str) -> None:
    table = _orders()
    before = snapshot_of_table(table)
    CHANGES[change](table)
    after = snapshot_of_table(table)
    assert after != before
    assert after == _read_afresh(table)


def test_an_unchanged_table_is_read_once() -> None:
    table = _orders()
    first = snapshot_of_table(table)
    memo = memo_of(table)
    assert snapshot_of_table(table) is first
    assert memo_of(table) is memo  # equal facts: the same memo, readings kept
    assert first == _read_afresh(table)


def test_a_codebase_snapshot_keeps_its_model_names_and_notes_apart_from_parity() -> None:
    table = _orders()
    bare = snapshot_of_table(table)
    named = snapshot_from_metadata([table], {"orders": "renamed: code <- ref"}).tables[0]
    assert (named.migration_notes, bare.migration_notes) == ("renamed: code <- ref", None)
    assert named.columns == bare.columns
    assert snapshot_of_table(table) is bare  # parity's copy stays its own
    other = snapshot_from_metadata([table], {"orders": "other notes"}).tables[0]
    assert other.migration_notes == "other notes"


def test_a_table_keeps_a_bounded_number_of_snapshots() -> None:
    table = _orders()
    for number in range(20):
        assert snapshot_from_metadata([table], {"orders": f"note {number}"}).tables[0].migration_notes == (
            f"note {number}"
        )
    kept = memo_of(table).snapshots
    assert len(kept) <= 4 and kept[-1].migration_notes == "note 19"


def test_the_memo_dies_with_its_table() -> None:
    """The facts hold the columns' defaults, which point back to the table: kept on the table, not in
    a module-level memo, they are collected with it."""
    table = _orders()
    snapshot_of_table(table)
    assert isinstance(table.__dict__[MEMO_ATTRIBUTE], TableMemo)
    gone = weakref.ref(table)
    metadata = weakref.ref(table.metadata)
    del table
    gc.collect()
    assert gone() is None and metadata() is None


def test_parity_sees_a_hand_written_column_changed_between_two_calls() -> None:
    """A notebook runs parity, edits a loaded hand-written table in place, runs parity again."""
    codebase = load_codebase(SAMPLE)
    first = parity(codebase)
    matching = next(table for table in first.tables if table.status == "match")
    hand_table = codebase.hand_written[matching.table].table
    column = next(column for column in hand_table.columns if not column.primary_key)

    column.nullable = not column.nullable
    flipped = parity(codebase)
    assert ("column_nullable", f"{matching.table}.{column.name}") in _found(flipped, matching.table)

    column.nullable = not column.nullable
    column.default = sa.ColumnDefault("set in the notebook")
    with_default = parity(codebase)
    assert _status(with_default, matching.table) == "match"  # a Python default is ORM-level
    assert ("python_default", f"{matching.table}.{column.name}") in _found(with_default, matching.table)


def _found(report: ParityReport, table: str) -> set[tuple[str, str]]:
    return {(d.kind, d.object) for name, d in report.differences() if name == table}


def _status(report: ParityReport, table: str) -> str:
    return next(entry.status for entry in report.tables if entry.table == table)


# -- the columns' facts, read from instance dicts where that agrees with reading attributes ---------
def _facts_read_as_attributes(table: sa.Table) -> tuple[object, ...]:
    return tuple(map(_COLUMN_FACTS, table.columns))


def test_column_facts_read_from_instance_dicts_are_the_attributes() -> None:
    codebase = load_codebase(SAMPLE)
    tables = [entry.table for entry in codebase.hand_written.values()]
    tables += [model.table for model in codebase.models.values() if model.table is not None]
    assert tables
    for table in tables:
        assert memo_of(table).column_facts == _facts_read_as_attributes(table), table.name


class _AlwaysRequiredColumn(sa.Column):  # type: ignore[type-arg]
    """A column class whose ``nullable`` is a property: its instance dict's entry is not the answer."""

    inherit_cache = True

    @property  # type: ignore[override]
    def nullable(self) -> bool:
        return False

    @nullable.setter
    def nullable(self, value: bool) -> None:
        self.__dict__["nullable"] = value  # kept, never read back


def test_a_column_class_with_a_fact_as_property_is_read_through_its_attributes() -> None:
    table = sa.Table("notes", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    table.append_column(_AlwaysRequiredColumn("body", sa.Text, nullable=True))
    assert table.c.body.__dict__["nullable"] is True  # what a dict read would wrongly take

    assert memo_of(table).column_facts == _facts_read_as_attributes(table)
    assert snapshot_of_table(table).column_map["body"].nullable is False


def test_a_fact_missing_from_a_column_dict_is_read_from_its_class() -> None:
    table = _orders()
    del table.c.total.__dict__["onupdate"]  # the attribute now comes from ColumnClause: None

    assert memo_of(table).column_facts == _facts_read_as_attributes(table)
