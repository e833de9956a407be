"""Dependency order of models by their references (cycles are handled by deferred foreign keys)."""

from __future__ import annotations

from collections.abc import Iterable

from dbkit.generate.builder import is_database_model
from dbkit.generate.options import column_options


def reference_targets(model: type) -> list[type]:
    """The DatabaseMixin models ``model`` references through its fields (in field order)."""
    targets: list[type] = []
    for field in model.model_fields.values():
        target = column_options(field).references
        if is_database_model(target) and target not in targets:
            targets.append(target)
    return targets


def generation_order(models: Iterable[type]) -> list[type]:
    """Models with referenced ones first (ties broken by name, so the order is deterministic).

    A reference that closes a cycle does not reorder anything: the generator sees its target
    still in progress and gives that foreign key ``use_alter`` (created once both tables exist).
    """
    pending = sorted(set(models), key=lambda m: (m.__module__, m.__qualname__))
    order: list[type] = []
    seen: set[type] = set()

    def visit(model: type) -> None:
        seen.add(model)
        for target in reference_targets(model):
            if target not in seen:
                visit(target)
        order.append(model)

    for model in pending:
        if model not in seen:
            visit(model)
    return order
