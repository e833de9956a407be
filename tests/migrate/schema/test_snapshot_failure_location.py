"""A column that cannot be read names its table and column in the error (the snapshot of a model
set runs per column; the location is recorded only when something fails)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from dbkit.errors import current_location, location_of
from dbkit.migrate.schema import from_models
from dbkit.migrate.schema.from_models import snapshot_from_metadata


def _metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "users", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.String(9))
    )
    return metadata


def test_a_column_that_fails_names_its_table_and_column(monkeypatch: pytest.MonkeyPatch) -> None:
    real = from_models.type_spec

    def failing(sa_type: Any) -> Any:
        if isinstance(sa_type, sa.String):
            raise RuntimeError("unreadable type")
        return real(sa_type)

    monkeypatch.setattr(from_models, "type_spec", failing)
    with pytest.raises(RuntimeError, match="unreadable type") as raised:
        snapshot_from_metadata(_metadata())
    assert location_of(raised.value) == "table 'users', column 'email'"
    assert current_location() is None


def test_a_readable_column_leaves_no_location_behind() -> None:
    snapshot = snapshot_from_metadata(_metadata())
    assert [c.name for c in snapshot.tables[0].columns] == ["id", "email"]
    assert current_location() is None
