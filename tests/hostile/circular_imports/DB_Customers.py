from sqlalchemy.orm import Mapped, mapped_column

from base import Base
from DB_Orders import Order


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_order: Mapped[Order]
