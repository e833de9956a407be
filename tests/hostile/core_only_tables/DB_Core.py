"""Core tables only: no ORM class maps them, so they are known by where they are held."""

import sqlalchemy as sa

metadata = sa.MetaData()

users_table = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(120), nullable=False),
)


class Model:
    builds = sa.Table(
        "builds",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False),
    )


sa.Table("audit_log", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("what", sa.Text))
