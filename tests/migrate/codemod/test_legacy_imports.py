"""Phases 2 and 3: finding uses of DB_* modules (AST), rewriting them by diff, proving they are gone."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dbkit.migrate.codemod.legacy_imports import (
    PhaseError,
    Replacement,
    apply_rewrite,
    check_phase3,
    find_legacy_uses,
    plan_rewrite,
    replacements_from_scaffold,
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


DB_AUTH = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True)


class Role(Base):
    __tablename__ = "roles"
    id = sa.Column(sa.Integer, primary_key=True)


def helper():
    return 1
"""

SERVICE = '''
"""Uses every import form. DB_Auth in a docstring is not an import."""
import DB_Auth
import DB_Auth as auth
from DB_Auth import User
from DB_Auth import Role as R, helper
from . import DB_Auth as relative_auth


def count(session):
    # DB_Auth.User in a comment is not a use either
    return session.query(User).count() + session.query(DB_Auth.User).count()


def roles(session):
    return session.query(auth.Role, R).all(), relative_auth.User, helper()
'''

MAPPING = {"DB_Auth.User": "BLL_Auth.UserModel", "DB_Auth.Role": "BLL_Auth.RoleModel"}


@pytest.fixture
def codebase(tmp_path: Path) -> Path:
    return write(tmp_path, {"DB_Auth.py": DB_AUTH, "service.py": SERVICE, "plain.py": "import os\n"})


def test_every_import_form_and_use_is_found_with_its_position(codebase: Path) -> None:
    report = find_legacy_uses(codebase)
    assert report.problems == []
    found = [(u.file, u.line, u.column, u.kind, u.module, u.name, u.local) for u in report.uses]
    assert found == [
        ("service.py", 2, 0, "import", "DB_Auth", None, "DB_Auth"),
        ("service.py", 3, 0, "import", "DB_Auth", None, "auth"),
        ("service.py", 4, 0, "from_import", "DB_Auth", "User", "User"),
        ("service.py", 5, 0, "from_import", "DB_Auth", "Role", "R"),
        ("service.py", 5, 0, "from_import", "DB_Auth", "helper", "helper"),
        ("service.py", 6, 0, "import", "DB_Auth", None, "relative_auth"),
        ("service.py", 11, 25, "name", "DB_Auth", "User", "User"),
        ("service.py", 11, 55, "attribute", "DB_Auth", "User", "DB_Auth"),
        ("service.py", 15, 25, "attribute", "DB_Auth", "Role", "auth"),
        ("service.py", 15, 36, "name", "DB_Auth", "Role", "R"),
        ("service.py", 15, 46, "attribute", "DB_Auth", "User", "relative_auth"),
        ("service.py", 15, 66, "name", "DB_Auth", "helper", "helper"),
    ]


def test_legacy_modules_can_be_named_explicitly(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "import legacy_models\nfrom DB_Auth import User\nlegacy_models.Thing\n"})
    report = find_legacy_uses(tmp_path, legacy_modules=["legacy_models"])
    assert [(u.kind, u.module, u.name) for u in report.uses] == [
        ("import", "legacy_models", None),
        ("attribute", "legacy_models", "Thing"),
    ]


def test_a_syntax_error_is_reported_with_file_and_line_and_the_scan_goes_on(tmp_path: Path) -> None:
    write(tmp_path, {"broken.py": "x = 1\ndef f(:\n", "ok.py": "from DB_Auth import User\n"})
    report = find_legacy_uses(tmp_path)
    assert [(p.file, p.line) for p in report.problems] == [("broken.py", 2)]
    assert "syntax error" in str(report.problems[0])
    assert [(u.file, u.name) for u in report.uses] == [("ok.py", "User")]
    plan = plan_rewrite(tmp_path, MAPPING)
    assert [(p.file, p.line) for p in plan.problems] == [("broken.py", 2)]


def test_rewrite_is_a_diff_first_and_nothing_is_written(codebase: Path) -> None:
    before = (codebase / "service.py").read_text()
    plan = plan_rewrite(codebase, MAPPING)
    assert (codebase / "service.py").read_text() == before
    assert [f.relative for f in plan.files] == ["service.py"]  # DB_Auth.py itself is left for Phase 3
    # Context lines of blank source lines are a lone space in a diff; dedent would strip it.
    assert [line.rstrip() for line in plan.diff.splitlines()] == textwrap.dedent(
        '''\
        --- a/service.py
        +++ b/service.py
        @@ -1,15 +1,15 @@
         """Uses every import form. DB_Auth in a docstring is not an import."""
        -import DB_Auth
        -import DB_Auth as auth
        -from DB_Auth import User
        -from DB_Auth import Role as R, helper
        -from . import DB_Auth as relative_auth
        +from BLL_Auth import UserModel
        +from BLL_Auth import RoleModel
        +from DB_Auth import helper
        +User = UserModel.DB
        +R = RoleModel.DB


         def count(session):
             # DB_Auth.User in a comment is not a use either
        -    return session.query(User).count() + session.query(DB_Auth.User).count()
        +    return session.query(User).count() + session.query(UserModel.DB).count()


         def roles(session):
        -    return session.query(auth.Role, R).all(), relative_auth.User, helper()
        +    return session.query(RoleModel.DB, R).all(), UserModel.DB, helper()
        '''
    ).splitlines()
    assert plan.diff.endswith("helper()\n") and "\n \n" in plan.diff
    assert [(u.name, u.kind) for u in plan.unresolved] == [("helper", "from_import")]


def test_apply_then_only_unmapped_names_remain(codebase: Path) -> None:
    write(codebase, {"service.py": "from DB_Auth import User\n\n\ndef f():\n    return User\n"})
    plan = plan_rewrite(codebase, MAPPING)
    assert apply_rewrite(plan) == [codebase / "service.py"]
    assert (codebase / "service.py").read_text() == (
        "from BLL_Auth import UserModel\nUser = UserModel.DB\n\n\ndef f():\n    return User\n"
    )
    assert [u.file for u in find_legacy_uses(codebase).uses] == []
    assert plan_rewrite(codebase, MAPPING).files == []


def rewritten(root: Path, text: str) -> str:
    """The text plan_rewrite proposes for one ``app.py`` holding ``text``."""
    write(root, {"app.py": text})
    (rewrite,) = plan_rewrite(root, MAPPING).files
    compile(rewrite.new_text, "app.py", "exec")  # always valid Python
    return rewrite.new_text


def test_aliases_go_after_the_whole_import_block_never_between_imports(tmp_path: Path) -> None:
    assert rewritten(
        tmp_path,
        '''
        """Docstring."""
        from __future__ import annotations

        import os
        from DB_Auth import User
        import sys  # a comment stays on its line
        try:
            import ujson as json
        except ImportError:  # a try/except import block is part of the imports
            json = None
        from DB_Auth import Role

        ADMIN = User(name="admin")
        ''',
    ) == textwrap.dedent(
        '''\
        """Docstring."""
        from __future__ import annotations

        import os
        from BLL_Auth import UserModel
        import sys  # a comment stays on its line
        try:
            import ujson as json
        except ImportError:  # a try/except import block is part of the imports
            json = None
        from BLL_Auth import RoleModel
        User = UserModel.DB
        Role = RoleModel.DB

        ADMIN = User(name="admin")
        '''
    )


def test_aliases_come_before_module_code_that_uses_them_and_stay_in_their_block(tmp_path: Path) -> None:
    # Imports after module code form a second block: the alias must precede ``BASE = User``.
    assert rewritten(tmp_path, "import os\nfrom DB_Auth import User\nBASE = User\nimport sys\n") == (
        "import os\nfrom BLL_Auth import UserModel\nUser = UserModel.DB\nBASE = User\nimport sys\n"
    )
    # An import inside a try keeps its alias there: the except clause's fallback still wins.
    assert rewritten(
        tmp_path,
        "try:\n    from DB_Auth import User\n    import json\nexcept ImportError:\n    User = None\n",
    ) == (
        "try:\n    from BLL_Auth import UserModel\n    import json\n    User = UserModel.DB\n"
        "except ImportError:\n    User = None\n"
    )
    # A function's imports: the alias follows them, at their indentation.
    assert rewritten(
        tmp_path, "def f():\n    from DB_Auth import User\n    import os\n    return User\n"
    ) == (
        "def f():\n    from BLL_Auth import UserModel\n    import os\n    User = UserModel.DB\n    return User\n"
    )


def test_aliases_after_an_import_that_shares_or_ends_the_file(tmp_path: Path) -> None:
    assert (
        rewritten(tmp_path, "from DB_Auth import User")
        == "from BLL_Auth import UserModel\nUser = UserModel.DB\n"
    )
    assert rewritten(tmp_path, "from DB_Auth import User; print(User)\n") == (
        "from BLL_Auth import UserModel; User = UserModel.DB; print(User)\n"
    )
    assert rewritten(tmp_path, "if True: from DB_Auth import User\n") == (
        "if True: from BLL_Auth import UserModel; User = UserModel.DB\n"
    )


def test_a_stale_plan_is_refused_and_nothing_is_written(codebase: Path) -> None:
    write(codebase, {"other.py": "import DB_Auth\nDB_Auth.Role\n"})
    plan = plan_rewrite(codebase, MAPPING)
    assert [f.relative for f in plan.files] == ["other.py", "service.py"]
    (codebase / "service.py").write_text("from DB_Auth import User  # edited meanwhile\n")
    with pytest.raises(PhaseError, match=r"service\.py changed since the plan was made"):
        apply_rewrite(plan)
    assert (codebase / "other.py").read_text() == "import DB_Auth\nDB_Auth.Role\n"  # all or nothing
    assert not list(codebase.glob(".*.tmp"))


def test_replacements_can_keep_the_name_and_come_from_a_scaffold_result(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "from DB_Auth import Status\nStatus.active\n"})
    plan = plan_rewrite(tmp_path, {"Status": Replacement("BLL_Auth", "Status", via_db=False)})
    assert plan.files[0].new_text == "from BLL_Auth import Status\nStatus.active\n"

    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase

    from dbkit.migrate.codemod.scaffold import SourceTable, scaffold

    class Base(DeclarativeBase):
        pass

    class Account(Base):
        __tablename__ = "accounts"
        id = sa.Column(sa.Integer, primary_key=True)

    sources = [SourceTable(Account.__table__, Account, "DB_Bank")]
    mapping = replacements_from_scaffold(sources, scaffold(sources, formatter=None).models)
    assert mapping == {"DB_Bank.Account": Replacement("BLL_Bank", "AccountModel")}


def test_phase3_check_lists_offenders_and_passes_once_they_are_gone(codebase: Path) -> None:
    write(codebase, {"loader.py": "import importlib\nimportlib.import_module('DB_Auth')\n"})
    report = check_phase3(codebase)
    assert not report.clean
    assert report.legacy_files == ["DB_Auth.py"]
    assert {(u.file, u.kind) for u in report.offenders} == {
        ("service.py", "import"),
        ("service.py", "from_import"),
        ("loader.py", "dynamic_import"),
    }
    for name in ("DB_Auth.py", "service.py", "loader.py"):
        (codebase / name).unlink()
    assert check_phase3(codebase).clean


def test_phase3_import_check_blocks_db_modules_at_import_time(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "DB_Auth.py": "VALUE = 1\n",
            # A static check cannot see a computed module name; importing does.
            "BLL_Auth.py": "import importlib\nimportlib.import_module('DB_' + 'Auth')\n",
            "BLL_Teams.py": "import json\n",
        },
    )
    report = check_phase3(tmp_path, import_check=True)
    assert report.offenders == []
    assert list(report.import_failures) == ["BLL_Auth"]
    assert "blocked by the Phase 3 check" in report.import_failures["BLL_Auth"]


def test_sample_app_goes_through_phases_2_and_3(tmp_path: Path) -> None:
    """Scaffold the sample, rewrite a service that used DB_ classes, delete DB_ files: Phase 3 is clean."""
    import shutil

    from dbkit.migrate.codemod.scaffold import SourceTable, scaffold
    from dbkit.migrate.source.codebase import load_codebase

    sample = Path(__file__).resolve().parents[3] / "data" / "sample_app"
    app = tmp_path / "app"
    shutil.copytree(sample, app, ignore=shutil.ignore_patterns("__pycache__", "BLL_*.py"))
    write(
        app,
        {"service.py": "from DB_Auth import User\nimport DB_Teams as teams\n\nQUERY = (User, teams.Team)\n"},
    )
    codebase = load_codebase(app)
    sources = [
        SourceTable.from_hand_written(e) for e in sorted(codebase.hand_written.values(), key=lambda e: e.name)
    ]
    result = scaffold(sources)
    result.write(app)
    plan = plan_rewrite(app, replacements_from_scaffold(sources, result.models))
    assert [f.relative for f in plan.files] == ["service.py"]
    apply_rewrite(plan)
    assert (app / "service.py").read_text() == (
        "from BLL_Auth import UserModel\nfrom BLL_Teams import TeamModel\nUser = UserModel.DB\n\n"
        "QUERY = (User, TeamModel.DB)\n"
    )
    assert check_phase3(app).legacy_files == ["DB_Auth.py", "DB_Documents.py", "DB_Teams.py"]
    for legacy in app.glob("DB_*.py"):
        legacy.unlink()
    report = check_phase3(app, import_check=True)
    assert report.clean, (report.offenders, report.import_failures, report.problems)
