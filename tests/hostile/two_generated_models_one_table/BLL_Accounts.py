from typing import ClassVar

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin


class AccountModel(ApplicationModel, DatabaseMixin):
    name: str = Field(max_length=50)


class LegacyAccountModel(ApplicationModel, DatabaseMixin):
    table_name: ClassVar[str] = "accounts"
    label: str = Field(max_length=50)
