"""Every table shape a hand-written model can have is expressible as a BLL model, identically.

"Identical" is checked on the PostgreSQL DDL of both tables, and on a real database of each backend.
"""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar

import pytest
import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import relationship
from sqlalchemy.schema import CreateIndex, CreateTable

from dbkit import BaseMixin, DatabaseManager, DatabaseMixin, DBColumn, ModelRegistry, UpdateMixin


class Status(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


def declare_hand_written(base: type) -> None:
    class Account(base):
        __tablename__ = "accounts"
        id = sa.Column(sa.Integer, sa.Identity(), primary_key=True)
        code = sa.Column(sa.String(20), nullable=False, unique=True)
        private = sa.Column("_private", sa.String, nullable=True, comment="kept out of reports")
        kind = sa.Column(sa.String(10), nullable=False, server_default=sa.text("'standard'"))
        total = sa.Column(sa.Integer, sa.Computed("id * 2"))

    class Branch(base):
        __tablename__ = "branches"
        region = sa.Column(sa.String(8), primary_key=True)
        code = sa.Column(sa.String(8), primary_key=True)

    class Ledger(base):
        __tablename__ = "ledgers"
        __table_args__ = (
            sa.UniqueConstraint("account_code", "period", name="uq_ledger_period"),
            sa.CheckConstraint("length(currency) = 3", name="ck_ledgers_currency_len"),
            sa.Index("ix_ledgers_period_desc", "period"),
            sa.ForeignKeyConstraint(
                ["region", "branch"], ["branches.region", "branches.code"], ondelete="CASCADE"
            ),
            {"comment": "Ledger lines"},
        )
        account_code = sa.Column(
            sa.String(20),
            sa.ForeignKey("accounts.code", ondelete="CASCADE", onupdate="CASCADE", name="fk_ledger_account"),
            primary_key=True,
        )
        period = sa.Column(sa.Integer, primary_key=True)
        currency = sa.Column(sa.String(3), nullable=False, server_default="EUR")
        status = sa.Column(
            sa.Enum(Status, name="ledger_status", values_callable=lambda e: [m.value for m in e]),
            nullable=False,
        )
        region = sa.Column(sa.String(8))
        branch = sa.Column(sa.String(8))


class AccountModel(DatabaseMixin):
    audit_columns: ClassVar[bool] = False
    id: Annotated[int, DBColumn(primary_key=True, identity=sa.Identity())]
    code: Annotated[str, DBColumn(unique=True)] = Field(max_length=20)
    private: Annotated[str | None, DBColumn(name="_private")] = Field(None, description="kept out of reports")
    kind: Annotated[str, DBColumn(server_default=sa.text("'standard'"))] = Field(max_length=10)
    total: Annotated[int | None, DBColumn(computed=sa.Computed("id * 2"))] = None


class BranchModel(DatabaseMixin):
    audit_columns: ClassVar[bool] = False
    region: Annotated[str, DBColumn(primary_key=True)] = Field(max_length=8)
    code: Annotated[str, DBColumn(primary_key=True)] = Field(max_length=8)


class LedgerModel(DatabaseMixin):
    audit_columns: ClassVar[bool] = False
    table_comment: ClassVar[str] = "Ledger lines"
    table_args: ClassVar[tuple] = (
        sa.UniqueConstraint("account_code", "period", name="uq_ledger_period"),
        sa.CheckConstraint("length(currency) = 3", name="ck_ledgers_currency_len"),
        sa.Index("ix_ledgers_period_desc", "period"),
        sa.ForeignKeyConstraint(
            ["region", "branch"], ["branches.region", "branches.code"], ondelete="CASCADE"
        ),
    )
    account_code: Annotated[
        str,
        DBColumn(
            primary_key=True,
            foreign_key="accounts.code",
            ondelete="CASCADE",
            onupdate="CASCADE",
            fk_name="fk_ledger_account",
        ),
    ] = Field(max_length=20)
    period: Annotated[int, DBColumn(primary_key=True)]
    currency: Annotated[str, DBColumn(server_default="EUR")] = Field(max_length=3)
    status: Annotated[Status, DBColumn(enum_name="ledger_status", enum_by="value")]
    region: str | None = Field(None, max_length=8)
    branch: str | None = Field(None, max_length=8)


SHAPE_MODELS = [AccountModel, BranchModel, LedgerModel]


def postgres_ddl(metadata: sa.MetaData) -> dict[str, str]:
    dialect = postgresql.dialect()
    return {
        table.name: "\n".join(
            [
                str(CreateTable(table).compile(dialect=dialect)),
                *sorted(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes),
            ]
        )
        for table in metadata.sorted_tables
    }


def test_bll_models_generate_tables_identical_to_hand_written_ones() -> None:
    hand_written, generated = DatabaseManager("sqlite://"), DatabaseManager("sqlite://")
    declare_hand_written(hand_written.Base)
    ModelRegistry(generated, SHAPE_MODELS).generate()
    assert postgres_ddl(generated.metadata) == postgres_ddl(hand_written.metadata)


def test_identical_shapes_create_and_hold_rows(manager: DatabaseManager) -> None:
    classes = ModelRegistry(manager, SHAPE_MODELS).create_schema()
    Account, Branch, Ledger = (classes[m] for m in SHAPE_MODELS)
    with manager.get_db() as db:
        db.add_all([Account(code="A1"), Branch(region="north", code="B1")])
        db.flush()
        db.add(Ledger(account_code="A1", period=1, status=Status.OPEN, region="north", branch="B1"))
    with manager.get_db() as db:
        ledger = db.scalars(sa.select(Ledger)).one()
        assert (ledger.currency, ledger.status) == ("EUR", Status.OPEN)
        account = db.scalars(sa.select(Account)).one()
        assert (account.kind, account.total) == ("standard", account.id * 2)
        assert db.execute(sa.text("SELECT status FROM ledgers")).scalar() == "open"
    with pytest.raises(sa.exc.IntegrityError), manager.get_db() as db:
        db.add(Ledger(account_code="A1", period=2, currency="EU", status=Status.CLOSED))


def test_hand_written_and_generated_models_share_a_base_and_reference_each_other(
    manager: DatabaseManager,
) -> None:
    class Customer(manager.Base, BaseMixin, UpdateMixin):  # hand-written, seed style
        __tablename__ = "customers"
        email = sa.Column(sa.String, nullable=False, unique=True)

    class OrderModel(DatabaseMixin):  # generated, pointing at the hand-written table
        customer_id: Annotated[str, DBColumn(references=Customer, backref="orders")]
        total: int = 0

    Order = OrderModel.db_for(manager)

    class Invoice(manager.Base, BaseMixin):  # hand-written, pointing at the generated class
        __tablename__ = "invoices"
        order_id = BaseMixin.create_foreign_key(Order, nullable=False, ondelete="CASCADE")
        order = relationship(Order, backref="invoices")

    manager.create_all()
    with manager.get_db() as db:
        customer = Customer(email="c@example.com")
        db.add(customer)
        db.flush()
        order = Order(customer_id=customer.id, total=3)
        db.add(order)
        db.flush()
        db.add(Invoice(order_id=order.id))
    with manager.get_db() as db:
        invoice = db.scalars(sa.select(Invoice)).one()
        assert invoice.order.customer.email == "c@example.com"
        assert [o.total for o in invoice.order.customer.orders] == [3]
    fk = next(iter(Invoice.__table__.c.order_id.foreign_keys))
    assert (fk.constraint.name, fk.ondelete, fk.target_fullname) == (
        "fk_invoices_order_id",
        "CASCADE",
        "orders.id",
    )
    assert Invoice.__table__.c.order_id.type.__class__ is sa.Uuid
