import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)


class LegacyAccount(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
