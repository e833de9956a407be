"""``db_relationships`` and relationship/backref options on generated models, and their refusals."""

from __future__ import annotations

from typing import Annotated, ClassVar

import pytest
import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import DeclarativeBase

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, DBColumn, DBRelationship, ModelRegistry
from dbkit.errors import ModelDefinitionError, ModelReferenceError


def test_a_relationship_to_a_hand_written_class_by_name(database_url: str) -> None:
    """On the application's base, a generated model names a class that stays hand-written."""

    class Base(DeclarativeBase):
        pass

    class Shelf(Base):
        __tablename__ = "shelves"
        id = sa.Column(sa.Integer, primary_key=True)
        label = sa.Column(sa.String(20), nullable=False)

    class BookModel(ApplicationModel, DatabaseMixin):
        title: str = Field(max_length=50)
        shelf_id: Annotated[int, DBColumn(foreign_key="shelves.id")]
        db_relationships: ClassVar[dict] = {
            "shelf": DBRelationship("Shelf", backref="books", backref_options={"order_by": ("title",)})
        }

    manager = DatabaseManager(database_url, base=Base)
    book = BookModel.db_for(manager)
    manager.create_all()
    try:
        with manager.get_db() as db:
            shelf = Shelf(label="top")
            db.add_all([book(title="b", shelf=shelf), book(title="a", shelf=shelf)])
        with manager.get_db() as db:
            assert [b.title for b in db.query(Shelf).one().books] == ["a", "b"]
    finally:
        manager.drop_all()
        manager.dispose()


def test_an_option_dbkit_does_not_carry_is_refused_naming_the_model() -> None:
    class OwnerModel(ApplicationModel, DatabaseMixin):
        name: str = Field(max_length=10)

    class PetModel(ApplicationModel, DatabaseMixin):
        owner_id: Annotated[str, DBColumn(references=OwnerModel, relationship_options={"post_update": True})]

    with pytest.raises(
        ModelDefinitionError, match=r"PetModel: relationship options \['post_update'\] are not carried"
    ):
        PetModel.db_for(DatabaseManager("sqlite://"))


def test_a_db_relationships_entry_that_is_not_a_dbrelationship_is_refused() -> None:
    class NodeModel(ApplicationModel, DatabaseMixin):
        db_relationships: ClassVar[dict] = {"edges": "EdgeModel"}

    with pytest.raises(
        ModelDefinitionError,
        match=r"NodeModel.db_relationships\['edges'\] is 'EdgeModel'; give a dbkit.DBRelationship",
    ):
        NodeModel.db_for(DatabaseManager("sqlite://"))


def test_a_missing_association_table_or_class_is_named_when_the_registry_configures() -> None:
    class ItemModel(ApplicationModel, DatabaseMixin):
        name: str = Field(max_length=10)

    class LabelModel(ApplicationModel, DatabaseMixin):
        db_relationships: ClassVar[dict] = {"items": DBRelationship(ItemModel, secondary="item_labels")}

    class StickerModel(ApplicationModel, DatabaseMixin):
        db_relationships: ClassVar[dict] = {"items": DBRelationship("Item", secondary="items")}

    with pytest.raises(
        ModelReferenceError,
        match=r"LabelModel.db_relationships\['items'\]: this manager's MetaData has no table 'item_labels'",
    ):
        ModelRegistry(DatabaseManager("sqlite://"), [ItemModel, LabelModel]).generate()
    with pytest.raises(
        ModelReferenceError,
        match=r"StickerModel.db_relationships\['items'\]: this manager's registry maps no class named 'Item'",
    ):
        ModelRegistry(DatabaseManager("sqlite://"), [StickerModel]).generate()


def test_order_by_names_a_column_of_the_related_table() -> None:
    class ParentModel(ApplicationModel, DatabaseMixin):
        name: str = Field(max_length=10)

    class ChildModel(ApplicationModel, DatabaseMixin):
        parent_id: Annotated[str, DBColumn(references=ParentModel, backref_options={"order_by": "missing"})]

    manager = DatabaseManager("sqlite://")
    with pytest.raises(
        ModelReferenceError,
        match=r"order_by 'missing' is not a column of 'children' with an optional asc/desc",
    ):
        ModelRegistry(manager, [ParentModel, ChildModel]).generate()
