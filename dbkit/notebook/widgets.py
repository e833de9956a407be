"""ipywidgets panels that let a reviewer look, decide, then write: the Phase 1 parity decisions
(:class:`ParityDecisions`) and the review of the next revision (:class:`ReviewPanel`).

The panel shows the changes from the versions directory's head (or ``from_source``) to the new
schema, filtered by table and risk; a reviewer accepts or rejects each rename suggestion, waives
destructive changes one by one, and writes the revision with a button that stays disabled while
lint refuses something. All logic lives in plain methods over the widgets' values, so tests drive
it by setting values and clicking, without a browser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbkit.notebook.frames import RISK_COLOURS, VERDICT_COLOURS, _styled, diff_frame

if TYPE_CHECKING:
    import pandas as pd

    from dbkit.migrate.api import RevisionPlan
    from dbkit.migrate.codemod.parity_fix import Decision, ParityFixPlan
    from dbkit.migrate.diff.hints import RenameSuggestion
    from dbkit.migrate.revisions.writer import WrittenRevision
    from dbkit.migrate.schema.snapshot import Snapshot
    from dbkit.migrate.source.parity import Difference, ParityReport

ALL_TABLES = "(all tables)"
ACCEPT, REJECT = "accept", "reject"


def suggestion_key(suggestion: RenameSuggestion) -> str:
    """``users.fullname->full_name``: how the facade's ``accepted_renames`` names a column rename."""
    return f"{suggestion.table}.{suggestion.old}->{suggestion.new}"


class ReviewPanel:
    """Review the next revision of ``versions_dir`` towards ``new`` (a codebase, snapshot file or Snapshot)."""

    def __init__(
        self,
        new: str | Path | Snapshot,
        versions_dir: str | Path,
        *,
        from_source: str | Path | Snapshot | None = None,
        backfills: Mapping[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        import ipywidgets as widgets

        self.versions_dir = Path(versions_dir)
        self.backfills = dict(backfills or {})
        self.message = message
        #: Both schemas are computed once (a codebase is loaded a single time, not on every click).
        self.new = _snapshot(new)
        self.from_source = _snapshot(from_source) if from_source is not None else None
        self.written: list[WrittenRevision] = []
        initial = self._plan_without_waivers(())
        self.suggestions = tuple(s for s in initial.diff.suggestions if s.kind == "column")
        tables = sorted({c.table for c in initial.changes if c.table} | {s.table for s in self.suggestions})
        risks = list(RISK_COLOURS)
        self.table_filter = widgets.Dropdown(
            options=[ALL_TABLES, *tables], value=ALL_TABLES, description="Table"
        )
        self.risk_filter = widgets.SelectMultiple(
            options=risks, value=tuple(risks), description="Risk", rows=4
        )
        self.rename_choices = {
            suggestion_key(s): widgets.ToggleButtons(
                options=[REJECT, ACCEPT], value=REJECT, description=f"{s.table}: {s.old} → {s.new}"
            )
            for s in self.suggestions
        }
        self.waivers: dict[str, Any] = {}
        self.waiver_box = widgets.VBox()
        self.changes_view = widgets.HTML()
        self.status = widgets.HTML()
        self.write_button = widgets.Button(description="Write revision", button_style="primary")
        self.write_button.on_click(self.write)
        for control in (self.table_filter, self.risk_filter, *self.rename_choices.values()):
            control.observe(self._changed, names="value")
        renames = widgets.VBox(
            [widgets.HTML("<b>Rename suggestions</b>"), *self.rename_choices.values()]
            if self.rename_choices
            else [widgets.HTML("<b>Rename suggestions</b>: none")]
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.table_filter, self.risk_filter]),
                self.changes_view,
                renames,
                self.waiver_box,
                self.status,
                self.write_button,
            ]
        )
        self.plan: RevisionPlan = initial
        self.refresh()

    # -- decisions -------------------------------------------------------------------------------
    @property
    def accepted_renames(self) -> list[str]:
        return [key for key, toggle in self.rename_choices.items() if toggle.value == ACCEPT]

    @property
    def waived(self) -> list[str]:
        return [target for target, box in self.waivers.items() if box.value]

    def _plan_without_waivers(self, accepted: tuple[str, ...] | list[str]) -> RevisionPlan:
        from dbkit.migrate import api

        return api.plan_revision(
            self.new,
            self.versions_dir,
            message=self.message,
            from_source=self.from_source,
            backfills=self.backfills,
            accepted_renames=accepted,
        )

    def compute_plan(self) -> RevisionPlan:
        """The plan with the accepted renames, linted with the waived drops."""
        plan = self._plan_without_waivers(self.accepted_renames)
        verdict = plan.diff.lint(waivers=self.waived, backfills=self.backfills, snapshot=plan.new)
        return dataclasses.replace(plan, verdict=verdict)

    # -- view ----------------------------------------------------------------------------------
    def visible_frame(self) -> pd.DataFrame:
        """The plan's changes that pass the table and risk filters."""
        frame = diff_frame(self.plan.changes, self.plan.verdict)
        if self.table_filter.value != ALL_TABLES:
            frame = frame[frame["table"] == self.table_filter.value]
        return frame[frame["risk"].isin(self.risk_filter.value)].reset_index(drop=True)

    def _changed(self, _change: Any = None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Re-plan with the current decisions and redraw every part of the panel."""
        self.plan = self.compute_plan()
        self._sync_waivers()
        frame = self.visible_frame()
        colours = {"risk": RISK_COLOURS, "verdict": VERDICT_COLOURS}
        self.changes_view.value = (
            _styled(frame, "dbkit-review", colours).to_html()
            if not frame.empty
            else "<i>No change matches the filters.</i>"
        )
        if self.written:
            return
        self.status.value = "<pre>" + _escape(self.status_text()) + "</pre>"
        self.write_button.disabled = not self.plan.allowed or not (self.plan.changes or self.plan.baseline)

    def _sync_waivers(self) -> None:
        """One checkbox per destructive change (accepting a rename can remove a drop)."""
        import ipywidgets as widgets

        targets = [str(c.target) for c in self.plan.changes if str(c.risk) == "destructive"]
        if list(self.waivers) == targets:
            return
        kept = {t: self.waivers[t] for t in targets if t in self.waivers}
        for target in targets:
            if target not in kept:
                box = widgets.Checkbox(value=False, description=f"waive: drop {target}", indent=False)
                box.observe(self._changed, names="value")
                kept[target] = box
        self.waivers = kept
        header = widgets.HTML("<b>Destructive changes</b>" + ("" if targets else ": none"))
        self.waiver_box.children = (header, *kept.values())

    def status_text(self) -> str:
        plan = self.plan
        if not plan.changes and not plan.baseline:
            return "Nothing to write: the versions directory already leads to this schema."
        count = len(plan.changes)
        lines = [f"{count} change{'s' if count != 1 else ''}; {plan.verdict.message}"]
        lines.extend(f"waived: drop {target}" for target in self.waived)
        lines.extend(f"accepted rename: {key}" for key in self.accepted_renames)
        return "\n".join(lines)

    # -- action --------------------------------------------------------------------------------
    def write(self, _button: Any = None) -> list[WrittenRevision]:
        """Write the revision as reviewed; refused plans write nothing and say why."""
        from dbkit.errors import DbkitError
        from dbkit.migrate import api

        plan = self.compute_plan()
        if not plan.allowed:
            self.status.value = "<pre>" + _escape(plan.verdict.message) + "</pre>"
            return []
        try:
            written = api.write_planned_revision(plan, self.versions_dir)
        except DbkitError as exc:
            self.status.value = "<pre>" + _escape(f"Not written: {exc}") + "</pre>"
            return []
        self.written = written
        self.write_button.disabled = True
        self.status.value = "<pre>" + _escape(self.written_text()) + "</pre>"
        return written

    def written_text(self) -> str:
        names = ", ".join(f'"{w.path.name.split("_", 1)[1]}"' for w in self.written)
        return f"Wrote {len(self.written)} revision file(s) into the versions directory: {names}"

    # -- display -------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        frame = self.visible_frame()
        table = frame.to_string(index=False) if not frame.empty else "(no change matches the filters)"
        suggestions = [
            f"rename suggestion {key}: {toggle.value}" for key, toggle in self.rename_choices.items()
        ]
        return "\n".join(
            ["Review panel (run the notebook to use the controls)", table, *suggestions, self.status_text()]
        )


def _snapshot(source: str | Path | Snapshot) -> Snapshot:
    from dbkit.migrate import api
    from dbkit.migrate.schema.snapshot import Snapshot

    return source if isinstance(source, Snapshot) else api.snapshot_of(source)


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


# -- Phase 1: a decision per parity difference -----------------------------------------------------
#: What each decision means to the reviewer, as the toggle labels it.
DECISION_LABELS = {"hand-written": "database is right", "generated": "model is right"}


class ParityDecisions:
    """One row per schema difference of ``report`` with a "database is right / model is right" toggle,
    a preview of what the decisions do (the ``BLL_*.py`` diff, the revision items with their lint
    verdicts, what cannot be rewritten), and a button naming the files it writes.

    Every difference starts as "model is right" unless ``decisions`` says otherwise: nothing in the
    source changes until the reviewer decides so and presses the button. Unattended runs (nbval,
    papermill) pass ``decisions`` from a notebook parameter and call :meth:`apply`.
    """

    def __init__(
        self,
        codebase: str | Path,
        report: ParityReport,
        decisions: Mapping[str, Decision] | Decision | None = None,
    ) -> None:
        import ipywidgets as widgets

        from dbkit.migrate import api
        from dbkit.migrate.codemod.parity_fix import resolve_decisions, schema_difference_keys

        self.path = Path(codebase)
        self.report = report
        self.differences = schema_difference_keys(report)
        initial = resolve_decisions(decisions, self.differences)
        #: Loaded once: every re-plan after a toggle reuses it.
        self._codebase = api.load(self.path, strict=True)
        self._plans: dict[tuple[tuple[str, str], ...], ParityFixPlan] = {}
        self.written: list[Path] = []
        self.toggles = {
            key: widgets.ToggleButtons(
                options=[(label, value) for value, label in DECISION_LABELS.items()],
                value=initial[key],
                style={"button_width": "9.5em"},
            )
            for key in self.differences
        }
        self.preview = widgets.HTML()
        self.status = widgets.HTML()
        self.button = widgets.Button(button_style="primary", layout={"width": "auto"})
        self.button.on_click(self.apply)
        for toggle in self.toggles.values():
            toggle.observe(self._changed, names="value")
        rows = [
            widgets.HBox(
                [
                    widgets.HTML(f"<b>{_escape(table)}</b>", layout={"width": "9em"}),
                    widgets.HTML(_escape(_field(table, difference)), layout={"width": "14em"}),
                    widgets.HTML(_escape(_what(difference)), layout={"width": "26em"}),
                    self.toggles[key],
                ]
            )
            for key, (table, difference) in self.differences.items()
        ]
        if not rows:
            rows = [widgets.HTML("<i>No schema-level difference: nothing to decide.</i>")]
        self.widget = widgets.VBox([*rows, self.preview, self.status, self.button])
        self.refresh()

    @property
    def decisions(self) -> dict[str, Decision]:
        return {key: toggle.value for key, toggle in self.toggles.items()}

    def plan(self) -> ParityFixPlan:
        """The plan of the current decisions (computed once per set of decisions)."""
        from dbkit.migrate.codemod.parity_fix import plan_parity_fixes

        decisions = self.decisions
        key = tuple(sorted(decisions.items()))
        if key not in self._plans:
            self._plans[key] = plan_parity_fixes(self._codebase, decisions)
        return self._plans[key]

    def _changed(self, _change: Any = None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Re-plan with the current decisions; redraw the preview and the button."""
        if self.written:
            return
        plan = self.plan()
        self.preview.value = "<pre>" + _escape(plan.text() or "Nothing to change.") + "</pre>"
        self.button.description = button_text(plan)
        self.button.disabled = not plan.edits

    def apply(self, _button: Any = None) -> list[Path]:
        """Write the rewrite of the "database is right" decisions (what the button does); the written paths."""
        from dbkit.errors import DbkitError

        if self.written:
            return []
        plan = self.plan()
        try:
            written = plan.write()
        except DbkitError as exc:
            self.status.value = "<pre>" + _escape(f"Not written: {exc}") + "</pre>"
            return []
        self.written = written
        self.button.disabled = True
        for toggle in self.toggles.values():
            toggle.disabled = True
        self.status.value = "<pre>" + _escape(self.status_text()) + "</pre>"
        return written

    def status_text(self) -> str:
        if not self.written:
            return ""
        names = ", ".join(path.name for path in self.written)
        return f"Wrote {len(self.written)} file{'s' if len(self.written) != 1 else ''}: {names}"

    # -- display -------------------------------------------------------------------------------
    def rows(self) -> list[tuple[str, str, str, str]]:
        """One row per difference: table, field, what differs, the decision."""
        return [
            (table, _field(table, difference), _what(difference), DECISION_LABELS[self.toggles[key].value])
            for key, (table, difference) in self.differences.items()
        ]

    def __repr__(self) -> str:
        plan = self.plan()
        rows = [" | ".join(row) for row in self.rows()] or ["No schema-level difference: nothing to decide."]
        lines = ["Parity decisions (run the notebook to use the controls)", *rows, plan.text().rstrip("\n")]
        lines.append(self.status_text() or button_text(plan))
        return "\n".join(line for line in lines if line)

    def _repr_html_(self) -> str:
        """A static rendering (an untrusted notebook, or a widget that is not running)."""
        plan = self.plan()
        rows = "".join(
            "<tr>" + "".join(f"<td>{_escape(cell)}</td>" for cell in row) + "</tr>" for row in self.rows()
        )
        head = "".join(f"<th>{name}</th>" for name in ("table", "field", "what differs", "decision"))
        status = self.status_text() or button_text(plan)
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f"<pre>{_escape(plan.text())}</pre><p>{_escape(status)}</p>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self._repr_html_()
        return bundle


def parity_decisions(
    codebase: str | Path,
    report: ParityReport,
    decisions: Mapping[str, Decision] | Decision | None = None,
) -> ParityDecisions:
    """The Phase 1 decision widget for ``codebase``'s parity ``report`` (see :class:`ParityDecisions`)."""
    return ParityDecisions(codebase, report, decisions)


def button_text(plan: ParityFixPlan) -> str:
    """``Write 2 files: BLL_Auth.py, BLL_Teams.py``: the button names what it writes."""
    if not plan.edits:
        return "Nothing to write"
    count = len(plan.edits)
    return f"Write {count} file{'s' if count != 1 else ''}: {', '.join(path.name for path in plan.files)}"


def _field(table: str, difference: Difference) -> str:
    """The column or constraint a difference is about, without its table: ``description``, ``(slug)``."""
    where = difference.object.removeprefix(table)
    return where.removeprefix(".") or "(table)"


def _what(difference: Difference) -> str:
    """``nullable: database True, model False``."""
    kind = difference.kind.removeprefix("column_")
    return f"{kind}: database {_short(difference.hand_written)}, model {_short(difference.generated)}"


def _short(value: Any) -> str:
    from dbkit.text import shorten

    if value is None:
        return "none"
    if isinstance(value, dict) and "kind" in value:  # a type: string(50)
        details = [str(v) for k, v in value.items() if k != "kind" and v not in (None, False, (), [])]
        value = f"{value['kind']}({', '.join(details)})" if details else value["kind"]
    elif isinstance(value, dict):  # a constraint or index: uq_teams_slug (slug)
        columns = ", ".join(value.get("columns") or ())
        value = f"{value.get('name') or ''} ({columns})".strip() if columns else value.get("name") or value
    return shorten(str(value), 60)
