"""ModelGenerator: a ``DatabaseMixin`` model → a declarative SQLAlchemy class on a manager's Base.

Built from small overridable steps (table name, mixins, one column per field, references,
table arguments, validators), in the manner of sqlacodegen's generators.
"""

from __future__ import annotations

import copy
import functools
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from sqlalchemy.orm import backref as make_backref
from sqlalchemy.orm import relationship
from sqlalchemy.sql.elements import conv

from dbkit.entity import AuditMixin, BaseMixin, EntityMixin, IdMixin, UpdateMixin, mixin_columns
from dbkit.errors import ModelDefinitionError, ModelReferenceError
from dbkit.generate.collector import collector_paused, freeze_once
from dbkit.generate.options import RELATIONSHIP_OPTIONS, DBColumn, DBRelationship, column_options
from dbkit.generate.types import FieldContext, TypeRegistry, type_registry, unwrap_optional
from dbkit.generate.validators import plan_validators
from dbkit.manager import GENERATED_CLASSES_INFO, PK_COLUMN_TYPE, DatabaseManager
from dbkit.naming import model_stem, table_name_for

#: Attribute names a declarative class reserves for itself.
RESERVED_ATTRIBUTES = frozenset({"metadata", "registry", "query", "__table__", "__mapper__", "__tablename__"})


#: Set on every ``DatabaseMixin`` subclass (never on ``DatabaseMixin`` itself) as it is defined, so
#: the generator recognises models without importing the class that depends on it.
DATABASE_MODEL_MARKER = "__dbkit_database_model__"


def is_database_model(candidate: Any) -> bool:
    """``candidate`` is a model class that defines a table (a ``DatabaseMixin`` subclass)."""
    return isinstance(candidate, type) and getattr(candidate, DATABASE_MODEL_MARKER, False) is True


def table_name_of(model: type) -> str:
    """The table a model generates: its ``table_name`` class variable, else the derived name."""
    return (
        model.__dict__.get("table_name")
        or getattr(model, "table_name", None)
        or table_name_for(model.__name__)
    )


def declared_primary_key(model: type) -> list[tuple[str, FieldInfo, DBColumn]]:
    """Fields the model marks ``DBColumn(primary_key=True)``; empty means the uuid ``id``."""
    found = []
    for name, field in model.model_fields.items():
        options = column_options(field)
        if options.primary_key:
            found.append((name, field, options))
    return found


def primary_key_target(
    model: type, registry: TypeRegistry = type_registry
) -> tuple[str, sa.types.TypeEngine[Any]]:
    """Column name and type a reference to ``model`` points at, without generating ``model``."""
    keys = declared_primary_key(model)
    if not keys:
        return "id", PK_COLUMN_TYPE
    if len(keys) > 1:
        raise ModelReferenceError(
            f"{model.__name__} has a composite primary key ({', '.join(k for k, _, _ in keys)}); a ReferenceID "
            "cannot point at it. Declare a sqlalchemy.ForeignKeyConstraint in the referencing model's table_args."
        )
    name, field, options = keys[0]
    python_type, _ = unwrap_optional(field.annotation)
    ctx = FieldContext(model.__name__, name, python_type, field, options)
    return options.name or name, registry.column_type(ctx)


@dataclass
class ReferenceTarget:
    """Where a foreign key points, and how to find the mapped class for its relationship."""

    table: str
    column: str
    column_type: sa.types.TypeEngine[Any]
    label: str
    mapped_class: Callable[[], type] | None
    deferred: bool = False
    #: ``ForeignKey(use_alter=...)``; None: for a deferred target in a cycle (the default rule).
    use_alter: bool | None = None


class ModelGenerator:
    """Generates and caches the SQLAlchemy classes of one manager."""

    def __init__(self, manager: DatabaseManager, registry: TypeRegistry = type_registry) -> None:
        # Weakly: ``generator_for`` keeps generators in a WeakKeyDictionary keyed by their manager,
        # and a value holding its key strongly would keep every manager and its classes alive.
        self._manager = weakref.ref(manager)
        self.type_registry = registry
        self._in_progress: list[type] = []
        #: (target table, backref name) → "Model.field" that claimed it, to report collisions.
        self._backrefs: dict[tuple[str, str], str] = {}
        #: References by table name, checked before relationships are configured.
        self._table_references: list[tuple[type, str, str]] = []
        #: Names ``db_relationships`` give as strings: ("table", association table) or ("class", name).
        self._pending: list[tuple[type, str, str, str]] = []
        self._batch_depth = 0

    @property
    def manager(self) -> DatabaseManager:
        manager = self._manager()
        if manager is None:
            raise ReferenceError("This ModelGenerator's DatabaseManager no longer exists.")
        return manager

    # -- entry point ---------------------------------------------------------------------------
    def generate(self, model: type) -> type:
        cached = self.manager.generated.get(model)
        if cached is not None:
            return cached
        with self.manager._lock:
            cached = self.manager.generated.get(model)
            if cached is not None:
                return cached
            outermost = not self._in_progress and not self._batch_depth
            with collector_paused():
                self._in_progress.append(model)
                try:
                    generated = self.build_class(model)
                    self.manager.generated[model] = generated
                    table = getattr(generated, "__table__", None)
                    if isinstance(table, sa.Table):
                        table.metadata.info.setdefault(GENERATED_CLASSES_INFO, {})[table.key] = generated
                finally:
                    self._in_progress.pop()
                if outermost:
                    self.configure(strict=False)
            return generated

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Generate several models, configuring relationships once at the end (strictly).

        The collector is paused throughout and the result frozen the first time (see
        :mod:`dbkit.generate.collector`: a quarter less time for generation and ``create_all``).
        """
        with self.manager._lock:
            with collector_paused():
                self._batch_depth += 1
                try:
                    yield
                finally:
                    self._batch_depth -= 1
                self.configure(strict=True)
            freeze_once()

    def configure(self, *, strict: bool) -> None:
        """Resolve relationships now, so backrefs exist as soon as the referencing class does.

        A reference by table name to a model not generated yet cannot resolve; configuring then
        would leave SQLAlchemy's mappers permanently failed, so it waits (``strict`` raises instead).
        """
        if self.manager.adopted_base:
            # The application's registry also holds hand-written classes whose string relationships may
            # name classes not imported yet; configuring now would fail their mappers for good.
            # SQLAlchemy configures on first use (a query, an instance) as the application always did.
            return
        missing = [(m, f, t) for m, f, t in self._table_references if not self._is_mapped(t)]
        unresolved = [item for item in self._pending if not self._is_defined(item[2], item[3])]
        if unresolved and not missing:
            if strict:
                _, label, kind, name = unresolved[0]
                where = "MetaData has no table" if kind == "table" else "registry maps no class named"
                raise ModelReferenceError(
                    f"{label}: this manager's {where} {name!r}. Generate the model that defines it "
                    "(or, for a hand-written class, adopt its base: DatabaseManager(url, base=Base))."
                )
            return
        if missing:
            if strict:
                model, name, table = missing[0]
                looks_like_a_class = table[:1].isupper()
                hint = (
                    f" A string is read as a table name; to reference the model {table}, pass the class "
                    f"itself: DBColumn(references={table})."
                    if looks_like_a_class
                    else " Register the model that defines it, or fix the table name."
                )
                raise ModelReferenceError(
                    f"{model.__name__}.{name} references table {table!r}, which no model on this manager defines.{hint}"
                )
            return
        try:
            self.manager.Base.registry.configure()
        except sa.exc.SQLAlchemyError as exc:
            raise ModelReferenceError(f"Configuring generated models failed: {exc}") from exc

    def _is_defined(self, kind: str, name: str) -> bool:
        if kind == "table":
            return name in self.manager.metadata.tables
        return any(m.class_.__name__ == name for m in self.manager.Base.registry.mappers)

    def _is_mapped(self, table: str) -> bool:
        return any(getattr(m.local_table, "name", None) == table for m in self.manager.Base.registry.mappers)

    # -- the steps -------------------------------------------------------------------------------
    def build_class(self, model: type) -> type:
        self._check_complete(model)
        table = self.table_name(model)
        self._check_table_free(model, table)
        mixins = self.mixins(model)
        provided = mixin_columns(mixins)
        attributes: dict[str, Any] = {
            "__tablename__": table,
            "__module__": model.__module__,
            "__qualname__": self.class_name(model),
            "__dbkit_model__": model,
            "__dbkit_migration_notes__": getattr(model, "migration_notes", None),
        }
        attribute_of: dict[str, str] = {}
        for name, field in model.model_fields.items():
            if name in provided:
                attribute_of[name] = name
                continue
            column = self.column_for(model, table, name, field)
            if column is None:
                continue
            self._check_attribute_name(model, name, attributes)
            attributes[name] = column
            attribute_of[name] = name
        for name, field in model.model_fields.items():
            if name not in provided:
                attributes.update(self.reference_relationship(model, table, name, field, attributes))
        attributes.update(self.declared_relationships(model, attributes))
        plan = plan_validators(model, attribute_of)
        attributes.update(plan.guards)
        attributes["__dbkit_untranslated_validators__"] = plan.untranslated
        attributes["__table_args__"] = self.table_args(model)
        return type(self.class_name(model), (self.manager.Base, *mixins), attributes)

    def table_name(self, model: type) -> str:
        return table_name_of(model)

    def class_name(self, model: type) -> str:
        """The legacy class name (``UserModel`` → ``User``), so ``relationship("User")`` finds it;
        a ``db_class_name`` class variable of the model itself overrides it."""
        return model.__dict__.get("db_class_name") or model_stem(model.__name__)

    def mixins(self, model: type) -> tuple[type, ...]:
        """``BaseMixin`` + ``UpdateMixin`` by default; own primary key or ``audit_columns=False`` trim them."""
        own_pk = bool(declared_primary_key(model))
        extra = tuple(getattr(model, "db_mixins", ()) or ())
        if getattr(model, "audit_columns", True):
            core: tuple[type, ...] = (
                (EntityMixin, AuditMixin, UpdateMixin) if own_pk else (BaseMixin, UpdateMixin)
            )
        else:
            core = (EntityMixin,) if own_pk else (EntityMixin, IdMixin)
        return (*core, *(m for m in extra if m not in core))

    def column_for(self, model: type, table: str, name: str, field: FieldInfo) -> sa.Column[Any] | None:
        options = column_options(field)
        if not options.persist:
            return None
        python_type, optional = unwrap_optional(field.annotation)
        target = self.reference_target(model, name, options) if options.references is not None else None
        if target is not None:
            column_type = copy.copy(target.column_type)
        else:
            ctx = FieldContext(model.__name__, name, python_type, field, options)
            column_type = self.type_registry.column_type(ctx)
        args: list[Any] = [column_type]
        foreign_key = self.foreign_key(model, name, options, target)
        if foreign_key is not None:
            args.append(foreign_key)
        for construct in (options.identity, options.computed):
            if construct is not None:
                args.append(copy.copy(construct))
        kwargs: dict[str, Any] = {
            "primary_key": options.primary_key,
            "nullable": options.nullable
            if options.nullable is not None
            else (optional and not options.primary_key),
            "unique": options.unique or None,
            "index": options.index or None,
            "comment": field.description,
            "server_default": options.server_default,
            "onupdate": options.update_value,
            "default": self.python_default(field),
        }
        if options.autoincrement != "auto":
            kwargs["autoincrement"] = options.autoincrement
        return sa.Column(options.name or name, *args, **kwargs)

    def python_default(self, field: FieldInfo) -> Any:
        """A Field default (or factory) as a Python-side column default; ``None`` means no default."""
        if field.default_factory is not None:
            factory = field.default_factory
            return lambda: factory()  # type: ignore[call-arg]
        if field.default is PydanticUndefined or field.default is None:
            return None
        value = field.default
        if isinstance(value, dict | list | set):
            return lambda: copy.deepcopy(value)
        return value

    # -- references ------------------------------------------------------------------------------
    def reference_target(self, model: type, name: str, options: DBColumn) -> ReferenceTarget:
        target = options.references
        if is_database_model(target):
            holder = self._hand_written_holder(target)
            if holder is not None:
                target = holder  # the application still maps that table by hand: reference its class
        if is_database_model(target) and self.manager.adopted_base and target not in self.manager.generated:
            # not switched yet, and its hand-written class not defined yet: the foreign key names the
            # table, the relationship whichever class maps it when mappers configure (generating the
            # target here would collide with that hand-written class, defined later)
            column, column_type = primary_key_target(target, self.type_registry)
            table_name = table_name_of(target)
            return ReferenceTarget(
                table_name,
                column,
                column_type,
                target.__name__,
                lambda: self.mapped_class_for_table(model, name, table_name),
                deferred=True,
                use_alter=False,
            )
        if is_database_model(target):
            column, column_type = primary_key_target(target, self.type_registry)
            deferred = target in self._in_progress
            if not deferred:
                self.generate(target)
            return ReferenceTarget(
                table=table_name_of(target),
                column=column,
                column_type=column_type,
                label=target.__name__,
                mapped_class=lambda: self.manager.generated[target],
                deferred=deferred,
            )
        table = getattr(target, "__table__", target)
        if isinstance(table, sa.Table):
            keys = [c.name for c in table.primary_key.columns]
            if len(keys) != 1:
                raise ModelReferenceError(
                    f"{model.__name__}.{name} references {table.name}, whose primary key is {keys}: "
                    "use DBColumn(foreign_key='table.column') or a ForeignKeyConstraint in table_args."
                )
            mapped = target if hasattr(target, "__mapper__") else None
            return ReferenceTarget(
                table.name, keys[0], table.c[keys[0]].type, table.name, (lambda: mapped) if mapped else None
            )
        if isinstance(target, str):
            table_name, _, column = target.partition(".")
            if (model, name, table_name) not in self._table_references:
                self._table_references.append((model, name, table_name))
            return ReferenceTarget(
                table_name,
                column or "id",
                PK_COLUMN_TYPE,
                table_name,
                lambda: self.mapped_class_for_table(model, name, table_name),
                deferred=True,
            )
        raise ModelReferenceError(
            f"{model.__name__}.{name}: DBColumn(references={target!r}) is not a DatabaseMixin model, a mapped "
            "class, a Table or a table name."
        )

    def foreign_key(
        self, model: type, name: str, options: DBColumn, target: ReferenceTarget | None
    ) -> sa.ForeignKey | None:
        if target is not None:
            spec = f"{target.table}.{target.column}"
        elif options.foreign_key:
            spec = options.foreign_key
        else:
            return None
        return sa.ForeignKey(
            spec,
            ondelete=options.ondelete,
            onupdate=options.onupdate,
            name=self._literal_name(options.fk_name),
            use_alter=(
                target.use_alter
                if target is not None and target.use_alter is not None
                else bool(target and target.deferred and target.table != self.table_name(model))
            ),
        )

    def mapped_class_for_table(self, model: type, name: str, table: str) -> type:
        for mapper in self.manager.Base.registry.mappers:
            if getattr(mapper.local_table, "name", None) == table:
                return mapper.class_
        raise ModelReferenceError(
            f"{model.__name__}.{name} references table {table!r}, which no model on this manager defines. "
            "Generate or declare that model first, or fix the table name."
        )

    def reference_relationship(
        self, model: type, table: str, name: str, field: FieldInfo, attributes: dict[str, Any]
    ) -> dict[str, Any]:
        """``document.user`` on the referencing class and ``user.documents`` on the target."""
        options = column_options(field)
        if options.references is None or options.relationship is False or not options.persist:
            return {}
        relationship_name = options.relationship or (name[:-3] if name.endswith("_id") else None)
        if not relationship_name:
            return {}
        if relationship_name in model.model_fields or relationship_name in attributes:
            raise ModelReferenceError(
                f"{model.__name__}.{name}: the relationship name {relationship_name!r} is already a field or "
                f"relationship of {model.__name__}. Name it: DBColumn(references=..., relationship='...')."
            )
        target = self.reference_target(model, name, options)
        column = attributes[name]
        self_reference = target.table == table
        backref_name = options.backref
        if backref_name is None:
            backref_name = "children" if self_reference and relationship_name == "parent" else table
        self._claim_backref(model, name, target, backref_name)
        resolve_target = functools.partial(self._resolve, model, name, target)
        kwargs: dict[str, Any] = self._relationship_keywords(
            model, options.relationship_options, related=lambda: resolve_target().__table__
        )
        kwargs["foreign_keys"] = [column]
        if backref_name:
            backref_keywords = self._relationship_keywords(
                model, options.backref_options, related=lambda: self.manager.generated[model].__table__
            )
            kwargs["backref"] = make_backref(backref_name, **backref_keywords)
        if self_reference:
            pk_column = target.column
            kwargs["remote_side"] = lambda: [resolve_target().__table__.c[pk_column]]
        return {relationship_name: relationship(resolve_target, **kwargs)}

    def _relationship_keywords(
        self, model: type, options: Mapping[str, Any] | None, related: Callable[[], sa.Table]
    ) -> dict[str, Any]:
        """``relationship()`` keywords from ``relationship_options``/``backref_options``; an ``order_by``
        given as column names of the related table (``"name desc"``) is resolved when mappers configure."""
        keywords = dict(options or {})
        unknown = sorted(set(keywords) - {*RELATIONSHIP_OPTIONS, "back_populates"})
        if unknown:
            raise ModelDefinitionError(
                f"{model.__name__}: relationship options {unknown} are not carried by dbkit; use "
                f"{list(RELATIONSHIP_OPTIONS)}, or declare the relationship on the generated class by hand."
            )
        order_by = keywords.get("order_by")
        if isinstance(order_by, str | tuple | list):
            names = (order_by,) if isinstance(order_by, str) else tuple(order_by)
            keywords["order_by"] = lambda: order_by_columns(model, related(), names)
        return keywords

    # -- relationships no field states -------------------------------------------------------------
    def declared_relationships(self, model: type, attributes: dict[str, Any]) -> dict[str, Any]:
        """The model's ``db_relationships``: one-to-many, many-to-many, adjacency lists, by name."""
        declared = model.__dict__.get("db_relationships") or {}
        built: dict[str, Any] = {}
        for name, spec in declared.items():
            if not isinstance(spec, DBRelationship):
                raise ModelDefinitionError(
                    f"{model.__name__}.db_relationships[{name!r}] is {spec!r}; give a dbkit.DBRelationship(...)."
                )
            if name in model.model_fields or name in attributes:
                raise ModelReferenceError(
                    f"{model.__name__}.db_relationships[{name!r}]: {name!r} is already a field or relationship "
                    f"of {model.__name__}; name the relationship differently."
                )
            built[name] = self.declared_relationship(model, name, spec)
        return built

    def declared_relationship(self, model: type, name: str, spec: DBRelationship) -> Any:
        label = f"{model.__name__}.db_relationships[{name!r}]"
        target = self._relationship_target(model, label, spec.target)
        related_table = functools.partial(self._table_of_target, label, target)
        own_table = lambda: self.manager.generated[model].__table__  # noqa: E731
        options = {
            key: getattr(spec, key) for key in RELATIONSHIP_OPTIONS if getattr(spec, key) not in (None, ())
        }
        kwargs = self._relationship_keywords(model, options, related=related_table)
        if spec.secondary is not None:
            self._pending.append((model, label, "table", spec.secondary))
            kwargs["secondary"] = spec.secondary
        if spec.back_populates is not None:
            kwargs["back_populates"] = spec.back_populates
        if spec.backref is not None:
            backref_options = self._relationship_keywords(model, spec.backref_options, related=own_table)
            kwargs["backref"] = make_backref(spec.backref, **backref_options)
        if spec.foreign_keys:
            keys = spec.foreign_keys
            kwargs["foreign_keys"] = lambda: [self._column(model, label, own_table(), key) for key in keys]
        if spec.remote_side:
            remote = spec.remote_side
            kwargs["remote_side"] = lambda: [
                self._column(model, label, related_table(), key) for key in remote
            ]
        return relationship(target, **kwargs)

    def _relationship_target(self, model: type, label: str, target: Any) -> Any:
        """What ``relationship()`` is given: a callable for a model (generated on demand), a class,
        or a class name the registry resolves once a class of that name is mapped."""
        if is_database_model(target):
            holder = self._hand_written_holder(target)
            if holder is not None:
                return holder
            if self.manager.adopted_base and target not in self.manager.generated:
                # not switched yet: whichever class maps it when mappers configure (generating it
                # here would collide with the hand-written class defined later)
                name = self.class_name(target)
                self._pending.append((model, label, "class", name))
                return name
            if target not in self._in_progress:
                self.generate(target)
            return lambda: self.manager.generated[target]
        if isinstance(target, str):
            self._pending.append((model, label, "class", target))
            return target
        if isinstance(target, type) and hasattr(target, "__mapper__"):
            return target
        raise ModelReferenceError(
            f"{label}: target {target!r} is not a DatabaseMixin model, a mapped class or a class name."
        )

    def _hand_written_holder(self, model: type) -> type | None:
        """On an adopted base, the hand-written class that still maps ``model``'s table, if any."""
        if not self.manager.adopted_base or model in self.manager.generated:
            return None
        table = self.manager.metadata.tables.get(table_name_of(model))
        for mapper in self.manager.Base.registry.mappers:
            if (
                table is not None
                and mapper.local_table is table
                and not hasattr(mapper.class_, "__dbkit_model__")
            ):
                return mapper.class_
        return None

    def _table_of_target(self, label: str, target: Any) -> sa.Table:
        """The related table, once the target is mapped (called while mappers configure)."""
        if isinstance(target, str):
            mapped = [m for m in self.manager.Base.registry.mappers if m.class_.__name__ == target]
            if len(mapped) != 1:
                raise ModelReferenceError(f"{label}: {len(mapped)} mapped classes are named {target!r}.")
            return mapped[0].local_table
        resolved = target() if not isinstance(target, type) else target
        return resolved.__table__

    def _column(self, model: type, label: str, table: sa.Table, key: str) -> sa.Column[Any]:
        table_name, _, column = key.rpartition(".")
        if table_name:
            table = self.manager.metadata.tables.get(table_name, table)
        if column not in table.c:
            raise ModelReferenceError(f"{label}: table {table.name!r} has no column {column!r}.")
        return table.c[column]

    def _resolve(self, model: type, name: str, target: ReferenceTarget) -> type:
        resolved = target.mapped_class() if target.mapped_class else None
        if resolved is None:
            raise ModelReferenceError(
                f"{model.__name__}.{name}: cannot find the mapped class of {target.label}."
            )
        return resolved

    def _claim_backref(
        self, model: type, name: str, target: ReferenceTarget, backref_name: str | bool
    ) -> None:
        if not backref_name:
            return
        key = (target.table, str(backref_name))
        claimant = f"{model.__name__}.{name}"
        previous = self._backrefs.get(key)
        existing_class = None
        if not target.deferred and target.mapped_class is not None:
            existing_class = target.mapped_class()
        taken_on_class = existing_class is not None and hasattr(existing_class, str(backref_name))
        if (previous and previous != claimant) or taken_on_class:
            holder = previous or f"an attribute of {target.label}"
            raise ModelReferenceError(
                f"{claimant} would add the backref {backref_name!r} to {target.label}, but {holder} already "
                f"uses that name. Name one of them: DBColumn(references=..., backref='...')."
            )
        self._backrefs[key] = claimant

    # -- table level -----------------------------------------------------------------------------
    def table_args(self, model: type) -> tuple[Any, ...]:
        """Constraints and indexes (copied: one SQLAlchemy object can join only one table), then options."""
        declared = tuple(getattr(model, "table_args", ()) or ())
        options: dict[str, Any] = {}
        items: list[Any] = []
        for item in declared:
            if isinstance(item, dict):
                options.update(item)
            else:
                copied = copy_schema_item(model, item)
                if isinstance(getattr(copied, "name", None), str):
                    copied.name = self._literal_name(copied.name)
                items.append(copied)
        comment = getattr(model, "table_comment", None)
        if comment:
            options["comment"] = comment
        return (*items, options)

    def _literal_name(self, name: str | None) -> str | None:
        """An explicit constraint name, kept as written (dbkit's promise) even under an adopted base's
        naming convention that would format it (``ck_%(table_name)s_%(constraint_name)s``)."""
        if name is None or not self.manager.adopted_base:
            return name
        return conv(name)

    def _check_complete(self, model: type) -> None:
        if not getattr(model, "__pydantic_complete__", True):
            raise ModelDefinitionError(
                f"{model.__name__} is not fully defined: some annotations are unresolved forward references. "
                f"Define the types it names, then call {model.__name__}.model_rebuild()."
            )

    def _check_table_free(self, model: type, table: str) -> None:
        """On an adopted base a table maps to one class: name the hand-written one still holding it."""
        existing = self.manager.metadata.tables.get(table)
        if existing is None:
            return
        holders = [m.class_ for m in self.manager.Base.registry.mappers if m.local_table is existing]
        holder = f"class {holders[0].__module__}.{holders[0].__qualname__}" if holders else "a Table"
        raise ModelDefinitionError(
            f"{model.__name__}: table {table!r} is already defined on this manager's MetaData by {holder}. "
            f"One registry maps a table once: replace the hand-written class with "
            f"{self.class_name(model)} = {model.__name__}.DB (dbkit switch), or generate on a manager "
            "without base=."
        )

    def _check_attribute_name(self, model: type, name: str, attributes: dict[str, Any]) -> None:
        if name in RESERVED_ATTRIBUTES:
            raise ModelDefinitionError(
                f"{model.__name__}.{name}: SQLAlchemy reserves the attribute name {name!r}. Rename the field "
                f"(e.g. {name}_) and keep the column name with Annotated[..., DBColumn(name={name!r})]."
            )


def order_by_columns(model: type, table: sa.Table, names: tuple[str, ...]) -> list[Any]:
    """``("name", "created_at desc")`` → the columns of ``table``, descending where asked."""
    found = []
    for spec in names:
        column, _, direction = spec.strip().partition(" ")
        if column not in table.c or direction.strip().lower() not in ("", "asc", "desc"):
            raise ModelReferenceError(
                f"{model.__name__}: order_by {spec!r} is not a column of {table.name!r} with an optional asc/desc."
            )
        found.append(table.c[column].desc() if direction.strip().lower() == "desc" else table.c[column])
    return found


def copy_schema_item(model: type, item: Any) -> Any:
    """A fresh copy of an unattached ``Index``/``Constraint``, so each generated table gets its own."""
    attached_to = item.__dict__.get("parent")
    if attached_to is None:
        attached_to = item.__dict__.get("table")
    if attached_to is not None:
        raise ModelDefinitionError(
            f"{model.__name__}.table_args: {type(item).__name__} {item.name!r} already belongs to table "
            f"{getattr(attached_to, 'name', attached_to)!r}; declare a new one (name columns as strings)."
        )
    return copy.deepcopy(item)


_generators: weakref.WeakKeyDictionary[DatabaseManager, ModelGenerator] = weakref.WeakKeyDictionary()
_generators_lock = threading.Lock()


def generator_for(manager: DatabaseManager) -> ModelGenerator:
    """The one generator of ``manager`` (it remembers backrefs claimed and generation in progress)."""
    with _generators_lock:
        generator = _generators.get(manager)
        if generator is None:
            generator = _generators[manager] = ModelGenerator(manager)
        return generator
