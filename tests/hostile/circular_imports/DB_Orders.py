from sqlalchemy.orm import Mapped, mapped_column

from base import Base
from DB_Customers import Customer  # DB_Customers imports this module back


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[Customer]
