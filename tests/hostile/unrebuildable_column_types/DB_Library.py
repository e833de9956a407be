"""A library whose column types scaffold cannot always write as a constructor call."""

import sqlalchemy as sa
from library_types import Code, PydanticJSON, UTCDateTime, Vector
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))


class Book(Base):
    """Decorators whose constructor call does not rebuild them: written as their storage types."""

    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    isbn = mapped_column(Code(13), nullable=True)
    published_at = mapped_column(UTCDateTime(), nullable=True)
    details = mapped_column(PydanticJSON(dict), nullable=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id"))


class Embedding(Base):
    """No source rebuilds its type, and it has no storage type: the table stays hand-written."""

    __tablename__ = "embeddings"
    id: Mapped[int] = mapped_column(primary_key=True)
    vector = mapped_column(Vector(3), nullable=False)
    book_id: Mapped[int] = mapped_column(sa.ForeignKey("books.id"))


class Highlight(Base):
    """A reference to the table left hand-written: a plain foreign key."""

    __tablename__ = "highlights"
    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(sa.Text)
    embedding_id: Mapped[int] = mapped_column(sa.ForeignKey("embeddings.id"))
