"""Legal names that need quoting: SQL reserved words and non-ASCII identifiers."""

from typing import Annotated, ClassVar, Optional

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin, DBColumn


class UserModel(ApplicationModel, DatabaseMixin):
    table_name: ClassVar[str] = "user"
    select: str = Field(max_length=40, description="A column named like a keyword")
    group: Optional[str] = Field(None, max_length=40)


class GroupModel(ApplicationModel, DatabaseMixin):
    table_name: ClassVar[str] = "group"
    order: Annotated[int, DBColumn(index=True)] = Field(description="Position")


class OrderModel(ApplicationModel, DatabaseMixin):
    table_name: ClassVar[str] = "order"
    user_id: Annotated[str, DBColumn(references=UserModel, backref="orders")] = Field(description="Buyer")
    group_id: Annotated[Optional[str], DBColumn(references=GroupModel, backref="orders")] = None
    where: Annotated[str, DBColumn(unique=True)] = Field(max_length=40)


class CommandeModel(ApplicationModel, DatabaseMixin):
    table_name: ClassVar[str] = "café_commandes"
    prénom: str = Field(max_length=60, description="Prénom du client")
    quantité: int = Field(description="Combien")
