"""Dialect keyword arguments survive scaffold: the generated tables compile to the same DDL on every dialect.

Indexes, constraints, the primary key and the table itself carry ``<dialect>_<option>`` keywords
(dicts, lists, column objects, SQL expressions); each case writes the module, lints it, imports it,
generates its models and compares ``CREATE TABLE``/``CREATE INDEX`` as PostgreSQL, MySQL, SQLite,
SQL Server and Oracle compile them. An option with no source is a problem naming the table, the
item and the option; every other table (and option) is still scaffolded.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from scaffold_support import ddl_by_dialect, run_generated
from test_scaffold import dbkit_metadata, ddl

from dbkit.migrate.codemod.scaffold import SourceTable, scaffold


def documents_table() -> sa.Table:
    """Every kind of dialect option a hand-written table can carry, on each kind of item."""
    table = sa.Table(
        "documents",
        dbkit_metadata(),
        sa.Column("id", sa.Integer, primary_key=True, sqlite_on_conflict_primary_key="FAIL"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(100)),
        sa.Column("body", sa.Text),
        sa.Column("rank", sa.Integer),
        sa.Column("archived", sa.Boolean),
        sa.UniqueConstraint(
            "slug",
            "rank",
            name="uq_documents_slug_rank",
            sqlite_on_conflict="REPLACE",
            postgresql_nulls_not_distinct=True,
            mssql_clustered=False,
        ),
        sa.Index("ix_documents_title_slug", "title", "slug", mysql_length={"title": 64, "slug": 32}),
        sa.Index("ix_documents_body", "body", mysql_prefix="FULLTEXT", mysql_with_parser="ngram"),
        sa.Index(
            "ix_documents_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ),
        sa.Index("ix_documents_rank_text", "rank", postgresql_where=sa.text("rank > 5")),
        sa.Index(
            "ix_documents_clustered",
            "rank",
            mssql_clustered=True,
            postgresql_with={"fillfactor": 50},
            postgresql_tablespace="fast_disk",
            postgresql_concurrently=True,
        ),
        comment="Documents",
        postgresql_with={"fillfactor": 70},
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        sqlite_with_rowid=True,
        oracle_compress=True,
    )
    # Options naming the table's own columns, and SQL each dialect spells its own way.
    table.append_constraint(
        sa.Index(
            "ix_documents_live",
            table.c.slug,
            postgresql_where=table.c.archived == False,  # noqa: E712 - SQL, not a Python comparison
            sqlite_where=table.c.archived == False,  # noqa: E712
            mssql_where=table.c.archived == False,  # noqa: E712
            postgresql_include=[table.c.title, "rank"],
            mssql_include=[table.c.title],
        )
    )
    return table


def test_every_dialect_option_survives_scaffold(tmp_path: Path) -> None:
    table = documents_table()
    result = scaffold([SourceTable(table, None, "DB_Documents")])
    assert result.problems == [], result.problems
    source = result.modules["BLL_Documents"]
    assert 'mysql_length={"title": 64, "slug": 32}' in source
    assert '"postgresql_with": {"fillfactor": 70}' in source
    assert 'postgresql_include=["title", "rank"]' in source
    generated = run_generated(result, tmp_path)["documents"]
    assert ddl(generated) == ddl(table)
    found, expected = ddl_by_dialect(generated), ddl_by_dialect(table)
    for dialect in expected:
        assert found[dialect] == expected[dialect], f"{dialect}:\n{found[dialect]}\n{expected[dialect]}"
    assert "WHERE archived = 0" in " ".join(found["sqlite"][1])  # SQLite's own spelling, not PostgreSQL's
    assert "PRIMARY KEY (id) ON CONFLICT FAIL" in found["sqlite"][0]


def test_options_of_an_unnamed_primary_key_survive(tmp_path: Path) -> None:
    table = sa.Table(
        "entries",
        dbkit_metadata(),
        sa.Column("id", sa.Integer),
        sa.Column("label", sa.String(20)),
        sa.PrimaryKeyConstraint("id", mssql_clustered=False),
    )
    result = scaffold([SourceTable(table, None, "DB_Documents")])
    generated = run_generated(result, tmp_path)["entries"]
    assert ddl_by_dialect(generated) == ddl_by_dialect(table)
    assert "PRIMARY KEY NONCLUSTERED" in ddl_by_dialect(generated)["mssql"][0]


class Fillfactor:
    """An option value SQLAlchemy compiles (``str``) but no source rebuilds (it compares by identity)."""

    def __str__(self) -> str:
        return "70"


def test_an_option_without_source_is_a_problem_for_its_table_and_the_rest_is_scaffolded(
    tmp_path: Path,
) -> None:
    metadata = dbkit_metadata()
    odd = sa.Table(
        "odd_options",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10), nullable=False, sqlite_on_conflict_not_null="IGNORE"),
        sa.Index("ix_odd_code", "code", postgresql_with={"fillfactor": Fillfactor()}, mysql_length=5),
        postgresql_with={"fillfactor": Fillfactor()},
        mysql_engine="InnoDB",
    )
    plain = sa.Table(
        "plain_options",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Index("ix_plain_id", "id", postgresql_using="hash"),
    )
    result = scaffold([SourceTable(odd, None, "DB_Documents"), SourceTable(plain, None, "DB_Documents")])
    problems = [str(p) for p in result.problems]
    assert len(problems) == 3, problems
    for start in (
        "odd_options: index 'ix_odd_code': dialect option postgresql_with={'fillfactor': <",
        "odd_options: table option postgresql_with={'fillfactor': <",
        "odd_options.code: column option sqlite_on_conflict_not_null='IGNORE'",
    ):
        [problem] = [p for p in problems if p.startswith(start)]
        assert "by hand" in problem and "0x" not in problem, problem
    generated = run_generated(result, tmp_path)
    assert ddl_by_dialect(generated["plain_options"]) == ddl_by_dialect(plain)
    found, expected = ddl_by_dialect(generated["odd_options"]), ddl_by_dialect(odd)
    assert found["mysql"] == expected["mysql"]  # the options that have source are kept
    assert found["postgresql"] != expected["postgresql"]  # the reported ones are not
