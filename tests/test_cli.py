"""The `dbkit` command's contract: exit codes, JSON documents, one-line errors, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dbkit.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE, V2 = DATA / "sample_app", DATA / "evolution" / "v2"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_inventory_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "inventory", SAMPLE, "--json")
    document = json.loads(out)
    assert code == 0
    users = next(t for t in document["tables"] if t["table"] == "users")
    assert set(users) == {"table", "phase", "hand_written", "generated"}
    assert users["phase"] == "hybrid"
    assert "problems" in document


def test_parity_exit_code_says_whether_schema_differs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "parity", SAMPLE, "--json")
    assert code == 1
    statuses = {t["table"]: t["status"] for t in json.loads(out)["tables"]}
    assert statuses["roles"] == "differs" and statuses["users"] == "match"


def test_snapshot_then_diff_of_snapshot_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old, new = tmp_path / "v1.json", tmp_path / "v2.json"
    assert run(capsys, "snapshot", SAMPLE, "--out", old)[0] == 0
    assert run(capsys, "snapshot", V2, "--out", new)[0] == 0
    code, out, _ = run(capsys, "diff", old, new, "--json")
    assert code == 1
    document = json.loads(out)
    assert set(document) == {"changes", "suggestions"}
    assert {"op", "table", "column", "risk", "detail"} == set(document["changes"][0])
    assert run(capsys, "diff", old, old)[0:2] == (0, "no change\n")


def test_refused_destructive_revision_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    code, _, err = run(capsys, "revision", V2, "--versions", versions, "--from", SAMPLE, "-m", "evolve")
    assert code == 2
    assert "users.avatar_url" in err and "Traceback" not in err
    assert not list(versions.glob("*.py")) if versions.exists() else True
    code, out, _ = run(
        capsys,
        "revision",
        V2,
        "--versions",
        versions,
        "--from",
        SAMPLE,
        "-m",
        "evolve",
        "--allow-destructive",
    )
    assert code == 0 and out.count("wrote ") == 2
    assert run(capsys, "history", "--versions", versions)[1].count("->") == 2


def test_upgrade_check_current_downgrade_on_sqlite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    versions, url = tmp_path / "versions", f"sqlite:///{tmp_path / 'app.db'}"
    run(
        capsys,
        "revision",
        V2,
        "--versions",
        versions,
        "--from",
        SAMPLE,
        "-m",
        "evolve",
        "--allow-destructive",
    )
    assert run(capsys, "upgrade", "--versions", versions, "--url", url)[0] == 0
    assert run(capsys, "check", V2, "--url", url)[0:2] == (0, "database matches the models\n")
    assert run(capsys, "check", SAMPLE, "--url", url)[0] == 1
    assert run(capsys, "downgrade", "--versions", versions, "--url", url, "--to", "-1")[0] == 0
    assert run(capsys, "check", SAMPLE, "--url", url)[0] == 0


def test_bad_backfill_option_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(
        capsys, "revision", V2, "--versions", tmp_path / "v", "-m", "x", "--backfill", "nonsense"
    )
    assert code == 2 and "TABLE.COLUMN=VALUE" in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["parity", "/nonexistent/dir"], "not a directory"),
        (["diff", "/nonexistent.json", "/nonexistent.json"], "not a codebase directory"),
        (["check", str(SAMPLE), "--url", "postgresql+psycopg://nobody@127.0.0.1:1/x"], "127.0.0.1"),
    ],
)
def test_errors_are_one_line_on_stderr_with_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert fragment in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_diff_of_snapshot_files_starts_without_heavy_imports(tmp_path: Path) -> None:
    snapshot = tmp_path / "s.json"
    main(["snapshot", str(SAMPLE), "--out", str(snapshot)])
    code = (
        "import sys; from dbkit.cli import main; rc = main(['diff', sys.argv[1], sys.argv[1]]); "
        "print(sorted(m for m in ('sqlalchemy', 'pandas', 'alembic', 'pydantic') if m in sys.modules)); sys.exit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(snapshot)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_demo_runs_the_main_job_into_its_output_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = sorted(p.name for p in (DATA / "sample_app").iterdir())
    code, out, _ = run(capsys, "demo", "--out", tmp_path / "build")
    assert code == 0
    assert "roles            differs" in out and "verify on a copy of production.sqlite3" in out
    built = tmp_path / "build"
    assert (built / "report.html").stat().st_size > 1000
    assert len(list((built / "alembic" / "versions").glob("*.py"))) == 2
    assert sorted(p.name for p in (DATA / "sample_app").iterdir()) == before  # the sample is untouched
    assert run(capsys, "demo", "--out", built)[0] == 0  # and it runs again over its own output
