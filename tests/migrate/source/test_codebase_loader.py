"""load_codebase: isolated imports, what is collected, and every problem reported with file, line and cause."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path

import pytest
import sqlalchemy as sa
from codebases import write_codebase

from dbkit.manager import DatabaseManager
from dbkit.migrate.source.codebase import (
    DUPLICATE_TABLE,
    GENERATION_ERROR,
    IMPORT_ERROR,
    MAPPER_ERROR,
    Codebase,
    CodebaseError,
    LoadProblem,
    load_codebase,
)

DATA = Path(__file__).resolve().parents[3] / "data"
SAMPLE_APP = DATA / "sample_app"
EVOLUTION_V2 = DATA / "evolution" / "v2"

BASE_PY = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass
"""

GOOD_DB = """
    from sqlalchemy.orm import Mapped, mapped_column
    from base import Base

    class Good(Base):
        __tablename__ = "goods"
        id: Mapped[int] = mapped_column(primary_key=True)
"""


def only_problem(codebase: Codebase) -> LoadProblem:
    assert len(codebase.problems) == 1, codebase.problems
    return codebase.problems[0]


# -- what a load collects --------------------------------------------------------------------------


def test_sample_tables_classes_files_and_models() -> None:
    codebase = load_codebase(SAMPLE_APP)
    users = codebase.hand_written["users"]
    assert (users.class_name, users.file, users.name) == ("User", "DB_Auth.py", "users")
    assert codebase.hand_written["document_tags"].classes == ()
    assert codebase.hand_written["document_tags"].file == "DB_Documents.py"
    assert {name: (m.class_name, m.file) for name, m in codebase.models.items()} == {
        "roles": ("RoleModel", "BLL_Auth.py"),
        "teams": ("TeamModel", "BLL_Teams.py"),
        "user_teams": ("UserTeamModel", "BLL_Teams.py"),
        "users": ("UserModel", "BLL_Auth.py"),
    }
    assert [path.name for path in codebase.files] == [
        "DB_Auth.py", "DB_Documents.py", "DB_Teams.py", "BLL_Auth.py", "BLL_Teams.py",
    ]  # fmt: skip
    assert set(codebase.modules) == {"DB_Auth", "DB_Documents", "DB_Teams", "BLL_Auth", "BLL_Teams"}


def test_generated_classes_live_on_the_codebase_scratch_manager() -> None:
    codebase = load_codebase(SAMPLE_APP)
    user_class = codebase.models["users"].generated
    assert user_class.__table__.metadata is codebase.generated_metadata() is codebase.manager.metadata
    assert codebase.manager.url.render_as_string() == "sqlite://"
    assert codebase.generated_classes()[codebase.models["users"].model] is user_class
    assert codebase.hand_written_metadata() == [codebase.hand_written["users"].table.metadata]
    assert "users" not in [
        t for m in codebase.hand_written_metadata() for t in m.tables if m is codebase.manager.metadata
    ]


def test_relationships_and_backrefs_are_configured_at_load() -> None:
    codebase = load_codebase(SAMPLE_APP)
    user = codebase.hand_written["users"].mapped_class
    assert {"credentials", "owned_teams", "user_teams", "documents", "sent_invitations"} <= set(
        sa.inspect(user).relationships.keys()
    )


def test_hand_written_features_of_real_model_files_load_without_problems(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "edge",
        {
            "DB_Edge.py": """
                import enum
                import sqlalchemy as sa
                from sqlalchemy.ext.mutable import MutableDict
                from sqlalchemy.orm import DeclarativeBase, Mapped, declarative_base, declared_attr
                from sqlalchemy.orm import mapped_column, relationship

                _Column = mapped_column

                class Base(DeclarativeBase):
                    pass

                LegacyBase = declarative_base()

                class Lowercase(sa.types.TypeDecorator):
                    impl = sa.String(50)
                    cache_ok = True

                class Account(Base):
                    __tablename__ = "accounts"
                    __table_args__ = (sa.CheckConstraint("balance >= 0", name="ck_accounts_balance"),)

                    class Kind(enum.Enum):
                        personal = "personal"
                        business = "business"

                    tenant_id: Mapped[int] = _Column(primary_key=True)
                    number: Mapped[int] = _Column(primary_key=True)
                    user_name: Mapped[str] = _Column("name", Lowercase())
                    kind: Mapped[Kind] = _Column(sa.Enum(Kind, name="account_kind"))
                    balance: Mapped[int] = _Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
                    settings = _Column(MutableDict.as_mutable(sa.JSON()), nullable=True)

                class Ledger(Base):
                    __tablename__ = "ledgers"

                    @declared_attr.directive
                    def __table_args__(cls):
                        return (
                            sa.ForeignKeyConstraint(
                                ["tenant_id", "account_number"], ["accounts.tenant_id", "accounts.number"]
                            ),
                            {"comment": "declared_attr table args"},
                        )

                    id: Mapped[int] = _Column(sa.Identity(start=10), primary_key=True)
                    tenant_id: Mapped[int]
                    account_number: Mapped[int]
                    amount: Mapped[int]
                    doubled: Mapped[int] = _Column(sa.Computed("amount * 2"))
                    account = relationship(Account, backref="ledgers")

                class Employee(Base):
                    __tablename__ = "employees"
                    __table_args__ = {"comment": "single-table inheritance"}
                    id: Mapped[int] = _Column(primary_key=True)
                    type: Mapped[str]
                    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "employee"}

                class Manager(Employee):
                    __mapper_args__ = {"polymorphic_identity": "manager"}

                account_tags = sa.Table(
                    "account_tags",
                    Base.metadata,
                    sa.Column("tenant_id", sa.Integer, primary_key=True),
                    sa.Column("account_number", sa.Integer, primary_key=True),
                    sa.Column("tag", sa.String(20), primary_key=True),
                    sa.ForeignKeyConstraint(
                        ["tenant_id", "account_number"], ["accounts.tenant_id", "accounts.number"]
                    ),
                )

                class Note(LegacyBase):
                    __tablename__ = "notes"
                    id = sa.Column(sa.Integer, primary_key=True)
                    body = sa.Column(sa.Text)
            """,
        },
    )
    codebase = load_codebase(root)
    assert codebase.problems == []
    assert {name: entry.class_name for name, entry in codebase.hand_written.items()} == {
        "account_tags": None,
        "accounts": "Account",
        "employees": "Employee",  # the single-table subclass Manager shares it without a duplicate report
        "ledgers": "Ledger",
        "notes": "Note",  # on a second, legacy declarative_base()
    }
    accounts = codebase.hand_written["accounts"]
    assert accounts.column_attributes["name"] == "user_name"
    assert [c.name for c in accounts.table.primary_key.columns] == ["tenant_id", "number"]
    assert codebase.hand_written["ledgers"].table.comment == "declared_attr table args"
    assert len(codebase.hand_written_metadata()) == 2


def test_models_re_exported_from_an_installed_package_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = write_codebase(
        tmp_path / "site" / "vendor_billing",
        {
            "__init__.py": """
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

                class Base(DeclarativeBase):
                    pass

                class Invoice(Base):
                    __tablename__ = "invoices"
                    id: Mapped[int] = mapped_column(primary_key=True)
            """
        },
    ).parent
    monkeypatch.syspath_prepend(str(site))
    root = write_codebase(tmp_path / "app", {"DB_Billing.py": "from vendor_billing import Invoice\n"})
    codebase = load_codebase(root)
    assert codebase.problems == []
    assert codebase.hand_written["invoices"].class_name == "Invoice"
    assert codebase.hand_written["invoices"].file == "vendor_billing/__init__.py"
    assert "vendor_billing" in sys.modules  # a package outside the codebase is not the codebase's to unload


# -- isolation -------------------------------------------------------------------------------------


def test_loading_restores_sys_path_and_sys_modules() -> None:
    load_codebase(SAMPLE_APP)  # warm up: third-party modules the sample imports may stay loaded
    path_before, modules_before = list(sys.path), dict(sys.modules)
    load_codebase(SAMPLE_APP)
    assert sys.path == path_before
    assert sys.modules == modules_before
    assert str(SAMPLE_APP) not in sys.path_importer_cache


def test_a_same_named_module_from_elsewhere_neither_leaks_in_nor_is_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    impostor = types.ModuleType("base")
    monkeypatch.setitem(sys.modules, "base", impostor)
    codebase = load_codebase(SAMPLE_APP)
    assert codebase.problems == []
    assert sys.modules["base"] is impostor


def test_two_versions_of_one_codebase_load_side_by_side() -> None:
    v1, v2 = load_codebase(SAMPLE_APP), load_codebase(EVOLUTION_V2)
    assert v1.hand_written["users"].mapped_class is not v2.hand_written["users"].mapped_class
    assert v1.hand_written["users"].table.metadata is not v2.hand_written["users"].table.metadata
    assert v1.models["users"].model is not v2.models["users"].model
    assert "fullname" in v1.models["users"].table.c and "full_name" not in v1.models["users"].table.c
    assert "full_name" in v2.models["users"].table.c and "fullname" not in v2.models["users"].table.c
    assert v1.manager is not v2.manager
    again = load_codebase(SAMPLE_APP)
    assert "fullname" in again.models["users"].table.c
    assert again.models["users"].model is not v1.models["users"].model


def test_loading_writes_nothing_into_the_codebase(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    load_codebase(root)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_import_time_generation_uses_the_codebase_manager_never_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DatabaseManager, "_default", None)
    root = write_codebase(
        tmp_path / "phase2",
        {
            "BLL_Notes.py": """
                from dbkit import ApplicationModel, DatabaseMixin

                class NoteModel(ApplicationModel, DatabaseMixin):
                    text: str

                Note = NoteModel.DB
            """,
        },
    )
    codebase = load_codebase(root)
    assert codebase.problems == []
    assert codebase.modules["BLL_Notes"].Note is codebase.models["notes"].generated
    assert DatabaseManager._default is None


def test_a_phase_2_alias_of_a_generated_class_is_not_hand_written(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "phase2",
        {
            "BLL_Notes.py": """
                from dbkit import ApplicationModel, DatabaseMixin

                class NoteModel(ApplicationModel, DatabaseMixin):
                    text: str
            """,
            "DB_Notes.py": """
                from BLL_Notes import NoteModel

                Note = NoteModel.DB
            """,
        },
    )
    codebase = load_codebase(root)
    assert codebase.problems == []
    assert codebase.hand_written == {}
    assert list(codebase.generated_tables()) == ["notes"]


# -- problems --------------------------------------------------------------------------------------


def test_a_syntax_error_is_reported_with_file_and_line_and_the_rest_loads(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "base.py": BASE_PY,
            "DB_Good.py": GOOD_DB,
            "DB_Broken.py": "import sqlalchemy\n\nclass Oops(:\n    pass\n",
        },
    )
    codebase = load_codebase(root)
    problem = only_problem(codebase)
    assert (problem.file, problem.line, problem.kind, problem.severity) == (
        "DB_Broken.py",
        3,
        IMPORT_ERROR,
        "error",
    )
    assert problem.cause.startswith("SyntaxError: ")
    assert str(problem).startswith("DB_Broken.py:3: error: SyntaxError: ")
    assert list(codebase.hand_written) == ["goods"]


def test_a_missing_import_is_reported_with_its_line(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app", {"DB_Missing.py": "import sqlalchemy\nfrom nowhere_at_all import Thing\n"}
    )
    problem = only_problem(load_codebase(root))
    assert (problem.file, problem.line) == ("DB_Missing.py", 2)
    assert problem.cause == "ModuleNotFoundError: No module named 'nowhere_at_all'"


def test_an_exception_while_importing_is_reported_and_its_half_defined_tables_are_dropped(
    tmp_path: Path,
) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "base.py": BASE_PY,
            "DB_Good.py": GOOD_DB,
            "DB_Half.py": """
                import sqlalchemy as sa
                from sqlalchemy.orm import Mapped, mapped_column
                from base import Base

                class Half(Base):
                    __tablename__ = "halves"
                    id: Mapped[int] = mapped_column(primary_key=True)

                side_table = sa.Table("side", Base.metadata, sa.Column("x", sa.Integer, primary_key=True))
                raise RuntimeError("settings not configured")
            """,
        },
    )
    codebase = load_codebase(root)
    problem = only_problem(codebase)
    assert (problem.file, problem.line) == ("DB_Half.py", 10)
    assert problem.cause == "RuntimeError: settings not configured"
    assert list(codebase.hand_written) == ["goods"]


def test_a_failure_in_an_imported_file_names_both_places(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "helpers.py": "VALUE = 1\nraise ValueError('bad helper')\n",
            "DB_Uses.py": "import sqlalchemy\nimport helpers\n",
        },
    )
    problem = only_problem(load_codebase(root))
    assert (problem.file, problem.line) == ("DB_Uses.py", 2)
    assert problem.cause == "ValueError: bad helper (raised in helpers.py line 2)"


def test_two_models_for_one_table_on_one_base_name_both_classes(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "base.py": BASE_PY,
            "DB_Users.py": """
                from sqlalchemy.orm import Mapped, mapped_column
                from base import Base

                class User(Base):
                    __tablename__ = "users"
                    id: Mapped[int] = mapped_column(primary_key=True)
            """,
            "DB_Zlegacy.py": """
                from sqlalchemy.orm import Mapped, mapped_column
                from base import Base

                class Account(Base):
                    __tablename__ = "users"
                    id: Mapped[int] = mapped_column(primary_key=True)
            """,
        },
    )
    codebase = load_codebase(root)
    problem = only_problem(codebase)
    assert (problem.file, problem.line) == ("DB_Zlegacy.py", 4)
    assert (
        "two models for table 'users': class Account (line 4) and class User in DB_Users.py" in problem.cause
    )
    assert codebase.hand_written["users"].class_name == "User"


def test_two_models_for_one_table_on_different_bases_name_both_classes(tmp_path: Path) -> None:
    model = """
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class {name}(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
    """
    root = write_codebase(
        tmp_path / "app",
        {"DB_A.py": model.format(name="User"), "DB_B.py": model.format(name="Member")},
    )
    codebase = load_codebase(root)
    problem = only_problem(codebase)
    assert (problem.file, problem.line, problem.kind) == ("DB_B.py", 6, DUPLICATE_TABLE)
    assert "class User (DB_A.py) and class Member (DB_B.py)" in problem.cause
    assert codebase.hand_written["users"].class_name == "User"


def test_two_classes_mapping_one_table_object_are_reported(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "base.py": BASE_PY,
            "DB_Twice.py": """
                from sqlalchemy.orm import Mapped, mapped_column
                from base import Base

                class User(Base):
                    __tablename__ = "users"
                    id: Mapped[int] = mapped_column(primary_key=True)

                class UserView(Base):
                    __table__ = User.__table__
            """,
        },
    )
    problem = only_problem(load_codebase(root))
    assert (problem.file, problem.line, problem.kind) == ("DB_Twice.py", 8, DUPLICATE_TABLE)
    assert "class User (DB_Twice.py) and class UserView (DB_Twice.py)" in problem.cause


def test_two_bll_models_for_one_table_name_both(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "BLL_A.py": """
                from dbkit import ApplicationModel, DatabaseMixin

                class UserModel(ApplicationModel, DatabaseMixin):
                    email: str
            """,
            "BLL_B.py": """
                from typing import ClassVar
                from dbkit import ApplicationModel, DatabaseMixin

                class AccountModel(ApplicationModel, DatabaseMixin):
                    table_name: ClassVar[str] = "users"
                    login: str
            """,
        },
    )
    codebase = load_codebase(root)
    problem = only_problem(codebase)
    assert (problem.file, problem.line, problem.kind) == ("BLL_B.py", 4, DUPLICATE_TABLE)
    assert "two models for table 'users': UserModel (BLL_A.py) and AccountModel (BLL_B.py)" in problem.cause
    assert codebase.models["users"].class_name == "UserModel"
    assert "email" in codebase.models["users"].table.c


def test_a_model_that_cannot_be_generated_is_reported_with_its_field(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "BLL_Net.py": """
                import ipaddress
                from typing import Annotated
                from dbkit import ApplicationModel, DatabaseMixin, DBColumn

                class HostModel(ApplicationModel, DatabaseMixin):
                    name: str
                    address: ipaddress.IPv4Address

                class PortModel(ApplicationModel, DatabaseMixin):
                    number: int
                    host_id: Annotated[str, DBColumn(references=HostModel)]

                class NoteModel(ApplicationModel, DatabaseMixin):
                    text: str
            """,
        },
    )
    codebase = load_codebase(root)
    host, port = codebase.problems
    assert (host.file, host.line, host.kind) == ("BLL_Net.py", 5, GENERATION_ERROR)
    assert host.cause.startswith("cannot generate HostModel: UnsupportedFieldTypeError: HostModel.address: ")
    assert (port.line, port.kind) == (9, GENERATION_ERROR)
    assert port.cause == "PortModel references HostModel, which cannot be generated: fix HostModel first."
    assert codebase.models["hosts"].generated is None
    assert list(codebase.generated_tables()) == ["notes"]
    assert list(codebase.generated_metadata().tables) == ["notes"]


def test_a_generation_error_without_a_field_in_its_message_gets_one(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "BLL_Bad.py": """
                from typing import Annotated
                from dbkit import ApplicationModel, DatabaseMixin, DBColumn

                class ThingModel(ApplicationModel, DatabaseMixin):
                    label: str
                    size: Annotated[int, DBColumn(sa_type="not a type")]
            """,
        },
    )
    problem = only_problem(load_codebase(root))
    assert problem.kind == GENERATION_ERROR
    assert problem.cause.startswith("cannot generate ThingModel.size: ")


def test_relationships_that_cannot_be_configured_are_reported(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "base.py": BASE_PY,
            "DB_Rel.py": """
                from sqlalchemy.orm import Mapped, mapped_column, relationship
                from base import Base

                class Order(Base):
                    __tablename__ = "orders"
                    id: Mapped[int] = mapped_column(primary_key=True)
                    customer = relationship("Customer")
            """,
        },
    )
    codebase = load_codebase(root)
    problem = only_problem(codebase)
    assert (problem.file, problem.line, problem.kind) == ("DB_Rel.py", 4, MAPPER_ERROR)
    assert "relationships cannot be configured" in problem.cause and "'Customer'" in problem.cause
    assert list(codebase.hand_written) == ["orders"]


def test_a_path_that_is_not_a_codebase_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(CodebaseError, match="not a directory"):
        load_codebase(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "models.py").write_text("x = 1\n")
    with pytest.raises(CodebaseError, match=r"no DB_\*\.py or BLL_\*\.py files"):
        load_codebase(tmp_path / "empty")
