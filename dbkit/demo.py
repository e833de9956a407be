"""The main job on a codebase (by default the bundled sample): what ``dbkit demo`` runs.

Inventory, parity, snapshots, Alembic revisions from the hand-written schema to the hybrid
target (verified on a scratch database), and the HTML report, all under one output directory.
Nothing is written into the codebase itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dbkit.errors import DbkitError
from dbkit.text import shorten

REPOSITORY_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_app"


def bundled_sample() -> Path:
    """The sample codebase shipped in the repository's ``data/`` (``dbkit demo`` is run from a checkout)."""
    for candidate in (REPOSITORY_SAMPLE, Path.cwd() / "data" / "sample_app"):
        if candidate.is_dir():
            return candidate
    raise DbkitError("The bundled sample (data/sample_app) is not here; pass --sample PATH to a codebase.")


def run_demo(out: Path, sample: Path | None = None) -> str:
    """Run the whole review on ``sample`` and write its results under ``out``; returns a summary."""
    from dbkit.migrate import api
    from dbkit.migrate.schema.documents import write_snapshot

    codebase_path = sample or bundled_sample()
    codebase = api.load(codebase_path)  # a bad path fails here, before anything is written
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        f"codebase: {codebase_path.name} ({len(codebase.hand_written)} hand-written tables, {len(codebase.models)} BLL models)"
    ]

    from dbkit.migrate.source.inventory import inventory
    from dbkit.migrate.source.parity import parity

    phases = inventory(codebase).phase_counts()
    lines.append("phases: " + ", ".join(f"{phase} {count}" for phase, count in sorted(phases.items())))
    report = parity(codebase)
    for table in report.tables:
        levels = {}
        for difference in table.differences:
            levels[difference.level] = levels.get(difference.level, 0) + 1
        detail = ", ".join(f"{count} {level}" for level, count in sorted(levels.items()))
        lines.append(f"  {table.table:<16} {table.status:<18} {detail}")

    current = api.codebase_snapshot(codebase, prefer="hand_written")
    target = api.codebase_snapshot(codebase, prefer="generated")
    write_snapshot(current, out / "schema_hand_written.json")
    write_snapshot(target, out / "schema_target.json")

    environment = out / "alembic"  # dbkit's own output: rebuilt on every run
    if environment.exists():
        shutil.rmtree(environment)
    versions = environment / "versions"
    plan = api.plan_revision(
        target, versions, from_source=current, message="Phase 2: generated models replace hand-written ones"
    )
    if plan.allowed:
        written = api.write_planned_revision(plan, versions)
        lines.append(f"revisions: {len(written)} written to {versions}")
        lines.extend(f"  {change.risk:<22} {change.op:<18} {change.label}" for change in plan.changes)
        production = codebase_path.parent / "production.sqlite3"
        url = f"sqlite:///{production}" if production.is_file() else None
        verified = api.verify(versions, url=url)
        where = "a copy of production.sqlite3" if url else "a scratch database"
        lines.append(f"verify on {where}: {'passed' if verified.passed else 'FAILED'}")
        lines.extend(f"  {shorten(problem, 160)}" for problem in verified.problems)
        if not verified.passed:
            lines.append(
                "  (the revision would fail on today's rows: fix those drifts first, see notebook 02)"
            )
    else:
        lines.append("revision to the target refused until the drifts are fixed:")
        lines.extend(f"  {refusal}" for refusal in plan.verdict.refusals)

    from dbkit.notebook.report import write_report

    report_path = write_report(codebase_path, out / "report.html")
    lines.append(f"report: {report_path}")
    lines.append(f"snapshots, revisions: {out}")
    return "\n".join(lines) + "\n"
