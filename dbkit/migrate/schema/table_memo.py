"""What dbkit has read of one SQLAlchemy ``Table``, kept while the table stays as it was read.

A notebook session compares the same loaded models many times: parity after each decision, diff
after parity, the parity widget on every toggle. Reading a table (its snapshot, its columns' Python
behaviour) costs several times more than checking that it did not change, so each reading is kept
on a :class:`TableMemo` and thrown away as soon as :func:`facts_of` the table differ.

The memo is an attribute of the table itself: it lives and dies with the table. A module-level memo
would keep every table alive, since the facts hold the table's columns' defaults, which point back
to their columns.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import sqlalchemy as sa

#: The attribute of a ``Table`` holding its :class:`TableMemo`.
MEMO_ATTRIBUTE = "_dbkit_table_memo"

#: A column's facts, in :data:`_COLUMN_FACT_NAMES` order: name, type, nullable, primary_key,
#: server_default, comment, identity, computed, default, onupdate.
ColumnFacts = tuple[Any, ...]

#: Everything dbkit reads of a column, read once by :func:`facts_of` and then used from there. A
#: type, a default clause or an identity changed in place is not noticed: SQLAlchemy fixes those once
#: built (a dialect caches by the type object), and ``type_spec``/``sql_of`` remember them by
#: identity as well.
_COLUMN_FACT_NAMES = (
    "name",
    "type",
    "nullable",
    "primary_key",
    "server_default",
    "comment",
    "identity",
    "computed",
    "default",
    "onupdate",
)
_COLUMN_FACTS = attrgetter(*_COLUMN_FACT_NAMES)


def facts_of(table: sa.Table) -> tuple[Any, ...]:
    """What may change on a built table, through SQLAlchemy's API or plain assignment: its name and
    comment, its columns (added, renamed, retyped, nullable flipped, a default set...), and which
    constraints and indexes it has, with their names, referential actions and uniqueness.

    Compared with ``==``: equal facts, same readings. No ``Column`` object is among them, since a
    column's ``==`` builds SQL instead of answering. Read with C-level getters, since a first read
    pays for them on top of reading the table (bench/README, "third session")."""
    autoincrement = table.autoincrement_column
    constraints = tuple(table.constraints)
    indexes = tuple(table.indexes)
    return (
        table.name,
        table.comment,
        None if autoincrement is None else autoincrement.name,
        tuple(map(_COLUMN_FACTS, table.columns)),
        constraints,
        tuple(map(_NAME, constraints)),
        tuple([_ACTIONS(c) for c in constraints if isinstance(c, sa.ForeignKeyConstraint)]),
        indexes,
        tuple(map(_INDEX_FACTS, indexes)),
    )


_NAME = attrgetter("name")
_ACTIONS = attrgetter("ondelete", "onupdate")
_INDEX_FACTS = attrgetter("name", "unique")


class TableMemo:
    """Readings of one table by name, valid for the :attr:`facts` they were read under. The facts
    are themselves what readers read (each column's attributes, read once)."""

    __slots__ = ("facts", "readings")

    def __init__(self, facts: tuple[Any, ...]) -> None:
        self.facts = facts
        self.readings: dict[str, Any] = {}

    @property
    def autoincrement_column(self) -> str | None:
        """The name of the column SQLAlchemy numbers automatically (``Table.autoincrement_column``)."""
        return self.facts[2]

    @property
    def column_facts(self) -> tuple[ColumnFacts, ...]:
        """Each column's :data:`ColumnFacts`, in the table's column order."""
        return self.facts[3]


def memo_of(table: sa.Table) -> TableMemo:
    """The table's memo: the one it has while its facts are unchanged, otherwise a new, empty one.

    Each call checks the facts, so a caller reading several things of one table at once asks once
    and keeps the memo for the duration of that work."""
    facts = facts_of(table)
    memo: TableMemo | None = table.__dict__.get(MEMO_ATTRIBUTE)
    if memo is None or memo.facts != facts:
        memo = TableMemo(facts)
        setattr(table, MEMO_ATTRIBUTE, memo)
    return memo
