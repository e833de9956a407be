"""Phase 1 decisions per parity difference: ``plan_parity_fixes`` rewrites the model where the database
is right, lists the revision change (with its lint verdict) where the model is right.

Two codebases: a copy of the sample (its deliberate drifts) and a shop written here, whose
hand-written model drifts in every way a table can (a column's type, a missing and an extra column,
an index, a unique constraint, the table comment, enum members, a field named unlike its column).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from codebases import write_codebase

from dbkit.migrate import api
from dbkit.migrate.codemod.parity_fix import (
    ParityFixError,
    difference_key,
    plan_parity_fixes,
    schema_difference_keys,
)
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.parity import parity

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample_app"
SAMPLE_KEYS = ["roles.name:type", "teams(slug):unique", "teams.description:nullable"]

SHOP_DB = """
    import enum

    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Status(enum.Enum):
        draft = "draft"
        live = "live"
        retired = "retired"


    class Vendor(Base):
        __tablename__ = "vendors"

        id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(80))


    class Product(Base):
        __tablename__ = "products"
        __table_args__ = (
            sa.Index("ix_products_vendor_sku", "vendor_id", "sku"),
            sa.CheckConstraint("price >= 0", name="ck_products_price_positive"),
            {"comment": "What we sell"},
        )

        id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
        sku: Mapped[str] = mapped_column(sa.String(40), unique=True, comment="Stock keeping unit")
        price: Mapped[float] = mapped_column(sa.Numeric(10, 2), server_default="0")
        status: Mapped[Status] = mapped_column(sa.Enum(Status, name="product_status"), server_default="draft")
        vendor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vendors.id"))
        label: Mapped[str | None] = mapped_column("display_label", sa.String(120))
        notes: Mapped[str | None] = mapped_column(sa.Text)
"""

SHOP_BLL = '''
    """Shop models, written by hand."""

    import decimal
    import enum
    from typing import Annotated, ClassVar

    import sqlalchemy as sa
    from pydantic import Field

    from dbkit import DatabaseMixin, DBColumn


    class ProductStatus(enum.Enum):
        draft = "draft"
        live = "live"


    class VendorModel(DatabaseMixin):
        audit_columns: ClassVar[bool] = False

        id: Annotated[int | None, DBColumn(primary_key=True)] = None
        name: str = Field(max_length=80)


    class ProductModel(DatabaseMixin):
        """Products, as the shop's code sees them."""

        table_comment: ClassVar[str] = "Things for sale"
        audit_columns: ClassVar[bool] = False
        table_args: ClassVar[tuple] = (
            sa.CheckConstraint("price >= 0", name="ck_products_price_positive"),
            sa.UniqueConstraint("vendor_id", "display_label", name="uq_products_vendor_label"),
        )

        id: Annotated[int | None, DBColumn(primary_key=True)] = None
        sku: Annotated[str, DBColumn(unique=True)] = Field(
            description="Stock keeping unit", max_length=30, pattern=r"^[A-Z0-9-]+$"
        )  # the shop's SKU format
        price: Annotated[decimal.Decimal, DBColumn(server_default="0")] = Field(max_digits=10, decimal_places=2)
        status: Annotated[ProductStatus, DBColumn(server_default="draft", enum_name="product_status")]
        vendor_id: Annotated[int | None, DBColumn(references=VendorModel, relationship=False)] = None
        display: Annotated[str | None, DBColumn(name="display_label")] = Field(None, max_length=200)
        legacy_code: str | None = Field(None, max_length=10)
'''

SHOP_KEYS = {
    "products(vendor_id, display_label):unique",
    "products(vendor_id, sku):index",
    "products.display_label:type",
    "products.legacy_code:column",
    "products.notes:column",
    "products.sku:type",
    "products.status (product_status):enum_members",
    "products:table_comment",
}


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    copy = tmp_path / "sample_app"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_codebase(tmp_path / "shop", {"DB_Shop.py": SHOP_DB, "BLL_Shop.py": SHOP_BLL})


def texts(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(root.glob("*.py"))}


def schema_keys(root: Path) -> set[str]:
    return set(schema_difference_keys(parity(load_codebase(root))))


# -- keys -------------------------------------------------------------------------------------------
def test_difference_keys_name_the_object_and_the_kind(sample: Path) -> None:
    report = parity(load_codebase(sample))
    keys = [difference_key(table, difference) for table, difference in report.differences("schema")]
    assert keys == SAMPLE_KEYS
    assert list(schema_difference_keys(report)) == SAMPLE_KEYS


# -- the database is right ------------------------------------------------------------------------------
def test_hand_written_rewrites_the_sample_until_parity_shows_no_schema_difference(sample: Path) -> None:
    before = texts(sample)
    plan = plan_parity_fixes(load_codebase(sample), "hand-written")
    assert texts(sample) == before  # planning writes nothing
    assert sorted(plan.fixed) == SAMPLE_KEYS and not plan.unfixable and not plan.to_revision
    assert [edit.path.name for edit in plan.edits] == ["BLL_Auth.py", "BLL_Teams.py"]
    diff = plan.diff()
    assert "--- a/BLL_Teams.py\n+++ b/BLL_Teams.py" in diff
    assert (
        '+    slug: Annotated[str, DBColumn(unique=True)] = Field(description="URL-safe name", max_length=100)'
        in diff
    )
    assert "max_length=50)" in diff and "str | None, DBColumn(sa_type=sa.Text())" in diff

    written = plan.write()

    assert sorted(path.name for path in written) == ["BLL_Auth.py", "BLL_Teams.py"]
    assert schema_keys(sample) == set()
    after = texts(sample)
    assert {name for name in after if after[name] != before[name]} == {"BLL_Auth.py", "BLL_Teams.py"}


def test_only_the_fields_statement_changes_everything_else_stays_byte_identical(sample: Path) -> None:
    plan = plan_parity_fixes(load_codebase(sample), {"roles.name:type": "hand-written"})
    (edit,) = plan.edits
    old, new = edit.old_text.splitlines(keepends=True), edit.new_text.splitlines(keepends=True)
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert len(old) == len(new) and len(changed) == 1
    assert "max_length=64" in old[changed[0]] and "max_length=50" in new[changed[0]]
    assert (
        old[changed[0] - 1]
        == new[changed[0] - 1]
        == "    # Deliberate drift: DB_Auth.Role.name is String(50).\n"
    )


def test_hand_written_on_a_codebase_drifting_in_every_way(shop: Path) -> None:
    assert schema_keys(shop) == SHOP_KEYS
    plan = plan_parity_fixes(load_codebase(shop), "hand-written")
    assert set(plan.fixed) == SHOP_KEYS and not plan.unfixable
    new = plan.edits[0].new_text
    # The pattern is validation the database never sees: kept. The field keeps its own name.
    assert 'pattern=r"^[A-Z0-9-]+$"' in new and "# the shop's SKU format" in new
    assert (
        'display: Annotated[str | None, DBColumn(name="display_label")] = Field(None, max_length=120)' in new
    )
    assert (
        "legacy_code" not in new and "notes: Annotated[str | None, DBColumn(sa_type=sa.Text())] = None" in new
    )
    assert 'sa.Index("ix_products_vendor_sku", "vendor_id", "sku")' in new
    assert "uq_products_vendor_label" not in new
    assert 'table_comment: ClassVar[str] = "What we sell"' in new
    assert "class Status(enum.Enum):" in new and "retired" in new  # scaffold's enum, defined inline

    plan.write()

    assert schema_keys(shop) == set()


def test_only_the_chosen_tables_are_rewritten(sample: Path) -> None:
    plan = plan_parity_fixes(load_codebase(sample), "hand-written", tables=["teams"])
    assert sorted(plan.fixed) == ["teams(slug):unique", "teams.description:nullable"]
    assert [edit.path.name for edit in plan.edits] == ["BLL_Teams.py"]
    plan.write()
    assert schema_keys(sample) == {"roles.name:type"}


def test_a_missing_import_is_added_to_the_module(shop: Path) -> None:
    bll = shop / "BLL_Shop.py"
    bll.write_text(
        bll.read_text().replace(
            "from dbkit import DatabaseMixin, DBColumn", "from dbkit import DatabaseMixin, DBColumn  # models"
        )
    )
    text = (
        bll.read_text()
        .replace("import sqlalchemy as sa\n", "")
        .replace(
            '        sa.CheckConstraint("price >= 0", name="ck_products_price_positive"),\n'
            '        sa.UniqueConstraint("vendor_id", "display_label", name="uq_products_vendor_label"),\n',
            "",
        )
    )
    text = text.replace("    table_args: ClassVar[tuple] = (\n    )\n", "")
    bll.write_text(text)
    plan = plan_parity_fixes(load_codebase(shop), "hand-written")
    assert "import sqlalchemy as sa\n" in plan.edits[0].new_text
    plan.write()
    assert schema_keys(shop) == set()


def test_a_column_from_a_reference_base_becomes_a_field_of_its_own(sample: Path) -> None:
    teams = sample / "BLL_Teams.py"
    teams.write_text(
        teams.read_text().replace(
            "UserModel.ReferenceID, TeamModel", "UserModel.ReferenceID.Optional, TeamModel"
        )
    )
    codebase = load_codebase(sample)
    assert "user_teams.user_id:nullable" in schema_difference_keys(parity(codebase))
    plan = plan_parity_fixes(codebase, {"user_teams.user_id:nullable": "hand-written"})
    assert plan.fixed == ("user_teams.user_id:nullable",) and not plan.unfixable
    diff = plan.diff()
    assert (
        "-class UserTeamModel(ApplicationModel, UserModel.ReferenceID.Optional, TeamModel.ReferenceID, DatabaseMixin):"
        in diff
    )
    assert "+class UserTeamModel(ApplicationModel, TeamModel.ReferenceID, DatabaseMixin):" in diff
    assert (
        '+    user_id: Annotated[str, DBColumn(references=UserModel, relationship="user")] = Field(' in diff
    )
    # The new field goes above the comment block that belongs to the next field.
    assert "+    )\n     # Deliberate drift: DB_Teams.UserTeam has a ``role`` relationship" in diff
    plan.write()
    assert "user_teams.user_id:nullable" not in schema_keys(sample)


def test_a_column_from_another_base_is_not_rewritten_and_says_which(shop: Path) -> None:
    bll = shop / "BLL_Shop.py"
    text = bll.read_text().replace(
        "class ProductModel(DatabaseMixin):",
        'class Priced(BaseModel):\n    price: Annotated[decimal.Decimal, DBColumn(server_default="1")] = Field(\n'
        "        max_digits=10, decimal_places=2\n    )\n\n\nclass ProductModel(Priced, DatabaseMixin):",
    )
    text = text.replace(
        '    price: Annotated[decimal.Decimal, DBColumn(server_default="0")] = Field(max_digits=10, decimal_places=2)\n',
        "",
    )
    bll.write_text(text.replace("from pydantic import Field", "from pydantic import BaseModel, Field"))
    codebase = load_codebase(shop)
    assert "products.price:server_default" in schema_difference_keys(parity(codebase))
    plan = plan_parity_fixes(codebase, {"products.price:server_default": "hand-written"})
    assert not plan.edits
    assert plan.unfixable == (
        (
            "products.price:server_default",
            "products.price comes from the base Priced, not from a field of ProductModel; change it there, "
            "or declare the field in the class by hand",
        ),
    )


def test_a_field_is_not_rewritten_when_another_of_its_differences_is_decided_generated(sample: Path) -> None:
    auth = sample / "BLL_Auth.py"
    auth.write_text(auth.read_text().replace("name: Annotated[str, DBColumn(unique=True)]", "name: str"))
    codebase = load_codebase(sample)
    assert {"roles.name:type", "roles(name):unique"} <= set(schema_difference_keys(parity(codebase)))
    plan = plan_parity_fixes(codebase, {"roles.name:type": "hand-written", "roles(name):unique": "generated"})
    assert not plan.edits
    assert [key for key, _ in plan.unfixable] == ["roles.name:type"]
    assert "decide every difference of the column alike" in plan.unfixable[0].reason


# -- the model is right ----------------------------------------------------------------------------------
def test_generated_changes_no_source_and_lists_each_revision_change_with_its_lint_verdict(
    sample: Path,
) -> None:
    before = texts(sample)
    plan = plan_parity_fixes(load_codebase(sample), "generated")
    assert not plan.edits and plan.diff() == "" and plan.write() == []
    assert texts(sample) == before
    verdicts = {item.key: item.verdict for item in plan.to_revision}
    assert list(verdicts) == SAMPLE_KEYS
    assert verdicts["teams.description:nullable"].startswith(
        "data_dependent: alter_column teams.description; allowed"
    )
    assert "scans `teams` under ACCESS EXCLUSIVE" in verdicts["teams.description:nullable"]
    assert verdicts["teams(slug):unique"].startswith("safe: drop_unique teams(slug)")


def test_a_destructive_revision_change_shows_its_refusal(shop: Path) -> None:
    plan = plan_parity_fixes(load_codebase(shop), "generated")
    verdicts = {item.key: item.verdict for item in plan.to_revision}
    assert verdicts["products.notes:column"].startswith("destructive: drop_column products.notes; refused:")


def test_mixed_decisions_split_between_source_and_revision(sample: Path) -> None:
    plan = plan_parity_fixes(load_codebase(sample), {"teams.description:nullable": "hand-written"})
    assert plan.fixed == ("teams.description:nullable",)
    assert [item.key for item in plan.to_revision] == ["roles.name:type", "teams(slug):unique"]
    assert plan.decisions == {
        "roles.name:type": "generated",
        "teams(slug):unique": "generated",
        "teams.description:nullable": "hand-written",
    }


# -- refusals ----------------------------------------------------------------------------------------------
def test_unknown_keys_tables_and_decisions_are_refused_with_what_exists(sample: Path) -> None:
    codebase = load_codebase(sample)
    with pytest.raises(
        ParityFixError, match=r"no schema difference 'teams.plan:type'; the differences are: roles.name:type"
    ):
        plan_parity_fixes(codebase, {"teams.plan:type": "hand-written"})
    with pytest.raises(ParityFixError, match=r"no table 'team' in the codebase; its tables are: .*teams"):
        plan_parity_fixes(codebase, "hand-written", tables=["team"])
    with pytest.raises(ParityFixError, match=r"'database' is not a decision; use 'hand-written'"):
        plan_parity_fixes(codebase, "database")  # type: ignore[arg-type]


def test_write_refuses_a_file_changed_since_the_plan_and_writes_nothing(sample: Path) -> None:
    plan = plan_parity_fixes(load_codebase(sample), "hand-written")
    auth = sample / "BLL_Auth.py"
    auth.write_text(auth.read_text() + "\n# edited meanwhile\n")
    before = texts(sample)
    with pytest.raises(ParityFixError, match=r"BLL_Auth.py changed since the parity fixes were planned"):
        plan.write()
    assert texts(sample) == before


def test_the_api_entry_point_loads_a_path(sample: Path) -> None:
    plan = api.plan_parity_fixes(sample, "hand-written", tables=["roles"])
    assert plan.fixed == ("roles.name:type",)


TAGS_DB = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Tag(Base):
        __tablename__ = "tags"
        __table_args__ = (sa.PrimaryKeyConstraint("key", "owner", name="tags_pk"),)

        owner: Mapped[str] = mapped_column(sa.String(40))
        key: Mapped[str] = mapped_column(sa.String(40))
        value: Mapped[str | None] = mapped_column(sa.String(200))
"""

TAGS_BLL = """
    from typing import Annotated, ClassVar

    from pydantic import Field

    from dbkit import DatabaseMixin, DBColumn


    class TagModel(DatabaseMixin):
        audit_columns: ClassVar[bool] = False

        owner: Annotated[str, DBColumn(primary_key=True)] = Field(max_length=40)
        value: str | None = Field(None, max_length=200)
"""


def test_a_missing_key_column_goes_where_its_column_is_and_the_named_primary_key_into_table_args(
    tmp_path: Path,
) -> None:
    root = write_codebase(tmp_path / "tags", {"DB_Tags.py": TAGS_DB, "BLL_Tags.py": TAGS_BLL})
    assert schema_keys(root) == {"tags(owner):primary_key", "tags.key:column"}
    plan = plan_parity_fixes(load_codebase(root), "hand-written")
    new = plan.edits[0].new_text
    assert 'table_args: ClassVar[tuple] = (sa.PrimaryKeyConstraint("key", "owner", name="tags_pk"),)' in new
    fields = [
        line.split(":")[0].strip()
        for line in new.splitlines()
        if line.startswith("    ") and "Field(" in line
    ]
    assert fields == ["owner", "key", "value"]  # the hand-written column order
    assert "\nimport sqlalchemy as sa\nfrom pydantic import Field\n" in new  # in isort's third-party section
    plan.write()
    assert schema_keys(root) == set()


def drift_more(sample: Path) -> None:
    """A column comment, a foreign key's ondelete, a server default and an enum member, drifted."""
    teams, auth = sample / "BLL_Teams.py", sample / "BLL_Auth.py"
    teams.write_text(
        teams.read_text()
        .replace('description="URL-safe name"', 'description="URL name"')
        .replace('ondelete="SET NULL"', 'ondelete="CASCADE"')
        .replace('DBColumn(server_default="25")', 'DBColumn(server_default="30")')
    )
    auth.write_text(
        auth.read_text().replace(
            '    deactivated = "deactivated"\n', '    deactivated = "deactivated"\n    banned = "banned"\n'
        )
    )


def test_comments_foreign_keys_server_defaults_and_enum_members_are_rewritten(sample: Path) -> None:
    drift_more(sample)
    auth = sample / "BLL_Auth.py"
    assert schema_keys(sample) == {
        *SAMPLE_KEYS,
        "teams(owner_id):foreign_key",
        "teams(owner_id):foreign_key#2",
        "teams.max_members:server_default",
        "teams.slug:comment",
        "users.status (user_status):enum_members",
    }
    plan = plan_parity_fixes(load_codebase(sample), "hand-written")
    assert not plan.unfixable
    new_auth = next(edit.new_text for edit in plan.edits if edit.path == auth)
    # The enum's members are rewritten; its class statement, comment included, stays as written.
    assert "class UserStatus(str, enum.Enum):  # noqa: UP042 - written for Python 3.10\n" in new_auth
    assert "banned" not in new_auth
    plan.write()
    assert schema_keys(sample) == set()


def test_a_rewrite_that_does_not_remove_the_difference_is_not_kept(tmp_path: Path) -> None:
    # The second statement of `sku` wins in Python: rewriting the first changes nothing.
    shadowed = SHOP_BLL.replace(
        "        legacy_code: str | None = Field(None, max_length=10)\n",
        "        legacy_code: str | None = Field(None, max_length=10)\n"
        '        sku: Annotated[str, DBColumn(unique=True)] = Field(description="Stock keeping unit", max_length=30)\n',
    )
    root = write_codebase(tmp_path / "shop", {"DB_Shop.py": SHOP_DB, "BLL_Shop.py": shadowed})
    plan = plan_parity_fixes(load_codebase(root), {"products.sku:type": "hand-written"})
    assert not plan.edits and not plan.fixed
    ((key, reason),) = plan.unfixable
    assert key == "products.sku:type"
    assert reason.startswith("after dbkit's rewrite parity still shows products.sku:type")


def test_a_model_file_importing_the_hand_written_module_is_checked_with_it(tmp_path: Path) -> None:
    importing = SHOP_BLL.replace(
        'class ProductStatus(enum.Enum):\n        draft = "draft"\n        live = "live"\n',
        "from DB_Shop import Status as ProductStatus\n",
    )
    root = write_codebase(tmp_path / "shop", {"DB_Shop.py": SHOP_DB, "BLL_Shop.py": importing})
    plan = plan_parity_fixes(load_codebase(root), {"products.sku:type": "hand-written"})
    assert plan.fixed == ("products.sku:type",) and not plan.unfixable
    plan.write()
    assert "products.sku:type" not in schema_keys(root)


def test_a_windows_file_with_a_form_feed_keeps_its_line_endings_and_every_other_byte(sample: Path) -> None:
    auth = sample / "BLL_Auth.py"
    text = auth.read_text().replace("# Deliberate drift:", "# \x0c Deliberate drift:")
    auth.write_bytes(text.replace("\n", "\r\n").encode())
    before = auth.read_bytes()
    plan = plan_parity_fixes(load_codebase(sample), {"roles.name:type": "hand-written"})
    plan.write()
    after = auth.read_bytes()
    old_lines, new_lines = before.split(b"\r\n"), after.split(b"\r\n")
    assert len(old_lines) == len(new_lines) and b"\n" not in after.replace(b"\r\n", b"")
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert len(changed) == 1 and b"max_length=64" in changed[0][0] and b"max_length=50" in changed[0][1]
    assert "roles.name:type" not in schema_keys(sample)


def test_each_revision_item_has_its_own_key_and_the_verdict_of_its_own_change(sample: Path) -> None:
    drift_more(sample)
    plan = plan_parity_fixes(load_codebase(sample), "generated")
    verdicts = {item.key: item.verdict for item in plan.to_revision}
    assert len(verdicts) == len(plan.to_revision) == 8
    assert verdicts["teams(owner_id):foreign_key"].startswith("safe: drop_foreign_key teams(owner_id)")
    assert verdicts["teams(owner_id):foreign_key#2"].startswith(
        "data_dependent: add_foreign_key teams(owner_id)"
    )
    # The revision adds the member to the enum type: one change, not one per column.
    assert verdicts["users.status (user_status):enum_members"] == "safe: add_enum_value user_status; allowed"
