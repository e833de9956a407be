"""New tables are created in foreign-key order, also around a reference cycle: a table that references
a cycle from outside it (galaxy's ``credential`` → ``credentials_group`` ↔ ``user_credentials``) comes
after the cycle's table it references, though its name sorts first (the cycle's own keys are added
once both of its tables exist; the outside key is created with its table)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from dbkit.migrate import api
from dbkit.migrate.diff.compare import dependency_order
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import Snapshot
from dbkit.naming import naming_convention


def _galaxy_credentials(*, with_credentials: bool = True) -> Snapshot:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table("galaxy_user", metadata, sa.Column("id", sa.Integer, primary_key=True))
    if with_credentials:
        sa.Table(
            "user_credentials",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("user_id", sa.Integer, sa.ForeignKey("galaxy_user.id")),
            sa.Column("current_group_id", sa.Integer, sa.ForeignKey("credentials_group.id")),
        )
        sa.Table(
            "credentials_group",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("user_credentials_id", sa.Integer, sa.ForeignKey("user_credentials.id")),
        )
        sa.Table(  # outside the cycle, referencing it; alphabetically first
            "credential",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("group_id", sa.Integer, sa.ForeignKey("credentials_group.id"), nullable=False),
        )
    return snapshot_from_metadata(metadata)


def test_a_table_referencing_a_cycle_from_outside_comes_after_the_cycle() -> None:
    names = ["credential", "credentials_group", "user_credentials"]
    assert sorted(names) == names  # by name alone, credential would come first
    order = dependency_order(names, _galaxy_credentials())
    assert sorted(order) == names
    # the cycle's keys are added once both its tables exist; credential's key is created with it
    assert order.index("credential") > order.index("credentials_group")


def test_a_revision_adding_a_cycle_and_a_table_referencing_it_upgrades_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    old, new = _galaxy_credentials(with_credentials=False), _galaxy_credentials()
    versions = tmp_path / "versions"
    api.revision(new, versions, from_source=old)
    api.upgrade(versions, postgres_url)
    assert [str(change) for change in api.check(new, postgres_url).changes] == []
