"""The permission rules (dbkit.bll.permissions), with a refusal for every operation, on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bll_support import (
    MembershipManager,
    ProjectManager,
    SettingManager,
    World,
    _role_id,
    build_world,
)

from dbkit import DatabaseManager, NotFoundError, PermissionDeniedError
from dbkit.bll import AbstractBLLManager


@pytest.fixture
def world(manager: DatabaseManager) -> World:
    return build_world(manager)


def _row(world: World, table: str, key: str) -> dict:
    """A row read straight from the database, bypassing every rule."""
    with world.db.get_db() as db:
        id_type = sa.Uuid(as_uuid=False)
        query = sa.text(f"SELECT * FROM {table} WHERE id = :id").bindparams(
            sa.bindparam("id", key, type_=id_type)
        )
        return dict(db.execute(query).mappings().one())


def test_another_user_cannot_get_list_search_update_or_delete_a_private_row(world: World) -> None:
    mine = world.projects(world.alice).create(title="Private plan").id
    carol = world.projects(world.carol)
    with pytest.raises(PermissionDeniedError, match=r"may not read Project"):
        carol.get(mine)
    with pytest.raises(PermissionDeniedError, match=r"may not read"):
        carol.batch_get([mine])
    assert carol.list() == []
    assert carol.search(title={"inc": "private"}) == []
    with pytest.raises(PermissionDeniedError, match=r"may not update Project"):
        carol.update(mine, title="Hijacked")
    with pytest.raises(PermissionDeniedError, match=r"may not delete Project"):
        carol.delete(mine)
    with pytest.raises(PermissionDeniedError):
        carol.batch_update({mine: {"title": "Hijacked"}})
    row = _row(world, "projects", mine)
    assert (row["title"], row["deleted_at"]) == ("Private plan", None)
    assert world.projects(world.alice).get(mine).title == "Private plan"


def test_team_members_read_and_only_roles_with_can_write_change(world: World) -> None:
    shared = world.projects(world.alice).create(title="Team plan", team_id=world.team).id
    bob, carol = world.projects(world.bob), world.projects(world.carol)
    assert bob.get(shared).title == "Team plan"
    assert [p.id for p in bob.search(title={"sw": "team"})] == [shared]
    with pytest.raises(PermissionDeniedError, match="may not update"):
        bob.update(shared, title="Member edit")
    with pytest.raises(PermissionDeniedError, match="may not delete"):
        bob.delete(shared)
    with pytest.raises(PermissionDeniedError, match="may not create a Project in team"):
        bob.create(title="Sneaky", team_id=world.team)
    own = bob.create(title="Bob's own").id
    with pytest.raises(PermissionDeniedError, match="may not move a Project in team"):
        bob.update(own, team_id=world.team)
    with pytest.raises(PermissionDeniedError, match="may not read"):
        carol.get(shared)
    assert carol.list() == []
    assert world.projects(world.alice).update(shared, title="Admin edit").title == "Admin edit"
    assert _row(world, "projects", shared)["title"] == "Admin edit"

    # promoting bob to admin lets him change the team's rows
    memberships = MembershipManager(world.alice, model_registry=world.registry)
    (bob_membership,) = memberships.search(user_id=world.bob)
    with pytest.raises(PermissionDeniedError, match="may not update"):
        MembershipManager(world.bob, model_registry=world.registry).update(
            bob_membership.id, role_id=_role_id(world.registry, "admin")
        )
    memberships.update(bob_membership.id, role_id=_role_id(world.registry, "admin"))
    assert bob.update(shared, title="Bob as admin").title == "Bob as admin"


def test_members_cannot_add_members_and_outsiders_cannot_join(world: World) -> None:
    member_role = _role_id(world.registry, "member")
    for requester in (world.bob, world.carol):
        with pytest.raises(PermissionDeniedError, match="may not create a Membership in team"):
            MembershipManager(requester, model_registry=world.registry).create(
                user_id=world.carol, team_id=world.team, role_id=member_role
            )
    MembershipManager(world.alice, model_registry=world.registry).create(
        user_id=world.carol, team_id=world.team, role_id=member_role
    )
    shared = world.projects(world.alice).create(title="Now visible", team_id=world.team).id
    assert world.projects(world.carol).get(shared).title == "Now visible"


def test_soft_deleted_rows_are_hidden_from_everyone_but_root(world: World) -> None:
    shared = world.projects(world.alice).create(title="Gone soon", team_id=world.team).id
    world.projects(world.alice).delete(shared)
    for requester in (world.alice, world.bob):
        projects = world.projects(requester)
        with pytest.raises(NotFoundError):
            projects.get(shared)
        assert projects.list() == []
        assert projects.search(title={"eq": "Gone soon"}) == []
        with pytest.raises(NotFoundError):
            projects.update(shared, title="Revived")
    root = world.projects(world.root)
    assert root.get(shared).title == "Gone soon"
    assert [p.id for p in root.list()] == [shared]
    assert root.update(shared, title="Root may").title == "Root may"


def test_system_rows_and_system_entities_are_writable_only_by_root_and_system(world: World) -> None:
    settings = SettingManager(world.alice, model_registry=world.registry)
    (theme,) = settings.list()  # seeded by the system id: readable by everyone
    assert theme.created_by_user_id == world.system and settings.get(theme.id).value == "dark"
    with pytest.raises(PermissionDeniedError, match="system entity"):
        settings.create(key="font")
    with pytest.raises(PermissionDeniedError, match="system entity"):
        settings.update(theme.id, value="light")
    with pytest.raises(PermissionDeniedError, match="system entity"):
        settings.delete(theme.id)
    assert (
        SettingManager(world.system, model_registry=world.registry).update(theme.id, value="light").value
        == "light"
    )
    assert (
        SettingManager(world.root, model_registry=world.registry).update(theme.id, value="blue").value
        == "blue"
    )

    # a system-created row in a team: every user reads it, even the team's admin cannot change it
    system_row = (
        ProjectManager(world.system, model_registry=world.registry)
        .create(title="Policy", team_id=world.team)
        .id
    )
    assert world.projects(world.carol).get(system_row).title == "Policy"
    for requester in (world.alice, world.bob, world.carol):
        with pytest.raises(PermissionDeniedError, match="may not update"):
            world.projects(requester).update(system_row, title="Edited")
        with pytest.raises(PermissionDeniedError, match="may not delete"):
            world.projects(requester).delete(system_row)
    assert _row(world, "projects", system_row)["title"] == "Policy"


def test_users_see_their_own_user_row_only(world: World) -> None:
    users = world.users(world.alice)
    assert [u.email for u in users.list()] == ["alice@example.com"]
    assert users.update(world.alice, name="Alice A.").name == "Alice A."
    with pytest.raises(PermissionDeniedError, match="may not read User"):
        users.get(world.bob)
    with pytest.raises(PermissionDeniedError, match="may not update User"):
        users.update(world.bob, name="Bobby")
    assert len(world.users(world.root).list()) == 3


@pytest.mark.parametrize("requester", ["00000000-0000-4000-8000-0000000000aa", "not-a-uuid", "deleted"])
def test_a_requester_that_does_not_exist_is_refused(world: World, requester: str) -> None:
    if requester == "deleted":
        requester = world.users(world.root).create(email="gone@example.com").id
        world.users(world.root).delete(requester)
    projects = world.projects(requester)
    operations = [
        lambda: projects.create(title="x"),
        lambda: projects.list(),
        lambda: projects.search(title="x"),
        lambda: projects.get(world.alice),
        lambda: projects.update(world.alice, title="x"),
        lambda: projects.delete(world.alice),
    ]
    for operation in operations:
        with pytest.raises(PermissionDeniedError, match="is not a user of this database"):
            operation()


HOSTILE_TITLES = ["100% sure", "a_b", "O'Brien", 'say "hi"', "x'; DROP TABLE projects; --", "back\\slash"]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"title": {"inc": "%"}}, {"100% sure"}),
        ({"title": {"inc": "_"}}, {"a_b"}),
        ({"title": {"sw": "a_"}}, {"a_b"}),
        ({"title": {"inc": "'"}}, {"O'Brien", "x'; DROP TABLE projects; --"}),
        ({"title": {"inc": '"hi"'}}, {'say "hi"'}),
        ({"title": {"eq": "' OR '1'='1"}}, set()),
        ({"title": {"inc": "' OR 1=1 --"}}, set()),
        ({"title": {"ew": "; DROP TABLE projects; --"}}, {"x'; DROP TABLE projects; --"}),
        ({"title": {"inc": "\\"}}, {"back\\slash"}),
        ({"title": {"inc": "\\%"}}, set()),
        ({"title": {"inc": "%%"}}, set()),
    ],
)
def test_search_strings_match_literally_and_change_nothing(
    world: World, criteria: dict, expected: set
) -> None:
    projects = world.projects(world.alice)
    projects.batch_create([{"title": title} for title in HOSTILE_TITLES])
    world.projects(world.carol).create(title="carol's 100% private")
    assert {p.title for p in projects.search(**criteria)} == expected
    assert sorted(p.title for p in world.projects(world.root).list()) == sorted(
        [*HOSTILE_TITLES, "carol's 100% private"]
    )


def test_a_manager_without_model_is_refused() -> None:
    class Incomplete(AbstractBLLManager):
        pass

    with pytest.raises(Exception, match="must set Model"):
        Incomplete("anyone")
