"""Columns the database fills itself: an Identity key whose type varies by dialect, a Computed column."""

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Build(Base):
    __tablename__ = "builds"
    id = sa.Column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        sa.Identity(always=False),
        autoincrement=True,
        nullable=False,
        primary_key=True,
    )
    minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    seconds = sa.Column(sa.Integer, sa.Computed("minutes * 60", persisted=True))
    label = sa.Column(sa.String(40).with_variant(sa.Text, "postgresql"), nullable=True)
