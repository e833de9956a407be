"""Pydantic models derived from one definition, attached lazily to each ``DatabaseMixin`` model.

A registry maps a nested-class name (``ReferenceID``, ``Create``...) to the function that
derives it. A class the model itself defines by hand under that name wins; one inherited from a
base (or from a ``ReferenceID`` it inherits) does not, because every model gets its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from dbkit.generate.options import DBColumn
from dbkit.naming import model_stem, reference_field_for, snake_case
from dbkit.search import IdSearchModel

VariantFactory = Callable[[type], type]

#: Nested-class name → factory. The business layer adds Create, Update, Search and Network.
VARIANT_FACTORIES: dict[str, VariantFactory] = {}


def register_variant(name: str) -> Callable[[VariantFactory], VariantFactory]:
    def decorate(factory: VariantFactory) -> VariantFactory:
        VARIANT_FACTORIES[name] = factory
        return factory

    return decorate


class DerivedVariant:
    """A class attribute that derives the variant on first access and then returns the same class.

    The descriptor stays in the model's ``__dict__`` (the variant is cached on it), so code that
    looks for a hand-written nested class in ``model.__dict__`` never mistakes a derived one for it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._derived: dict[type, type] = {}

    def __get__(self, obj: Any, owner: type) -> type:
        variant = self._derived.get(owner)
        if variant is None:
            variant = VARIANT_FACTORIES[self.name](owner)
            variant.__qualname__ = f"{owner.__qualname__}.{self.name}"
            variant = self._derived.setdefault(owner, variant)
        return variant


def install_variants(model: type) -> None:
    """Give ``model`` its own lazily derived variants, except those it defines by hand."""
    for name in VARIANT_FACTORIES:
        if name not in model.__dict__:
            type.__setattr__(model, name, DerivedVariant(name))


def _human_name(model: type) -> str:
    return snake_case(model_stem(model.__name__)).replace("_", " ")


@register_variant("ReferenceID")
def derive_reference_id(model: type) -> type:
    """``XModel.ReferenceID`` (required ``x_id``) with ``.Optional`` and ``.Search`` nested variants."""
    field_name = reference_field_for(model.__name__)
    description = f"The ID of the related {_human_name(model)}"
    reference = DBColumn(references=model)
    required: type[BaseModel] = create_model(
        f"{model.__name__}ReferenceID",
        **{field_name: (Annotated[str, reference], Field(..., description=description))},
    )
    optional = create_model(
        f"{model.__name__}ReferenceIDOptional",
        **{field_name: (Annotated[str | None, reference], Field(None, description=description))},
    )
    search = create_model(
        f"{model.__name__}ReferenceIDSearch",
        **{field_name: (IdSearchModel | None, Field(None, description=description))},
    )
    required.Optional = optional  # type: ignore[attr-defined]
    required.Search = search  # type: ignore[attr-defined]
    required.__dbkit_reference_target__ = model  # type: ignore[attr-defined]
    return required
