"""An ipywidgets review panel for the next revision: look, decide, then write.

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
    from dbkit.migrate.diff.hints import RenameSuggestion
    from dbkit.migrate.revisions.writer import WrittenRevision
    from dbkit.migrate.schema.snapshot import Snapshot

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
