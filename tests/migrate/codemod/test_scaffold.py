"""Scaffold: hand-written tables → BLL source whose generated models have the same PostgreSQL DDL.

Each shape is checked twice: the generated source is compared exactly (for a few small tables),
and it is executed in isolation and its models generated on a scratch manager, whose DDL must
equal the hand-written tables' DDL.
"""

from __future__ import annotations

import enum
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, backref, mapped_column, relationship
from sqlalchemy.schema import CreateIndex, CreateTable, SetColumnComment, SetTableComment

from dbkit import DatabaseManager, ModelRegistry
from dbkit.entity import BaseMixin, UpdateMixin
from dbkit.generate.builder import is_database_model
from dbkit.migrate.codemod.scaffold import (
    FieldPlan,
    ModelPlan,
    ModelRef,
    ScaffoldError,
    ScaffoldGenerator,
    ScaffoldResult,
    SourceTable,
    scaffold,
)
from dbkit.migrate.codemod.scaffold.code import Attribute, Call, Import, Name
from dbkit.naming import naming_convention

SAMPLE_APP = Path(__file__).resolve().parents[3] / "data" / "sample_app"


# -- helpers: executing generated source in isolation, and the DDL a table creates -----------------


def load_generated(directory: Path, names: list[str]) -> dict[str, ModuleType]:
    """Import the written modules with ``directory`` first on sys.path, then forget them again."""
    saved_path = list(sys.path)
    saved_modules = dict(sys.modules)
    sys.path.insert(0, str(directory))
    try:
        return {name: importlib.import_module(name) for name in names}
    finally:
        sys.path[:] = saved_path
        for name in list(sys.modules):
            if name not in saved_modules:
                del sys.modules[name]
        sys.modules.update(saved_modules)


def generated_tables(result: ScaffoldResult, directory: Path) -> dict[str, sa.Table]:
    result.write(directory)
    modules = load_generated(directory, list(result.modules))
    models = [
        obj
        for module in modules.values()
        for obj in vars(module).values()
        if is_database_model(obj) and obj.__module__ == module.__name__
    ]
    registry = ModelRegistry(DatabaseManager("sqlite://"), models)
    return {model.__table__.name: model.__table__ for model in registry.generate().values()}


def ddl(table: sa.Table) -> dict[str, Any]:
    """PostgreSQL DDL of a table: column lines in order; constraints, indexes, comments, enums as sets."""
    dialect = postgresql.dialect()
    lines = str(CreateTable(table).compile(dialect=dialect)).strip().splitlines()[1:-1]
    lines = [line.strip().rstrip(",") for line in lines]
    constraint_starts = ("CONSTRAINT", "PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK")
    comments = [SetColumnComment(c) for c in table.columns if c.comment]
    if table.comment:
        comments.append(SetTableComment(table))
    return {
        "columns": [line for line in lines if not line.startswith(constraint_starts)],
        "constraints": sorted(line for line in lines if line.startswith(constraint_starts)),
        "indexes": sorted(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes),
        "comments": sorted(str(statement.compile(dialect=dialect)) for statement in comments),
        "enums": sorted(
            (c.name, c.type.name, tuple(c.type.enums), c.type.native_enum)
            for c in table.columns
            if isinstance(c.type, sa.Enum)
        ),
    }


def assert_same_ddl(hand_written: list[sa.Table], tmp_path: Path, **kwargs: Any) -> ScaffoldResult:
    result = scaffold([SourceTable(t) if isinstance(t, sa.Table) else t for t in hand_written], **kwargs)
    generated = generated_tables(result, tmp_path)
    for table in hand_written:
        table = table.table if isinstance(table, SourceTable) else table
        assert ddl(generated[table.name]) == ddl(table), f"{table.name} differs:\n{result.modules}"
    return result


def dbkit_metadata() -> sa.MetaData:
    return sa.MetaData(naming_convention=naming_convention())


def sources(*classes: type, module: str = "DB_Shop") -> list[SourceTable]:
    return [SourceTable(cls.__table__, cls, module) for cls in classes]  # type: ignore[attr-defined]


# -- exact source --------------------------------------------------------------------------------


class Colour(str, enum.Enum):  # noqa: UP042 - the str-mixin spelling real code uses
    red = "red"
    green = "green"


def test_plain_table_is_rendered_exactly() -> None:
    metadata = dbkit_metadata()
    tags = sa.Table(
        "tags",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(50), nullable=False, unique=True, comment="Shown to users"),
        sa.Column("colour", sa.Enum(Colour, name="colour"), nullable=False, server_default="red"),
        sa.Column("note", sa.Text),
        comment="Labels",
    )
    result = scaffold([SourceTable(tags, module="DB_Labels")])
    assert result.problems == []
    assert result.models["tags"].module == "BLL_Labels"
    assert result.modules == {
        "BLL_Labels": '''"""Business-logic models scaffolded by dbkit from DB_Labels: review, then own this file."""

import enum
from typing import Annotated, ClassVar

import sqlalchemy as sa
from dbkit import DatabaseMixin, DBColumn
from pydantic import Field


class Colour(str, enum.Enum):
    red = "red"
    green = "green"


class TagModel(DatabaseMixin):
    table_comment: ClassVar[str] = "Labels"
    audit_columns: ClassVar[bool] = False

    id: Annotated[int | None, DBColumn(primary_key=True)] = None
    label: Annotated[str, DBColumn(unique=True)] = Field(description="Shown to users", max_length=50)
    colour: Annotated[Colour, DBColumn(server_default="red")]
    note: Annotated[str | None, DBColumn(sa_type=sa.Text())] = None
'''
    }


class PetBase(DeclarativeBase):
    metadata = dbkit_metadata()


class Owner(PetBase, BaseMixin, UpdateMixin):
    __tablename__ = "owners"
    name: Mapped[str] = mapped_column(sa.String(100), comment="Full name")


class Pet(PetBase, BaseMixin, UpdateMixin):
    __tablename__ = "pets"
    owner_id: Mapped[str] = mapped_column(
        sa.Uuid(as_uuid=False), sa.ForeignKey("owners.id"), comment="The ID of the related owner"
    )
    carer_id: Mapped[str | None] = mapped_column(
        sa.Uuid(as_uuid=False), sa.ForeignKey("owners.id", ondelete="SET NULL")
    )
    owner = relationship(Owner, foreign_keys=[owner_id], backref="pets")
    carer = relationship(Owner, foreign_keys=[carer_id], backref="cared_pets")


def test_mixins_and_references_are_rendered_exactly(tmp_path: Path) -> None:
    """Audit mixins become ApplicationModel; an exact reference becomes a ReferenceID base, others DBColumn."""
    result = assert_same_ddl(sources(Pet, Owner, module="DB_Pets"), tmp_path)
    assert result.problems == []
    assert (
        result.modules["BLL_Pets"]
        == '''"""Business-logic models scaffolded by dbkit from DB_Pets: review, then own this file."""

from typing import Annotated

from dbkit import ApplicationModel, DatabaseMixin, DBColumn
from pydantic import Field


class OwnerModel(ApplicationModel, DatabaseMixin):
    name: str = Field(description="Full name", max_length=100)


class PetModel(ApplicationModel, OwnerModel.ReferenceID, DatabaseMixin):
    carer_id: Annotated[
        str | None, DBColumn(references=OwnerModel, ondelete="SET NULL", backref="cared_pets")
    ] = None
'''
    )


# -- the sample application ----------------------------------------------------------------------


def load_sample_tables() -> list[SourceTable]:
    from dbkit.migrate.source.codebase import load_codebase

    codebase = load_codebase(SAMPLE_APP)
    assert not codebase.errors
    entries = sorted(codebase.hand_written.values(), key=lambda e: (e.file, e.name))
    return [SourceTable.from_hand_written(entry) for entry in entries]


def test_sample_app_scaffolds_to_the_same_ddl_for_every_table(tmp_path: Path) -> None:
    tables = load_sample_tables()
    assert len(tables) == 10
    result = assert_same_ddl(tables, tmp_path)
    assert sorted(result.modules) == ["BLL_Auth", "BLL_Documents", "BLL_Teams"]
    for source in result.modules.values():
        assert "DB_" not in source.split('"""', 2)[2]


# -- a broad set of shapes, checked by executing the generated source ------------------------------


class Priority(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Lowercase(sa.types.TypeDecorator[str]):
    """A TypeDecorator importable from a module that stays (this test module)."""

    impl = sa.String(40)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return value.lower() if value else value


class ShopBase(DeclarativeBase):
    metadata = dbkit_metadata()


class Account(ShopBase, BaseMixin, UpdateMixin):
    """Exactly dbkit's mixin columns: scaffolded with ApplicationModel and the audit mixins."""

    __tablename__ = "accounts"
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)


class Category(ShopBase):
    """Self-reference with an integer key, server defaults, a CHECK, a named unique constraint."""

    __tablename__ = "categories"
    __table_args__ = (
        sa.CheckConstraint("length(code) > 1", name="ck_categories_code_long"),
        sa.UniqueConstraint("code", "parent_id", name="categories_code_parent"),
        {"comment": "A tree of categories"},
    )
    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(start=10, always=True), primary_key=True)
    code: Mapped[str] = mapped_column(sa.Text, server_default=sa.text("'misc'"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="CASCADE"))
    parent = relationship("Category", remote_side="Category.id", backref="children")


class Product(ShopBase, BaseMixin):
    """Attribute names differing from column names, forbidden names, Numeric, JSON, variants, enums."""

    __tablename__ = "products"
    __table_args__ = (sa.Index("products_lower_name", sa.text("lower(label)"), unique=True),)
    label: Mapped[str] = mapped_column("name", sa.String(80), comment="What customers see")
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", sa.JSON)
    model_number: Mapped[str | None] = mapped_column(sa.String(20))
    _secret: Mapped[str | None] = mapped_column("secret", sa.String(10))
    price: Mapped[Any] = mapped_column(sa.Numeric(10, 2), nullable=False)
    weight: Mapped[float | None] = mapped_column(sa.Float(precision=53))
    total: Mapped[Any] = mapped_column(sa.Numeric(12, 2), sa.Computed("price * 2", persisted=True))
    attributes: Mapped[Any] = mapped_column(sa.JSON().with_variant(postgresql.JSONB(), "postgresql"))
    image: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    released: Mapped[Any] = mapped_column(sa.DateTime(), server_default=sa.func.now())
    reviewed: Mapped[Any] = mapped_column(sa.DateTime(timezone=True), nullable=True)
    priority: Mapped[Priority] = mapped_column(sa.Enum(Priority, name="priority_level"), default=Priority.LOW)
    priority_value: Mapped[Priority | None] = mapped_column(
        sa.Enum(Priority, name="priority_by_value", values_callable=lambda e: [m.value for m in e])
    )
    grade: Mapped[str | None] = mapped_column(sa.Enum("a", "b", name="product_grade", native_enum=False))
    slug: Mapped[str | None] = mapped_column(Lowercase())
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    account_id: Mapped[str] = mapped_column(
        sa.Uuid(as_uuid=False), sa.ForeignKey("accounts.id", name="product_owner_fk"), nullable=False
    )
    category = relationship(Category, backref=backref("products", lazy="dynamic"))


class Stock(ShopBase):
    """Composite primary key without ``id``, and a composite foreign key."""

    __tablename__ = "stock"
    __table_args__ = (sa.PrimaryKeyConstraint("warehouse", "product_code", name="stock_pk"),)
    warehouse: Mapped[str] = mapped_column(sa.String(10))
    product_code: Mapped[str] = mapped_column(sa.String(20))
    quantity: Mapped[int] = mapped_column(server_default="0")


class StockMove(ShopBase):
    __tablename__ = "stock_moves"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["warehouse", "product_code"], ["stock.warehouse", "stock.product_code"], ondelete="RESTRICT"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse: Mapped[str] = mapped_column(sa.String(10))
    product_code: Mapped[str] = mapped_column(sa.String(20))
    moved_at: Mapped[Any] = mapped_column(sa.Time)


account_categories = sa.Table(
    "account_categories",
    ShopBase.metadata,
    sa.Column("account_id", sa.Uuid(as_uuid=False), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("category_id", sa.BigInteger, sa.ForeignKey("categories.id"), primary_key=True),
)

SHOP_CLASSES = (Account, Category, Product, Stock, StockMove)


def test_every_shape_scaffolds_to_the_same_postgresql_ddl(tmp_path: Path) -> None:
    tables = [*sources(*SHOP_CLASSES), SourceTable(account_categories, None, "DB_Shop")]
    result = assert_same_ddl(tables, tmp_path)
    source = result.modules["BLL_Shop"]
    assert "class AccountModel(ApplicationModel, DatabaseMixin):" in source
    assert 'label: Annotated[str, DBColumn(name="name")]' in source
    # a JSON column typed by its Mapped[dict[str, Any] | None] annotation
    assert 'metadata_: Annotated[dict[str, Any] | None, DBColumn(name="metadata")] = None' in source
    assert "secret: str | None = Field(None, max_length=10)" in source
    assert 'number_model: Annotated[str | None, DBColumn(name="model_number")]' in source
    assert 'sa_type=sa.JSON().with_variant(postgresql.JSONB(), "postgresql")' in source
    assert "import Lowercase" in source
    assert 'grade: Annotated[Literal["a", "b"] | None, DBColumn(native_enum=False)] = None' in source
    assert 'Annotated[Priority | None, DBColumn(enum_name="priority_by_value", enum_by="value")]' in source
    problems = sorted(str(problem) for problem in result.problems)
    # relationship shapes are carried, not reported (issue #15): the backref's lazy="dynamic", and
    # the self-reference over a plain foreign key as a declared relationship with its remote side
    assert 'backref_options={"lazy": "dynamic"}' in source
    assert '"parent": DBRelationship("Category", back_populates="children", remote_side=("id",))' in source
    assert not any("not generated" in p for p in problems), problems
    assert not any("server default" in p or "server_onupdate" in p for p in problems), problems


def test_a_type_defined_in_a_db_module_is_reported_and_stored_as_its_storage_type(tmp_path: Path) -> None:
    """A converting decorator the generated module cannot import: its values' type, its conversion reported lost."""
    legacy = ModuleType("DB_Legacy")
    exec(
        "import sqlalchemy as sa\n"
        "class Upper(sa.types.TypeDecorator):\n"
        "    impl = sa.String(12)\n"
        "    cache_ok = True\n"
        "    def process_bind_param(self, value, dialect):\n"
        "        return value.upper()\n",
        legacy.__dict__,
    )
    metadata = dbkit_metadata()
    table = sa.Table("codes", metadata, sa.Column("code", legacy.Upper(), primary_key=True))
    result = assert_same_ddl([SourceTable(table, None, "DB_Legacy")], tmp_path)
    source = result.modules["BLL_Legacy"]
    assert "DB_Legacy" not in source.split('"""', 2)[2]
    assert "code: Annotated[str, DBColumn(primary_key=True)] = Field(max_length=12)" in source, source
    assert any("Upper" in str(p) and "not carried over" in str(p) for p in result.problems)


def test_a_decorator_that_converts_nothing_is_its_storage_type_without_a_problem(tmp_path: Path) -> None:
    legacy = ModuleType("DB_Legacy")
    exec(
        "import sqlalchemy as sa\nclass Code(sa.types.TypeDecorator):\n    impl = sa.String(12)\n    cache_ok = True\n",
        legacy.__dict__,
    )
    table = sa.Table("codes", dbkit_metadata(), sa.Column("code", legacy.Code(), primary_key=True))
    result = assert_same_ddl([SourceTable(table, None, "DB_Legacy")], tmp_path)
    assert (
        "code: Annotated[str, DBColumn(primary_key=True)] = Field(max_length=12)"
        in result.modules["BLL_Legacy"]
    )
    assert result.problems == []


def test_nothing_to_scaffold_is_a_clear_error() -> None:
    with pytest.raises(ScaffoldError, match="no hand-written tables"):
        scaffold([])


def test_output_is_deterministic() -> None:
    tables = [*sources(*SHOP_CLASSES), SourceTable(account_categories, None, "DB_Shop")]
    first, second = scaffold(tables), scaffold(tables)
    assert json.dumps(first.modules) == json.dumps(second.modules)
    assert first.problems == second.problems


# -- the extension point: ScaffoldGenerator's public hooks ------------------------------------------


class LegacyNaming(ScaffoldGenerator):
    """A codebase whose tables say ``tbl_`` and columns ``fld_``: the models keep neither."""

    def module_name(self, source: SourceTable) -> str:
        return "models_" + source.module.removeprefix("DB_").lower()

    def model_name(self, source: SourceTable) -> str:
        return source.table.name.removeprefix("tbl_").title()

    def field_name(self, attribute: str, taken: set[str]) -> str:
        return super().field_name(attribute.removeprefix("fld_"), taken)

    def module_docstring(self, module: str, origins: list[str]) -> str:
        return f"Sales models (from {', '.join(origins)})."

    def plan_field(self, model: ModelPlan, column: sa.Column[Any]) -> FieldPlan:
        """Stamp ``updated`` on every UPDATE (ORM-level: the table does not change)."""
        field = super().plan_field(model, column)
        if field.name == "updated":
            now = Attribute(Attribute(Name("sa", Import("sqlalchemy", alias="sa")), "func"), "now")
            field.options["update_value"] = Call(now)
        return field


def test_overridden_hooks_change_the_output_but_not_the_table(tmp_path: Path) -> None:
    metadata = dbkit_metadata()
    customers = sa.Table(
        "tbl_customer",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fld_name", sa.String(80), nullable=False),
        sa.Column("fld_updated", sa.DateTime(timezone=True)),
    )
    result = LegacyNaming([SourceTable(customers, None, "DB_Sales")]).generate()
    assert result.problems == []
    assert result.models["tbl_customer"] == ModelRef("models_sales", "Customer")
    assert result.modules == {
        "models_sales": '''"""Sales models (from DB_Sales)."""

import datetime as dt
from typing import Annotated, ClassVar

import sqlalchemy as sa
from dbkit import DatabaseMixin, DBColumn
from pydantic import Field


class Customer(DatabaseMixin):
    table_name: ClassVar[str] = "tbl_customer"
    audit_columns: ClassVar[bool] = False

    id: Annotated[int | None, DBColumn(primary_key=True)] = None
    name: Annotated[str, DBColumn(name="fld_name")] = Field(max_length=80)
    updated: Annotated[dt.datetime | None, DBColumn(name="fld_updated", update_value=sa.func.now())] = None
'''
    }
    generated = generated_tables(result, tmp_path)
    assert ddl(generated["tbl_customer"]) == ddl(customers)
    assert generated["tbl_customer"].c.fld_updated.onupdate is not None


def test_the_hooks_are_the_only_public_methods() -> None:
    """Everything else is internal (``_``-prefixed) and free to change."""
    public = {name for name in vars(ScaffoldGenerator) if not name.startswith("_")}
    assert public == {
        "generate",
        "problem",
        "module_name",
        "model_name",
        "field_name",
        "plan_field",
        "module_docstring",
    }
