"""Snapshots: models and live databases (SQLite and real PostgreSQL) agree; JSON is stable and versioned."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, ClassVar

import jsonschema
import pytest
import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.dialects import postgresql, sqlite

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, DBColumn, ModelRegistry
from dbkit.migrate.diff.compare import diff_snapshots
from dbkit.migrate.schema.documents import (
    SNAPSHOT_SCHEMA_PATH,
    SnapshotError,
    dump_snapshot,
    load_snapshot,
    write_snapshot,
)
from dbkit.migrate.schema.from_database import snapshot_from_database
from dbkit.migrate.schema.from_models import snapshot_from_metadata
from dbkit.migrate.schema.snapshot import (
    FORMAT_VERSION,
    TYPE_KINDS,
    Snapshot,
    TypeSpec,
    normalize_server_default,
    type_spec,
)
from dbkit.naming import naming_convention


def rich_metadata() -> sa.MetaData:
    """Every type kind, defaults spelled several ways, each constraint kind, an enum, comments."""
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table(
        "accounts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.Uuid, nullable=False, unique=True),
        sa.Column("currency", sa.String(3), nullable=False, server_default="EUR", comment="ISO code"),
        sa.Column("notes", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ratio", sa.Float),
        sa.Column("ratio_single", sa.Float(24)),
        sa.Column("balance", sa.Numeric(12, 2), server_default="0.00"),
        sa.Column("opened_on", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("cutoff", sa.Time),
        sa.Column("grace", sa.Interval),
        sa.Column("settings", sa.JSON),
        sa.Column("avatar", sa.LargeBinary),
        sa.Column("status", sa.Enum("draft", "open", "closed", name="account_status")),
        sa.Column("tier", sa.Enum("a", "bb", name="account_tier", native_enum=False)),
        sa.Column("serial", sa.BigInteger, sa.Identity()),
        sa.Column("level", sa.SmallInteger, server_default=sa.text("3")),
        sa.Column("double_level", sa.Integer, sa.Computed("level * 2")),
        sa.Column("code", sa.CHAR(4)),
        sa.CheckConstraint("level > 0", name="ck_accounts_level_positive"),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="ck_accounts_status_known"),
        sa.Index(None, "currency", "opened_on"),
        sa.Index("ix_accounts_lower_currency", sa.func.lower(sa.column("currency"))),
        comment="Money holders",
    )
    sa.Table(
        "ledgers",
        metadata,
        sa.Column(
            "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.UniqueConstraint("account_id", "total"),
    )
    return metadata


class CustomerModel(ApplicationModel, DatabaseMixin):
    email: Annotated[str, DBColumn(unique=True)] = Field(description="Login e-mail", max_length=255)
    table_comment: ClassVar[str] = "Customers"
    migration_notes: ClassVar[str] = "Added customers"


class InvoiceModel(ApplicationModel.Optional, CustomerModel.ReferenceID, DatabaseMixin):
    amount: Annotated[float, DBColumn(index=True)] = Field(description="Amount due")
    title: str | None = Field(None, description="Invoice title", max_length=80)


def assert_no_differences(model_snapshot: Snapshot, reflected: Snapshot) -> None:
    changes = diff_snapshots(model_snapshot, reflected)
    assert [c.to_json() for c in changes] == []
    assert diff_snapshots(reflected, model_snapshot) == []


def test_reflected_snapshot_equals_metadata_snapshot(database_url: str) -> None:
    metadata = rich_metadata()
    engine = sa.create_engine(database_url)
    metadata.create_all(engine)
    reflected = snapshot_from_database(engine)
    engine.dispose()
    model_snapshot = snapshot_from_metadata(metadata)
    assert reflected.dialect == sa.make_url(database_url).get_backend_name()
    assert [t.name for t in reflected.tables] == ["accounts", "ledgers"]
    assert_no_differences(model_snapshot, reflected)


def test_reflection_keeps_what_the_database_can_store(postgres_url: str, sqlite_url: str) -> None:
    metadata = rich_metadata()
    reflected = {}
    for url in (postgres_url, sqlite_url):
        engine = sa.create_engine(url)
        metadata.create_all(engine)
        reflected[engine.dialect.name] = snapshot_from_database(engine)
        engine.dispose()
    pg = reflected["postgresql"].table_map["accounts"]
    assert pg.comment == "Money holders"
    assert pg.column_map["currency"].comment == "ISO code"
    assert pg.column_map["currency"].server_default == "'EUR'"  # not 'EUR'::character varying
    assert pg.column_map["created_at"].server_default == "CURRENT_TIMESTAMP"  # not now()
    assert pg.column_map["balance"].server_default == "0"
    assert pg.column_map["status"].type == TypeSpec(
        "enum", name="account_status", values=("draft", "open", "closed"), length=6
    )
    assert pg.column_map["id"].autoincrement and pg.column_map["id"].server_default is None
    assert pg.column_map["serial"].identity is not None
    assert reflected["postgresql"].enum_map["account_status"].values == ("draft", "open", "closed")
    lite = reflected["sqlite"].table_map["accounts"]
    assert lite.comment is None and reflected["sqlite"].enums == ()
    assert lite.column_map["uid"].type == TypeSpec("uuid")  # CHAR(32) on SQLite
    assert lite.column_map["active"].server_default == "false"  # SQLite says 0
    # PostgreSQL and SQLite compare equal once both are seen as SQLite stores them.
    assert diff_snapshots(reflected["postgresql"], reflected["sqlite"]) == []


def test_generated_models_snapshot_equals_their_database(database_url: str) -> None:
    manager = DatabaseManager(database_url)
    registry = ModelRegistry(manager, [CustomerModel, InvoiceModel])
    classes = registry.create_schema()
    try:
        model_snapshot = snapshot_from_metadata(manager.metadata, models=classes.values())
        reflected = snapshot_from_database(manager.engine)
    finally:
        manager.dispose()
    customers = model_snapshot.table_map["customers"]
    assert customers.model == "CustomerModel"
    assert customers.migration_notes == "Added customers"
    assert customers.column_map["email"].type == TypeSpec("string", length=255)
    assert model_snapshot.table_map["invoices"].foreign_keys[0].referred_table == "customers"
    assert_no_differences(model_snapshot, reflected)


def test_alembic_version_is_ignored(sqlite_url: str) -> None:
    metadata = rich_metadata()
    sa.Table("alembic_version", metadata, sa.Column("version_num", sa.String(32), primary_key=True))
    engine = sa.create_engine(sqlite_url)
    metadata.create_all(engine)
    assert "alembic_version" not in snapshot_from_database(engine).table_map
    assert "alembic_version" not in snapshot_from_metadata(metadata).table_map
    engine.dispose()


# -- types ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spelling_a", "spelling_b"),
    [
        (sa.VARCHAR(20), sa.String(20)),
        (sa.Unicode(20), sa.String(20)),
        (postgresql.UUID(), sa.Uuid()),
        (postgresql.DOUBLE_PRECISION(), sa.Float()),
        (postgresql.REAL(), sa.Float(10)),
        (sa.Double(), sa.Float(53)),
        (postgresql.TIMESTAMP(timezone=True), sa.DateTime(timezone=True)),
        (postgresql.INTERVAL(), sa.Interval()),
        (postgresql.BYTEA(), sa.LargeBinary()),
        (sqlite.JSON(), sa.JSON()),
        (postgresql.JSON(), sa.JSON()),
        (sa.BIGINT(), sa.BigInteger()),
        (sa.NUMERIC(10, 2), sa.Numeric(10, 2)),
        (postgresql.ENUM("a", "b", name="e"), sa.Enum("a", "b", name="e")),
    ],
)
def test_equivalent_type_spellings_have_one_spec(
    spelling_a: sa.types.TypeEngine, spelling_b: sa.types.TypeEngine
) -> None:
    assert type_spec(spelling_a) == type_spec(spelling_b)


@pytest.mark.parametrize(
    "spec",
    [
        TypeSpec("string", length=255),
        TypeSpec("string", length=32, fixed=True),
        TypeSpec("text"),
        TypeSpec("integer"),
        TypeSpec("big_integer"),
        TypeSpec("small_integer"),
        TypeSpec("boolean"),
        TypeSpec("float", precision=53),
        TypeSpec("float", precision=24),
        TypeSpec("numeric", precision=10, scale=2),
        TypeSpec("date"),
        TypeSpec("datetime", timezone=True),
        TypeSpec("time"),
        TypeSpec("interval"),
        TypeSpec("uuid"),
        TypeSpec("json"),
        TypeSpec("jsonb"),
        TypeSpec("binary"),
        TypeSpec("enum", name="status", values=("a", "bb"), length=2),
        TypeSpec("enum", name="tier", values=("x",), native=False, length=1),
        TypeSpec("unknown", raw="TSVECTOR"),
    ],
)
def test_type_spec_round_trips_through_sqlalchemy(spec: TypeSpec) -> None:
    assert type_spec(spec.to_sqlalchemy()) == spec
    assert TypeSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_every_registered_kind_is_covered_by_the_round_trip_test() -> None:
    assert set(TYPE_KINDS) == {
        "enum", "uuid", "jsonb", "json", "boolean", "text", "string", "small_integer", "big_integer", "integer",
        "float", "numeric", "datetime", "date", "time", "interval", "binary", "unknown",
    }  # fmt: skip


def test_type_decorator_is_read_through_its_impl() -> None:
    class Email(sa.types.TypeDecorator):
        impl = sa.String(320)
        cache_ok = True

    assert type_spec(Email()) == TypeSpec("string", length=320)
    # A variant is kept beside the base type, and is the type that database is compared by.
    variant = type_spec(sa.String(10).with_variant(postgresql.CITEXT(), "postgresql"))
    assert variant == TypeSpec("string", length=10, variants=(("postgresql", TypeSpec("text")),))
    assert variant.for_dialect("postgresql") == TypeSpec("text")
    assert variant.for_dialect("sqlite") == TypeSpec("string", length=10)
    assert TypeSpec.from_dict(variant.to_dict()) == variant
    # A variant equal to the base adds nothing; JSONB is not JSON to PostgreSQL (galaxy's job.tool_state).
    assert type_spec(sa.JSON().with_variant(postgresql.JSON(), "postgresql")) == TypeSpec("json")
    assert type_spec(sa.JSON().with_variant(postgresql.JSONB(), "postgresql")).variants == (
        ("postgresql", TypeSpec("jsonb")),
    )


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown type kind 'money'"):
        TypeSpec("money")


@pytest.mark.parametrize(
    ("spelled", "kind", "meaning"),
    [
        ("now()", "datetime", "CURRENT_TIMESTAMP"),
        ("(CURRENT_TIMESTAMP)", "datetime", "CURRENT_TIMESTAMP"),
        ("CURRENT_TIMESTAMP", "datetime", "CURRENT_TIMESTAMP"),
        ("'EUR'::character varying", "string", "'EUR'"),
        ("'EUR'", "string", "'EUR'"),
        ("'0.00'", "numeric", "0"),
        ("0.00", "numeric", "0"),
        ("'10'::integer", "integer", "10"),
        ("1.50", "float", "1.5"),
        ("0", "boolean", "false"),
        ("'t'", "boolean", "true"),
        ("false", "boolean", "false"),
        ("'it''s'::text", "text", "'it''s'"),
        (None, "string", None),
    ],
)
def test_server_defaults_are_normalised_by_meaning(
    spelled: str | None, kind: str, meaning: str | None
) -> None:
    assert normalize_server_default(spelled, kind) == meaning


# -- JSON ---------------------------------------------------------------------------------------------
def test_dump_is_deterministic_and_loads_back(tmp_path: Path) -> None:
    snapshot = snapshot_from_metadata(rich_metadata(), {"accounts": {"message": "hi", "renames": {"a": "b"}}})
    reordered = sa.MetaData(naming_convention=naming_convention())
    for table in reversed(list(rich_metadata().tables.values())):
        table.to_metadata(reordered)
    text = dump_snapshot(snapshot)
    assert text == dump_snapshot(
        snapshot_from_metadata(reordered, {"accounts": {"renames": {"a": "b"}, "message": "hi"}})
    )
    assert text.endswith("\n") and json.loads(text)["format_version"] == FORMAT_VERSION
    path = write_snapshot(snapshot, tmp_path / "schema.json")
    assert load_snapshot(path) == snapshot
    assert load_snapshot(text) == snapshot
    assert dump_snapshot(load_snapshot(path)) == text


def test_dump_is_identical_across_processes(tmp_path: Path) -> None:
    script = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); from test_snapshot import rich_metadata; "
        "from dbkit.migrate.snapshot import snapshot_from_metadata, dump_snapshot; "
        "sys.stdout.write(dump_snapshot(snapshot_from_metadata(rich_metadata())))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {dump_snapshot(snapshot_from_metadata(rich_metadata()))}


def test_snapshots_follow_the_published_json_schema(database_url: str) -> None:
    schema = json.loads(SNAPSHOT_SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    metadata = rich_metadata()
    engine = sa.create_engine(database_url)
    metadata.create_all(engine)
    notes = {"accounts": {"message": "x", "backfill": {"level": "1"}}, "ledgers": "renamed sum to total"}
    for snapshot in (snapshot_from_metadata(metadata, notes), snapshot_from_database(engine)):
        jsonschema.validate(json.loads(dump_snapshot(snapshot)), schema)
    engine.dispose()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"format_version": 2, "dialect": None, "tables": [], "enums": []}, schema)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format_version": 1, "tables": [', r"schema\.json is not valid JSON \(truncated"),
        ('{"format_version": 99, "tables": [], "enums": []}', "format 99, newer than this dbkit"),
        ('{"format_version": "one", "tables": []}', "unknown format_version 'one'"),
        ('{"tables": []}', "is not a dbkit snapshot: it has no format_version"),
        ("[1, 2]", "is not a dbkit snapshot"),
        ('{"format_version": 1, "tables": [{"name": "t"}]}', "does not follow the dbkit snapshot format"),
    ],
)
def test_load_refuses_bad_files_naming_them(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "schema.json"
    path.write_text(content)
    with pytest.raises(SnapshotError, match=message) as raised:
        load_snapshot(path)
    assert str(path) in str(raised.value)


def test_load_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"Cannot read snapshot file .*missing\.json"):
        load_snapshot(tmp_path / "missing.json")


# -- the fast path -------------------------------------------------------------------------------------
def synthetic_snapshot(tables: int, columns: int = 15, renamed: bool = False) -> Snapshot:
    metadata = sa.MetaData(naming_convention=naming_convention())
    for index in range(tables):
        cols = [sa.Column("id", sa.Integer, primary_key=True)]
        cols += [
            sa.Column(f"c{n}{'x' if renamed and n == 3 else ''}", sa.String(40 + n))
            for n in range(columns - 2)
        ]
        if index:
            cols.append(sa.Column("parent_id", sa.ForeignKey(f"t{index - 1:04d}.id"), index=True))
        sa.Table(f"t{index:04d}", metadata, *cols)
    return snapshot_from_metadata(metadata)


def test_diff_of_two_snapshot_files_imports_no_sqlalchemy(tmp_path: Path) -> None:
    """The CI fast path stays free of heavy imports (its timing is measured in bench/, not here)."""
    write_snapshot(synthetic_snapshot(500), tmp_path / "old.json")
    write_snapshot(synthetic_snapshot(500, renamed=True), tmp_path / "new.json")
    script = (
        "import sys, time; start = time.perf_counter()\n"
        "from dbkit.migrate.schema.documents import load_snapshot\n"
        "from dbkit.migrate.diff.hints import apply_hints\n"
        f"result = apply_hints(load_snapshot({str(tmp_path / 'old.json')!r}), load_snapshot({str(tmp_path / 'new.json')!r}))\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'pandas', 'alembic', 'pydantic') if m in sys.modules)\n"
        "print(len(result.changes), len(result.suggestions), heavy, time.perf_counter() - start)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert output[:3] == ["1000", "500", "[]"]  # per table: drop c3 + add c3x, suggested as a rename


# -- shared objects and compiled SQL (what keeps large snapshots fast must keep them right) -----------
def test_equal_columns_of_different_tables_are_one_object() -> None:
    metadata = sa.MetaData()
    for name in ("a", "b"):
        sa.Table(
            name, metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("code", sa.String(9))
        )
    first, second = snapshot_from_metadata(metadata).tables
    assert first.columns[1] is second.columns[1]  # same name, type and options
    assert (
        load_snapshot_text(dump_snapshot(snapshot_from_metadata(metadata))).tables[0].columns[1]
        is (first.columns[1])
    )


def test_snapshot_objects_stay_frozen_with_their_dataclass_defaults() -> None:
    import dataclasses

    from dbkit.migrate.schema.snapshot import ColumnSnapshot, ForeignKeySnapshot, IndexSnapshot

    column = ColumnSnapshot("id", TypeSpec("integer"))
    assert (column.nullable, column.primary_key, column.server_default, column.autoincrement) == (
        True,
        False,
        None,
        False,
    )
    assert IndexSnapshot("ix", ("a",)) == IndexSnapshot(name="ix", columns=("a",), unique=False)
    assert ForeignKeySnapshot("fk", ("a",), "t", ("id",)).ondelete is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        column.nullable = False  # type: ignore[misc]
    assert dataclasses.replace(column, nullable=False).nullable is False
    assert hash(column) == hash(ColumnSnapshot("id", TypeSpec("integer")))


def test_argumentless_functions_compile_by_name_and_package() -> None:
    from dbkit.migrate.schema.from_models import sql_of

    assert sql_of(sa.func.now()) == sql_of(sa.func.now()) == "now()"
    assert sql_of(sa.func.current_timestamp()) == "CURRENT_TIMESTAMP"
    assert sql_of(sa.func.gen_random_uuid()) == "gen_random_uuid()"
    assert sql_of(sa.func.audit.stamp()) == "audit.stamp()"
    assert sql_of(sa.func.coalesce(1, 2)) == "coalesce(1, 2)"  # with arguments: compiled as it is
    assert sql_of(sa.func.coalesce(3, 4)) == "coalesce(3, 4)"


def load_snapshot_text(text: str) -> Snapshot:
    return Snapshot.from_dict(json.loads(text))
