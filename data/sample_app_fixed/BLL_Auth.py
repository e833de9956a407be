"""Business-logic models for accounts: the Pydantic-first definitions of users and roles.

``UserModel.DB`` generates the SQLAlchemy class that will replace ``DB_Auth.User``; until
then both live side by side (Phase 1) and the parity report compares them.
"""

import datetime as dt
import enum
from typing import Annotated, ClassVar

import sqlalchemy as sa
from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin, DBColumn


class UserStatus(str, enum.Enum):  # noqa: UP042 - written for Python 3.10
    active = "active"
    suspended = "suspended"
    deactivated = "deactivated"


class RoleModel(ApplicationModel, DatabaseMixin):
    table_comment: ClassVar[str] = "Named permission sets granted through team membership"

    # Phase 1 fix: DB_Auth.Role.name is String(50).
    name: Annotated[str, DBColumn(unique=True)] = Field(description="Role name, e.g. owner", max_length=50)
    description: Annotated[str | None, DBColumn(sa_type=sa.Text)] = Field(
        None, description="What members with this role may do"
    )
    is_system: Annotated[bool, DBColumn(server_default=sa.false())] = Field(
        False, description="Built-in roles cannot be edited"
    )


class UserModel(ApplicationModel, DatabaseMixin):
    table_comment: ClassVar[str] = "People who can sign in"
    table_args: ClassVar[tuple] = (sa.Index("ix_users_status_created_at", "status", "created_at"),)

    email: Annotated[str, DBColumn(unique=True)] = Field(
        description="Login e-mail address", max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )
    fullname: str | None = Field(None, description="Name shown to other users", max_length=120)
    status: Annotated[UserStatus, DBColumn(server_default="active")] = Field(
        UserStatus.active, description="Account state"
    )
    locale: Annotated[str, DBColumn(server_default="en")] = Field(
        "en", description="Preferred language", max_length=10
    )
    avatar_url: str | None = Field(None, description="Profile picture URL", max_length=500)
    last_login_at: Annotated[dt.datetime | None, DBColumn(index=True)] = Field(
        None, description="Last sign-in"
    )
