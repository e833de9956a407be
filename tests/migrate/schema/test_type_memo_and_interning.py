"""What the snapshot's per-type memo and interning promise: the same answers as reading afresh."""

from __future__ import annotations

import gc
import pickle

import pytest
import sqlalchemy as sa

from dbkit.migrate.schema import snapshot
from dbkit.migrate.schema.from_models import foreign_key_target, snapshot_of_table
from dbkit.migrate.schema.memo import IdentityMemo
from dbkit.migrate.schema.snapshot import TypeSpec, type_spec


class _Slotted:
    __slots__ = ("value",)


class _Key:
    pass


def test_memo_forgets_an_object_when_it_dies() -> None:
    memo: IdentityMemo[str] = IdentityMemo()
    key = _Key()
    assert memo.remember(key, "first") == "first" and memo.get(key) == "first"
    del key
    gc.collect()
    assert len(memo) == 0


def test_memo_never_answers_for_another_object_at_a_remembered_address() -> None:
    """An address can be reused before the old entry goes: the entry counts only for its own object."""
    memo: IdentityMemo[str] = IdentityMemo()
    remembered, other = _Key(), _Key()
    memo.remember(remembered, "remembered")
    memo.entries[id(other)] = memo.entries[id(remembered)]  # as if ``other`` took its address
    assert memo.get(other) is None
    assert memo.get(remembered) == "remembered"


def test_memo_skips_what_cannot_be_weakly_referenced() -> None:
    memo: IdentityMemo[int] = IdentityMemo()
    item = _Slotted()
    assert memo.remember(item, 3) == 3
    assert memo.get(item) is None and len(memo) == 0


def test_type_spec_is_remembered_per_type_instance_and_shared_between_equal_types() -> None:
    first, second = sa.String(40), sa.String(40)
    assert type_spec(first) is type_spec(first)
    assert type_spec(first) is type_spec(second)  # interned: equal specs are one object
    assert type_spec(sa.String(41)) != type_spec(first)


def test_type_spec_of_a_class_is_read_without_being_remembered() -> None:
    assert type_spec(sa.Integer) == type_spec(sa.Integer())
    assert snapshot._SPEC_OF_TYPE.get(sa.Integer) is None


@pytest.mark.parametrize(
    "spec",
    [
        TypeSpec("string", length=12),
        TypeSpec("enum", name="status", values=("a", "b"), length=1),
        TypeSpec("big_integer", variants=(("sqlite", TypeSpec("integer")),)),
    ],
)
def test_type_spec_hash_survives_pickling_in_another_process_seed(spec: TypeSpec) -> None:
    loaded = pickle.loads(pickle.dumps(spec))
    assert loaded == spec and hash(loaded) == hash(spec)
    assert "_hash" not in spec.__getstate__()  # a str hash differs between processes
    assert {spec: 1}[loaded] == 1


def test_snapshots_of_equal_columns_are_one_object() -> None:
    metadata = sa.MetaData()
    left = sa.Table(
        "left", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.String(9))
    )
    right = sa.Table(
        "right", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.String(9))
    )
    assert snapshot_of_table(left).columns[1] is snapshot_of_table(right).columns[1]


def test_foreign_key_target_reads_a_dotted_table_name_where_sqlalchemy_can() -> None:
    metadata = sa.MetaData()
    target = sa.Table("my.tbl", metadata, sa.Column("z", sa.Integer, primary_key=True))
    plain = sa.Table("plain", metadata, sa.Column("id", sa.Integer, primary_key=True))
    holder = sa.Table(
        "holder",
        metadata,
        sa.Column("a", sa.Integer, sa.ForeignKey(target.c.z)),
        sa.Column("b", sa.Integer, sa.ForeignKey("plain.id")),
    )
    by_column = {element.parent.name: element for element in holder.foreign_keys}
    assert foreign_key_target(by_column["b"]) == ("plain", "id")
    if not hasattr(by_column["a"], "target_tokens"):
        pytest.skip("SQLAlchemy 2.0 spells the target only as a dotted string")
    assert foreign_key_target(by_column["a"]) == ("my.tbl", "z")
    assert plain is not None
