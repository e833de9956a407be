"""ModelRegistry: binds a set of models to one manager, generates them in order, creates the schema."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from dbkit.errors import ModelReferenceError
from dbkit.generate.builder import generator_for, is_database_model
from dbkit.generate.ordering import generation_order, reference_targets
from dbkit.manager import DatabaseManager


class ModelRegistry:
    """The models of one application on one database.

    ``registry.DB(UserModel)`` (or ``UserModel.DB`` inside ``registry.activate()``) is the class
    generated on this registry's manager; every reference must point inside the registry.
    """

    def __init__(self, manager: DatabaseManager | None = None, models: Iterable[type] = ()) -> None:
        self.manager = manager or DatabaseManager.default()
        self.models: list[type] = []
        self.register(*models)

    def register(self, *models: type) -> ModelRegistry:
        for model in models:
            if not is_database_model(model):
                raise TypeError(f"{model!r} is not a DatabaseMixin model and cannot be registered.")
            if model not in self.models:
                self.models.append(model)
        return self

    def check_references(self) -> None:
        """Refuse a reference to a model this registry does not hold, naming both."""
        for model in self.models:
            for target in reference_targets(model):
                if target not in self.models:
                    raise ModelReferenceError(
                        f"{model.__name__} references {target.__name__}, which is not registered in this "
                        f"ModelRegistry. Register it: registry.register({target.__name__})."
                    )

    def generate(self) -> dict[type, type]:
        """Generate every model (referenced ones first) and return model → SQLAlchemy class."""
        self.check_references()
        order = generation_order(self.models)
        generator = generator_for(self.manager)
        with generator.batch():
            return {model: generator.generate(model) for model in order}

    def DB(self, model: type) -> type:
        if model not in self.models:
            raise ModelReferenceError(f"{model.__name__} is not registered in this ModelRegistry.")
        return generator_for(self.manager).generate(model)

    def create_schema(self) -> dict[type, type]:
        """Generate everything and create the tables that do not exist yet."""
        generated = self.generate()
        self.manager.create_all()
        return generated

    @contextmanager
    def activate(self) -> Iterator[ModelRegistry]:
        """Within the block, ``Model.DB`` generates on this registry's manager."""
        with self.manager.activate():
            yield self

    def __iter__(self) -> Iterator[type]:
        return iter(self.models)

    def __repr__(self) -> str:
        names = ", ".join(m.__name__ for m in self.models)
        return f"ModelRegistry({self.manager!r}, [{names}])"

    def __getattr__(self, name: str) -> Any:
        """``registry.UserModel`` → the generated class of the registered model named so."""
        for model in self.__dict__.get("models", ()):
            if model.__name__ == name:
                return self.DB(model)
        raise AttributeError(name)
