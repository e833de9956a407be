"""AbstractBLLManager CRUD, every search operator, paging, ordering, batches and hooks, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from bll_support import Kind, ProjectManager, ProjectModel, UserModel, World, build_world, hash_password
from pydantic import ValidationError

from dbkit import DatabaseManager, NotFoundError
from dbkit.bll import SearchError


@pytest.fixture
def world(manager: DatabaseManager) -> World:
    return build_world(manager)


def _count(world: World, table: str) -> int:
    with world.db.get_db() as db:
        return db.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_create_get_update_delete(world: World) -> None:
    projects = world.projects(world.alice)
    created = projects.create(title="Roadmap", budget=10.5, priority=2)
    assert isinstance(created, ProjectModel) and created.created_by_user_id == world.alice
    assert projects.get(created.id) == created
    assert projects.get(created.id, return_type="dict")["title"] == "Roadmap"
    assert projects.get(created.id, return_type="db").__tablename__ == "projects"

    updated = projects.update(created.id, title="Roadmap 2")
    assert (updated.title, updated.budget, updated.priority) == (
        "Roadmap 2",
        10.5,
        2,
    )  # unset fields untouched
    assert (
        projects.update(created.id, ProjectModel.Update(budget=None)).budget is None
    )  # explicit None is a change
    assert projects.get(created.id, return_type="dict")["updated_by_user_id"] == world.alice

    projects.delete(created.id)
    with pytest.raises(NotFoundError, match="does not exist or was deleted"):
        projects.get(created.id)
    with pytest.raises(NotFoundError):
        projects.delete(created.id)
    row = world.projects(world.root).get(created.id, return_type="dict")
    assert row["deleted_at"] is not None and row["deleted_by_user_id"] == world.alice
    with pytest.raises(NotFoundError, match="not a valid id"):
        projects.get("definitely-not-an-id")


def test_managers_default_their_reference_and_network_models() -> None:
    assert ProjectManager.ReferenceModel is ProjectModel.ReferenceID
    assert ProjectManager.NetworkModel is ProjectModel.Network
    assert ProjectManager.NetworkModel.ResponsePlural.model_fields.keys() == {"projects"}


def test_create_validates_input_and_inserts_nothing_when_invalid(world: World) -> None:
    users = world.users(world.root)
    before = _count(world, "users")
    with pytest.raises(ValidationError, match="needs an @"):
        users.create(email="nobody")
    with pytest.raises(ValidationError, match="Extra inputs"):
        users.create(email="x@y.z", created_by_user_id=world.alice)  # audit fields are not client input
    with pytest.raises(TypeError, match="not both"):
        users.create({"email": "x@y.z"}, name="x")
    assert _count(world, "users") == before
    assert users.create(UserModel.Create(email="Mixed@Case.io")).email == "mixed@case.io"


def _seed_projects(world: World) -> dict[str, str]:
    projects = world.projects(world.alice)
    rows = [
        dict(
            title="Alpha Launch",
            budget=100.0,
            priority=1,
            active=True,
            kind=Kind.INTERNAL,
            starts_on=dt.date(2024, 1, 10),
            due_at=dt.datetime(2024, 3, 1, 9, 30),
        ),
        dict(
            title="beta launch",
            budget=250.5,
            priority=2,
            active=False,
            kind=Kind.CLIENT,
            starts_on=dt.date(2024, 2, 1),
            due_at=dt.datetime(2024, 3, 1, 23, 59),
            team_id=world.team,
        ),
        dict(
            title="Gamma",
            budget=None,
            priority=3,
            active=True,
            kind=None,
            starts_on=None,
            due_at=dt.datetime(2024, 3, 2, 0, 0),
        ),
    ]
    return {row["title"]: projects.create(row).id for row in rows}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"title": {"eq": "Gamma"}}, {"Gamma"}),
        ({"title": {"eq": "gamma"}}, set()),  # eq is exact
        ({"title": {"inc": "LAUNCH"}}, {"Alpha Launch", "beta launch"}),
        ({"title": {"sw": "BETA"}}, {"beta launch"}),
        ({"title": {"ew": "MMA"}}, {"Gamma"}),
        ({"title": "Gamma"}, {"Gamma"}),  # a bare value means eq
        ({"budget": {"eq": 100}}, {"Alpha Launch"}),
        ({"budget": {"neq": 100}}, {"beta launch"}),
        ({"budget": {"lt": 250.5}}, {"Alpha Launch"}),
        ({"budget": {"lteq": 250.5}}, {"Alpha Launch", "beta launch"}),
        ({"priority": {"gt": 1}}, {"beta launch", "Gamma"}),
        ({"priority": {"gteq": 1, "lt": 3}}, {"Alpha Launch", "beta launch"}),
        ({"active": {"eq": False}}, {"beta launch"}),
        ({"active": True}, {"Alpha Launch", "Gamma"}),
        ({"kind": {"eq": "client"}}, {"beta launch"}),
        ({"kind": {"eq": "INTERNAL"}}, {"Alpha Launch"}),
        ({"kind": {"inc": "intern"}}, {"Alpha Launch"}),
        ({"starts_on": {"before": "2024-01-31T00:00:00"}}, {"Alpha Launch"}),
        ({"starts_on": {"after": "2024-01-31T00:00:00"}}, {"beta launch"}),
        ({"starts_on": {"on": "2024-02-01"}}, {"beta launch"}),
        ({"due_at": {"on": "2024-03-01"}}, {"Alpha Launch", "beta launch"}),
        ({"due_at": {"eq": "2024-03-02T00:00:00"}}, {"Gamma"}),
        ({"due_at": {"after": "2024-03-01T12:00:00", "before": "2024-03-02T00:00:00"}}, {"beta launch"}),
    ],
)
def test_every_search_operator(world: World, criteria: dict, expected: set[str]) -> None:
    _seed_projects(world)
    found = world.projects(world.alice).search(**criteria)
    assert {project.title for project in found} == expected


def test_search_by_ids_and_references(world: World) -> None:
    ids = _seed_projects(world)
    projects = world.projects(world.alice)
    assert [p.title for p in projects.search(id=ids["Gamma"])] == ["Gamma"]
    assert {p.title for p in projects.search(id={"any_of": [ids["Gamma"], ids["beta launch"]]})} == {
        "Gamma",
        "beta launch",
    }
    assert [p.title for p in projects.search(team_id={"eq": world.team})] == ["beta launch"]
    assert len(projects.search(created_by_user_id=world.alice)) == 3
    created_on = projects.get(ids["Gamma"]).created_at.date()
    assert len(projects.search(ProjectModel.Search(created_at={"on": created_on}))) == 3
    assert projects.search(created_at={"on": created_on + dt.timedelta(days=1)}) == []
    with pytest.raises(SearchError, match="not a Kind"):
        projects.search(kind={"eq": "galactic"})


def test_pagination_and_ordering(world: World) -> None:
    projects = world.projects(world.alice)
    projects.batch_create([{"title": f"P{i}", "priority": i % 4} for i in range(10)])
    by_priority = projects.list(order_by=["-priority", "title"])
    assert [p.title for p in by_priority] == ["P3", "P7", "P2", "P6", "P1", "P5", "P9", "P0", "P4", "P8"]
    page = projects.list(order_by=["-priority", "title"], limit=3, offset=2)
    assert [p.title for p in page] == ["P2", "P6", "P1"]
    assert len(projects.search(priority={"gteq": 1}, limit=100, offset=5)) == 2
    assert [p.title for p in projects.list(order_by="title", limit=2)] == ["P0", "P1"]
    assert len(projects.list()) == 10
    with pytest.raises(SearchError, match="no column 'nope' to order by"):
        projects.list(order_by=["nope"])


def test_batches_apply_all_or_nothing(world: World) -> None:
    projects = world.projects(world.alice)
    created = projects.batch_create([{"title": "A"}, {"title": "B"}, {"title": "C"}])
    ids = [p.id for p in created]
    assert [p.title for p in projects.batch_get(reversed(ids))] == ["C", "B", "A"]
    updated = projects.batch_update({ids[0]: {"priority": 1}, ids[1]: ProjectModel.Update(priority=2)})
    assert [p.priority for p in updated] == [1, 2]
    with pytest.raises(ValidationError):
        projects.batch_create([{"title": "D"}, {"budget": 3}])  # second lacks a title
    with pytest.raises(NotFoundError):
        projects.batch_update(
            [(ids[2], {"priority": 9}), ("00000000-0000-4000-8000-00000000dead", {"priority": 9})]
        )
    assert {p.title for p in projects.list()} == {"A", "B", "C"}
    assert projects.get(ids[2]).priority is None
    projects.batch_delete(ids[:2])
    assert [p.title for p in projects.list()] == ["C"]


def test_hooks_run_around_writes_and_a_failing_before_hook_rolls_back(world: World) -> None:
    users = world.users(world.root)
    user = users.create(email="hook@x.io", password="s3cret")
    assert user.password_hash == hash_password("s3cret")  # model-level before_create hook
    assert users.update(user.id, password="other").password_hash == hash_password("other")

    entity = world.registry.DB(ProjectModel)
    events: list[tuple[str, str, str]] = []
    for time in ("before", "after"):
        for event in ("create", "update", "delete"):
            entity.hooks.register(
                time, event, lambda row, ctx, t=time: events.append((t, ctx.event, row.title))
            )

    @entity.hooks.before_create
    def refuse_secret_titles(row: object, ctx: object) -> None:
        if row.title == "classified":
            raise PermissionError("classified projects are not allowed")

    projects = world.projects(world.alice)
    project = projects.create(title="open")
    projects.update(project.id, title="open 2")
    projects.delete(project.id)
    assert events == [
        ("before", "create", "open"),
        ("after", "create", "open"),
        ("before", "update", "open 2"),
        ("after", "update", "open 2"),
        ("before", "delete", "open 2"),
        ("after", "delete", "open 2"),
    ]
    with pytest.raises(PermissionError, match="classified"):
        projects.batch_create([{"title": "fine"}, {"title": "classified"}])
    assert [p.title for p in world.projects(world.root).search(title={"eq": "fine"})] == []
