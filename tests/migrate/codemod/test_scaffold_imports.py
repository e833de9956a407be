"""A scaffolded module imports exactly what its source uses: imports come from the rendered expressions.

Each case writes the module, checks it with ruff's pyflakes rules (no unused import, no undefined
name), imports it, generates its models and compares their DDL with the hand-written tables'.
"""

from __future__ import annotations

import decimal
from pathlib import Path

import sqlalchemy as sa
from scaffold_support import ddl_by_dialect, run_generated
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from test_scaffold import dbkit_metadata, ddl

from dbkit.entity import BaseMixin, UpdateMixin
from dbkit.migrate.codemod.scaffold import SourceTable, scaffold


class ImportsBase(DeclarativeBase):
    metadata = dbkit_metadata()


class Ledger(ImportsBase, BaseMixin, UpdateMixin):
    """The audit mixins, no other class variable, only table dialect options: ``ClassVar`` is still needed."""

    __tablename__ = "ledgers"
    __table_args__ = ({"mysql_engine": "InnoDB", "sqlite_autoincrement": False},)
    title: Mapped[str] = mapped_column(sa.String(40))


class Journal(ImportsBase, BaseMixin, UpdateMixin):
    """The audit mixins and a column-less index (left out): neither ``ClassVar`` nor ``sa`` is used."""

    __tablename__ = "journals"
    __table_args__ = (sa.Index("ix_journals_nothing"),)
    title: Mapped[str] = mapped_column(sa.String(40))


class Shelf(ImportsBase):
    """No mixins, a column-less index: ``ClassVar`` is used (``audit_columns``), ``sa`` is not."""

    __tablename__ = "shelves"
    __table_args__ = (sa.Index("ix_shelves_nothing"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(40))


class Voucher(ImportsBase):
    """A default that fails to render after its first item: nothing it began to import stays."""

    __tablename__ = "vouchers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), default=[decimal.Decimal("1"), object()])


def test_audit_model_with_only_dialect_options_imports_classvar(tmp_path: Path) -> None:
    result = scaffold([SourceTable(Ledger.__table__, Ledger, "DB_Books")])
    source = result.modules["BLL_Books"]
    assert "table_args: ClassVar[tuple]" in source
    assert "from typing import ClassVar" in source
    generated = run_generated(result, tmp_path)["ledgers"]
    assert ddl(generated) == ddl(Ledger.__table__)
    assert ddl_by_dialect(generated) == ddl_by_dialect(Ledger.__table__)
    assert generated.dialect_kwargs == Ledger.__table__.dialect_kwargs


def _without_index(table: sa.Table, name: str) -> sa.Table:
    """A copy of ``table`` without the index ``name`` (the one scaffold leaves out, reported)."""
    copy = table.to_metadata(sa.MetaData(naming_convention=table.metadata.naming_convention))
    copy.indexes = {index for index in copy.indexes if index.name != name}
    return copy


def test_audit_model_whose_only_table_arg_is_left_out_imports_neither_classvar_nor_sa(tmp_path: Path) -> None:
    result = scaffold([SourceTable(Journal.__table__, Journal, "DB_Books")])
    source = result.modules["BLL_Books"]
    assert "ClassVar" not in source and "import sqlalchemy" not in source, source
    assert [str(p) for p in result.problems] == [
        "journals: index 'ix_journals_nothing' has no columns: left out."
    ]
    generated = run_generated(result, tmp_path)["journals"]
    assert ddl(generated) == ddl(_without_index(Journal.__table__, "ix_journals_nothing"))


def test_index_without_columns_leaves_no_sqlalchemy_import(tmp_path: Path) -> None:
    result = scaffold([SourceTable(Shelf.__table__, Shelf, "DB_Books")])
    source = result.modules["BLL_Books"]
    assert "import sqlalchemy" not in source, source
    assert "audit_columns: ClassVar[bool] = False" in source
    generated = run_generated(result, tmp_path)["shelves"]
    assert ddl(generated) == ddl(_without_index(Shelf.__table__, "ix_shelves_nothing"))


def test_a_default_that_fails_partway_leaves_no_import(tmp_path: Path) -> None:
    result = scaffold([SourceTable(Voucher.__table__, Voucher, "DB_Books")])
    source = result.modules["BLL_Books"]
    assert "decimal" not in source, source
    assert [(p.table, p.column) for p in result.problems] == [("vouchers", "code")]
    generated = run_generated(result, tmp_path)["vouchers"]
    assert ddl(generated) == ddl(Voucher.__table__)
