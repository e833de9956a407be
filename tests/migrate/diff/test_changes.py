"""The typed change classes: each op's JSON is the documented contract, read back byte for byte.

``tests/migrate/test_json_contract.py`` compares whole ``--json`` outputs with the previous
release's; here every op is checked on its own (key order included, as a recorded document may
not be sorted), and the diffs of the sample and of a benchmark codebase pair are read back.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from dbkit.migrate import api
from dbkit.migrate.diff.changes import (
    CHANGE_TYPES,
    AddCheck,
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AddIndex,
    AddTable,
    AddUnique,
    AlterColumn,
    AlterPrimaryKey,
    AlterTableComment,
    Change,
    DropCheck,
    DropColumn,
    DropEnumValue,
    DropForeignKey,
    DropIndex,
    DropTable,
    DropUnique,
    Op,
    Pair,
    RenameColumn,
    RenameConstraint,
    RenameTable,
    UnknownChangeError,
    classify,
)
from dbkit.migrate.diff.risk import Risk
from dbkit.migrate.schema.snapshot import (
    CheckSnapshot,
    ColumnSnapshot,
    ComputedSnapshot,
    ForeignKeySnapshot,
    IdentitySnapshot,
    IndexSnapshot,
    PrimaryKeySnapshot,
    TableSnapshot,
    TypeSpec,
    UniqueSnapshot,
)

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "migrate" / "golden"

ID = ColumnSnapshot("id", TypeSpec("integer"), nullable=False, primary_key=True, autoincrement=True)
EMAIL = ColumnSnapshot(
    "email", TypeSpec("string", length=255), nullable=False, server_default="'x'", comment="Mail"
)
TIER = ColumnSnapshot("tier", TypeSpec("enum", name="tier", values=("free", "pro"), native=False, length=4))
PK = PrimaryKeySnapshot("pk_users", ("id",))
FK = ForeignKeySnapshot("fk_users_team_id", ("team_id",), "teams", ("id",), ondelete="CASCADE")
UQ = UniqueSnapshot("uq_users_email", ("email",))
CK = CheckSnapshot("ck_users_age", "age >= 0")
IX = IndexSnapshot("ix_users_email", ("email",), unique=True)
TABLE = TableSnapshot(
    "users",
    (ID, EMAIL, TIER),
    primary_key=PK,
    foreign_keys=(FK,),
    unique_constraints=(UQ,),
    check_constraints=(CK,),
    indexes=(IX,),
    comment="People",
    migration_notes={"renames": {"mail": "email"}},
    model="UserModel",
)
FK_JSON = {
    "name": "fk_users_team_id",
    "columns": ["team_id"],
    "referred_table": "teams",
    "referred_columns": ["id"],
    "ondelete": "CASCADE",
    "onupdate": None,
}
UQ_JSON = {"name": "uq_users_email", "columns": ["email"]}
CK_JSON = {"name": "ck_users_age", "sqltext": "age >= 0"}
IX_JSON = {"name": "ix_users_email", "columns": ["email"], "unique": True, "expressions": False}
EMAIL_JSON = {
    "name": "email",
    "type": {"kind": "string", "length": 255},
    "nullable": False,
    "primary_key": False,
    "server_default": "'x'",
    "comment": "Mail",
    "identity": None,
    "computed": None,
    "autoincrement": False,
}


def document(
    op: str, table: str | None, column: str | None, risk: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """A change as the previous release wrote it (keys in this order)."""
    return {"op": op, "table": table, "column": column, "risk": risk, "detail": detail}


#: One change of every op, and the document the previous release wrote for it.
CASES: list[tuple[Change, dict[str, Any]]] = [
    (
        AddTable(table="users", definition=TABLE),
        document("add_table", "users", None, "safe", {"new": TABLE.to_dict()}),
    ),
    (
        DropTable(table="users", definition=TABLE),
        document("drop_table", "users", None, "destructive", {"old": TABLE.to_dict()}),
    ),
    (
        RenameTable(table="users", old="people", new="users"),
        document("rename_table", "users", None, "backward_incompatible", {"old": "people", "new": "users"}),
    ),
    (
        AddColumn(table="users", column="email", definition=EMAIL),
        document("add_column", "users", "email", "safe", {"new": EMAIL_JSON}),
    ),
    (
        DropColumn(table="users", column="email", definition=EMAIL),
        document("drop_column", "users", "email", "destructive", {"old": EMAIL_JSON}),
    ),
    (
        RenameColumn(table="users", column="email", old="mail", new="email"),
        document("rename_column", "users", "email", "backward_incompatible", {"old": "mail", "new": "email"}),
    ),
    (
        RenameConstraint(
            table="users", kind="foreign_key", old="fk_people_team_id", new="fk_users_team_id", definition=FK
        ),
        document(
            "rename_constraint",
            "users",
            None,
            "safe",
            {
                "kind": "foreign_key",
                "old": "fk_people_team_id",
                "new": "fk_users_team_id",
                **{key: value for key, value in FK_JSON.items() if key != "name"},
            },
        ),
    ),
    (
        AlterColumn(
            table="users",
            column="email",
            type=Pair(TypeSpec("string", length=100), TypeSpec("string", length=255)),
            nullable=Pair(True, False),
            server_default=Pair(None, "'x'"),
            comment=Pair(None, "Mail"),
            identity=Pair(None, IdentitySnapshot(always=True)),
            computed=Pair(ComputedSnapshot("lower(mail)", persisted=True), None),
        ),
        document(
            "alter_column",
            "users",
            "email",
            "data_dependent",
            {
                "type": {"old": {"kind": "string", "length": 100}, "new": {"kind": "string", "length": 255}},
                "nullable": {"old": True, "new": False},
                "server_default": {"old": None, "new": "'x'"},
                "comment": {"old": None, "new": "Mail"},
                "identity": {"old": None, "new": {"always": True, "start": 1, "increment": 1}},
                "computed": {"old": {"sqltext": "lower(mail)", "persisted": True}, "new": None},
            },
        ),
    ),
    (
        AlterPrimaryKey(table="users", old=PK, new=None),
        document(
            "alter_primary_key",
            "users",
            None,
            "data_dependent",
            {"old": {"name": "pk_users", "columns": ["id"]}, "new": None},
        ),
    ),
    (
        AddIndex(table="users", definition=IX),
        document("add_index", "users", None, "data_dependent", {"new": IX_JSON}),
    ),
    (
        DropIndex(table="users", definition=IX),
        document("drop_index", "users", None, "safe", {"old": IX_JSON}),
    ),
    (
        AddUnique(table="users", definition=UQ),
        document("add_unique", "users", None, "data_dependent", {"new": UQ_JSON}),
    ),
    (
        DropUnique(table="users", definition=UQ),
        document("drop_unique", "users", None, "safe", {"old": UQ_JSON}),
    ),
    (
        AddCheck(table="users", definition=CK),
        document("add_check", "users", None, "data_dependent", {"new": CK_JSON}),
    ),
    (
        DropCheck(table="users", definition=CK),
        document("drop_check", "users", None, "safe", {"old": CK_JSON}),
    ),
    (
        AddForeignKey(table="users", definition=FK),
        document("add_foreign_key", "users", None, "data_dependent", {"new": FK_JSON}),
    ),
    (
        DropForeignKey(table="users", definition=FK),
        document("drop_foreign_key", "users", None, "safe", {"old": FK_JSON}),
    ),
    (
        AddEnumValue(
            table=None,
            enum="user_status",
            value="invited",
            members=("active", "invited", "banned"),
            old=("active", "banned"),
            new=("active", "invited"),
            columns=("users.status",),
        ),
        document(
            "add_enum_value",
            None,
            None,
            "safe",
            {
                "value": "invited",
                "members": ["active", "invited", "banned"],
                "enum": "user_status",
                "old": ["active", "banned"],
                "new": ["active", "invited"],
                "columns": ["users.status"],
            },
        ),
    ),
    (
        DropEnumValue(
            table="users",
            column="tier",
            enum="tier",
            value="pro",
            members=("free", "pro"),
            old=("free", "pro"),
            new=("free",),
            columns=("users.tier",),
        ),
        document(
            "drop_enum_value",
            "users",
            "tier",
            "destructive",
            {
                "value": "pro",
                "members": ["free", "pro"],
                "enum": "tier",
                "old": ["free", "pro"],
                "new": ["free"],
                "columns": ["users.tier"],
            },
        ),
    ),
    (
        AlterTableComment(table="users", old=None, new="People"),
        document("alter_table_comment", "users", None, "safe", {"old": None, "new": "People"}),
    ),
]
IDS = [str(change.op) for change, _ in CASES]


def test_every_op_has_a_class_and_a_case() -> None:
    assert set(CHANGE_TYPES) == set(Op)
    assert {change.op for change, _ in CASES} == set(Op)
    assert all(type(change) is CHANGE_TYPES[change.op] for change, _ in CASES)


@pytest.mark.parametrize(("change", "expected"), CASES, ids=IDS)
def test_to_json_is_what_the_previous_release_wrote(change: Change, expected: dict[str, Any]) -> None:
    assert json.dumps(change.to_json()) == json.dumps(expected)  # key order included
    assert change.detail == expected["detail"]
    assert change.risk == Risk(expected["risk"])


@pytest.mark.parametrize(("change", "expected"), CASES, ids=IDS)
def test_from_json_reads_it_back_byte_identically(change: Change, expected: dict[str, Any]) -> None:
    for text in (json.dumps(expected), json.dumps(expected, indent=2, sort_keys=True)):
        restored = Change.from_json(json.loads(text))
        assert type(restored) is type(change)
        assert restored == change
        assert json.dumps(restored.to_json()) == json.dumps(expected)
        assert json.dumps(restored.to_json(), indent=2, sort_keys=True) == json.dumps(
            expected, indent=2, sort_keys=True
        )


@pytest.mark.parametrize(("change", "expected"), CASES, ids=IDS)
def test_classify_from_op_and_detail_agrees_with_the_class(change: Change, expected: dict[str, Any]) -> None:
    assert classify(expected["op"], expected["detail"]) == change.risk


@pytest.mark.parametrize(
    ("kind", "definition", "fields"),
    [
        ("primary_key", PrimaryKeySnapshot("pk_users", ("id",)), {"columns": ["id"]}),
        ("unique", UQ, {"columns": ["email"]}),
        ("index", IX, {"columns": ["email"], "unique": True, "expressions": False}),
        ("check", CK, {"sqltext": "age >= 0"}),
    ],
)
def test_every_kind_of_constraint_rename_round_trips(
    kind: str, definition: Any, fields: dict[str, Any]
) -> None:
    change = RenameConstraint(
        table="users", kind=kind, old="old_name", new=definition.name, definition=definition
    )
    detail = {"kind": kind, "old": "old_name", "new": definition.name, **fields}
    assert json.dumps(change.to_json()["detail"]) == json.dumps(detail)
    assert Change.from_json(change.to_json()) == change


def test_risks_that_depend_on_the_fields() -> None:
    not_null = dataclasses.replace(EMAIL, server_default=None)
    assert AddColumn(table="users", column="email", definition=not_null).risk == Risk.DATA_DEPENDENT
    assert AddIndex(table="users", definition=dataclasses.replace(IX, unique=False)).risk == Risk.SAFE
    widened = Pair(TypeSpec("string", length=100), TypeSpec("string", length=255))
    assert AlterColumn(table="users", column="email", type=widened).risk == Risk.SAFE
    assert AlterColumn(table="users", column="email", nullable=Pair(False, True)).risk == Risk.SAFE
    assert AlterColumn(table="users", column="email", nullable=Pair(True, False)).risk == Risk.DATA_DEPENDENT


def test_a_document_keeps_its_own_risk() -> None:
    written = document("alter_table_comment", "users", None, "destructive", {"old": None, "new": "x"})
    assert Change.from_json(written).to_json() == written


def test_an_unknown_op_is_a_clear_error() -> None:
    with pytest.raises(UnknownChangeError, match=r"Unknown change op 'add_view'; known ops: add_table, "):
        Change.from_json(document("add_view", "v", None, "safe", {}))
    with pytest.raises(ValueError, match="Unknown change op None"):
        Change.from_json({"table": "users", "detail": {}, "risk": "safe"})
    with pytest.raises(UnknownChangeError, match=r"AddTable\.from_json cannot read a drop_table change"):
        AddTable.from_json(CASES[1][1])
    with pytest.raises(UnknownChangeError, match=r"unknown attribute\(s\) \['collation'\]"):
        Change.from_json(document("alter_column", "t", "c", "safe", {"collation": {"old": "C", "new": "en"}}))


def test_changes_are_frozen_slotted_values() -> None:
    change = CASES[0][0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.table = "other"  # type: ignore[misc]
    assert not hasattr(change, "__dict__")
    assert RenameTable(table="t", old="a", new="t") == RenameTable(table="t", old="a", new="t")
    assert hash(RenameTable(table="t", old="a", new="t")) == hash(RenameTable(table="t", old="a", new="t"))


def test_labels_and_targets() -> None:
    assert AddIndex(table="users", definition=IX).label == "users(email)"
    assert AddCheck(table="users", definition=CK).label == "users"
    assert AlterPrimaryKey(table="users", old=PK, new=None).label == "users(id)"
    assert AddTable(table="users", definition=TABLE).label == "users"
    assert CASES[17][0].target == "user_status"  # a native enum's change names the type
    assert CASES[18][0].target == "users.tier"


# -- real diffs: the sample and a benchmark codebase pair -------------------------------------------------
def _round_trip(changes: tuple[Change, ...] | list[Change]) -> None:
    documents = [change.to_json() for change in changes]
    restored = [Change.from_json(json.loads(json.dumps(item))) for item in documents]
    assert restored == list(changes)
    assert json.dumps([change.to_json() for change in restored]) == json.dumps(documents)


def test_the_previous_releases_bench_diff_reads_back_byte_identically() -> None:
    text = (GOLDEN / "bench_diff.json").read_text(encoding="utf-8")
    written = json.loads(text)
    changes = [Change.from_json(item) for item in written["changes"]]
    assert {str(change.op) for change in changes} >= {"add_table", "add_column", "alter_column", "drop_index"}
    again = {"changes": [change.to_json() for change in changes], "suggestions": written["suggestions"]}
    assert json.dumps(again, indent=2, sort_keys=True, default=str) + "\n" == text


def test_the_sample_evolution_diff_round_trips() -> None:
    data = REPO / "data"
    for old, new in (
        (data / "sample_app", data / "evolution" / "v2"),
        (data / "evolution" / "v2", data / "sample_app"),
    ):
        changes = api.diff(api.snapshot_of(old), api.snapshot_of(new)).changes
        assert changes
        _round_trip(changes)


def test_a_benchmark_codebase_diff_round_trips(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from bench_migrate import build_codebase
    finally:
        sys.path.remove(str(REPO / "bench"))
    old = api.snapshot_of(build_codebase(tmp_path / "old", 50, changed=False))
    new = api.snapshot_of(build_codebase(tmp_path / "new", 50, changed=True))
    for before, after in ((old, new), (new, old)):
        changes = api.diff(before, after).changes
        assert len({change.op for change in changes}) >= 5
        _round_trip(changes)
