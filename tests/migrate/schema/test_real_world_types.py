"""Types, defaults and constraints as published projects declare them (tests/realworld found each):
a snapshot of them is what the databases create, so a revision builds them and ``check`` is clean."""

from __future__ import annotations

import textwrap
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import CHAR, TypeDecorator, TypeEngine

from dbkit.migrate import api
from dbkit.migrate.schema.documents import dump_snapshot, load_snapshot
from dbkit.migrate.schema.from_models import snapshot_from_metadata, snapshot_of_table
from dbkit.migrate.schema.snapshot import Snapshot, TypeSpec, normalize_sql, type_spec


def _upgrade_and_check(new: Snapshot, tmp_path: Path, url: str) -> None:
    """A revision from nothing to ``new``, upgraded on ``url``: the database then matches ``new``."""
    versions = tmp_path / "versions"
    api.revision(new, versions)
    api.upgrade(versions, url)
    assert [str(change) for change in api.check(new, url).changes] == []


def _column_types(url: str, table: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            columns = sa.inspect(connection).get_columns(table)
        return {column["name"]: str(column["type"]) for column in columns}
    finally:
        engine.dispose()


# -- a TypeDecorator that picks its storage per database (prefect's UUID) --------------------------------


class GUID(TypeDecorator):
    """UUID on PostgreSQL, CHAR(36) elsewhere; its ``impl`` is the abstract TypeEngine."""

    impl = TypeEngine
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> TypeEngine:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(CHAR(36))


def test_a_type_decorator_choosing_per_dialect_is_postgresql_type_with_a_sqlite_variant() -> None:
    spec = type_spec(GUID())
    assert spec.kind == "uuid"
    assert dict(spec.variants) == {"sqlite": TypeSpec("string", length=36, fixed=True)}


def test_a_type_decorator_choosing_per_dialect_is_created_as_each_database_stores_it(
    tmp_path: Path, database_url: str
) -> None:
    metadata = sa.MetaData()
    sa.Table("flows", metadata, sa.Column("id", GUID(), primary_key=True), sa.Column("name", sa.String(20)))
    _upgrade_and_check(snapshot_from_metadata(metadata), tmp_path, database_url)
    expected = "UUID" if database_url.startswith("postgresql") else "CHAR(36)"
    assert _column_types(database_url, "flows")["id"] == expected


# -- a server default compiled for some dialects only (prefect's GenerateUUID) ---------------------------


def test_a_server_default_compiled_for_some_dialects_only_is_snapshotted_and_round_trips(
    tmp_path: Path,
) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "DB_Flows.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from sqlalchemy.ext.compiler import compiles
            from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
            from sqlalchemy.sql.functions import FunctionElement

            class GenerateUUID(FunctionElement):
                name = "uuid_default"
                inherit_cache = True

            @compiles(GenerateUUID, "postgresql")
            def _generate_uuid_postgresql(element, compiler, **kwargs):
                return "(GEN_RANDOM_UUID())"

            @compiles(GenerateUUID, "sqlite")
            def _generate_uuid_sqlite(element, compiler, **kwargs):
                return "(lower(hex(randomblob(16))))"

            class Base(DeclarativeBase):
                pass

            class Flow(Base):
                __tablename__ = "flows"
                id: Mapped[str] = mapped_column(
                    sa.String(36), primary_key=True, server_default=GenerateUUID()
                )
            """
        ),
        encoding="utf-8",
    )
    snapshot = api.snapshot_of(root)
    default = snapshot.table_map["flows"].column_map["id"].server_default
    assert default is not None and "gen_random_uuid()" in default.lower()  # as PostgreSQL spells it
    assert load_snapshot(dump_snapshot(snapshot)) == snapshot


# -- floats -----------------------------------------------------------------------------------------------


def test_float_zero_is_double_precision_and_float_ten_single() -> None:
    assert (type_spec(sa.Float(0)).kind, type_spec(sa.Float(0)).precision) == ("float", 53)
    assert (type_spec(sa.Float(10)).kind, type_spec(sa.Float(10)).precision) == ("float", 24)


def test_float_zero_and_float_ten_are_clean_after_upgrade(tmp_path: Path, database_url: str) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "metrics",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", sa.Float(0)),
        sa.Column("step", sa.Float(10)),
    )
    _upgrade_and_check(snapshot_from_metadata(metadata), tmp_path, database_url)
    if database_url.startswith("postgresql"):
        assert _column_types(database_url, "metrics") == {
            "id": "INTEGER",
            "value": "DOUBLE PRECISION",
            "step": "REAL",
        }


# -- CHECK constraints built from Column objects (mlflow's lifecycle_stage) -------------------------------


def test_a_check_built_from_column_objects_is_snapshotted_without_the_table_prefix() -> None:
    metadata = sa.MetaData()
    runs = sa.Table(
        "runs",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(10)),
    )
    runs.append_constraint(sa.CheckConstraint(runs.c.status.in_(["a", "b"]), name="runs_status"))
    (check,) = snapshot_of_table(runs).check_constraints
    assert "runs." not in check.sqltext
    assert check.sqltext == normalize_sql("status IN ('a', 'b')")


def test_comparison_operators_normalise_with_or_without_spaces() -> None:
    assert normalize_sql("id=1") == normalize_sql("id = 1")
    assert normalize_sql("a>=1 AND b<>2") == normalize_sql("a >= 1 AND b <> 2")


# -- a UNIQUE constraint that repeats the primary key (mlflow's registered_models) ------------------------


def test_a_unique_constraint_repeating_the_primary_key_is_clean_after_upgrade_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    """PostgreSQL's CREATE TABLE drops a UNIQUE on the primary key's columns (the same index twice)."""
    metadata = sa.MetaData()
    sa.Table(
        "registered_models",
        metadata,
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.String(5000)),
        sa.PrimaryKeyConstraint("name", name="registered_model_pk"),
        sa.UniqueConstraint("name", name="registered_models_name_key"),
    )
    _upgrade_and_check(snapshot_from_metadata(metadata), tmp_path, postgres_url)
