"""Accounts: users, their credentials, and the roles granted through team membership."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from base import AuditColumns, Base


class UserStatus(str, enum.Enum):  # noqa: UP042 - written for Python 3.10
    active = "active"
    suspended = "suspended"
    deactivated = "deactivated"


class Role(AuditColumns, Base):
    __tablename__ = "roles"
    __table_args__ = {"comment": "Named permission sets granted through team membership"}

    name: Mapped[str] = mapped_column(sa.String(50), unique=True, comment="Role name, e.g. owner")
    description: Mapped[str | None] = mapped_column(sa.Text, comment="What members with this role may do")
    is_system: Mapped[bool] = mapped_column(
        sa.Boolean,
        default=False,
        server_default=sa.false(),
        comment="Built-in roles cannot be edited",
    )


class User(AuditColumns, Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.Index("ix_users_status_created_at", "status", "created_at"),
        {"comment": "People who can sign in"},
    )

    email: Mapped[str] = mapped_column(sa.String(255), unique=True, comment="Login e-mail address")
    fullname: Mapped[str | None] = mapped_column(sa.String(120), comment="Name shown to other users")
    status: Mapped[UserStatus] = mapped_column(
        sa.Enum(UserStatus, name="user_status", validate_strings=True),
        default=UserStatus.active,
        server_default="active",
        comment="Account state",
    )
    locale: Mapped[str] = mapped_column(
        sa.String(10), default="en", server_default="en", comment="Preferred language"
    )
    avatar_url: Mapped[str | None] = mapped_column(sa.String(500), comment="Profile picture URL")
    last_login_at = mapped_column(
        sa.DateTime(timezone=True), nullable=True, index=True, comment="Last sign-in"
    )

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Credential(AuditColumns, Base):
    __tablename__ = "credentials"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind"),
        sa.CheckConstraint("kind IN ('password', 'api_key', 'totp')", name="kind_allowed"),
        {"comment": "Secrets a user signs in with (hashed)"},
    )

    user_id: Mapped[str] = mapped_column(
        sa.Uuid(as_uuid=False), sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20), comment="password, api_key or totp")
    secret_hash: Mapped[str] = mapped_column(sa.String(255))
    expires_at = mapped_column(sa.DateTime(timezone=True), nullable=True)

    user = relationship(User, backref=backref("credentials", cascade="all, delete-orphan"))
