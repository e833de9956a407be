"""``DatabaseManager(url, base=Base)``: generated classes join the application's own registry.

One table switched (``User = UserModel.DB``) while the rest stays hand-written: foreign keys,
string relationships and backrefs resolve both ways, on real rows.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar

import pytest
import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import DeclarativeBase, declarative_base, relationship

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, DBColumn
from dbkit.errors import ConfigurationError, ModelDefinitionError
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.isolation import isolated_imports

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_app"

CONVENTION = {"pk": "pk_%(table_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s"}


def application() -> dict[str, Any]:
    """A hand-written application whose ``User`` is now generated: written here, not the sample."""

    class Base(DeclarativeBase):
        metadata = sa.MetaData(naming_convention=CONVENTION)

    class UserModel(ApplicationModel, DatabaseMixin):
        email: str = Field(max_length=200)

    class Document(Base):
        __tablename__ = "documents"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(50), nullable=False)
        owner_id = sa.Column(sa.Uuid(as_uuid=False), sa.ForeignKey("users.id"), nullable=False)
        owner = relationship("User", backref="documents")

    return {"Base": Base, "UserModel": UserModel, "Document": Document}


@pytest.fixture
def adopted(database_url: str) -> Iterator[tuple[DatabaseManager, dict[str, Any]]]:
    app = application()
    manager = DatabaseManager(database_url, base=app["Base"])
    yield manager, app
    manager.drop_all()
    manager.dispose()


def test_the_manager_adopts_the_registry_metadata_and_naming_convention() -> None:
    app = application()
    manager = DatabaseManager("sqlite://", base=app["Base"])
    user = app["UserModel"].db_for(manager)
    assert manager.adopted_base and manager.Base is app["Base"] and manager.metadata is app["Base"].metadata
    assert issubclass(user, app["Base"]) and user.registry is app["Base"].registry
    assert user.__name__ == "User"
    assert user.__table__.primary_key.name == "pk_users"  # the application's naming convention
    assert set(manager.metadata.tables) == {"documents", "users"}  # one schema for create_all and check


def test_without_base_the_manager_keeps_its_isolated_base() -> None:
    app = application()
    manager = DatabaseManager("sqlite://")
    user = app["UserModel"].db_for(manager)
    assert not manager.adopted_base and user.registry is not app["Base"].registry
    assert "users" not in app["Base"].metadata.tables


def test_a_legacy_declarative_base_is_adopted_too() -> None:
    legacy = declarative_base()

    class ThingModel(ApplicationModel, DatabaseMixin):
        label: str = Field(max_length=10)

    assert ThingModel.db_for(DatabaseManager("sqlite://", base=legacy)).registry is legacy.registry


def test_db_class_name_overrides_the_legacy_name() -> None:
    class PersonModel(ApplicationModel, DatabaseMixin):
        db_class_name: ClassVar[str] = "LegacyPerson"
        name: str = Field(max_length=10)

    assert PersonModel.db_for(DatabaseManager("sqlite://")).__name__ == "LegacyPerson"


def test_a_base_that_is_not_declarative_is_refused_with_what_to_pass() -> None:
    with pytest.raises(ConfigurationError, match=r"base must be the application's declarative base class"):
        DatabaseManager("sqlite://", base=sa.MetaData())


def test_a_table_still_mapped_by_a_hand_written_class_names_that_class() -> None:
    class Base(DeclarativeBase):
        pass

    class Account(Base):
        __tablename__ = "accounts"
        id = sa.Column(sa.Integer, primary_key=True)

    class AccountModel(ApplicationModel, DatabaseMixin):
        name: str = Field(max_length=10)

    with pytest.raises(
        ModelDefinitionError,
        match=r"'accounts' is already defined .* by class .*Account\b.*Account = AccountModel.DB",
    ):
        AccountModel.db_for(DatabaseManager("sqlite://", base=Base))


def test_relationships_resolve_both_ways_on_real_rows(
    adopted: tuple[DatabaseManager, dict[str, Any]],
) -> None:
    manager, app = adopted
    user_class = app["UserModel"].db_for(manager)
    document_class = app["Document"]
    manager.create_all()
    with manager.get_db() as db:
        db.add(document_class(title="spec", owner=user_class(email="ada@example.com")))
    with manager.get_db() as db:
        user = db.query(user_class).one()
        document = db.query(document_class).one()
        assert [d.title for d in user.documents] == ["spec"]
        assert document.owner is user


def test_a_reference_from_a_generated_model_to_a_hand_written_class(
    adopted: tuple[DatabaseManager, dict[str, Any]],
) -> None:
    manager, app = adopted

    class NoteModel(ApplicationModel, DatabaseMixin):
        body: str = Field(max_length=50)
        document_id: Annotated[int, DBColumn(references=app["Document"], backref="notes")]

    note_class = NoteModel.db_for(manager)
    user_class = app["UserModel"].db_for(manager)
    manager.create_all()
    with manager.get_db() as db:
        document = app["Document"](title="spec", owner=user_class(email="ada@example.com"))
        db.add(note_class(body="first", document=document))
    with manager.get_db() as db:
        assert [n.body for n in db.query(app["Document"]).one().notes] == ["first"]


def switch_users_by_hand(root: Path) -> None:
    """What the gradual switch of ``users`` writes into the sample (copied to ``root``)."""
    auth = (root / "DB_Auth.py").read_text()
    start, end = auth.index("class User(AuditColumns, Base):"), auth.index("class Credential(")
    auth = auth[:start] + "User = UserModel.DB\n\n\n" + auth[end:]
    auth = auth.replace(
        "from base import AuditColumns, Base\n",
        "from base import AuditColumns, Base\nfrom BLL_Auth import UserModel\n",
    )
    (root / "DB_Auth.py").write_text(auth)
    with (root / "base.py").open("a") as base:
        base.write(
            "\n\nfrom dbkit import DatabaseManager  # noqa: E402\n\nDatabaseManager.set_default(DatabaseManager(base=Base))\n"
        )


def test_the_sample_with_users_switched_keeps_its_relationships(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = shutil.copytree(SAMPLE, tmp_path / "app")
    switch_users_by_hand(root)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with isolated_imports(root), DatabaseManager.default_scope(DatabaseManager("sqlite://")):
        import DB_Auth
        import DB_Documents
        import DB_Teams  # noqa: F401

        manager = DatabaseManager.default()
        user_class = DB_Auth.User
        assert manager.adopted_base and user_class.__dbkit_model__.__name__ == "UserModel"
        assert user_class.__name__ == "User"
        manager.create_all()
        try:
            with manager.get_db() as db:
                db.add(DB_Documents.Document(title="Roadmap", owner=user_class(email="ada@example.com")))
            with manager.get_db() as db:
                user = db.query(user_class).one()
                document = db.query(DB_Documents.Document).one()
                assert [d.title for d in user.documents] == ["Roadmap"]
                assert document.owner is user
                assert user.credentials == [] and user.owned_teams == []
        finally:
            manager.drop_all()
            manager.dispose()


def test_the_loader_sees_the_switched_table_as_generated_only(tmp_path: Path) -> None:
    root = shutil.copytree(SAMPLE, tmp_path / "app")
    switch_users_by_hand(root)
    before = DatabaseManager._default
    codebase = load_codebase(root)
    assert DatabaseManager._default is before  # the base module's set_default stayed inside the load
    assert not codebase.errors
    assert "users" not in codebase.hand_written and codebase.models["users"].generated is not None
    assert "documents" in codebase.hand_written
