from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin


class AccountModel(ApplicationModel, DatabaseMixin):
    name: str = Field(max_length=50
