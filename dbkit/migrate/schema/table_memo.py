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

from operator import attrgetter, itemgetter
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
#: The same facts out of a column's instance ``__dict__``: ten dict lookups instead of ten trips
#: through ``ColumnElement.__getattr__``'s slow attribute path. Only for column classes where the
#: two agree (:func:`_reads_alike`).
_COLUMN_FACTS_OF_DICT = itemgetter(*_COLUMN_FACT_NAMES)
_INSTANCE_DICT = attrgetter("__dict__")
_NAME = attrgetter("name")
_ACTIONS = attrgetter("ondelete", "onupdate")
_INDEX_FACTS = attrgetter("name", "unique")


def facts_of(table: sa.Table) -> tuple[Any, ...]:
    """What may change on a built table, through SQLAlchemy's API or plain assignment: its name and
    comment, its columns (added, renamed, retyped, nullable flipped, a default set...), and which
    constraints and indexes it has, with their names, referential actions and uniqueness.

    Compared with ``==``: equal facts, same readings. No ``Column`` object is among them, since a
    column's ``==`` builds SQL instead of answering. Constraints and indexes are flattened, each part
    led by its length (the referential actions follow from the constraints before them), so two
    different tables cannot flatten alike; the columns' facts stay a tuple per column, which the
    readers take as they are (bench/README, "fourth session": flattening those too kept fewer
    objects for the collector, but slicing them out again cost more than it saved)."""
    autoincrement = table.autoincrement_column
    facts = [
        table.name,
        table.comment,
        None if autoincrement is None else autoincrement.name,
        _facts_of_columns(list(table.columns)),  # one pass: SQLAlchemy builds a list per pass
    ]
    constraints = table.constraints
    facts.append(len(constraints))
    facts += constraints
    facts += map(_NAME, constraints)
    for constraint in constraints:
        if isinstance(constraint, sa.ForeignKeyConstraint):
            facts += _ACTIONS(constraint)
    indexes = table.indexes
    facts.append(len(indexes))
    facts += indexes
    for index in indexes:
        facts += _INDEX_FACTS(index)
    return tuple(facts)


def _facts_of_columns(columns: list[sa.Column[Any]]) -> tuple[ColumnFacts, ...]:
    """Each column's :data:`ColumnFacts`: read from its instance dict when its class reads
    attributes from there (:func:`_reads_alike`), else (or when one is missing) attribute by
    attribute."""
    if _DICT_READABLE.issuperset(map(type, columns)) or all(map(_reads_alike, set(map(type, columns)))):
        try:
            return tuple(map(_COLUMN_FACTS_OF_DICT, map(_INSTANCE_DICT, columns)))
        except KeyError:  # a fact that lives on the class (a subclass's constant): read it there
            pass
    return tuple(map(_COLUMN_FACTS, columns))


def _reads_alike(cls: type) -> bool:
    """Whether, for a column class, each fact read as an attribute is the instance dict's entry when
    it has one: the class keeps ``object``'s ``__getattribute__``, and no class on its MRO defines a
    fact as a data descriptor (a ``property``), which would win over the dict. Remembered either way
    in :data:`_READS_ALIKE` (column classes are few and live as long as the process)."""
    known = _READS_ALIKE.get(cls)
    if known is None:
        known = _READS_ALIKE[cls] = cls.__getattribute__ is object.__getattribute__ and not any(
            _is_data_descriptor(
                next((vars(klass)[name] for klass in cls.__mro__ if name in vars(klass)), None)
            )
            for name in _COLUMN_FACT_NAMES
        )
        if known:
            _DICT_READABLE.add(cls)
    return known


def _is_data_descriptor(found: Any) -> bool:
    return hasattr(type(found), "__set__") or hasattr(type(found), "__delete__")


#: Per column class, whether :func:`_reads_alike` holds.
_READS_ALIKE: dict[type, bool] = {}
#: The classes it holds for: one C-level ``issuperset`` per table (half the cost of a ``get`` per column).
_DICT_READABLE: set[type] = set()


class TableMemo:
    """What dbkit read of one table, valid for the :attr:`facts` it was read under: the table's
    snapshots (:mod:`~dbkit.migrate.schema.from_models`) and its columns' Python behaviour (parity).
    The facts are themselves what readers read (each column's attributes, read once). Slots rather
    than a dict of readings: one object less kept per table."""

    __slots__ = ("column_behaviour", "facts", "snapshots")

    def __init__(self, facts: tuple[Any, ...]) -> None:
        self.facts = facts
        self.snapshots: list[Any] = []
        self.column_behaviour: Any = None

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
