"""Switch one table from its hand-written class to the generated one: the gradual Phase 2 step.

``plan_switch(path, "users")`` loads the codebase and writes nothing. It refuses, saying why, when
the table has no BLL model, when parity at the schema or orm level is not clean for it, when its
stored rows fail the model's validation (with a database URL), when the
switched codebase would map it differently (DDL, constraint names), or when the relationship
contract of the application would break. Otherwise it returns the rewrite:

* in the table's ``DB_*.py`` file, ``class User(...): ...`` becomes ``User = UserModel.DB``,
  plus ``from BLL_Auth import UserModel``;
* the module defining the declarative base hands it to dbkit's default manager, once:
  ``DatabaseManager.set_default(DatabaseManager(base=Base))``, so the generated class joins the
  application's registry (string relationships and backrefs resolve both ways).

A Core table (``books = sa.Table("books", metadata, ...)``, no class) switches the same way:
``books = BookModel.DB.__table__``, and the module defining that ``MetaData`` hands it over right
after creating it: ``DatabaseManager.set_default(DatabaseManager(metadata=metadata))``, so the
generated table joins the application's MetaData (naming convention, foreign keys of other tables).

:meth:`SwitchPlan.diff` is a unified diff; :meth:`SwitchPlan.write` applies it atomically (every
file or none). The command line (``dbkit switch``) and the notebooks call this module.
"""

from __future__ import annotations

import ast
import difflib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from dbkit.errors import DbkitError
from dbkit.generate.builder import table_name_of
from dbkit.generate.ordering import generation_order
from dbkit.migrate.codemod.legacy_imports import core_table_holder
from dbkit.migrate.codemod.source_text import after_docstring
from dbkit.migrate.files import write_all_or_none
from dbkit.migrate.schema.from_models import snapshot_of_table
from dbkit.migrate.source.codebase import Codebase, GeneratedModel, HandWrittenTable, load_codebase
from dbkit.migrate.source.contract import (
    ContractRun,
    application_classes,
    backrefs_declared_elsewhere,
    broken_promises,
    derive_contract,
    exercise,
    scratch_copy,
)
from dbkit.migrate.source.parity import (
    Difference,
    compare_table,
    constraint_name_differences,
    schema_differences,
)
from dbkit.migrate.source.row_validation import validate_rows

#: What the base module gains, once: dbkit's default manager adopts the application's base.
ADOPTION_CALL = "DatabaseManager.set_default(DatabaseManager(base={base}))"
ADOPTION_MARK = "DatabaseManager(base="
#: The same for an application of Core tables: the default manager adopts their ``MetaData``.
METADATA_ADOPTION_CALL = "DatabaseManager.set_default(DatabaseManager(metadata={metadata}))"
METADATA_ADOPTION_MARK = "DatabaseManager(metadata="


class SwitchRefusedError(DbkitError):
    """The table cannot switch yet; the message says why and what to do. Nothing was written."""


@dataclass(frozen=True)
class FileEdit:
    """One file's text before and after the switch."""

    path: Path
    before: str
    after: str

    def diff(self, root: Path) -> str:
        name = self.path.relative_to(root).as_posix()
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
        )


@dataclass(frozen=True)
class SwitchPlan:
    """The rewrite of one table's switch, checked; nothing is written until :meth:`write`."""

    root: Path
    table: str
    class_name: str
    model_name: str
    edits: tuple[FileEdit, ...]
    #: What the hand-written class defines that the generated one lacks (methods, properties).
    notes: tuple[str, ...] = ()
    #: Relationships and row links the contract checked, when it ran on rows (``--url``).
    contract_rows: ContractRun | None = field(default=None, repr=False)

    def diff(self) -> str:
        return "".join(edit.diff(self.root) for edit in self.edits)

    def write(self) -> list[Path]:
        """Apply every edit or none (``dbkit.migrate.files.write_all_or_none``)."""
        return write_all_or_none(
            [(edit.path, edit.before, edit.after) for edit in self.edits],
            lambda path: SwitchRefusedError(f"{path} changed since the switch was planned; plan it again."),
            read=lambda path: path.read_text(encoding="utf-8"),  # the edits were planned from read_text
        )


def plan_switch(
    path: str | Path,
    table: str,
    *,
    url: str | None = None,
) -> SwitchPlan:
    """Check that ``table`` can switch and return the rewrite (see the module docstring).

    With ``url``, the table's rows must pass its model (``validate_rows``), and the relationship
    contract runs on real rows of a scratch copy of that database, before and after.
    """
    root = Path(path).resolve()
    codebase = load_codebase(root)
    codebase.raise_for_errors()
    hand, model = _switchable(codebase, table)
    mapped = hand.mapped_class
    assert model.generated is not None
    if mapped is None:
        edits, metadata_at = _core_edits(root, hand, model)
        after_classes, after_table = _switched_core(root, edits, hand, metadata_at)
    else:
        edits = (_rewrite_class(root, hand, model), *_adopt_base(root, mapped))
        after_classes = _switched_classes(root, edits, table)
        after_table = next(
            sa.inspect(c).local_table for c in after_classes if sa.inspect(c).local_table.name == table
        )
    _refuse_if_table_changes(hand, after_table)
    before_classes = application_classes(mapped_classes_of(codebase))
    rows = None
    if url is not None:
        _refuse_failing_rows(codebase, table, url)
        with scratch_copy(url) as scratch:
            rows_before, rows = exercise(before_classes, scratch), exercise(after_classes, scratch)
    else:
        rows_before = rows = ContractRun()
    broken = broken_promises(
        derive_contract(before_classes), derive_contract(after_classes), rows_before, rows
    )
    if broken:
        raise SwitchRefusedError(
            f"{table}: switching would break the relationship contract: {'; '.join(broken[:5])}"
            f"{f' (and {len(broken) - 5} more)' if len(broken) > 5 else ''}. Nothing was written."
        )
    return SwitchPlan(
        root,
        table,
        hand.class_name or table,
        model.model.__name__,
        edits,
        _hand_written_members(mapped) if mapped is not None else (),
        rows if url is not None else None,
    )


def switch_order(codebase: Codebase) -> list[str]:
    """The hand-written tables that have a BLL model, referenced tables first: the order to switch
    them one at a time (any order works; this one never reaches a table not yet generated)."""
    models = [entry.model for name, entry in codebase.models.items() if name in codebase.hand_written]
    return [
        table_name_of(model)
        for model in generation_order(models)
        if table_name_of(model) in codebase.hand_written
    ]


# -- refusals ------------------------------------------------------------------------------------
def _switchable(codebase: Codebase, table: str) -> tuple[HandWrittenTable, GeneratedModel]:
    hand, model = codebase.hand_written.get(table), codebase.models.get(table)
    if hand is None:
        state = "is already generated" if model is not None else "is not a table of this codebase"
        raise SwitchRefusedError(f"{table} {state}: nothing to switch.")
    if len(hand.classes) > 1 or (not hand.classes and hand.holder is None):
        raise SwitchRefusedError(
            f"{table} ({hand.file}) is mapped by {len(hand.classes)} classes; a switch replaces exactly one class."
        )
    if not hand.classes and _module_level_holder(hand) is None:
        raise SwitchRefusedError(
            f"{table} ({hand.file}) is a Core table held as {hand.holder}; a switch replaces a module-level "
            f"name = sa.Table(...) of the file defining it: bind the table to a name there, then switch."
        )
    if model is None:
        raise SwitchRefusedError(
            f"{table} has no BLL model: scaffold it (dbkit scaffold PATH --out DIR, then copy its model in), "
            "review it, then switch."
        )
    if model.generated is None:
        raise SwitchRefusedError(
            f"{model.class_name} ({model.file}) does not generate; fix it first (dbkit inventory)."
        )
    differences = switch_differences(hand, model)
    if differences:
        listed = "; ".join(
            f"{d.level} {d.kind} {d.object}: {d.hand_written!r} → {d.generated!r}" for d in differences[:5]
        )
        raise SwitchRefusedError(
            f"{table}: parity is not clean ({listed}). Make {model.class_name} match "
            f"{hand.class_name} (dbkit parity PATH lists the differences), then switch."
        )
    if hand.mapped_class is None:
        return hand, model  # a Core table: no class name to keep, no subclasses
    generated_name = model.generated.__name__
    if generated_name != hand.class_name:
        raise SwitchRefusedError(
            f"{table}: the generated class is named {generated_name} but the application's is {hand.class_name}; "
            f'set db_class_name: ClassVar[str] = "{hand.class_name}" on {model.class_name} so string '
            "relationships keep finding it."
        )
    subclasses = [c.__name__ for c in hand.mapped_class.__subclasses__()]
    if subclasses:
        raise SwitchRefusedError(
            f"{table}: {', '.join(subclasses)} inherit from {hand.class_name}; switch them together by hand."
        )
    return hand, model


def switch_differences(hand: HandWrittenTable, model: GeneratedModel) -> list[Difference]:
    """Parity's schema and orm differences that a switch of this table would make real. A backref
    another hand-written class creates on this one is not among them: it follows that class (the
    relationship contract checks it after the switch)."""
    mapped = hand.mapped_class
    elsewhere = {f"{hand.name}.{name}" for name in backrefs_declared_elsewhere(mapped)} if mapped else set()
    return [
        d
        for d in compare_table(hand, model).differences
        if d.level in ("schema", "orm") and not (d.kind.startswith("relationship") and d.object in elsewhere)
    ]


def lost_relationships(codebase: Codebase) -> list[str]:
    """Relationship differences of every table a BLL model would replace: what switching it would lose."""
    lost = []
    for name, hand in codebase.hand_written.items():
        model = codebase.models.get(name)
        if hand.mapped_class is None or model is None or model.generated is None:
            continue
        lost += [
            f"{d.object}: {d.kind} {d.hand_written!r} by hand, {d.generated!r} generated ({model.class_name})"
            for d in switch_differences(hand, model)
            if d.kind.startswith("relationship")
        ]
    return lost


def _refuse_failing_rows(codebase: Codebase, table: str, url: str) -> None:
    """The generated class validates what the hand-written one let through: every stored row of the
    table must pass its model (``dbkit validate-data``) before the application relies on it."""
    result = validate_rows(codebase, url, table).table(table)
    if result.ok:
        return
    if result.error is not None:
        raise SwitchRefusedError(f"{table}: its rows cannot be validated: {result.error}.")
    first = result.failures[0]
    counts = ", ".join(f"{name} {count}" for name, count in result.counts_by_field().items())
    raise SwitchRefusedError(
        f"{table}: {result.failing} of {result.rows} row(s) fail {result.model} ({counts}); first: {first.key} "
        f"{first.field}={first.value}: {first.message}. Fix the rows or the model (dbkit validate-data), then switch."
    )


def _refuse_if_table_changes(hand: HandWrittenTable, after: sa.Table) -> None:
    """The switched codebase must map the very same table, constraint names included."""
    before_snapshot, after_snapshot = snapshot_of_table(hand.table), snapshot_of_table(after)
    changed = [
        *schema_differences(before_snapshot, after_snapshot),
        *constraint_name_differences(before_snapshot, after_snapshot),
    ]
    if changed:
        listed = "; ".join(f"{d.kind} {d.object}: {d.hand_written!r} → {d.generated!r}" for d in changed[:5])
        raise SwitchRefusedError(
            f"{hand.name}: on the application's base the generated table would differ ({listed}): its "
            "naming convention names constraints otherwise. Give the names in the model (fk_name, table_args)."
        )


# -- the rewrite ----------------------------------------------------------------------------------
def _rewrite_class(root: Path, hand: HandWrittenTable, model: GeneratedModel) -> FileEdit:
    """``class Name(...): ...`` → ``Name = NameModel.DB``, and the model's import."""
    path = root / hand.file
    before = path.read_text(encoding="utf-8")
    tree = ast.parse(before)
    name = hand.class_name
    node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    if node is None or node.end_lineno is None:
        raise SwitchRefusedError(f"{hand.file}: no module-level class {name}; switch it by hand.")
    lines = before.splitlines(keepends=True)
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    model_name, module = model.model.__name__, Path(model.file).stem
    replacement = [f"{name} = {model_name}.DB\n"]
    lines[start : node.end_lineno] = replacement
    if not _imports(tree, module, model_name):
        imports = [
            n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom) and n.lineno < node.lineno
        ]
        at = imports[-1].end_lineno if imports else after_docstring(tree)
        lines.insert(at or 0, f"from {module} import {model_name}\n")
    return FileEdit(path, before, "".join(lines))


def _imports(tree: ast.Module, module: str, name: str) -> bool:
    return any(
        isinstance(n, ast.ImportFrom) and n.module == module and any(a.name == name for a in n.names)
        for n in tree.body
    )


def _adopt_base(root: Path, mapped: type) -> list[FileEdit]:
    """The base module hands its Base to dbkit's default manager, unless it already does."""
    base = declarative_base_of(mapped)
    path = root / f"{base.__module__.replace('.', '/')}.py" if base is not None else None
    if base is None or path is None or not path.is_file():
        where = f"module {base.__module__}" if base is not None else "no declarative base"
        raise SwitchRefusedError(
            f"{mapped.__name__}: its declarative base ({where}) is not defined in a file of {root}; adopt it "
            f"where it is defined: {ADOPTION_CALL.format(base='Base')}."
        )
    before = path.read_text(encoding="utf-8")
    if ADOPTION_MARK in before:
        return []
    _refuse_second_adoption(root, sa.inspect(mapped).local_table.name, METADATA_ADOPTION_MARK)
    addition = (
        "\n\nfrom dbkit import DatabaseManager  # noqa: E402 - written by dbkit switch\n\n"
        f"{ADOPTION_CALL.format(base=base.__name__)}\n"
    )
    return [FileEdit(path, before, before.rstrip("\n") + "\n" + addition)]


def _refuse_second_adoption(root: Path, table: str, other_mark: str) -> None:
    """dbkit's default manager adopts one schema: a declarative base (``base=``) or the MetaData of
    Core tables (``metadata=``). A codebase that already hands it the other kind cannot switch this
    table onto it: the later ``set_default`` call would silently replace the earlier one."""
    for path in sorted(root.glob("*.py")):
        if other_mark in path.read_text(encoding="utf-8"):
            raise SwitchRefusedError(
                f"{table}: {path.name} already hands dbkit's default manager another schema ({other_mark}...)); "
                "one default manager adopts one declarative base or one MetaData: keep this table hand-written, "
                "or generate it on a DatabaseManager of its own."
            )


def declarative_base_of(mapped: type) -> type | None:
    """The application's declarative base class of ``mapped``: the first base holding the registry."""
    return next(
        (c for c in mapped.__mro__[1:] if "registry" in c.__dict__ or "metadata" in c.__dict__),
        None,
    )


@contextmanager
def _switched_copy(root: Path, edits: tuple[FileEdit, ...], table: str) -> Iterator[Codebase]:
    """A copy of the codebase with the edits applied, loaded: what the application is after the switch."""
    with tempfile.TemporaryDirectory(prefix="dbkit-switch-") as directory:
        copy = Path(directory) / root.name
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", "*.db"))
        for edit in edits:
            (copy / edit.path.relative_to(root)).write_text(edit.after, encoding="utf-8")
        switched = load_codebase(copy)
        if switched.errors:
            raise SwitchRefusedError(
                f"{table}: the switched codebase does not load: {switched.errors[0]}. Nothing was written."
            )
        yield switched


def _switched_classes(root: Path, edits: tuple[FileEdit, ...], table: str) -> list[type]:
    """The classes the application maps after the switch; one of them must map ``table``."""
    with _switched_copy(root, edits, table) as switched:
        classes = application_classes(mapped_classes_of(switched))
    if not any(sa.inspect(c).local_table.name == table for c in classes):
        raise SwitchRefusedError(f"{table}: after the switch no class of the application's registry maps it.")
    return classes


# -- a Core table ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Binding:
    """A module-level ``name = ...`` statement of a file of the codebase."""

    path: Path
    module: str
    name: str
    node: ast.stmt


def _module_level_holder(hand: HandWrittenTable) -> tuple[str, str] | None:
    """``("DB_Catalog", "books")`` for a Core table held as ``DB_Catalog.books`` in the file defining
    it; None when it is reached otherwise (a class attribute, ``metadata.tables[...]``)."""
    held = core_table_holder(hand.holder)
    if held is None or held[0].rsplit(".", 1)[-1] != Path(hand.file).stem:
        return None
    return held


def _binding(path: Path, name: str) -> tuple[ast.Module, ast.stmt | None]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, ast.Assign | ast.AnnAssign) and any(
            isinstance(t, ast.Name) and t.id == name for t in targets
        ):
            return tree, node
    return tree, None


def _metadata_binding(root: Path, path: Path, name: str, table: str, seen: int = 0) -> _Binding:
    """Where the ``MetaData`` named ``name`` in ``path`` is created: there, or in the ``DB_*`` file it
    is imported from (``from DB_Catalog import metadata``), followed through the codebase's files."""
    tree, node = _binding(path, name)
    module = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
    if node is not None:
        return _Binding(path, module, name, node)
    for statement in tree.body:
        if not isinstance(statement, ast.ImportFrom) or statement.level or not statement.module:
            continue
        for alias in statement.names:
            source = root / f"{statement.module.replace('.', '/')}.py"
            if (alias.asname or alias.name) == name and source.is_file() and seen < 10:
                return _metadata_binding(root, source, alias.name, table, seen + 1)
    raise SwitchRefusedError(
        f"{table}: the MetaData {name} its Table is defined on is not created at module level in a file of "
        f"{root} ({path.name} neither creates nor imports it); adopt it where it is created: "
        f"{METADATA_ADOPTION_CALL.format(metadata=name)}."
    )


def _core_edits(
    root: Path, hand: HandWrittenTable, model: GeneratedModel
) -> tuple[tuple[FileEdit, ...], _Binding]:
    """``books = sa.Table(...)`` → ``books = BookModel.DB.__table__`` (and the model's import), and
    the ``MetaData``'s module adopting it right after creating it; the edits and where the MetaData is."""
    holder = _module_level_holder(hand)
    assert holder is not None
    path = root / hand.file
    _tree, node = _binding(path, holder[1])
    call = getattr(node, "value", None)
    if node is None or not isinstance(call, ast.Call):
        raise SwitchRefusedError(
            f"{hand.file}: no module-level {holder[1]} = sa.Table(...) for {hand.name}; switch it by hand."
        )
    given = (
        call.args[1]
        if len(call.args) > 1
        else next((k.value for k in call.keywords if k.arg == "metadata"), None)
    )
    if not isinstance(given, ast.Name):
        raise SwitchRefusedError(
            f"{hand.file}: {holder[1]} = sa.Table(...) is not given its MetaData by name; switch it by hand."
        )
    metadata = _metadata_binding(root, path, given.id, hand.name)
    _refuse_second_adoption(root, hand.name, ADOPTION_MARK)
    model_name, module = model.model.__name__, Path(model.file).stem
    texts = {path: path.read_text(encoding="utf-8"), metadata.path: metadata.path.read_text(encoding="utf-8")}
    spans: dict[Path, list[tuple[int, int, list[str]]]] = {path: [], metadata.path: []}
    spans[path].append(
        (node.lineno - 1, node.end_lineno or node.lineno, [f"{holder[1]} = {model_name}.DB.__table__\n"])
    )
    spans[path] += _import_span(path, texts[path], module, model_name, node)
    if METADATA_ADOPTION_MARK not in texts[metadata.path]:
        end = metadata.node.end_lineno or metadata.node.lineno
        spans[metadata.path].append(
            (end, end, [f"{METADATA_ADOPTION_CALL.format(metadata=metadata.name)}\n"])
        )
        spans[metadata.path] += _import_span(
            metadata.path, texts[metadata.path], "dbkit", "DatabaseManager", metadata.node
        )
    edits = tuple(
        FileEdit(file, texts[file], _apply_spans(texts[file], file_spans))
        for file, file_spans in spans.items()
        if file_spans
    )
    return edits, metadata


def _import_span(
    path: Path, text: str, module: str, name: str, before: ast.stmt
) -> list[tuple[int, int, list[str]]]:
    """``from module import name`` after the last import above ``before``, unless already imported."""
    tree = ast.parse(text, filename=str(path))
    if _imports(tree, module, name):
        return []
    imports = [
        n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom) and n.lineno < before.lineno
    ]
    at = (imports[-1].end_lineno if imports else after_docstring(tree)) or 0
    return [(at, at, [f"from {module} import {name}\n"])]


def _apply_spans(text: str, spans: list[tuple[int, int, list[str]]]) -> str:
    """Replace line ranges ``[start, end)`` (0-based) bottom-up, insertions at one line in given order."""
    lines = text.splitlines(keepends=True)
    for start, end, new in sorted(spans, key=lambda span: (span[0], span[1]), reverse=True):
        lines[start:end] = new
    return "".join(lines)


def _switched_core(
    root: Path, edits: tuple[FileEdit, ...], hand: HandWrittenTable, metadata: _Binding
) -> tuple[list[type], sa.Table]:
    """The switched codebase's classes and its table ``module.name``, which must be on the
    application's MetaData (the one created at ``metadata``) and mapped by a generated class."""
    module, name = _module_level_holder(hand) or ("", "")
    with _switched_copy(root, edits, hand.name) as switched:
        table = getattr(switched.modules.get(module), name, None)
        application_metadata = getattr(switched.modules.get(metadata.module), metadata.name, None)
        classes = application_classes(mapped_classes_of(switched))
    if not isinstance(table, sa.Table) or table.name != hand.name:
        raise SwitchRefusedError(
            f"{hand.name}: after the switch {module}.{name} is not the table {hand.name}."
        )
    if table.metadata is not application_metadata:
        raise SwitchRefusedError(
            f"{hand.name}: after the switch its generated table is not on {metadata.module}.{metadata.name}, "
            f"the application's MetaData: adopt it there ({METADATA_ADOPTION_CALL.format(metadata=metadata.name)})."
        )
    return classes, table


#: What declarative mapping itself puts in a class body.
_DECLARATIVE_MEMBERS = frozenset(
    {
        "__init__",
        "__table__",
        "__tablename__",
        "__table_args__",
        "__mapper__",
        "__mapper_args__",
        "registry",
        "metadata",
    }
)


def mapped_classes_of(codebase: Codebase) -> list[type]:
    """The mapped classes the ``DB_*`` modules hold, whether hand-written or generated (switched)."""
    found: dict[int, type] = {}
    for name, module in sorted(codebase.modules.items()):
        if not name.startswith("DB_"):
            continue
        for value in vars(module).values():
            if isinstance(value, type) and isinstance(getattr(value, "__mapper__", None), sa.orm.Mapper):
                found.setdefault(id(value), value)
    for entry in codebase.hand_written.values():
        if entry.mapped_class is not None:
            found.setdefault(id(entry.mapped_class), entry.mapped_class)
    return list(found.values())


def _hand_written_members(mapped: type) -> tuple[str, ...]:
    """Methods and properties written in the class body: the generated class does not have them."""
    mapper = sa.inspect(mapped)
    mapped_names = set(mapper.attrs.keys()) | {c.key for c in mapper.columns}
    found = []
    for name, value in vars(mapped).items():
        if name in mapped_names or name.startswith("_sa_") or name in _DECLARATIVE_MEMBERS:
            continue
        if callable(value) or isinstance(value, property | classmethod | staticmethod):
            found.append(
                f"{mapped.__name__}.{name} is written by hand and the generated class lacks it: move it "
                "to a mixin in db_mixins, or keep the class hand-written."
            )
    return tuple(found)


def describe(plan: SwitchPlan) -> dict[str, Any]:
    """The plan as JSON: files, notes and the rows the contract reached."""
    return {
        "table": plan.table,
        "class": plan.class_name,
        "model": plan.model_name,
        "files": [edit.path.relative_to(plan.root).as_posix() for edit in plan.edits],
        "notes": list(plan.notes),
        "contract_links": plan.contract_rows.links if plan.contract_rows else None,
    }
