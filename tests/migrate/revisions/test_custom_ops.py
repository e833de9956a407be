"""Renames, enum member changes and reason comments: rendering, reversing, running."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import render_python_code
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops

from dbkit.migrate.revisions.custom_ops import AddEnumValueOp, DropEnumValueOp
from dbkit.migrate.revisions.reasons import annotate, with_reason
from dbkit.migrate.revisions.reversal import RenameColumn, RenameTable, rename_column, reverse_upgrade_ops


def render(container: ops.OpContainer) -> str:
    return render_python_code(annotate(container), render_as_batch=True)


def test_alembic_alone_cannot_reverse_renames() -> None:
    """The gap this module fills (if Alembic fixes it, these helpers can go)."""
    with pytest.raises(NotImplementedError):
        ops.RenameTableOp("users", "accounts").reverse()
    undone = ops.AlterColumnOp("users", "fullname", modify_name="full_name").reverse()
    assert (undone.column_name, undone.modify_name) == ("fullname", None)


def test_plain_alembic_renames_render_and_reverse_through_reverse_upgrade_ops() -> None:
    upgrade = ops.UpgradeOps(
        ops=[
            ops.RenameTableOp("users", "accounts"),
            ops.ModifyTableOps(
                "accounts",
                [
                    ops.AlterColumnOp(
                        "accounts", "fullname", modify_name="full_name", existing_type=sa.String(50)
                    )
                ],
            ),
        ]
    )
    downgrade = reverse_upgrade_ops(upgrade)
    assert "op.rename_table('users', 'accounts')" in render(upgrade)
    text = render(downgrade)
    assert text.index("batch_op.alter_column('full_name'") < text.index(
        "op.rename_table('accounts', 'users')"
    )
    assert "new_column_name='fullname'" in text


def test_column_rename_reverse_swaps_names_and_other_modifications() -> None:
    operation = rename_column(
        "accounts", "fullname", "full_name", existing_type=sa.String(50), existing_nullable=True
    )
    operation.modify_nullable = False
    undone = operation.reverse()
    assert isinstance(undone, RenameColumn)
    assert (undone.column_name, undone.modify_name) == ("full_name", "fullname")
    assert (undone.existing_nullable, undone.modify_nullable) == (False, True)
    assert undone.reverse().column_name == "fullname"
    assert RenameTable("a", "b").reverse().reverse().new_table_name == "b"


def test_reasons_render_as_comments_above_their_operation_and_its_undo() -> None:
    upgrade = ops.UpgradeOps(
        ops=[
            ops.ModifyTableOps(
                "users",
                [
                    with_reason(
                        ops.DropColumnOp.from_column_and_tablename(
                            None, "users", sa.Column("legacy", sa.Text())
                        ),
                        "legacy removed\nsee ticket 12",
                    )
                ],
            )
        ]
    )
    text = render(upgrade)
    assert "# legacy removed\n        # see ticket 12\n        batch_op.drop_column('legacy')" in text
    assert "# undo: legacy removed" in render(reverse_upgrade_ops(upgrade))


def test_enum_member_operations_render_and_reverse_into_each_other() -> None:
    add = AddEnumValueOp(
        "status", "archived", values=["draft", "archived", "done"], columns=[("posts", "status")]
    )
    assert render(ops.UpgradeOps(ops=[add])).strip().splitlines()[1].strip() == (
        "op.add_enum_value('status', 'archived', values=['draft', 'archived', 'done'], "
        "columns=[['posts', 'status']])"
    )
    dropped = add.reverse()
    assert isinstance(dropped, DropEnumValueOp) and dropped.values == add.values
    assert isinstance(dropped.reverse(), AddEnumValueOp)
    with pytest.raises(ValueError, match="must be in values"):
        AddEnumValueOp("status", "x", values=["a"])


def _run(engine: sa.Engine, operation: ops.MigrateOperation) -> None:
    """As Alembic runs a revision: the migration context owns the transaction."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        with context.begin_transaction():
            Operations(context).invoke(operation)


def _labels(connection: sa.Connection, enum_name: str) -> list[str]:
    return next(item["labels"] for item in sa.inspect(connection).get_enums() if item["name"] == enum_name)


@pytest.mark.postgres
def test_enum_member_added_and_dropped_on_postgresql_keeps_rows(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("""CREATE TYPE "Order status" AS ENUM ('new', 'done')""")
        conn.exec_driver_sql("""CREATE TABLE "my orders" (id int primary key, "the status" "Order status")""")
        conn.exec_driver_sql("""INSERT INTO "my orders" VALUES (1, 'new'), (2, 'done')""")
    add = AddEnumValueOp(
        "Order status",
        "it's shipped",
        values=["new", "it's shipped", "done"],
        columns=[("my orders", "the status")],
    )
    _run(engine, add)
    with engine.begin() as conn:
        assert _labels(conn, "Order status") == ["new", "it's shipped", "done"]  # in place, quoted
        conn.exec_driver_sql("""INSERT INTO "my orders" VALUES (3, 'it''s shipped')""")
        conn.exec_driver_sql("""DELETE FROM "my orders" WHERE id = 3""")
    _run(engine, add.reverse())
    with engine.begin() as conn:
        assert _labels(conn, "Order status") == ["new", "done"]
        rows = conn.exec_driver_sql("""SELECT id, "the status"::text FROM "my orders" ORDER BY id""").all()
        assert rows == [(1, "new"), (2, "done")]
    engine.dispose()


@pytest.mark.postgres
def test_dropping_an_enum_member_still_in_use_fails_instead_of_losing_rows(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TYPE status AS ENUM ('new', 'done')")
        conn.exec_driver_sql("CREATE TABLE orders (id int primary key, status status)")
        conn.exec_driver_sql("INSERT INTO orders VALUES (1, 'done')")
    drop = DropEnumValueOp("status", "done", values=["new", "done"], columns=[("orders", "status")])
    with pytest.raises(sa.exc.DataError, match="invalid input value"):
        _run(engine, drop)
    with engine.connect() as conn:
        assert _labels(conn, "status") == ["new", "done"]
        assert conn.exec_driver_sql("SELECT count(*) FROM orders").scalar() == 1
    engine.dispose()


def test_enum_member_operations_are_no_ops_on_sqlite(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (id integer primary key, status varchar(10))")
    add = AddEnumValueOp("status", "archived", values=["new", "archived"], columns=[("orders", "status")])
    _run(engine, add)
    _run(engine, add.reverse())
    with engine.connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("orders")] == ["id", "status"]
    engine.dispose()
