"""Plain ``alembic revision --autogenerate`` with dbkit's two env.py lines: renames, enum members
and backfills from ``migration_notes``, on a real SQLite file and a real PostgreSQL database."""

import enum
import re
import uuid
from pathlib import Path
from typing import Annotated, ClassVar

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from pydantic import Field

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, DBColumn, ModelRegistry
from dbkit.migrate.diff.hints import MigrationHintError
from dbkit.migrate.revisions.autogenerate import dbkit_autogenerate, enum_value_steps, mapped_classes

#: The two lines the README tells a team to put in its env.py.
IMPORT_LINE = "from dbkit.migrate.autogenerate import dbkit_autogenerate"
CONFIGURE_LINE = "**dbkit_autogenerate(),"


def build_models(version: int, **notes: object) -> sa.MetaData:
    """The application's models: version 1, or version 2 with its changes announced in notes."""

    class Status(enum.StrEnum):
        active = "active"
        suspended = "suspended"
        if version == 2:
            invited = "invited"

    class TeamModel(ApplicationModel, DatabaseMixin):
        name: str = Field(description="Team name", max_length=50)
        if version == 2:
            table_name: ClassVar[str] = "squads"
            migration_notes: ClassVar[object] = notes.get(
                "team",
                {
                    "message": "Teams are called squads now; each has a billing plan.",
                    "table_renames": {"teams": "squads"},
                    "backfill": {"plan": "'free'"},
                },
            )
            plan: str = Field(description="Billing plan", max_length=20)

    class UserModel(ApplicationModel, TeamModel.ReferenceID, DatabaseMixin):
        email: Annotated[str, DBColumn(unique=True)] = Field(description="Login", max_length=255)
        status: Annotated[Status, DBColumn(enum_name="user_status")] = Field(Status.active)
        if version == 1:
            fullname: Annotated[str | None, DBColumn(index=True)] = Field(None, max_length=120)
        else:
            migration_notes: ClassVar[object] = notes.get(
                "user", "Renamed fullname to full_name. New status 'invited'."
            )
            full_name: Annotated[str | None, DBColumn(index=True)] = Field(None, max_length=120)

    manager = DatabaseManager("sqlite://")
    ModelRegistry(manager, [TeamModel, UserModel]).create_schema()
    return manager.metadata


def alembic_environment(directory: Path, url: str) -> Config:
    """``alembic init`` output, with target_metadata from the caller and dbkit's two lines added."""
    config = Config(str(directory.parent / "alembic.ini"))
    command.init(config, str(directory), template="generic")
    config = Config(str(directory.parent / "alembic.ini"))
    env = directory / "env.py"
    text = env.read_text()
    text = text.replace("target_metadata = None", 'target_metadata = config.attributes["target_metadata"]')
    text = text.replace("from alembic import context\n", f"from alembic import context\n{IMPORT_LINE}\n")
    configure = "connection=connection, target_metadata=target_metadata\n"
    assert configure in text  # the generic template's online configure() call
    text = text.replace(
        configure,
        'connection=connection, target_metadata=target_metadata,\n            render_as_batch=connection.dialect.name == "sqlite",\n'
        f"            {CONFIGURE_LINE}\n",
    )
    env.write_text(text)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def autogenerate(config: Config, metadata: sa.MetaData, message: str) -> str:
    config.attributes["target_metadata"] = metadata
    script = command.revision(config, message=message, autogenerate=True)
    return Path(script.path).read_text()


@pytest.fixture
def environment(tmp_path: Path, database_url: str) -> Config:
    return alembic_environment(tmp_path / "migrations", database_url)


def users_and_squads(engine: sa.Engine, team_table: str, name_column: str) -> list[tuple]:
    with engine.connect() as connection:
        query = (
            f"SELECT u.email, u.{name_column}, t.name FROM users u JOIN {team_table} t ON t.id = u.team_id "
            "ORDER BY u.email"
        )
        return [tuple(row) for row in connection.exec_driver_sql(query)]


def test_plain_autogenerate_writes_renames_enum_members_and_backfills_that_keep_rows(
    environment: Config, database_url: str
) -> None:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    v1, v2 = build_models(1), build_models(2)
    autogenerate(environment, v1, "v1")
    command.upgrade(environment, "head")
    with engine.begin() as connection:
        teams = sa.Table("teams", sa.MetaData(), autoload_with=connection)
        users = sa.Table("users", sa.MetaData(), autoload_with=connection)
        team_ids = [
            connection.execute(
                teams.insert().values(id=str(uuid.UUID(int=n + 1)), name=f"Team {n}")
            ).inserted_primary_key[0]
            for n in range(3)
        ]
        connection.execute(
            users.insert(),
            [
                {
                    "id": str(uuid.UUID(int=100 + n)),
                    "email": f"u{n}@x.io",
                    "fullname": f"User {n}",
                    "team_id": team_ids[n % 3],
                }
                | {"status": "active"}
                for n in range(6)
            ],
        )
    before = users_and_squads(engine, "teams", "fullname")

    text = autogenerate(environment, v2, "v2")

    assert "op.rename_table('teams', 'squads')" in text
    assert "new_column_name='full_name'" in text
    assert "drop_column('fullname')" not in text and "drop_column('users', 'fullname')" not in text
    assert "drop_table('teams')" not in text.split("def downgrade")[0]
    assert "# temporary default \"'free'\" filled existing rows" in text
    assert "# rename_table squads" in text  # each dbkit operation says which change caused it
    if engine.dialect.name == "postgresql":
        assert "op.add_enum_value('user_status', 'invited'" in text
        assert "import dbkit.migrate.renderers" in text
    command.upgrade(environment, "head")
    assert users_and_squads(engine, "squads", "full_name") == before
    inspector = sa.inspect(engine)
    plan = next(column for column in inspector.get_columns("squads") if column["name"] == "plan")
    assert plan["nullable"] is False and plan["default"] is None  # the temporary default is gone
    with engine.connect() as connection:
        assert set(connection.exec_driver_sql("SELECT plan FROM squads").scalars()) == {"free"}
        if engine.dialect.name == "postgresql":
            labels = connection.exec_driver_sql(
                "SELECT unnest(enum_range(NULL::user_status))::text"
            ).scalars()
            assert list(labels) == ["active", "suspended", "invited"]
    environment.attributes["target_metadata"] = v2
    command.check(environment)  # Alembic itself (with dbkit's comparator) finds the models matched

    command.downgrade(environment, "-1")
    assert users_and_squads(engine, "teams", "fullname") == before
    engine.dispose()


def test_without_a_hint_the_drop_and_add_stay_as_alembic_wrote_them(
    environment: Config, database_url: str
) -> None:
    autogenerate(environment, build_models(1), "v1")
    command.upgrade(environment, "head")

    text = autogenerate(environment, build_models(2, user="A new status.", team=None), "v2")

    upgrade = text.split("def downgrade")[0]
    assert "new_column_name" not in upgrade and "rename_table" not in upgrade
    assert re.search(r"drop_column\(('users', )?'fullname'\)", upgrade)
    assert "create_table('squads'" in upgrade and "drop_table('teams')" in upgrade


def test_a_hint_naming_an_unknown_column_stops_autogenerate_naming_the_model(
    environment: Config,
) -> None:
    autogenerate(environment, build_models(1), "v1")
    command.upgrade(environment, "head")

    with pytest.raises(MigrationHintError, match=r"UserModel.*renamed users.nickname to users.full_name"):
        autogenerate(environment, build_models(2, user="Renamed nickname to full_name."), "v2")


def test_enum_steps_place_each_new_member_next_to_an_existing_one() -> None:
    steps = enum_value_steps(["a", "b", "c"], ["x", "y", "a", "c", "z"])
    assert steps == [
        ("add", "x", ["x", "a", "b", "c"]),
        ("add", "y", ["x", "y", "a", "b", "c"]),
        ("add", "z", ["x", "y", "a", "b", "c", "z"]),
        ("drop", "b", ["x", "y", "a", "b", "c", "z"]),
    ]


def test_mapped_classes_are_found_from_the_target_metadata() -> None:
    metadata = build_models(2)
    classes = mapped_classes(metadata.tables.values())
    assert sorted(cls.__dbkit_model__.__name__ for cls in classes) == ["TeamModel", "UserModel"]
    assert dbkit_autogenerate()["autogenerate_plugins"] == ["alembic.autogenerate.*", "dbkit.autogenerate"]


def test_metadata_alone_keeps_its_generated_classes_for_the_rewriter(monkeypatch: pytest.MonkeyPatch) -> None:
    """env.py often keeps only ``target_metadata``; the manager that generated it may be gone, and
    SQLAlchemy's registries are weak: the classes (and their models' notes) must stay reachable."""
    import gc

    from dbkit.generate import collector

    monkeypatch.setattr(collector, "FREEZE_AFTER_GENERATION", False)  # a frozen manager would never go
    metadata = build_models(2)
    gc.collect()
    classes = mapped_classes(metadata.tables.values())
    assert sorted(cls.__tablename__ for cls in classes) == ["squads", "users"]
