"""DatabaseMixin → SQLAlchemy: tables, types, references, validators, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from models_core import (
    CORE_MODELS,
    AuthorModel,
    BookModel,
    DocumentModel,
    EverythingModel,
    FolderModel,
    Plan,
    TeamModel,
    UserModel,
    UserTeamModel,
)

from dbkit import DatabaseManager, ModelRegistry


@pytest.fixture
def registry(manager: DatabaseManager) -> ModelRegistry:
    registry = ModelRegistry(manager, CORE_MODELS)
    registry.create_schema()
    return registry


def test_db_property_generates_lazily_and_caches_per_manager(tmp_path) -> None:
    first = DatabaseManager(f"sqlite:///{tmp_path / 'a.db'}")
    second = DatabaseManager(f"sqlite:///{tmp_path / 'b.db'}")
    with first.activate():
        generated = UserModel.DB
        assert UserModel.DB is generated
    with second.activate():
        assert UserModel.DB is not generated
        assert UserModel.DB.__table__.metadata is second.metadata
    assert generated.__tablename__ == "users"
    assert generated.__table__.metadata is first.metadata


def test_seed_test_expectations_hold(registry: ModelRegistry) -> None:
    User = registry.DB(UserModel)
    assert User.__tablename__ == "users"
    assert hasattr(User, "email")
    assert hasattr(User, "user_teams")  # backref from UserTeamModel, present without extra steps
    assert hasattr(User, "documents")
    assert registry.DB(UserTeamModel).__tablename__ == "user_teams"


def test_rows_round_trip_through_generated_classes(registry: ModelRegistry) -> None:
    User, Team, Document = registry.DB(UserModel), registry.DB(TeamModel), registry.DB(DocumentModel)
    with registry.manager.get_db() as db:
        user = User(email="ada@example.com", display_name="Ada")
        team = Team(name="Engine")
        db.add_all([user, team])
        db.flush()
        db.add(Document(title="Notes", user_id=user.id, team_id=team.id))
        user_id = user.id
    with registry.manager.get_db() as db:
        document = db.scalars(sa.select(Document)).one()
        assert document.user.email == "ada@example.com"  # relationship
        assert document.team.name == "Engine"
        assert [d.title for d in document.user.documents] == ["Notes"]  # backref
        assert document.user_id == user_id and isinstance(user_id, str)
        assert str(uuid.UUID(user_id)) == user_id  # ids are dashed uuid strings on both backends
        assert document.created_at is not None  # server-side now()
        assert UserModel.model_validate(document.user).email == "ada@example.com"


def test_foreign_keys_are_enforced(registry: ModelRegistry) -> None:
    Document = registry.DB(DocumentModel)
    with pytest.raises(sa.exc.IntegrityError), registry.manager.get_db() as db:
        db.add(Document(title="orphan", user_id=str(uuid.uuid4())))


def test_required_reference_is_not_null_and_optional_is_nullable(registry: ModelRegistry) -> None:
    columns = registry.DB(DocumentModel).__table__.c
    assert columns.user_id.nullable is False
    assert columns.team_id.nullable is True
    fk = next(iter(columns.user_id.foreign_keys))
    assert fk.target_fullname == "users.id"  # the target's table, not its own
    assert fk.constraint.name == "fk_documents_user_id"


def test_every_field_type_round_trips(registry: ModelRegistry) -> None:
    Everything = registry.DB(EverythingModel)
    token = uuid.uuid4()
    values = dict(
        text="abc",
        long_text="x" * 500,
        count=7,
        flag=True,
        ratio=0.25,
        amount=Decimal("12.34"),
        happened_at=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
        day=dt.date(2024, 5, 1),
        at_time=dt.time(8, 15),
        duration=dt.timedelta(hours=3),
        token=token,
        blob=b"\x00\x01",
        plan=Plan.PRO,
        plan_by_value=Plan.FREE,
        level="high",
        tags=["a", "b"],
        settings={"x": 1},
        address={"city": "Oslo", "zip_code": "0150"},
    )
    with registry.manager.get_db() as db:
        db.add(Everything(**values))
    with registry.manager.get_db() as db:
        row = db.scalars(sa.select(Everything)).one()
        for name, value in values.items():
            got = getattr(row, name)
            if name == "happened_at" and registry.manager.DATABASE_TYPE == "sqlite":
                got = got.replace(tzinfo=dt.UTC)  # SQLite drops the time zone (field notes)
            assert got == value, name
        stored = db.execute(sa.text("SELECT plan, plan_by_value FROM everythings")).one()
        assert tuple(stored) == ("PRO", "free")  # by member name unless enum_by="value"


def test_python_defaults_apply(registry: ModelRegistry) -> None:
    Everything = registry.DB(EverythingModel)
    with registry.manager.get_db() as db:
        db.add(Everything(text="d"))
    with registry.manager.get_db() as db:
        row = db.scalars(sa.select(Everything)).one()
        assert (row.count, row.flag, row.plan, row.tags, row.amount) == (
            0,
            False,
            Plan.FREE,
            [],
            Decimal("1.50"),
        )


def test_parent_mixin_hierarchy_navigates_both_ways(registry: ModelRegistry) -> None:
    Folder = registry.DB(FolderModel)
    with registry.manager.get_db() as db:
        root = Folder(name="root")
        db.add(Folder(name="child", parent=root))
    with registry.manager.get_db() as db:
        root = db.scalars(sa.select(Folder).where(Folder.name == "root")).one()
        assert [c.name for c in root.children] == ["child"]
        assert root.children[0].parent.name == "root"


def test_reference_cycles_get_a_deferred_foreign_key(registry: ModelRegistry) -> None:
    Author, Book = registry.DB(AuthorModel), registry.DB(BookModel)
    with registry.manager.get_db() as db:
        author = Author(name="Le Guin")
        db.add(author)
        db.flush()
        book = Book(title="The Dispossessed", author_id=author.id)
        db.add(book)
        db.flush()
        author.favourite_book_id = book.id
    with registry.manager.get_db() as db:
        author = db.scalars(sa.select(Author)).one()
        assert author.favourite_book.title == "The Dispossessed"
        assert [a.name for a in author.favourite_book.fans] == ["Le Guin"]
        assert [b.title for b in author.books] == ["The Dispossessed"]


def test_validators_guard_the_generated_class(registry: ModelRegistry) -> None:
    User = registry.DB(UserModel)
    with pytest.raises(ValueError, match="Invalid email format"):
        User(email="not-an-email")
    user = User(email="ok@example.com")
    with pytest.raises(ValueError, match="display_name must not contain angle brackets"):
        user.display_name = "<script>"
    user.display_name = "fine"
    assert User.__dbkit_untranslated_validators__ == ()


def test_reflected_schema_matches_what_models_declare(registry: ModelRegistry) -> None:
    manager = registry.manager
    inspector = sa.inspect(manager.engine)
    for table in manager.metadata.sorted_tables:
        reflected = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert list(reflected) == [c.name for c in table.columns], table.name
        for column in table.columns:
            assert reflected[column.name]["nullable"] == column.nullable, f"{table.name}.{column.name}"
        pk = inspector.get_pk_constraint(table.name)
        assert pk["constrained_columns"] == [c.name for c in table.primary_key.columns]
        declared_fks = {fk.name for fk in table.foreign_key_constraints}
        assert {fk["name"] for fk in inspector.get_foreign_keys(table.name)} == declared_fks
        declared_uniques = {
            tuple(c.name for c in u.columns) for u in table.constraints if isinstance(u, sa.UniqueConstraint)
        }
        reflected_uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)}
        assert reflected_uniques == declared_uniques, table.name


@pytest.mark.postgres
def test_postgres_keeps_comments_and_native_uuid(postgres_url: str) -> None:
    manager = DatabaseManager(postgres_url)
    try:
        ModelRegistry(manager, CORE_MODELS).create_schema()
        inspector = sa.inspect(manager.engine)
        columns = {c["name"]: c for c in inspector.get_columns("users")}
        assert inspector.get_table_comment("users")["text"] == "Core user accounts"
        assert columns["email"]["comment"] == "User's email address"
        assert isinstance(columns["id"]["type"], sa.Uuid)
        enums = {e["name"]: e["labels"] for e in inspector.get_enums()}
        assert enums["plan"] == ["FREE", "PRO"] and enums["plan_value"] == ["free", "pro"]
        assert enums["user_team_role"] == ["member", "admin"]
    finally:
        manager.dispose()


def test_migration_notes_and_table_comment_stay_on_the_model(registry: ModelRegistry) -> None:
    User = registry.DB(UserModel)
    assert User.__dbkit_migration_notes__ == "Added timezone field in v2.1"
    assert User.__table__.comment == "Core user accounts"
    assert User.__dbkit_model__ is UserModel
