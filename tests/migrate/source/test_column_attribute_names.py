"""column_attribute_names: column name -> mapped attribute, read from the mapper's column collection."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, column_property, mapped_column

from dbkit.migrate.source.codebase import column_attribute_names


def _every_property(mapper: sa.orm.Mapper, table: sa.Table) -> dict[str, str]:
    """The definition it must agree with: every column of every column property, first one wins."""
    found: dict[str, str] = {}
    for prop in mapper.column_attrs:
        for column in prop.columns:
            if isinstance(column, sa.Column) and column.table is table:
                found.setdefault(column.name, prop.key)
    return found


def test_renamed_columns_joined_inheritance_and_expressions_read_as_every_property_says() -> None:
    class Base(DeclarativeBase):
        pass

    class Person(Base):
        __tablename__ = "person"
        id = mapped_column(sa.Integer, primary_key=True)
        kind = mapped_column(sa.String(10))
        full = mapped_column("full_name", sa.String(10))
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "p"}

    class Engineer(Person):
        __tablename__ = "engineer"
        id = mapped_column(sa.ForeignKey("person.id"), primary_key=True)
        lang = mapped_column("language", sa.String(10))
        upper = column_property(sa.func.upper(lang))  # an expression, not a column: left out
        __mapper_args__ = {"polymorphic_identity": "e"}

    Base.registry.configure()
    person, engineer = sa.inspect(Person), sa.inspect(Engineer)
    assert column_attribute_names(person, person.local_table) == {
        "id": "id",
        "kind": "kind",
        "full_name": "full",
    }
    # the subclass's own table: its own key column and its renamed column, nothing of the parent's
    assert column_attribute_names(engineer, engineer.local_table) == {"id": "id", "language": "lang"}
    for mapper in (person, engineer):
        assert column_attribute_names(mapper, mapper.local_table) == _every_property(
            mapper, mapper.local_table
        )
