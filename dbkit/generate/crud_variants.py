"""The CRUD, Search and Network variants every ``DatabaseMixin`` model derives from its one definition.

* ``Model.Optional``: every field optional (a base for partial shapes; never the one a base leaked);
* ``Model.Create``: the fields a client sends, required as declared, the model's validators run;
  server-managed audit fields are left out and the generated ``id`` is optional;
* ``Model.Update``: every client field optional, so ``model_fields_set`` says what to change;
  field validators run on the values given (model validators need the whole row, so they do not);
* ``Model.Search``: one operator model per field (``dbkit.search``); references and ids search by
  id; a bare value means ``eq`` (a list of ids means ``any_of``);
* ``Model.Network``: the API envelopes ``POST``, ``PUT``, ``SEARCH``, ``ResponseSingle`` and
  ``ResponsePlural``, keyed by the resource's singular and plural names (``{"user": ...}``,
  ``{"users": [...]}``).

Each registers in ``variants.VARIANT_FACTORIES``, so a nested class the model writes by hand
under the same name wins, and an inherited one (from a base or a ``ReferenceID``) does not.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from dbkit.entity import AUDIT_COLUMN_NAMES
from dbkit.generate.options import column_options
from dbkit.generate.types import unwrap_annotated, unwrap_optional
from dbkit.generate.variants import register_variant
from dbkit.naming import model_stem, snake_case, table_name_for
from dbkit.search import IdSearchModel, SearchModel, search_model_for

#: Fields the database fills in (audit stamps); clients never send them.
SERVER_MANAGED_FIELDS = frozenset(AUDIT_COLUMN_NAMES)
#: The generated primary key of entities that declare none.
GENERATED_ID_FIELD = "id"


def resource_names(model: type) -> tuple[str, str]:
    """The API keys of a model's resource: ``UserTeamModel`` → ``("user_team", "user_teams")``."""
    return snake_case(model_stem(model.__name__)), table_name_for(model.__name__)


def _declares_primary_key(model: type) -> bool:
    return any(column_options(field).primary_key for field in model.model_fields.values())


def _optional_copy(field: FieldInfo) -> tuple[Any, FieldInfo]:
    """The same field (description, constraints) with ``None`` allowed and defaulting to ``None``."""
    optional = copy.copy(field)
    optional.annotation = (
        field.annotation if unwrap_optional(field.annotation)[1] else field.annotation | None
    )
    optional.default = None
    optional.default_factory = None
    return optional.annotation, optional


def _copied_field_validators(model: type) -> dict[str, Any]:
    """The model's ``@field_validator`` functions, re-declared so they bind to the variant."""
    validators: dict[str, Any] = {}
    for name, decorator in model.__pydantic_decorators__.field_validators.items():
        info = decorator.info
        function = getattr(decorator.func, "__func__", decorator.func)
        validators[name] = field_validator(*info.fields, mode=info.mode, check_fields=False)(
            classmethod(function)
        )
    return validators


def _copied_model_validators(model: type) -> dict[str, Any]:
    validators: dict[str, Any] = {}
    for name, decorator in model.__pydantic_decorators__.model_validators.items():
        mode = decorator.info.mode
        function = decorator.func
        if mode != "after":  # before/wrap model validators are classmethods
            function = classmethod(getattr(function, "__func__", function))
        validators[name] = model_validator(mode=mode)(function)
    return validators


def _variant(
    model: type, suffix: str, fields: dict[str, Any], validators: dict[str, Any] | None = None
) -> type:
    return create_model(
        f"{model.__name__}{suffix}",
        __config__=ConfigDict(from_attributes=True, extra="forbid"),
        __doc__=f"{suffix} shape of {model.__name__} (derived by dbkit).",
        __module__=model.__module__,
        __validators__=validators or {},
        **fields,
    )


@register_variant("Optional")
def derive_optional(model: type) -> type:
    """Every field of the model, optional."""
    fields = {name: _optional_copy(field) for name, field in model.model_fields.items()}
    return _variant(model, "Optional", fields, _copied_field_validators(model))


@register_variant("Create")
def derive_create(model: type) -> type:
    """What creating a row takes: required fields as declared; the generated id may be given."""
    own_primary_key = _declares_primary_key(model)
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in SERVER_MANAGED_FIELDS:
            continue
        if name == GENERATED_ID_FIELD and not own_primary_key:
            fields[name] = _optional_copy(field)
        else:
            fields[name] = (field.annotation, copy.copy(field))
    validators = {**_copied_field_validators(model), **_copied_model_validators(model)}
    return _variant(model, "Create", fields, validators)


@register_variant("Update")
def derive_update(model: type) -> type:
    """What updating a row takes: any subset of the client fields (primary key and audit excluded)."""
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in SERVER_MANAGED_FIELDS or name == GENERATED_ID_FIELD or column_options(field).primary_key:
            continue
        fields[name] = _optional_copy(field)
    return _variant(model, "Update", fields, _copied_field_validators(model))


def _bare_value_means_eq(value: Any) -> Any:
    """``{"email": "a@b.c"}`` is ``{"email": {"eq": "a@b.c"}}``; a list of ids is ``any_of``."""
    if value is None or isinstance(value, dict | BaseModel):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return {"any_of": list(value)}
    return {"eq": value}


def search_operator_model(name: str, field: FieldInfo) -> type[SearchModel] | None:
    """The operator model of one field: ids and references by id, the rest by Python type."""
    options = column_options(field)
    if not options.persist:
        return None
    if (
        options.references is not None
        or options.foreign_key
        or name == GENERATED_ID_FIELD
        or name.endswith("_id")
    ):
        return IdSearchModel
    python_type, _ = unwrap_optional(field.annotation)
    python_type, _ = unwrap_annotated(python_type)
    return search_model_for(python_type)


@register_variant("Search")
def derive_search(model: type) -> type:
    """One optional operator model per searchable field."""
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        operators = search_operator_model(name, field)
        if operators is None:
            continue
        annotation = Annotated[operators | None, BeforeValidator(_bare_value_means_eq)]
        fields[name] = (annotation, Field(None, description=field.description))
    return _variant(model, "Search", fields)


class SearchRequestFields(BaseModel):
    """Paging and ordering a ``SEARCH`` request may add to its criteria."""

    limit: int | None = Field(None, ge=0, description="At most this many rows")
    offset: int | None = Field(None, ge=0, description="Skip this many rows first")
    order_by: list[str] | None = Field(None, description="Field names; a leading '-' sorts descending")


@register_variant("Network")
def derive_network(model: type) -> type:
    """The request and response envelopes of the model's API resource."""
    singular, plural = resource_names(model)
    prefix = f"{model.__name__}Network"

    def envelope(suffix: str, base: type[BaseModel] | None = None, **fields: Any) -> type[BaseModel]:
        return create_model(f"{prefix}{suffix}", __base__=base, __module__=model.__module__, **fields)

    described = {"description": f"The {singular.replace('_', ' ')}"}
    namespace = {
        "POST": envelope("POST", **{singular: (model.Create, Field(..., **described))}),
        "PUT": envelope("PUT", **{singular: (model.Update, Field(..., **described))}),
        "SEARCH": envelope(
            "SEARCH", SearchRequestFields, **{singular: (model.Search, Field(default_factory=model.Search))}
        ),
        "ResponseSingle": envelope("ResponseSingle", **{singular: (model, Field(..., **described))}),
        "ResponsePlural": envelope(
            "ResponsePlural",
            **{plural: (list[model], Field(default_factory=list, description=f"The {plural}"))},
        ),
        "singular": singular,
        "plural": plural,
        "__doc__": f"API envelopes of {model.__name__}: POST, PUT, SEARCH, ResponseSingle, ResponsePlural.",
        "__module__": model.__module__,
    }
    return type(prefix, (), namespace)
