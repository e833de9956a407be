"""Seeding: dependency order, natural-key references, idempotence, all-or-nothing, on both backends."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import pytest
import sqlalchemy as sa

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, DBColumn, ModelRegistry
from dbkit.bll import RoleModel, SeedError, seed


class GrantModel(ApplicationModel, RoleModel.ReferenceID, DatabaseMixin):
    """Sorts before RoleModel by name, yet refers to seeded roles: seeding must order by dependency."""

    label: Annotated[str, DBColumn(unique=True)]
    seed_list: ClassVar[list[dict[str, Any]]] = [
        {"label": "can publish", "role_id": {"name": "admin"}},
        {"label": "can read", "role_id": {"name": "member"}},
    ]


class BrokenGrantModel(ApplicationModel, RoleModel.ReferenceID, DatabaseMixin):
    label: str
    seed_list: ClassVar[list[dict[str, Any]]] = [
        {"label": "fine", "role_id": {"name": "member"}},
        {"label": "broken", "role_id": {"name": "emperor"}},
    ]


def _rows(db_manager: DatabaseManager, query: str) -> list[tuple]:
    with db_manager.get_db() as db:
        return [tuple(row) for row in db.execute(sa.text(query))]


def test_seeding_follows_dependencies_resolves_natural_keys_and_runs_once(manager: DatabaseManager) -> None:
    registry = ModelRegistry(manager, [GrantModel, RoleModel])
    registry.create_schema()
    assert seed(registry) == {"RoleModel": 2, "GrantModel": 2}
    query = "SELECT g.label, r.name FROM grants g JOIN roles r ON r.id = g.role_id ORDER BY g.label"
    assert _rows(manager, query) == [("can publish", "admin"), ("can read", "member")]
    assert seed(registry) == {"RoleModel": 0, "GrantModel": 0}
    assert _rows(manager, "SELECT count(*) FROM grants") == [(2,)]
    with manager.get_db() as db:
        table = registry.DB(RoleModel).__table__
        assert set(db.execute(sa.select(table.c.created_by_user_id)).scalars()) == {manager.system_id}


def test_a_bad_natural_key_names_the_row_and_seeds_nothing(manager: DatabaseManager) -> None:
    registry = ModelRegistry(manager, [BrokenGrantModel, RoleModel])
    registry.create_schema()
    with pytest.raises(
        SeedError, match=r"BrokenGrantModel.seed_list\[1\].role_id: \{'name': 'emperor'\} matches 0"
    ):
        seed(registry)
    assert _rows(manager, "SELECT count(*) FROM roles") == [(0,)]
    assert _rows(manager, "SELECT count(*) FROM broken_grants") == [(0,)]


def test_a_seed_row_failing_validation_is_reported_with_its_index(manager: DatabaseManager) -> None:
    class LabelModel(ApplicationModel, DatabaseMixin):
        text: Annotated[str, DBColumn(unique=True)]
        seed_list: ClassVar[list[dict[str, Any]]] = [{"text": "ok"}, {"txt": "typo"}]

    registry = ModelRegistry(manager, [LabelModel])
    registry.create_schema()
    with pytest.raises(SeedError, match=r"LabelModel.seed_list\[1\]"):
        seed(registry)
    assert _rows(manager, "SELECT count(*) FROM labels") == [(0,)]
