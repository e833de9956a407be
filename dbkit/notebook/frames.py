"""Report frames: inventory, parity and diff as pandas DataFrames, styled by phase, level and risk.

Each ``*_table`` function returns a :class:`ReportTable`: the plain ``frame`` (for filtering and
tests), its ``styler`` (colours, with a fixed element id so outputs are identical run after run)
and a display that shows the styled HTML in JupyterLab and readable text everywhere else (a
Styler's own text form carries a memory address, and an untrusted notebook strips the colours).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dbkit.migrate.diff.changes import (
    AddColumn,
    AddEnumValue,
    AddTable,
    AlterColumn,
    AlterTableComment,
    DropColumn,
    DropTable,
    EnumValueChange,
    RenameConstraint,
    Renamed,
    json_value,
)
from dbkit.text import shorten

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

    from dbkit.migrate.diff.changes import Change
    from dbkit.migrate.diff.hints import HintedDiff
    from dbkit.migrate.diff.lint import Verdict
    from dbkit.migrate.revisions.verify import VerifyReport
    from dbkit.migrate.source.inventory import Inventory
    from dbkit.migrate.source.parity import ParityReport

#: Background colours, one per value a report column can take (light, readable with black text).
PHASE_COLOURS = {"hand_written": "#fde2e1", "hybrid": "#fff3c4", "generated": "#d9f2d9"}
LEVEL_COLOURS = {"schema": "#fde2e1", "orm": "#fff3c4", "cosmetic": "#e8eef7"}
STATUS_COLOURS = {
    "match": "#d9f2d9",
    "differs": "#fde2e1",
    "hand_written_only": "#f0f0f0",
    "generated_only": "#e8eef7",
}
RISK_COLOURS = {
    "safe": "#d9f2d9",
    "data_dependent": "#fff3c4",
    "backward_incompatible": "#ffe0b3",
    "destructive": "#fde2e1",
}
VERDICT_COLOURS = {"refused": "#f8b4b4", "waived": "#ffe0b3", "backfilled": "#fff3c4", "ok": "#d9f2d9"}


@dataclass(frozen=True)
class ReportTable:
    """A report frame with its styling; displays as styled HTML, prints as plain text."""

    frame: pd.DataFrame
    styler: Styler
    title: str = ""

    def _repr_html_(self) -> str:
        return self.styler.to_html()

    def __repr__(self) -> str:
        if self.frame.empty:
            return f"{self.title}: (none)" if self.title else "(none)"
        text = self.frame.to_string(index=False)
        return f"{self.title}\n{text}" if self.title else text

    def to_html(self) -> str:
        return self.styler.to_html()


def _styled(
    frame: pd.DataFrame, uuid: str, colours: Mapping[str, Mapping[str, str]], caption: str = ""
) -> Styler:
    """A Styler with a fixed id, no index, and each ``column`` coloured by its value."""
    styler = frame.style.set_uuid(uuid).hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    for column, palette in colours.items():
        if column in frame.columns:
            styler = styler.map(_colour_by(palette), subset=[column])
    return styler.set_table_styles(
        [
            {"selector": "th", "props": "text-align: left; padding: 2px 8px;"},
            {"selector": "td", "props": "text-align: left; padding: 2px 8px; color: black;"},
        ]
    )


def _colour_by(palette: Mapping[str, str]) -> Callable[[Any], str]:
    def colour(value: Any) -> str:
        background = palette.get(str(value))
        return f"background-color: {background}" if background else ""

    return colour


def _table(
    frame: pd.DataFrame, uuid: str, colours: Mapping[str, Mapping[str, str]], title: str
) -> ReportTable:
    return ReportTable(frame, _styled(frame, uuid, colours), title)


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns).fillna("").astype(object)


# -- inventory ----------------------------------------------------------------------------------
INVENTORY_COLUMNS = ["table", "phase", "hand-written model", "generated model"]


def inventory_table(inventory: Inventory) -> ReportTable:
    """One row per table: its phase and the classes (and files) defining it."""
    rows = [
        {
            "table": entry.table,
            "phase": entry.phase,
            "hand-written model": _model_ref(entry.hand_written),
            "generated model": _model_ref(entry.generated),
        }
        for entry in inventory.tables
    ]
    return _table(_frame(rows, INVENTORY_COLUMNS), "dbkit-inventory", {"phase": PHASE_COLOURS}, "Inventory")


def _model_ref(ref: Any) -> str:
    if ref is None:
        return ""
    return f"{ref.class_name or 'Table'} ({ref.file})"


PROBLEM_COLUMNS = ["severity", "file", "line", "kind", "cause"]


def problems_table(inventory: Inventory) -> ReportTable:
    """The loader's problems and model-file warnings, one per row."""
    rows = [
        {
            "severity": p.severity,
            "file": p.file,
            "line": p.line or "",
            "kind": p.kind,
            "cause": p.cause,
        }
        for p in inventory.problems
    ]
    colours = {"severity": {"error": "#f8b4b4", "warning": "#fff3c4"}}
    return _table(_frame(rows, PROBLEM_COLUMNS), "dbkit-problems", colours, "Problems")


# -- parity -------------------------------------------------------------------------------------
PARITY_SUMMARY_COLUMNS = ["table", "status", "schema", "orm", "cosmetic"]
PARITY_COLUMNS = ["table", "level", "kind", "object", "hand-written", "generated"]


def parity_summary_table(report: ParityReport) -> ReportTable:
    """One row per table: its parity status and how many differences of each level it has."""
    rows = []
    for table in report.tables:
        counts = {level: 0 for level in ("schema", "orm", "cosmetic")}
        for difference in table.differences:
            counts[difference.level] += 1
        rows.append({"table": table.table, "status": table.status, **counts})
    return _table(
        _frame(rows, PARITY_SUMMARY_COLUMNS),
        "dbkit-parity-summary",
        {"status": STATUS_COLOURS},
        "Parity by table",
    )


def parity_table(
    report: ParityReport, levels: tuple[str, ...] = ("schema", "orm", "cosmetic")
) -> ReportTable:
    """One row per difference (of the given levels), schema first: what each side says."""
    rows = [
        {
            "table": table,
            "level": difference.level,
            "kind": difference.kind,
            "object": difference.object,
            "hand-written": _value_text(difference.hand_written),
            "generated": _value_text(difference.generated),
        }
        for table, difference in report.differences()
        if difference.level in levels
    ]
    return _table(
        _frame(rows, PARITY_COLUMNS), "dbkit-parity", {"level": LEVEL_COLOURS}, "Parity differences"
    )


def _value_text(value: Any) -> str:
    """A difference's value as short text: types by label, constraints by name and columns."""
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        if "kind" in value:
            from dbkit.migrate.schema.snapshot import TypeSpec

            return TypeSpec.from_dict(value).label()
        if "columns" in value:
            name = f"{value['name']} " if value.get("name") else ""
            return f"{name}({', '.join(value['columns'])})"
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return "NULL" if value else "NOT NULL"
    return str(value)


# -- diff and lint -------------------------------------------------------------------------------
DIFF_COLUMNS = ["table", "change", "target", "risk", "detail", "verdict"]


def describe_change(change: Change) -> str:
    """What a change does, in words (the ``detail`` column)."""
    if isinstance(change, Renamed):
        return f"{change.old} → {change.new}"
    if isinstance(change, RenameConstraint):
        return f"{change.kind.replace('_', ' ')} {change.old} → {change.new}"
    if isinstance(change, AddColumn | DropColumn):
        column = change.definition
        text = f"{column.type.label()} {'NULL' if column.nullable else 'NOT NULL'}"
        return text + (f" DEFAULT {column.server_default}" if column.server_default else "")
    if isinstance(change, AlterColumn):
        return "; ".join(
            f"{name}: {_value_text(json_value(pair.old))} → {_value_text(json_value(pair.new))}"
            for name, pair in change.changed()
        )
    if isinstance(change, EnumValueChange):
        return f"{change.enum}: {'+' if isinstance(change, AddEnumValue) else '-'}{change.value}"
    if isinstance(change, AddTable | DropTable):
        return f"{len(change.definition.columns)} columns"
    if isinstance(change, AlterTableComment):
        return f"comment: {_value_text(change.old)} → {_value_text(change.new)}"
    return _value_text(json_value(change.described))  # a constraint, an index or the primary key


def verdict_label(change: Change, verdict: Verdict | None) -> str:
    """``refused`` / ``waived`` / ``backfilled`` / ``ok`` for one change under ``verdict``."""
    if verdict is None:
        return ""
    for finding in verdict.findings:
        if finding.change is change or finding.change == change:
            if finding.refusal:
                return "refused"
            if finding.plan is not None and finding.plan.strategy != "server_default":
                return "backfilled"
            return "waived" if str(change.risk) == "destructive" else "ok"
    return ""


def diff_frame(changes: tuple[Change, ...] | list[Change], verdict: Verdict | None = None) -> pd.DataFrame:
    rows = [
        {
            "table": change.table or "",
            "change": str(change.op),
            "target": change.target,
            "risk": str(change.risk),
            "detail": describe_change(change),
            "verdict": verdict_label(change, verdict),
        }
        for change in changes
    ]
    return _frame(rows, DIFF_COLUMNS)


def diff_table(diff: HintedDiff, verdict: Verdict | None = None, *, uuid: str = "dbkit-diff") -> ReportTable:
    """One row per change, in migration order, with its risk and (given a verdict) lint's decision."""
    frame = diff_frame(diff.changes, verdict)
    return _table(frame, uuid, {"risk": RISK_COLOURS, "verdict": VERDICT_COLOURS}, "Changes")


SUGGESTION_COLUMNS = ["kind", "table", "old", "new", "score", "what to do"]


def suggestion_rows(diff: HintedDiff) -> list[dict[str, str]]:
    """One row of :data:`SUGGESTION_COLUMNS` per rename suggestion (the notebook table and the Markdown report)."""
    return [
        {
            "kind": s.kind,
            "table": s.table,
            "old": s.old,
            "new": s.new,
            "score": f"{s.score:.2f}",
            "what to do": s.hint,
        }
        for s in diff.suggestions
    ]


def suggestions_table(diff: HintedDiff) -> ReportTable:
    """Rename suggestions: drop+add pairs that look like renames (never applied unless hinted)."""
    return _table(
        _frame(suggestion_rows(diff), SUGGESTION_COLUMNS), "dbkit-suggestions", {}, "Rename suggestions"
    )


def verdict_text(verdict: Verdict) -> str:
    """Lint's decision and its backfill plans, as text for a notebook's output."""
    lines = [verdict.message]
    lines.extend(f"backfill {plan.table}.{plan.column}: {'; '.join(plan.steps)}" for plan in verdict.plans)
    return "\n".join(lines)


def verify_text(report: VerifyReport, width: int = 50) -> str:
    """``verify``'s outcome and one line per step (direction, message, problems), for a notebook."""
    lines = [f"verify: {'PASSED' if report.passed else 'FAILED'}"]
    for step in report.steps:
        message = shorten(step.message.splitlines()[0] if step.message else "", width)
        lines.append(f"  {step.direction:<6} {message:<{width}} problems: {len(step.problems)}")
        lines.extend(f"         - {problem}" for problem in step.problems)
    return "\n".join(lines)
