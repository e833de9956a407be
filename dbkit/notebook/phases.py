"""Replays of whole migration phases, for a notebook that starts where an earlier one ended.

Notebook 03 walks through Phase 2 step by step; notebook 04 needs its result on a fresh copy and
should not repeat (or drift from) those steps in a cell of its own. :func:`switch_to_generated`
is that replay, written once, with the same dbkit calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbkit.migrate.codemod.legacy_imports import LegacyUse, RewritePlan
    from dbkit.migrate.codemod.scaffold import ScaffoldResult


@dataclass
class Phase2Switch:
    """What :func:`switch_to_generated` did: the scaffold, the files it wrote, the rewrite applied."""

    scaffold: ScaffoldResult
    #: The ``BLL_*.py`` modules written (each hand-written table's model).
    modules: list[Path] = field(default_factory=list)
    #: The rewrite of the hand-written classes' uses (its ``diff`` is what changed).
    rewrite: RewritePlan | None = None
    #: Files the rewrite changed.
    rewritten: list[Path] = field(default_factory=list)

    @property
    def unresolved(self) -> list[LegacyUse]:
        """Uses of hand-written names the rewrite left alone (no model for them, a star import)."""
        return list(self.rewrite.unresolved) if self.rewrite else []


def switch_to_generated(codebase_path: str | Path) -> Phase2Switch:
    """Phase 2 on a codebase directory, in place: scaffold, replace the models, rewrite the uses.

    Scaffolds a model for every hand-written table (so references between models resolve),
    writes the modules over the ``BLL_*.py`` files, then rewrites every import and use of a
    hand-written class outside the ``DB_*.py`` files to the generated class (``User =
    UserModel.DB``). Run it on a copy: it overwrites files.
    """
    from dbkit.migrate import api
    from dbkit.migrate.codemod.legacy_imports import apply_rewrite, plan_rewrite, replacements_from_scaffold
    from dbkit.migrate.codemod.scaffold import SourceTable, scaffold

    root = Path(codebase_path)
    codebase = api.load(root, strict=True)  # a file that failed to load would lose its tables' models
    sources = [
        SourceTable.from_hand_written(entry)
        for entry in sorted(codebase.hand_written.values(), key=lambda entry: entry.name)
    ]
    result = scaffold(sources)
    switch = Phase2Switch(result, modules=result.write(root, overwrite=True))
    switch.rewrite = plan_rewrite(root, replacements_from_scaffold(sources, result.models))
    switch.rewritten = apply_rewrite(switch.rewrite)
    return switch


__all__ = ["Phase2Switch", "switch_to_generated"]
