"""Legal: table and column names within 63 bytes whose generated constraint names are longer
(dbkit shortens those deterministically with a hash suffix instead of refusing)."""

from typing import Annotated, ClassVar

from pydantic import Field

from dbkit import ApplicationModel, DatabaseMixin, DBColumn


class BillingAccountModel(ApplicationModel, DatabaseMixin):
    table_name: ClassVar[str] = "customer_subscription_billing_accounts_for_enterprise"
    external_reference_code_from_payment_gateway: Annotated[str, DBColumn(unique=True)] = Field(max_length=64)


class BillingAdjustmentModel(ApplicationModel, DatabaseMixin):
    table_name: ClassVar[str] = "customer_subscription_billing_period_adjustments"
    subscription_billing_account_reference_id: Annotated[
        str, DBColumn(references=BillingAccountModel, index=True, backref="adjustments")
    ] = Field(description="Account adjusted")
    adjustment_reason_code_from_finance_team: Annotated[str, DBColumn(index=True)] = Field(max_length=20)
