"""Documents in a folder tree, tagged through an association table.

The oldest module of the application, still in the classic ``Column`` style.
"""

import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import relationship

from base import AuditColumns, Base
from DB_Auth import User

document_tags = Table(
    "document_tags",
    Base.metadata,
    Column(
        "document_id", Uuid(as_uuid=False), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Column("tagged_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    comment="Which tags a document carries",
)


class Folder(AuditColumns, Base):
    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("parent_id", "name"), {"comment": "A folder tree per team"})

    name = Column(String(200), nullable=False)
    parent_id = Column(
        Uuid(as_uuid=False), ForeignKey("folders.id", ondelete="CASCADE"), nullable=True, index=True
    )
    team_id = Column(Uuid(as_uuid=False), ForeignKey("teams.id"), nullable=True, index=True)

    parent = relationship("Folder", remote_side="Folder.id", backref="children")
    team = relationship("Team", backref="folders")


class Tag(Base):
    __tablename__ = "tags"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(50), nullable=False, unique=True)
    color = Column(String(7), nullable=False, default="#888888", server_default="#888888")


class Document(AuditColumns, Base):
    __tablename__ = "documents"

    class Visibility(enum.Enum):
        private = "private"
        team = "team"
        public = "public"

    title = Column(String(300), nullable=False, comment="Document title")
    body = Column(Text, nullable=True)
    folder_id = Column(
        Uuid(as_uuid=False), ForeignKey("folders.id", ondelete="SET NULL"), nullable=True, index=True
    )
    owner_id = Column(Uuid(as_uuid=False), ForeignKey("users.id"), nullable=False)
    team_id = Column(Uuid(as_uuid=False), ForeignKey("teams.id"), nullable=True, index=True)
    visibility = Column(
        Enum(Visibility, name="document_visibility"),
        nullable=False,
        default=Visibility.private,
        server_default="private",
    )
    size_bytes = Column(Integer, nullable=False, default=0, server_default=text("0"))
    version = Column(Integer, nullable=False, default=1)

    __table_args__ = (
        CheckConstraint("size_bytes >= 0", name="size_nonnegative"),
        Index("ix_documents_owner_id_created_at", "owner_id", "created_at"),
    )

    folder = relationship(Folder, backref="documents")
    owner = relationship(User, backref="documents")
    team = relationship("Team", backref="documents")
    tags = relationship("Tag", secondary=document_tags, backref="documents")
