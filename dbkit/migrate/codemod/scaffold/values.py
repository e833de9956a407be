"""Python values, SQLAlchemy types and SQL as expressions of one generated module.

A :class:`ModuleWriter` builds the :mod:`.code` expression for a literal, an enum member, an
importable object, a column type or a server-side SQL expression. Each name it builds carries the
import it needs (:meth:`~.code.Expr.origins`); nothing is recorded here: the renderer imports what
the expressions it actually writes need, so an expression built and then dropped (a left-out
index, a default that fails halfway) leaves no import behind. It raises :class:`ScaffoldError`
for what has no source (the generator turns that into a :class:`ScaffoldProblem`).
"""

from __future__ import annotations

import ast
import builtins
import copy
import datetime as dt
import decimal
import enum
import importlib
import inspect
import keyword
import math
import re
import sys
import types
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
    SetExpr,
    Subscript,
    TupleExpr,
)
from dbkit.migrate.codemod.scaffold.constants import _MISSING, POSITIONAL_PARAMETERS
from dbkit.migrate.codemod.scaffold.facts import ddl_type, named_dialect, sql_text
from dbkit.migrate.codemod.scaffold.results import ScaffoldError
from dbkit.text import shorten

SQLALCHEMY = Import("sqlalchemy", alias="sa")
#: Python types written as ``dt.<name>``.
DATETIME_TYPES = (dt.datetime, dt.date, dt.time, dt.timedelta)
#: Modules imported under another name, as the generated annotations spell them (``dt.date``).
MODULE_ALIASES = {"datetime": "dt"}
#: What a plain literal is written as (``repr`` of the base type: a ``str`` subclass writes as a ``str``).
LITERAL_TYPES = (int, str, bytes)
#: One member of an enum class the generated module defines: its name and value.
EnumMember = tuple[str, Expr]


class EnumRegistry:
    """The enum classes the generated modules define inline: which module defines each, under what name.

    The ``DB_*`` files that define them are deleted in Phase 3, so an enum is defined in the
    first module that uses it and imported from there by the others.
    """

    def __init__(self) -> None:
        #: Enum class → (module that defines it, class name there), in the order first used.
        self.owners: dict[type[enum.Enum], tuple[str, str]] = {}
        #: Enum class → its members as the defining module writes them.
        self.members: dict[type[enum.Enum], list[EnumMember]] = {}
        #: Names an enum class must not take (the models' class names).
        self.reserved: set[str] = set()

    def place(self, enum_class: type[enum.Enum], module: str, members: list[EnumMember]) -> tuple[str, str]:
        """The module and name of ``enum_class``, placing it in ``module`` the first time it is used."""
        if enum_class not in self.owners:
            self.owners[enum_class] = (module, self._free_name(enum_class))
            self.members[enum_class] = members
        return self.owners[enum_class]

    def defined_in(self, module: str) -> list[tuple[type[enum.Enum], str, list[EnumMember]]]:
        """The enum classes ``module`` defines: class, name there, members."""
        return [
            (cls, name, self.members[cls]) for cls, (owner, name) in self.owners.items() if owner == module
        ]

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
        #: ``from module import name`` → the object it was built for: checking an expression binds
        #: these names to those objects, never importing their module again (a codebase's own helper
        #: modules are out of ``sys.modules`` once it is loaded; importing them would run them again).
        self.known: dict[Import, Any] = {}

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

    def module_name(self, module: str) -> Name:
        """A module by the name its import binds: ``import uuid`` → ``uuid``; ``datetime`` as ``dt``."""
        alias = MODULE_ALIASES.get(module)
        return self.use(Import(module, alias=alias))

    def enum_class(self, enum_class: type[enum.Enum]) -> Name:
        """An Enum class by its generated name, imported when another generated module defines it.

        The first use places the class in this module, which writes its members: a ScaffoldError
        (before placing) when a member has no source.
        """
        members = self.enum_members(enum_class) if enum_class not in self.enums.owners else []
        module, name = self.enums.place(enum_class, self.module, members)
        return self.use(Import(module, name)) if module != self.module else Name(name)

    def enum_members(self, enum_class: type[enum.Enum]) -> list[EnumMember]:
        """``NAME = value`` of each member (aliases excepted), values as expressions of this module."""
        members = []
        for member in enum_class:
            if not member.name.isidentifier() or keyword.iskeyword(member.name):
                raise ScaffoldError(
                    f"Enum {enum_class.__qualname__} member {member.name!r} is not an identifier."
                )
            try:
                members.append((member.name, self.value(member.value)))
            except ScaffoldError as exc:
                raise ScaffoldError(f"Enum {enum_class.__qualname__} member {member.name}: {exc}") from exc
        return members

    def importable(self, obj: Any) -> Expr | None:
        """``obj`` (a class or function) by name, imported from its module; None for a ``DB_*`` module,
        an object with no name of its own (an instance), or a name its loaded module does not bind to it."""
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if not isinstance(qualname, str) or not qualname or not isinstance(module, str):
            return None
        if not module or module == "__main__" or "<" in qualname or "." in qualname:
            return None
        if is_deleted_module(module):
            return None
        if module == "builtins":
            return Name(qualname) if getattr(builtins, qualname, None) is obj else None
        if module == "sqlalchemy" or (
            module.startswith("sqlalchemy.") and getattr(sa, qualname, None) is obj
        ):
            return self.sa(qualname)
        if module.startswith("sqlalchemy.dialects."):
            dialect = module.split(".")[2]
            dialect_module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
            if getattr(dialect_module, qualname, None) is obj:
                return Attribute(self.use(Import("sqlalchemy.dialects", dialect)), qualname)
        loaded = sys.modules.get(module)
        if loaded is not None and getattr(loaded, qualname, None) is not obj:
            return None  # ``from module import qualname`` would bind something else, or fail
        origin = Import(module, qualname)
        self.known[origin] = obj
        return self.use(origin)

    def class_expr(self, cls: type) -> Expr:
        """A class by name: ``frozenset``; ``decimal.Decimal``, ``dt.date`` (a standard-library module's
        attribute, as the annotations spell them); else ``from module import Class``."""
        module, qualname = cls.__module__, cls.__qualname__
        if module == "builtins" and getattr(builtins, qualname, None) is cls:
            return Name(qualname)
        if module.split(".")[0] in sys.stdlib_module_names and "." not in qualname:
            loaded = sys.modules.get(module)
            if loaded is not None and getattr(loaded, qualname, None) is cls:
                return Attribute(self.module_name(module), qualname)
        found = self.importable(cls)
        if found is None:
            where = f"{module}, which Phase 3 deletes" if is_deleted_module(module) else module
            raise ScaffoldError(f"its class {qualname} cannot be imported (defined in {where})")
        return found

    # -- values ---------------------------------------------------------------------------------------
    def value(self, value: Any) -> Expr:
        """Any value as source that rebuilds it: a literal, an enum member, a container of values, a
        SQLAlchemy type or SQL expression, a class or function by name, or an instance of an importable
        class whose ``repr`` evaluates back to an equal value (``fractions.Fraction(1, 2)``,
        ``dt.date(2020, 1, 1)``, ``uuid.UUID("...")``). A ScaffoldError says why a value has none.
        """
        if isinstance(value, enum.Enum):
            enum_class = self.enum_class(type(value))
            if type(value).__members__.get(str(value.name)) is value:
                return Attribute(enum_class, str(value.name))
            return Call(enum_class, (self.value(value.value),))  # a combination of Flag members: ``Perm(3)``
        if value is None or isinstance(value, bool):
            return Constant(value)
        if isinstance(value, float):
            return _float(float(value))
        if isinstance(value, complex):
            number = complex(value)
            finite = math.isfinite(number.real) and math.isfinite(number.imag)
            return Constant(number) if finite else Call(Name("complex"), (Constant(repr(number)),))
        for literal in LITERAL_TYPES:
            if isinstance(value, literal):
                return Constant(literal(value))
        if isinstance(value, decimal.Decimal):
            return Call(Attribute(self.module_name("decimal"), "Decimal"), (Constant(str(value)),))
        if isinstance(value, sa.types.TypeEngine):
            return self.type_object(value)
        if type(value) in (list, tuple):
            items = tuple(self.value(item) for item in value)
            return ListExpr(items) if type(value) is list else TupleExpr(items)
        if type(value) is dict:
            return DictExpr(tuple((self.value(key), self.value(item)) for key, item in value.items()))
        if type(value) in (set, frozenset):
            members = _sorted(self.value(item) for item in value)
            if type(value) is set:
                return SetExpr(members)
            return Call(Name("frozenset"), (SetExpr(members),) if members else ())
        if isinstance(value, sa.sql.ClauseElement):
            return self.sql(value)
        if isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
            found = self.importable(value)
            if found is None:
                module = getattr(value, "__module__", "?")
                where = f"{module}, which Phase 3 deletes" if is_deleted_module(str(module)) else module
                raise ScaffoldError(
                    f"{getattr(value, '__qualname__', value)!r} in {where} cannot be imported"
                )
            return found
        return self.from_repr(value)

    def from_repr(self, value: Any) -> Expr:
        """An instance as its ``repr`` writes it, names bound to imports, checked to rebuild ``value``."""
        cls = type(value)
        if cls.__eq__ is object.__eq__:
            raise ScaffoldError(f"{cls.__qualname__} compares by identity: no source rebuilds an equal value")
        if is_deleted_module(cls.__module__):
            raise ScaffoldError(
                f"its class {cls.__qualname__} is defined in {cls.__module__}, which Phase 3 deletes"
            )
        text = repr(value)
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError:
            raise ScaffoldError(
                f"the repr of {cls.__module__}.{cls.__qualname__} is not Python source"
            ) from None
        expr = _ReprReader(self, cls).read(tree.body)
        source = expr.render()
        try:
            rebuilt = eval(source, namespace(expr, self.known))  # the value's own repr, names resolved
        except Exception as exc:
            raise ScaffoldError(
                f"{shorten(source, 80)} does not evaluate ({type(exc).__name__}: {exc})"
            ) from None
        if not same_value(rebuilt, value):
            raise ScaffoldError(f"{shorten(source, 80)} evaluates to a value that is not equal to it")
        return expr

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

    def sql(self, expression: Any, dialect: sa.Dialect | None = None) -> Expr:
        """``sa.func.now()``, ``sa.false()``, ``sa.text("0")``: a server-side SQL expression.

        ``dialect``: the one whose DDL the expression is for (a ``sqlite_where``), PostgreSQL's by default.
        """
        if isinstance(expression, sa.sql.elements.True_):
            return Call(self.sa("true"))
        if isinstance(expression, sa.sql.elements.False_):
            return Call(self.sa("false"))
        if isinstance(expression, sa.sql.elements.TextClause):
            return Call(self.sa("text"), (Constant(expression.text),))
        if isinstance(expression, sa.sql.functions.FunctionElement):
            arguments = list(expression.clauses.clauses)
            own_class = not type(expression).__module__.startswith("sqlalchemy")
            if own_class and not arguments:
                # a project's construct with its own @compiles per dialect (prefect's GenerateUUID is
                # GEN_RANDOM_UUID() on PostgreSQL, an expression on SQLite): the construct itself, not
                # ``sa.func.<its name>()``, which no database knows
                construct = self.importable(type(expression))
                if construct is not None:
                    return Call(construct)
            if all(isinstance(a, sa.sql.elements.BindParameter) for a in arguments):
                name = getattr(expression, "name", None)
                if name and name.isidentifier():
                    return Call(self.sa("func", name), tuple(Constant(a.value) for a in arguments))
        return Call(self.sa("text"), (Constant(sql_text(expression, dialect)),))

    def type_mismatch(self, expr: Expr, type_: sa.types.TypeEngine[Any]) -> str | None:
        """Why ``expr`` does not rebuild ``type_`` (None: it does).

        The rendered source is evaluated in a scratch namespace holding only the names its imports
        bind, as the written module would run it (the type's own constructor runs, as importing the
        codebase already did), and the result compiled on each DDL dialect (PostgreSQL, SQLite).
        """
        source = expr.render()
        try:
            rebuilt = eval(
                source, namespace(expr, self.known)
            )  # source this writer built, in its own imports
        except Exception as exc:
            return f"{shorten(source, 80)} raises {type(exc).__name__}: {shorten(str(exc), 120)}"
        if not isinstance(rebuilt, sa.types.TypeEngine):
            return f"{shorten(source, 80)} builds a {type(rebuilt).__name__}, not a column type"
        found, expected = variant_ddl(rebuilt, type_), variant_ddl(type_, rebuilt)
        if found != expected:
            return f"{shorten(source, 80)} compiles to {' / '.join(found)}, not {' / '.join(expected)}"
        return None


def variant_ddl(type_: sa.types.TypeEngine[Any], other: sa.types.TypeEngine[Any]) -> tuple[str, ...]:
    """:func:`ddl_type`, plus the DDL of each dialect either type has a variant for (``mysql``...)."""
    names = sorted(
        set(getattr(type_, "_variant_mapping", None) or {})
        | set(getattr(other, "_variant_mapping", None) or {})
    )
    spelled = list(ddl_type(type_))
    for name in names:
        dialect = named_dialect(name)
        try:
            spelled.append(f"{name}: {type_.compile(dialect=dialect)}" if dialect is not None else name)
        except Exception as exc:
            spelled.append(f"{name}: <cannot compile: {exc}>")
    return tuple(spelled)


def namespace(expr: Expr, known: dict[Import, Any] | None = None) -> dict[str, Any]:
    """The names the imports of ``expr`` bind (enum classes defined inline excepted), to evaluate it.

    ``known``: imports bound to the objects they were built for, without importing (see
    :attr:`ModuleWriter.known`).
    """
    imports = Imports()
    found: dict[str, Any] = {}
    for origin in expr.origins():
        if known is not None and origin in known:
            found[origin.bound] = known[origin]
        else:
            imports.add(origin)
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


class _ReprReader:
    """A ``repr`` parsed as Python, turned into an expression whose names are bound to imports.

    Names resolve as the value's class's module would resolve them: a dotted name starting with a
    loaded module (``datetime.timezone.utc``) is that module's attribute; ``Decimal`` is the class
    itself or a name of its module; otherwise a builtin (``frozenset``).
    """

    def __init__(self, writer: ModuleWriter, cls: type) -> None:
        self.writer = writer
        self.cls = cls

    def read(self, node: ast.expr) -> Expr:
        if isinstance(node, ast.Constant):
            return Constant(node.value)
        if isinstance(node, ast.UnaryOp | ast.BinOp):  # -1, 1-2j
            try:
                return self.writer.value(ast.literal_eval(node))
            except ValueError:
                raise ScaffoldError("its repr computes a value (an operator other than a sign)") from None
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            if any(isinstance(item, ast.Starred) for item in node.elts):
                raise ScaffoldError("its repr unpacks a sequence (*)")
            items = tuple(self.read(item) for item in node.elts)
            if isinstance(node, ast.Set):
                return SetExpr(_sorted(items))
            return ListExpr(items) if isinstance(node, ast.List) else TupleExpr(items)
        if isinstance(node, ast.Dict):
            keys = [key for key in node.keys if key is not None]
            if len(keys) != len(node.keys):
                raise ScaffoldError("its repr unpacks a mapping (**)")
            pairs = zip(keys, node.values, strict=True)
            return DictExpr(tuple((self.read(key), self.read(item)) for key, item in pairs))
        if isinstance(node, ast.Call):
            if any(isinstance(arg, ast.Starred) for arg in node.args) or any(
                k.arg is None for k in node.keywords
            ):
                raise ScaffoldError("its repr unpacks arguments (* or **)")
            args = tuple(self.read(arg) for arg in node.args)
            kwargs = tuple((str(k.arg), self.read(k.value)) for k in node.keywords)
            return Call(self.read(node.func), args, kwargs)
        if isinstance(node, ast.Name | ast.Attribute):
            return self.dotted(node)
        raise ScaffoldError(f"its repr uses {type(node).__name__} syntax")

    def dotted(self, node: ast.expr) -> Expr:
        """``a.b.c``: the longest leading part that is a loaded module, else the first name resolved."""
        path: list[str] = []
        while isinstance(node, ast.Attribute):
            path.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return self._attributes(self.read(node), path)
        path.insert(0, node.id)
        for end in range(len(path) - 1, 0, -1):
            module = ".".join(path[:end])
            if module in sys.modules and not is_deleted_module(module):
                return self._attributes(self.writer.module_name(module), path[end:])
        return self._attributes(self.name(path[0]), path[1:])

    def name(self, name: str) -> Expr:
        if name == self.cls.__name__:
            return self.writer.class_expr(self.cls)
        home = sys.modules.get(self.cls.__module__)
        found = getattr(home, name, None) if home is not None else None
        if isinstance(found, types.ModuleType) and not is_deleted_module(found.__name__):
            return self.writer.module_name(found.__name__)
        if isinstance(found, type):
            return self.writer.class_expr(found)
        if found is not None:
            expr = self.writer.importable(found)
            if expr is not None:
                return expr
        if hasattr(builtins, name):
            return Name(name)
        raise ScaffoldError(f"its repr names {name!r}, which cannot be imported")

    @staticmethod
    def _attributes(expr: Expr, path: list[str]) -> Expr:
        for attr in path:
            expr = Attribute(expr, attr)
        return expr


def is_deleted_module(module: str) -> bool:
    """A hand-written ``DB_*`` module: Phase 3 deletes it, so generated code never imports from it."""
    return module.rsplit(".", 1)[-1].startswith("DB_")


def same_value(rebuilt: Any, value: Any) -> bool:
    """Whether ``rebuilt`` stands for ``value``: same type and equal (a value not equal to itself,
    ``nan`` or a container of one, is compared by ``repr``). Identity equality never holds."""
    if type(rebuilt) is not type(value) or type(value).__eq__ is object.__eq__:
        return False
    try:
        if rebuilt == value:
            return True
        reflexive = bool(value == value)
    except Exception:
        return False
    return not reflexive and repr(rebuilt) == repr(value)


def describe(value: Any) -> str:
    """A value as a problem message names it: an enum member by name, else its ``repr`` shortened,
    without the object addresses (``<... at 0x...>``) that differ at each run."""
    if isinstance(value, enum.Enum):
        return f"{type(value).__qualname__}.{value.name}"
    return shorten(re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value)), 80)


def _float(value: float) -> Expr:
    """``1.5``; ``float("nan")``, ``float("-inf")`` (no literal spells them)."""
    return Constant(value) if math.isfinite(value) else Call(Name("float"), (Constant(repr(value)),))


def _sorted(items: Any) -> tuple[Expr, ...]:
    """A set's members in a stable order (by their source): iteration order varies between runs."""
    return tuple(sorted(items, key=lambda item: item.render()))


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
