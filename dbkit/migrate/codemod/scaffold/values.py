"""Python values, SQLAlchemy types and SQL as expressions of one generated module.

A :class:`ModuleWriter` builds the :mod:`.code` expression for a literal, an enum member, an
importable object, a column type or a server-side SQL expression. Each name it builds carries the
import it needs (:meth:`~.code.Expr.origins`); nothing is recorded here: the renderer imports what
the expressions it actually writes need, so an expression built and then dropped (a left-out
index, a default that fails halfway) leaves no import behind. It raises :class:`ScaffoldError`
for what has no source (the generator turns that into a :class:`ScaffoldProblem`).
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import enum
import importlib
import inspect
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from dbkit.migrate.codemod.scaffold.code import (
    Attribute,
    Call,
    Constant,
    DictExpr,
    Expr,
    Import,
    Imports,
    ListExpr,
    Name,
    Subscript,
    TupleExpr,
)
from dbkit.migrate.codemod.scaffold.constants import _MISSING, POSITIONAL_PARAMETERS
from dbkit.migrate.codemod.scaffold.facts import ddl_type, sql_text
from dbkit.migrate.codemod.scaffold.results import ScaffoldError

SQLALCHEMY = Import("sqlalchemy", alias="sa")
#: Python types written as ``dt.<name>``.
DATETIME_TYPES = (dt.datetime, dt.date, dt.time, dt.timedelta)


class EnumRegistry:
    """The enum classes the generated modules define inline: which module defines each, under what name.

    The ``DB_*`` files that define them are deleted in Phase 3, so an enum is defined in the
    first module that uses it and imported from there by the others.
    """

    def __init__(self) -> None:
        #: Enum class → (module that defines it, class name there), in the order first used.
        self.owners: dict[type[enum.Enum], tuple[str, str]] = {}
        #: Names an enum class must not take (the models' class names).
        self.reserved: set[str] = set()

    def place(self, enum_class: type[enum.Enum], module: str) -> tuple[str, str]:
        """The module and name of ``enum_class``, placing it in ``module`` the first time it is used."""
        if enum_class not in self.owners:
            self.owners[enum_class] = (module, self._free_name(enum_class))
        return self.owners[enum_class]

    def defined_in(self, module: str) -> list[tuple[type[enum.Enum], str]]:
        return [(cls, name) for cls, (owner, name) in self.owners.items() if owner == module]

    def _free_name(self, enum_class: type[enum.Enum]) -> str:
        """``Document.Visibility`` → ``DocumentVisibility``; ``_`` appended while the name is taken."""
        qualname = enum_class.__qualname__
        name = "".join(qualname.split(".")[-2:]) if "." in qualname else enum_class.__name__
        name = name.replace("<locals>", "")
        taken = {name for _, name in self.owners.values()} | self.reserved
        while name in taken:
            name += "_"
        return name


class ModuleWriter:
    """Builds the expressions of one generated module; their names carry the imports they need."""

    def __init__(self, module: str, enums: EnumRegistry) -> None:
        self.module = module
        self.enums = enums

    # -- names ------------------------------------------------------------------------------------
    def use(self, origin: Import) -> Name:
        """The name ``origin`` binds (imported by the module only if an expression using it is rendered)."""
        return Name(origin.bound, origin)

    def sa(self, *path: str) -> Expr:
        """``sa`` or ``sa.<path>``: SQLAlchemy, imported as ``sa``."""
        expr: Expr = self.use(SQLALCHEMY)
        for attr in path:
            expr = Attribute(expr, attr)
        return expr

    def typing(self, name: str) -> Name:
        return self.use(Import("typing", name))

    def enum_class(self, enum_class: type[enum.Enum]) -> Name:
        """An Enum class by its generated name, imported when another generated module defines it."""
        module, name = self.enums.place(enum_class, self.module)
        return self.use(Import(module, name)) if module != self.module else Name(name)

    def importable(self, obj: Any) -> Expr | None:
        """``obj`` by name, imported from its module; None for a ``DB_*`` module or no importable name."""
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", "")
        if not module or module == "__main__" or "<" in qualname or "." in qualname:
            return None
        if module.rsplit(".", 1)[-1].startswith("DB_"):
            return None
        if module == "sqlalchemy" or (
            module.startswith("sqlalchemy.") and getattr(sa, qualname, None) is obj
        ):
            return self.sa(qualname)
        if module.startswith("sqlalchemy.dialects."):
            dialect = module.split(".")[2]
            dialect_module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
            if getattr(dialect_module, qualname, None) is obj:
                return Attribute(self.use(Import("sqlalchemy.dialects", dialect)), qualname)
        return self.use(Import(module, qualname))

    # -- values -----------------------------------------------------------------------------------
    def value(self, value: Any) -> Expr:
        """A literal, enum member, SQLAlchemy type or importable object."""
        if isinstance(value, enum.Enum):
            return Attribute(self.enum_class(type(value)), value.name)
        if value is None or isinstance(value, bool | int | float | str | bytes):
            return Constant(value)
        if isinstance(value, decimal.Decimal):
            return Call(Attribute(self.use(Import("decimal")), "Decimal"), (Constant(str(value)),))
        if isinstance(value, sa.types.TypeEngine):
            return self.type_object(value)
        if isinstance(value, list | tuple):
            items = tuple(self.value(item) for item in value)
            return ListExpr(items) if isinstance(value, list) else TupleExpr(items)
        if isinstance(value, sa.sql.ClauseElement):
            return self.sql(value)
        found = self.importable(value)
        if found is None:
            raise ScaffoldError(f"cannot render {value!r} as source")
        return found

    def mapping(self, items: dict[str, Any]) -> DictExpr:
        """``{"key": value}``: the keys as strings."""
        return DictExpr(tuple((Constant(key), self.value(value)) for key, value in items.items()))

    def call(self, func: Expr, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> Call:
        """``func(...)`` with the arguments given as values."""
        arguments = tuple(self.value(arg) for arg in args)
        keywords = tuple((key, self.value(value)) for key, value in (kwargs or {}).items())
        return Call(func, arguments, keywords)

    def annotation(self, python_type: Any) -> Expr:
        """A Python type as an annotation: ``int``, ``dt.datetime``, ``dict[str, Any]``, an Enum class."""
        if python_type is Any:
            return self.typing("Any")
        if python_type in (dict, list):
            key = (Name("str"),) if python_type is dict else ()
            return Subscript(Name(python_type.__name__), (*key, self.typing("Any")))
        if isinstance(python_type, type) and python_type.__module__ == "builtins":
            return Name(python_type.__name__)
        if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
            return self.enum_class(python_type)
        if python_type in DATETIME_TYPES:
            return Attribute(self.use(Import("datetime", alias="dt")), python_type.__name__)
        if python_type in (decimal.Decimal, uuid.UUID):
            return Attribute(self.use(Import(python_type.__module__)), python_type.__name__)
        return self.importable(python_type) or self.typing("Any")

    # -- SQLAlchemy constructs --------------------------------------------------------------------
    def type_object(self, type_: sa.types.TypeEngine[Any]) -> Expr:
        """A column type: ``sa.String(40)``, ``sa.JSON().with_variant(postgresql.JSONB(), "postgresql")``."""
        variants = dict(getattr(type_, "_variant_mapping", {}) or {})
        base = type_
        if variants:
            base = copy.copy(type_)
            base._variant_mapping = type(type_._variant_mapping)()
        if isinstance(base, sa.Enum):
            raise ScaffoldError("an Enum type inside another type")
        callee = self.importable(type(base))
        if callee is None:
            raise ScaffoldError(f"{type(base).__qualname__} is defined in {type(base).__module__}")
        args, kwargs = constructor_arguments(base)
        expr: Expr = self.call(callee, args, kwargs)
        for dialect in sorted(variants):
            variant = self.type_object(variants[dialect])
            expr = Call(Attribute(expr, "with_variant"), (variant, Constant(dialect)))
        return expr

    def construct(self, construct: Any) -> Expr:
        """``sa.Identity(...)`` / ``sa.Computed(...)``."""
        if isinstance(construct, sa.Computed):
            kwargs = {} if construct.persisted is None else {"persisted": construct.persisted}
            return self.call(self.sa("Computed"), [sql_text(construct.sqltext)], kwargs)
        args, kwargs = constructor_arguments(construct)
        return self.call(self.sa(type(construct).__name__), args, kwargs)

    def sql(self, expression: Any) -> Expr:
        """``sa.func.now()``, ``sa.false()``, ``sa.text("0")``: a server-side SQL expression."""
        if isinstance(expression, sa.sql.elements.True_):
            return Call(self.sa("true"))
        if isinstance(expression, sa.sql.elements.False_):
            return Call(self.sa("false"))
        if isinstance(expression, sa.sql.elements.TextClause):
            return Call(self.sa("text"), (Constant(expression.text),))
        if isinstance(expression, sa.sql.functions.FunctionElement):
            arguments = list(expression.clauses.clauses)
            if all(isinstance(a, sa.sql.elements.BindParameter) for a in arguments):
                name = getattr(expression, "name", None)
                if name and name.isidentifier():
                    return Call(self.sa("func", name), tuple(Constant(a.value) for a in arguments))
        return Call(self.sa("text"), (Constant(sql_text(expression)),))

    def evaluates_to_same_type(self, expr: Expr, type_: sa.types.TypeEngine[Any]) -> bool:
        """Whether ``expr``, run with the imports it needs, builds a type with ``type_``'s DDL."""
        try:
            rebuilt = eval(expr.render(), namespace(expr))  # source this writer built, in its own imports
        except Exception:
            return False
        return ddl_type(rebuilt) == ddl_type(type_)


def namespace(expr: Expr) -> dict[str, Any]:
    """The names the imports of ``expr`` bind (enum classes defined inline excepted), to evaluate it."""
    imports = Imports()
    for origin in expr.origins():
        imports.add(origin)
    found: dict[str, Any] = {}
    for name, alias in imports.modules.items():
        try:  # ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``
            loaded_module = importlib.import_module(name)
            found[alias or name.split(".")[0]] = (
                loaded_module if alias else importlib.import_module(name.split(".")[0])
            )
        except ImportError:
            continue
    for name, names in imports.names.items():
        try:
            loaded = importlib.import_module(name)
        except ImportError:
            continue
        for attribute in names:
            if hasattr(loaded, attribute):
                found[attribute] = getattr(loaded, attribute)
            else:
                try:
                    found[attribute] = importlib.import_module(f"{name}.{attribute}")
                except ImportError:
                    continue
    return found


def constructor_arguments(obj: Any) -> tuple[list[Any], dict[str, Any]]:
    """Arguments that rebuild ``obj``: those differing from a blank instance (as ``generic_repr``)."""
    cls = type(obj)
    to_inspect = obj
    if isinstance(obj, sa.types.TypeDecorator) and _takes_only_var_args(cls):
        to_inspect = obj.impl_instance
    signature = inspect.signature(type(to_inspect).__init__)
    try:
        blank = type(to_inspect)()
    except Exception:
        blank = None
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    positional = True
    for name, parameter in list(signature.parameters.items())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        value = getattr(to_inspect, name, _MISSING)
        if value is _MISSING:
            positional = False
            continue
        default = parameter.default
        same_as_blank = blank is not None and _same_value(value, getattr(blank, name, _MISSING))
        if default is not parameter.empty and (_same_value(value, default) or same_as_blank):
            positional = False
            continue
        if positional and (default is parameter.empty or name in POSITIONAL_PARAMETERS):
            args.append(value)
        else:
            positional = False
            kwargs[name] = value
    return args, kwargs


def _takes_only_var_args(cls: type) -> bool:
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters)


def _same_value(value: Any, default: Any) -> bool:
    if default is _MISSING:
        return False
    if isinstance(value, sa.types.TypeEngine) or isinstance(default, sa.types.TypeEngine):
        return (
            isinstance(value, sa.types.TypeEngine)
            and isinstance(default, sa.types.TypeEngine)
            and type(value) is type(default)
            and ddl_type(value) == ddl_type(default)
        )
    try:
        return bool(value == default) and type(value) is type(default)
    except Exception:
        return False
