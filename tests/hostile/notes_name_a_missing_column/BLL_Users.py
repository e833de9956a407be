from typing import ClassVar

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin


class UserModel(ApplicationModel, DatabaseMixin):
    email: str = Field(max_length=255)
    migration_notes: ClassVar[dict] = {"backfill": {"timezone": "'UTC'"}}
