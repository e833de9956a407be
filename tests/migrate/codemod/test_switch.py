"""``dbkit switch``: one table at a time, in dependency order, the relationship contract kept on real rows.

The sample is one codebase (copied, scaffolded); a hand-written ledger written here is another.
Refusals say why and write nothing; ``--write`` writes every file or none.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from codebases import write_codebase
from test_scaffold_relationships import LEDGER

from dbkit import DatabaseManager
from dbkit.cli import main
from dbkit.migrate.checks import CheckFailed, check_relationship_contract
from dbkit.migrate.codemod.scaffold import scaffold_codebase
from dbkit.migrate.codemod.switch import SwitchRefusedError, plan_switch
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.isolation import isolated_imports
from dbkit.migrate.source.parity import parity

pytest_plugins = ["pytester"]

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample_app"
SAMPLE_ORDER = ["roles", "users", "credentials", "teams", "user_teams", "folders", "tags", "documents"]


def scaffolded_copy(source: Path, root: Path) -> Path:
    """The hand-written modules of ``source`` with freshly scaffolded BLL modules beside them."""
    root.mkdir(parents=True)
    for path in source.glob("*.py"):
        if not path.name.startswith("BLL_"):
            shutil.copy(path, root / path.name)
    scaffold_codebase(root).write(root)
    return root


def seed_sample(root: Path, url: str) -> None:
    """Rows through the application's own classes: users with documents, teams, folders, tags."""
    with isolated_imports(root), DatabaseManager.default_scope(DatabaseManager("sqlite://")):
        import base
        import DB_Auth
        import DB_Documents
        import DB_Teams

        engine = sa.create_engine(url)
        base.Base.metadata.create_all(engine)
        with sa.orm.Session(engine) as session:
            owner = DB_Auth.Role(name="owner")
            ada = DB_Auth.User(email="ada@example.com")
            bob = DB_Auth.User(email="bob@example.com")
            team = DB_Teams.Team(name="Core", slug="core", description="x", owner=ada)
            root_folder = DB_Documents.Folder(name="root", team=team)
            child = DB_Documents.Folder(name="child", parent=root_folder)
            blue, red = DB_Documents.Tag(name="blue"), DB_Documents.Tag(name="red")
            session.add_all(
                [
                    DB_Teams.UserTeam(user=ada, team=team, role=owner),
                    DB_Teams.UserTeam(user=bob, team=team, role=owner),
                    DB_Auth.Credential(user=ada, kind="password", secret_hash="h"),
                    DB_Documents.Document(title="Plan", owner=ada, team=team, folder=child, tags=[blue, red]),
                    DB_Documents.Document(title="Notes", owner=bob, folder=root_folder, tags=[red]),
                ]
            )
            session.commit()
        engine.dispose()


@pytest.fixture
def sample(tmp_path: Path, database_url: str) -> Iterator[tuple[Path, str]]:
    root = scaffolded_copy(SAMPLE, tmp_path / "app")
    seed_sample(root, database_url)
    yield root, database_url


def test_the_sample_switches_table_by_table_keeping_the_contract_on_rows(sample: tuple[Path, str]) -> None:
    root, url = sample
    for table in SAMPLE_ORDER:
        plan = plan_switch(root, table, url=url)
        assert plan.contract_rows is not None and not plan.contract_rows.violations
        assert plan.contract_rows.links["users.documents"] == 2
        assert (
            plan.contract_rows.links["documents.tags"] == 3
            and plan.contract_rows.links["tags.documents"] == 3
        )
        plan.write()
        codebase = load_codebase(root)
        assert not codebase.errors and table not in codebase.hand_written
    report = parity(load_codebase(root))
    assert {t.table for t in report.tables if t.status == "hand_written_only"} <= {
        "document_tags",
        "invitations",
    }
    assert not report.has_schema_differences


def test_the_switched_sample_keeps_its_relationships_in_the_application(sample: tuple[Path, str]) -> None:
    root, url = sample
    for table in ("users", "documents"):
        plan_switch(root, table).write()
    os.environ["DATABASE_URL"] = url
    try:
        with isolated_imports(root), DatabaseManager.default_scope(DatabaseManager("sqlite://")):
            import DB_Auth
            import DB_Documents
            import DB_Teams  # noqa: F401 - maps the teams the documents name

            manager = DatabaseManager.default()
            assert hasattr(DB_Auth.User, "__dbkit_model__") and hasattr(
                DB_Documents.Document, "__dbkit_model__"
            )
            with manager.get_db() as db:
                ada = db.query(DB_Auth.User).filter_by(email="ada@example.com").one()
                assert [d.title for d in ada.documents] == ["Plan"]
                assert sorted(t.name for t in ada.documents[0].tags) == ["blue", "red"]
                assert ada.documents[0].owner is ada and ada.credentials[0].kind == "password"
            manager.dispose()
    finally:
        del os.environ["DATABASE_URL"]


def test_the_diff_names_the_class_the_import_and_the_base_adoption_once(tmp_path: Path) -> None:
    root = scaffolded_copy(SAMPLE, tmp_path / "app")
    plan = plan_switch(root, "users")
    diff = plan.diff()
    assert "-class User(AuditColumns, Base):" in diff and "+User = UserModel.DB" in diff
    assert "+from BLL_Auth import UserModel" in diff
    assert "+DatabaseManager.set_default(DatabaseManager(base=Base))" in diff
    assert any("User.__repr__" in note for note in plan.notes)
    plan.write()
    assert "DatabaseManager(base=" not in plan_switch(root, "roles").diff()  # written once


def test_a_hand_written_ledger_switches_with_its_relationship_shapes(
    tmp_path: Path, database_url: str
) -> None:
    root = write_codebase(tmp_path / "ledger", LEDGER)
    scaffold_codebase(root).write(root)
    with isolated_imports(root):
        import DB_Ledger as ledger

        import base

        engine = sa.create_engine(database_url)
        base.Base.metadata.create_all(engine)
        with sa.orm.Session(engine) as session:
            tree = ledger.Category(name="root", children=[ledger.Category(name="leaf")])
            account = ledger.Account(
                name="cash", tags=[ledger.Tag(label="t")], entries=[ledger.Entry(amount=3)]
            )
            session.add_all([tree, account, ledger.Profile(bio="b", account=account)])
            session.commit()
        engine.dispose()
    for table in ("accounts", "tags", "entries", "profiles", "categories"):
        plan = plan_switch(root, table, url=database_url)
        assert plan.contract_rows is not None and plan.contract_rows.links["accounts.tags"] == 1
        assert plan.contract_rows.links["categories.children"] == 1
        plan.write()
    assert set(load_codebase(root).hand_written) == {"account_tags"}


def test_a_table_without_a_bll_model_is_refused_with_what_to_do(tmp_path: Path) -> None:
    root = shutil.copytree(SAMPLE, tmp_path / "app")
    with pytest.raises(SwitchRefusedError, match=r"documents has no BLL model: scaffold it \(dbkit scaffold"):
        plan_switch(root, "documents")


def test_parity_not_clean_is_refused_naming_the_difference(tmp_path: Path) -> None:
    """The sample's own BLL models drift on purpose (roles.name is 64 long, not 50)."""
    root = shutil.copytree(SAMPLE, tmp_path / "app")
    with pytest.raises(
        SwitchRefusedError, match=r"roles: parity is not clean \(schema column_type roles.name"
    ):
        plan_switch(root, "roles")
    with pytest.raises(SwitchRefusedError, match=r"orm relationship user_teams.role: 'roles' → None"):
        plan_switch(root, "user_teams")


def test_a_lost_python_default_is_refused(tmp_path: Path) -> None:
    root = scaffolded_copy(SAMPLE, tmp_path / "app")
    with pytest.raises(SwitchRefusedError, match=r"orm python_default invitations.token: 'callable' → None"):
        plan_switch(root, "invitations")


def test_a_generated_class_named_otherwise_is_refused_with_db_class_name(tmp_path: Path) -> None:
    root = scaffolded_copy(SAMPLE, tmp_path / "app")
    auth = root / "BLL_Auth.py"
    declaration = "class UserModel(ApplicationModel, DatabaseMixin):\n"
    assert declaration in auth.read_text()
    auth.write_text(
        auth.read_text().replace(declaration, f'{declaration}    db_class_name: ClassVar[str] = "Person"\n')
    )
    with pytest.raises(
        SwitchRefusedError,
        match=r'generated class is named Person .* db_class_name: ClassVar\[str\] = "User"',
    ):
        plan_switch(root, "users")


def test_write_is_all_files_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = scaffolded_copy(SAMPLE, tmp_path / "app")
    plan = plan_switch(root, "users")
    before = {p.name: p.read_text() for p in root.glob("*.py")}
    real_replace, calls = os.replace, []

    def fail_on_second(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        plan.write()
    assert {p.name: p.read_text() for p in root.glob("*.py")} == before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == []


def test_the_command_prints_the_diff_then_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = scaffolded_copy(SAMPLE, tmp_path / "app")
    assert main(["switch", str(root), "--table", "roles"]) == 0
    assert "+Role = RoleModel.DB" in capsys.readouterr().out
    assert "class Role(" in (root / "DB_Auth.py").read_text()  # printing writes nothing
    assert main(["switch", str(root), "--table", "roles", "--write"]) == 0
    assert "Role = RoleModel.DB" in (root / "DB_Auth.py").read_text()
    assert main(["switch", str(root), "--table", "roles"]) == 2
    assert "roles is already generated: nothing to switch" in capsys.readouterr().err


def test_rows_the_model_refuses_stop_the_switch(tmp_path: Path) -> None:
    root = scaffolded_copy(SAMPLE, tmp_path / "app")
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    seed_sample(root, url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # SQLite keeps a value longer than VARCHAR(120)
        connection.execute(sa.text("UPDATE users SET fullname = :name"), {"name": "x" * 200})
    engine.dispose()
    with pytest.raises(SwitchRefusedError, match=r"users: 2 of 2 row\(s\) fail UserModel \(fullname 2\)"):
        plan_switch(root, "users", url=url)


def test_the_relationship_contract_check_for_ci(sample: tuple[Path, str]) -> None:
    root, url = sample
    plan_switch(root, "users").write()
    result = check_relationship_contract(root, url)
    assert "relationship(s) kept" in result.summary and "related row(s) followed both ways" in result.summary
    bll = root / "BLL_Documents.py"
    bll.write_text(bll.read_text().replace(', backref="documents"', ""))
    with pytest.raises(CheckFailed, match=r"documents.tags: relationship_back_populates"):
        check_relationship_contract(root)


def test_the_plugin_runs_the_contract_for_a_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    scaffolded_copy(SAMPLE, pytester.path / "app")
    pytester.makeini("[pytest]\ndbkit_codebase = app\n")
    pytester.makepyfile(test_models="from dbkit.pytest_plugin import test_relationship_contract\n")
    result = pytester.runpytest_subprocess("-p", "dbkit.pytest_plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
