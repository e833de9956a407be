"""Hostile inputs: each gives one specific error (exit 2, one stderr line, a typed error in Python)
and writes nothing; legal but awkward inputs (reserved words, non-ASCII names) simply work; some
deserve a warning, not a refusal.

The codebases live in ``tests/hostile/<case>/``; snapshot files, versions directories and URLs
are built in ``tmp_path`` by each test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbkit.cli import main
from dbkit.errors import (
    ConfigurationError,
    DatabaseConnectionError,
    DbkitError,
    ModelDefinitionError,
    ModelReferenceError,
)
from dbkit.migrate import api
from dbkit.migrate.diff.hints import MigrationHintError
from dbkit.migrate.revisions.history import RevisionError
from dbkit.migrate.revisions.runner import MigrationCommandError
from dbkit.migrate.schema.documents import SnapshotError
from dbkit.migrate.source.codebase import CodebaseError, CodebaseLoadError
from dbkit.naming import MAX_IDENTIFIER_BYTES

HOSTILE = Path(__file__).resolve().parent / "hostile"
DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE, V2 = DATA / "sample_app", DATA / "evolution" / "v2"
LEGAL_NAMES = HOSTILE / "legal_reserved_and_unicode_names"
LONG_CONSTRAINTS = HOSTILE / "legal_long_constraint_names"

Tree = dict[str, tuple[bytes, int]]


def tree(path: Path) -> Tree:
    """Every file under ``path`` with its bytes and mtime: equal trees mean nothing was written."""
    if path.is_file():
        return {path.name: (path.read_bytes(), path.stat().st_mtime_ns)}
    return {
        str(item.relative_to(path)): (item.read_bytes(), item.stat().st_mtime_ns)
        for item in sorted(path.rglob("*"))
        if item.is_file()
    }


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("dbkit "), err
    for fragment in fragments:
        assert fragment in err, err


# -- codebases that must be refused ----------------------------------------------------------------
#: case directory → (fragments of the one-line error, the typed error of the Python API)
REFUSED_CODEBASES: dict[str, tuple[tuple[str, ...], type[DbkitError]]] = {
    "syntax_error": (("DB_Accounts.py:9", "SyntaxError", "expected ':'"), CodebaseLoadError),
    "generated_syntax_error": (("BLL_Accounts.py", "SyntaxError", "never closed"), CodebaseLoadError),
    "import_error": (
        ("DB_Accounts.py:8", "No module named 'billing_helpers_that_do_not_exist'"),
        CodebaseLoadError,
    ),
    "circular_imports": (("circular import", "DB_Customers.py"), CodebaseLoadError),
    "exit_at_import": (("SystemExit", "this module is a script"), CodebaseLoadError),
    "two_models_one_table": (("two models for table 'accounts'", "LegacyAccount"), CodebaseLoadError),
    "two_generated_models_one_table": (
        ("two models for table 'accounts'", "AccountModel", "LegacyAccountModel"),
        CodebaseLoadError,
    ),
    "unsupported_field_type": (
        ("HostModel.address", "IPv4Address", "type_registry.register"),
        CodebaseLoadError,
    ),
    "foreign_key_to_missing_table": (
        ("Order (table 'orders')", "'customers'", "no model defines"),
        ModelReferenceError,
    ),
    "generated_foreign_key_to_missing_table": (("OrderModel", "'customers'"), ModelReferenceError),
    "reference_to_unknown_model": (("OrderModel", "CustomerModel", "no model defines"), ModelReferenceError),
    "table_name_too_long": (("Metric", "table name", "81 bytes", "63"), ModelDefinitionError),
    "generated_table_name_too_long": (("MetricModel", "table name", "81 bytes"), ModelDefinitionError),
    "column_name_too_long": (("Metric (table 'metrics')", "column name", "80 bytes"), ModelDefinitionError),
    "duplicate_index_names": (("'ix_name'", "'products'", "Vendor"), ModelDefinitionError),
    "empty_directory": (("no DB_*.py or BLL_*.py files",), CodebaseError),
    "no_model_files": (("no DB_*.py or BLL_*.py files",), CodebaseError),
}


@pytest.mark.parametrize("case", sorted(REFUSED_CODEBASES))
def test_refused_codebase_snapshot_and_revision_write_nothing(
    case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fragments, _ = REFUSED_CODEBASES[case]
    codebase, before = HOSTILE / case, tree(HOSTILE / case)
    out, versions = tmp_path / "schema.json", tmp_path / "versions"
    code, stdout, err = run(capsys, "snapshot", codebase, "--out", out)
    assert_one_line_error(code, err, *fragments)
    code, stdout, err = run(capsys, "revision", codebase, "--versions", versions, "-m", "first")
    assert_one_line_error(code, err, *fragments)
    assert stdout == ""
    assert list(tmp_path.iterdir()) == []  # neither the snapshot nor a versions directory
    assert tree(codebase) == before  # no __pycache__, nothing touched


@pytest.mark.parametrize("case", sorted(REFUSED_CODEBASES))
def test_refused_codebase_raises_a_typed_error_in_python(case: str) -> None:
    _, error = REFUSED_CODEBASES[case]
    with pytest.raises(error):
        api.snapshot_of(HOSTILE / case)


@pytest.mark.parametrize(
    "case", ["syntax_error", "import_error", "circular_imports", "unsupported_field_type"]
)
def test_load_errors_make_parity_and_inventory_exit_2(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "parity", HOSTILE / case)
    assert_one_line_error(code, err)
    code, out, err = run(capsys, "inventory", HOSTILE / case)
    assert code == 2 and "error:" in out and "model file problem" in err and "Traceback" not in err


def test_unsupported_field_type_names_model_field_and_fix_in_python() -> None:
    import ipaddress

    from pydantic import Field

    from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, ModelRegistry
    from dbkit.errors import UnsupportedFieldTypeError

    class HostModel(ApplicationModel, DatabaseMixin):
        address: ipaddress.IPv4Address = Field(description="Where the host answers")

    with pytest.raises(UnsupportedFieldTypeError, match=r"HostModel\.address.*IPv4Address"):
        ModelRegistry(DatabaseManager("sqlite://"), [HostModel]).create_schema()


def test_a_path_that_is_a_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model_file = HOSTILE / "syntax_error" / "DB_Accounts.py"
    assert_one_line_error(*run(capsys, "parity", model_file)[::2], "not a directory")
    assert_one_line_error(*run(capsys, "inventory", model_file)[::2], "not a directory")
    code, _, err = run(capsys, "revision", model_file, "--versions", tmp_path / "v", "-m", "x")
    assert_one_line_error(code, err, "not a codebase directory")
    with pytest.raises(CodebaseError, match="not a directory"):
        api.parity(model_file)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_path_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "diff", tmp_path / "nowhere", SAMPLE)
    assert_one_line_error(code, err, "not a codebase directory, a snapshot .json file or a database URL")
    with pytest.raises(api.SourceError):
        api.snapshot_of(tmp_path / "nowhere")


def test_snapshot_out_that_is_a_directory_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "taken").mkdir()
    code, _, err = run(capsys, "snapshot", SAMPLE, "--out", tmp_path / "taken")
    assert_one_line_error(code, err, "Is a directory")
    assert list((tmp_path / "taken").iterdir()) == []


# -- migration_notes naming what does not exist ------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("notes_name_a_missing_column", "backfill 'users.timezone' names no column of the models"),
        ("notes_rename_a_missing_column", "hint 'renamed users.mail to users.e_mail'"),
    ],
)
def test_migration_notes_naming_a_missing_column_refuse_the_revision(
    case: str, fragment: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    code, _, err = run(capsys, "revision", HOSTILE / case, "--versions", versions, "-m", "first")
    assert_one_line_error(code, err, "migration_notes of UserModel", fragment)
    assert not versions.exists()
    with pytest.raises(MigrationHintError, match=re.escape(fragment)):
        api.revision(HOSTILE / case, versions, message="first")
    assert not versions.exists()


# -- snapshot files ------------------------------------------------------------------------------------
def _good_snapshot(tmp_path: Path) -> dict:
    path = tmp_path / "good.json"
    api.write_snapshot(SAMPLE, path)
    return json.loads(path.read_text())


SNAPSHOT_FILES: dict[str, tuple[Callable[[dict], bytes], str]] = {
    "truncated": (lambda good: json.dumps(good).encode()[:300], "not valid JSON (truncated or corrupted?)"),
    "not_json": (lambda good: b"CREATE TABLE users (id int);\n", "not valid JSON"),
    "newer_format": (
        lambda good: json.dumps({**good, "format_version": 99}).encode(),
        "format 99, newer than this dbkit understands",
    ),
    "no_format_version": (lambda good: json.dumps({"tables": []}).encode(), "not a dbkit snapshot"),
    "a_json_list": (lambda good: b"[1, 2, 3]", "not a dbkit snapshot"),
    "unknown_format_version": (
        lambda good: json.dumps({**good, "format_version": "abc"}).encode(),
        "unknown format_version 'abc'",
    ),
    "wrong_shape": (
        lambda good: json.dumps({**good, "tables": [{"name": "users", "columns": "id"}]}).encode(),
        "does not follow the dbkit snapshot format",
    ),
    "not_utf8": (lambda good: b"\xff\xfe\x00{", "not UTF-8 text"),
}


@pytest.mark.parametrize("case", sorted(SNAPSHOT_FILES))
def test_broken_snapshot_file_is_refused_by_diff_and_revision(
    case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    make, fragment = SNAPSHOT_FILES[case]
    broken = tmp_path / "broken.json"
    broken.write_bytes(make(_good_snapshot(tmp_path)))
    before = tree(tmp_path)
    assert_one_line_error(*run(capsys, "diff", broken, SAMPLE)[::2], "broken.json", fragment)
    versions = tmp_path / "versions"
    code, _, err = run(capsys, "revision", SAMPLE, "--versions", versions, "--from", broken, "-m", "x")
    assert_one_line_error(code, err, fragment)
    assert tree(tmp_path) == before
    with pytest.raises(SnapshotError):
        api.diff(broken, SAMPLE)


# -- database URLs --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "fragment", "error"),
    [
        ("postgresql+psycopg://nobody@127.0.0.1:1/app", "Connection refused", DatabaseConnectionError),
        ("foo://somewhere/app", "no driver for 'foo'", DatabaseConnectionError),
        ("mysql://app@localhost/app", "no driver for 'mysql'", DatabaseConnectionError),
        ("postgresql://app@host:notaport/app", "Cannot parse database URL", ConfigurationError),
        ("://", "Cannot parse database URL", ConfigurationError),
        ("sqlite:///{tmp}/no/such/dir/app.db", "no SQLite database file", DatabaseConnectionError),
        ("sqlite:///{tmp}/missing.db", "no SQLite database file", DatabaseConnectionError),
    ],
)
def test_unusable_database_url_is_refused_by_check_and_diff(
    url: str, fragment: str, error: type[DbkitError], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = url.format(tmp=tmp_path)
    assert_one_line_error(*run(capsys, "check", SAMPLE, "--url", url)[::2], fragment)
    assert_one_line_error(*run(capsys, "diff", url, SAMPLE)[::2], fragment)
    with pytest.raises(error):
        api.check(SAMPLE, url)
    assert list(tmp_path.iterdir()) == []  # reading a missing SQLite file never creates it


def test_unknown_driver_is_refused_by_upgrade(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    api.revision(SAMPLE, versions, from_source=SAMPLE, message="baseline")
    before = tree(tmp_path)
    code, _, err = run(capsys, "upgrade", "--versions", versions, "--url", "foo://somewhere/app")
    assert_one_line_error(code, err, "sqlalchemy.dialects:foo")
    with pytest.raises(MigrationCommandError):
        api.upgrade(versions, "foo://somewhere/app")
    assert tree(tmp_path) == before


# -- revision options and versions directories ------------------------------------------------------------
@pytest.mark.parametrize("backfill", ["users.timezone", "=1", "timezone='UTC'", "users.timezone="])
def test_malformed_backfill_is_a_usage_error(
    backfill: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    code, _, err = run(capsys, "revision", V2, "--versions", versions, "-m", "x", "--backfill", backfill)
    assert_one_line_error(code, err, "expected TABLE.COLUMN=VALUE")
    assert not versions.exists()


def test_backfill_of_an_unknown_column_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    argv = ["revision", V2, "--versions", versions, "--from", SAMPLE, "-m", "x", "--allow-destructive"]
    code, _, err = run(capsys, *argv, "--backfill", "users.nope=1")
    assert_one_line_error(code, err, "--backfill users.nope", "no column")
    with pytest.raises(MigrationHintError, match=r"users\.nope"):
        api.revision(V2, versions, from_source=SAMPLE, allow_destructive=True, backfills={"users.nope": "1"})
    assert not versions.exists()


@pytest.fixture
def versions_with_history(tmp_path: Path) -> Path:
    """A baseline of the sample app, then the v2 evolution."""
    versions = tmp_path / "history" / "versions"
    api.revision(SAMPLE, versions, from_source=SAMPLE, message="baseline")
    api.revision(V2, versions, message="evolve", allow_destructive=True)
    return versions


def test_from_that_disagrees_with_the_history_is_refused(
    versions_with_history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(versions_with_history.parent)
    code, _, err = run(
        capsys, "revision", V2, "--versions", versions_with_history, "--from", SAMPLE, "-m", "again"
    )
    assert_one_line_error(code, err, "is not the schema", "drop --from")
    with pytest.raises(api.RevisionRefusedError):
        api.revision(V2, versions_with_history, from_source=SAMPLE, message="again")
    assert tree(versions_with_history.parent) == before


def _fork(versions: Path) -> None:
    """A second revision on the baseline, as two branches merged without `alembic merge` leave it."""
    evolve = next(versions.glob("*_evolve.py"))
    text = re.sub(r"^revision = '\w+'", "revision = 'f0f0f0f0f0f0'", evolve.read_text(), count=1, flags=re.M)
    (versions / "f0f0f0f0f0f0_fork.py").write_text(text)


@pytest.mark.parametrize(
    "argv",
    [
        ["revision", str(V2), "-m", "next"],
        ["upgrade", "--url", "sqlite:///{tmp}/app.db"],
        ["verify"],
    ],
)
def test_two_heads_are_refused(
    argv: list[str], versions_with_history: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _fork(versions_with_history)
    before = tree(tmp_path)
    argv = [a.format(tmp=tmp_path) for a in argv]
    code, _, err = run(capsys, *argv[:1], "--versions", versions_with_history, *argv[1:])
    assert_one_line_error(code, err, "head")
    assert "f0f0f0f0f0f0" in err or "Multiple head" in err
    assert tree(tmp_path) == before
    with pytest.raises(RevisionError, match="2 heads"):
        api.revision(V2, versions_with_history, message="next")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("this is not python(\n", "SyntaxError"),
        ("import a_module_that_is_not_installed\n", "No module named 'a_module_that_is_not_installed'"),
    ],
)
def test_revision_file_that_does_not_import_is_named(
    content: str,
    fragment: str,
    versions_with_history: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    (versions_with_history / "0000_broken.py").write_text(content)
    before = tree(tmp_path)
    for argv in (
        ["history"],
        ["revision", str(V2), "-m", "x"],
        ["upgrade", "--url", f"sqlite:///{tmp_path}/a.db"],
    ):
        code, _, err = run(capsys, argv[0], "--versions", versions_with_history, *argv[1:])
        assert_one_line_error(code, err, "0000_broken.py, line 1", fragment)
    assert tree(tmp_path) == before
    with pytest.raises(RevisionError, match=r"0000_broken\.py"):
        api.history(versions_with_history)


def test_versions_path_that_is_a_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    not_a_dir = tmp_path / "versions.json"
    not_a_dir.write_text("{}")
    for argv, fragment in (
        (["history"], "is not a directory of revisions"),
        (["verify"], "No revisions in"),
        (["upgrade", "--url", f"sqlite:///{tmp_path}/a.db"], "is not a directory of revisions"),
    ):
        code, _, err = run(capsys, argv[0], "--versions", not_a_dir, *argv[1:])
        assert_one_line_error(code, err, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["versions.json"]


# -- a few through a real process: exit status, stderr, no traceback ----------------------------------------
@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["snapshot", str(HOSTILE / "syntax_error"), "--out", "{tmp}/s.json"], "SyntaxError"),
        (["check", str(SAMPLE), "--url", "foo://somewhere/app"], "no driver for 'foo'"),
        (
            ["revision", str(HOSTILE / "circular_imports"), "--versions", "{tmp}/v", "-m", "x"],
            "circular import",
        ),
        (["diff", "{tmp}/missing.json", str(SAMPLE)], "not a codebase directory"),
    ],
)
def test_errors_from_a_real_process(argv: list[str], fragment: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "dbkit.cli", *(a.format(tmp=tmp_path) for a in argv)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and fragment in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- legal inputs that must simply work -------------------------------------------------------------------
def _upgrade_and_check(capsys: pytest.CaptureFixture[str], codebase: Path, versions: Path, url: str) -> None:
    snapshot = versions.parent / "schema.json"
    assert run(capsys, "snapshot", codebase, "--out", snapshot)[0] == 0
    assert run(capsys, "revision", snapshot, "--versions", versions, "-m", "first")[0] == 0
    assert run(capsys, "upgrade", "--versions", versions, "--url", url)[0] == 0
    assert run(capsys, "check", codebase, "--url", url)[:2] == (0, "database matches the models\n")
    assert run(capsys, "check", snapshot, "--url", url)[0] == 0


def test_reserved_words_and_non_ascii_names_work(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    _upgrade_and_check(capsys, LEGAL_NAMES, versions, database_url)
    engine = sa.create_engine(workflow_url(database_url))
    try:
        tables = set(sa.inspect(engine).get_table_names())
        assert {"user", "order", "group", "café_commandes"} <= tables
        with engine.begin() as connection:  # quoted correctly: rows go in and come back by those names
            metadata = sa.MetaData()
            user, order, commandes = (
                sa.Table(n, metadata, autoload_with=connection) for n in ("user", "order", "café_commandes")
            )
            user_id = "0" * 32 if engine.dialect.name == "sqlite" else "00000000-0000-0000-0000-000000000001"
            connection.execute(sa.insert(user).values(id=user_id, select="kw", group="g"))
            connection.execute(sa.insert(order).values(id=user_id, user_id=user_id, where="here"))
            connection.execute(sa.insert(commandes).values(id=user_id, prénom="Zoé", quantité=2))
            assert connection.execute(sa.select(order.c.where, user.c.select).join(user)).one() == (
                "here",
                "kw",
            )
            assert connection.execute(sa.select(commandes.c.prénom)).scalar_one() == "Zoé"
    finally:
        engine.dispose()
    assert run(capsys, "downgrade", "--versions", versions, "--url", database_url, "--to", "base")[0] == 0


def test_reserved_words_are_quoted_in_offline_sql(
    postgres_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    assert run(capsys, "revision", LEGAL_NAMES, "--versions", versions, "-m", "first")[0] == 0
    code, sql, _ = run(capsys, "upgrade", "--versions", versions, "--url", postgres_url, "--sql")
    assert code == 0
    for quoted in (
        'CREATE TABLE "user"',
        'CREATE TABLE "order"',
        'CREATE TABLE "group"',
        '"select"',
        '"where"',
    ):
        assert quoted in sql
    assert "café_commandes" in sql and "prénom" in sql


def workflow_url(url: str) -> sa.engine.URL:
    from dbkit.manager import normalize_url

    return normalize_url(url)


def test_generated_constraint_names_past_63_bytes_are_shortened_and_work(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    snapshot = api.snapshot_of(LONG_CONSTRAINTS)
    names = [
        name
        for table in snapshot.tables
        for name in (
            [table.primary_key.name if table.primary_key else None]
            + [key.name for key in table.foreign_keys]
            + [index.name for index in table.indexes]
            + [unique.name for unique in table.unique_constraints]
        )
        if name
    ]
    assert all(len(name.encode()) <= MAX_IDENTIFIER_BYTES for name in names)
    assert len(names) == len(set(names))
    assert any(re.search(r"_[0-9a-f]{8}$", name) for name in names)  # shortened, hash-suffixed
    _upgrade_and_check(capsys, LONG_CONSTRAINTS, tmp_path / "versions", database_url)


IDENTITY_COLUMNS = HOSTILE / "identity_computed_and_variant_columns"


def test_identity_computed_and_variant_columns_rebuild_upgrade_and_check_clean(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from dbkit.migrate.schema.documents import dump_snapshot, load_snapshot
    from dbkit.migrate.schema.to_metadata import metadata_from_snapshot

    snapshot = api.snapshot_of(IDENTITY_COLUMNS)
    assert load_snapshot(dump_snapshot(snapshot)) == snapshot  # the variants survive JSON
    rebuilt = metadata_from_snapshot(snapshot).tables["builds"]  # raised ArgumentError (autoincrement=False)
    assert rebuilt.c.id.identity is not None and rebuilt.c.seconds.computed is not None
    versions = tmp_path / "versions"
    _upgrade_and_check(capsys, IDENTITY_COLUMNS, versions, database_url)
    assert run(capsys, "verify", "--versions", versions)[0] == 0
    engine = sa.create_engine(workflow_url(database_url))
    try:
        columns = {c["name"]: c for c in sa.inspect(engine).get_columns("builds")}
        if engine.dialect.name == "sqlite":  # the variant: INTEGER PRIMARY KEY, numbered as the rowid
            assert isinstance(columns["id"]["type"], sa.INTEGER) and not isinstance(
                columns["id"]["type"], sa.BIGINT
            )
        else:
            assert isinstance(columns["id"]["type"], sa.BIGINT) and columns["id"]["identity"]
            assert isinstance(columns["label"]["type"], sa.TEXT)
        builds = sa.Table("builds", sa.MetaData(), autoload_with=engine)
        with engine.begin() as connection:
            connection.execute(sa.insert(builds).values(minutes=2))
            assert connection.execute(sa.select(builds.c.id, builds.c.seconds)).one() == (1, 120)
    finally:
        engine.dispose()
    assert run(capsys, "downgrade", "--versions", versions, "--url", database_url, "--to", "base")[0] == 0


CORE_ONLY = HOSTILE / "core_only_tables"
#: table → where it is held (a variable, a class attribute, only its MetaData) and its file.
CORE_HOLDERS = {
    "audit_log": ("DB_Core.metadata.tables['audit_log']", "DB_Core.py"),
    "builds": ("DB_Core.Model.builds", "DB_Core.py"),
    "reports": ("DB_Audit.reports", "DB_Audit.py"),  # not DB_Core, which it imports users_table from
    "users": ("DB_Core.users_table", "DB_Core.py"),
}


def test_core_only_tables_are_named_by_where_they_are_held(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "inventory", CORE_ONLY, "--json")
    assert code == 0
    assert {t["table"]: tuple(t["hand_written"].values()) for t in json.loads(out)["tables"]} == CORE_HOLDERS
    code, out, _ = run(capsys, "inventory", CORE_ONLY)
    assert code == 0 and "None" not in out
    for table, (holder, file) in CORE_HOLDERS.items():
        assert re.search(rf"^{table} +hand_written +{re.escape(holder)} \({file}\) / -$", out, re.M), out
    report = api.parity(CORE_ONLY)
    assert {t.table: t.hand_written for t in report.tables} == {
        table: f"{holder} ({file})" for table, (holder, file) in CORE_HOLDERS.items()
    }
    from dbkit.notebook.frames import inventory_table

    frame = inventory_table(api.inventory(CORE_ONLY)).frame
    assert dict(zip(frame["table"], frame["hand-written model"], strict=True)) == {
        table: f"{holder} ({file})" for table, (holder, file) in CORE_HOLDERS.items()
    }


# -- warnings, not refusals -------------------------------------------------------------------------------
def test_index_without_columns_is_a_warning_and_the_revision_skips_it(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    codebase = HOSTILE / "index_without_columns"
    code, out, _ = run(capsys, "inventory", codebase)
    assert code == 0 and "warning:" in out and "ix_products_nothing" in out
    code, out, _ = run(capsys, "parity", codebase)
    assert code == 0 and "ix_products_nothing" in out and "has no columns" in out
    assert "has no columns" in json.dumps(api.parity(codebase).to_json())
    versions = tmp_path / "versions"
    code, out, err = run(capsys, "revision", codebase, "--versions", versions, "-m", "first")
    assert code == 0 and out.count("wrote ") == 1, err
    written = next(versions.glob("*_first.py")).read_text()
    assert "op.create_table('products'" in written and "create_index" not in written
    assert re.search(
        r"# index 'ix_products_nothing' on table 'products' has no columns: not created", written
    )
    assert run(capsys, "upgrade", "--versions", versions, "--url", database_url)[0] == 0
    assert run(capsys, "check", codebase, "--url", database_url)[:2] == (0, "database matches the models\n")
    code, out, _ = run(capsys, "diff", database_url, codebase)
    assert code == 0, out  # no perpetual diff for the index no database holds
    code, out, _ = run(capsys, "revision", codebase, "--versions", versions, "-m", "again")
    assert code == 0 and "no change" in out
    assert run(capsys, "verify", "--versions", versions)[0] == 0
    # A baseline from the codebase itself says it too.
    baseline = tmp_path / "baseline"
    api.revision(codebase, baseline, from_source=codebase, message="baseline")
    assert (
        "'ix_products_nothing' on table 'products' has no columns" in next(baseline.glob("*.py")).read_text()
    )


def test_revision_edited_by_hand_is_a_warning_and_its_snapshots_stay_honest(
    versions_with_history: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    baseline = next(versions_with_history.glob("*_baseline.py"))
    text = baseline.read_text()
    # A data migration added by hand: normal, and it leaves the schema as recorded.
    edited = text.replace(
        "def upgrade() -> None:\n", "def upgrade() -> None:\n    op.execute('SELECT 1')\n", 1
    )
    assert edited != text
    baseline.write_text(edited)
    code, out, _ = run(capsys, "history", "--versions", versions_with_history)
    assert code == 0 and "[edited by hand]" in out
    code, out, err = run(capsys, "revision", V2, "--versions", versions_with_history, "-m", "nothing new")
    assert code == 0 and "no change" in out  # the edited history still leads to v2's schema
    assert run(capsys, "verify", "--versions", versions_with_history)[0] == 0
    # An edit that changes the schema: verify compares the result with the recorded snapshot and says so.
    schema_edit = edited.replace(
        "op.execute('SELECT 1')",
        "op.execute('SELECT 1')\n    op.create_table('sneaky', sa.Column('id', sa.Integer))",
    )
    baseline.write_text(schema_edit)
    code, out, _ = run(capsys, "verify", "--versions", versions_with_history)
    assert code == 1 and "sneaky" in out
    baseline.write_text(edited)
    # The next revision is written, with a warning naming the edited file.
    code, out, err = run(
        capsys, "revision", SAMPLE, "--versions", versions_with_history, "-m", "back", "--allow-destructive"
    )
    assert code == 0 and out.count("wrote ") == 1
    assert f"warning: {baseline} was edited by hand" in err
    assert baseline.read_text() == edited  # dbkit never rewrites the edited file or its recorded snapshots


# -- dialect keyword arguments of indexes and constraints ---------------------------------------------------
DIALECT_OPTIONS = HOSTILE / "index_dialect_options"


def _dialect_options_of(snapshot: object, index: str) -> dict:
    table = next(t for t in snapshot.tables if t.name == "documents")  # type: ignore[attr-defined]
    return next(dict(i.dialect_options) for i in table.indexes if i.name == index)


def test_index_dialect_options_survive_snapshot_scaffold_revision_upgrade_and_check(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import shutil

    from dbkit.migrate.schema.documents import dump_snapshot, load_snapshot

    snapshot = api.snapshot_of(DIALECT_OPTIONS)
    assert load_snapshot(dump_snapshot(snapshot)) == snapshot  # the options survive JSON
    indexes = {i["name"]: i for i in json.loads(dump_snapshot(snapshot))["tables"][0]["indexes"]}
    assert indexes["ix_documents_title_body"]["dialect_options"] == {
        "mssql_clustered": False,
        "mysql_length": {"body": 64, "title": 64},
    }
    assert indexes["ix_documents_archived_at"]["dialect_options"] == {
        "postgresql_using": "brin",
        "postgresql_with": {"pages_per_range": "32"},
    }
    assert indexes["ix_documents_live_title"]["dialect_options"] == {
        "postgresql_include": ["status"],
        "postgresql_where": "archived_at is null",
        "sqlite_where": "archived_at is null",
    }
    assert indexes["ix_documents_body_prefix"]["dialect_options"] == {
        "mysql_prefix": "FULLTEXT",
        "postgresql_ops": {"body": "varchar_pattern_ops"},
    }
    table = json.loads(dump_snapshot(snapshot))["tables"][0]
    assert table["primary_key"]["dialect_options"] == {"sqlite_on_conflict": "IGNORE"}
    assert table["unique_constraints"][0]["dialect_options"] == {"sqlite_on_conflict": "IGNORE"}
    # Two model snapshots differing only in a MySQL option differ; no database compares it.
    changed = load_snapshot(dump_snapshot(snapshot).replace('"FULLTEXT"', '"SPATIAL"'))
    assert [c.op for c in api.diff(snapshot, changed).changes] == ["drop_index", "add_index"]

    # scaffold: the BLL model says the same options, and parity finds no difference
    codebase = tmp_path / "codebase"
    shutil.copytree(DIALECT_OPTIONS, codebase)
    code, _, err = run(capsys, "scaffold", codebase, "--out", codebase)
    assert code == 0, err
    bll = (codebase / "BLL_Documents.py").read_text()
    for keyword in (
        "mysql_length=",
        "mysql_prefix=",
        "postgresql_using=",
        "postgresql_ops=",
        "mssql_clustered=",
    ):
        assert keyword in bll, bll
    assert "postgresql_where=sa.text(" in bll and "sqlite_where=sa.text(" in bll, bll
    code, out, _ = run(capsys, "parity", codebase)
    assert code == 0, out
    assert not api.parity(codebase).has_schema_differences

    # a revision from nothing creates them; upgrade; check is clean
    versions = tmp_path / "versions"
    assert run(capsys, "revision", DIALECT_OPTIONS, "--versions", versions, "-m", "first")[0] == 0
    written = next(versions.glob("*_first.py")).read_text()
    for rendered in (
        "postgresql_using='brin'",
        "postgresql_with={'pages_per_range': '32'}",
        "postgresql_ops={'body': 'varchar_pattern_ops'}",
        "postgresql_where=sa.text('archived_at is null')",
        "sqlite_where=sa.text('archived_at is null')",
        "postgresql_include=['status']",
        "mysql_length={'body': 64, 'title': 64}",
        "mysql_prefix='FULLTEXT'",
        "mssql_clustered=False",
    ):
        assert rendered in written, written
    assert "sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'), sqlite_on_conflict='IGNORE')" in written
    assert "sa.UniqueConstraint('title', 'status', name=op.f('uq_documents_title_status'), " in written
    assert written.count("sqlite_on_conflict='IGNORE'") == 2, written
    code, _, err = run(capsys, "upgrade", "--versions", versions, "--url", database_url)
    assert code == 0, err
    assert run(capsys, "check", DIALECT_OPTIONS, "--url", database_url)[:2] == (
        0,
        "database matches the models\n",
    )
    assert run(capsys, "check", codebase, "--url", database_url)[0] == 0
    reflected = api.snapshot_of(database_url)
    if reflected.dialect == "postgresql":
        assert _dialect_options_of(reflected, "ix_documents_archived_at") == {
            "postgresql_using": '"brin"',
            "postgresql_with": '{"pages_per_range": "32"}',
        }
        assert _dialect_options_of(reflected, "ix_documents_body_prefix") == {
            "postgresql_ops": '{"body": "varchar_pattern_ops"}'
        }
    assert "where" in "".join(_dialect_options_of(reflected, "ix_documents_live_title"))
    assert run(capsys, "verify", "--versions", versions)[0] == 0

    # a second version narrows the partial index: a diff, and a revision that applies
    v2 = tmp_path / "v2"
    shutil.copytree(DIALECT_OPTIONS, v2)
    model = v2 / "DB_Documents.py"
    model.write_text(model.read_text().replace("archived_at IS NULL", "status = 'published'"))
    code, out, _ = run(capsys, "check", v2, "--url", database_url)
    assert code == 1 and "drop_index" in out and "add_index" in out and "documents(title)" in out, out
    changes = api.diff(database_url, v2).changes
    assert [(c.op, c.definition.name) for c in changes] == [
        ("drop_index", "ix_documents_live_title"),
        ("add_index", "ix_documents_live_title"),
    ]
    assert run(capsys, "revision", v2, "--versions", versions, "-m", "second")[0] == 0
    assert "status = 'published'" in next(versions.glob("*_second.py")).read_text()
    assert run(capsys, "upgrade", "--versions", versions, "--url", database_url)[0] == 0
    assert run(capsys, "check", v2, "--url", database_url)[:2] == (0, "database matches the models\n")
    assert run(capsys, "downgrade", "--versions", versions, "--url", database_url, "--to", "-1")[0] == 0
    assert run(capsys, "check", DIALECT_OPTIONS, "--url", database_url)[0] == 0
    assert run(capsys, "downgrade", "--versions", versions, "--url", database_url, "--to", "base")[0] == 0


# -- column types no constructor call rebuilds: scaffold never writes a module that cannot import ------
UNREBUILDABLE_TYPES = HOSTILE / "unrebuildable_column_types"


def test_unrebuildable_column_types_leave_one_table_hand_written_and_scaffold_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import shutil

    codebase = tmp_path / "codebase"
    shutil.copytree(UNREBUILDABLE_TYPES, codebase)
    code, out, err = run(capsys, "scaffold", codebase, "--out", codebase)
    assert code == 0 and "Traceback" not in err, err
    assert out == f"wrote {codebase / 'BLL_Library.py'}\n"
    # decorators that convert no value: typed by their storage type's values, with the same DDL, no warning
    assert "books.published_at" not in err and "books.details" not in err, err
    assert "warning: embeddings: no model scaffolded: column 'vector' has type library_types.Vector" in err
    bll = (codebase / "BLL_Library.py").read_text()
    assert "published_at: dt.datetime | None = None" in bll
    assert "details: Annotated[str | None, DBColumn(sa_type=sa.Text())] = None" in bll
    # a converting decorator its call rebuilds is kept
    assert "isbn: Annotated[str | None, DBColumn(sa_type=Code(13))] = Field(None, max_length=13)" in bll
    assert "EmbeddingModel" not in bll and 'DBColumn(foreign_key="embeddings.id")' in bll
    # the written module imports, and every other table matches its hand-written definition
    code, out, _ = run(capsys, "parity", codebase)
    assert code == 0 and "no schema-level difference" in out, out
    statuses = {table.table: table.status for table in api.parity(codebase).tables}
    assert statuses == {
        "authors": "match",
        "books": "match",
        "embeddings": "hand_written_only",
        "highlights": "match",
    }


# -- enums stored as VARCHAR(n) gain a longer member --------------------------------------------------------
ENUM_V1, ENUM_V2 = HOSTILE / "enum_gains_a_longer_member", HOSTILE / "enum_gains_a_longer_member_v2"
#: The longer members v2 adds: a plain list, a Python enum stored by name, one stored by value
#: (values_callable), and a native enum on PostgreSQL (a VARCHAR on SQLite).
LONGER_MEMBERS = {
    "status": "cancelled_by_operator",
    "kind": "DEPLOY_TO_PRODUCTION",
    "phase": "waiting for approval",
    "priority": "critical",
}


def test_enum_stored_as_varchar_widens_for_a_longer_member_and_narrows_only_without_it(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    assert run(capsys, "revision", ENUM_V1, "--versions", versions, "-m", "first")[0] == 0
    assert run(capsys, "upgrade", "--versions", versions, "--url", database_url)[0] == 0
    assert run(capsys, "revision", ENUM_V2, "--versions", versions, "-m", "second")[0] == 0
    assert "op.add_enum_value('job_priority', 'critical'" in next(versions.glob("*_second.py")).read_text()
    code, _, err = run(capsys, "upgrade", "--versions", versions, "--url", database_url)
    assert code == 0, err
    # SQLite: the native enum `priority` is a VARCHAR(4) there; it was not widened and check said alter_column
    assert run(capsys, "check", ENUM_V2, "--url", database_url)[:2] == (0, "database matches the models\n")
    engine = sa.create_engine(workflow_url(database_url))
    columns = ", ".join(LONGER_MEMBERS)
    try:
        lengths = {
            c["name"]: getattr(c["type"], "length", None) for c in sa.inspect(engine).get_columns("jobs")
        }
        assert lengths["status"] == 21 and lengths["kind"] == 20 and lengths["phase"] == 20
        if engine.dialect.name == "sqlite":
            assert lengths["priority"] == len("critical")
        with engine.begin() as connection:
            connection.execute(
                sa.text(f"INSERT INTO jobs (id, {columns}) VALUES (1, :status, :kind, :phase, :priority)"),
                LONGER_MEMBERS,
            )
            row = connection.execute(sa.text(f"SELECT {columns} FROM jobs")).one()
            assert tuple(row) == tuple(LONGER_MEMBERS.values())
        # Downgrading narrows the enums: refused while a row holds a member that goes away, whole.
        code, _, err = run(capsys, "downgrade", "--versions", versions, "--url", database_url, "--to", "-1")
        assert code == 2 and "Traceback" not in err, err
        assert run(capsys, "check", ENUM_V2, "--url", database_url)[0] == 0  # nothing half-applied
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM jobs"))
            connection.execute(
                sa.text(f"INSERT INTO jobs (id, {columns}) VALUES (2, 'done', 'BUILD', 'queued', 'high')")
            )
    finally:
        engine.dispose()
    code, _, err = run(capsys, "downgrade", "--versions", versions, "--url", database_url, "--to", "-1")
    assert code == 0, err
    assert run(capsys, "check", ENUM_V1, "--url", database_url)[:2] == (0, "database matches the models\n")
    assert run(capsys, "verify", "--versions", versions)[0] == 0
