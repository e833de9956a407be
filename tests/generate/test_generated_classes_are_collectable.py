"""A manager nobody references is collected with its generated classes (a kernel regenerating its
models must not keep every earlier set: the generator cache once held each manager for good)."""

from __future__ import annotations

import gc
import weakref

import pytest

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, ModelRegistry
from dbkit.generate import collector
from dbkit.generate.builder import ModelGenerator


def _generate_and_forget() -> tuple[weakref.ref[DatabaseManager], weakref.ref[type]]:
    class WidgetModel(ApplicationModel, DatabaseMixin):
        label: str

    manager = DatabaseManager("sqlite://")
    ModelRegistry(manager, [WidgetModel]).generate()
    return weakref.ref(manager), weakref.ref(manager.generated[WidgetModel])


def test_a_forgotten_manager_and_its_classes_are_collected(monkeypatch: pytest.MonkeyPatch) -> None:
    # The process's first bulk generation may freeze what it made (dbkit.generate.collector): not this one.
    monkeypatch.setattr(collector, "FREEZE_AFTER_GENERATION", False)
    manager, generated = _generate_and_forget()
    gc.collect()
    assert manager() is None
    assert generated() is None


def test_a_generator_whose_manager_is_gone_says_so() -> None:
    generator = ModelGenerator(DatabaseManager("sqlite://"))
    gc.collect()
    with pytest.raises(ReferenceError, match="DatabaseManager no longer exists"):
        generator.manager  # noqa: B018 - the property is what is tested
