"""Imports another file's Core table: the table is still named after the file that defines it."""

import sqlalchemy as sa
from DB_Core import metadata, users_table

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey(users_table.c.id), nullable=False),
)
