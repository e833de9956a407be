"""The pytest plugin on a copy of data/sample_app: each ready-made test passes, and fails with
the check's readable message (no traceback into dbkit)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dbkit.migrate import api
from dbkit.migrate.checks import CheckFailed, check_models_match_revisions, check_single_head

pytest_plugins = ["pytester"]

SAMPLE_APP = Path(__file__).resolve().parents[1] / "data" / "sample_app"
READY_MADE = "test_parity, test_single_head, test_models_match_revisions, test_upgrade_downgrade, test_phase3"
#: The sample's deliberate Phase 1 drifts (data/README.md), and how a team fixes them.
DRIFT_FIXES = {
    "BLL_Auth.py": [
        (
            'description="Role name, e.g. owner", max_length=64',
            'description="Role name, e.g. owner", max_length=50',
        )
    ],
    "BLL_Teams.py": [
        ("slug: str = Field(", "slug: Annotated[str, DBColumn(unique=True)] = Field("),
        (
            'description: Annotated[str, DBColumn(sa_type=sa.Text)] = Field(description="What the team works on")',
            'description: Annotated[str | None, DBColumn(sa_type=sa.Text)] = Field(None, description="What the team works on")',
        ),
    ],
}


def make_project(pytester: pytest.Pytester, *, versions: str = "migrations/versions") -> Path:
    """A project with the sample codebase in app/ and the five ready-made tests imported."""
    shutil.copytree(SAMPLE_APP, pytester.path / "app")
    pytester.makeini(f"[pytest]\ndbkit_codebase = app\ndbkit_versions = {versions}\n")
    pytester.makepyfile(test_migrations=f"from dbkit.pytest_plugin import {READY_MADE}\n")
    return pytester.path


@pytest.fixture(autouse=True)
def _without_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner pytest runs load only dbkit's plugin (``-p``): quicker, and independent of what
    else is installed."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """In a fresh interpreter (without other installed plugins, for speed): dbkit registers Alembic
    renderers, which an in-process run (whose ``sys.modules`` pytester restores) would disturb."""
    return pytester.runpytest_subprocess("-p", "dbkit.pytest_plugin", "-p", "no:cacheprovider", "-rA", *args)


def fix_drifts(app: Path) -> None:
    for name, edits in DRIFT_FIXES.items():
        path = app / name
        text = path.read_text()
        for old, new in edits:
            assert old in text, f"{name} no longer contains {old!r}"
            text = text.replace(old, new)
        path.write_text(text)


@pytest.fixture(scope="session")
def fixed_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Alembic environment (``migrations/``) whose one revision creates the drift-fixed sample's
    schema. Session-scoped, so it is written before any pytester snapshot of ``sys.modules``
    (which pytester restores after each test) and copied into each project."""
    root = tmp_path_factory.mktemp("baseline")
    app = root / "app"
    shutil.copytree(SAMPLE_APP, app)
    fix_drifts(app)
    api.revision(app, root / "migrations" / "versions", message="baseline")
    return root / "migrations"


def add_migrations(project: Path, migrations: Path) -> tuple[Path, Path]:
    """The baseline environment copied into the project: (versions directory, baseline revision)."""
    shutil.copytree(migrations, project / "migrations")
    versions = project / "migrations" / "versions"
    return versions, next(versions.glob("*_baseline.py"))


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Each ready-made test's outcome, from the ``-rA`` summary."""
    found = re.findall(
        r"^(PASSED|FAILED|ERROR) test_migrations\.py::(\w+)", result.stdout.str(), re.MULTILINE
    )
    return {test: outcome for outcome, test in found}


def assert_readable(result: pytest.RunResult, *expected: str) -> None:
    output = result.stdout.str()
    for text in expected:
        assert text in output, f"{text!r} not in:\n{output}"
    assert "Traceback" not in output and "dbkit/migrate/" not in output
    assert "During handling" not in output  # each message shown once


def test_ready_made_tests_pass_on_a_project_in_order(pytester: pytest.Pytester, fixed_baseline: Path) -> None:
    """Drifts fixed and a revision written: all pass but Phase 3 (the DB_*.py files are still there).
    The codebase comes from --dbkit-codebase, which overrides the ini's (unfixed) app/."""
    project = make_project(pytester)
    fixed = project / "fixed_app"
    shutil.copytree(project / "app", fixed)
    fix_drifts(fixed)
    add_migrations(project, fixed_baseline)

    result = run(pytester, "--dbkit-codebase", str(fixed))

    assert outcomes(result) == {
        "test_parity": "PASSED",
        "test_single_head": "PASSED",
        "test_models_match_revisions": "PASSED",
        "test_upgrade_downgrade": "PASSED",
        "test_phase3": "FAILED",
    }
    assert_readable(result, "phase 3:", "hand-written file still present: DB_Auth.py", "DB_Teams.py")


def test_ready_made_tests_fail_with_every_difference_listed(
    pytester: pytest.Pytester, fixed_baseline: Path
) -> None:
    """The sample's drifts; revisions that lead elsewhere (an Alembic-written head that loses rows)."""
    project = make_project(pytester)
    versions, baseline = add_migrations(project, fixed_baseline)
    head = re.search(r"^revision = '(\w+)'", baseline.read_text(), re.MULTILINE).group(1)
    (versions / "purge0000001_purge_roles.py").write_text(
        f'"""purge roles"""\nfrom alembic import op\n\nrevision = "purge0000001"\ndown_revision = "{head}"\n'
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
        '    op.execute("DELETE FROM user_teams")\n    op.execute("DELETE FROM roles")\n\n\n'
        "def downgrade():\n    pass\n"
    )

    result = run(pytester, "-k", "not phase3")

    assert outcomes(result) == {
        "test_parity": "FAILED",
        "test_single_head": "PASSED",
        "test_models_match_revisions": "FAILED",
        "test_upgrade_downgrade": "FAILED",
    }
    assert_readable(
        result,
        "parity: 3 schema-level difference(s)",
        "roles: column_type roles.name",
        "teams: unique teams(slug)",
        "teams: column_nullable teams.description",
        "the models differ from a scratch SQLite database upgraded to head",
        "alter_column roles.name",
        "drop_unique teams(slug)",
        "upgrade/downgrade: verify failed",
        "purge0000001",
    )


def test_single_head_fails_naming_both_heads_and_phase3_passes_without_db_files(
    pytester: pytest.Pytester, fixed_baseline: Path
) -> None:
    project = make_project(pytester)
    for legacy in (project / "app").glob("DB_*.py"):
        legacy.unlink()
    versions, baseline = add_migrations(project, fixed_baseline)
    branch = re.sub(
        r"^revision = '(\w+)'", "revision = 'feature0000b'", baseline.read_text(), flags=re.MULTILINE
    )
    (versions / "feature0000b_branch.py").write_text(branch)

    result = run(pytester, "-k", "single_head or phase3")

    assert outcomes(result) == {"test_single_head": "FAILED", "test_phase3": "PASSED"}
    assert_readable(result, "single head: 2 heads", "feature0000b (feature0000b_branch.py)", "merge heads")


def test_an_unconfigured_codebase_fails_saying_how_to_configure_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_migrations="from dbkit.pytest_plugin import test_parity\n")
    result = run(pytester)
    assert outcomes(result) == {"test_parity": "ERROR"}
    assert_readable(result, "dbkit_codebase = DIR", "--dbkit-codebase")


# -- the checks themselves, called directly -------------------------------------------------------
def test_models_match_revisions_compares_with_the_head_recorded_schema(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, app)
    versions = tmp_path / "migrations" / "versions"
    api.revision(app, versions, message="baseline")
    assert "recorded by head" in str(check_models_match_revisions(app, versions))
    fix_drifts(app)
    with pytest.raises(
        CheckFailed, match=r"(?s)recorded by head.*alter_column roles\.name.*add_unique teams\(slug\)"
    ):
        check_models_match_revisions(app, versions)


def test_single_head_refuses_an_empty_versions_directory(tmp_path: Path) -> None:
    with pytest.raises(CheckFailed, match="no revisions in"):
        check_single_head(tmp_path)


# -- test_data_validates: the rows of the production database against the BLL models (issue #17) ---------
def test_data_validates_fails_naming_tables_counts_and_first_keys(pytester: pytest.Pytester) -> None:
    project = make_project(pytester)
    database = project / "production.sqlite3"
    shutil.copy(SAMPLE_APP.parent / "production.sqlite3", database)
    pytester.makepyfile(test_migrations="from dbkit.pytest_plugin import test_data_validates\n")

    result = run(pytester, "--dbkit-database-url", f"sqlite:///{database}")

    assert outcomes(result) == {"test_data_validates": "FAILED"}
    assert_readable(
        result,
        "data: rows of sqlite:///",
        "teams: 132 of 400 row(s) fail (description 132)",
        "users: 3 of 4000 row(s) fail (email 1, fullname 1, status 1)",
        "Fix the rows (or relax the model), then run `dbkit validate-data` again.",
    )


def test_data_validates_is_skipped_without_a_database(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(test_migrations="from dbkit.pytest_plugin import test_data_validates\n")
    result = run(pytester)
    result.assert_outcomes(skipped=1)
    assert "no database to validate" in result.stdout.str()
