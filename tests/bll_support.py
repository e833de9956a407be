"""Models, managers and a populated database shared by the business-layer tests (test_bll_*.py)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, DBColumn, ModelRegistry
from dbkit.bll import TEAM_MODELS, AbstractBLLManager, MembershipModel, RoleModel, TeamModel, seed


class Kind(enum.Enum):
    INTERNAL = "internal"
    CLIENT = "client"


class UserModel(ApplicationModel, DatabaseMixin):
    email: Annotated[str, DBColumn(unique=True)] = Field(..., description="Login e-mail", max_length=255)
    name: str | None = Field(None, description="Display name")
    password: Annotated[str | None, DBColumn(persist=False)] = Field(
        None, description="Only sent, never stored"
    )
    password_hash: str | None = None

    @field_validator("email")
    @classmethod
    def email_has_at(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("an e-mail address needs an @")
        return value.lower()


class ProjectModel(ApplicationModel, TeamModel.ReferenceID.Optional, DatabaseMixin):
    title: str = Field(..., description="Project title")
    budget: float | None = None
    priority: int | None = None
    active: bool = True
    kind: Kind | None = None
    starts_on: dt.date | None = None
    due_at: dt.datetime | None = None
    notes: dict[str, Any] | None = None


class SettingModel(ApplicationModel, DatabaseMixin):
    key: Annotated[str, DBColumn(unique=True)]
    value: str | None = None

    system: ClassVar[bool] = True
    seed_list: ClassVar[list[dict[str, Any]]] = [{"key": "theme", "value": "dark"}]


MODELS = (UserModel, ProjectModel, SettingModel, *TEAM_MODELS)


class UserManager(AbstractBLLManager):
    Model = UserModel


class ProjectManager(AbstractBLLManager):
    Model = ProjectModel


class SettingManager(AbstractBLLManager):
    Model = SettingModel


class TeamManager(AbstractBLLManager):
    Model = TeamModel


class MembershipManager(AbstractBLLManager):
    Model = MembershipModel


class RoleManager(AbstractBLLManager):
    Model = RoleModel


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


@dataclass
class World:
    """A schema with seeds, three users, and a team where alice is admin and bob a plain member."""

    db: DatabaseManager
    registry: ModelRegistry
    root: str
    system: str
    alice: str
    bob: str
    carol: str
    team: str

    def projects(self, requester: str) -> ProjectManager:
        return ProjectManager(requester, model_registry=self.registry)

    def users(self, requester: str) -> UserManager:
        return UserManager(requester, model_registry=self.registry)


def build_world(db_manager: DatabaseManager) -> World:
    registry = ModelRegistry(db_manager, MODELS)
    registry.create_schema()
    seed(registry)
    root, system = db_manager.root_id, db_manager.system_id
    users = UserManager(root, model_registry=registry)
    alice, bob, carol = (
        users.create(email=f"{name}@example.com", name=name).id for name in ("alice", "bob", "carol")
    )
    team = TeamManager(alice, model_registry=registry).create(name="Core").id
    memberships = MembershipManager(alice, model_registry=registry)
    memberships.create(user_id=alice, team_id=team, role_id=_role_id(registry, "admin"))
    memberships.create(user_id=bob, team_id=team, role_id=_role_id(registry, "member"))
    return World(db_manager, registry, root, system, alice, bob, carol, team)


def _role_id(registry: ModelRegistry, name: str) -> str:
    (role,) = RoleManager(registry.manager.root_id, model_registry=registry).search(name=name)
    return role.id


@UserModel.hooks.before_create
def _store_password_hash(user: Any, context: Any) -> None:
    """The canonical hook: the password is sent, only its hash is stored."""
    if context.data.get("password"):
        user.password_hash = hash_password(context.data["password"])


@UserModel.hooks.before_update
def _update_password_hash(user: Any, context: Any) -> None:
    if context.data.get("password"):
        user.password_hash = hash_password(context.data["password"])
