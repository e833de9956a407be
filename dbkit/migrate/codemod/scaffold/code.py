"""A small model of the Python source scaffold writes: imports and expressions, rendered last.

Plans hold these objects instead of source strings (as sqlacodegen's models do), so a decision
never has to parse back what another one wrote: ``render()`` turns an expression into source,
``origins()`` says which imports its names need.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

# -- imports ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """``import module [as alias]`` when ``name`` is None, else ``from module import name``."""

    module: str
    name: str | None = None
    alias: str | None = None

    @property
    def bound(self) -> str:
        """The name the import binds in the module that makes it."""
        if self.name is not None:
            return self.name
        return self.alias or self.module


@dataclass
class Imports:
    """The imports one module uses, rendered in isort order (stdlib, third party, the codebase's own)."""

    modules: dict[str, str | None] = field(default_factory=dict)
    names: dict[str, set[str]] = field(default_factory=dict)

    def add(self, origin: Import) -> str:
        """Record ``origin``; returns the name it binds."""
        if origin.name is None:
            self.modules[origin.module] = origin.alias
        else:
            self.names.setdefault(origin.module, set()).add(origin.name)
        return origin.bound

    def render(self, local_modules: Iterable[str] = ()) -> str:
        """The import block; ``local_modules`` (the generated modules) form the last group."""
        local = set(local_modules)
        groups: dict[int, list[tuple[str, str]]] = {0: [], 1: [], 2: []}

        def group(module: str) -> int:
            top = module.split(".")[0]
            if top in local:
                return 2
            return 0 if top in sys.stdlib_module_names else 1

        for module, alias in self.modules.items():
            line = f"import {module} as {alias}" if alias and alias != module else f"import {module}"
            groups[group(module)].append((module, line))
        for module, names in self.names.items():
            ordered = sorted(names, key=_isort_name_key)
            groups[group(module)].append((module, f"from {module} import {', '.join(ordered)}"))
        blocks = []
        for index in sorted(groups):
            lines = [line for _, line in sorted(groups[index], key=lambda item: _isort_line_key(*item))]
            if lines:
                blocks.append("\n".join(lines))
        return "\n\n".join(blocks)


def _isort_name_key(name: str) -> tuple[int, str, str]:
    """isort's order-by-type of imported names: CONSTANTS, Classes, functions, each case-insensitively."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (kind, name.lower(), name)


def _isort_line_key(module: str, line: str) -> tuple[int, str]:
    """``import x`` lines before ``from x import`` lines, each sorted by module (ruff's isort default)."""
    return (0 if line.startswith("import ") else 1, module.lower())


# -- expressions ------------------------------------------------------------------------------------


class Expr:
    """A Python expression of the generated source."""

    def render(self) -> str:
        raise NotImplementedError

    def origins(self) -> Iterator[Import]:
        """The imports the names of this expression need."""
        for child in self.children():
            yield from child.origins()

    def children(self) -> Iterable[Expr]:
        return ()


#: Module imports bound under another name in the module being rendered (``uuid`` → ``uuid_``).
_module_aliases: ContextVar[Mapping[str, str] | None] = ContextVar("module_aliases", default=None)


@contextmanager
def module_aliases(aliases: Mapping[str, str]) -> Iterator[None]:
    """Within the block, ``import module`` is written ``import module as alias`` and used as ``alias``.

    A field named like a module it is annotated with (galaxy's ``uuid: uuid.UUID | None``) would
    shadow that module in the class body, and the annotation would no longer evaluate.
    """
    token = _module_aliases.set(aliases)
    try:
        yield
    finally:
        _module_aliases.reset(token)


@dataclass(frozen=True)
class Name(Expr):
    """A name: a builtin (``int``), a class of the generated module, or what ``origin`` imports."""

    text: str
    origin: Import | None = None

    def _alias(self) -> str | None:
        if self.origin is None or self.origin.name is not None or self.text != self.origin.bound:
            return None
        return (_module_aliases.get() or {}).get(self.text)

    def render(self) -> str:
        return self._alias() or self.text

    def origins(self) -> Iterator[Import]:
        if self.origin is not None:
            alias = self._alias()
            yield replace(self.origin, alias=alias) if alias else self.origin


@dataclass(frozen=True)
class Constant(Expr):
    """A literal (None, bool, number, str, bytes), written as ``repr`` writes it."""

    value: Any

    def render(self) -> str:
        return repr(self.value)


@dataclass(frozen=True)
class Attribute(Expr):
    """``value.attr``: ``sa.Text``, ``Priority.LOW``, ``OwnerModel.ReferenceID``."""

    value: Expr
    attr: str

    def render(self) -> str:
        return f"{self.value.render()}.{self.attr}"

    def children(self) -> Iterable[Expr]:
        return (self.value,)


@dataclass(frozen=True)
class Call(Expr):
    """``func(*args, **kwargs)``, keyword arguments in the order given."""

    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()

    def render(self) -> str:
        parts = [arg.render() for arg in self.args]
        parts += [f"{key}={value.render()}" for key, value in self.kwargs]
        return f"{self.func.render()}({', '.join(parts)})"

    def children(self) -> Iterable[Expr]:
        return (self.func, *self.args, *(value for _, value in self.kwargs))


@dataclass(frozen=True)
class Subscript(Expr):
    """``value[items]``: ``Annotated[...]``, ``Literal["a", "b"]``, ``dict[str, Any]``."""

    value: Expr
    items: tuple[Expr, ...]

    def render(self) -> str:
        return f"{self.value.render()}[{', '.join(item.render() for item in self.items)}]"

    def children(self) -> Iterable[Expr]:
        return (self.value, *self.items)


@dataclass(frozen=True)
class OrNone(Expr):
    """``value | None``: the annotation of an optional field."""

    value: Expr

    def render(self) -> str:
        return f"{self.value.render()} | None"

    def children(self) -> Iterable[Expr]:
        return (self.value,)


@dataclass(frozen=True)
class ListExpr(Expr):
    """``[a, b]``."""

    items: tuple[Expr, ...]

    def render(self) -> str:
        return f"[{', '.join(item.render() for item in self.items)}]"

    def children(self) -> Iterable[Expr]:
        return self.items


@dataclass(frozen=True)
class TupleExpr(Expr):
    """``(a, b)``; ``(a,)`` for one item."""

    items: tuple[Expr, ...]

    def render(self) -> str:
        comma = "," if len(self.items) == 1 else ""
        return f"({', '.join(item.render() for item in self.items)}{comma})"

    def children(self) -> Iterable[Expr]:
        return self.items


@dataclass(frozen=True)
class SetExpr(Expr):
    """``{a, b}`` in the order given; ``set()`` when empty."""

    items: tuple[Expr, ...]

    def render(self) -> str:
        return "{" + ", ".join(item.render() for item in self.items) + "}" if self.items else "set()"

    def children(self) -> Iterable[Expr]:
        return self.items


@dataclass(frozen=True)
class DictExpr(Expr):
    """``{key: value, ...}`` in the order given."""

    items: tuple[tuple[Expr, Expr], ...]

    def render(self) -> str:
        return "{" + ", ".join(f"{key.render()}: {value.render()}" for key, value in self.items) + "}"

    def children(self) -> Iterable[Expr]:
        return tuple(part for pair in self.items for part in pair)


def as_expr(value: Any) -> Expr:
    """An expression as is; any other value as the literal it is (``True``, ``"name"``, ``3``)."""
    return value if isinstance(value, Expr) else Constant(value)
