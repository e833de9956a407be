"""Phase 1 as a decision per parity difference: which side of each schema difference is right.

For every ``schema``-level difference between a hand-written table and its generated model, the
reviewer decides:

* ``"hand-written"``: *the database is right*. The ``BLL_*.py`` model is rewritten so that its
  generated DDL matches the hand-written one: the field (or ``table_args`` item, or
  ``table_comment``) is written as :mod:`~dbkit.migrate.codemod.scaffold` would write it, as a
  precise text edit of that one statement; everything else in the file stays byte-identical.
* ``"generated"``: *the model is right*. No source changes; the difference is part of the Phase 2
  revision, listed with the lint verdict that revision would get.

:func:`plan_parity_fixes` returns a :class:`ParityFixPlan` (nothing is written): its source diff,
the revision items, and the differences that cannot be rewritten with the reason for each. The plan
is checked before it is returned: the edits are applied to a scratch copy of the codebase, which
is loaded and compared again; a table whose rewrite does not remove its differences (or adds one)
gets no edit, and its differences are listed as not rewritten, with what parity still shows.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import enum
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

import sqlalchemy as sa

from dbkit.errors import DbkitError
from dbkit.migrate.codemod.scaffold.code import Attribute, Call, Constant, Expr, Import, Imports, Name
from dbkit.migrate.codemod.scaffold.constants import LINE_LENGTH
from dbkit.migrate.codemod.scaffold.generator import ScaffoldGenerator
from dbkit.migrate.codemod.scaffold.plan import FieldPlan, ModelPlan
from dbkit.migrate.codemod.scaffold.render import render_field
from dbkit.migrate.codemod.scaffold.results import ScaffoldError, ScaffoldResult, SourceTable
from dbkit.migrate.codemod.scaffold.source import format_source
from dbkit.migrate.codemod.source_text import after_docstring
from dbkit.migrate.files import read_exactly, write_all_or_none
from dbkit.migrate.source.codebase import Codebase, GeneratedModel, column_attribute_names, load_codebase
from dbkit.migrate.source.parity import Difference, ParityReport, compare_table, parity

Decision = Literal["hand-written", "generated"]
DECISIONS: tuple[Decision, ...] = get_args(Decision)

#: ``Field(...)`` keywords that shape the column (type length, precision, comment, default):
#: scaffold decides them. Every other keyword of an existing ``Field`` (``pattern``, ``ge``...) is
#: Pydantic validation the database never sees, and is kept as written.
_DDL_FIELD_KEYWORDS = frozenset(
    {"default", "default_factory", "description", "max_length", "max_digits", "decimal_places"}
)
_CONSTRAINT_CLASSES = {
    "unique": "UniqueConstraint",
    "index": "Index",
    "check": "CheckConstraint",
    "foreign_key": "ForeignKeyConstraint",
    "primary_key": "PrimaryKeyConstraint",
}


class ParityFixError(DbkitError):
    """The decisions cannot be planned or written as given; the message says what to change."""


def difference_key(table: str, difference: Difference) -> str:
    """A stable id of one difference: ``teams.description:nullable``, ``teams(slug):unique``.

    The object as parity names it (prefixed with the table when it does not start with it) and the
    kind without its ``column_`` prefix.
    """
    where = difference.object if difference.object.startswith(table) else f"{table}.{difference.object}"
    kind = difference.kind.removeprefix("column_")
    return f"{where}:{kind}"


def schema_difference_keys(report: ParityReport) -> dict[str, tuple[str, Difference]]:
    """Every schema difference of ``report`` by its key (a repeated key gets ``#2``, ``#3``...)."""
    found: dict[str, tuple[str, Difference]] = {}
    for table, difference in report.differences("schema"):
        key = base = difference_key(table, difference)
        number = 1
        while key in found:
            number += 1
            key = f"{base}#{number}"
        found[key] = (table, difference)
    return found


# -- the plan ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileEdit:
    """One ``BLL_*.py`` file's text before and after the rewrite."""

    path: Path
    old_text: str
    new_text: str
    root: Path

    @property
    def diff(self) -> str:
        """The unified diff, paths relative to the codebase (``a/BLL_Teams.py``)."""
        name = self.path.relative_to(self.root).as_posix()
        return "".join(
            difflib.unified_diff(
                _source_lines(self.old_text),
                _source_lines(self.new_text),
                f"a/{name}",
                f"b/{name}",
            )
        )


class RevisionItem(NamedTuple):
    """A difference the model is right about: the Phase 2 revision changes the database, so."""

    table: str
    difference: Difference
    #: What lint says about the change(s) the revision makes for it (risk, refused or allowed, locks).
    verdict: str
    #: The difference's key (:func:`schema_difference_keys`: ``#2`` when two share a name).
    key: str


class Unfixable(NamedTuple):
    """A difference decided ``hand-written`` that dbkit does not rewrite, and why (what to do instead)."""

    key: str
    reason: str


@dataclass(frozen=True)
class ParityFixPlan:
    """The source edits and revision items of a set of decisions; nothing is written until :meth:`write`."""

    root: Path
    edits: tuple[FileEdit, ...]
    to_revision: tuple[RevisionItem, ...]
    unfixable: tuple[Unfixable, ...]
    #: The keys the edits rewrite (each checked: after the edits, parity no longer shows it).
    fixed: tuple[str, ...] = ()
    #: Every planned key → its decision.
    decisions: Mapping[str, Decision] = field(default_factory=dict)

    @property
    def files(self) -> list[Path]:
        return [edit.path for edit in self.edits]

    def diff(self) -> str:
        return "".join(edit.diff for edit in self.edits)

    def text(self) -> str:
        """What the plan does, as the command line and the notebook widget print it: the source diff,
        the revision items with their lint verdicts, the differences not rewritten and why."""
        lines = [self.diff().rstrip("\n")] if self.edits else []
        if self.to_revision:
            lines.append("left to the Phase 2 revision (the model is right):")
            lines.extend(f"  {item.key}: {item.verdict}" for item in self.to_revision)
        if self.unfixable:
            lines.append("not rewritten (edit the model by hand):")
            lines.extend(f"  {key}: {reason}" for key, reason in self.unfixable)
        if not self.decisions:
            lines.append("no schema-level difference")
        return "".join(f"{line}\n" for line in lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "decisions": dict(self.decisions),
            "fixed": list(self.fixed),
            "files": [edit.path.relative_to(self.root).as_posix() for edit in self.edits],
            "diff": self.diff(),
            "to_revision": [
                {"key": item.key, "table": item.table, **item.difference.to_json(), "verdict": item.verdict}
                for item in self.to_revision
            ],
            "unfixable": [{"key": key, "reason": reason} for key, reason in self.unfixable],
        }

    def write(self) -> list[Path]:
        """Write every edited file (each atomically), or none: refused when a file changed on disk
        since the plan was made; a failure part way puts back the files already written."""
        return write_all_or_none(
            [(edit.path, edit.old_text, edit.new_text) for edit in self.edits],
            lambda path: ParityFixError(
                f"{path} changed since the parity fixes were planned; plan them again. Nothing was written."
            ),
        )


def plan_parity_fixes(
    codebase: Codebase,
    decisions: Mapping[str, Decision] | Decision,
    *,
    tables: Sequence[str] | None = None,
) -> ParityFixPlan:
    """The plan for ``decisions``: a decision for every schema difference, or a key → decision mapping.

    ``tables`` limits the plan to those tables' differences. A difference a mapping leaves out is
    ``"generated"`` (no source change). Unknown keys, tables or decisions raise
    :class:`ParityFixError`.
    """
    report = parity(codebase)
    known = schema_difference_keys(report)
    selected = _selected(known, report, tables)
    chosen = resolve_decisions(decisions, known, selected)
    hand_written = {key: selected[key] for key, decision in chosen.items() if decision == "hand-written"}
    edits, unfixable, fixed = _checked_edits(codebase, known, hand_written, chosen)
    generated = [(key, selected[key]) for key, decision in chosen.items() if decision == "generated"]
    return ParityFixPlan(
        root=codebase.path,
        edits=edits,
        to_revision=tuple(_revision_items(codebase, generated)),
        unfixable=tuple(unfixable),
        fixed=tuple(fixed),
        decisions=chosen,
    )


def _selected(
    known: dict[str, tuple[str, Difference]], report: ParityReport, tables: Sequence[str] | None
) -> dict[str, tuple[str, Difference]]:
    if tables is None:
        return dict(known)
    names = {t.table for t in report.tables}
    unknown = [name for name in tables if name not in names]
    if unknown:
        raise ParityFixError(
            f"no table {', '.join(map(repr, unknown))} in the codebase; its tables are: {', '.join(sorted(names))}."
        )
    return {key: value for key, value in known.items() if value[0] in tables}


def resolve_decisions(
    decisions: Mapping[str, Decision] | Decision | None,
    known: Mapping[str, Any],
    selected: Mapping[str, Any] | None = None,
) -> dict[str, Decision]:
    """Each key of ``selected`` (default: every ``known`` key) → its decision: ``decisions`` as one
    word for all or per key; a key left out is ``"generated"`` (nothing in the source changes).
    A key that is not ``known`` or a word that is not a decision raises :class:`ParityFixError`."""
    keys = known if selected is None else selected
    if isinstance(decisions, str):
        _check_decision(decisions, "the decision")
        return dict.fromkeys(keys, decisions)
    given = dict(decisions or {})
    unknown = [key for key in given if key not in known]
    if unknown:
        raise ParityFixError(
            f"no schema difference {', '.join(map(repr, unknown))}; the differences are: "
            f"{', '.join(known) or 'none'}."
        )
    for key, decision in given.items():
        _check_decision(decision, key)
    return {key: given.get(key, "generated") for key in keys}


def _check_decision(decision: str, what: str) -> None:
    if decision not in DECISIONS:
        raise ParityFixError(
            f"{what}: {decision!r} is not a decision; use 'hand-written' (the database is right) or "
            "'generated' (the model is right)."
        )


# -- the revision side ----------------------------------------------------------------------------
def _revision_items(
    codebase: Codebase, chosen: list[tuple[str, tuple[str, Difference]]]
) -> Iterator[RevisionItem]:
    """Each difference with the lint verdict of the revision change(s) it becomes (hints applied)."""
    if not chosen:
        return
    findings = _revision_findings(codebase)
    for key, (table, difference) in chosen:
        if isinstance(findings, str):
            verdict = findings
        else:
            matching = [finding for found, finding in findings if _same_change(found, table, difference)]
            verdict = " | ".join(_verdict_text(finding) for finding in matching) or (
                "no revision change matches it (a migration_notes hint turns it into another change)"
            )
        yield RevisionItem(table, difference, verdict, key)


def _revision_findings(codebase: Codebase) -> list[tuple[tuple[str | None, Difference], Any]] | str:
    """The Phase 2 revision's lint findings (hand-written schema → models), each with the parity
    difference its change describes; the reason instead when that revision cannot be planned."""
    from dbkit.migrate.diff.hints import apply_hints, hints_from_snapshot
    from dbkit.migrate.schema.from_models import snapshot_from_metadata
    from dbkit.migrate.source.parity import _from_change

    both = sorted(set(codebase.hand_written) & set(codebase.generated_tables()))
    notes = {name: getattr(codebase.models[name].model, "migration_notes", None) for name in both}
    hand = [codebase.hand_written[name] for name in both]
    try:
        old = snapshot_from_metadata(
            [entry.table for entry in hand], notes, models=[e.mapped_class for e in hand if e.mapped_class]
        )
        generated = codebase.generated_tables()
        new = snapshot_from_metadata([generated[name] for name in both], notes)
        verdict = apply_hints(old, new, hints_from_snapshot(new)).lint(snapshot=new)
    except DbkitError as exc:
        return f"no lint verdict: the revision cannot be planned ({exc})"
    return [
        ((finding.change.table, difference), finding)
        for finding in verdict.findings
        for difference in _from_change(finding.change)
    ]


def _same_change(found: tuple[str | None, Difference], table: str, difference: Difference) -> bool:
    """Whether a revision change is the one for ``difference``: the same difference of the same table,
    or, for enum members, a change of that enum type (the revision changes a type, not a column)."""
    changed_table, changed = found
    if difference.kind == "enum_members" and changed.kind == "enum_members":
        return _enum_name(changed.object) == _enum_name(difference.object)
    return changed_table == table and changed == difference


def _enum_name(label: str) -> str:
    """``users.status (user_status)`` → ``user_status``."""
    return label.rsplit("(", 1)[-1].rstrip(")")


def _verdict_text(finding: Any) -> str:
    parts = [f"{finding.risk}: {finding.change.op} {finding.change.label}"]
    parts.append(f"refused: {finding.refusal}" if finding.refusal else "allowed")
    if finding.plan is not None:
        parts.append("backfill: " + "; ".join(finding.plan.steps))
    parts += finding.review_lines()
    return "; ".join(parts)


# -- the source side: checked edits -----------------------------------------------------------------
def _checked_edits(
    codebase: Codebase,
    known: dict[str, tuple[str, Difference]],
    hand_written: dict[str, tuple[str, Difference]],
    chosen: Mapping[str, Decision],
) -> tuple[tuple[FileEdit, ...], list[Unfixable], list[str]]:
    """Plan the rewrites, apply them to a scratch copy, compare again; drop the tables whose rewrite
    leaves (or adds) a schema difference, until what remains is proven."""
    if not hand_written:
        return (), [], []
    unfixable: list[Unfixable] = []
    remaining = dict(hand_written)
    for _ in range(3):
        rewriter = _Rewriter(codebase, known, chosen)
        edits = rewriter.plan(remaining)
        unfixable += rewriter.unfixable
        planned = {key: remaining[key] for key in rewriter.planned}
        if not edits:
            return (), unfixable, []
        failed = _verify(codebase, edits, known, planned)
        if not failed:
            return edits, unfixable, sorted(planned)
        for key, value in planned.items():
            if value[0] in failed:
                unfixable.append(Unfixable(key, failed[value[0]]))
        remaining = {key: value for key, value in planned.items() if value[0] not in failed}
    return (), unfixable, []


def _verify(
    codebase: Codebase,
    edits: tuple[FileEdit, ...],
    known: dict[str, tuple[str, Difference]],
    planned: dict[str, tuple[str, Difference]],
) -> dict[str, str]:
    """Table → why its rewrite is not kept (empty when every planned difference is gone and no
    table of an edited file gained one)."""
    edited = {edit.path.name for edit in edits}
    tables = {table for table, _ in planned.values()}
    after = _load_edited(codebase, edits)
    broken = [problem for problem in after.errors if Path(problem.file).name in edited]
    if broken:
        reason = f"the rewritten model does not load ({broken[0]}); rewrite it by hand"
        return dict.fromkeys(tables, reason)
    now = _schema_keys_against(codebase, after, edited)
    failed: dict[str, str] = {}
    for key, (table, _) in planned.items():
        if key in now:
            _, difference = now[key]
            failed.setdefault(
                table,
                f"after dbkit's rewrite parity still shows {key} (hand-written={difference.hand_written!r}, "
                f"generated={difference.generated!r}); edit the model by hand",
            )
    for key, (table, _) in now.items():
        if key not in known:
            blamed = [
                t for t in tables if Path(codebase.models[t].file).name == after.models[table].file
            ] or [table]
            for name in blamed:
                failed.setdefault(
                    name, f"dbkit's rewrite would add the difference {key}; edit the model by hand"
                )
    return failed


def _load_edited(codebase: Codebase, edits: tuple[FileEdit, ...]) -> Codebase:
    """A scratch copy of the codebase with the edits applied, loaded: its ``BLL_*.py`` side alone when
    that loads (the hand-written side did not change, and importing it again can take long), else whole."""
    root = codebase.path
    with tempfile.TemporaryDirectory(prefix="dbkit-parity-fix-") as directory:
        for skipped in ("DB_*.py", None):
            copy = Path(directory) / ("models" if skipped else "whole") / root.name
            patterns = ["__pycache__", "*.sqlite3", "*.db", *([skipped] if skipped else [])]
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(*patterns))
            for edit in edits:
                (copy / edit.path.relative_to(root)).write_text(edit.new_text, encoding="utf-8")
            after = load_codebase(copy)
            if not after.errors:
                break
    return after


def _schema_keys_against(
    codebase: Codebase, after: Codebase, edited: set[str]
) -> dict[str, tuple[str, Difference]]:
    """The schema differences between the original hand-written tables and the edited files' models."""
    compared = [
        compare_table(hand, after.models[name])
        for name, hand in sorted(codebase.hand_written.items())
        if name in after.models and after.models[name].file in edited and after.models[name].table is not None
    ]
    return schema_difference_keys(ParityReport(tuple(compared)))


class _NotRewrittenError(Exception):
    """One difference cannot be rewritten; the message is the reason the plan shows."""


# -- edits of one file: replacements by character offsets --------------------------------------------
@dataclass
class _Source:
    """One ``BLL_*.py`` file being edited: its text, tree, and the replacements planned so far."""

    path: Path
    module: str
    text: str
    tree: ast.Module
    replacements: list[tuple[int, int, str]] = field(default_factory=list)
    new_imports: list[Import] = field(default_factory=list)
    new_enums: dict[str, str] = field(default_factory=dict)
    #: Enum classes of this file whose members are rewritten (each once).
    rewritten_enums: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, path: Path) -> _Source:
        text = read_exactly(path)
        return cls(path, path.stem, text, ast.parse(text, filename=str(path)))

    @property
    def lines(self) -> list[str]:
        return _source_lines(self.text)

    def offset(self, lineno: int, col_bytes: int) -> int:
        """The character offset of an ``ast`` position (``col_offset`` counts UTF-8 bytes)."""
        lines = self.lines
        before = sum(len(line) for line in lines[: lineno - 1])
        line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
        return before + len(line.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def line_span(self, node: ast.stmt) -> tuple[int, int]:
        """The whole lines of a statement, its newline included (for removing it)."""
        assert node.end_lineno is not None
        return self.offset(node.lineno, 0), self.offset(node.end_lineno + 1, 0)

    def bound_names(self) -> set[str]:
        names: set[str] = set()
        for node in self.tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
        return names

    def class_def(self, name: str) -> ast.ClassDef | None:
        return next((n for n in self.tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)

    def edited(self) -> str:
        """The text with every replacement, the new enum classes and the new imports."""
        text = self.text
        # From the end, so offsets stay valid; of two insertions at one place, the one planned first comes first.
        ordered = sorted(enumerate(self.replacements), key=lambda r: (r[1][0], r[1][1], r[0]), reverse=True)
        for _, (start, end, new) in ordered:
            text = text[:start] + new + text[end:]
        local = {path.stem for path in self.path.parent.iterdir() if path.suffix == ".py" or path.is_dir()}
        text = _with_imports(text, self.new_imports, local)
        if "\r\n" in self.text and self.text.count("\n") == self.text.count(
            "\r\n"
        ):  # a Windows file stays one
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return text


_LINE_END = re.compile(r"\r\n|\n|\r")


def _source_lines(text: str) -> list[str]:
    """The lines as Python's parser counts them (``str.splitlines`` also splits at form feeds and
    other separators a comment or string may hold, which would shift every ``ast`` position)."""
    lines, start = [], 0
    for match in _LINE_END.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def _with_imports(text: str, imports: list[Import], local: set[str]) -> str:
    """``text`` with ``imports`` added: a name joins a one-line ``from module import ...`` of its
    module when there is one; any other import gets its own line in its isort section (standard
    library, third party, the codebase's own modules in ``local``)."""
    if not imports:
        return text
    tree = ast.parse(text)
    lines = _source_lines(text)
    extra: list[tuple[str, bool]] = []  # (line, is a plain ``import``)
    by_module: dict[str, list[str]] = {}
    for origin in dict.fromkeys(imports):
        if origin.name is None:
            alias = f" as {origin.alias}" if origin.alias and origin.alias != origin.module else ""
            extra.append((f"import {origin.module}{alias}\n", True))
        else:
            by_module.setdefault(origin.module, []).append(origin.name)
    for imported, names in by_module.items():
        statement = next(
            (
                n
                for n in tree.body
                if isinstance(n, ast.ImportFrom)
                and n.module == imported
                and n.level == 0
                and n.lineno == n.end_lineno
                and not any(a.asname for a in n.names)
                and "(" not in lines[n.lineno - 1]
            ),
            None,
        )
        if statement is None:
            extra.append((f"from {imported} import {', '.join(sorted(names, key=_isort_key))}\n", False))
            continue
        merged = sorted({*(a.name for a in statement.names), *names}, key=_isort_key)
        line = lines[statement.lineno - 1]
        indent = line[: len(line) - len(line.lstrip())]
        comment = line[line.index("#") :].rstrip("\n") if "#" in line else ""
        lines[statement.lineno - 1] = (
            f"{indent}from {imported} import {', '.join(merged)}{'  ' + comment if comment else ''}\n"
        )
    insertions = [_import_place(tree, line, plain, local) for line, plain in extra]
    ordered = sorted(enumerate(insertions), key=lambda item: (item[1][0], item[0]), reverse=True)
    for _, (at, inserted) in ordered:  # from the bottom; at one place, in the order planned
        lines[at:at] = [inserted]
    return "".join(lines)


def _import_place(tree: ast.Module, line: str, plain: bool, local: set[str]) -> tuple[int, str]:
    """Where a new import line goes (a 0-based line index) and its text (a blank line added when it
    opens a section of its own)."""
    module = line.split()[1]
    section = _section(module, local)
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    same = [n for n in top if _section(_module_of(n), local) == section]
    if same:
        plain_ones = [n for n in same if isinstance(n, ast.Import)]
        if plain and plain_ones:
            return plain_ones[-1].end_lineno or 0, line
        if plain:
            return same[0].lineno - 1, line
        return same[-1].end_lineno or 0, line
    lower = [n for n in top if _section(_module_of(n), local) < section]
    if lower:
        return lower[-1].end_lineno or 0, "\n" + line
    if top:
        return top[0].lineno - 1, line + "\n"
    return after_docstring(tree), line


def _module_of(node: ast.Import | ast.ImportFrom) -> str:
    if isinstance(node, ast.Import):
        return node.names[0].name
    return "." if node.level else node.module or ""


def _section(module: str, local: set[str]) -> int:
    """isort's sections: ``__future__``, the standard library, third party, the codebase's own."""
    top = module.split(".")[0]
    if top == "__future__":
        return -1
    if not top or top in local:
        return 2
    return 0 if top in sys.stdlib_module_names else 1


def _isort_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (kind, name.lower())


# -- the rewriter ----------------------------------------------------------------------------------
class _FieldPlans(ScaffoldGenerator):
    """Scaffold with the codebase's own model names and modules, keeping every field it plans.

    So a rewritten field references the application's classes (``references=AccountModel``) and
    imports them from where they are, and any column's field can be planned on request.
    """

    def __init__(self, codebase: Codebase, sources: list[SourceTable]) -> None:
        super().__init__(sources, formatter=None)
        self.codebase = codebase
        self.fields: dict[tuple[str, str], FieldPlan] = {}
        self.models: dict[str, ModelPlan] = {}

    def model_name(self, source: SourceTable) -> str:
        model = self.codebase.models.get(source.table.name)
        return model.class_name if model is not None else super().model_name(source)

    def module_name(self, source: SourceTable) -> str:
        model = self.codebase.models.get(source.table.name)
        return Path(model.file).stem if model is not None else super().module_name(source)

    def plan_field(self, model: ModelPlan, column: sa.Column[Any]) -> FieldPlan:
        planned = super().plan_field(model, column)
        self.fields[(model.table.name, column.name)] = planned
        self.models[model.table.name] = model
        return planned

    def field_for(self, table: str, column: str) -> FieldPlan:
        """The field scaffold writes for ``table.column`` (planned now for a column it made a base)."""
        if (table, column) not in self.fields:
            model = self.models.get(table)
            if model is None or column not in model.table.c:
                raise _NotRewrittenError(f"scaffold plans no field for {table}.{column}")
            self.plan_field(model, model.table.c[column])
        return self.fields[(table, column)]


class _Rewriter:
    """Plans the source edits of the ``hand-written`` decisions, one table at a time."""

    def __init__(
        self, codebase: Codebase, known: dict[str, tuple[str, Difference]], chosen: Mapping[str, Decision]
    ) -> None:
        self.codebase = codebase
        self.known = known
        self.chosen = chosen
        self.unfixable: list[Unfixable] = []
        self.planned: list[str] = []
        self.sources: dict[Path, _Source] = {}
        self._scaffold: tuple[_FieldPlans, ScaffoldResult] | None = None

    # -- entry ---------------------------------------------------------------------------------------
    def plan(self, hand_written: dict[str, tuple[str, Difference]]) -> tuple[FileEdit, ...]:
        by_table: dict[str, dict[str, Difference]] = {}
        for key, (table, difference) in hand_written.items():
            by_table.setdefault(table, {})[key] = difference
        for table, differences in sorted(by_table.items()):
            self._plan_table(table, differences)
        edits = []
        for path, source in sorted(self.sources.items()):
            new_text = source.edited()
            if new_text != source.text:
                edits.append(FileEdit(path, source.text, new_text, self.codebase.path))
        return tuple(edits)

    def _plan_table(self, table: str, differences: dict[str, Difference]) -> None:
        try:
            model = self._model(table)
            source = self._source(model)
            class_def = source.class_def(model.model.__name__)
            if class_def is None or model.model.__qualname__ != model.model.__name__:
                raise _NotRewrittenError(f"{model.file} has no module-level class {model.class_name}")
        except _NotRewrittenError as exc:
            self.unfixable += [Unfixable(key, f"{exc}; edit the model by hand") for key in differences]
            return
        table_edit = _TableEdit(self, table, model, source, class_def)
        mark = (
            len(source.replacements),
            len(source.new_imports),
            dict(source.new_enums),
            set(source.rewritten_enums),
        )
        for key, difference in differences.items():
            try:
                table_edit.add(key, difference)
            except _NotRewrittenError as exc:
                self.unfixable.append(Unfixable(key, str(exc)))
        try:
            table_edit.apply()
        except _NotRewrittenError as exc:
            source.replacements[mark[0] :] = []
            source.new_imports[mark[1] :] = []
            source.new_enums.clear()
            source.new_enums.update(mark[2])
            source.rewritten_enums.clear()
            source.rewritten_enums.update(mark[3])
            self.unfixable += [Unfixable(key, str(exc)) for key in table_edit.keys]
            return
        self.planned += table_edit.keys

    # -- shared lookups --------------------------------------------------------------------------------
    def _model(self, table: str) -> GeneratedModel:
        model = self.codebase.models.get(table)
        if model is None or model.generated is None:
            raise _NotRewrittenError(f"{table} has no generated model to rewrite")
        return model

    def _source(self, model: GeneratedModel) -> _Source:
        path = self.codebase.path / model.file
        if path not in self.sources:
            if not path.is_file():
                raise _NotRewrittenError(
                    f"{model.class_name}'s file {model.file} is not in the codebase directory"
                )
            self.sources[path] = _Source.read(path)
        return self.sources[path]

    def scaffold(self) -> tuple[_FieldPlans, ScaffoldResult]:
        """Scaffold every hand-written table once (references between them resolve to the app's models)."""
        if self._scaffold is None:
            entries = sorted(self.codebase.hand_written.values(), key=lambda e: (e.file, e.name))
            generator = _FieldPlans(self.codebase, [SourceTable.from_hand_written(e) for e in entries])
            try:
                result = generator.generate()
            except ScaffoldError as exc:
                raise _NotRewrittenError(f"scaffold cannot write these tables ({exc})") from exc
            self._scaffold = (generator, result)
        return self._scaffold

    def scaffold_refusal(self, table: str) -> str | None:
        _, result = self.scaffold()
        return next(
            (
                p.message
                for p in result.problems
                if p.table == table and p.message.startswith("no model scaffolded")
            ),
            None,
        )


class _TableEdit:
    """The edits of one model: fields rewritten, added or removed, ``table_args`` items, the comment."""

    def __init__(
        self, rewriter: _Rewriter, table: str, model: GeneratedModel, source: _Source, class_def: ast.ClassDef
    ) -> None:
        self.rewriter = rewriter
        self.table = table
        self.model = model
        self.source = source
        self.class_def = class_def
        self.keys: list[str] = []
        self.fields: dict[str, list[str]] = {}  # column → keys rewriting its field
        self.removed: dict[str, str] = {}  # column → key
        self.added_items: list[tuple[str, Expr]] = []
        self.removed_items: list[tuple[str, ast.expr]] = []
        self.comment: tuple[str, str | None] | None = None

    # -- decisions → actions ---------------------------------------------------------------------------
    def add(self, key: str, difference: Difference) -> None:
        refusal = self.rewriter.scaffold_refusal(self.table)
        if refusal:
            raise _NotRewrittenError(f"scaffold writes no model for {self.table}: {refusal}")
        kind = difference.kind
        if kind.startswith("column_") or kind == "enum_members":
            self._field(key, self._column_of(difference))
        elif kind == "column":
            column = self._column_of(difference)
            if difference.generated is None:
                self._field(key, column)
            else:
                self._remove_field(key, column)
        elif kind == "primary_key":
            columns = {*_columns(difference.hand_written), *_columns(difference.generated)}
            for column in sorted(columns):
                self._field(key, column)
            self._primary_key_items(key, difference)
        elif kind in _CONSTRAINT_CLASSES:
            self._constraint(key, difference)
        elif kind == "table_comment":
            self.comment = (key, difference.hand_written)
        else:
            raise _NotRewrittenError(
                f"dbkit has no rewrite for a {kind!r} difference; edit {self.model.file} by hand"
            )
        self.keys.append(key)

    def _column_of(self, difference: Difference) -> str:
        where = difference.object.split(" (", 1)[0]  # "users.status (userstatus)" → users.status
        return where.removeprefix(f"{self.table}.")

    def _field(self, key: str, column: str) -> None:
        self.fields.setdefault(column, []).append(key)

    def _remove_field(self, key: str, column: str) -> None:
        self.removed[column] = key

    def _primary_key_items(self, key: str, difference: Difference) -> None:
        """A primary key declared in ``table_args`` (its own name or column order): scaffold's item in,
        the model's out."""
        item = (
            self._scaffold_item("primary_key", difference.hand_written) if difference.hand_written else None
        )
        if item is not None:
            self.added_items.append((key, item))
        node = self._model_item("primary_key", difference.generated) if difference.generated else None
        if node is not None:
            self.removed_items.append((key, node))

    def _constraint(self, key: str, difference: Difference) -> None:
        columns = _columns(difference.hand_written) or _columns(difference.generated)
        kind = difference.kind
        if difference.hand_written is not None:  # the model lacks it: scaffold's item, or its field
            item = self._scaffold_item(kind, difference.hand_written)
            if item is not None:
                self.added_items.append((key, item))
            elif len(columns) == 1:
                self._field(key, columns[0])
            else:
                raise _NotRewrittenError(
                    f"scaffold does not write the {kind} {difference.object} as one item"
                )
        if difference.generated is not None:  # the model has it: its table_args item, or its field
            node = self._model_item(kind, difference.generated)
            if node is not None:
                self.removed_items.append((key, node))
            elif len(columns) == 1 and self._statement(self._field_name(columns[0])) is not None:
                self._field(key, columns[0])
            else:
                raise _NotRewrittenError(
                    f"{self.model.class_name} declares the {kind} {difference.object} somewhere dbkit cannot "
                    f"edit (not a literal table_args item nor a field of its own); remove it from {self.model.file} by hand"
                )

    # -- applying -------------------------------------------------------------------------------------
    def apply(self) -> None:
        self._refuse_mixed_decisions()
        order = [c.name for c in self.rewriter.codebase.hand_written[self.table].table.columns]
        for column, keys in sorted(self.fields.items(), key=lambda item: _position(order, item[0])):
            self._rewrite_field(column, keys)
        for column, key in sorted(self.removed.items()):
            self._delete_field(column, key)
        if self.added_items or self.removed_items:
            self._rewrite_table_args()
        if self.comment is not None:
            self._rewrite_comment(*self.comment)

    def _refuse_mixed_decisions(self) -> None:
        """A field is rewritten whole: every difference of that column must be decided alike."""
        for column in self.fields:
            others = [
                key
                for key, (table, difference) in self.rewriter.known.items()
                if table == self.table
                and column in self._field_columns(difference)
                and self.rewriter.chosen.get(key, "generated") != "hand-written"
            ]
            if others:
                raise _NotRewrittenError(
                    f"{self.table}.{column}'s field is rewritten whole, as scaffold writes it, but "
                    f"{', '.join(others)} is decided 'generated' (or not decided); decide every difference of "
                    "the column alike, or edit the field by hand"
                )

    def _field_columns(self, difference: Difference) -> list[str]:
        if difference.kind.startswith("column_") or difference.kind in ("enum_members", "column"):
            return [self._column_of(difference)]
        if difference.kind == "primary_key":
            return [*_columns(difference.hand_written), *_columns(difference.generated)]
        columns = _columns(difference.hand_written) or _columns(difference.generated)
        return columns if len(columns) == 1 else []

    def _field_name(self, column: str) -> str:
        generated = self.model.generated
        assert generated is not None and self.model.table is not None
        names = column_attribute_names(sa.inspect(generated), self.model.table)
        return names.get(column, column)

    def _statement(self, name: str) -> ast.AnnAssign | None:
        return next(
            (
                node
                for node in self.class_def.body
                if isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
            ),
            None,
        )

    def _inherited_from(self, name: str) -> str:
        """The base the field comes from, as the class statement writes it (``UserModel.ReferenceID``)."""
        node = self._base_supplying(name)
        if node is not None:
            return f"the base {ast.get_source_segment(self.source.text, node) or ast.unparse(node)}"
        for base in self.model.model.__mro__[1:]:
            if name in getattr(base, "model_fields", {}):
                return base.__qualname__
        return "a base class"

    def _base_supplying(self, name: str) -> ast.expr | None:
        """The class statement's base that brings the field ``name`` (bases as written ↔ ``__bases__``)."""
        bases = self.model.model.__bases__
        if len(bases) != len(self.class_def.bases):
            return None
        for base, node in zip(bases, self.class_def.bases, strict=True):
            if name in getattr(base, "model_fields", {}):
                return node
        return None

    def _reference_base(self, name: str) -> ast.expr | None:
        """The ``XModel.ReferenceID`` (``.Optional``) base bringing the field, when that is where it comes from."""
        node = self._base_supplying(name)
        text = ast.unparse(node) if node is not None else ""
        return node if text.endswith((".ReferenceID", ".ReferenceID.Optional")) else None

    def _remove_base(self, node: ast.expr) -> None:
        """Take one base out of the class statement, with the comma that separated it."""
        bases = self.class_def.bases
        index = bases.index(node)
        if index + 1 < len(bases):
            start, end = self.source.span(node)[0], self.source.span(bases[index + 1])[0]
        elif index > 0:
            start, end = self.source.span(bases[index - 1])[1], self.source.span(node)[1]
        else:
            raise _NotRewrittenError(f"{self.model.class_name}'s only base cannot be removed")
        self.source.replacements.append((start, end, ""))

    def _rewrite_field(self, column: str, keys: list[str]) -> None:
        generator, _ = self.rewriter.scaffold()
        planned = generator.field_for(self.table, column)
        exists = self.model.table is not None and column in self.model.table.c
        name = self._field_name(column) if exists else planned.name
        statement = self._statement(name)
        reference_base = self._reference_base(name) if exists and statement is None else None
        if exists and statement is None and reference_base is None:
            raise _NotRewrittenError(
                f"{self.table}.{column} comes from {self._inherited_from(name)}, not from a field of "
                f"{self.model.class_name}; change it there, or declare the field in the class by hand"
            )
        if reference_base is not None:  # the reference becomes a field of its own, as scaffold writes it
            self._remove_base(reference_base)
        plan = _renamed(planned, name, column)
        if statement is not None:
            plan = _keeping_validation(plan, statement, self.source)
        text = self._render(plan)
        if statement is not None:
            start, end = self.source.span(statement)
            self.source.replacements.append((start, end, text))
        else:
            self._insert_field(column, text)

    def _delete_field(self, column: str, key: str) -> None:
        name = self._field_name(column)
        statement = self._statement(name)
        if statement is None:
            raise _NotRewrittenError(
                f"{self.table}.{column} comes from {self._inherited_from(name)}, not from a field of "
                f"{self.model.class_name}; remove it there by hand"
            )
        self.source.replacements.append((*self.source.line_span(statement), ""))

    def _insert_field(self, column: str, text: str) -> None:
        """A new field goes where its column is in the hand-written table: after the field of the
        nearest column before it (a composite primary key's order is the fields' order)."""
        order = [c.name for c in self.rewriter.codebase.hand_written[self.table].table.columns]
        generated = self.model.table
        assert generated is not None
        for previous in reversed(order[: order.index(column)]):
            statement = self._statement(self._field_name(previous)) if previous in generated.c else None
            if statement is not None:
                self._insert_in_class(statement, text)
                return
        fields = [n for n in self.class_def.body if isinstance(n, ast.AnnAssign) and not _is_class_var(n)]
        if fields:
            at = self.source.offset(self._comments_above(fields[0]), 0)
            self.source.replacements.append((at, at, f"{self._indent()}{text}\n"))
        else:
            self._insert_in_class(self.class_def.body[-1], text)

    def _comments_above(self, statement: ast.stmt) -> int:
        """The first line of the comment block directly above ``statement`` (its own line if none)."""
        lines = self.source.lines
        first = statement.lineno
        while first > 1 and lines[first - 2].lstrip().startswith("#"):
            first -= 1
        return first

    def _insert_in_class(self, after: ast.stmt, text: str) -> None:
        at = self.source.line_span(after)[1]
        self.source.replacements.append((at, at, f"{self._indent()}{text}\n"))

    def _indent(self) -> str:
        first = self.class_def.body[0]
        line = self.source.lines[first.lineno - 1]
        return line[: len(line) - len(line.lstrip())]

    def _render(self, plan: FieldPlan) -> str:
        """The field as scaffold renders it, formatted at the class body's indentation, its imports noted."""
        imports = Imports()
        text = render_field(plan, imports)
        self._need(imports, plan)
        return self._formatted(text)

    def _formatted(self, statement: str) -> str:
        indent = self._indent()
        formatted = format_source(statement + "\n", LINE_LENGTH - len(indent)).rstrip("\n")
        return formatted.replace("\n", "\n" + indent)

    def _need(self, imports: Imports, plan: FieldPlan | None = None, exprs: Sequence[Expr] = ()) -> None:
        """Record the imports a rendered text needs that the module lacks; define scaffold's enums it uses."""
        source = self.source
        bound = source.bound_names() | set(source.new_enums)
        for module, alias in imports.modules.items():
            origin = Import(module, None, alias)
            if origin.bound not in bound:
                source.new_imports.append(origin)
        for module, names in imports.names.items():
            for name in sorted(names):
                if name in bound or module == source.module:
                    continue
                if self._enum_source(module, name) is not None and not self._defines(module, name):
                    self._define_enum(module, name)
                else:
                    source.new_imports.append(Import(module, name))
        local = {n.text for n in _names(plan, exprs) if n.origin is None and not hasattr(builtins, n.text)}
        for name in sorted(local - bound):
            if self._enum_source(source.module, name) is None:
                raise _NotRewrittenError(
                    f"the rewritten field uses {name}, which {source.path.name} does not define"
                )
            self._define_enum(source.module, name)
        for name in sorted(local & source.bound_names()):
            self._check_enum(name)

    def _defines(self, module: str, name: str) -> bool:
        loaded = self.rewriter.codebase.modules.get(module)
        return loaded is not None and hasattr(loaded, name)

    def _enum_source(self, module: str, name: str) -> str | None:
        """The source of the enum class scaffold defines as ``module.name``, when it does."""
        _, result = self.rewriter.scaffold()
        text = result.modules.get(module)
        if text is None:
            return None
        tree = ast.parse(text)
        node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
        if node is None or not any("Enum" in ast.unparse(b) or "Flag" in ast.unparse(b) for b in node.bases):
            return None
        return ast.get_source_segment(text, node)

    def _define_enum(self, module: str, name: str) -> None:
        """Scaffold's enum class, inserted before the model's class (scaffold defines enums inline)."""
        text = self._enum_source(module, name)
        assert text is not None
        imports = Imports()
        imports.add(Import("enum"))
        self._need(imports)
        formatted = format_source(text + "\n").rstrip("\n")
        source = self.source
        source.new_enums[name] = formatted
        at = source.offset(_first_line(self.class_def), 0)
        source.replacements.append((at, at, f"{formatted}\n\n\n"))

    def _check_enum(self, name: str) -> None:
        """An enum the module already defines must have the hand-written members, or is rewritten too."""
        wanted = self._enum_source(self.source.module, name)
        loaded = getattr(self.rewriter.codebase.modules.get(self.source.module), name, None)
        if wanted is None or not (isinstance(loaded, type) and issubclass(loaded, enum.Enum)):
            return
        wanted_members = _enum_members(wanted)
        if wanted_members == [(m.name, m.value) for m in loaded]:
            return
        node = self.source.class_def(name)
        if node is None:
            raise _NotRewrittenError(
                f"enum {name} is not a class of {self.source.path.name}; give it the members by hand"
            )
        if name in self.source.rewritten_enums:
            return
        self.source.rewritten_enums.add(name)
        # The members only: the class statement (its bases, a trailing comment) stays as written.
        formatted = format_source(wanted + "\n")
        body = ast.parse(formatted).body[0]
        assert isinstance(body, ast.ClassDef)
        members = formatted.splitlines(keepends=True)[body.body[0].lineno - 1 : body.body[-1].end_lineno]
        first_line = self.source.lines[node.body[0].lineno - 1]
        indent = first_line[: len(first_line) - len(first_line.lstrip())]
        text = "".join(indent + line.lstrip(" ") if line.strip() else line for line in members).rstrip("\n")
        start = self.source.offset(node.body[0].lineno, 0)
        self.source.replacements.append((start, self.source.span(node.body[-1])[1], text))

    # -- table_args -------------------------------------------------------------------------------------
    def _scaffold_item(self, kind: str, definition: Any) -> Expr | None:
        generator, _ = self.rewriter.scaffold()
        model = generator.models.get(self.table)
        if model is None:
            return None
        wanted = _CONSTRAINT_CLASSES[kind]
        for item in model.table_args:
            if (
                isinstance(item, Call)
                and isinstance(item.func, Attribute)
                and item.func.attr == wanted
                and _item_matches(kind, _call_name(item), _call_columns(kind, item), definition)
            ):
                return item
        return None

    def _table_args(self) -> ast.AnnAssign | ast.Assign | None:
        for node in self.class_def.body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "table_args":
                return node  # type: ignore[return-value]
        return None

    def _model_item(self, kind: str, definition: Any) -> ast.expr | None:
        statement = self._table_args()
        if statement is None or not isinstance(statement.value, ast.Tuple | ast.List):
            return None
        wanted = _CONSTRAINT_CLASSES[kind]
        for element in statement.value.elts:
            if not isinstance(element, ast.Call):
                continue
            func = element.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called != wanted:
                continue
            name, columns = _ast_name_and_columns(kind, element)
            if _item_matches(kind, name, columns, definition):
                return element
        return None

    def _rewrite_table_args(self) -> None:
        """``table_args`` written again: its items kept as written, minus the removed, plus scaffold's new ones."""
        statement = self._table_args()
        inherited = getattr(self.model.model, "table_args", ())
        if statement is None and inherited:
            raise _NotRewrittenError(
                f"{self.model.class_name} inherits table_args; add or remove the constraint there by hand"
            )
        if statement is not None and not isinstance(statement.value, ast.Tuple | ast.List):
            raise _NotRewrittenError(
                f"{self.model.class_name}.table_args is not a literal tuple; edit it in {self.model.file} by hand"
            )
        removed = {id(node) for _, node in self.removed_items}
        kept = []
        if statement is not None:
            kept = [
                ast.get_source_segment(self.source.text, element) or ast.unparse(element)
                for element in statement.value.elts  # type: ignore[union-attr]
                if id(element) not in removed
            ]
        imports = Imports()
        for _, item in self.added_items:
            for origin in item.origins():
                imports.add(origin)
        imports.add(Import("typing", "ClassVar"))
        self._need(imports, exprs=[item for _, item in self.added_items])
        items = [*kept, *(item.render() for _, item in self.added_items)]
        if statement is None:
            body = "table_args: ClassVar[tuple] = (" + "".join(f"{i}, " for i in items) + ")"
            self._insert_class_var(self._formatted(body))
        elif not items:
            self.source.replacements.append((*self.source.line_span(statement), ""))
        else:
            head = self.source.text[slice(*self.source.span(statement))].split("=", 1)[0].rstrip()
            body = f"{head} = (" + "".join(f"{i}, " for i in items) + ")"
            self.source.replacements.append((*self.source.span(statement), self._formatted(body)))

    def _insert_class_var(self, text: str) -> None:
        """After the class's docstring and class variables, before its fields."""
        body = self.class_def.body
        before = [n for n in body if _is_class_var(n) or _is_docstring(n)]
        if before:
            self._insert_in_class(before[-1], text)
        else:
            at = self.source.offset(_first_line(body[0]), 0)
            self.source.replacements.append((at, at, f"{self._indent()}{text}\n"))

    # -- the comment ---------------------------------------------------------------------------------
    def _rewrite_comment(self, key: str, comment: str | None) -> None:
        statement = next(
            (
                n
                for n in self.class_def.body
                if isinstance(n, ast.AnnAssign | ast.Assign)
                and any(
                    isinstance(t, ast.Name) and t.id == "table_comment"
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                )
            ),
            None,
        )
        if comment is None:
            if statement is None:
                raise _NotRewrittenError(
                    f"{self.model.class_name} inherits table_comment; remove it there by hand"
                )
            self.source.replacements.append((*self.source.line_span(statement), ""))
            return
        imports = Imports()
        imports.add(Import("typing", "ClassVar"))
        self._need(imports)
        text = self._formatted(f"table_comment: ClassVar[str] = {Constant(comment).render()}")
        if statement is None:
            self._insert_class_var(text)
        else:
            self.source.replacements.append((*self.source.span(statement), text))


# -- small helpers ------------------------------------------------------------------------------------
class _Verbatim(Expr):
    """A piece of existing source kept as written (a ``Field`` keyword the database never sees)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def render(self) -> str:
        return self.text


def _renamed(planned: FieldPlan, name: str, column: str) -> FieldPlan:
    """Scaffold's field under the model's own field name (``DBColumn(name=...)`` when it is not the column's)."""
    from dataclasses import replace

    options = dict(planned.options)
    if name == column:
        options.pop("name", None)
    else:
        options["name"] = column
    return replace(planned, name=name, options=options)


def _keeping_validation(plan: FieldPlan, statement: ast.AnnAssign, source: _Source) -> FieldPlan:
    """The plan plus the existing ``Field(...)``'s validation keywords that scaffold does not set."""
    from dataclasses import replace

    value = statement.value
    if not isinstance(value, ast.Call):
        return plan
    func = value.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called != "Field":
        return plan
    constraints = dict(plan.constraints)
    for keyword in value.keywords:
        if keyword.arg is None or keyword.arg in _DDL_FIELD_KEYWORDS or keyword.arg in constraints:
            continue
        segment = ast.get_source_segment(source.text, keyword.value)
        if segment is not None and "\n" not in segment:
            constraints[keyword.arg] = _Verbatim(segment)
    return replace(plan, constraints=constraints)


def _names(plan: FieldPlan | None, exprs: Sequence[Expr]) -> Iterator[Name]:
    roots: list[Expr] = list(exprs)
    if plan is not None:
        roots += [plan.annotation, *(v for v in plan.options.values() if isinstance(v, Expr))]
        roots += [e for e in (plan.default, plan.default_factory) if e is not None]
    stack = roots
    while stack:
        expr = stack.pop()
        if isinstance(expr, Name):
            yield expr
        stack.extend(expr.children())


def _position(order: list[str], column: str) -> tuple[int, str]:
    return (order.index(column) if column in order else len(order), column)


def _columns(definition: Any) -> list[str]:
    if isinstance(definition, dict):
        return list(definition.get("columns") or ())
    if isinstance(definition, list):
        return [c for c in definition if isinstance(c, str)]
    return []


def _item_matches(kind: str, name: str | None, columns: list[str] | None, definition: Any) -> bool:
    """Whether a ``table_args`` item is the constraint parity describes (by name, else by columns)."""
    wanted_name = definition.get("name") if isinstance(definition, dict) else None
    if wanted_name and name:
        return bool(wanted_name == name)
    if kind == "check":
        return False
    return columns is not None and columns == _columns(definition)


def _literal(expr: Expr) -> Any:
    if isinstance(expr, Constant):
        return expr.value
    if isinstance(expr, Call) and expr.args:
        return _literal(expr.args[0])  # conv("name")
    return None


def _call_name(item: Call) -> str | None:
    named = dict(item.kwargs).get("name")
    if named is not None:
        return _literal(named)
    if isinstance(item.func, Attribute) and item.func.attr == "Index" and item.args:
        return _literal(item.args[0])
    return None


def _call_columns(kind: str, item: Call) -> list[str] | None:
    args = item.args[1:] if kind == "index" else item.args
    if kind == "foreign_key":
        args = item.args[:1]
        values = [_literal(a) for a in getattr(args[0], "items", ())] if args else []
    else:
        values = [_literal(a) for a in args]
    return values if values and all(isinstance(v, str) for v in values) else None


def _ast_name_and_columns(kind: str, call: ast.Call) -> tuple[str | None, list[str] | None]:
    def literal(node: ast.expr) -> Any:
        try:
            return ast.literal_eval(node)
        except ValueError:
            return None

    name = next((literal(k.value) for k in call.keywords if k.arg == "name"), None)
    args = list(call.args)
    if kind == "index" and args:
        name = name or literal(args[0])
        args = args[1:]
    values = [literal(a) for a in args]
    if kind == "foreign_key":
        first = values[0] if values else None
        values = list(first) if isinstance(first, list | tuple) else []
    columns = values if values and all(isinstance(v, str) for v in values) else None
    return name if isinstance(name, str) else None, columns


def _is_class_var(node: ast.stmt) -> bool:
    return isinstance(node, ast.AnnAssign) and "ClassVar" in ast.unparse(node.annotation)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _first_line(node: ast.stmt) -> int:
    """The statement's first line, its decorators included."""
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])


def _enum_members(text: str) -> list[tuple[str, Any]]:
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.ClassDef)
    members = []
    for statement in node.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            try:
                members.append((statement.targets[0].id, ast.literal_eval(statement.value)))
            except ValueError:
                members.append((statement.targets[0].id, ast.unparse(statement.value)))
    return members
