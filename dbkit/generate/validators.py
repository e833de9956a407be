"""Pydantic validators → SQLAlchemy ``@validates`` guards on the generated class.

Translated (assigning an invalid value to the ORM object raises the same ``ValueError``):

* field validators in ``after``, ``before`` or ``plain`` mode (``@field_validator``), on one or
  several fields: each field gets a guard calling the validator with the assigned value;
* model validators in ``after`` mode named ``validate_<field>`` whose body reads no other field
  than ``<field>``: the guard calls them on a stand-in object holding only that value.

Not translated, and listed in ``DB.__dbkit_untranslated_validators__`` with the reason:
``wrap`` field validators (they need Pydantic's handler), ``before``/``wrap`` model validators,
and model validators that read several fields (a guard sees one value at a time).
Validators of a hand-written ``Create`` nested class count as the model's own.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import validates

TRANSLATED_FIELD_MODES = ("after", "before", "plain")


@dataclass(frozen=True)
class ValidatorPlan:
    """The guards to add (attribute name → method) and the validators left out, with reasons."""

    guards: dict[str, Callable[..., Any]]
    untranslated: tuple[str, ...]


def _unbound(func: Any) -> Callable[..., Any]:
    return getattr(func, "__func__", func)


def _call_field_validator(func: Callable[..., Any], info_arg: bool, value: Any) -> Any:
    """Call a Pydantic field validator (bound to its class) as Pydantic would, without a context."""
    return func(value, None) if info_arg else func(value)


def _field_validator_guard(
    attribute: str, validators: list[tuple[Callable[..., Any], bool]]
) -> Callable[..., Any]:
    def guard(self: Any, key: str, value: Any) -> Any:
        for func, info_arg in validators:
            value = _call_field_validator(func, info_arg, value)
        return value

    guard.__name__ = f"_dbkit_validate_{attribute}"
    return validates(attribute)(guard)


def _reads_only(func: Callable[..., Any], field: str, all_fields: set[str]) -> bool:
    """Whether a model validator's code names no model field but ``field``."""
    code = getattr(_unbound(func), "__code__", None)
    if code is None:
        return False
    names = set(code.co_names)
    return field in names and not (names & (all_fields - {field}))


def _model_validator_guard(attribute: str, field: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def guard(self: Any, key: str, value: Any) -> Any:
        stand_in = types.SimpleNamespace(**{field: value})
        _unbound(func)(stand_in)
        return value

    guard.__name__ = f"_dbkit_validate_{attribute}_model"
    return validates(attribute)(guard)


def _decorator_sources(model: type) -> list[type]:
    sources = [model]
    create = model.__dict__.get("Create")
    if isinstance(create, type) and hasattr(create, "__pydantic_decorators__"):
        sources.append(create)
    return sources


def plan_validators(model: type, attribute_of: dict[str, str]) -> ValidatorPlan:
    """Guards for ``model``'s validators; ``attribute_of`` maps field names to ORM attribute names."""
    per_field: dict[str, list[tuple[Callable[..., Any], bool]]] = {}
    guards: dict[str, Callable[..., Any]] = {}
    untranslated: list[str] = []
    fields = set(attribute_of)
    for source in _decorator_sources(model):
        decorators = source.__pydantic_decorators__
        for name, decorator in decorators.field_validators.items():
            mode = decorator.info.mode
            targets = [f for f in decorator.info.fields if f in attribute_of]
            if mode not in TRANSLATED_FIELD_MODES:
                untranslated.append(f"{source.__name__}.{name}: field validator in {mode!r} mode")
                continue
            info_arg = _has_info_arg(decorator.func)
            for field in targets:
                per_field.setdefault(field, []).append((decorator.func, info_arg))
        for name, decorator in decorators.model_validators.items():
            field = name.removeprefix("validate_")
            if decorator.info.mode != "after":
                untranslated.append(
                    f"{source.__name__}.{name}: model validator in {decorator.info.mode!r} mode"
                )
            elif not name.startswith("validate_") or field not in attribute_of:
                untranslated.append(f"{source.__name__}.{name}: model validator not named validate_<field>")
            elif not _reads_only(decorator.func, field, fields):
                untranslated.append(f"{source.__name__}.{name}: model validator reads more than {field!r}")
            else:
                attribute = attribute_of[field]
                guards[f"_dbkit_guard_{source.__name__}_{name}"] = _model_validator_guard(
                    attribute, field, decorator.func
                )
    for field, validators in per_field.items():
        attribute = attribute_of[field]
        guards[f"_dbkit_guard_{field}"] = _field_validator_guard(attribute, validators)
    return ValidatorPlan(guards=guards, untranslated=tuple(untranslated))


def _has_info_arg(func: Any) -> bool:
    """Whether a (bound) field validator takes Pydantic's ``info`` argument after the value."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2
