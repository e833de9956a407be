from typing import Annotated

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin, DBColumn


class OrderModel(ApplicationModel, DatabaseMixin):
    customer_id: Annotated[int, DBColumn(foreign_key="customers.id")] = Field(description="Buyer")
