"""Codebases the review report's tests render: a small shop in three versions, and a generated large one.

Written by the tests (never the bundled sample), hand-written SQLAlchemy models only, with the
flat imports (``from base import Base``) many real projects use.
"""

from __future__ import annotations

from pathlib import Path

from codebases import write_codebase

_BASE = """
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass
"""

_CUSTOMERS = """
    class Customer(Base):
        __tablename__ = "customers"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(80))
        {customer_extra}

    class Order(Base):
        __tablename__ = "orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
        total: Mapped[int | None] = mapped_column(sa.Integer)
"""

_INVOICES = """
    class Invoice(Base):
        __tablename__ = "invoices"
        id: Mapped[int] = mapped_column(primary_key=True)
        order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
        number: Mapped[str] = mapped_column(sa.String(20), unique=True)
"""

_HEADER = """
    import sqlalchemy as sa
    from sqlalchemy.orm import Mapped, mapped_column

    from base import Base
"""

#: The shop's versions: v1; v2 adds a nullable column and a table (accepted); v3 drops a column (refused).
SHOP_VERSIONS = {
    "v1": _HEADER + _CUSTOMERS.replace("{customer_extra}", ""),
    "v2": _HEADER
    + _CUSTOMERS.replace(
        "{customer_extra}", 'email: Mapped[str | None] = mapped_column(sa.String(200), comment="Contact")'
    )
    + _INVOICES,
    "v3": _HEADER
    + _CUSTOMERS.replace("{customer_extra}", "").replace(
        "        total: Mapped[int | None] = mapped_column(sa.Integer)\n", ""
    ),
}


def write_shop(root: Path, version: str) -> Path:
    """The shop codebase at ``version`` (a key of :data:`SHOP_VERSIONS`) under ``root``."""
    return write_codebase(root, {"base.py": _BASE, "DB_Shop.py": SHOP_VERSIONS[version]})


def write_large_codebase(root: Path, tables: int, *, extra_column: bool) -> Path:
    """``tables`` tables of ten columns, each referencing the one before; ``extra_column`` adds a
    column to every table (one change per table, so the report grows with ``tables``)."""
    lines = [
        "import sqlalchemy as sa",
        "from sqlalchemy.orm import Mapped, mapped_column",
        "",
        "from base import Base",
        "",
    ]
    for number in range(tables):
        lines += [
            f"class Thing{number:03d}(Base):",
            f'    __tablename__ = "thing_{number:03d}"',
            "    id: Mapped[int] = mapped_column(primary_key=True)",
            *(
                f"    attribute_{column}: Mapped[str | None] = mapped_column(sa.String(40))"
                for column in range(8)
            ),
        ]
        if number:
            lines.append(
                f'    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("thing_{number - 1:03d}.id"))'
            )
        if extra_column:
            lines.append('    added_note: Mapped[str | None] = mapped_column(sa.String(200), comment="New")')
        lines.append("")
    return write_codebase(root, {"base.py": _BASE, "DB_Things.py": "\n".join(lines)})
