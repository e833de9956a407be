"""The team models the permission rules read: teams, roles and memberships (a user's role in a team).

Register them with your own models (``ModelRegistry(manager, [UserModel, ..., *TEAM_MODELS])``)
and seed the roles (``seed(registry)``). A codebase with its own equivalents points the rules at
them instead (``dbkit.bll.permissions.PermissionRules``). Memberships reference the ``users``
table by name, so they work with whichever model owns it, generated or hand-written.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import sqlalchemy as sa
from pydantic import Field

from dbkit.generate.database_mixin import ApplicationModel, DatabaseMixin
from dbkit.generate.options import DBColumn

MEMBER_ROLE = "member"
ADMIN_ROLE = "admin"


class TeamModel(ApplicationModel, DatabaseMixin):
    """A group of users sharing rows: a row with ``team_id`` set belongs to that team."""

    name: str = Field(..., description="Team name", max_length=255)
    description: str | None = Field(None, description="What the team is for")

    table_comment: ClassVar[str] = "Teams: groups of users sharing rows (dbkit permission rules)"


class RoleModel(ApplicationModel, DatabaseMixin):
    """A role a member holds in a team; ``can_write`` roles may change the team's rows."""

    name: Annotated[str, DBColumn(unique=True)] = Field(..., description="Role name", max_length=64)
    can_write: bool = Field(False, description="Members with this role may change the team's rows")

    table_comment: ClassVar[str] = "Roles a member can hold in a team (dbkit permission rules)"
    system: ClassVar[bool] = True
    seed_list: ClassVar[list[dict[str, Any]]] = [
        {"name": MEMBER_ROLE, "can_write": False},
        {"name": ADMIN_ROLE, "can_write": True},
    ]


class MembershipModel(ApplicationModel, TeamModel.ReferenceID, RoleModel.ReferenceID, DatabaseMixin):
    """A user's membership of a team, with the role that decides what the user may do there."""

    user_id: Annotated[str, DBColumn(references="users", relationship=False, ondelete="CASCADE")] = Field(
        ..., description="The member"
    )

    table_comment: ClassVar[str] = "Who belongs to which team, in which role (dbkit permission rules)"
    table_args: ClassVar[tuple[Any, ...]] = (sa.UniqueConstraint("user_id", "team_id"),)


#: The models the default permission rules read, in dependency order.
TEAM_MODELS: tuple[type, ...] = (TeamModel, RoleModel, MembershipModel)
