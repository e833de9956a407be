"""The seed's examples (database-patterns.md) run as written, corrected only where the seed is wrong.

Corrections, each marked ``# seed fix``: DocumentModel inherits DatabaseMixin (else it has no .DB),
and ``create_foreign_key`` is called as the classmethod it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Optional

import pytest
import sqlalchemy as sa
from pydantic import Field
from sqlalchemy import Column, String

from dbkit import ApplicationModel, BaseMixin, DatabaseManager, DatabaseMixin, UpdateMixin
from dbkit.migrate.schema.from_models import snapshot_from_metadata


@pytest.fixture
def default_manager(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[DatabaseManager]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'seed.sqlite3'}")
    monkeypatch.setattr(DatabaseManager, "_default", None)
    manager = DatabaseManager()
    yield manager
    manager.dispose()


def test_enterprise_database_manager_pattern(default_manager: DatabaseManager) -> None:
    db_manager = DatabaseManager()  # "Get singleton database manager instance"
    assert db_manager is default_manager
    db_manager.init_engine_config()
    db_manager.init_worker()
    Base = db_manager.Base

    class UserModel(DatabaseMixin):
        email: Optional[str] = Field(description="User's email address")

    User = UserModel.DB  # "Automatically uses db_manager.Base"
    assert issubclass(User, Base)
    assert UserModel.DB is User  # cached


def test_manual_models_with_mixins_and_foreign_keys(default_manager: DatabaseManager) -> None:
    Base = default_manager.Base

    class User(Base, BaseMixin, UpdateMixin):
        __tablename__ = "users"
        email = Column(String, nullable=False, unique=True)
        password_hash = Column(String, nullable=True)

    class Team(Base, BaseMixin):
        __tablename__ = "teams"

    class Document(Base, BaseMixin, UpdateMixin):
        __tablename__ = "documents"
        title = Column(String, nullable=False)
        user_id = BaseMixin.create_foreign_key(User, nullable=False)
        team_id = BaseMixin.create_foreign_key(Team, nullable=True)

    default_manager.create_all()
    names = {c.name for c in Document.__table__.foreign_key_constraints}
    assert names == {"fk_documents_user_id", "fk_documents_team_id"}
    assert Document.__table__.c.user_id.nullable is False
    assert User.system is False and User.seed_list == []


def test_reference_model_factory_pattern(default_manager: DatabaseManager) -> None:
    class UserModel(ApplicationModel, DatabaseMixin):
        email: Optional[str] = Field(None, description="User's email address")

    class TeamModel(ApplicationModel, DatabaseMixin):
        name: Optional[str] = None

    class DocumentModel(
        ApplicationModel.Optional,
        UserModel.ReferenceID,  # Required user reference
        TeamModel.ReferenceID.Optional,  # Optional team reference
        DatabaseMixin,  # seed fix: without it there is no .DB
    ):
        title: Optional[str] = Field(description="Document title")

    Document = DocumentModel.DB
    columns = Document.__table__.c
    assert (columns.user_id.nullable, columns.team_id.nullable) == (False, True)
    assert {fk.target_fullname for fk in columns.user_id.foreign_keys} == {"users.id"}
    default_manager.Base.registry.configure()  # backrefs appear on the target classes once configured
    assert Document.user.property.mapper.class_ is UserModel.DB
    assert Document.team.property.mapper.class_ is TeamModel.DB
    assert UserModel.DB.documents.property.mapper.class_ is Document
    assert TeamModel.DB.documents.property.mapper.class_ is Document
    assert set(UserModel.ReferenceID.model_fields) == {"user_id"}
    assert UserModel.ReferenceID.Optional.model_fields["user_id"].is_required() is False


def test_isolated_database_instance_pattern(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    test_db = DatabaseManager(db_prefix="test.integration", test_connection=True)
    assert Path(test_db.url.database).name == "test.integration.dbkit.sqlite3"
    assert test_db.DATABASE_TYPE == "sqlite"  # no DATABASE_URL: the embedded default
    assert test_db.PK_TYPE.compile(dialect=test_db.dialect) == "CHAR(32)"  # a UUID, as SQLite stores it
    with test_db.get_db() as db:
        assert db.execute(sa.text("SELECT 1")).scalar() == 1
    test_db.dispose()


def test_schema_evolution_pattern(default_manager: DatabaseManager) -> None:
    class UserModel(DatabaseMixin):
        timezone: Optional[str] = Field(None, description="User timezone")
        table_comment: ClassVar[str] = "Core user accounts"
        migration_notes: ClassVar[str] = "Added timezone field in v2.1"

    User = UserModel.DB
    assert User.__table__.comment == "Core user accounts"
    assert User.__table__.c.timezone.comment == "User timezone"
    # The notes travel with the generated class into the schema snapshot the migration engine diffs.
    snapshot = snapshot_from_metadata([User.__table__], models=[User])
    assert snapshot.table_map[User.__table__.name].migration_notes == "Added timezone field in v2.1"
