"""Enums stored as VARCHAR(n) (non-native, or any enum on SQLite) gain a member longer than n."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Kind(enum.Enum):  # stored by name: the names are what the column holds
    BUILD = "b"


class Phase(enum.Enum):  # stored by value (values_callable)
    QUEUED = "queued"


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    status = mapped_column(
        sa.Enum("new", "done", name="job_status", native_enum=False, create_constraint=True),
        nullable=False,
    )
    kind = mapped_column(sa.Enum(Kind, name="job_kind", native_enum=False), nullable=False)
    phase = mapped_column(
        sa.Enum(Phase, name="job_phase", native_enum=False, values_callable=lambda e: [m.value for m in e]),
        nullable=True,
    )
    priority = mapped_column(sa.Enum("low", "high", name="job_priority"), nullable=True)
