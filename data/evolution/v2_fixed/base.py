"""Declarative base and the columns every Acme Docs entity shares.

Written before the team adopted dbkit: a plain SQLAlchemy 2 ``DeclarativeBase`` whose
naming convention spells constraint names the way the production database already has them.
"""

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


def new_uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class AuditColumns:
    """Primary key, creation and update stamps, soft delete."""

    id: Mapped[str] = mapped_column(
        sa.Uuid(as_uuid=False), primary_key=True, default=new_uuid, sort_order=-100
    )
    created_at = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), sort_order=100
    )
    created_by_user_id = mapped_column(sa.Uuid(as_uuid=False), nullable=True, sort_order=101)
    updated_at = mapped_column(
        sa.DateTime(timezone=True),
        nullable=True,
        server_default=sa.func.now(),
        onupdate=sa.func.now(),
        sort_order=102,
    )
    updated_by_user_id = mapped_column(sa.Uuid(as_uuid=False), nullable=True, sort_order=103)
    deleted_at = mapped_column(sa.DateTime(timezone=True), nullable=True, sort_order=104)
    deleted_by_user_id = mapped_column(sa.Uuid(as_uuid=False), nullable=True, sort_order=105)
