"""Scaffold carries the relationship shapes real code has, with their options, and parity proves it.

A hand-written ledger (written here, not the sample): a many-to-many through an association
table with a backref, a self-referential tree with ``remote_side`` and a delete-orphan cascade,
a one-to-many declared on the parent with options, a one-to-one. Scaffolded, the generated
source is executed beside it: parity is clean at the schema and orm levels, and the attributes
work on real rows on both backends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from codebases import write_codebase

from dbkit import DatabaseManager
from dbkit.migrate.codemod.scaffold import scaffold_codebase
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.contract import relationship_shapes
from dbkit.migrate.source.isolation import isolated_imports
from dbkit.migrate.source.parity import parity

LEDGER = {
    "base.py": """
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            metadata = sa.MetaData()
    """,
    "DB_Ledger.py": """
        import sqlalchemy as sa
        from sqlalchemy.orm import backref, relationship

        from base import Base

        account_tags = sa.Table(
            "account_tags",
            Base.metadata,
            sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
        )


        class Account(Base):
            __tablename__ = "accounts"
            id = sa.Column(sa.Integer, primary_key=True)
            name = sa.Column(sa.String(50), nullable=False)
            tags = relationship("Tag", secondary=account_tags, backref="accounts")
            entries = relationship(
                "Entry",
                back_populates="account",
                cascade="all, delete-orphan",
                passive_deletes=True,
                lazy="selectin",
                order_by="Entry.amount.desc()",
            )
            profile = relationship("Profile", uselist=False, back_populates="account")


        class Tag(Base):
            __tablename__ = "tags"
            id = sa.Column(sa.Integer, primary_key=True)
            label = sa.Column(sa.String(30), nullable=False, unique=True)


        class Entry(Base):
            __tablename__ = "entries"
            id = sa.Column(sa.Integer, primary_key=True)
            account_id = sa.Column(sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
            amount = sa.Column(sa.Integer, nullable=False)
            account = relationship("Account", back_populates="entries")


        class Profile(Base):
            __tablename__ = "profiles"
            id = sa.Column(sa.Integer, primary_key=True)
            account_id = sa.Column(sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, unique=True)
            bio = sa.Column(sa.Text)
            account = relationship("Account", back_populates="profile")


        class Category(Base):
            __tablename__ = "categories"
            id = sa.Column(sa.Integer, primary_key=True)
            name = sa.Column(sa.String(50), nullable=False)
            parent_id = sa.Column(sa.Integer, sa.ForeignKey("categories.id"))
            children = relationship(
                "Category",
                backref=backref("parent", remote_side=[id]),
                cascade="all, delete-orphan",
                order_by="Category.name",
            )
    """,
}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ledger with its scaffolded BLL module written beside it."""
    root = write_codebase(tmp_path_factory.mktemp("ledger"), LEDGER)
    result = scaffold_codebase(root)
    result.write(root)
    return root


def test_scaffold_carries_every_shape_without_a_declare_it_by_hand_warning(tmp_path: Path) -> None:
    root = write_codebase(tmp_path, LEDGER)
    result = scaffold_codebase(root)
    assert not [str(p) for p in result.problems if "relationship" in str(p) or "backref" in str(p)]
    source = result.modules["BLL_Ledger"]
    assert 'secondary="account_tags"' in source
    # each relationship is declared on the model of the class that declared it (backref= or back_populates=)
    assert 'DBRelationship("Tag", secondary="account_tags", backref="accounts")' in source
    assert source.count('cascade="all, delete-orphan"') == 2  # the tree's children and the entries
    assert "passive_deletes=True" in source and 'lazy="selectin"' in source
    assert "uselist=False" in source and 'remote_side=("id",)' in source
    assert 'relationship_options={"back_populates": "entries"}' in source


def test_parity_is_clean_at_schema_and_orm_levels(ledger: Path) -> None:
    report = parity(load_codebase(ledger))
    assert not report.problems
    assert {t.table: t.status for t in report.tables} == dict.fromkeys(
        ("account_tags", "accounts", "categories", "entries", "profiles", "tags"), "match"
    )
    assert report.differences("orm") == []


def test_parity_sees_a_lost_cascade(ledger: Path, tmp_path: Path) -> None:
    """A generated model that drops an option is an orm-level difference naming the relationship."""
    source = (ledger / "BLL_Ledger.py").read_text()
    assert source.count('cascade="all, delete-orphan"') == 2
    without_cascade = re.sub(r'cascade="all, delete-orphan",\s*', "", source, count=1)
    changed = write_codebase(tmp_path, {**LEDGER, "BLL_Ledger.py": without_cascade})
    differences = parity(load_codebase(changed)).differences("orm")
    assert [(table, d.kind, d.hand_written) for table, d in differences] == [
        (
            table,
            "relationship_cascade",
            ["delete", "delete-orphan", "expunge", "merge", "refresh-expire", "save-update"],
        )
        for table, _ in differences
    ]
    assert len(differences) == 1


@pytest.fixture
def generated(ledger: Path, database_url: str) -> Iterator[dict[str, Any]]:
    """The generated classes of the scaffolded ledger, on a real database."""
    with isolated_imports(ledger):
        import BLL_Ledger

        manager = DatabaseManager(database_url)
        models = {
            name: getattr(BLL_Ledger, f"{name}Model").db_for(manager)
            for name in ("Account", "Tag", "AccountTag", "Entry", "Profile", "Category")
        }
        manager.create_all()
        try:
            yield {"manager": manager, **models}
        finally:
            manager.drop_all()
            manager.dispose()


def test_the_generated_attributes_work_on_real_rows(generated: dict[str, Any]) -> None:
    manager, account, tag, entry, profile, category = (
        generated[k] for k in ("manager", "Account", "Tag", "Entry", "Profile", "Category")
    )
    with manager.get_db() as db:
        savings = account(name="savings", tags=[tag(label="blue"), tag(label="red")])
        savings.entries = [entry(amount=5), entry(amount=50)]
        savings.profile = profile(bio="mine")
        root = category(name="root", children=[category(name="b"), category(name="a")])
        db.add_all([savings, root])
    with manager.get_db() as db:
        savings = db.query(account).one()
        assert sorted(t.label for t in savings.tags) == ["blue", "red"]
        assert [a.name for a in db.query(tag).filter_by(label="red").one().accounts] == ["savings"]
        assert [e.amount for e in savings.entries] == [50, 5]  # order_by amount desc
        assert savings.profile.bio == "mine" and savings.profile.account is savings
        root = db.query(category).filter_by(name="root").one()
        assert [c.name for c in root.children] == ["a", "b"] and root.children[0].parent is root
        savings.entries.remove(savings.entries[0])  # delete-orphan
        db.delete(root)  # cascade="all" reaches the children
    with manager.get_db() as db:
        assert db.query(category).count() == 0
        assert [e.amount for e in db.query(entry)] == [5]


def test_the_generated_shapes_equal_the_hand_written_ones(ledger: Path) -> None:
    codebase = load_codebase(ledger)
    for name, hand in codebase.hand_written.items():
        if hand.mapped_class is None:
            continue
        generated_class = codebase.models[name].generated
        assert relationship_shapes(hand.mapped_class) == relationship_shapes(generated_class), name
    shapes = relationship_shapes(codebase.hand_written["categories"].mapped_class)
    assert shapes["parent"]["remote_side"] == ["id"] and shapes["children"]["cascade"] == sorted(
        sa.orm.util.CascadeOptions("all, delete-orphan")
    )


CORPUS_SHAPES = {
    "base.py": LEDGER["base.py"],
    "DB_Shapes.py": """
        import sqlalchemy as sa
        from sqlalchemy.orm import relationship

        from base import Base


        class Notebook(Base):
            __tablename__ = "notebooks"
            id = sa.Column(sa.Integer, primary_key=True)


        class Cell(Base):
            __tablename__ = "cells"
            id = sa.Column(sa.Integer, primary_key=True)
            kind = sa.Column(sa.String(10), nullable=False)
            notebook_id = sa.Column(sa.Integer, sa.ForeignKey("notebooks.id"))
            notebook = relationship("Notebook")
            __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "cell"}


        class GradeCell(Cell):
            __tablename__ = "grade_cells"
            id = sa.Column(sa.Integer, sa.ForeignKey("cells.id"), primary_key=True)
            __mapper_args__ = {"polymorphic_identity": "grade"}


        class Server(Base):
            __tablename__ = "servers"
            id = sa.Column(sa.Integer, primary_key=True)


        class Service(Base):
            __tablename__ = "services"
            id = sa.Column(sa.Integer, primary_key=True)
            server_id = sa.Column(sa.Integer, sa.ForeignKey("servers.id"))
            server = relationship("Server", cascade="all, delete-orphan", single_parent=True)
    """,
}


def test_shapes_the_real_world_corpus_found_scaffold_and_configure(tmp_path: Path) -> None:
    """A relationship inherited by a joined-table subclass, and single_parent with delete-orphan: the
    generated models configure, parity has no load problem."""
    root = write_codebase(tmp_path, CORPUS_SHAPES)
    result = scaffold_codebase(root)
    result.write(root)
    source = result.modules["BLL_Shapes"]
    assert "single_parent=True" in source or '"single_parent": True' in source
    report = parity(load_codebase(root))
    assert not [p for p in report.problems if ": warning: " not in p]
    assert not report.has_schema_differences
