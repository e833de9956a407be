"""Indexes and constraints with dialect keyword arguments, as real model sets write them."""

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="pk_documents", sqlite_on_conflict="IGNORE"),
        sa.UniqueConstraint("title", "status", name="uq_documents_title_status", sqlite_on_conflict="IGNORE"),
        sa.Index(
            "ix_documents_title_body",
            "title",
            "body",
            mysql_length={"title": 64, "body": 64},
            mssql_clustered=False,
        ),
        sa.Index(
            "ix_documents_body_prefix",
            "body",
            mysql_prefix="FULLTEXT",
            postgresql_ops={"body": "varchar_pattern_ops"},
        ),
        sa.Index(
            "ix_documents_archived_at",
            "archived_at",
            postgresql_using="brin",
            postgresql_with={"pages_per_range": 32},
        ),
        sa.Index(
            "ix_documents_live_title",
            "title",
            postgresql_where=sa.text("archived_at IS NULL"),
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_include=["status"],
        ),
    )
    id: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20))
    archived_at = mapped_column(sa.DateTime(), nullable=True)
