"""Business-logic models for teams and memberships (generated counterparts of DB_Teams)."""

from typing import Annotated, ClassVar

import sqlalchemy as sa
from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin, DBColumn

from BLL_Auth import RoleModel, UserModel


class TeamModel(ApplicationModel, DatabaseMixin):
    table_comment: ClassVar[str] = "Groups of users sharing documents"

    name: str = Field(description="Display name", max_length=100)
    # Phase 1 fix: DB_Teams.Team.slug is unique (uq_teams_slug).
    slug: Annotated[str, DBColumn(unique=True)] = Field(description="URL-safe name", max_length=100)
    # Phase 1 fix: DB_Teams.Team.description is nullable.
    description: Annotated[str | None, DBColumn(sa_type=sa.Text)] = Field(
        None, description="What the team works on"
    )
    owner_id: Annotated[
        str | None, DBColumn(references=UserModel, ondelete="SET NULL", backref="owned_teams")
    ] = Field(None, description="The user who owns the team")
    max_members: Annotated[int, DBColumn(server_default="25")] = Field(
        25, description="Seat limit of the plan"
    )


class UserTeamModel(ApplicationModel, UserModel.ReferenceID, TeamModel.ReferenceID, DatabaseMixin):
    table_comment: ClassVar[str] = "Membership of a user in a team, with a role"
    table_args: ClassVar[tuple] = (
        sa.UniqueConstraint("user_id", "team_id", name="uq_user_teams_membership"),
    )

    # Phase 1 fix: DB_Teams.UserTeam has a ``role`` relationship (backref ``memberships``).
    role_id: Annotated[str, DBColumn(references=RoleModel, index=True, backref="memberships")] = Field(
        description="Role within the team"
    )
