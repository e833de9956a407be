"""Create / Update / Search / Optional / Network variants derived from one DatabaseMixin model."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic.json_schema import models_json_schema

from dbkit import ApplicationModel, DatabaseMixin, DBColumn
from dbkit.search import (
    BooleanSearchModel,
    DateSearchModel,
    IdSearchModel,
    NumericalSearchModel,
    StringSearchModel,
)


class AuthorModel(ApplicationModel, DatabaseMixin):
    email: Annotated[str, DBColumn(unique=True)] = Field(..., description="Login e-mail", max_length=40)
    nickname: str | None = None
    karma: int = 0
    verified: bool = False
    born: dt.date | None = None
    secret: Annotated[str | None, DBColumn(persist=False)] = None

    @model_validator(mode="after")
    def validate_email(self) -> AuthorModel:
        if "@" not in self.email:
            raise ValueError("Invalid email format")
        return self


class PostModel(ApplicationModel.Optional, AuthorModel.ReferenceID, DatabaseMixin):
    title: str | None = Field(None, description="Post title")


class CommentModel(ApplicationModel, PostModel.ReferenceID.Optional, DatabaseMixin):
    body: str

    class Search(BaseModel):  # written by hand: wins over the derived one
        body: StringSearchModel | None = None


class ReplyModel(CommentModel):
    """Inherits CommentModel's hand-written Search, which must not apply to it."""


def test_create_requires_declared_fields_and_runs_model_validators() -> None:
    created = AuthorModel.Create(email="a@b.c")
    assert created.id is None and created.karma == 0
    assert "created_at" not in AuthorModel.Create.model_fields
    assert "secret" in AuthorModel.Create.model_fields  # API-only fields are sent on create
    with pytest.raises(ValidationError, match="email"):
        AuthorModel.Create()
    with pytest.raises(ValidationError, match="Invalid email format"):
        AuthorModel.Create(email="nobody")
    with pytest.raises(ValidationError, match="at most 40"):
        AuthorModel.Create(email="a@" + "x" * 50)
    with pytest.raises(ValidationError, match="Extra inputs"):
        AuthorModel.Create(email="a@b.c", unknown=1)


def test_update_makes_every_field_optional_and_remembers_what_was_set() -> None:
    update = AuthorModel.Update(nickname=None)
    assert update.model_fields_set == {"nickname"}
    assert update.model_dump(exclude_unset=True) == {"nickname": None}
    assert (
        "id" not in AuthorModel.Update.model_fields
        and "created_by_user_id" not in AuthorModel.Update.model_fields
    )
    with pytest.raises(ValidationError, match="at most 40"):
        AuthorModel.Update(email="a@" + "x" * 50)


def test_search_has_one_operator_model_per_field_type() -> None:
    fields = AuthorModel.Search.model_fields
    expected = {
        "id": IdSearchModel,
        "created_at": DateSearchModel,
        "created_by_user_id": IdSearchModel,
        "email": StringSearchModel,
        "nickname": StringSearchModel,
        "karma": NumericalSearchModel,
        "verified": BooleanSearchModel,
        "born": DateSearchModel,
    }
    assert {name: AuthorModel.Search(**{name: {}}).__dict__[name].__class__ for name in fields} == expected
    assert "secret" not in fields  # not stored, not searchable
    assert PostModel.Search.model_fields.keys() >= {"author_id", "title"}
    assert PostModel.Search(author_id="x").author_id == IdSearchModel(eq="x")
    assert PostModel.Search(author_id=["x", "y"]).author_id == IdSearchModel(any_of=["x", "y"])
    assert AuthorModel.Search(email="a@b.c").email == StringSearchModel(eq="a@b.c")
    with pytest.raises(ValidationError, match="Extra inputs"):
        AuthorModel.Search(email={"like": "%"})


def test_hand_written_nested_class_wins_but_is_not_inherited() -> None:
    assert set(CommentModel.Search.model_fields) == {"body"}
    assert "post_id" in ReplyModel.Search.model_fields
    assert ReplyModel.Search is not CommentModel.Search


def test_reference_id_nested_classes_do_not_leak_into_referencing_models() -> None:
    assert PostModel.Optional is not AuthorModel.ReferenceID.Optional
    assert PostModel.Search is not AuthorModel.ReferenceID.Search
    assert set(PostModel.Optional.model_fields) == set(PostModel.model_fields)
    assert PostModel.Optional().author_id is None
    assert PostModel.ReferenceID.__dbkit_reference_target__ is PostModel


def test_network_models_are_keyed_by_resource_names() -> None:
    network = AuthorModel.Network
    assert (network.singular, network.plural) == ("author", "authors")
    post = network.POST(author={"email": "a@b.c"})
    assert isinstance(post.author, AuthorModel.Create)
    assert network.PUT(author={"karma": 2}).author.model_fields_set == {"karma"}
    search = network.SEARCH(author={"karma": {"gt": 1}}, limit=10, order_by=["-karma"])
    assert search.author.karma == NumericalSearchModel(gt=1)
    row = {"id": "1", "email": "a@b.c"}
    assert network.ResponseSingle(author=row).author.email == "a@b.c"
    assert [a.id for a in network.ResponsePlural(authors=[row, {**row, "id": "2"}]).authors] == ["1", "2"]
    assert set(CommentModel.Network.ResponsePlural.model_fields) == {"comments"}


def test_network_json_schemas_fit_an_openapi_document() -> None:
    models = [
        getattr(model.Network, name)
        for model in (AuthorModel, PostModel)
        for name in ("POST", "PUT", "SEARCH", "ResponseSingle", "ResponsePlural")
    ]
    keyed, document = models_json_schema(
        [(model, "validation") for model in models], ref_template="#/components/schemas/{model}"
    )
    components = document["$defs"]
    refs: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    assert refs and all(ref.removeprefix("#/components/schemas/") in components for ref in refs)
    post = components["AuthorModelNetworkPOST"]
    assert post["required"] == ["author"]
    assert components["AuthorModelCreate"]["required"] == ["email"]
    assert "authors" in components["AuthorModelNetworkResponsePlural"]["properties"]
    assert len({schema["$ref"] for schema in keyed.values()}) == len(models)  # unique component names


def test_derived_create_does_not_count_as_hand_written_for_validator_translation() -> None:
    from dbkit.generate.validators import plan_validators

    class CounterModel(ApplicationModel, DatabaseMixin):
        label: str

        @model_validator(mode="after")
        def validate_label(self) -> CounterModel:
            if not self.label:
                raise ValueError("label must not be empty")
            return self

    attributes = {name: name for name in CounterModel.model_fields}
    before = plan_validators(CounterModel, attributes)
    assert CounterModel.Create is CounterModel.Create  # derived once, then the same class
    assert plan_validators(CounterModel, attributes).guards.keys() == before.guards.keys()
