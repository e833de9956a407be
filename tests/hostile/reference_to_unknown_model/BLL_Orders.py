from typing import Annotated

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin, DBColumn


class OrderModel(ApplicationModel, DatabaseMixin):
    customer_id: Annotated[str, DBColumn(references="CustomerModel")] = Field(description="Buyer")
