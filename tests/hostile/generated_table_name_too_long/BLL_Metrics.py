from typing import ClassVar

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin


class MetricModel(ApplicationModel, DatabaseMixin):
    table_name: ClassVar[str] = "customer_lifetime_value_customer_lifetime_value_customer_lifetime_value_snapshots"
    value: int = Field(description="Value")
