"""Bad model definitions give an error naming the model, the field and the fix; nothing half-made."""

from __future__ import annotations

import ipaddress
from typing import Annotated, ClassVar, Literal

import pytest
import sqlalchemy as sa
from pydantic import field_validator, model_validator

from dbkit import (
    ApplicationModel,
    DatabaseManager,
    DatabaseMixin,
    DBColumn,
    ModelDefinitionError,
    ModelReferenceError,
    ModelRegistry,
    UnsupportedFieldTypeError,
)
from dbkit.generate.types import type_registry


@pytest.fixture
def scratch() -> DatabaseManager:
    return DatabaseManager("sqlite://")


def test_unsupported_type_names_model_field_and_how_to_register(scratch: DatabaseManager) -> None:
    class HostModel(DatabaseMixin):
        address: ipaddress.IPv4Address

    with pytest.raises(UnsupportedFieldTypeError) as caught:
        HostModel.db_for(scratch)
    message = str(caught.value)
    assert "HostModel.address" in message and "IPv4Address" in message
    assert "type_registry.register" in message and "DBColumn(sa_type=" in message
    assert HostModel not in scratch.generated


def test_registering_a_type_makes_it_supported(scratch: DatabaseManager) -> None:
    class MachineModel(DatabaseMixin):
        address: ipaddress.IPv6Address

    registry = type_registry.copy()
    registry.register(ipaddress.IPv6Address, lambda ctx: sa.String(45))
    from dbkit.generate.builder import ModelGenerator

    generated = ModelGenerator(scratch, registry).generate(MachineModel)
    assert isinstance(generated.__table__.c.address.type, sa.String)
    assert generated.__table__.c.address.type.length == 45


def test_explicit_sa_type_bypasses_the_registry(scratch: DatabaseManager) -> None:
    class ProbeModel(DatabaseMixin):
        address: Annotated[ipaddress.IPv4Address, DBColumn(sa_type=sa.String(15))]

    assert ProbeModel.db_for(scratch).__table__.c.address.type.length == 15


def test_mixed_literal_is_refused(scratch: DatabaseManager) -> None:
    class OddModel(DatabaseMixin):
        level: Literal["a", 1]

    with pytest.raises(UnsupportedFieldTypeError, match=r"OddModel.level: Literal\['a', 1\]"):
        OddModel.db_for(scratch)


def test_reserved_attribute_name_suggests_a_column_name(scratch: DatabaseManager) -> None:
    class BlobModel(DatabaseMixin):
        metadata: str | None = None

    with pytest.raises(
        ModelDefinitionError, match=r"BlobModel.metadata: SQLAlchemy reserves.*DBColumn\(name='metadata'\)"
    ):
        BlobModel.db_for(scratch)


def test_renamed_field_keeps_the_hand_written_column_name(scratch: DatabaseManager) -> None:
    class BlobModel(DatabaseMixin):
        metadata_: Annotated[str | None, DBColumn(name="metadata")] = None
        private: Annotated[str | None, DBColumn(name="_private")] = None

    table = BlobModel.db_for(scratch).__table__
    assert {"metadata", "_private"} <= set(table.c.keys())


def test_two_references_to_one_target_need_names(scratch: DatabaseManager) -> None:
    class PersonModel(ApplicationModel.Optional, DatabaseMixin):
        name: str

    class ReviewModel(ApplicationModel.Optional, DatabaseMixin):
        author_id: Annotated[str, DBColumn(references=PersonModel)]
        reviewer_id: Annotated[str, DBColumn(references=PersonModel)]

    with pytest.raises(ModelReferenceError) as caught:
        ModelRegistry(scratch, [PersonModel, ReviewModel]).generate()
    message = str(caught.value)
    assert (
        "ReviewModel.reviewer_id" in message and "'reviews'" in message and "ReviewModel.author_id" in message
    )
    assert "backref='...'" in message


def test_named_backrefs_resolve_the_collision() -> None:
    manager = DatabaseManager("sqlite://")

    class PersonModel(ApplicationModel.Optional, DatabaseMixin):
        name: str

    class ReviewModel(ApplicationModel.Optional, DatabaseMixin):
        author_id: Annotated[str, DBColumn(references=PersonModel, backref="authored_reviews")]
        reviewer_id: Annotated[str, DBColumn(references=PersonModel, backref="assigned_reviews")]

    classes = ModelRegistry(manager, [PersonModel, ReviewModel]).create_schema()
    Person, Review = classes[PersonModel], classes[ReviewModel]
    with manager.get_db() as db:
        alice, bob = Person(name="alice"), Person(name="bob")
        db.add_all([alice, bob])
        db.flush()
        db.add(Review(author_id=alice.id, reviewer_id=bob.id))
    with manager.get_db() as db:
        review = db.scalars(sa.select(Review)).one()
        assert (review.author.name, review.reviewer.name) == ("alice", "bob")
        assert [r.reviewer.name for r in review.author.authored_reviews] == ["bob"]


def test_relationship_name_clashing_with_a_field_is_refused(scratch: DatabaseManager) -> None:
    class OwnerModel(ApplicationModel.Optional, DatabaseMixin):
        name: str

    class PetModel(OwnerModel.ReferenceID, DatabaseMixin):
        owner: str  # the relationship for owner_id would be called "owner"

    with pytest.raises(
        ModelReferenceError, match=r"PetModel.owner_id: the relationship name 'owner'.*relationship='...'"
    ):
        PetModel.db_for(scratch)


def test_reference_to_an_unregistered_model_names_both(scratch: DatabaseManager) -> None:
    class CompanyModel(ApplicationModel.Optional, DatabaseMixin):
        name: str

    class EmployeeModel(CompanyModel.ReferenceID, DatabaseMixin):
        name: str

    with pytest.raises(
        ModelReferenceError, match=r"EmployeeModel references CompanyModel, which is not registered"
    ):
        ModelRegistry(scratch, [EmployeeModel]).generate()


def test_reference_to_an_unknown_table_is_refused(scratch: DatabaseManager) -> None:
    class LinkModel(DatabaseMixin):
        target_id: Annotated[str, DBColumn(references="nowhere")]

    with pytest.raises(ModelReferenceError, match=r"LinkModel.target_id references table 'nowhere'"):
        ModelRegistry(scratch, [LinkModel]).generate()


def test_table_args_must_be_fresh_objects(scratch: DatabaseManager) -> None:
    owner = sa.Table(
        "owners", sa.MetaData(), sa.Column("x", sa.Integer), sa.UniqueConstraint("x", name="uq_x")
    )
    attached = next(c for c in owner.constraints if isinstance(c, sa.UniqueConstraint))

    class ShareModel(DatabaseMixin):
        x: int
        table_args: ClassVar[tuple] = (attached,)

    with pytest.raises(
        ModelDefinitionError,
        match=r"ShareModel.table_args: UniqueConstraint 'uq_x' already belongs to table 'owners'",
    ):
        ShareModel.db_for(scratch)


def test_reference_to_a_composite_primary_key_is_refused(scratch: DatabaseManager) -> None:
    class PairModel(DatabaseMixin):
        left: Annotated[int, DBColumn(primary_key=True)]
        right: Annotated[int, DBColumn(primary_key=True)]

    class UsesPairModel(PairModel.ReferenceID, DatabaseMixin):
        pass

    with pytest.raises(
        ModelReferenceError, match=r"PairModel has a composite primary key.*ForeignKeyConstraint"
    ):
        UsesPairModel.db_for(scratch)


def test_validators_that_cannot_be_translated_are_listed(scratch: DatabaseManager) -> None:
    class RangeModel(DatabaseMixin):
        low: int
        high: int

        @field_validator("low", mode="wrap")
        @classmethod
        def wrapped(cls, value, handler):
            return handler(value)

        @model_validator(mode="after")
        def validate_high(self):
            if self.high < self.low:
                raise ValueError("high below low")
            return self

    untranslated = RangeModel.db_for(scratch).__dbkit_untranslated_validators__
    assert any("wrapped" in item and "'wrap' mode" in item for item in untranslated)
    assert any("validate_high" in item and "reads more than 'high'" in item for item in untranslated)


def test_create_variant_validators_guard_the_table_too(scratch: DatabaseManager) -> None:
    from pydantic import BaseModel

    class AccountModel(DatabaseMixin):
        email: str

        class Create(BaseModel):
            email: str

            @model_validator(mode="after")
            def validate_email(self):
                if "@" not in self.email:
                    raise ValueError("Invalid email format")
                return self

    Account = AccountModel.db_for(scratch)
    with pytest.raises(ValueError, match="Invalid email format"):
        Account(email="nope")


def test_unresolved_forward_reference_asks_for_model_rebuild(scratch: DatabaseManager) -> None:
    class LaterModel(DatabaseMixin):
        other: Optional["NotYetDefined"] = None  # noqa: F821, UP037

    with pytest.raises(
        ModelDefinitionError, match=r"LaterModel is not fully defined.*LaterModel.model_rebuild\(\)"
    ):
        LaterModel.db_for(scratch)


def test_a_model_name_given_as_a_string_gets_a_hint(scratch: DatabaseManager) -> None:
    class InvoiceModel(DatabaseMixin):
        customer_id: Annotated[str, DBColumn(references="CustomerModel")]

    with pytest.raises(
        ModelReferenceError, match=r"pass the class itself: DBColumn\(references=CustomerModel\)"
    ):
        ModelRegistry(scratch, [InvoiceModel]).generate()
