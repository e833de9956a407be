"""Write the JSON contract files of this directory with the dbkit on ``sys.path``.

They were written by the release before the engine was laid out by stage (``git worktree add
/tmp/orig 6ed9ba8; PYTHONPATH=/tmp/orig python tests/migrate/golden/make_golden.py``), and
``test_json_contract.py`` proves that today's ``--json`` outputs, snapshots and revisions are
byte-identical to them. Rerun it only for a deliberate change of the contract.

One deliberate change since: a baseline written together with a change is named after the schema it
records ("baseline: the existing schema (50 tables)"), no longer after the change that follows it
("baseline: bench change"); the first line of ``bench_revision.py.txt`` was edited to match.
Another (issue #11): ``dbkit revision`` writes online operations by default, so the change revision
of ``bench_revision.py.txt`` was rewritten by this script (``--transactional`` writes the old form).
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SAMPLE = REPO / "data" / "sample_app"
BENCH_TABLES = 50  # every fifth-of-ten table changes: all five kinds of change once

#: What a revision file holds that changes on every run: its id, its date, and the hash over both.
VOLATILE = re.compile(
    r"^(Revision ID: |Revises: |Create Date: |revision = |down_revision = '|dbkit_content_hash = ).*$",
    re.MULTILINE,
)


def run_cli(*argv: str) -> str:
    from dbkit.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    if code not in (0, 1):  # 1: differences found (parity, diff), the output is still the contract
        raise RuntimeError(f"dbkit {' '.join(argv)} exited {code}")
    return out.getvalue()


def bench_codebases(work: Path) -> tuple[Path, Path]:
    sys.path.insert(0, str(REPO / "bench"))
    from bench_migrate import build_codebase

    old = build_codebase(work / "old", BENCH_TABLES, changed=False)
    new = build_codebase(work / "new", BENCH_TABLES, changed=True)
    return old, new


def revision_text(versions: Path) -> str:
    """Every revision file in the directory (a baseline, then the change), in the order they chain."""
    texts = [path.read_text(encoding="utf-8") for path in versions.glob("*.py")]
    texts.sort(key=lambda text: "down_revision = None" not in text)
    return "\n".join(VOLATILE.sub(lambda m: m.group(1) + "<volatile>", text) for text in texts)


def contract_outputs(work: Path) -> dict[str, str]:
    """File name → text, for every output the contract covers."""
    old, new = bench_codebases(work)
    outputs = {
        "sample_inventory.json": run_cli("inventory", str(SAMPLE), "--json"),
        "sample_parity.json": run_cli("parity", str(SAMPLE), "--json"),
        "bench_parity.json": run_cli("parity", str(new), "--json"),
        "bench_diff.json": run_cli("diff", str(old), str(new), "--json"),
    }
    run_cli("snapshot", str(SAMPLE), "--out", str(work / "sample.json"))
    outputs["sample_snapshot.json"] = (work / "sample.json").read_text(encoding="utf-8")
    run_cli("snapshot", str(new), "--out", str(work / "bench_new.json"))
    outputs["bench_new_snapshot.json"] = (work / "bench_new.json").read_text(encoding="utf-8")
    versions = work / "versions"
    run_cli(
        "revision",
        str(new),
        "--from",
        str(old),
        "--versions",
        str(versions),
        "-m",
        "bench change",
        "--allow-destructive",
    )
    outputs["bench_revision.py.txt"] = revision_text(versions)
    return outputs


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in contract_outputs(Path(tmp)).items():
            (HERE / name).write_text(text, encoding="utf-8")
            print("wrote", name, len(text))
