"""Phases 2 and 3: find the uses of hand-written ``DB_*`` modules, rewrite them, prove they are gone.

Everything here reads source with :mod:`ast` (never regular expressions), so comments, strings
and look-alike names are never mistaken for imports. Nothing is written until
:func:`apply_rewrite` is called with a plan whose diff the caller has seen; a file changed since
the plan was made is refused, and each file is replaced atomically (temp file + rename).

Positions are as :mod:`ast` gives them: ``line`` 1-based, ``column`` 0-based.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dbkit.errors import DbkitError
from dbkit.migrate.files import write_atomically

UseKind = Literal["import", "from_import", "star_import", "name", "attribute", "dynamic_import"]
#: Directories never scanned: tooling, caches, virtual environments.
SKIPPED_DIRECTORIES = frozenset(
    {"__pycache__", "venv", ".venv", "env", "node_modules", "site-packages", "build"}
)
LEGACY_PREFIX = "DB_"
GENERATED_PREFIX = "BLL_"


class PhaseError(DbkitError):
    """A rewrite cannot be applied (a file changed since the plan was made, or the path is not a directory)."""


@dataclass(frozen=True)
class LegacyUse:
    """One import or use of a hand-written module's name."""

    file: str
    line: int
    column: int
    #: The ``DB_*`` module (``DB_Auth``).
    module: str
    #: The name used from it (``User``); None for the module itself (``import DB_Auth``).
    name: str | None
    kind: UseKind
    #: The local name bound or used (``U`` in ``from DB_Auth import User as U``).
    local: str | None = None

    def __str__(self) -> str:
        what = f"{self.module}.{self.name}" if self.name else self.module
        return f"{self.file}:{self.line}:{self.column}: {self.kind} of {what}"


@dataclass(frozen=True)
class SourceProblem:
    """A file that could not be read as Python (reported with its line; the scan goes on)."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass
class LegacyReport:
    uses: list[LegacyUse] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)


def python_files(root: Path) -> list[Path]:
    """Every ``.py`` file under ``root`` (sorted), skipping hidden, cache and virtual-env directories."""
    if not root.is_dir():
        raise PhaseError(f"{root} is not a directory: give the codebase's directory.")
    found = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts[:-1]
        if any(part.startswith(".") or part in SKIPPED_DIRECTORIES for part in parts):
            continue
        found.append(path)
    return sorted(found)


def is_legacy_module(name: str) -> bool:
    """``DB_Auth`` (or ``app.DB_Auth``): the last component names a hand-written module."""
    return name.rsplit(".", 1)[-1].startswith(LEGACY_PREFIX)


def legacy_predicate(legacy_modules: Iterable[str] | None) -> Callable[[str], bool]:
    if legacy_modules is None:
        return is_legacy_module
    names = set(legacy_modules)
    return lambda name: name in names or name.rsplit(".", 1)[-1] in names


def parse_file(path: Path, relative: str) -> tuple[ast.Module | None, str, SourceProblem | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, "", SourceProblem(relative, None, f"cannot read: {exc}")
    try:
        return ast.parse(text, filename=relative), text, None
    except SyntaxError as exc:
        return None, text, SourceProblem(relative, exc.lineno, f"syntax error: {exc.msg}")


class _UseFinder(ast.NodeVisitor):
    """Collects imports of legacy modules and the uses of what they bind, in one file."""

    def __init__(self, relative: str, is_legacy: Callable[[str], bool]) -> None:
        self.relative = relative
        self.is_legacy = is_legacy
        self.uses: list[LegacyUse] = []
        #: Local name → legacy module bound to it (``import DB_Auth as a``).
        self.module_aliases: dict[str, str] = {}
        #: Local name → (module, name) bound by ``from DB_Auth import User as U``.
        self.imported_names: dict[str, tuple[str, str]] = {}
        self.import_nodes: list[ast.stmt] = []
        #: ``a.User`` nodes (``a`` a legacy module), the spans a rewrite replaces.
        self.attribute_nodes: list[ast.Attribute] = []
        #: Statements alone in their block: removing one would need a ``pass``.
        self.sole_statements: set[int] = set()
        #: Statement → (its block, its index there): where a rewritten import's aliases go.
        self.blocks: dict[int, tuple[list[ast.stmt], int]] = {}

    def visit_Module(self, node: ast.Module) -> None:
        for parent in ast.walk(node):
            for name in ("body", "orelse", "finalbody"):
                block = getattr(parent, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    if len(block) == 1:
                        self.sole_statements.add(id(block[0]))
                    self.blocks.update((id(statement), (block, i)) for i, statement in enumerate(block))
        self.generic_visit(node)

    def add(
        self, node: ast.AST, module: str, name: str | None, kind: UseKind, local: str | None = None
    ) -> None:
        self.uses.append(
            LegacyUse(self.relative, node.lineno, node.col_offset, module, name, kind, local)  # type: ignore[attr-defined]
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if self.is_legacy(alias.name):
                local = alias.asname or alias.name.split(".")[0]
                if alias.asname or "." not in alias.name:
                    self.module_aliases[local] = alias.name
                self.add(node, alias.name, None, "import", local)
                self.import_nodes.append(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if module and self.is_legacy(module):
            for alias in node.names:
                if alias.name == "*":
                    self.add(node, module, "*", "star_import")
                    continue
                local = alias.asname or alias.name
                self.imported_names[local] = (module, alias.name)
                self.add(node, module, alias.name, "from_import", local)
            self.import_nodes.append(node)
            return
        for alias in node.names:  # ``from . import DB_Auth`` / ``from pkg import DB_Auth``
            if self.is_legacy(alias.name):
                local = alias.asname or alias.name
                self.module_aliases[local] = alias.name
                self.add(node, alias.name, None, "import", local)
                self.import_nodes.append(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id in self.module_aliases:
            self.add(node, self.module_aliases[node.value.id], node.attr, "attribute", node.value.id)
            self.attribute_nodes.append(node)
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.imported_names:
            module, name = self.imported_names[node.id]
            self.add(node, module, name, "name", node.id)

    def visit_Call(self, node: ast.Call) -> None:
        """``importlib.import_module("DB_Auth")`` and ``__import__("DB_Auth")`` with a literal name."""
        function = node.func
        called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
        if called in ("import_module", "__import__") and node.args:
            first = node.args[0]
            if (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and self.is_legacy(first.value)
            ):
                self.add(node, first.value, None, "dynamic_import")
        self.generic_visit(node)


def _scan(
    root: Path, legacy_modules: Iterable[str] | None
) -> Iterable[tuple[Path, str, str, _UseFinder | None, SourceProblem | None]]:
    is_legacy = legacy_predicate(legacy_modules)
    for path in python_files(root):
        relative = path.relative_to(root).as_posix()
        tree, text, problem = parse_file(path, relative)
        if tree is None:
            yield path, relative, text, None, problem
            continue
        finder = _UseFinder(relative, is_legacy)
        finder.visit(tree)
        yield path, relative, text, finder, None


def find_legacy_uses(path: str | Path, legacy_modules: Iterable[str] | None = None) -> LegacyReport:
    """Every import of a ``DB_*`` module (or of ``legacy_modules``) and every use of what it binds.

    The hand-written files themselves are scanned too (``DB_Documents`` importing ``DB_Auth``);
    a file that is not valid Python is reported with its line, and the scan goes on.
    """
    report = LegacyReport()
    for _path, _relative, _text, finder, problem in _scan(Path(path), legacy_modules):
        if problem is not None:
            report.problems.append(problem)
        elif finder is not None:
            report.uses.extend(sorted(finder.uses, key=lambda u: (u.line, u.column)))
    return report


# -- rewriting --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replacement:
    """What a hand-written name becomes: ``BLL_Auth.UserModel`` used as ``UserModel.DB`` (or as itself),
    or, for a Core table (``books = sa.Table(...)``), as the generated table ``BookModel.DB.__table__``."""

    module: str
    name: str
    #: True: the hand-written class becomes the model's generated class, ``UserModel.DB``.
    via_db: bool = True
    #: True: the hand-written name is a Core ``Table``; it becomes the generated class's table.
    table: bool = False

    @classmethod
    def parse(cls, value: Replacement | str | Any) -> Replacement:
        if isinstance(value, Replacement):
            return value
        if hasattr(value, "module") and hasattr(value, "name"):  # a scaffold ModelRef
            return cls(value.module, value.name)
        module, _, name = str(value).rpartition(".")
        if not module or not name:
            raise PhaseError(f"Replacement {value!r} must be 'BLL_Module.ModelName'.")
        return cls(module, name)

    @property
    def expression(self) -> str:
        if self.table:
            return f"{self.name}.DB.__table__"
        return f"{self.name}.DB" if self.via_db else self.name


def replacements_from_scaffold(sources: Iterable[Any], models: Mapping[str, Any]) -> dict[str, Replacement]:
    """``"DB_Auth.User"`` → ``BLL_Auth.UserModel`` from scaffold inputs and ``ScaffoldResult.models``
    (table name → model); the mapping :func:`plan_rewrite` takes.

    A source that is a Core table held by a module-level name (a codebase loader entry, whose
    ``holder`` is ``DB_Catalog.books``) maps ``"DB_Catalog.books"`` to the model's generated table."""
    found: dict[str, Replacement] = {}
    for source in sources:
        mapped = getattr(source, "mapped_class", None)
        table = source.table.name
        if table not in models:
            continue
        replacement = Replacement.parse(models[table])
        if mapped is not None:
            module = getattr(source, "module", None) or Path(source.file).stem
            found[f"{module}.{mapped.__name__}"] = replacement
        elif core_table_holder(getattr(source, "holder", None)) is not None:
            found[source.holder] = Replacement(replacement.module, replacement.name, table=True)
    return found


def core_table_holder(holder: str | None) -> tuple[str, str] | None:
    """``("DB_Catalog", "books")`` for a Core table held as ``DB_Catalog.books``: a name an import
    can bind. None for a table reached otherwise (``DB_Core.Model.builds``, ``metadata.tables[...]``)."""
    module, _, name = (holder or "").rpartition(".")
    if not module or not name.isidentifier() or not is_legacy_module(module):
        return None
    return module, name


@dataclass(frozen=True)
class FileRewrite:
    """One file's proposed new text, its diff, and the hash of the text it was planned from."""

    path: Path
    relative: str
    original_sha256: str
    new_text: str
    diff: str


@dataclass
class RewritePlan:
    root: Path
    files: list[FileRewrite] = field(default_factory=list)
    #: Uses left as they are: no replacement was given, or a star import.
    unresolved: list[LegacyUse] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)

    @property
    def diff(self) -> str:
        return "".join(rewrite.diff for rewrite in self.files)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lookup(mapping: Mapping[str, Replacement], module: str, name: str) -> Replacement | None:
    short = module.rsplit(".", 1)[-1]
    return mapping.get(f"{module}.{name}") or mapping.get(f"{short}.{name}") or mapping.get(name)


class _Edits:
    """Text replacements by (line, column) span, applied bottom-up so earlier positions stay valid."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self.edits: list[tuple[int, int, int, int, str]] = []

    def replace(self, node: ast.AST, new: str) -> None:
        self.edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, new))  # type: ignore[attr-defined]

    def delete_statement(self, node: ast.stmt) -> bool:
        """Remove a statement with its whole lines, when nothing else shares them; False otherwise."""
        first, last = self.lines[node.lineno - 1], self.lines[node.end_lineno - 1]  # type: ignore[operator]
        before = first.encode("utf-8")[: node.col_offset].decode("utf-8")
        after = last.encode("utf-8")[node.end_col_offset :].decode("utf-8")  # type: ignore[misc]
        if before.strip() or after.strip():
            return False
        self.edits.append((node.lineno, 0, node.end_lineno, len(last.encode("utf-8")), ""))  # type: ignore[arg-type]
        return True

    def insert_after(self, node: ast.stmt, lines: list[str]) -> None:
        """New statements after ``node``: on the next lines at its indentation, or after a ``;``
        when it shares a line with another statement (``import a; run()``, ``try: import a``)."""
        end_line, end_column = node.end_lineno or node.lineno, node.end_col_offset or 0
        first, last = self.lines[node.lineno - 1], self.lines[end_line - 1]
        before = first.encode("utf-8")[: node.col_offset].decode("utf-8")
        after = last.encode("utf-8")[end_column:].decode("utf-8").strip()
        if before.strip() or (after and not after.startswith("#")):
            self.edits.append((end_line, end_column, end_line, end_column, "".join(f"; {x}" for x in lines)))
            return
        text = "".join(f"{before}{line}\n" for line in lines)
        if end_line < len(self.lines):
            self.edits.append((end_line + 1, 0, end_line + 1, 0, text))
        else:  # the file's last line: append, after the newline it may lack
            column = len(last.encode("utf-8"))
            self.edits.append(
                (end_line, column, end_line, column, ("" if last.endswith("\n") else "\n") + text)
            )

    def offset(self, line: int, column: int) -> int:
        prefix = sum(len(text) for text in self.lines[: line - 1])
        return prefix + len(self.lines[line - 1].encode("utf-8")[:column].decode("utf-8"))

    def apply(self) -> str:
        text = "".join(self.lines)
        for line, column, end_line, end_column, new in sorted(self.edits, reverse=True):
            start, end = self.offset(line, column), self.offset(end_line, end_column)
            text = text[:start] + new + text[end:]
        return text


def _rewrite_file(
    finder: _UseFinder, text: str, mapping: Mapping[str, Replacement]
) -> tuple[str, list[LegacyUse]]:
    edits = _Edits(text)
    unresolved: list[LegacyUse] = []
    for use in finder.uses:
        if use.kind == "attribute":
            replacement = _lookup(mapping, use.module, use.name or "")
            if replacement is None:
                unresolved.append(use)
        elif use.kind in ("star_import", "dynamic_import"):
            unresolved.append(use)
    kept_modules = {use.local for use in unresolved if use.kind == "attribute"}
    imported: set[str] = set()  # each BLL import is written once per file, at its first use
    #: Last statement of an import block → the aliases (``User = UserModel.DB``) that follow it.
    aliases_after: dict[int, tuple[ast.stmt, list[str]]] = {}
    for node in sorted(finder.import_nodes, key=lambda n: (n.lineno, n.col_offset)):
        new_lines, aliases, left = _rewrite_import(node, finder, mapping, kept_modules)
        new_lines = [line for line in new_lines if line not in imported]
        imported.update(line for line in new_lines if line.startswith("from "))
        unresolved.extend(left)
        if aliases:
            end = _end_of_import_block(node, finder)
            aliases_after.setdefault(id(end), (end, []))[1].extend(aliases)
        if not new_lines and id(node) not in finder.sole_statements and edits.delete_statement(node):
            continue
        indent = " " * node.col_offset
        edits.replace(node, ("\n" + indent).join(new_lines) if new_lines else "pass")
    for end, aliases in aliases_after.values():
        edits.insert_after(end, aliases)
    for node in finder.attribute_nodes:
        replacement = _lookup(mapping, finder.module_aliases[node.value.id], node.attr)  # type: ignore[attr-defined]
        if replacement is not None:
            edits.replace(node, replacement.expression)
    return edits.apply(), unresolved


def _is_import_statement(node: ast.stmt) -> bool:
    """An import, or a block of imports (``try: import x`` / ``except ImportError: x = None``,
    ``if TYPE_CHECKING: ...``): part of a module's import block."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.If):
        return all(map(_is_import_statement, node.body + node.orelse))
    if isinstance(node, (ast.Try, ast.TryStar)):
        fallbacks = [statement for handler in node.handlers for statement in handler.body]
        fallbacks += node.orelse + node.finalbody
        return all(map(_is_import_statement, node.body)) and all(
            _is_import_statement(statement) or isinstance(statement, (ast.Pass, ast.Assign, ast.AnnAssign))
            for statement in fallbacks
        )
    return False


def _end_of_import_block(node: ast.stmt, finder: _UseFinder) -> ast.stmt:
    """The last statement of the run of imports ``node`` belongs to, in its own block.

    Aliases go after it, so they never split a block of imports, yet still come before the first
    statement that might use them (and stay inside a ``try`` or function holding the import).
    """
    block, index = finder.blocks.get(id(node), ([node], 0))
    while index + 1 < len(block) and _is_import_statement(block[index + 1]):
        index += 1
    return block[index]


def _rewrite_import(
    node: ast.stmt, finder: _UseFinder, mapping: Mapping[str, Replacement], kept_modules: set[str | None]
) -> tuple[list[str], list[str], list[LegacyUse]]:
    """The imports replacing one import (BLL imports, kept leftovers) and the ``User = UserModel.DB``
    aliases, which go after the import block (they are not imports)."""
    imports: dict[str, set[str]] = {}
    aliases: list[str] = []
    kept: list[str] = []
    unresolved: list[LegacyUse] = []
    if isinstance(node, ast.ImportFrom) and node.module and finder.is_legacy(node.module):
        for alias in node.names:
            local = alias.asname or alias.name
            replacement = None if alias.name == "*" else _lookup(mapping, node.module, alias.name)
            if replacement is None:
                kept.append(alias.name if not alias.asname else f"{alias.name} as {alias.asname}")
                if alias.name != "*":
                    unresolved.append(
                        LegacyUse(
                            finder.relative,
                            node.lineno,
                            node.col_offset,
                            node.module,
                            alias.name,
                            "from_import",
                            local,
                        )
                    )
                continue
            imports.setdefault(replacement.module, set()).add(replacement.name)
            if local != replacement.name or replacement.via_db:
                aliases.append(f"{local} = {replacement.expression}")
        lines = [f"from {m} import {n}" for m, names in sorted(imports.items()) for n in sorted(names)]
        if kept:
            dots = "." * node.level
            lines.insert(0, f"from {dots}{node.module} import {', '.join(kept)}")
        return lines, aliases, unresolved
    # ``import DB_Auth [as a]`` / ``from . import DB_Auth``: the module's attribute uses decide.
    names = node.names  # type: ignore[attr-defined]
    lines: list[str] = []
    for alias in names:
        local = alias.asname or alias.name.split(".")[0]
        if local not in finder.module_aliases:
            lines.append(_import_text(node, alias))
            continue
        if local in kept_modules:
            lines.append(_import_text(node, alias))
            continue
        for use in finder.uses:
            if use.kind == "attribute" and use.local == local:
                replacement = _lookup(mapping, use.module, use.name or "")
                if replacement is not None:
                    imports.setdefault(replacement.module, set()).add(replacement.name)
    lines += [f"from {m} import {n}" for m, names in sorted(imports.items()) for n in sorted(names)]
    return lines, aliases, unresolved


def _import_text(node: ast.stmt, alias: ast.alias) -> str:
    spelled = alias.name if not alias.asname else f"{alias.name} as {alias.asname}"
    if isinstance(node, ast.ImportFrom):
        return f"from {'.' * node.level}{node.module or ''} import {spelled}"
    return f"import {spelled}"


def plan_rewrite(
    path: str | Path,
    mapping: Mapping[str, Replacement | str | Any],
    legacy_modules: Iterable[str] | None = None,
) -> RewritePlan:
    """Propose rewriting every use of hand-written classes to the generated ones; nothing is written.

    ``mapping`` maps a hand-written name (``"DB_Auth.User"``, or just ``"User"``) to its model
    (``"BLL_Auth.UserModel"``, a :class:`Replacement`, or a scaffold ``ModelRef``):
    ``from DB_Auth import User`` becomes ``from BLL_Auth import UserModel`` + ``User = UserModel.DB``
    and ``DB_Auth.User`` becomes ``UserModel.DB``; a Core table's name mapped to a ``Replacement``
    with ``table=True`` becomes ``books = BookModel.DB.__table__`` the same way. The ``DB_*`` files themselves are left alone
    (Phase 3 deletes them). Names with no replacement stay imported and are listed as unresolved.
    """
    root = Path(path)
    replacements = {key: Replacement.parse(value) for key, value in mapping.items()}
    plan = RewritePlan(root)
    is_legacy = legacy_predicate(legacy_modules)
    for file in python_files(root):
        relative = file.relative_to(root).as_posix()
        if is_legacy(file.stem):
            continue
        tree, text, problem = parse_file(file, relative)
        if tree is None:
            plan.problems.append(problem)  # type: ignore[arg-type]
            continue
        finder = _UseFinder(relative, is_legacy)
        finder.visit(tree)
        if not finder.uses:
            continue
        new_text, unresolved = _rewrite_file(finder, text, replacements)
        plan.unresolved.extend(unresolved)
        if new_text != text:
            diff = "".join(
                difflib.unified_diff(
                    text.splitlines(keepends=True),
                    new_text.splitlines(keepends=True),
                    fromfile=f"a/{relative}",
                    tofile=f"b/{relative}",
                )
            )
            plan.files.append(FileRewrite(file, relative, _sha256(text), new_text, diff))
    return plan


def apply_rewrite(plan: RewritePlan) -> list[Path]:
    """Write the plan's files. Refuses (writing nothing) if any file changed since the plan was made."""
    stale = []
    for rewrite in plan.files:
        try:
            current = rewrite.path.read_text(encoding="utf-8")
        except OSError:
            stale.append(f"{rewrite.relative} (unreadable)")
            continue
        if _sha256(current) != rewrite.original_sha256:
            stale.append(rewrite.relative)
    if stale:
        raise PhaseError(
            f"Refusing to rewrite: {', '.join(stale)} changed since the plan was made. "
            "Make a new plan (and review its diff) before applying it."
        )
    written = []
    for rewrite in plan.files:
        write_atomically(rewrite.path, rewrite.new_text)
        written.append(rewrite.path)
    return written


# -- Phase 3 ----------------------------------------------------------------------------------------


@dataclass
class Phase3Report:
    """Whether a codebase is free of hand-written modules, and what still ties it to them."""

    #: Imports (and dynamic imports) of ``DB_*`` modules outside the ``DB_*`` files.
    offenders: list[LegacyUse] = field(default_factory=list)
    #: ``DB_*.py`` files still present.
    legacy_files: list[str] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    #: ``BLL_*`` module → error raised when importing it with ``DB_*`` modules blocked.
    import_failures: dict[str, str] = field(default_factory=dict)
    #: ``DB_*.py`` files kept on purpose (a hybrid end state): present, importable, and scanned.
    kept_files: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.offenders or self.legacy_files or self.problems or self.import_failures)


_IMPORT_KINDS = ("import", "from_import", "star_import", "dynamic_import")


def check_phase3(
    path: str | Path, *, import_check: bool = False, timeout: float = 120.0, keep: Iterable[str] = ()
) -> Phase3Report:
    """Prove the codebase imports no ``DB_*`` module: statically, and optionally at import time.

    ``keep`` names ``DB_*`` modules kept on purpose (``DB_Teams`` or ``DB_Teams.py``): they may stay
    and be imported, and are scanned like any file, so that they import no removed one either.
    The import-time check runs in a fresh interpreter (nothing leaks into this process): it
    blocks every other ``DB_*`` module and imports each ``BLL_*.py`` file, recording what fails.
    """
    root = Path(path)
    kept = {name.removesuffix(".py") for name in keep}
    report = Phase3Report()
    for file, relative, _text, finder, problem in _scan(root, None):
        if is_legacy_module(file.stem):
            if file.stem not in kept:
                report.legacy_files.append(relative)
                continue
            report.kept_files.append(relative)
        if problem is not None:
            report.problems.append(problem)
        elif finder is not None:
            report.offenders.extend(
                u for u in finder.uses if u.kind in _IMPORT_KINDS and u.module.rsplit(".", 1)[-1] not in kept
            )
    if import_check:
        report.import_failures = _import_with_legacy_blocked(root, timeout, kept)
    return report


_BLOCKED_IMPORT_SCRIPT = """
import importlib, importlib.abc, json, sys, traceback
class BlockLegacy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.rsplit(".", 1)[-1].startswith("DB_") and name.rsplit(".", 1)[-1] not in KEPT:
            raise ImportError(f"{name} is a hand-written module, blocked by the Phase 3 check")
        return None
KEPT = set(json.loads(sys.argv[3]))
sys.meta_path.insert(0, BlockLegacy())
sys.path.insert(0, sys.argv[1])
failures = {}
for name in json.loads(sys.argv[2]):
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failures[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failures))
"""


def _import_with_legacy_blocked(root: Path, timeout: float, kept: set[str]) -> dict[str, str]:
    modules = sorted(p.stem for p in root.glob(f"{GENERATED_PREFIX}*.py"))
    package_root = str(Path(__file__).resolve().parents[2])
    environment = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, environment.get("PYTHONPATH")]))
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _BLOCKED_IMPORT_SCRIPT,
            str(root.resolve()),
            json.dumps(modules),
            json.dumps(sorted(kept)),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=root,
        env=environment,
        check=False,
    )
    if result.returncode != 0:
        return {"<interpreter>": result.stderr.strip().splitlines()[-1] if result.stderr else "failed"}
    return json.loads(result.stdout.strip().splitlines()[-1])


__all__ = [
    "FileRewrite",
    "LegacyReport",
    "LegacyUse",
    "Phase3Report",
    "PhaseError",
    "Replacement",
    "RewritePlan",
    "SourceProblem",
    "apply_rewrite",
    "check_phase3",
    "find_legacy_uses",
    "plan_rewrite",
    "replacements_from_scaffold",
]
