"""with_session: injected sessions, one commit per outermost call, shared rollback, return types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from bll_support import MODELS, UserModel
from sqlalchemy.orm import Session

from dbkit import DatabaseManager, ModelRegistry
from dbkit.bll import current_session, to_return_type, with_session


@pytest.fixture
def registry(manager: DatabaseManager) -> ModelRegistry:
    registry = ModelRegistry(manager, MODELS)
    registry.create_schema()
    return registry


@pytest.fixture
def commits(manager: DatabaseManager) -> Iterator[list[int]]:
    seen: list[int] = []

    def count(_connection: Any) -> None:
        seen.append(1)

    sa.event.listen(manager.engine, "commit", count)
    yield seen
    sa.event.remove(manager.engine, "commit", count)


def _emails(manager: DatabaseManager) -> list[str]:
    with manager.get_db() as db:
        return list(db.execute(sa.text("SELECT email FROM users ORDER BY email")).scalars())


@with_session
def add_user(email: str, *, db: Session, db_manager: DatabaseManager) -> Any:
    user = UserModel.db_for(db_manager)(email=email)
    db.add(user)
    db.flush()
    return user


@with_session
def add_two(
    first: str, second: str, *, db: Session, db_manager: DatabaseManager, fail: bool = False
) -> Session:
    add_user(first, db_manager=db_manager)
    add_user(second, db_manager=db_manager)
    assert current_session(db_manager) is db
    if fail:
        raise RuntimeError("boom after both inserts")
    return db


class Accounts:
    @classmethod
    @with_session
    def add(cls, email: str, *, db: Session, db_manager: DatabaseManager) -> str:
        return add_user(email, db_manager=db_manager).id

    @with_session
    @classmethod
    def add_reversed_order(cls, email: str, *, db: Session, db_manager: DatabaseManager) -> str:
        return cls.add(email, db_manager=db_manager)


def test_nested_calls_share_one_session_and_commit_once(
    manager: DatabaseManager, registry: ModelRegistry, commits: list[int]
) -> None:
    session = add_two("a@x.io", "b@x.io", db_manager=manager)
    assert len(commits) == 1
    assert _emails(manager) == ["a@x.io", "b@x.io"]
    assert current_session(manager) is None
    assert not session.in_transaction()  # closed after the outermost call


def test_an_error_rolls_the_whole_unit_of_work_back(
    manager: DatabaseManager, registry: ModelRegistry, commits: list[int]
) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        add_two("a@x.io", "b@x.io", db_manager=manager, fail=True)
    assert commits == []
    assert _emails(manager) == []
    assert current_session(manager) is None
    add_user("c@x.io", db_manager=manager)  # the manager still works afterwards
    assert _emails(manager) == ["c@x.io"]


def test_a_session_passed_in_is_used_and_not_committed(
    manager: DatabaseManager, registry: ModelRegistry
) -> None:
    with manager.get_db() as db:
        add_user("a@x.io", db=db, db_manager=manager)
        db.rollback()
    assert _emails(manager) == []


def test_classmethods_in_either_decorator_order(manager: DatabaseManager, registry: ModelRegistry) -> None:
    assert Accounts.add("a@x.io", db_manager=manager)
    with manager.activate():  # no db_manager given: the active manager
        assert Accounts.add_reversed_order("b@x.io")
    assert _emails(manager) == ["a@x.io", "b@x.io"]


def test_the_manager_comes_from_a_model_registry_argument(
    manager: DatabaseManager, registry: ModelRegistry
) -> None:
    @with_session
    def count_users(*, model_registry: ModelRegistry, db: Session, db_manager: DatabaseManager) -> int:
        assert db_manager is manager
        return db.execute(sa.text("SELECT count(*) FROM users")).scalar_one()

    assert count_users(model_registry=registry) == 0


def test_return_types(manager: DatabaseManager, registry: ModelRegistry) -> None:
    user = add_user("a@x.io", db_manager=manager)
    assert to_return_type(user, "db") is user
    as_dict = to_return_type(user, "dict")
    assert as_dict["email"] == "a@x.io" and as_dict["id"] == user.id and "deleted_at" in as_dict
    for kind in ("dto", "model"):
        dto = to_return_type(user, kind, UserModel)
        assert isinstance(dto, UserModel) and dto.email == "a@x.io"
    assert isinstance(
        to_return_type(user, "dto", UserModel, override_dto=UserModel.Optional), UserModel.Optional
    )
    with pytest.raises(ValueError, match="Unknown return_type 'json'"):
        to_return_type(user, "json")  # type: ignore[arg-type]
