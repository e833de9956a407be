"""Dependency order of models by their references, with cycles reported rather than skipped."""

from __future__ import annotations

from collections.abc import Iterable

from dbkit.generate.options import column_options


def reference_targets(model: type) -> list[type]:
    """The DatabaseMixin models ``model`` references through its fields (in field order)."""
    from dbkit.generate.builder import is_database_model

    targets: list[type] = []
    for field in model.model_fields.values():
        target = column_options(field).references
        if is_database_model(target) and target not in targets:
            targets.append(target)
    return targets


def generation_order(models: Iterable[type]) -> tuple[list[type], list[tuple[type, type]]]:
    """Models with referenced ones first (ties broken by name, so the order is deterministic).

    Returns the order and the references that close a cycle: those get a deferred foreign key
    (``use_alter``), created after both tables exist.
    """
    pending = sorted(set(models), key=lambda m: (m.__module__, m.__qualname__))
    order: list[type] = []
    deferred: list[tuple[type, type]] = []
    state: dict[type, str] = {}

    def visit(model: type) -> None:
        state[model] = "visiting"
        for target in reference_targets(model):
            if target not in state:
                visit(target)
            elif state[target] == "visiting" and target is not model:
                deferred.append((model, target))
        state[model] = "done"
        order.append(model)

    for model in pending:
        if model not in state:
            visit(model)
    return order, deferred
