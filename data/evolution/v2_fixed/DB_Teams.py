"""Teams, who belongs to them with which role, and pending invitations."""

import enum
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base import AuditColumns, Base
from DB_Auth import Role, User


class Team(AuditColumns, Base):
    __tablename__ = "teams"
    __table_args__ = {"comment": "Groups of users sharing documents"}

    name: Mapped[str] = mapped_column(sa.String(100), comment="Display name")
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True, comment="URL-safe name")
    description: Mapped[str | None] = mapped_column(sa.Text, comment="What the team works on")
    owner_id: Mapped[str | None] = mapped_column(
        sa.Uuid(as_uuid=False),
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        comment="The user who owns the team",
    )
    max_members: Mapped[int] = mapped_column(
        sa.Integer, default=25, server_default="25", comment="Seat limit of the plan"
    )

    owner = relationship(User, backref="owned_teams")


class UserTeam(AuditColumns, Base):
    __tablename__ = "user_teams"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "team_id", name="uq_user_teams_membership"),
        {"comment": "Membership of a user in a team, with a role"},
    )

    user_id: Mapped[str] = mapped_column(
        sa.Uuid(as_uuid=False), sa.ForeignKey("users.id"), comment="The ID of the related user"
    )
    team_id: Mapped[str] = mapped_column(
        sa.Uuid(as_uuid=False), sa.ForeignKey("teams.id"), comment="The ID of the related team"
    )
    role_id: Mapped[str] = mapped_column(
        sa.Uuid(as_uuid=False), sa.ForeignKey("roles.id"), index=True, comment="Role within the team"
    )

    user = relationship(User, backref="user_teams")
    team = relationship(Team, backref="user_teams")
    role = relationship(Role, backref="memberships")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(AuditColumns, Base):
    __tablename__ = "invitations"

    class Status(enum.Enum):
        pending = "pending"
        accepted = "accepted"
        declined = "declined"
        expired = "expired"

    team_id = mapped_column(
        sa.Uuid(as_uuid=False), sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False
    )
    role_id = mapped_column(sa.Uuid(as_uuid=False), sa.ForeignKey("roles.id"), nullable=False)
    email = mapped_column(sa.String(255), nullable=False)
    invited_by_user_id = mapped_column(sa.Uuid(as_uuid=False), sa.ForeignKey("users.id"), nullable=True)
    token = mapped_column(sa.String(64), nullable=False, unique=True, default=new_token)
    status = mapped_column(
        sa.Enum(Status, name="invitation_status"),
        nullable=False,
        default=Status.pending,
        server_default="pending",
    )
    expires_at = mapped_column(sa.DateTime(timezone=True), nullable=False)

    __table_args__ = (sa.Index("ix_invitations_team_id_email", "team_id", "email"),)

    team = relationship(Team, backref="invitations")
    role = relationship(Role)
    invited_by = relationship(User, foreign_keys=[invited_by_user_id], backref="sent_invitations")
