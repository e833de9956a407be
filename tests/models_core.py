"""Models shared by the core tests: the seed's examples, corrected only where the seed is wrong."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from dbkit import ApplicationModel, DatabaseMixin, DBColumn, ParentMixin


class Plan(enum.Enum):
    FREE = "free"
    PRO = "pro"


class Address(BaseModel):
    city: str
    zip_code: str


class UserModel(ApplicationModel, DatabaseMixin):
    email: Annotated[str, DBColumn(unique=True)] = Field(description="User's email address", max_length=255)
    display_name: str | None = Field(None, description="Name shown to others")
    timezone: str | None = Field(None, description="User timezone")
    table_comment: ClassVar[str] = "Core user accounts"
    migration_notes: ClassVar[str] = "Added timezone field in v2.1"

    @field_validator("display_name")
    @classmethod
    def no_angle_brackets(cls, value: str | None) -> str | None:
        if value is not None and ("<" in value or ">" in value):
            raise ValueError("display_name must not contain angle brackets")
        return value

    @model_validator(mode="after")
    def validate_email(self) -> UserModel:
        if "@" not in self.email:
            raise ValueError("Invalid email format")
        return self


class TeamModel(DatabaseMixin, ApplicationModel):  # the other base order works too
    name: str = Field(description="Team name", max_length=100)


class UserTeamModel(ApplicationModel.Optional, UserModel.ReferenceID, TeamModel.ReferenceID, DatabaseMixin):
    role: Literal["member", "admin"] = "member"


class DocumentModel(
    ApplicationModel.Optional,
    UserModel.ReferenceID,  # required user reference
    TeamModel.ReferenceID.Optional,  # optional team reference
    DatabaseMixin,  # the seed forgot this base: without it there is no .DB
):
    title: str | None = Field(None, description="Document title")


class EverythingModel(DatabaseMixin):
    """One field of every supported type."""

    text: str = Field(max_length=20)
    long_text: str | None = None
    count: int = 0
    flag: bool = False
    ratio: float = 0.5
    amount: Decimal = Field(Decimal("1.50"), max_digits=8, decimal_places=2)
    happened_at: dt.datetime | None = None
    day: dt.date | None = None
    at_time: dt.time | None = None
    duration: dt.timedelta | None = None
    token: uuid.UUID | None = None
    blob: bytes | None = None
    plan: Plan = Plan.FREE
    plan_by_value: Annotated[Plan, DBColumn(enum_by="value", enum_name="plan_value")] = Plan.PRO
    level: Literal["low", "high"] = "low"
    tags: list[str] = Field(default_factory=list)
    settings: dict[str, int] = Field(default_factory=dict)
    address: Address | None = None


class FolderModel(ApplicationModel.Optional, DatabaseMixin):
    """A hierarchy through the ParentMixin (parent_id, parent, children)."""

    db_mixins: ClassVar[tuple[type, ...]] = (ParentMixin,)
    name: str


class AuthorModel(ApplicationModel.Optional, DatabaseMixin):
    """Half of a reference cycle: an author's favourite book, a book's author."""

    name: str
    favourite_book_id: Annotated[
        str | None, DBColumn(references="books", relationship="favourite_book", backref="fans")
    ] = None


class BookModel(ApplicationModel.Optional, DatabaseMixin):
    title: str
    author_id: Annotated[str | None, DBColumn(references=AuthorModel)] = None


CORE_MODELS = [
    UserModel,
    TeamModel,
    UserTeamModel,
    DocumentModel,
    EverythingModel,
    FolderModel,
    AuthorModel,
    BookModel,
]
