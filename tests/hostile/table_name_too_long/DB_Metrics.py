import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Metric(Base):
    __tablename__ = "customer_lifetime_value_customer_lifetime_value_customer_lifetime_value_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
