"""The migration phases as notebooks run them on any codebase: replays, the story, Phase 3's cleanup.

The notebooks are the user's workflow, driven by the codebase in their parameters cell; these
helpers hold what would otherwise be written into a cell for one codebase only:

* :func:`switch_to_generated` replays Phase 2 (notebook 04 starts where notebook 03 ended);
* :func:`story` reads what a shipped sample adds to the workflow (its Phase 1 decisions, a service
  module using the hand-written classes, a model change, checks on its rows) from a
  ``<codebase>_story/`` directory beside it: a codebase of your own has none, and nothing of the
  sample's ever reaches its copy;
* :func:`needs_database` says, in one sentence, why a database step is skipped;
* :func:`plan_cleanup` decides which ``DB_*.py`` files Phase 3 may delete, keeping a shared base
  module that remaining code still imports instead of deleting every ``DB_*.py`` blindly.
"""

from __future__ import annotations

import ast
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbkit.errors import DbkitError

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


#: The suffix of the directory holding a shipped codebase's story (``sample_app`` → ``sample_app_story``).
STORY_SUFFIX = "_story"
STORY_FILE = "story.json"


class StoryError(DbkitError):
    """A ``<codebase>_story/story.json`` that cannot be read."""


@dataclass(frozen=True)
class EvolutionCheck:
    """A query on the database copy whose answer the evolution notebook prints at one stage."""

    stage: str  # "before", "upgrade" or "downgrade"
    label: str
    sql: str


@dataclass(frozen=True)
class Story:
    """What a shipped sample adds to the notebooks' workflow; empty for a codebase of your own."""

    root: Path | None = None
    #: Phase 1 decisions (``difference key → "hand-written" | "generated"``, or one word for all).
    parity_decisions: dict[str, str] | str | None = None
    #: Modules of the application that use the hand-written classes (copied into the sample's copy).
    services: tuple[Path, ...] = ()
    #: One model edit the team decides on in Phase 2: ``file``, ``old``, ``new``, ``message``.
    model_change: dict[str, str] | None = None
    #: The next version these checks belong to (resolved), and the checks.
    evolution_path: Path | None = None
    evolution_checks: tuple[EvolutionCheck, ...] = ()
    #: Sentences printed at named steps (``"rows"``: what to do about failing rows).
    notes: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.root is not None

    def note(self, step: str) -> str:
        return self.notes.get(step, "")

    def copy_services(self, codebase: str | Path) -> list[str]:
        """Copy the story's service modules into ``codebase`` (a workspace copy); returns their names."""
        for service in self.services:
            shutil.copyfile(service, Path(codebase) / service.name)
        return [service.name for service in self.services]

    def checks_for(self, evolution_path: str | Path, stage: str) -> list[EvolutionCheck]:
        """The checks of ``stage`` when ``evolution_path`` is the version the story's checks are about."""
        if self.evolution_path is None or Path(evolution_path).resolve() != self.evolution_path:
            return []
        return [check for check in self.evolution_checks if check.stage == stage]


def story(codebase_path: str | Path) -> Story:
    """The story shipped beside ``codebase_path`` (``<path>_story/story.json``), or an empty one."""
    path = Path(codebase_path).resolve()
    root = path.with_name(path.name + STORY_SUFFIX)
    document = root / STORY_FILE
    if not document.is_file():
        return Story()
    try:
        data: dict[str, Any] = json.loads(document.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StoryError(f"{document}: not a readable story ({error}); fix or remove it.") from error
    evolution = data.get("evolution") or {}
    return Story(
        root=root,
        parity_decisions=data.get("parity_decisions"),
        services=tuple(root / name for name in data.get("services", [])),
        model_change=data.get("model_change"),
        evolution_path=(root / evolution["path"]).resolve() if evolution.get("path") else None,
        evolution_checks=tuple(EvolutionCheck(**check) for check in evolution.get("checks", [])),
        notes=dict(data.get("notes", {})),
    )


def needs_database(database_url: str | None, step: str) -> bool:
    """True when there is a database to run ``step`` on; otherwise print why the step is skipped."""
    if database_url:
        return True
    print(
        f"No database_url: {step} skipped (it needs a database; "
        "set database_url in the parameters cell to run it on a private copy)."
    )
    return False


# -- Phase 3: which hand-written files go ------------------------------------------------------------
@dataclass
class Cleanup:
    """Phase 3's decision per file: ``DB_*.py`` files to delete, files kept, each with the reason."""

    root: Path
    remove: dict[str, str] = field(default_factory=dict)
    keep: dict[str, str] = field(default_factory=dict)

    @property
    def kept_legacy(self) -> list[str]:
        """Kept ``DB_*.py`` files (``check_phase3(..., keep=...)`` accepts them)."""
        return sorted(name for name in self.keep if name.startswith("DB_"))

    def lines(self) -> list[str]:
        return [f"delete {name}: {why}" for name, why in sorted(self.remove.items())] + [
            f"keep   {name}: {why}" for name, why in sorted(self.keep.items())
        ]

    def apply(self) -> list[str]:
        """Delete the files in :attr:`remove` (run it on a copy); returns their names."""
        for name in sorted(self.remove):
            (self.root / name).unlink()
        return sorted(self.remove)


def _imported_modules(path: Path) -> set[str]:
    """Top-level module names ``path`` imports (``from DB_Base import Base`` → ``DB_Base``)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def plan_cleanup(codebase_path: str | Path) -> Cleanup:
    """Which ``DB_*.py`` files Phase 3 deletes: those whose tables all have a generated model, and
    table-less ones (a shared base), as long as no remaining file imports them. Nothing is deleted here.

    A ``DB_*.py`` file holding a table without a generated model stays (the hybrid end state); a
    file a remaining file still imports stays, with the importer named (a base module the
    application uses, or a Core table the Phase 2 rewrite could not replace); a support module
    outside the ``DB_*.py`` pattern (``base.py``) is never deleted, only reported.
    """
    from dbkit.migrate import api

    root = Path(codebase_path)
    codebase = api.load(root)
    generated = {name for name, model in codebase.models.items() if model.generated is not None}
    tables: dict[str, list[str]] = {}
    for entry in codebase.hand_written.values():
        tables.setdefault(Path(entry.file).name, []).append(entry.name)
    cleanup = Cleanup(root)
    for path in sorted(root.glob("DB_*.py")):
        held = sorted(tables.get(path.name, []))
        missing = [name for name in held if name not in generated]
        if missing:
            cleanup.keep[path.name] = f"no generated model yet for {', '.join(missing)}"
        elif held:
            cleanup.remove[path.name] = f"every table it defines has a generated model ({', '.join(held)})"
        else:
            cleanup.remove[path.name] = "defines no table, and no remaining file imports it"
    imports = {path.name: _imported_modules(path) for path in sorted(root.glob("*.py"))}
    _keep_what_remaining_files_import(cleanup, imports)
    for name in sorted(imports):
        if name.startswith(("DB_", "BLL_")) or not any(
            Path(name).stem in modules for other, modules in imports.items() if other.startswith("DB_")
        ):
            continue
        users = _importers(name, imports, cleanup.remove)
        cleanup.keep[name] = "not a DB_*.py file, never deleted; " + (
            f"still imported by {', '.join(users)}" if users else "no remaining file imports it any more"
        )
    return cleanup


def _importers(name: str, imports: dict[str, set[str]], removed: dict[str, str]) -> list[str]:
    stem = Path(name).stem
    return sorted(
        other
        for other, modules in imports.items()
        if other != name and other not in removed and stem in modules
    )


def _keep_what_remaining_files_import(cleanup: Cleanup, imports: dict[str, set[str]]) -> None:
    """Move back to :attr:`Cleanup.keep` every planned deletion a remaining file imports, to a fixed
    point (keeping one file keeps what it imports)."""
    changed = True
    while changed:
        changed = False
        for name in sorted(cleanup.remove):
            users = _importers(name, imports, cleanup.remove)
            if not users:
                continue
            reason = cleanup.remove.pop(name)
            verb = "imports" if len(users) == 1 else "import"
            if reason.startswith("defines no table"):
                cleanup.keep[name] = f"defines no table, and {', '.join(users)} still {verb} it"
            else:
                cleanup.keep[name] = (
                    f"every table it defines has a generated model, but {', '.join(users)} still {verb} "
                    "it: rewrite those imports, then delete it"
                )
            changed = True


__all__ = [
    "Cleanup",
    "EvolutionCheck",
    "Phase2Switch",
    "Story",
    "StoryError",
    "needs_database",
    "plan_cleanup",
    "story",
    "switch_to_generated",
]
