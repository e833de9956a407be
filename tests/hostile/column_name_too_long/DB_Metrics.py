import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Metric(Base):
    __tablename__ = "metrics"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column("customer_lifetime_value_customer_lifetime_value_customer_lifetime_value_in_cents")
